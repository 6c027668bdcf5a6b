/*
 * transfer_internal.h - what the files of the transfer share (lib/pg/
 * transfer.c: the run, workers, load, verify, swap, --resume,
 * --data-only; lib/pg/transfer_check.c: the check phase and --reject).
 * Not installed, not part of the library's interface.
 */
#ifndef ARK_PG_TRANSFER_INTERNAL_H
#define ARK_PG_TRANSFER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "ark/digest.h"
#include "ark/error.h"
#include "ark/fsio.h"
#include "ark/pg.h"
#include "ark/pgtext.h"
#include "ark/plan.h"
#include "ark/profile.h"
#include "ark/progress.h"
#include "ark/sqlite_schema.h"
#include "ark/sqlite_source.h"
#include "ark/transfer.h"

/* Widening a column restarts its table's check; a plan has no more than
 * a few steps per column, this bounds a bug. */
#define MAX_WIDEN_ROUNDS 64
/* Rows between looks at the stop flag and the progress counter. */
#define CHECK_EVERY 4096

enum phase { PHASE_INSPECT, PHASE_CHECK, PHASE_LOAD, PHASE_VERIFY, PHASE_SWAP };

struct transfer {
	const struct ark_transfer_options *options;
	struct ark_transfer_result *result;
	struct ark_sqlite_source *source;
	sqlite3 *db;                      /* the main read transaction */
	struct ark_sqlite_schema *schema;
	struct ark_profile *profile;
	struct ark_plan *plan;
	struct ark_pgtext_rules rules;
	struct ark_sqlite_source_copy *copy; /* for parallel readers */
	struct ark_pg *pg;                /* the main connection */
	char staging[64];
	int staging_created;
	int lock_held;
	const char *schema_name;
	struct ark_progress *progress;
	struct timespec phase_start;
	/* shared with the workers */
	pthread_mutex_t mutex;
	atomic_uint_fast64_t rows_done;
	atomic_int failed;
	struct ark_error worker_err;
	int worker_code;
	size_t next_job;
	size_t *order;                    /* plan tables, largest first */
	/* --reject: per plan table, the SQL tail that leaves the rejected
	 * rows out (NULL: none rejected) */
	char **reject_tails;
	struct ark_atomic_file *reject_file;
	sqlite3 *reject_db;               /* main: the file; src: the copy */
	unsigned char *reject_created;    /* per plan table: table made */
	int reject_code;                  /* first failure writing it */
	struct ark_error reject_err;
	size_t plan_tables;               /* for freeing reject_tails */
	/* per plan table: the digest of the check pass's lines (every row,
	 * a refused value marked), the source's identity for --resume */
	struct ark_digest *check_digests;
	/* --resume: per plan table, loaded by the run that stopped */
	unsigned char *resumed;
	int post_data_done;               /* --resume: so was post-data */
	size_t kept_tables;               /* resumed from the run that stopped */
	int staging_inherited;            /* --resume found the staging schema */
	atomic_size_t kept;               /* loaded and recorded by this run */
	/* the check pass is the load itself (transfer.c, fused_eligible) */
	int fused;
	/* the profile is light (ark_profile_scan_table_light): what a
	 * fused load needs; full_profile() before a check pass */
	int profile_light;
	int profile_full; /* full_profile() asked for it */
	/* transfer_archive.c: --archive, and a sqlite archive as SOURCE */
	struct transfer_archive *archive;
	struct ark_sqlite_archive_image *image;
};

/* transfer.c */
void ark_transfer_phase_begin(struct transfer *t, const char *label,
			      uint64_t total, const char *unit);
void ark_transfer_phase_end(struct transfer *t, enum phase phase);
const struct ark_sqlite_table *
ark_transfer_source_table(const struct transfer *t, size_t plan_table);

/* transfer_check.c */
int ark_transfer_check_phase(struct transfer *t, struct ark_error *err);
int ark_transfer_reject_open(struct transfer *t, struct ark_error *err);
int ark_transfer_reject_attach(struct transfer *t, sqlite3 *db,
			       struct ark_error *err);
int ark_transfer_reject_finish(struct transfer *t, int rc,
			       struct ark_error *err);

/* transfer_archive.c: a sqlite archive as SOURCE, and --archive */
struct ark_pgarchive_table;
/* Open options->source: a SQLite file, or a sqlite archive (verified,
 * its image in a private temporary, t->image) into t->source. */
int ark_transfer_source_open(struct transfer *t, struct ark_error *err);
/* --archive: its name, checked before any work (none: no-op). */
int ark_transfer_archive_prepare(struct transfer *t, struct ark_error *err);
/* --archive: open the writer and write the pre- and post-data SQL, once
 * the plan is final (after the check phase). */
int ark_transfer_archive_open(struct transfer *t, struct ark_error *err);
/* --archive: a member for plan_table, read from schema (staging or
 * target) with pg; *member NULL when no archive is written. */
int ark_transfer_archive_table_begin(struct transfer *t, struct ark_pg *pg,
				     const char *schema, size_t plan_table,
				     struct ark_pgarchive_table **member,
				     struct ark_error *err);
/* End it: rc (the read's result) returned; the member is kept only
 * when rc is 0 and actual equals expected (a table that differs fails
 * the run anyway), its digest checked against expected. */
int ark_transfer_archive_table_end(struct transfer *t, size_t plan_table,
				   struct ark_pgarchive_table *member, int rc,
				   const struct ark_digest *expected,
				   const struct ark_digest *actual,
				   struct ark_error *err);
/* At the end of the run: finish the archive when rc is 0 or
 * ARK_ERR_REJECTED (the target holds what the archive holds), else
 * remove it.  Returns the run's code (or the archive's failure). */
int ark_transfer_archive_finish(struct transfer *t, int rc,
				struct ark_error *err);

#endif
