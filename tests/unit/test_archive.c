/*
 * test_archive.c - the .ark writer and reader (include/ark/archive.h):
 * round trips of real data, the atomic-file promises of the writer, and
 * the reader's refusal of damaged files, each with its exact error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include <errno.h>

#include "ark/archive.h"
#include "ark/hash.h"
#include "core/tar_internal.h"

#define CREATED 1763861880
#define BIG_LEN (3u * 1024u * 1024u + 12345u)
#define BIG_PATH "database.sqlite.zst"
#define EMPTY_PATH "data/empty.zst"

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX + 64];
	uint8_t *big;
};

/* ---- helpers --------------------------------------------------------- */

/* Random-looking and repetitive stretches, so zstd has work of both kinds. */
static uint8_t *make_big(void)
{
	uint8_t *data = malloc(BIG_LEN);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t at = 0;
	int line = 0;

	assert_non_null(data);
	while (at < BIG_LEN) {
		size_t stretch = 65536 + (size_t)(at % 7) * 1000;
		size_t end = at + stretch > BIG_LEN ? BIG_LEN : at + stretch;
		int kind = (int)((at / 65536) % 3);

		for (; at < end; at++) {
			if (kind == 0) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				data[at] = (uint8_t)x;
			} else if (kind == 1) {
				static const char text[] =
					"INSERT INTO t VALUES (42, 'ark');\n";

				data[at] = (uint8_t)text[(size_t)line++ %
							 (sizeof(text) - 1)];
			} else {
				data[at] = 0;
			}
		}
	}
	return data;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	unit_make_temp_dir(fx->dir, sizeof(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/out.ark", fx->dir);
	fx->big = make_big();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unit_remove_tree(fx->dir);
	free(fx->big);
	free(fx);
	return 0;
}

static struct ark_archive_writer_options writer_options(int threads)
{
	struct ark_archive_writer_options options = {
		.kind = "sqlite", .tool = "test_archive", .level = 3,
		.threads = threads, .created_unix = CREATED,
	};

	return options;
}

/* A writer for path with writer_options(threads); it must open. */
static struct ark_archive_writer *open_writer(const char *path, int threads,
					      struct ark_error *err)
{
	struct ark_archive_writer_options options = writer_options(threads);
	struct ark_archive_writer *writer = NULL;

	ark_error_clear(err);
	assert_int_equal(ark_archive_writer_open(path, &options, &writer, err),
			 0);
	assert_non_null(writer);
	/* A sqlite source needs its page size and count (not checked
	 * against the image here: that is restore's and --deep's job). */
	ark_archive_writer_set_source(writer,
				      json_pack("{s:s, s:i, s:i}", "path",
						"/src/x", "page_size", 4096,
						"page_count", 0));
	return writer;
}

/* A whole member of len bytes of raw: begin, write, end, each must pass. */
static void add_member(struct ark_archive_writer *writer, const char *path,
		       const char *role, const void *raw, size_t len,
		       struct ark_error *err)
{
	assert_int_equal(ark_archive_member_begin(writer, path, role, len, err),
			 0);
	assert_int_equal(ark_archive_member_write(writer, raw, len, err), 0);
	assert_int_equal(ark_archive_member_end(writer, err), 0);
}

/* Finish writer into summary, which must succeed, and free it. */
static void finish_writer(struct ark_archive_writer *writer,
			  struct ark_archive_summary *summary)
{
	struct ark_error err;

	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_finish(writer, summary, &err), 0);
	ark_archive_writer_free(writer);
}

/* Member 1: big, in odd-sized chunks; member 2: empty.  Not finished. */
static struct ark_archive_writer *write_members(const char *path,
						const uint8_t *big,
						int threads, int use_sink)
{
	static const size_t chunks[] = { 1, 7, 4093, 65537, 511, 1000003, 3 };
	struct ark_error err;
	struct ark_archive_writer *writer = open_writer(path, threads, &err);
	size_t at = 0;
	size_t i = 0;

	assert_int_equal(ark_archive_member_begin(writer, BIG_PATH,
						  "sqlite-image", BIG_LEN,
						  &err),
			 0);
	while (at < BIG_LEN) {
		size_t now = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];

		if (now > BIG_LEN - at)
			now = BIG_LEN - at;
		if (use_sink) {
			struct ark_sink sink = ark_archive_member_sink(writer);

			assert_int_equal(sink.write(sink.ctx, big + at, now,
						    &err),
					 0);
		} else {
			assert_int_equal(ark_archive_member_write(writer,
								  big + at,
								  now, &err),
					 0);
		}
		at += now;
	}
	assert_int_equal(ark_archive_member_end(writer, &err), 0);
	assert_int_equal(ark_archive_member_begin(writer, EMPTY_PATH, "empty",
						  ARK_ZIO_UNKNOWN_SIZE, &err),
			 0);
	assert_int_equal(ark_archive_member_end(writer, &err), 0);
	assert_int_equal(err.code, ARK_OK);
	return writer;
}

