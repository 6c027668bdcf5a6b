/*
 * ark/verify.h - prove an archive intact (ark-checksum-verify).
 */
#ifndef ARK_VERIFY_H
#define ARK_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"

struct ark_verify_options {
	int deep;           /* decompress, check raw hashes and the database
			       (quick_check, none when the archive records a
			       passing integrity_check) */
	int full_check;     /* with deep: PRAGMA integrity_check instead */
	int progress;       /* draw progress on a terminal */
	const char *tmpdir; /* for --deep's SQLite image; NULL = $TMPDIR,/tmp */
};

struct ark_verify_result {
	char path[4096];
	char kind[16];
	char created[32];
	size_t member_count;
	uint64_t file_size;
	uint64_t raw_bytes;
	int deep;
	char check[24];      /* --deep on a sqlite archive: "quick_check",
				"integrity_check" or "recorded" (a passing
				integrity_check recorded in the archive) */
	char integrity[512]; /* --deep on a sqlite archive: "ok" or problems */
	int digests_checked;   /* --deep checked tables' content digests */
	size_t tables_checked; /* --deep on a pg archive: table digests
				  recomputed and matching */
	uint64_t rows_checked; /* and their rows */
};

/*
 * Check every hash of every member and of the manifest (and with deep,
 * the raw content and the database inside).  0 when intact;
 * ARK_ERR_CORRUPT naming the first bad member and what is wrong;
 * ARK_ERR_READ when the file cannot be read; ARK_ERR_UNSUPPORTED for a
 * newer format version.
 */
int ark_verify_run(const char *path, const struct ark_verify_options *options,
		   struct ark_verify_result *result, struct ark_error *err);

struct ark_archive_reader;

/*
 * --list: open the archive at path and check what can be checked without
 * reading the data: the tar structure, the manifest against its hash, the
 * member list and the file's regenerated tail (ark_archive_reader_open).
 * The member data is not read.  On success *reader holds the manifest
 * (ark_archive_reader_manifest); free it with ark_archive_reader_free.
 */
int ark_verify_list(const char *path, struct ark_archive_reader **reader,
		    struct ark_error *err);

#endif
