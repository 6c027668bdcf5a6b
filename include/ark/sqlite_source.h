/*
 * ark/sqlite_source.h - a SQLite database read as a source, never written
 * (lib/sqlite/source.c).  Used by ark-snapshot and ark-transfer.
 *
 * The database is opened read-only, exactly by its path (a name is never
 * taken for a URI), inside ONE read transaction held until close, so all
 * that is read through it comes from one committed state while writers
 * keep committing (WAL) or wait (rollback journal, as for any reader).
 *
 * The user's files are never written:
 *  - a hot rollback journal is refused (ARK_ERR_SOURCE), never rolled
 *    back; so is a WAL database with other names (hard links) whose WAL
 *    SQLite would not see through this name;
 *  - a -wal or -shm that SQLite must create to read a WAL database is
 *    removed again at close, under SQLite's EXCLUSIVE lock (so only when
 *    no other connection uses the database), a -wal only when empty;
 *  - with ARK_SQLITE_SOURCE_IMMUTABLE_OK in the options, a cleanly
 *    closed WAL database (no -wal, no -journal) is read immutable under a
 *    SHARED lock of our own, creating nothing at all.  Such a read
 *    stays valid only while no connection opens the database: the
 *    caller must ask ark_sqlite_source_changed() before trusting what it
 *    read, and read again when it says so (ark-snapshot and
 *    ark_sqlite_source_copy_file() do; their third attempt reads without
 *    the flag).
 *
 * Opening and closing inspect descriptors of the database file, which
 * drops this process's own POSIX locks on it: do not hold another SQLite
 * connection to the same database in this process meanwhile.
 */
#ifndef ARK_SQLITE_SOURCE_H
#define ARK_SQLITE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ark/error.h"
#include "ark/hash.h"

struct ark_sqlite_source; /* opaque */
struct ark_sqlite_source_copy; /* opaque */

/* ark_sqlite_source_options.flags */
#define ARK_SQLITE_SOURCE_IMMUTABLE_OK 1u

struct ark_sqlite_source_options {
	int busy_timeout_ms;  /* wait this long for a writer's lock */
	unsigned flags;       /* ARK_SQLITE_SOURCE_IMMUTABLE_OK, see above */
	const char *verb;     /* what the tool does, for advice in messages
				 ("then snapshot again"); NULL: "read" */
};

/* What the source's read transaction saw when it began. */
struct ark_sqlite_source_info {
	uint64_t file_size;       /* of the database file, at open */
	int64_t page_size;
	int64_t page_count;
	int64_t freelist_count;
	int64_t user_version;
	int64_t application_id;
	char journal_mode[16];    /* "wal", "delete", ... */
	struct ark_hash128 schema; /* docs/archive-format.md, schema_xxh128 */
	int immutable;            /* read immutable under our lock */
};

/*
 * Open path as a source with a read transaction begun (its first read,
 * the schema hash, is done), waiting up to busy_timeout_ms for a writer's
 * lock (stopping at once on a signal).  The view is consistent until
 * close.  Errors: ARK_ERR_READ (cannot open or read; not a regular file;
 * a -wal/-shm SQLite needs cannot be created), ARK_ERR_SOURCE (not a
 * SQLite 3 database, hot journal, locked past the timeout: "'PATH':
 * database is locked while reading the schema (another process holds a
 * write lock; raise --busy-timeout)"), ARK_ERR_INTERRUPTED,
 * ARK_ERR_INTERNAL.
 */
int ark_sqlite_source_open(const char *path, int busy_timeout_ms,
			   struct ark_sqlite_source **out,
			   struct ark_error *err);
/* The same with options (ark_sqlite_source_open: verb "read", no flags). */
int ark_sqlite_source_open_with(const char *path,
				const struct ark_sqlite_source_options *options,
				struct ark_sqlite_source **out,
				struct ark_error *err);

/*
 * End the read transaction, close the connection, remove the -wal/-shm
 * this open created (see above).  NULL is a no-op.
 */
void ark_sqlite_source_close(struct ark_sqlite_source *src);

/* The read-only connection (inside the read transaction) and the path. */
sqlite3 *ark_sqlite_source_db(const struct ark_sqlite_source *src);
const char *ark_sqlite_source_path(const struct ark_sqlite_source *src);
const struct ark_sqlite_source_info *
ark_sqlite_source_info(const struct ark_sqlite_source *src);