static void write_archive(const char *path, const uint8_t *big,
			  struct ark_archive_summary *summary)
{
	finish_writer(write_members(path, big, 0, 0), summary);
}

static void open_reader(const char *path, struct ark_archive_reader **reader)
{
	struct ark_error err;

	ark_error_clear(&err);
	*reader = NULL;
	if (ark_archive_reader_open(path, reader, &err) != 0)
		fail_msg("reader_open: %s", err.msg);
	assert_non_null(*reader);
}

/* reader_open must fail with code and a message containing both strings. */
static void expect_open_fails(const char *path, int code, const char *one,
			      const char *two)
{
	struct ark_archive_reader *reader = NULL;
	struct ark_error err;
	int rc;

	ark_error_clear(&err);
	rc = ark_archive_reader_open(path, &reader, &err);
	ark_archive_reader_free(reader);
	assert_int_equal(rc, code);
	assert_null(reader);
	assert_error(err, code, one);
	assert_error(err, code, two);
}

/* The archive opens, but verify_data fails with code and both strings. */
static void expect_verify_fails(const char *path, int code, const char *one,
				const char *two)
{
	struct ark_archive_reader *reader = NULL;
	struct ark_error err;

	open_reader(path, &reader);
	ark_error_clear(&err);
	assert_int_equal(ark_archive_verify_data(reader, NULL, &err), code);
	assert_error(err, code, one);
	assert_error(err, code, two);
	ark_archive_reader_free(reader);
}

/* ---- round trips ----------------------------------------------------- */

static void check_round_trip(struct fixture *fx,
			     const struct ark_archive_summary *summary)
{
	struct ark_archive_reader *reader = NULL;
	const struct ark_manifest *manifest;
	struct unit_mem_sink out = { 0 };
	struct ark_sink sink = { unit_mem_write, &out };
	struct ark_error err;
	struct stat st;
	uint8_t *file;
	size_t file_len = 0;
	uint64_t second_header;

	/* the summary describes the file on disk */
	assert_string_equal(summary->path, fx->path);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
	file = unit_read_all(fx->path, &file_len);
	assert_int_equal(summary->size, (uint64_t)st.st_size);
	assert_int_equal(summary->size, file_len);
	assert_true(ark_hash_equal(summary->hash,
				   ark_hash_buffer(file, file_len)));
	assert_int_equal(summary->raw_bytes, BIG_LEN);
	assert_int_equal(summary->member_count, 2);
	/* whole blocks, ending in two zero blocks */
	assert_int_equal(file_len % 512, 0);
	for (size_t i = file_len - 1024; i < file_len; i++)
		assert_int_equal(file[i], 0);
	assert_int_equal(unit_count_entries(fx->dir), 1);

	open_reader(fx->path, &reader);
	assert_int_equal(ark_archive_reader_file_size(reader), file_len);
	manifest = ark_archive_reader_manifest(reader);
	assert_string_equal(manifest->kind, "sqlite");
	assert_int_equal(manifest->created_unix, CREATED);
	assert_int_equal(manifest->member_count, 2);
	assert_string_equal(manifest->members[0].path, BIG_PATH);
	assert_string_equal(manifest->members[0].role, "sqlite-image");
	assert_int_equal(manifest->members[0].header_offset, 0);
	assert_int_equal(manifest->members[0].data_offset, 1536);
	assert_int_equal(manifest->members[0].raw_size, BIG_LEN);
	assert_true(ark_hash_equal(manifest->members[0].raw_hash,
				   ark_hash_buffer(fx->big, BIG_LEN)));
	assert_true(ark_hash_equal(
		manifest->members[0].stored_hash,
		ark_hash_buffer(file + 1536,
				manifest->members[0].stored_size)));
	/* compressed: the repetitive two thirds must shrink */
	assert_true(manifest->members[0].stored_size < BIG_LEN * 2 / 3);
	/* and larger than the reader's 1 MiB chunks, so reads span them */
	assert_true(manifest->members[0].stored_size > (1u << 20));
	second_header = 1536 + manifest->members[0].stored_size +
			ark_tar_padding(manifest->members[0].stored_size);
	assert_string_equal(manifest->members[1].path, EMPTY_PATH);
	assert_string_equal(manifest->members[1].role, "empty");
	assert_int_equal(manifest->members[1].header_offset, second_header);
	assert_int_equal(manifest->members[1].data_offset,
			 second_header + 1536);
	assert_int_equal(manifest->members[1].raw_size, 0);
	assert_true(ark_hash_equal(manifest->members[1].raw_hash,
				   ark_hash_buffer("", 0)));
	assert_true(manifest->members[1].stored_size > 0); /* a zstd frame */
	assert_int_equal(manifest->prefix_size,
			 second_header + 1536 +
				 manifest->members[1].stored_size +
				 ark_tar_padding(
					 manifest->members[1].stored_size));
	assert_true(ark_hash_equal(manifest->prefix_hash,
				   ark_hash_buffer(file,
						   manifest->prefix_size)));
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(manifest->root, "source"), "path")),
		"/src/x");

	ark_error_clear(&err);
	assert_int_equal(ark_archive_verify_data(reader, NULL, &err), 0);
	assert_int_equal(ark_archive_extract_member(reader, 0, sink, NULL,
						    &err),
			 0);
	assert_int_equal(out.len, BIG_LEN);
	assert_memory_equal(out.buf, fx->big, BIG_LEN);
	out.len = 0;
	assert_int_equal(ark_archive_extract_member(reader, 1, sink, NULL,
						    &err),
			 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(err.code, ARK_OK);
	assert_int_equal(ark_archive_extract_member(reader, 2, sink, NULL,
						    &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "member index 2 out of range");
	ark_archive_reader_free(reader);
	free(out.buf);
	free(file);
}

static void test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;

	memset(&summary, 0xee, sizeof(summary));
	write_archive(fx->path, fx->big, &summary);
	check_round_trip(fx, &summary);
}

