/*
 * verify.c - ark-checksum-verify: every hash of an archive, and with
 * --deep the raw content and what it holds (the archive kind's deep
 * check, ark/kind.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/archive.h"
#include "ark/kind.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/verify.h"

int ark_verify_run(const char *path, const struct ark_verify_options *options,
		   struct ark_verify_result *result, struct ark_error *err)
{
	struct ark_archive_reader *reader = NULL;
	const struct ark_manifest *manifest;
	struct ark_progress *progress = NULL;
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
	rc = manifest->kind_entry->deep_check(reader, options, progress,
					      result, err);
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
