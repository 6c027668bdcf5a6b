/*
 * unit_helpers.h - small helpers shared by the cmocka unit tests:
 * error assertions, a private temp directory, whole-file reads and
 * writes, patching bytes of a file in place, a memory sink, stderr
 * capture, and running a check in a forked child.
 *
 * Include after <cmocka.h>.
 */
#ifndef ARK_UNIT_HELPERS_H
#define ARK_UNIT_HELPERS_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ark/error.h"

/* err holds exactly code and its message contains substring. */
#define assert_error(err, expected_code, substring)                          \
	do {                                                                  \
		assert_int_equal((err).code, (expected_code));                \
		if (strstr((err).msg, (substring)) == NULL)                   \
			fail_msg("message \"%s\" lacks \"%s\"", (err).msg,    \
				 (substring));                                \
	} while (0)

static inline void unit_make_temp_dir(char *out, size_t size)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(out, size, "%s/ark-unit-XXXXXX", base);
	if (mkdtemp(out) == NULL)
		fail_msg("mkdtemp %s failed", out);
}

static inline int unit_remove_entry(const char *path, const struct stat *st,
				    int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static inline void unit_remove_tree(const char *path)
{
	nftw(path, unit_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Number of directory entries besides "." and "..". */
static inline int unit_count_entries(const char *dir_path)
{
	DIR *dir = opendir(dir_path);
	struct dirent *entry;
	int count = 0;

	if (dir == NULL)
		fail_msg("cannot list %s", dir_path);
	while ((entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 &&
		    strcmp(entry->d_name, "..") != 0)
			count++;
	closedir(dir);
	return count;
}

/* Whole content of a file into buf (NUL-terminated); length or -1. */
static inline long unit_read_file(const char *path, char *buf, size_t size)
{
	FILE *file = fopen(path, "rb");
	size_t got;

	if (file == NULL)
		return -1;
	got = fread(buf, 1, size - 1, file);
	buf[got] = '\0';
	fclose(file);
	return (long)got;
}

static inline void unit_write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "wb");

	if (file == NULL)
		fail_msg("cannot create %s", path);
	fputs(text, file);
	fclose(file);
}

/*
 * Everything in file, from its start, in a malloc'd NUL-terminated
 * buffer (caller frees); *len, when len is not NULL, gets its length.
 * Closes file.
 */
static inline void *unit_read_stream(FILE *file, size_t *len)
{
	uint8_t *buf;
	long size;

	assert_int_equal(fseek(file, 0, SEEK_END), 0);
	size = ftell(file);
	assert_true(size >= 0);
	rewind(file);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, file), (size_t)size);
	buf[size] = '\0';
	fclose(file);
	if (len != NULL)
		*len = (size_t)size;
	return buf;
}

/* Whole content of a file, malloc'd (see unit_read_stream). */
static inline void *unit_read_all(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");

	assert_non_null(file);
	return unit_read_stream(file, len);
}

/* Create or truncate path with exactly len bytes of buf. */
static inline void unit_write_all(const char *path, const void *buf,
				  size_t len)
{
	FILE *file = fopen(path, "wb");

	assert_non_null(file);
	assert_int_equal(fwrite(buf, 1, len, file), len);
	assert_int_equal(fclose(file), 0);
}

/* Overwrite len bytes of an existing file at offset. */
static inline void unit_pwrite_at(const char *path, uint64_t offset,
				  const void *bytes, size_t len)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, (off_t)offset), (ssize_t)len);
	close(fd);
}

/* Flip the bits of mask in the byte at offset. */
static inline void unit_xor_byte_at(const char *path, uint64_t offset,
				    uint8_t mask)
{
	int fd = open(path, O_RDWR);
	uint8_t byte;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, (off_t)offset), 1);
	byte ^= mask;
	assert_int_equal(pwrite(fd, &byte, 1, (off_t)offset), 1);
	close(fd);
}

/*
 * A sink (ark/zio.h: { unit_mem_write, &mem }) that appends every write
 * to a growing buffer, counting the calls and keeping the first one's
 * length; when fail_with is set, every write fails with that code and
 * errno 28 instead.  Start from { 0 }; free buf when done.
 */
struct unit_mem_sink {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t calls;
	size_t first_call_len;
	int fail_with;
};

static inline int unit_mem_write(void *ctx, const void *buf, size_t len,
				 struct ark_error *err)
{
	struct unit_mem_sink *sink = ctx;

	if (sink->fail_with)
		return ark_error_set(err, sink->fail_with, 28,
				     "test sink refuses %zu bytes", len);
	if (sink->calls++ == 0)
		sink->first_call_len = len;
	if (sink->len + len > sink->cap) {
		size_t cap = sink->cap ? sink->cap : 65536;
		uint8_t *grown;

		while (cap < sink->len + len)
			cap *= 2;
		grown = realloc(sink->buf, cap);
		assert_non_null(grown);
		sink->buf = grown;
		sink->cap = cap;
	}
	memcpy(sink->buf + sink->len, buf, len);
	sink->len += len;
	return 0;
}

/* Redirect fd 2 into a temporary file until unit_capture_end(). */
struct unit_capture {
	int saved_fd;
	FILE *file;
};

static inline void unit_capture_begin(struct unit_capture *capture)
{
	fflush(stderr);
	capture->file = tmpfile();
	if (capture->file == NULL)
		fail_msg("tmpfile failed");
	capture->saved_fd = dup(STDERR_FILENO);
	dup2(fileno(capture->file), STDERR_FILENO);
}

static inline void unit_capture_end(struct unit_capture *capture, char *buf,
				    size_t size)
{
	size_t got;

	fflush(stderr);
	dup2(capture->saved_fd, STDERR_FILENO);
	close(capture->saved_fd);
	rewind(capture->file);
	got = fread(buf, 1, size - 1, capture->file);
	buf[got] = '\0';
	fclose(capture->file);
}

/*
 * Fork, run child_body in the child (its return value is the child's exit
 * status), wait and return that status, or -1 when the child died.
 */
static inline int unit_run_in_child(int (*child_body)(void *arg), void *arg)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fail_msg("fork failed");
	if (pid == 0)
		_exit(child_body(arg));
	if (waitpid(pid, &status, 0) != pid)
		fail_msg("waitpid failed");
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#endif