static void test_round_trip_threads_and_sink(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;

	finish_writer(write_members(fx->path, fx->big, 2, 1), &summary);
	check_round_trip(fx, &summary);
}

static void test_deterministic(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary first, second;
	char other[PATH_MAX + 64];
	uint8_t *a, *b;
	size_t a_len = 0, b_len = 0;

	snprintf(other, sizeof(other), "%s/other.ark", fx->dir);
	write_archive(fx->path, fx->big, &first);
	write_archive(other, fx->big, &second);
	a = unit_read_all(fx->path, &a_len);
	b = unit_read_all(other, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	assert_true(ark_hash_equal(first.hash, second.hash));
	free(a);
	free(b);
}

/* ---- the writer's file handling -------------------------------------- */

static void test_final_name_only_after_finish(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer *writer =
		write_members(fx->path, fx->big, 0, 0);
	struct ark_archive_summary summary;
	struct dirent *entry;
	struct stat st;
	char temp[PATH_MAX + 300];
	DIR *dir;

	/* only a 0600 temporary ".out.ark.ark-tmp-XXXXXX" exists */
	assert_int_equal(stat(fx->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(unit_count_entries(fx->dir), 1);
	dir = opendir(fx->dir);
	assert_non_null(dir);
	temp[0] = '\0';
	while ((entry = readdir(dir)) != NULL)
		if (entry->d_name[0] == '.' && strcmp(entry->d_name, ".") &&
		    strcmp(entry->d_name, ".."))
			snprintf(temp, sizeof(temp), "%s/%s", fx->dir,
				 entry->d_name);
	closedir(dir);
	assert_non_null(strstr(temp, "/.out.ark.ark-tmp-"));
	assert_int_equal(strlen(strstr(temp, "/.out.ark.ark-tmp-")),
			 strlen("/.out.ark.ark-tmp-XXXXXX"));
	assert_int_equal(stat(temp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	finish_writer(writer, &summary);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(stat(temp, &st), -1);
	assert_int_equal(unit_count_entries(fx->dir), 1);
}

static void test_free_without_finish_leaves_nothing(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer *writer;
	struct ark_error err;

	/* after both members */
	writer = write_members(fx->path, fx->big, 0, 0);
	assert_int_equal(unit_count_entries(fx->dir), 1);
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);

	/* in the middle of a member, compressor live */
	writer = open_writer(fx->path, 0, &err);
	assert_int_equal(ark_archive_member_begin(writer, BIG_PATH, "x",
						  ARK_ZIO_UNKNOWN_SIZE, &err),
			 0);
	assert_int_equal(ark_archive_member_write(writer, fx->big, 100000,
						  &err),
			 0);
	assert_int_equal(unit_count_entries(fx->dir), 1);
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);

	/* right after open */
	writer = open_writer(fx->path, 0, &err);
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);
	ark_archive_writer_free(NULL);
}

static void test_second_writer_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer *first =
		write_members(fx->path, fx->big, 0, 0);
	struct ark_archive_summary summary;
	struct ark_error err;
	struct ark_archive_writer *second = open_writer(fx->path, 0, &err);
	uint8_t *before, *after;
	size_t before_len = 0, after_len = 0;

	add_member(second, "other.zst", "x", "hello", 5, &err);
	finish_writer(first, &summary);
	before = unit_read_all(fx->path, &before_len);

	assert_int_equal(ark_archive_writer_finish(second, &summary, &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, fx->path);
	assert_error(err, ARK_ERR_REFUSED, "already exists");
	ark_archive_writer_free(second);

	after = unit_read_all(fx->path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	assert_int_equal(unit_count_entries(fx->dir), 1);
	free(before);
	free(after);
}

static void test_writer_open_unwritable_dir(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer_options options = writer_options(0);
	struct ark_archive_writer *writer = (struct ark_archive_writer *)fx;
	struct ark_error err;
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/missing/out.ark", fx->dir);
	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_open(path, &options, &writer,
						 &err),
			 ARK_ERR_WRITE);
	assert_null(writer);
	assert_error(err, ARK_ERR_WRITE, "missing");
}

/* Every tar mtime is created_unix in 11 octal digits: nothing later. */
static void test_writer_created_range(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer_options options = writer_options(0);
	struct ark_archive_writer *writer = NULL;
	struct ark_error err;

	options.created_unix = ARK_CREATED_UNIX_MAX + 1;
	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_open(fx->path, &options, &writer,
						 &err),
			 ARK_ERR_INTERNAL);
	assert_null(writer);
	assert_string_equal(err.msg, "creation time 8589934592 is outside "
				     "what an archive records "
				     "(0..8589934591)");
	options.created_unix = -1;
	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_open(fx->path, &options, &writer,
						 &err),
			 ARK_ERR_INTERNAL);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

/* The writer validates its manifest as a reader would, before writing. */
static void test_writer_refuses_invalid_manifest(void **state)
{
	struct fixture *fx = *state;
	struct ark_error err;
	struct ark_archive_writer *writer = open_writer(fx->path, 0, &err);
	struct ark_archive_summary summary;

	/* a sqlite source without its page size */
	ark_archive_writer_set_source(writer, json_pack("{s:i}", "page_count",
							 1));
	add_member(writer, "database.sqlite.zst", "sqlite-image", "x", 1,
		   &err);
	assert_int_equal(ark_archive_writer_finish(writer, &summary, &err),
			 ARK_ERR_INTERNAL);
	assert_string_equal(err.msg,
			    "the manifest to be written is invalid: manifest: "
			    "source: \"page_size\" is missing or not an "
			    "integer");
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

/* Nor one whose manifest is longer than a reader accepts. */
static void test_writer_refuses_oversized_manifest(void **state)
{
	struct fixture *fx = *state;
	struct ark_error err;
	struct ark_archive_writer *writer = open_writer(fx->path, 0, &err);
	struct ark_archive_summary summary;
	size_t len = ark_manifest_max_bytes(3);
	char *pad = malloc(len + 1);

	assert_non_null(pad);
	memset(pad, 'p', len);
	pad[len] = '\0';
	ark_archive_writer_set_source(writer,
				      json_pack("{s:i, s:i, s:s}", "page_size",
						4096, "page_count", 0, "pad",
						pad));
	free(pad);
	add_member(writer, "database.sqlite.zst", "sqlite-image", "", 0,
		   &err);
	assert_int_equal(ark_archive_writer_finish(writer, &summary, &err),
			 ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "the manifest would be ");
	assert_error(err, ARK_ERR_WRITE, "more than the 16789504 a reader "
					 "accepts");
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

static void test_writer_misuse(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	struct ark_error err;
	struct ark_archive_writer *writer = open_writer(fx->path, 0, &err);

	assert_int_equal(ark_archive_member_write(writer, "x", 1, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "write outside a member");
	ark_error_clear(&err);
	assert_int_equal(ark_archive_member_end(writer, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "member end without a member");
	ark_error_clear(&err);
	assert_int_equal(ark_archive_member_begin(writer, "../evil.zst", "x",
						  1, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "invalid member path '../evil.zst'");
	ark_error_clear(&err);
	assert_int_equal(ark_archive_member_begin(writer, "not-data.txt", "x",
						  1, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "invalid member path");
	ark_error_clear(&err);
	assert_int_equal(ark_archive_member_begin(writer, ARK_MANIFEST_NAME,
						  "x", 1, &err),
			 ARK_ERR_INTERNAL);
	ark_error_clear(&err);
	assert_int_equal(ark_archive_member_begin(writer, "a.zst", "x",
						  ARK_ZIO_UNKNOWN_SIZE, &err),
			 0);
	assert_int_equal(ark_archive_member_begin(writer, "b.zst", "x",
						  ARK_ZIO_UNKNOWN_SIZE, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "member 'b.zst' begun inside");
	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_finish(writer, &summary, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "finish inside member 'a.zst'");
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

static void test_zero_members(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_reader *reader = NULL;
	struct ark_archive_summary summary;
	struct ark_error err;

	finish_writer(open_writer(fx->path, 0, &err), &summary);
	assert_int_equal(summary.member_count, 0);
	assert_int_equal(summary.raw_bytes, 0);
	open_reader(fx->path, &reader);
	assert_int_equal(ark_archive_reader_manifest(reader)->member_count, 0);
	assert_int_equal(ark_archive_reader_manifest(reader)->prefix_size, 0);
	assert_int_equal(ark_archive_reader_file_size(reader), summary.size);
	assert_int_equal(ark_archive_verify_data(reader, NULL, &err), 0);
	ark_archive_reader_free(reader);
}

static void test_longest_member_path(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer *writer;
	struct ark_archive_reader *reader = NULL;
	struct ark_archive_summary summary;
	struct unit_mem_sink out = { 0 };
	struct ark_sink sink = { unit_mem_write, &out };
	struct ark_error err;
	char path[ARK_MEMBER_PATH_MAX + 1];

	/* 255 bytes: more than the 100 a ustar name holds */
	memset(path, 'q', ARK_MEMBER_PATH_MAX);
	memcpy(path, "data/", 5);
	memcpy(path + ARK_MEMBER_PATH_MAX - 4, ".zst", 5);
	writer = open_writer(fx->path, 0, &err);
	add_member(writer, path, "r", "abc", 3, &err);
	finish_writer(writer, &summary);
	open_reader(fx->path, &reader);
	assert_string_equal(ark_archive_reader_manifest(reader)->members[0].path,
			    path);
	assert_int_equal(ark_archive_verify_data(reader, NULL, &err), 0);
	assert_int_equal(ark_archive_extract_member(reader, 0, sink, NULL,
						    &err),
			 0);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.buf, "abc", 3);
	ark_archive_reader_free(reader);
	free(out.buf);
}

static void test_pledged_size_mismatch(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer *writer;
	struct ark_error err;

	/* fewer bytes than pledged: the frame cannot be finished */
	writer = open_writer(fx->path, 0, &err);
	assert_int_equal(ark_archive_member_begin(writer, "x.zst", "r", 100,
						  &err),
			 0);
	assert_int_equal(ark_archive_member_write(writer, "0123456789", 10,
						  &err),
			 0);
	assert_int_equal(ark_archive_member_end(writer, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "zstd");
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);

	/* more bytes than pledged: refused at the write */
	writer = open_writer(fx->path, 0, &err);
	assert_int_equal(ark_archive_member_begin(writer, "x.zst", "r", 5,
						  &err),
			 0);
	assert_int_equal(ark_archive_member_write(writer, "0123456789", 10,
						  &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "zstd");
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

static int failing_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	(void)ctx;
	(void)buf;
	return ark_error_set(err, ARK_ERR_WRITE, 28, "sink full after %zu",
			     len);
}

static void test_extract_sink_failure(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	struct ark_archive_reader *reader = NULL;
	struct ark_sink sink = { failing_write, NULL };
	struct ark_error err;

	write_archive(fx->path, fx->big, &summary);
	open_reader(fx->path, &reader);
	ark_error_clear(&err);
	assert_int_equal(ark_archive_extract_member(reader, 0, sink, NULL,
						    &err),
			 ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "sink full after");
	assert_int_equal(err.sys_errno, 28);
	ark_archive_reader_free(reader);
}

/* ---- damaged archives ------------------------------------------------ */

static void test_flip_member_data(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	struct ark_archive_reader *reader = NULL;
	struct unit_mem_sink out = { 0 };
	struct ark_sink sink = { unit_mem_write, &out };
	struct ark_error err;
	uint64_t offset, stored;

	write_archive(fx->path, fx->big, &summary);
	open_reader(fx->path, &reader);
	offset = ark_archive_reader_manifest(reader)->members[0].data_offset;
	stored = ark_archive_reader_manifest(reader)->members[0].stored_size;
	ark_archive_reader_free(reader);
	unit_xor_byte_at(fx->path, offset + stored / 2, 0x10);

	/* the structure is intact: open succeeds, the data check fails */
	open_reader(fx->path, &reader);
	ark_error_clear(&err);
	assert_int_equal(ark_archive_verify_data(reader, NULL, &err),
			 ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT, "member '" BIG_PATH "'");
	assert_error(err, ARK_ERR_CORRUPT, "hash mismatch");
	assert_error(err, ARK_ERR_CORRUPT, fx->path);
	ark_error_clear(&err);
	assert_int_equal(ark_archive_extract_member(reader, 0, sink, NULL,
						    &err),
			 ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT, BIG_PATH);
	assert_error(err, ARK_ERR_CORRUPT, "stored data hash mismatch");
	/* the other member is still fine */
	ark_error_clear(&err);
	assert_int_equal(ark_archive_extract_member(reader, 1, sink, NULL,
						    &err),
			 0);
	ark_archive_reader_free(reader);
	free(out.buf);
}

static void test_flip_second_member_data(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	struct ark_archive_reader *reader = NULL;
	uint64_t offset;

	write_archive(fx->path, fx->big, &summary);
	open_reader(fx->path, &reader);
	offset = ark_archive_reader_manifest(reader)->members[1].data_offset;
	ark_archive_reader_free(reader);
	unit_xor_byte_at(fx->path, offset + 1, 0x01);

	expect_verify_fails(fx->path, ARK_ERR_CORRUPT,
			    "member '" EMPTY_PATH "': stored data hash "
			    "mismatch",
			    "");
}

static void test_flip_ustar_header_of_member_1(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;

	write_archive(fx->path, fx->big, &summary);
	/* a name byte of the ustar block: its checksum no longer matches */
	unit_xor_byte_at(fx->path, 1024 + 3, 0x01);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path,
			  "damaged tar structure after 0 members");
}

static void test_flip_pax_size_of_member_1(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	uint8_t *file;
	size_t len = 0;
	const char *digits;

	write_archive(fx->path, fx->big, &summary);
	file = unit_read_all(fx->path, &len);
	/* "29 size=000..." in the record block: 9 * 10^18 bytes */
	digits = memmem(file + 512, 512, "size=", 5);
	assert_non_null(digits);
	unit_xor_byte_at(fx->path,
			 (uint64_t)(digits + 6 - (const char *)file),
			 '0' ^ '9');
	free(file);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, "member '" BIG_PATH "'",
			  "past the end");
}

static void test_flip_pax_block_padding_of_member_1(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;

	write_archive(fx->path, fx->big, &summary);
	/* unused zero bytes after the pax records: only prefix_xxh128 sees */
	unit_xor_byte_at(fx->path, 512 + 400, 0x20);
	expect_verify_fails(fx->path, ARK_ERR_CORRUPT,
			    "tar headers or padding damaged in the first",
			    "member data is intact");
}

static void test_flip_data_padding_of_member_1(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	struct ark_archive_reader *reader = NULL;
	const struct ark_member_info *first;
	uint64_t end;

	write_archive(fx->path, fx->big, &summary);
	open_reader(fx->path, &reader);
	first = &ark_archive_reader_manifest(reader)->members[0];
	end = first->data_offset + first->stored_size;
	assert_true(ark_tar_padding(first->stored_size) > 0);
	ark_archive_reader_free(reader);
	unit_xor_byte_at(fx->path, end, 0x01);

	expect_verify_fails(fx->path, ARK_ERR_CORRUPT, "prefix hash mismatch",
			    "");
}

static void test_flip_manifest_and_sums(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	uint8_t *file;
	size_t len = 0;
	const uint8_t *at;

	write_archive(fx->path, fx->big, &summary);
	file = unit_read_all(fx->path, &len);
	/* a byte of the manifest text */
	at = memmem(file, len, "\"tool\": \"test_archive\"", 22);
	assert_non_null(at);
	unit_xor_byte_at(fx->path, (uint64_t)(at - file) + 10, 0x01);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, "'MANIFEST.json'",
			  "hash mismatch");
	unit_xor_byte_at(fx->path, (uint64_t)(at - file) + 10, 0x01);

	/* a hex digit of the raw line of XXH128SUMS */
	at = memmem(file, len, "  database.sqlite\n", 18);
	assert_non_null(at);
	unit_xor_byte_at(fx->path, (uint64_t)(at - file) - 1, '0' ^ '1');
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, "'XXH128SUMS'",
			  "does not match the manifest");
	unit_xor_byte_at(fx->path, (uint64_t)(at - file) - 1, '0' ^ '1');

	/* a padding byte after XXH128SUMS, inside the regenerated tail */
	unit_xor_byte_at(fx->path, len - 1024 - 1, 0x01);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path,
			  "are damaged");
	free(file);
}

/* Rewrite a 512-byte header block at offset with a valid checksum. */
static void patch_header(const char *path, uint64_t offset, size_t field,
			 const void *bytes, size_t len)
{
	uint8_t block[512];
	unsigned int sum = 0;
	char text[8];
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, block, 512, (off_t)offset), 512);
	memcpy(block + field, bytes, len);
	memset(block + 148, ' ', 8);
	for (size_t i = 0; i < 512; i++)
		sum += block[i];
	snprintf(text, sizeof(text), "%06o", sum);
	memcpy(block + 148, text, 6);
	block[154] = '\0';
	assert_int_equal(pwrite(fd, block, 512, (off_t)offset), 512);
	close(fd);
}

static void test_hostile_member_types(void **state)
{
	static const struct {
		char typeflag;
		const char *linkname;
		const char *message;
	} cases[] = {
		{ '2', "/etc/passwd", "is a symbolic link; refusing" },
		{ '1', "database.sqlite.zst", "is a hard link; refusing" },
		{ '5', "", "is a directory; refusing" },
		{ '3', "", "is a character device; refusing" },
		{ '6', "", "is a FIFO; refusing" },
	};
	struct fixture *fx = *state;
	struct ark_archive_summary summary;

	write_archive(fx->path, fx->big, &summary);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char message[128];

		/* member 1's ustar block: its type, and a link target */
		patch_header(fx->path, 1024, 156, &cases[i].typeflag, 1);
		patch_header(fx->path, 1024, 157, cases[i].linkname,
			     strlen(cases[i].linkname));
		snprintf(message, sizeof(message), "member '%s' %s", BIG_PATH,
			 cases[i].message);
		expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path,
				  message);
		patch_header(fx->path, 1024, 157, "\0\0\0\0\0\0\0\0\0\0\0\0\0"
			     "\0\0\0\0\0\0\0", 20);
	}
	/* put it back: the archive is whole again */
	patch_header(fx->path, 1024, 156, "0", 1);
	{
		struct ark_archive_reader *reader = NULL;

		open_reader(fx->path, &reader);
		ark_archive_reader_free(reader);
	}
}

