/*
 * sqlite_image_internal.h - the SQLite image inside an archive: find it,
 * write it to a file with every hash checked, and check the database.
 * Shared by verify (--deep) and restore.
 */
#ifndef ARK_SQLITE_IMAGE_INTERNAL_H
#define ARK_SQLITE_IMAGE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>

#include "ark/archive.h"

/* Index of the archive's sqlite-image member; ARK_ERR_CORRUPT if none. */
int ark_sqlite_image_find(const struct ark_archive_reader *reader,
			  const char *archive_path, size_t *index,
			  struct ark_error *err);

/* Decompress member index into fd (named path in messages), verified. */
int ark_sqlite_image_extract(struct ark_archive_reader *reader, size_t index,
			     int fd, const char *path,
			     struct ark_progress *progress,
			     struct ark_error *err);

/*
 * "file:<path>?<query>" naming exactly the file at path (relative paths
 * included, "file:x.db" too): '%', '?' and '#' percent-encoded, and a
 * leading "//" kept from being taken for an authority.  Open it with
 * SQLITE_OPEN_URI; sqlite3_free() the result (NULL when out of memory).
 */
char *ark_sqlite_file_uri(const char *path, const char *query);

/*
 * Which check the image needs, from what the hashes already prove (its
 * raw hash matched: these are exactly the bytes the snapshot read) and
 * what the archive records (ark-snapshot --check stores the source's
 * integrity_check, run in the same read transaction as the image):
 *   "integrity_check"  full_check, or the archive records a failed
 *                      integrity_check (the full check names the
 *                      problems of the restored bytes);
 *   "recorded"         the archive records a passing integrity_check: the
 *                      same bytes would give the same answer, no check;
 *   "quick_check"      otherwise: PRAGMA quick_check, O(N) where
 *                      integrity_check is O(N log N).
 */
const char *ark_sqlite_image_plan(const struct ark_manifest *manifest,
				  int full_check);

/* The bytes of a SQLite database header that ark_sqlite_image_header() reads. */
#define ARK_SQLITE_HEADER_SIZE 100

/*
 * The image's first bytes (len of them) against the manifest: the
 * "SQLite format 3" magic, the page size and, where the header's own
 * size field is valid, the page count.  Even an image whose check is
 * "recorded" must be the database the manifest describes; a forged
 * archive with matching hashes must not put something else in place.
 * ARK_ERR_CORRUPT naming archive_path when not.  An empty image (page
 * count 0) has no header.
 */
int ark_sqlite_image_header(const unsigned char *head, size_t len,
			    const struct ark_manifest *manifest,
			    const char *archive_path, struct ark_error *err);

/*
 * PRAGMA quick_check, or with full PRAGMA integrity_check (with a 32 MiB
 * page cache), on the file at path, opened immutable (no locks, no -wal
 * or -shm created).  Writes "ok" or the first problems to out.
 * ARK_ERR_INTEGRITY only when the database fails the check (problems
 * reported, or SQLite finds it corrupt or not a database); a file that
 * cannot be opened or read is ARK_ERR_READ with the cause (errno or
 * SQLite's message), out of memory ARK_ERR_INTERNAL.  progress (may be
 * NULL) advances with the pages read; the check's end cannot be known.
 */
int ark_sqlite_image_check(const char *path, int full, char *out,
			   size_t room, struct ark_progress *progress,
			   struct ark_error *err);

/*
 * Run PRAGMA quick_check(20), or with full integrity_check(20), on db:
 * "ok" or the first problems, joined by "; ", into out; *clean is 1 only
 * for "ok".  Returns a SQLite result code (SQLITE_OK when the check ran,
 * whatever it found).
 */
int ark_sqlite_check(sqlite3 *db, int full, char *out, size_t room,
		     int *clean);

/* ark_sqlite_check(db, 1, ...): the snapshot's --check. */
int ark_sqlite_integrity_check(sqlite3 *db, char *out, size_t room,
			       int *clean);

#endif
