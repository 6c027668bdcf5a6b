/*
 * fuzz_reader.c - libFuzzer harness for the archive reader.
 *
 * The reader must survive any file it is given, so each input is written
 * as the whole content of a file and read the way ark-checksum-verify and
 * ark-restore read an archive: open() (tar listing, manifest, sums and tail
 * checks), then verify_data() and extract_member() for every member into a
 * sink that discards.  Every error return is fine; a crash, a sanitizer
 * report, a leak or a hang is not.
 *
 * The reader takes a path, so the input goes to one file in a private
 * temporary directory made at the first call and reused (truncated and
 * rewritten) for every input.  See tests/fuzz/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/error.h"
#include "ark/manifest.h"
#include "ark/zio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[4096];
static char fuzz_path[4096];
static int fuzz_fd = -1;

static void fuzz_cleanup(void)
{
	if (fuzz_fd >= 0)
		close(fuzz_fd);
	fuzz_fd = -1;
	if (fuzz_path[0])
		unlink(fuzz_path);
	if (fuzz_dir[0])
		rmdir(fuzz_dir);
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_reader: %s: %s\n", what, strerror(errno));
	abort();
}

static void fuzz_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/ark-fuzz-reader.XXXXXX",
		 tmp);
	if (!mkdtemp(fuzz_dir))
		die("mkdtemp");
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/input.ark", fuzz_dir);
	fuzz_fd = open(fuzz_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		       0600);
	if (fuzz_fd < 0)
		die("open");
	atexit(fuzz_cleanup);
}

static void write_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(fuzz_fd, 0) != 0)
		die("ftruncate");
	while (done < size) {
		ssize_t n = pwrite(fuzz_fd, data + done, size - done,
				   (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("pwrite");
		}
		done += (size_t)n;
	}
}

struct discard {
	uint64_t bytes;
};

static int discard_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	struct discard *d = ctx;

	(void)err;
	/* Touch the bytes so ASan sees a read of every one handed to us. */
	if (len) {
		volatile uint8_t sink = ((const uint8_t *)buf)[0];

		sink ^= ((const uint8_t *)buf)[len - 1];
		(void)sink;
	}
	d->bytes += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ark_archive_reader *reader = NULL;
	const struct ark_manifest *manifest;
	struct ark_error err = { 0 };
	int rc;

	if (fuzz_fd < 0)
		fuzz_setup();
	write_input(data, size);

	rc = ark_archive_reader_open(fuzz_path, &reader, &err);
	if (rc != 0) {
		/* A failure must say why, and leave no reader behind. */
		if (reader != NULL || err.code != rc || err.msg[0] == '\0')
			abort();
		return 0;
	}
	manifest = ark_archive_reader_manifest(reader);
	if (manifest == NULL)
		abort();

	ark_error_clear(&err);
	(void)ark_archive_verify_data(reader, NULL, &err);
	for (size_t i = 0; i < manifest->member_count; i++) {
		struct discard d = { 0 };
		struct ark_sink sink = { discard_write, &d };

		ark_error_clear(&err);
		rc = ark_archive_extract_member(reader, i, sink, NULL, &err);
		/* On success the member is exactly raw_size bytes. */
		if (rc == 0 && d.bytes != manifest->members[i].raw_size)
			abort();
	}
	ark_archive_reader_free(reader);
	return 0;
}