static void test_hostile_member_paths(void **state)
{
	static const char *const paths[] = {
		"/atabase.sqlite.zst", /* absolute */
		"../abase.sqlite.zst", /* parent */
		"data//se.sqlite.zst", /* empty component */
		"dat\\base.sqlite.zst", /* backslash */
	};
	/* as messages show them (ark_text_escape): a backslash cannot
	 * forge output and is kept */
	static const char *const shown[] = {
		"/atabase.sqlite.zst",
		"../abase.sqlite.zst",
		"data//se.sqlite.zst",
		"dat\\base.sqlite.zst",
	};
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	uint8_t *file;
	size_t len = 0;
	uint64_t record;

	write_archive(fx->path, fx->big, &summary);
	file = unit_read_all(fx->path, &len);
	record = (uint64_t)((uint8_t *)memmem(file + 512, 512,
					      "path=" BIG_PATH, 24) -
			    file) + 5;
	free(file);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char message[128];

		/* the pax path record, same length: no checksum covers it */
		assert_int_equal(strlen(paths[i]), strlen(BIG_PATH));
		unit_pwrite_at(fx->path, record, paths[i], strlen(paths[i]));
		snprintf(message, sizeof(message), "member '%s' has an unsafe "
			 "path", shown[i]);
		expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path,
				  message);
	}
}

