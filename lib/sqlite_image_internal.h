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
 * 1 when the archive records that the source passed PRAGMA
 * integrity_check at snapshot time (ark-snapshot --check:
 * source.integrity_check is "ok").  The image's raw hash proves it holds
 * exactly the pages that check ran on (one read transaction), so a
 * second check of the same bytes would find the same.
 */
int ark_sqlite_image_recorded_ok(const struct ark_manifest *manifest);

/*
 * PRAGMA quick_check, or with full PRAGMA integrity_check (with a 32 MiB
 * page cache), on the file at path, opened immutable (no locks, no -wal
 * or -shm created).  Writes "ok" or the first problems to out.
 * ARK_ERR_INTEGRITY only when the database fails the check (problems
 * reported, or SQLite finds it corrupt or not a database); a file that
 * cannot be opened or read is ARK_ERR_READ with the cause (errno or
 * SQLite's message), out of memory ARK_ERR_INTERNAL.
 */
int ark_sqlite_image_check(const char *path, int full, char *out,
			   size_t room, struct ark_error *err);

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
