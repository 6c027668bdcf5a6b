/*
 * pgarchive_check.c - the deep check of a `pg` archive (ark/kind.h):
 * every member decompressed with its raw hash and size checked, and each
 * table's rows counted and content digest recomputed from its COPY text
 * as it streams (docs/archive-format.md, "Kind pg").
 */
#include <inttypes.h>
#include <stdio.h>

#include "ark/archive.h"
#include "ark/kind.h"
#include "ark/verify.h"

static int digest_write(void *ctx, const void *buf, size_t len,
			struct ark_error *err)
{
	(void)err;
	ark_digest_stream_feed(ctx, buf, len);
	return 0;
}

static int discard_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

/* One table member: its raw content digested as it is extracted. */
static int check_table(struct ark_archive_reader *reader, size_t index,
		       const char *archive_path, struct ark_progress *progress,
		       struct ark_error *err)
{
	const struct ark_member_info *member =
		&ark_archive_reader_manifest(reader)->members[index];
	struct ark_digest_stream stream;
	struct ark_sink sink = { digest_write, &stream };
	struct ark_error why = { 0 };
	char want[ARK_DIGEST_TEXT_MAX];
	char have[ARK_DIGEST_TEXT_MAX];
	int rc;

	if ((rc = ark_digest_stream_begin(&stream, err)))
		return rc;
	rc = ark_archive_extract_member(reader, index, sink, progress, err);
	if (rc) {
		ark_digest_stream_abandon(&stream);
		return rc;
	}
	if (ark_digest_stream_end(&stream, member->path, &why) != 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s': the COPY text does not "
				     "end in a newline", archive_path,
				     member->path);
	if (!ark_digest_equal(&stream.digest, &member->content_digest)) {
		ark_digest_format(&member->content_digest, want);
		ark_digest_format(&stream.digest, have);
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s': content digest mismatch "
				     "(manifest %s, actual %s)", archive_path,
				     member->path, want, have);
	}
	return 0;
}

int ark_pgarchive_deep_check(struct ark_archive_reader *reader,
			     const struct ark_verify_options *options,
			     struct ark_progress *progress,
			     struct ark_verify_result *result,
			     struct ark_error *err)
{
	const struct ark_manifest *manifest =
		ark_archive_reader_manifest(reader);
	struct ark_sink discard = { discard_write, NULL };
	int rc = 0;

	(void)options;
	result->digests_checked = 1;
	for (size_t i = 0; i < manifest->member_count && !rc; i++) {
		const struct ark_member_info *member = &manifest->members[i];

		ark_progress_phase(progress, "deep verify 2/3: decompress",
				   member->stored_size, NULL);
		if (member->has_digest) {
			rc = check_table(reader, i, result->path, progress,
					 err);
			if (!rc) {
				result->tables_checked++;
				result->rows_checked +=
					member->content_digest.rows;
			}
		} else
			rc = ark_archive_extract_member(reader, i, discard,
							progress, err);
	}
	return rc;
}