static void test_renamed_member_in_tar(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	uint8_t *file;
	size_t len = 0;
	const uint8_t *second;

	write_archive(fx->path, fx->big, &summary);
	file = unit_read_all(fx->path, &len);
	/* member 2 renamed in its pax record (same length) */
	second = memmem(file, len, "path=" EMPTY_PATH, 19);
	assert_non_null(second);
	unit_pwrite_at(fx->path, (uint64_t)(second - file),
		       "path=data/first.zst", 19);
	free(file);
	/* a different path: the member list no longer matches the manifest */
	expect_open_fails(fx->path, ARK_ERR_CORRUPT,
			  "member #2 is 'data/first.zst' where the manifest "
			  "expects '" EMPTY_PATH "'",
			  "reordered, missing or added");
}

static void test_duplicate_member_in_tar(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	struct ark_error err;
	struct ark_archive_writer *writer = open_writer(fx->path, 0, &err);
	uint8_t *file;
	size_t len = 0;
	const uint8_t *second;

	add_member(writer, "data/aaaa.zst", "r", "a", 1, &err);
	add_member(writer, "data/bbbb.zst", "r", "b", 1, &err);
	finish_writer(writer, &summary);

	/* the tar lists data/aaaa.zst twice */
	file = unit_read_all(fx->path, &len);
	second = memmem(file, len, "path=data/bbbb.zst", 18);
	assert_non_null(second);
	unit_pwrite_at(fx->path, (uint64_t)(second - file),
		       "path=data/aaaa.zst", 18);
	free(file);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path,
			  "member 'data/aaaa.zst' appears twice");
}

