/*
 * ark/transfer.h - SQLite -> PostgreSQL that never loses a value
 * (lib/pg/transfer.c; the tool is ark-transfer).
 *
 * Phases:
 *  1. inspect: the source's schema (ark/sqlite_schema.h) and a profile of
 *     every column's values (ark/profile.h), in one read transaction;
 *  2. plan: PostgreSQL tables and types for it (ark/plan.h), then a check
 *     of every value against its planned type and of the data against
 *     the keys, NOT NULL and foreign keys: anything that cannot be carried
 *     stops the run here, before PostgreSQL is touched, every offender
 *     reported through on_refusal (or, with widen, the plan is relaxed
 *     until every value fits, each relaxation a plan note);
 *  3. load: tables created in a private staging schema, rows streamed
 *     with COPY (tables in parallel), then keys, indexes, foreign keys and
 *     identity positions;
 *  4. verify: every table's row count and content digest (ark/digest.h)
 *     on the PostgreSQL side equal to the source's;
 *  5. swap: the staging tables moved into the target schema in one
 *     transaction, so the target is either untouched or complete.
 * A failure before the swap leaves the target schema as it was: the
 * staging schema is dropped, or kept when it holds tables loaded before
 * a stop signal, a lost connection or a failed statement (each staging
 * table is loaded in a transaction that records it), so that
 * options.resume continues; a run without resume drops it.  One run per
 * target schema at a time (an advisory lock, taken before the source is
 * read).
 *
 * --data-only (options.data_only): no staging schema; the plan is pointed
 * at the existing tables (ark_plan_map_existing) before the check, and
 * the load is one transaction on one connection (tables locked, parents
 * first, verified, sequences moved, then COMMIT), so any failure leaves
 * every table as it was.
 *
 * --archive (options.archive): the loaded schema and data as a `pg`
 * archive (ark/pgarchive.h, docs/archive-format.md) in that directory
 * (or that new file), named as ark-snapshot names its archives
 * (ark/archive_name.h).  Each table's member is the COPY text the verify
 * phase reads back from PostgreSQL (one read, digested and archived),
 * so the archive holds what was verified; tables under the target
 * schema and names; pre-data the CREATE TABLE statements, post-data the
 * keys, indexes, CHECKs, identity positions and foreign keys.  With
 * data_only: no pre-data (the tables are the application's), the
 * sequence moves as post-data, the loaded columns of the loaded tables
 * (appending: the rows already there too), read inside the load's
 * transaction.  Written to a temporary in the directory and renamed
 * only once the run succeeded (or ended ARK_ERR_REJECTED); any failure
 * leaves no file.  Refused with plan_only (ARK_ERR_USAGE).
 *
 * SOURCE may be a `sqlite` archive (ark-snapshot's), told by its
 * content: verified fully first (ark/sqlite_archive.h), its image
 * written to a private 0600 temporary in tmpdir and transferred from
 * there, the temporary removed at the end whatever happens.  A damaged
 * archive stops the run with the archive's error (ARK_ERR_CORRUPT...)
 * before PostgreSQL is touched.
 *
 * --reject (options.reject_path): rows that cannot be carried (and rows
 * whose parent row is set aside) are copied into a new SQLite database
 * at that path instead of stopping the run; the rest is loaded and
 * verified; ARK_ERR_REJECTED then.  See lib/pg/transfer.c for the file.
 */
#ifndef ARK_TRANSFER_H
#define ARK_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "ark/digest.h"
#include "ark/error.h"
#include "ark/hash.h"
#include "ark/pgtext.h"

/* One value or row that cannot be carried, as the check finds it. */
struct ark_transfer_refusal {
	const char *table;    /* source table name */
	const char *row;      /* "rowid 17", "key (id=5)", "row 3" */
	const char *column;   /* source column, NULL for a whole row */
	const char *value;    /* a short preview, escaped; NULL when n/a */
	const char *reason;   /* why */
	int rejected;         /* --reject: the row was set aside in the
				 reject file (not a refusal of the run) */
};

/* --if-exists (--data-only): what to do with target tables holding rows. */
enum ark_transfer_if_exists {
	ARK_IF_EXISTS_REFUSE,    /* ARK_ERR_NOT_EMPTY naming the table */
	ARK_IF_EXISTS_TRUNCATE,  /* TRUNCATE them in the load's transaction */
	ARK_IF_EXISTS_APPEND,    /* add the rows; verify the rows added */
};

