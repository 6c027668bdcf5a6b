/*
 * ark/pgrestore.h - a `pg` archive into PostgreSQL (ark-restore ARCHIVE
 * [CONNINFO]; docs/archive-format.md "Kind pg", ark-restore(1)).
 *
 * Steps, each recorded in the result as it completes, so a failure can
 * say what the target holds:
 *   1. the archive is verified before anything is written: every stored
 *      byte against its hash, then the kind's deep check (every member
 *      decompressed, raw hashes and sizes, every table's rows and content
 *      digest recomputed): a corrupt or forged archive is ARK_ERR_CORRUPT
 *      and the server is not even connected to;
 *   2. the target: with create, CREATE DATABASE (from template0; the name
 *      is the conninfo's dbname) through the maintenance database
 *      "postgres" - ARK_ERR_REFUSED when it exists.  Otherwise the
 *      database must be empty where the archive goes: no relation in the
 *      schemas of its tables and the schemas its pre-data creates, and
 *      none of the latter existing - ARK_ERR_NOT_EMPTY naming one;
 *      clean drops what the archive creates first (below);
 *   3. pre-data: its statements in one transaction (with clean's drops);
 *   4. data: one COPY ... FROM STDIN per table, jobs tables at once, each
 *      on its own connection, the member streamed from the archive file
 *      (read by offset, decompressed, hashed and digested on the way:
 *      memory does not grow with a table);
 *   5. post-data: CREATE INDEX and ALTER TABLE ... ADD CONSTRAINT
 *      PRIMARY KEY/UNIQUE/CHECK/EXCLUDE statements jobs at once (session
 *      settings before them replayed on each connection), then the rest
 *      (foreign keys, triggers, comments...) in script order, in one
 *      transaction;
 *   6. verify: each table's COPY (SELECT columns) TO STDOUT digested and
 *      compared with the manifest's content_digest: ARK_ERR_MISMATCH
 *      naming the first table that differs.
 *
 * clean drops, in the pre-data's transaction, what the pre-data creates
 * (schemas, tables, views, sequences, types, domains, functions:
 * ark_sqlscript_drops(), DROP ... IF EXISTS ... CASCADE in reverse
 * order), and skips the emptiness check.
 *
 * tables (--table NAME): only those tables' data.  NAME is a table's name
 * (in whichever schema; two schemas holding it is an error) or
 * "schema.name".  Pre- and post-data are not run: the tables must exist
 * (ARK_ERR_REFUSED otherwise) and be empty (ARK_ERR_NOT_EMPTY), or with
 * clean they are emptied (TRUNCATE, in the transaction of their COPY).
 *
 * single_transaction: everything (drops, pre-data, data, post-data,
 * verification) in one transaction on one connection, committed only
 * when every digest matched: on any failure the target is as it was.
 *
 * A stop signal cancels the running statements: ARK_ERR_INTERRUPTED.
 */
#ifndef ARK_PGRESTORE_H
#define ARK_PGRESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "ark/digest.h"
#include "ark/error.h"

#define ARK_PGRESTORE_JOBS_MAX 64

struct ark_pgrestore_options {
	const char *archive;
	const char *conninfo; /* NULL: DATABASE_URL, else libpq's PG* */
	int create;
	int clean;
	int single_transaction;
	int jobs;                  /* tables at once, 1 .. 64 */
	const char *const *tables; /* --table NAME...; NULL: every table */
	size_t table_count;
	int progress;              /* draw progress on a terminal */
};

struct ark_pgrestore_table {
	char schema[64];
	char name[64];
	struct ark_digest expected; /* the manifest's content_digest */
	struct ark_digest actual;   /* the target's, once verified */
	uint64_t rows_loaded;       /* the server's count for the COPY */
	int loaded;                 /* its COPY is committed (or, in one
				       transaction, done) */
	int verified;               /* actual holds the target's digest */
	int equal;                  /* and it equals expected */
};

enum ark_pgrestore_step_state {
	ARK_PGRESTORE_NOT_RUN = 0,
	ARK_PGRESTORE_DONE,
	ARK_PGRESTORE_FAILED, /* rolled back: nothing of it kept */
	ARK_PGRESTORE_PARTIAL, /* post-data: some statements kept */
	ARK_PGRESTORE_SKIPPED, /* --table: not part of the run */
};

struct ark_pgrestore_result {
	char archive[4096];
	char target[1024];   /* the connection, without password */
	char database[256];  /* its name */
	int created_database;  /* --create made it */
	int single_transaction;
	int committed;         /* single transaction: it was committed */
	int touched;           /* something was written to the target */
	size_t dropped;        /* --clean: DROP statements run */
	enum ark_pgrestore_step_state pre_data;
	enum ark_pgrestore_step_state post_data;
	size_t pre_data_statements;
	size_t post_data_parallel;   /* post-data statements run at once */
	size_t post_data_statements; /* all of them */
	size_t table_count;
	struct ark_pgrestore_table *tables; /* the archive's, or --table's */
	size_t tables_loaded;
	uint64_t rows_loaded;
	int verify_done;
	double seconds;
};

/*
 * Restore; result is filled as far as the run got (tables allocated:
 * free with ark_pgrestore_result_free, also after a failure).  0 when
 * every table's digest matched.
 */
int ark_pgrestore_run(const struct ark_pgrestore_options *options,
		      struct ark_pgrestore_result *result,
		      struct ark_error *err);
void ark_pgrestore_result_free(struct ark_pgrestore_result *result);

#endif