static void test_truncated(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	uint64_t cuts[8];
	size_t n = 0;

	write_archive(fx->path, fx->big, &summary);
	cuts[n++] = summary.size - 1;
	cuts[n++] = summary.size - 512;
	cuts[n++] = summary.size - 1024;
	cuts[n++] = summary.size - 2048;
	cuts[n++] = summary.size / 2;
	cuts[n++] = 1536;
	cuts[n++] = 100;
	cuts[n++] = 0;
	/* cut deeper each time */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(truncate(fx->path, (off_t)cuts[i]), 0);
		expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path, "");
	}
}

static void test_truncated_tail_message(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	char expected[128];

	write_archive(fx->path, fx->big, &summary);
	/* without the last zero block the tar still lists, the size is off */
	assert_int_equal(truncate(fx->path, (off_t)(summary.size - 512)), 0);
	snprintf(expected, sizeof(expected),
		 "the file is %llu bytes but the archive ends at %llu "
		 "(truncated)", (unsigned long long)(summary.size - 512),
		 (unsigned long long)summary.size);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path, expected);
}

static void test_extra_bytes(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_summary summary;
	FILE *file;

	write_archive(fx->path, fx->big, &summary);
	file = fopen(fx->path, "ab");
	assert_non_null(file);
	assert_int_equal(fputc('x', file), 'x');
	fclose(file);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path,
			  "extra bytes after the end");
}

