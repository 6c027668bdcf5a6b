/*
 * verify.c - ark-checksum-verify: every hash of an archive, and with
 * --deep the raw content and the database it holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/archive.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/verify.h"
#include "sqlite/sqlite_image_internal.h"

/* Raw content is hashed by extract_member; the bytes go nowhere. */
static int discard_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

/* The first bytes of the image, for ark_sqlite_image_header(). */
struct head_capture {
	unsigned char bytes[ARK_SQLITE_HEADER_SIZE];
	size_t len;
};

static int capture_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	struct head_capture *head = ctx;
	size_t take = sizeof(head->bytes) - head->len;

	(void)err;
	if (take > len)
		take = len;
	memcpy(head->bytes + head->len, buf, take);
	head->len += take;
	return 0;
}

/*
 * The image's raw hash is checked as it is decompressed.  The database is
 * then checked as restore does (ark_sqlite_image_plan): none when the
 * archive records a passing integrity_check (the bytes are those it ran
 * on), so nothing needs writing; else quick_check or integrity_check on
 * a temporary in $TMPDIR.
 */
static int deep_sqlite(struct ark_archive_reader *reader, size_t index,
		       const struct ark_verify_options *options,
		       struct ark_progress *progress,
		       struct ark_verify_result *result, struct ark_error *err)
{
	const char *dir = options->tmpdir ? options->tmpdir : getenv("TMPDIR");
	struct ark_atomic_file *temp = NULL;
	char name[4096];
	int rc;

	snprintf(result->check, sizeof(result->check), "%s",
		 ark_sqlite_image_plan(ark_archive_reader_manifest(reader),
				       options->full_check));
	ark_progress_phase(progress, "deep verify 2/3: decompress",
			   ark_archive_reader_manifest(reader)
				   ->members[index].stored_size, NULL);
	if (strcmp(result->check, "recorded") == 0) {
		struct head_capture head = { { 0 }, 0 };
		struct ark_sink capture = { capture_write, &head };

		snprintf(result->integrity, sizeof(result->integrity), "ok");
		if ((rc = ark_archive_extract_member(reader, index, capture,
						     progress, err)))
			return rc;
		return ark_sqlite_image_header(head.bytes, head.len,
					       ark_archive_reader_manifest(
						       reader),
					       result->path, err);
	}
	snprintf(name, sizeof(name), "%s/ark-verify.sqlite",
		 dir && *dir ? dir : "/tmp");
	if ((rc = ark_atomic_open_short(name, &temp, err)) ||
	    (rc = ark_sqlite_image_extract(reader, index, ark_atomic_fd(temp),
					   ark_atomic_temp_path(temp),
					   progress, err)))
		goto cleanup;
	/* The check's end cannot be known: it shows pages read. */
	ark_progress_phase(progress, "deep verify 3/3: database check", 0,
			   "pages read");
	rc = ark_sqlite_image_check(ark_atomic_temp_path(temp),
				    strcmp(result->check, "integrity_check") ==
					    0,
				    result->integrity,
				    sizeof(result->integrity), progress, err);
	if (rc == ARK_ERR_INTEGRITY) {
		/* The hashes matched, so the archive holds what was archived:
		 * the database itself was damaged when the snapshot was taken.
		 */
		ark_error_clear(err);
		rc = ark_error_set(err, ARK_ERR_INTEGRITY, 0,
				   "%s: hashes match, but the archived "
				   "database fails %s: %s",
				   result->path, result->check,
				   result->integrity);
	}
cleanup:
	ark_atomic_free(temp); /* never committed: the temporary goes */
	return rc;
}

int ark_verify_run(const char *path, const struct ark_verify_options *options,
		   struct ark_verify_result *result, struct ark_error *err)
{
	struct ark_archive_reader *reader = NULL;
	const struct ark_manifest *manifest;
	struct ark_progress *progress = NULL;
	struct ark_sink discard = { discard_write, NULL };
	size_t image = 0;
	int rc;

	memset(result, 0, sizeof(*result));
	snprintf(result->path, sizeof(result->path), "%s", path);
	rc = ark_archive_reader_open(path, &reader, err);
	if (rc)
		goto cleanup;
	manifest = ark_archive_reader_manifest(reader);
	snprintf(result->kind, sizeof(result->kind), "%s", manifest->kind);
	snprintf(result->created, sizeof(result->created), "%s",
		 manifest->created);
	result->member_count = manifest->member_count;
	result->file_size = ark_archive_reader_file_size(reader);
	for (size_t i = 0; i < manifest->member_count; i++)
		result->raw_bytes += manifest->members[i].raw_size;
	/* --deep goes through phases on one line, each drawn as it starts. */
	progress = ark_progress_new(options->deep ? "deep verify 1/3: hashes"
						  : "verify",
				    manifest->prefix_size, options->progress);
	ark_log(ARK_LOG_INFO, "%s: structure, manifest and checksum list ok; "
		"%zu member(s)", path, manifest->member_count);
	rc = ark_archive_verify_data(reader, progress, err);
	if (rc || !options->deep)
		goto cleanup;
	ark_log(ARK_LOG_INFO, "%s: every stored byte matches its hash", path);
	result->deep = 1;
	if (strcmp(manifest->kind, "sqlite") == 0) {
		if ((rc = ark_sqlite_image_find(reader, path, &image, err)))
			goto cleanup;
		/* Other members (none in v1 sqlite archives) still get
		 * their raw hashes checked below. */
	}
	for (size_t i = 0; i < manifest->member_count; i++) {
		if (strcmp(manifest->kind, "sqlite") == 0 && i == image)
			rc = deep_sqlite(reader, i, options, progress, result,
					 err);
		else {
			ark_progress_phase(progress,
					   "deep verify 2/3: decompress",
					   manifest->members[i].stored_size,
					   NULL);
			rc = ark_archive_extract_member(reader, i, discard,
							progress, err);
		}
		if (rc)
			goto cleanup;
	}
cleanup:
	ark_progress_free(progress);
	ark_archive_reader_free(reader);
	return rc;
}

int ark_verify_list(const char *path, struct ark_archive_reader **reader,
		    struct ark_error *err)
{
	*reader = NULL;
	return ark_archive_reader_open(path, reader, err);
}