struct ark_transfer_options {
	const char *source;      /* the SQLite database file */
	const char *target;      /* conninfo or URI; NULL: DATABASE_URL or PG* */
	const char *schema;      /* target schema; default "public" */
	int jobs;                /* tables loaded at once; 0: CPU count */
	int plan_only;           /* --plan: inspect, plan, check; no server */
	int widen;               /* relax types and constraints to fit */
	int keep_case;           /* keep identifiers' case */
	enum ark_date_numbers date_numbers;
	int busy_timeout_ms;     /* source locks; default 10000 */
	const char *tmpdir;      /* for the private copy; default $TMPDIR */
	int progress;            /* draw progress on a terminal */
	/* --data-only: load into the existing tables of schema (matched by
	 * the identifier rules, converted to their column types), in one
	 * transaction, tables in foreign-key order; no staging schema. */
	int data_only;
	int ignore_missing;      /* leave out source tables/columns the
				    target lacks instead of refusing */
	enum ark_transfer_if_exists if_exists;
	/* Set rows that cannot be carried aside in this new file (a SQLite
	 * database: the source's table definitions with the rows as they
	 * were, and a table ark_rejects of reasons); NULL: refuse them. */
	const char *reject_path;
	/* Continue a run that stopped: keep the staging schema and the
	 * tables it recorded as loaded and verified (same source). */
	int resume;
	/* --archive: write the loaded schema and data as a pg archive into
	 * this directory (or this new file); NULL: none. */
	const char *archive;
	int archive_level;       /* zstd level; 0: 3 */
	/* Called for every refusal as it is found (from the calling
	 * thread); NULL: only counted. */
	void (*on_refusal)(void *context,
			   const struct ark_transfer_refusal *refusal);
	void *refusal_context;
};

struct ark_transfer_table {
	char *source_name;
	char *target_name;
	uint64_t rows_read;      /* rows of the source */
	uint64_t rows_loaded;    /* rows COPY reported */
	uint64_t converted;      /* values converted under a rule */
	uint64_t refused;        /* values/rows that cannot be carried */
	uint64_t rejected;       /* rows set aside (--reject) */
	uint64_t rows_before;    /* --if-exists=append: rows already there */
	int resumed;             /* --resume: loaded by an earlier run */
	int skipped;             /* --data-only: not in the target */
	struct ark_digest source_digest;
	struct ark_digest target_digest;
	int verified;            /* 1 equal, 0 differ, -1 not compared */
};

struct ark_transfer_result {
	size_t ntables;
	struct ark_transfer_table *tables;
	uint64_t refused;        /* total refusals */
	uint64_t rejected;       /* total rows set aside (--reject) */
	char *reject_path;       /* the reject file, when rows were set aside */
	size_t relaxed;          /* plan notes of relaxations (widen) */
	char *plan_text;         /* the plan for people (ark_plan_describe) */
	char *target;            /* conninfo without password */
	char *schema;
	int server_version;
	double seconds;
	double phase_seconds[5]; /* inspect, check, load, verify, swap */
	/* SOURCE was a sqlite archive: its path (NULL otherwise) */
	char *source_archive;
	/* --archive: the archive written (NULL when none was kept) */
	char *archive_path;
	uint64_t archive_size;   /* its bytes */
	struct ark_hash128 archive_hash; /* XXH3-128 of the whole file */
};

void ark_transfer_options_init(struct ark_transfer_options *options);

/*
 * Run the transfer.  0 when every table is loaded and verified equal;
 * ARK_ERR_UNCONVERTIBLE when values cannot be carried (nothing written);
 * ARK_ERR_REJECTED when done but rows were set aside (reject_path);
 * ARK_ERR_REFUSED when reject_path exists, when data_only finds no target
 * for a source table or column (without ignore_missing), when resume
 * finds the source or plan changed; ARK_ERR_NOT_EMPTY when a target
 * table exists (data_only: holds rows); ARK_ERR_MISMATCH when the
 * verification failed (nothing swapped in); ARK_ERR_PG_* for the server;
 * ARK_ERR_SOURCE / ARK_ERR_READ for the source, the archive reader's
 * codes (ARK_ERR_CORRUPT...) for a sqlite archive as source;
 * ARK_ERR_WRITE / ARK_ERR_REFUSED for --archive; ARK_ERR_LOCKED when
 * another transfer to the same schema runs; ARK_ERR_INTERRUPTED.
 * result is filled as far as the run got, also on failure.
 */
int ark_transfer_run(const struct ark_transfer_options *options,
		     struct ark_transfer_result *result,
		     struct ark_error *err);
void ark_transfer_result_free(struct ark_transfer_result *result);

#endif
