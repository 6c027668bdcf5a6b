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
 * PRAGMA integrity_check on the file at path, opened immutable (no locks,
 * no -wal or -shm created).  Writes "ok" or the first problems to out;
 * ARK_ERR_INTEGRITY when not ok.
 */
int ark_sqlite_image_check(const char *path, char *out, size_t room,
			   struct ark_error *err);

/*
 * Run PRAGMA integrity_check(20) on db: "ok" or the first problems, joined
 * by "; ", into out; *clean is 1 only for "ok".  Returns a SQLite result
 * code (SQLITE_OK when the check ran, whatever it found).
 */
int ark_sqlite_integrity_check(sqlite3 *db, char *out, size_t room,
			       int *clean);

#endif
