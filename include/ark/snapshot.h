/*
 * ark/snapshot.h - consistent snapshot of a live SQLite database into an
 * archive of kind "sqlite".
 *
 * The snapshot is one read transaction on the source: in WAL mode writers
 * keep committing while it runs; in rollback-journal mode they wait for it
 * (as for any SQLite reader).  Pages are streamed through SQLite's backup
 * API into zstd without a temporary copy of the database.
 *
 * The source is opened read-only, exactly by its path, and never written:
 * a hot rollback journal is refused (ARK_ERR_SOURCE), a cleanly closed WAL
 * database is read without creating -wal/-shm, and a -shm that SQLite must
 * create is removed again when no other connection uses the database (see
 * docs/man/ark-snapshot.1, "The database is never written").  The checks
 * open and close descriptors of the database file, which drops this
 * process's own POSIX locks on it: do not call ark_snapshot_run while this
 * process holds a SQLite connection to the same database.
 */
#ifndef ARK_SNAPSHOT_H
#define ARK_SNAPSHOT_H

#include <stdint.h>

#include "ark/archive.h"
#include "ark/error.h"

struct ark_snapshot_options {
	const char *db_path;
	const char *output;   /* directory or file; NULL = current directory;
				 a trailing '/' means a directory */
	int level;            /* zstd level, default 3 */
	int threads;          /* zstd workers, default: CPU count */
	int check;            /* integrity_check + row counts in the snapshot */
	int busy_timeout_ms;  /* wait this long for a lock, default 10000 */
	int progress;         /* draw progress on a terminal */
};

struct ark_snapshot_result {
	struct ark_archive_summary archive;
	uint64_t db_size;         /* bytes of the image archived */
	uint64_t page_size;
	uint64_t page_count;
	char journal_mode[16];
	int checked;              /* --check was run */
	char integrity[512];      /* "ok" or the first problems */
	double seconds;           /* wall time of the snapshot */
	json_t *manifest_source;  /* the source object (borrowed reference
				     owned by the result; free with
				     ark_snapshot_result_free) */
};

void ark_snapshot_options_init(struct ark_snapshot_options *options);

/*
 * Take the snapshot into <dir>/<stem>-<YYYYMMDDTHHMMSS.mmmZ>.ark (a later
 * millisecond when that name is taken, so concurrent runs never collide
 * and names sort in creation order) or into the file named.  Returns 0;
 * ARK_ERR_INTEGRITY when --check found problems, SQLITE_CORRUPT errors
 * while checking or counting included (the archive is written all the
 * same, its manifest records them); or another error, in which case no
 * file is left under a final name.
 */
int ark_snapshot_run(const struct ark_snapshot_options *options,
		     struct ark_snapshot_result *result,
		     struct ark_error *err);
void ark_snapshot_result_free(struct ark_snapshot_result *result);

#endif