static void test_open_missing_and_directory(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_reader *reader = NULL;
	struct ark_error err;

	ark_error_clear(&err);
	assert_int_equal(ark_archive_reader_open(fx->path, &reader, &err),
			 ARK_ERR_READ);
	assert_null(reader);
	assert_error(err, ARK_ERR_READ, "cannot open");
	assert_error(err, ARK_ERR_READ, fx->path);
	assert_int_equal(err.sys_errno, ENOENT);

	ark_error_clear(&err);
	assert_int_equal(ark_archive_reader_open(fx->dir, &reader, &err),
			 ARK_ERR_READ);
	assert_null(reader);
	assert_error(err, ARK_ERR_READ, "is not a regular file");
	assert_error(err, ARK_ERR_READ, fx->dir);
}

static void test_open_not_an_archive(void **state)
{
	struct fixture *fx = *state;
	uint8_t blocks[1536 + 512 + 1024];

	unit_write_all(fx->path, fx->big, 8192);
	expect_open_fails(fx->path, ARK_ERR_CORRUPT, fx->path, "");

	/* a well-formed tar that is not an ark archive */
	memset(blocks, 0, sizeof(blocks));
	assert_int_equal(ark_tar_member_header(blocks, "a.zst", 3, CREATED),
			 0);
	memcpy(blocks + 1536, "abc", 3);
	unit_write_all(fx->path, blocks, sizeof(blocks));
	expect_open_fails(fx->path, ARK_ERR_CORRUPT,
			  "does not end with MANIFEST.json and XXH128SUMS",
			  fx->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_round_trip),
		T(test_round_trip_threads_and_sink),
		T(test_deterministic),
		T(test_final_name_only_after_finish),
		T(test_free_without_finish_leaves_nothing),
		T(test_second_writer_refused),
		T(test_writer_open_unwritable_dir),
		T(test_writer_created_range),
		T(test_writer_refuses_invalid_manifest),
		T(test_writer_refuses_oversized_manifest),
		T(test_writer_misuse),
		T(test_zero_members),
		T(test_longest_member_path),
		T(test_pledged_size_mismatch),
		T(test_extract_sink_failure),
		T(test_flip_member_data),
		T(test_flip_second_member_data),
		T(test_flip_ustar_header_of_member_1),
		T(test_flip_pax_size_of_member_1),
		T(test_flip_pax_block_padding_of_member_1),
		T(test_flip_data_padding_of_member_1),
		T(test_flip_manifest_and_sums),
		T(test_hostile_member_types),
		T(test_hostile_member_paths),
		T(test_renamed_member_in_tar),
		T(test_duplicate_member_in_tar),
		T(test_truncated),
		T(test_truncated_tail_message),
		T(test_extra_bytes),
		T(test_open_missing_and_directory),
		T(test_open_not_an_archive),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