/*
 * 1 when the source was read immutable and a connection opened the
 * database meanwhile (a -wal or -journal appeared): what was read may be
 * torn; close and read again.  0 otherwise (always 0 without the flag).
 */
int ark_sqlite_source_changed(const struct ark_sqlite_source *src);

/*
 * The error SQLite just reported on the source's connection, as an ark
 * error saying what was being done ("reading the schema"): locked past
 * the timeout, hot journal, interrupted by a signal, or SQLite's message.
 */
int ark_sqlite_source_error(const struct ark_sqlite_source *src,
			    const char *doing, struct ark_error *err);

/*
 * The manifest's source object (docs/archive-format.md): path (resolved),
 * size, page_size, page_count, freelist_count, journal_mode,
 * user_version, application_id, schema_xxh128, sqlite_version, host.
 * New reference; NULL when out of memory.
 */
json_t *ark_sqlite_source_identity(const struct ark_sqlite_source *src);

/*
 * The rows of one table (any name; it is quoted here), in the read
 * transaction.  ark_sqlite_source_error() on failure.
 */
int ark_sqlite_source_count_rows(const struct ark_sqlite_source *src,
				 const char *table, int64_t *rows,
				 struct ark_error *err);

/*
 * PRAGMA integrity_check and the row count of every table (virtual ones
 * excepted), recorded in source (the identity object) as
 * "integrity_check" and "tables": [{"name", "rows"}, ...].  Damage SQLite
 * reports as SQLITE_CORRUPT (while checking, or counting a table) is a
 * finding, written to integrity like the check's own lines ("ok" when
 * none); *clean is 1 only when everything ran and found nothing.  Other
 * errors are returned.
 */
int ark_sqlite_source_check(const struct ark_sqlite_source *src,
			    json_t *source, char *integrity, size_t room,
			    int *clean, struct ark_error *err);

/*
 * A private consistent copy of the database as the source's read
 * transaction sees it, for readers in parallel: SQLite's backup API from
 * the source connection into a 0600 temporary ".ark-tmp-XXXXXX" in
 * tmpdir (NULL: $TMPDIR, else /tmp), registered with fsio so a stop
 * signal removes it.  The copy is never written again; it is opened
 * immutable (no locks, no -wal/-shm/-journal beside it).  Errors:
 * ARK_ERR_WRITE (tmpdir missing or not writable, not enough space: the
 * message says how much is needed), ark_sqlite_source_error() for the
 * source, ARK_ERR_INTERRUPTED.  A source read immutable that changed
 * during the copy is ARK_ERR_SOURCE (open it without the flag).
 *
 * About 1 s per 400 MiB, 10 MiB of memory (measured: see source.c).
 */
int ark_sqlite_source_copy(struct ark_sqlite_source *src, const char *tmpdir,
			   struct ark_sqlite_source_copy **out,
			   struct ark_error *err);
/*
 * Open path with options, copy it into tmpdir, close it: the copy of one
 * committed state, for a reader that needs nothing else from the source
 * (read the schema from the copy too).  With ARK_SQLITE_SOURCE_IMMUTABLE_OK
 * a cleanly closed WAL database is read immutable (nothing is created
 * beside it, and a read-only directory is no obstacle); should a
 * connection open the database meanwhile, it is read and copied again,
 * the last of three times through SQLite's own locking.  *identity (when
 * identity is not NULL) gets ark_sqlite_source_identity() of the state
 * copied.  The errors of ark_sqlite_source_open_with() and _copy().
 */
int ark_sqlite_source_copy_file(const char *path,
				const struct ark_sqlite_source_options *options,
				const char *tmpdir,
				struct ark_sqlite_source_copy **out,
				json_t **identity, struct ark_error *err);
/* Path of the copy (for messages; it goes away with the copy). */
const char *
ark_sqlite_source_copy_path(const struct ark_sqlite_source_copy *copy);
/*
 * A new read-only connection on the copy (one per worker; each may run
 * its own statements in parallel).  sqlite3_close() it before freeing
 * the copy.  ARK_ERR_READ when it cannot be opened.
 */
int ark_sqlite_source_copy_open(const struct ark_sqlite_source_copy *copy,
				sqlite3 **db, struct ark_error *err);
/* Remove the copy.  NULL is a no-op. */
void ark_sqlite_source_copy_free(struct ark_sqlite_source_copy *copy);

#endif
