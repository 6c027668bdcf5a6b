/*
 * ark/pgbackup.h - ark-pg-backup: a consistent logical backup of a live
 * PostgreSQL database into a repository directory, with retention
 * (docs/repository.md, ark-pg-backup(1)).
 *
 * One run: lock the repository (REPO/.ark-pg-backup.lock, flock: an
 * overlapping run fails at once with ARK_ERR_LOCKED); remove the
 * temporaries a dead run left (the lock proves no run is alive); connect;
 * find a pg_dump at least as new as the server; open a REPEATABLE READ
 * READ ONLY transaction and export its snapshot (ark/pgsnapshot.h); in
 * parallel (a pool of --jobs threads shared with zstd): pg_dump
 * --snapshot --section=pre-data, and the large objects' data
 * (--section=data, no table data), then --section=post-data; every
 * ordinary table and partition leaf with its rows read by COPY TO in a
 * worker that adopted the snapshot, largest first, each into its own
 * member with row count and digest (ark/pgarchive.h).  Sequences' values
 * (read in the snapshot's transaction) become setval() calls at the head
 * of post-data, after the large objects' data.  The archive
 * REPO/<stem>-<YYYYMMDDTHHMMSS.mmmZ>.ark is written as a temporary,
 * fsynced, renamed; then verified (every hash re-read); only then is
 * retention applied to the repository's archives of this database.
 *
 * Not backed up, and listed in the result (skipped): tables of
 * extensions (CREATE EXTENSION makes them), unlogged tables on a hot
 * standby (their data is not there); views, materialized views (their
 * REFRESH is in post-data), foreign tables and partitioned parents hold
 * no rows of their own.  Large objects larger than
 * ARK_PGBACKUP_LARGE_OBJECTS_MAX in pg_dump's SQL are refused
 * (ARK_ERR_UNSUPPORTED), or left out with large_objects = 0.
 */
#ifndef ARK_PGBACKUP_H
#define ARK_PGBACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"
#include "ark/retention.h"

/* The most SQL the large objects' data may take (held in memory). */
#define ARK_PGBACKUP_LARGE_OBJECTS_MAX (64u * 1024u * 1024u)
/* The repository's lock file, in REPO. */
#define ARK_PGBACKUP_LOCK_NAME ".ark-pg-backup.lock"

struct ark_pgbackup_result;

struct ark_pgbackup_options {
	const char *conninfo; /* NULL: DATABASE_URL, else libpq's PG* */
	const char *repo_dir; /* must exist */
	const char *pg_dump;  /* NULL: search (pg/pgdump_internal.h) */
	int jobs;             /* thread budget 1..256 (workers + zstd) */
	int level;            /* zstd level */
	struct ark_retention_policy retention;
	int prune_dry_run;    /* list what retention would remove, keep it */
	int large_objects;    /* 1 (default): back them up; 0: leave out */
	int64_t now_ms;       /* the archive's time; 0: the clock (tests
				 set it, see ark-pg-backup(1)) */
	/* NULL, or called last, once the archive is written and verified and
	 * retention applied, with the repository still locked (--copy-to:
	 * ark/offsite.h); its non-zero result is the run's */
	int (*after)(void *context, const struct ark_pgbackup_result *result,
		     struct ark_error *err);
	void *after_context;
};

void ark_pgbackup_options_init(struct ark_pgbackup_options *options);

/* What happened to one file of the repository (an entry's fate). */
enum ark_pgbackup_fate {
	ARK_PGBACKUP_KEPT = ARK_RETENTION_KEPT, /* kept by retention
						   (reasons say why) */
	ARK_PGBACKUP_REMOVED,       /* removed by retention */
	ARK_PGBACKUP_WOULD_REMOVE,  /* --prune-dry-run: would be removed */
	ARK_PGBACKUP_BAD,           /* fails to open as a pg archive: left
				       in place, reported (detail) */
	ARK_PGBACKUP_LEFTOVER,      /* a dead run's temporary: removed */
	ARK_PGBACKUP_REMOVE_FAILED, /* retention could not remove it */
};

struct ark_pgbackup_skip {
	char schema[64];
	char name[64];
	const char *why; /* static text */
};

struct ark_pgbackup_result {
	char archive[4096];     /* the final path, once written */
	int written;            /* the archive is under its final name */
	int verified;           /* ...and passed verification */
	char database[256];
	char conninfo[1024];    /* without password */
	int server_version;     /* e.g. 150004 */
	int standby;            /* the server was in recovery */
	char pg_dump[4096];
	int pg_dump_major;
	uint64_t bytes;         /* the archive's size */
	uint64_t raw_bytes;     /* its members' raw size */
	size_t tables;
	uint64_t rows;
	size_t sequences;
	uint64_t large_objects; /* how many the database holds */
	int large_objects_included;
	int64_t created_unix;
	double seconds;
	struct ark_pgbackup_skip *skipped;
	size_t skipped_count;
	/* the repository, by name; fate: enum ark_pgbackup_fate */
	struct ark_retention_entry *entries;
	size_t entry_count;
	int retention_applied;
};

/* 0, or a negative ARK_ERR_*; result is filled as far as the run got. */
int ark_pgbackup_run(const struct ark_pgbackup_options *options,
		     struct ark_pgbackup_result *result,
		     struct ark_error *err);
void ark_pgbackup_result_free(struct ark_pgbackup_result *result);

#endif
