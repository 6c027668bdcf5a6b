/*
 * transfer.c - SQLite -> PostgreSQL (ark/transfer.h).
 *
 * The run is a sequence of phases over one struct transfer.  The source
 * is read in one read transaction (the main connection) and, for
 * parallel loading, from a private consistent copy made inside that
 * transaction, so every table comes from the same moment of the source.
 * Nothing is written to PostgreSQL until every value has been checked;
 * then everything is built in a staging schema and swapped into the
 * target schema in one transaction once verified.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pg/pq_internal.h"
#include <sqlite3.h>

#include "ark/buf.h"
#include "ark/digest.h"
#include "ark/fsio.h"
#include "ark/hash.h"
#include "ark/log.h"
#include "ark/pg.h"
#include "ark/pgarchive.h"
#include "ark/pgtext.h"
#include "ark/plan.h"
#include "ark/profile.h"
#include "ark/progress.h"
#include "ark/rows.h"
#include "ark/sqlite_archive.h"
#include "ark/sqlite_schema.h"
#include "ark/sqlite_source.h"
#include "ark/text.h"
#include "ark/transfer.h"
#include "pg/transfer_internal.h"


static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

void ark_transfer_phase_begin(struct transfer *t, const char *label,
			      uint64_t total, const char *unit)
{
	clock_gettime(CLOCK_MONOTONIC, &t->phase_start);
	ark_progress_phase(t->progress, label, total, unit);
	ark_log(ARK_LOG_DEBUG, "%s", label);
}

void ark_transfer_phase_end(struct transfer *t, enum phase phase)
{
	t->result->phase_seconds[phase] = seconds_since(&t->phase_start);
}


/* ---- workers: one SQLite reader and one PostgreSQL connection each ---- */

struct worker {
	struct transfer *t;
	sqlite3 *db;
	struct ark_pg *pg;
	int own_db;
	struct ark_buf buf;
	struct ark_error err;
};

typedef int (*table_job)(struct worker *w, size_t plan_table,
			 struct ark_error *err);

static int worker_failed(struct worker *w, int rc)
{
	struct transfer *t = w->t;

	pthread_mutex_lock(&t->mutex);
	if (!t->worker_code) {
		t->worker_code = rc;
		t->worker_err = w->err;
	}
	pthread_mutex_unlock(&t->mutex);
	atomic_store(&t->failed, 1);
	return rc;
}

/* What a job needs of its worker: a reader of the source, a connection
 * to PostgreSQL. */
#define NEED_DB 1
#define NEED_PG 2

/*
 * The staging tables are only kept once the swap (on the main
 * connection, durable) has moved them into place, and a commit's WAL
 * is flushed with every record before it: their loads need not wait
 * for their own flush.  Index builds sort in memory up to
 * maintenance_work_mem (the server's, not ark's).
 */
#define WORKER_SESSION "SET synchronous_commit = off; " \
		       "SET maintenance_work_mem = '256MB'"

static int worker_open(struct worker *w, int need, struct ark_error *err)
{
	struct transfer *t = w->t;
	int rc;

	if (need & NEED_DB) {
		if (t->copy) {
			if ((rc = ark_sqlite_source_copy_open(t->copy, &w->db, err)))
				return rc;
			w->own_db = 1;
			if (t->reject_tails &&
			    (rc = ark_transfer_reject_attach(t, w->db, err)))
				return rc;
		} else {
			w->db = t->db;
		}
	}
	if (!(need & NEED_PG))
		return 0;
	if ((rc = ark_pg_connect(t->options->target, "ark-transfer", &w->pg,
				 err)))
		return rc;
	return ark_pg_exec(w->pg, WORKER_SESSION, err);
}

static void worker_close(struct worker *w)
{
	if (w->own_db)
		sqlite3_close(w->db);
	ark_pg_free(w->pg);
	ark_buf_free(&w->buf);
}

struct pool_run {
	struct transfer *t;
	table_job job;
	int need;
	const size_t *order;  /* the jobs' arguments, in the order taken */
	size_t count;
};

static void *worker_main(void *arg)
{
	struct pool_run *run = arg;
	struct transfer *t = run->t;
	struct worker w = { .t = t, .buf = ARK_BUF_INIT };
	size_t job;
	int rc;

	ark_error_clear(&w.err);
	if ((rc = worker_open(&w, run->need, &w.err))) {
		worker_failed(&w, rc);
		goto done;
	}
	for (;;) {
		if (atomic_load(&t->failed))
			break;
		pthread_mutex_lock(&t->mutex);
		job = t->next_job < run->count ? run->order[t->next_job++]
					       : SIZE_MAX;
		pthread_mutex_unlock(&t->mutex);
		if (job == SIZE_MAX)
			break;
		if ((rc = run->job(&w, job, &w.err))) {
			worker_failed(&w, rc);
			break;
		}
	}
done:
	worker_close(&w);
	return NULL;
}

/*
 * Without a private copy, workers may share the main connection (its
 * read transaction is the consistent view) when it is serialized: each
 * prepares its own statements, SQLite steps one at a time, and the
 * conversion to COPY text, the larger part of a row's cost, runs in
 * parallel.  It saves writing a copy of the whole database.
 */
static int shared_reader(const struct transfer *t)
{
	return sqlite3_db_mutex(t->db) != NULL;
}

/*
 * Run job for each of count items of order on jobs threads, drawing
 * progress from the main thread.  First error wins.
 */
static int run_jobs(struct transfer *t, table_job job, int need,
		    const size_t *order, size_t count, struct ark_error *err)
{
	struct pool_run run = { t, job, need, order, count };
	pthread_t threads[64];
	size_t nthreads, i, started = 0;
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int rc = 0;

	nthreads = (size_t)t->options->jobs;
	if (nthreads > count)
		nthreads = count;
	if (nthreads > 64)
		nthreads = 64;
	if ((need & NEED_DB) && !t->copy && !shared_reader(t))
		nthreads = 1; /* one reader: the main transaction */
	if (nthreads == 0)
		return 0;
	t->next_job = 0;
	atomic_store(&t->failed, 0);
	atomic_store(&t->rows_done, 0);
	t->worker_code = 0;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker_main, &run) != 0) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "cannot start a worker thread");
			atomic_store(&t->failed, 1);
			break;
		}
		started++;
	}
	/* The main thread only watches: progress, and the stop flag. */
	for (;;) {
		pthread_mutex_lock(&t->mutex);
		int finished = t->next_job >= count ||
			       atomic_load(&t->failed);
		pthread_mutex_unlock(&t->mutex);
		ark_progress_update(t->progress, atomic_load(&t->rows_done));
		if (finished || ark_fsio_interrupted())
			break;
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (rc == 0 && t->worker_code) {
		*err = t->worker_err;
		rc = t->worker_code;
	}
	if (rc == 0)
		rc = ark_fsio_check_interrupt(err);
	return rc;
}

/* run_jobs() over every plan table, largest first. */
static int run_tables(struct transfer *t, table_job job, int need,
		      struct ark_error *err)
{
	return run_jobs(t, job, need, t->order, t->plan->ntables, err);
}

/* "staging"."table" ("c1", "c2") */
static void append_target_columns(struct ark_buf *out,
				  const struct ark_plan_table *pt)
{
	size_t i, n = 0;

	ark_buf_append_str(out, " (");
	for (i = 0; i < pt->ncolumns; i++) {
		if (pt->columns[i].skipped)
			continue;
		if (n++)
			ark_buf_append_str(out, ", ");
		ark_pg_append_ident(out, pt->columns[i].name);
	}
	ark_buf_append_char(out, ')');
}

/* ---- phase 3: COPY every table into the staging schema ---- */

static int copy_sink(void *context, const char *data, size_t len,
		     struct ark_error *err)
{
	struct worker *w = context;

	if (atomic_load(&w->t->failed))
		return ark_error_set(err, ARK_ERR_INTERRUPTED, 0,
				     "stopped: another table failed");
	return ark_pg_copy_in_put(w->pg, data, len, err);
}

/*
 * COPY one table's rows (rejected rows left out) into schema.table.
 * freeze: the table was created or truncated in this transaction, so
 * the rows are written frozen (COPY FREEZE): nothing rewrites their
 * pages later to set hint bits (the index builds and the verification
 * read them right away).
 */
static int copy_into(struct worker *w, size_t plan_table, const char *schema,
		     int freeze, struct ark_error *err)
{
	struct transfer *t = w->t;
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	struct ark_transfer_table *tr = &t->result->tables[plan_table];
	struct ark_rows_stream stream = {
		.db = w->db, .table = ark_transfer_source_table(t, plan_table), .plan = pt,
		.rules = &t->rules, .sink = copy_sink, .sink_context = w,
		.progress = &t->rows_done,
		.tail = t->reject_tails ? t->reject_tails[plan_table] : NULL,
	};
	uint64_t loaded = 0;
	int rc, copying = 0;

	ark_buf_reset(&w->buf);
	ark_buf_append_str(&w->buf, "COPY ");
	ark_pg_append_qualified(&w->buf, schema, pt->name);
	if (pt->ncolumns)
		append_target_columns(&w->buf, pt);
	ark_buf_append_str(&w->buf, freeze ? " FROM STDIN WITH (FREEZE)"
					   : " FROM STDIN");
	if (ark_buf_failed(&w->buf)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_pg_copy_in_begin(w->pg, w->buf.data, err)))
		goto cleanup;
	copying = 1;
	if ((rc = ark_rows_stream(&stream, &w->buf, err)))
		goto cleanup;
	copying = 0;
	if ((rc = ark_pg_copy_in_end(w->pg, &loaded, err)))
		goto cleanup;
	if (loaded != stream.rows) {
		rc = ark_error_set(err, ARK_ERR_MISMATCH, 0,
				   "%" PRIu64 " rows sent, the server loaded "
				   "%" PRIu64, stream.rows, loaded);
		goto cleanup;
	}
	tr->rows_loaded = loaded;
	tr->source_digest = stream.digest;
	if (t->fused) /* else the check pass counted them */
		tr->converted = stream.converted;
cleanup:
	if (copying)
		ark_pg_copy_in_abort(w->pg, "ark-transfer stopped");
	if (rc && rc != ARK_ERR_INTERRUPTED)
		ark_error_prefix(err, "loading table \"%s\"",
				 ark_transfer_source_table(t, plan_table)->name);
	return rc;
}

static int load_table(struct worker *w, size_t plan_table,
		      struct ark_error *err)
{
	struct transfer *t = w->t;
	struct ark_transfer_table *tr = &t->result->tables[plan_table];
	int rc;

	if ((rc = copy_into(w, plan_table, t->staging, 1, err)))
		return rc;
	if (t->fused) {
		/* the load was the check pass: every value converted (one
		 * that does not stops it), so its lines are the check's */
		tr->rows_read = tr->source_digest.rows;
		t->check_digests[plan_table] = tr->source_digest;
	}
	if (tr->rows_loaded + tr->rejected != tr->rows_read)
		ark_log(ARK_LOG_WARN, "table \"%s\": %" PRIu64 " rows checked, "
			"%" PRIu64 " loaded", ark_transfer_source_table(w->t, plan_table)->name,
			tr->rows_read, tr->rows_loaded);
	return 0;
}

/* ---- phase 4: the server's rows, digested from COPY TO ---- */

/* The stream read back: digested, and archived (--archive). */
struct digest_tee {
	struct ark_digest_stream stream;
	struct ark_pgarchive_table *member;
};

static int digest_sink(void *context, const char *data, size_t len,
		       struct ark_error *err)
{
	struct digest_tee *tee = context;

	ark_digest_stream_feed(&tee->stream, data, len);
	return tee->member ? ark_pgarchive_table_write(tee->member, data, len,
						       err)
			   : 0;
}

/*
 * The digest of the plan table's columns as PostgreSQL holds them in
 * schema: COPY (SELECT <columns> FROM schema.table) TO STDOUT, digested
 * as it streams, and written to member too (--archive) when not NULL.
 * own_table: a table ark made (a plain table with columns): COPY
 * schema.table (<columns>) TO STDOUT, the same lines without the
 * executor (an application's table may be partitioned, which only the
 * query form reads).
 */
static int digest_target(struct ark_pg *pg, struct ark_buf *buf,
			 const char *schema, int own_table,
			 const struct ark_plan_table *pt,
			 struct ark_pgarchive_table *member,
			 struct ark_digest *out, struct ark_error *err)
{
	struct digest_tee tee = { .member = member };
	struct ark_digest_stream *stream = &tee.stream;
	size_t i, n = 0;
	int rc;

	own_table = own_table && pt->ncolumns > 0;
	ark_buf_reset(buf);
	if (own_table) {
		ark_buf_append_str(buf, "COPY ");
		ark_pg_append_qualified(buf, schema, pt->name);
		append_target_columns(buf, pt);
		ark_buf_append_str(buf, " TO STDOUT");
	} else {
		ark_buf_append_str(buf, "COPY (SELECT ");
		for (i = 0; i < pt->ncolumns; i++) {
			if (pt->columns[i].skipped)
				continue;
			if (n++)
				ark_buf_append_str(buf, ", ");
			ark_pg_append_ident(buf, pt->columns[i].name);
		}
		ark_buf_append_str(buf, " FROM ");
		ark_pg_append_qualified(buf, schema, pt->name);
		ark_buf_append_str(buf, ") TO STDOUT");
	}
	if (ark_buf_failed(buf))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if ((rc = ark_digest_stream_begin(stream, err)))
		return rc;
	rc = ark_pg_copy_out(pg, buf->data, digest_sink, &tee, err);
	if (rc) {
		ark_digest_stream_abandon(stream);
		ark_error_prefix(err, "verifying table \"%s\"", pt->name);
		return rc;
	}
	if ((rc = ark_digest_stream_end(stream, pt->name, err)))
		return rc;
	*out = stream->digest;
	return 0;
}

static int verify_table(struct worker *w, size_t plan_table,
			struct ark_error *err)
{
	struct transfer *t = w->t;
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	struct ark_transfer_table *tr = &t->result->tables[plan_table];
	struct ark_pgarchive_table *member = NULL;
	int rc;

	if ((rc = ark_transfer_archive_table_begin(t, w->pg, t->staging,
						   plan_table, &member, err)))
		return rc;
	rc = digest_target(w->pg, &w->buf, t->staging, 1, pt, member,
			   &tr->target_digest, err);
	if ((rc = ark_transfer_archive_table_end(t, plan_table, member, rc,
						 &tr->source_digest,
						 &tr->target_digest, err)))
		return rc;
	tr->verified = ark_digest_equal(&tr->source_digest,
					&tr->target_digest);
	return 0;
}

/* ---- PostgreSQL: lock, staging schema, swap ---- */

static int64_t lock_key(const char *schema)
{
	struct ark_buf text = ARK_BUF_INIT;
	struct ark_hash128 hash;

	ark_buf_append_str(&text, "ark-transfer\n");
	ark_buf_append_str(&text, schema);
	hash = ark_hash_buffer(text.data ? text.data : "", text.len);
	ark_buf_free(&text);
	return (int64_t)hash.low;
}

static int take_lock(struct transfer *t, struct ark_error *err)
{
	struct ark_buf out = ARK_BUF_INIT;
	char key[32];
	const char *params[1] = { key };
	struct ark_hash128 name;
	int is_null = 0, rc;

	snprintf(key, sizeof(key), "%" PRId64, lock_key(t->schema_name));
	rc = ark_pg_query_value(t->pg, "SELECT pg_try_advisory_lock($1::bigint)",
				1, params, &out, &is_null, err);
	if (rc == 0 && (is_null || strcmp(out.data, "t") != 0))
		rc = ark_error_set(err, ARK_ERR_LOCKED, 0,
				   "another ark-transfer into schema \"%s\" of "
				   "database \"%s\" is running",
				   t->schema_name, ark_pg_database(t->pg));
	if (rc == 0)
		t->lock_held = 1;
	ark_buf_free(&out);
	name = ark_hash_buffer(t->schema_name, strlen(t->schema_name));
	snprintf(t->staging, sizeof(t->staging), "ark_staging_%016" PRIx64,
		 name.low);
	return rc;
}

/* Relation names in schema (tables, views, sequences, indexes...), as a
 * result the caller frees. */
static int schema_relations(struct ark_pg *pg, const char *schema,
			    struct ark_pg_result **out, struct ark_error *err)
{
	const char *params[1] = { schema };

	return ark_pg_query(pg,
			    "SELECT c.relname FROM pg_class c JOIN "
			    "pg_namespace n ON n.oid = c.relnamespace "
			    "WHERE n.nspname = $1",
			    1, params, out, err);
}

/* What a pg_class.relkind (or 'T', a type of no relation) is, for
 * people. */
static const char *relkind_words(const char *relkind)
{
	switch (relkind[0]) {
	case 'r': return "a table";
	case 'p': return "a partitioned table";
	case 'i': return "an index";
	case 'I': return "a partitioned index";
	case 'S': return "a sequence";
	case 'v': return "a view";
	case 'm': return "a materialized view";
	case 'f': return "a foreign table";
	case 'c': return "a composite type";
	case 't': return "a TOAST table";
	default: return "a type";
	}
}

/*
 * A name the plan creates in the schema, taken there: the tables, and
 * the relations that move with them at the swap (the indexes of primary
 * keys, unique constraints and indexes, identity sequences), against
 * every relation of the schema (tables, indexes, sequences, views,
 * materialized views, foreign tables, composite types) and every other
 * type (a table's row type would collide with it).  Refused before the
 * load (ARK_ERR_NOT_EMPTY), not at the swap.
 */
static int taken(const struct ark_pg_result *res, const char *name)
{
	int r;

	for (r = 0; name && r < ark_pg_result_rows(res); r++)
		if (strcmp(ark_pg_result_value(res, r, 0), name) == 0)
			return r;
	return -1;
}

static int check_target(struct transfer *t, struct ark_error *err)
{
	const char *params[1] = { t->schema_name };
	struct ark_pg_result *res = NULL;
	const char *what = NULL, *name = NULL;
	size_t i, j;
	int r = -1, rc;

	if ((rc = ark_pg_query(t->pg,
			       "SELECT c.relname, c.relkind::text FROM "
			       "pg_class c JOIN pg_namespace n ON n.oid = "
			       "c.relnamespace WHERE n.nspname = $1 "
			       "UNION ALL SELECT y.typname, 'T' FROM pg_type y "
			       "JOIN pg_namespace n ON n.oid = y.typnamespace "
			       "WHERE n.nspname = $1 AND y.typrelid = 0",
			       1, params, &res, err)))
		return rc;
	for (i = 0; i < t->plan->ntables && r < 0; i++) {
		const struct ark_plan_table *pt = &t->plan->tables[i];

		if ((r = taken(res, pt->name)) >= 0) {
			const char *kind = ark_pg_result_value(res, r, 1);

			rc = ark_error_set(err, ARK_ERR_NOT_EMPTY, 0,
					   "schema \"%s\" already has a %s "
					   "\"%s\"; transfer into another "
					   "--schema, or drop it first",
					   t->schema_name,
					   kind[0] == 'T' ? "type" : "relation",
					   pt->name);
			break;
		}
		for (j = 0; j < pt->nuniques && r < 0; j++)
			if (!pt->uniques[j].dropped &&
			    (r = taken(res, name = pt->uniques[j].name)) >= 0)
				what = pt->uniques[j].primary
					       ? "the index of the primary key"
					       : "the index of a unique "
						 "constraint";
		for (j = 0; j < pt->nindexes && r < 0; j++)
			if (!pt->indexes[j].dropped &&
			    (r = taken(res, name = pt->indexes[j].name)) >= 0)
				what = pt->indexes[j].unique ? "a unique index"
							     : "an index";
		if (r < 0 && (r = taken(res, name = pt->identity_sequence)) >= 0)
			what = "the identity's sequence";
		if (r >= 0)
			rc = ark_error_set(err, ARK_ERR_NOT_EMPTY, 0,
					   "schema \"%s\" already has %s "
					   "\"%s\", the name the plan gives %s "
					   "of table \"%s\"; transfer into "
					   "another --schema, or drop it first",
					   t->schema_name,
					   relkind_words(ark_pg_result_value(res, r, 1)),
					   name, what, pt->name);
	}
	ark_pg_result_free(res);
	return rc;
}

static int schema_exists(struct ark_pg *pg, const char *schema, int *exists,
			 struct ark_error *err)
{
	struct ark_buf out = ARK_BUF_INIT;
	const char *params[1] = { schema };
	int is_null, rc;

	rc = ark_pg_query_value(pg,
				"SELECT EXISTS (SELECT 1 FROM pg_namespace "
				"WHERE nspname = $1)::text",
				1, params, &out, &is_null, err);
	*exists = rc == 0 && strcmp(out.data, "true") == 0;
	ark_buf_free(&out);
	return rc;
}

/*
 * --resume: what the staging schema records.  Its comment names the plan
 * it was made for, "ark-transfer plan <hash>" (the hash of the pre- and
 * post-data SQL and of whether rows are set aside: a change of the
 * source's schema, of an identity position or of the options changes
 * it), and " post-data" once the foreign keys are made (in the
 * transaction that made them).  Each staging table is loaded, given its
 * keys, indexes, CHECKs and identity position, in a transaction that
 * also sets its comment, "ark-transfer loaded <check digest> <loaded
 * digest>": the digest of the table's lines as the check pass read them
 * (every row: the source's content) and of the rows loaded.  So a table
 * is either recorded and complete, or empty; a run that stopped
 * anywhere leaves a state the next --resume can trust.
 */
#define PLAN_COMMENT "ark-transfer plan "
#define LOADED_COMMENT "ark-transfer loaded "
#define POST_DATA_MARK " post-data"

static int plan_identity(struct transfer *t, char *out, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	int rc;

	if ((rc = ark_plan_pre_data_sql(t->plan, t->staging, &sql, err)) ||
	    (rc = ark_plan_post_data_sql(t->plan, t->staging, &sql, err)))
		goto cleanup;
	ark_buf_appendf(&sql, "\nreject %d\n", t->options->reject_path != NULL);
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	ark_hash_to_hex(ark_hash_buffer(sql.data, sql.len), out);
cleanup:
	ark_buf_free(&sql);
	return rc;
}

/* "<rows>:<32 hex>" as ark_digest_format() writes it: 0 or -1. */
static int parse_digest(const char *text, size_t len, struct ark_digest *out)
{
	char hex[ARK_HASH_HEX_LEN + 1];
	const char *colon = memchr(text, ':', len);
	char *end;

	if (!colon || (size_t)(text + len - colon - 1) != ARK_HASH_HEX_LEN ||
	    colon == text || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	out->rows = strtoull(text, &end, 10);
	if (errno || end != colon)
		return -1;
	memcpy(hex, colon + 1, ARK_HASH_HEX_LEN);
	hex[ARK_HASH_HEX_LEN] = '\0';
	return ark_hash_from_hex(hex, &out->sum);
}

/* A staging schema kept by a run that stopped: which tables it loaded,
 * refusing when the source or the plan changed since. */
static int read_resume_state(struct transfer *t, const char *identity,
			     struct ark_error *err)
{
	const char *params[1] = { t->staging };
	struct ark_pg_result *res = NULL;
	struct ark_buf expect = ARK_BUF_INIT, out = ARK_BUF_INIT;
	char check[ARK_DIGEST_TEXT_MAX];
	int is_null, r, rc;
	size_t i;

	rc = ark_pg_query_value(t->pg,
				"SELECT coalesce(obj_description(oid, "
				"'pg_namespace'), '') FROM pg_namespace WHERE "
				"nspname = $1",
				1, params, &out, &is_null, err);
	if (rc)
		goto cleanup;
	ark_buf_append_str(&expect, PLAN_COMMENT);
	ark_buf_append_str(&expect, identity);
	if (ark_buf_failed(&expect)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (strcmp(out.data, expect.data) == 0) {
		t->post_data_done = 0;
	} else if (strncmp(out.data, expect.data, expect.len) == 0 &&
		   strcmp(out.data + expect.len, POST_DATA_MARK) == 0) {
		t->post_data_done = 1;
	} else {
		rc = ark_error_set(err, ARK_ERR_REFUSED, 0,
				   "--resume: the staging schema \"%s\" was "
				   "made for another plan (the source's schema "
				   "or identity positions, or the options, "
				   "changed since the run that stopped); run "
				   "without --resume to start over",
				   t->staging);
		goto cleanup;
	}
	rc = ark_pg_query(t->pg,
			  "SELECT c.relname, obj_description(c.oid, "
			  "'pg_class') FROM pg_class c JOIN pg_namespace n "
			  "ON n.oid = c.relnamespace WHERE n.nspname = $1 "
			  "AND c.relkind = 'r'",
			  1, params, &res, err);
	if (rc)
		goto cleanup;
	for (i = 0; i < t->plan->ntables; i++) {
		struct ark_transfer_table *tr = &t->result->tables[i];

		for (r = 0; r < ark_pg_result_rows(res); r++) {
			const char *comment = ark_pg_result_value(res, r, 1);
			const char *space;
			struct ark_digest loaded;

			if (strcmp(ark_pg_result_value(res, r, 0),
				   t->plan->tables[i].name) != 0)
				continue;
			if (!comment || strncmp(comment, LOADED_COMMENT,
						strlen(LOADED_COMMENT)) != 0)
				break; /* not loaded: loaded again */
			comment += strlen(LOADED_COMMENT);
			space = strchr(comment, ' ');
			ark_digest_format(&t->check_digests[i], check);
			if (!space ||
			    parse_digest(space + 1, strlen(space + 1),
					 &loaded) != 0 ||
			    (size_t)(space - comment) != strlen(check) ||
			    memcmp(comment, check, strlen(check)) != 0) {
				rc = ark_error_set(err, ARK_ERR_REFUSED, 0,
					"--resume: table \"%s\" changed in the "
					"source since the run that stopped; run "
					"without --resume to start over",
					tr->source_name);
				goto cleanup;
			}
			t->resumed[i] = 1;
			tr->resumed = 1;
			tr->source_digest = loaded;
			tr->rows_loaded = loaded.rows;
			break;
		}
	}
	rc = 0;
cleanup:
	ark_pg_result_free(res);
	ark_buf_free(&expect);
	ark_buf_free(&out);
	return rc;
}


/*
 * The staging schema needs CREATE on the database, which an application
 * role often lacks even where it may create tables in the target schema:
 * say so, and what to grant, before anything is created.
 */
static int check_create_privilege(struct transfer *t, struct ark_error *err)
{
	struct ark_pg_result *res = NULL;
	int rc;

	rc = ark_pg_query(t->pg,
			  "SELECT has_database_privilege(current_database(), "
			  "'CREATE')::text, current_user::text, "
			  "current_database()::text",
			  0, NULL, &res, err);
	if (rc == 0 && strcmp(ark_pg_result_value(res, 0, 0), "true") != 0)
		rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
				   "role \"%s\" may not create schemas in "
				   "database \"%s\": ark-transfer builds the "
				   "tables in a staging schema and moves them "
				   "into \"%s\" once verified; allow it with "
				   "GRANT CREATE ON DATABASE \"%s\" TO \"%s\"",
				   ark_pg_result_value(res, 0, 1),
				   ark_pg_result_value(res, 0, 2),
				   t->schema_name,
				   ark_pg_result_value(res, 0, 2),
				   ark_pg_result_value(res, 0, 1));
	ark_pg_result_free(res);
	return rc;
}
static int create_staging(struct transfer *t, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	char identity[ARK_HASH_HEX_LEN + 1];
	int exists, rc;
	size_t i, resumed = 0;

	if ((rc = plan_identity(t, identity, err)) ||
	    (rc = schema_exists(t->pg, t->staging, &exists, err)))
		return rc;
	if (exists && t->options->resume) {
		/* We hold the lock: it is a stopped run's, to continue. */
		t->staging_created = 1;
		t->staging_inherited = 1;
		if ((rc = read_resume_state(t, identity, err)))
			return rc;
		for (i = 0; i < t->plan->ntables; i++)
			resumed += t->resumed[i];
		t->kept_tables = resumed;
		ark_log(ARK_LOG_INFO, "resuming: %zu of %zu tables were loaded "
			"by the run that stopped", resumed, t->plan->ntables);
		return 0;
	}
	if (exists) {
		/* We hold the lock: it is a dead run's. */
		ark_log(ARK_LOG_WARN, "dropping schema \"%s\" left by an "
			"ark-transfer that did not finish", t->staging);
		ark_buf_append_str(&sql, "DROP SCHEMA ");
		ark_pg_append_ident(&sql, t->staging);
		ark_buf_append_str(&sql, " CASCADE");
		if ((rc = ark_pg_exec(t->pg, sql.data, err)))
			goto cleanup;
		ark_buf_reset(&sql);
	} else if (t->options->resume) {
		ark_log(ARK_LOG_INFO, "nothing to resume in schema \"%s\": "
			"starting from the beginning", t->schema_name);
	}
	if ((rc = check_create_privilege(t, err)))
		goto cleanup;
	ark_buf_append_str(&sql, "BEGIN;\nCREATE SCHEMA ");
	ark_pg_append_ident(&sql, t->staging);
	ark_buf_append_str(&sql, ";\n");
	if ((rc = ark_plan_pre_data_sql(t->plan, t->staging, &sql, err)))
		goto cleanup;
	ark_buf_append_str(&sql, "COMMENT ON SCHEMA ");
	ark_pg_append_ident(&sql, t->staging);
	ark_buf_append_str(&sql, " IS ");
	ark_buf_append_str(&sql, "'" PLAN_COMMENT);
	ark_buf_append_str(&sql, identity);
	ark_buf_append_str(&sql, "';\nCOMMIT");
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	t->staging_created = 1;
	if ((rc = ark_pg_exec(t->pg, sql.data, err)))
		ark_error_prefix(err, "creating the tables");
cleanup:
	ark_buf_free(&sql);
	return rc;
}

/*
 * The load of one table in a transaction that records it (see above):
 * skipped when the run that stopped loaded it already.
 */
static int load_table_recorded(struct worker *w, size_t plan_table,
			       struct ark_error *err)
{
	struct transfer *t = w->t;
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	struct ark_transfer_table *tr = &t->result->tables[plan_table];
	struct ark_buf sql = ARK_BUF_INIT;
	char check[ARK_DIGEST_TEXT_MAX], loaded[ARK_DIGEST_TEXT_MAX];
	char shown[128];
	struct timespec start;
	double copy_s, keys_s;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (t->resumed[plan_table]) {
		atomic_fetch_add(&t->rows_done, tr->rows_read);
		rc = verify_table(w, plan_table, err);
		goto done;
	}
	ark_buf_append_str(&sql, "BEGIN;\nTRUNCATE ");
	ark_pg_append_qualified(&sql, t->staging, pt->name);
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_pg_exec(w->pg, sql.data, err)) ||
	    (rc = load_table(w, plan_table, err)))
		goto cleanup;
	copy_s = seconds_since(&start);
	/* its keys, indexes, CHECKs and identity position, while the other
	 * workers load other tables */
	ark_buf_reset(&sql);
	if ((rc = ark_plan_table_post_data_sql(t->plan, plan_table,
					       t->staging, &sql, err)))
		goto cleanup;
	if (sql.len && (rc = ark_pg_exec(w->pg, sql.data, err))) {
		ark_error_prefix(err, "table \"%s\": creating keys and indexes",
				 ark_transfer_source_table(t, plan_table)->name);
		goto cleanup;
	}
	ark_digest_format(&t->check_digests[plan_table], check);
	ark_digest_format(&tr->source_digest, loaded);
	ark_buf_reset(&sql);
	ark_buf_append_str(&sql, "COMMENT ON TABLE ");
	ark_pg_append_qualified(&sql, t->staging, pt->name);
	ark_buf_appendf(&sql, " IS '" LOADED_COMMENT "%s %s';\nCOMMIT",
			check, loaded);
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_pg_exec(w->pg, sql.data, err)))
		goto cleanup;
	keys_s = seconds_since(&start) - copy_s;
	atomic_fetch_add(&t->kept, 1);
	/* the server's rows digested now, while the table is in its cache */
	rc = verify_table(w, plan_table, err);
	if (rc == 0)
		ark_log(ARK_LOG_DEBUG, "table \"%s\": COPY %.2f s, keys and "
			"indexes %.2f s, verification %.2f s",
			ark_text_escape(pt->name, shown, sizeof(shown)), copy_s,
			keys_s, seconds_since(&start) - copy_s - keys_s);
	goto done; /* committed: nothing to roll back */
cleanup:
	if (rc) {
		struct ark_error ignored;

		ark_error_clear(&ignored);
		ark_pg_exec(w->pg, "ROLLBACK", &ignored);
	}
done:
	ark_buf_free(&sql);
	return rc;
}

static void drop_staging(struct transfer *t)
{
	struct ark_buf sql = ARK_BUF_INIT;
	struct ark_error ignored;
	struct ark_pg *pg = t->pg;
	struct ark_pg *fresh = NULL;

	if (!t->staging_created)
		return;
	ark_error_clear(&ignored);
	/* ROLLBACK only inside a transaction: outside, the server warns */
	ark_buf_append_str(&sql, PQtransactionStatus(ark_pg_conn(pg)) ==
					 PQTRANS_IDLE
				 ? "          DROP SCHEMA IF EXISTS "
				 : "ROLLBACK; DROP SCHEMA IF EXISTS ");
	ark_pg_append_ident(&sql, t->staging);
	ark_buf_append_str(&sql, " CASCADE");
	if (ark_buf_failed(&sql))
		goto cleanup;
	if (ark_pg_exec(pg, sql.data, &ignored) != 0) {
		/* the connection may be gone: one more, fresh */
		ark_error_clear(&ignored);
		if (ark_pg_connect(t->options->target, "ark-transfer", &fresh,
				   &ignored) == 0 &&
		    ark_pg_exec(fresh, sql.data + strlen("ROLLBACK; "),
				&ignored) == 0)
			goto dropped;
		ark_log(ARK_LOG_WARN, "the staging schema \"%s\" is left "
			"behind (%s); the target schema is untouched, and the "
			"next ark-transfer into it removes it", t->staging,
			ignored.msg);
		goto cleanup;
	}
dropped:
	t->staging_created = 0;
cleanup:
	ark_pg_free(fresh);
	ark_buf_free(&sql);
}

/*
 * After a failure: a run stopped by a signal or a lost connection keeps
 * the tables it loaded and recorded, for --resume (a run without
 * --resume drops them); any other failure (a statement that failed, a
 * verification that failed, a refusal) drops the staging schema.
 */
static void keep_or_drop_staging(struct transfer *t, int rc,
				 const struct ark_error *err)
{
	size_t kept = t->kept_tables + atomic_load(&t->kept);
	/* a statement the data made fail would fail again: only a lost
	 * connection ("connection lost: ", ark/pg.h) is worth resuming */
	int lost = rc == ARK_ERR_PG_CONNECT ||
		   (rc == ARK_ERR_PG_QUERY &&
		    strstr(err->msg, "connection lost: ") != NULL);

	if (t->staging_created && t->staging_inherited) {
		/* --resume: what the stopped run left stays for the next
		 * --resume, or a run without it */
		ark_log(ARK_LOG_INFO, "the schema \"%s\" is kept", t->staging);
		return;
	}
	if (t->staging_created && kept > 0 &&
	    (rc == ARK_ERR_INTERRUPTED || lost)) {
		ark_log(ARK_LOG_WARN, "the schema \"%s\" keeps the %zu "
			"table%s loaded so far; the target schema is "
			"untouched; --resume continues, a run without it "
			"starts over", t->staging, kept, kept == 1 ? "" : "s");
		return;
	}
	if (t->staging_created && rc == ARK_ERR_INTERRUPTED) {
		/* after a stop signal no statement is sent (ark/pg.h) */
		ark_log(ARK_LOG_WARN, "the schema \"%s\" is left behind "
			"(stopped by a signal); the target schema is "
			"untouched, and the next ark-transfer into it removes "
			"it", t->staging);
		return;
	}
	drop_staging(t);
}

/*
 * After every table is loaded with its keys and indexes (each in its
 * load's transaction): the foreign keys, in one transaction that
 * records them (--resume).
 */
static int post_data(struct transfer *t, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	int rc;

	char identity[ARK_HASH_HEX_LEN + 1];

	if (t->post_data_done)
		return 0; /* --resume: the run that stopped made them */
	if ((rc = plan_identity(t, identity, err)))
		return rc;
	ark_buf_append_str(&sql, "BEGIN;\n");
	if ((rc = ark_plan_foreign_keys_sql(t->plan, t->staging, &sql, err)))
		goto cleanup;
	ark_buf_append_str(&sql, "COMMENT ON SCHEMA ");
	ark_pg_append_ident(&sql, t->staging);
	ark_buf_appendf(&sql, " IS '" PLAN_COMMENT "%s" POST_DATA_MARK
			"';\nCOMMIT", identity);
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_pg_exec(t->pg, sql.data, err)))
		ark_error_prefix(err, "creating foreign keys");
cleanup:
	ark_buf_free(&sql);
	return rc;
}

/* Move the staging tables into the target schema, in one transaction. */
static int swap(struct transfer *t, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	struct ark_pg_result *staged = NULL, *target = NULL;
	int exists, r, s, rc;
	size_t i;

	if ((rc = ark_pg_exec(t->pg, "BEGIN", err)))
		goto cleanup;
	if ((rc = schema_exists(t->pg, t->schema_name, &exists, err)))
		goto cleanup;
	/* the --resume records (comments) do not go with the tables */
	for (i = 0; i < t->plan->ntables; i++) {
		ark_buf_append_str(&sql, "COMMENT ON TABLE ");
		ark_pg_append_qualified(&sql, t->staging,
					t->plan->tables[i].name);
		ark_buf_append_str(&sql, " IS NULL;\n");
	}
	ark_buf_append_str(&sql, "COMMENT ON SCHEMA ");
	ark_pg_append_ident(&sql, t->staging);
	ark_buf_append_str(&sql, " IS NULL;\n");
	if (!exists) {
		ark_buf_append_str(&sql, "ALTER SCHEMA ");
		ark_pg_append_ident(&sql, t->staging);
		ark_buf_append_str(&sql, " RENAME TO ");
		ark_pg_append_ident(&sql, t->schema_name);
	} else {
		/* names that would collide: tables, but also the indexes
		 * and sequences that move with them */
		if ((rc = schema_relations(t->pg, t->staging, &staged, err)) ||
		    (rc = schema_relations(t->pg, t->schema_name, &target,
					   err)))
			goto cleanup;
		for (s = 0; s < ark_pg_result_rows(staged); s++)
			for (r = 0; r < ark_pg_result_rows(target); r++)
				if (strcmp(ark_pg_result_value(staged, s, 0),
					   ark_pg_result_value(target, r, 0)) == 0) {
					rc = ark_error_set(err, ARK_ERR_NOT_EMPTY, 0,
						"schema \"%s\" already has a "
						"relation \"%s\"",
						t->schema_name,
						ark_pg_result_value(target, r, 0));
					goto cleanup;
				}
		for (i = 0; i < t->plan->ntables; i++) {
			ark_buf_append_str(&sql, "ALTER TABLE ");
			ark_pg_append_qualified(&sql, t->staging,
						t->plan->tables[i].name);
			ark_buf_append_str(&sql, " SET SCHEMA ");
			ark_pg_append_ident(&sql, t->schema_name);
			ark_buf_append_str(&sql, ";\n");
		}
		ark_buf_append_str(&sql, "DROP SCHEMA ");
		ark_pg_append_ident(&sql, t->staging);
	}
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_pg_exec(t->pg, sql.data, err)) ||
	    (rc = ark_pg_exec(t->pg, "COMMIT", err)))
		goto cleanup;
	t->staging_created = 0;
cleanup:
	ark_pg_result_free(staged);
	ark_pg_result_free(target);
	ark_buf_free(&sql);
	return rc;
}

/* Connect (once) and, unless only reading the catalog for --plan, take
 * the schema's lock. */
static int connect_target(struct transfer *t, int lock, struct ark_error *err)
{
	int rc;

	if (!t->pg) {
		if ((rc = ark_pg_connect(t->options->target, "ark-transfer",
					 &t->pg, err)))
			return rc;
		free(t->result->target);
		t->result->target = strdup(ark_pg_safe_conninfo(t->pg));
		t->result->server_version = ark_pg_server_version(t->pg);
	}
	if (lock && !t->lock_held)
		return take_lock(t, err);
	return 0;
}

/* ---- --data-only: into the application's own tables ---- */

static void existing_free(struct ark_pg_existing *existing)
{
	size_t i, j;

	for (i = 0; i < existing->ntables; i++) {
		struct ark_pg_existing_table *et = &existing->tables[i];

		for (j = 0; j < et->ncolumns; j++) {
			free(et->columns[j].name);
			free(et->columns[j].format_type);
		}
		free(et->columns);
		free(et->name);
	}
	free(existing->tables);
	memset(existing, 0, sizeof(*existing));
}

/* The tables of the target schema and their columns, from the catalog. */
static int read_existing(struct transfer *t, struct ark_pg_existing *out,
			 struct ark_error *err)
{
	const char *params[1] = { t->schema_name };
	struct ark_pg_result *res = NULL;
	struct ark_pg_existing_table *et = NULL;
	int r, rows, rc;

	memset(out, 0, sizeof(*out));
	rc = ark_pg_query(t->pg,
			  "SELECT c.relname, a.attname, "
			  "format_type(a.atttypid, a.atttypmod), "
			  "a.attnotnull::text, (a.atthasdef OR "
			  "a.attidentity <> '' OR a.attgenerated <> '')::text, "
			  "(SELECT count(*) FROM pg_attribute x WHERE "
			  "x.attrelid = c.oid AND x.attnum > 0 AND NOT "
			  "x.attisdropped) "
			  "FROM pg_class c "
			  "JOIN pg_namespace n ON n.oid = c.relnamespace "
			  "JOIN pg_attribute a ON a.attrelid = c.oid "
			  "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') "
			  "AND a.attnum > 0 AND NOT a.attisdropped "
			  "ORDER BY c.relname COLLATE \"C\", a.attnum",
			  1, params, &res, err);
	if (rc)
		return rc;
	rows = ark_pg_result_rows(res);
	out->tables = calloc(rows ? (size_t)rows : 1, sizeof(*out->tables));
	if (!out->tables)
		goto nomem;
	for (r = 0; r < rows; r++) {
		const char *table = ark_pg_result_value(res, r, 0);
		struct ark_pg_existing_column *ec;

		if (!et || strcmp(et->name, table) != 0) {
			et = &out->tables[out->ntables++];
			et->name = strdup(table);
			et->columns = calloc((size_t)strtoul(
				ark_pg_result_value(res, r, 5), NULL, 10) + 1,
				sizeof(*et->columns));
			if (!et->name || !et->columns)
				goto nomem;
		}
		ec = &et->columns[et->ncolumns++];
		ec->name = strdup(ark_pg_result_value(res, r, 1));
		ec->format_type = strdup(ark_pg_result_value(res, r, 2));
		ec->not_null = strcmp(ark_pg_result_value(res, r, 3), "true") == 0;
		ec->has_default = strcmp(ark_pg_result_value(res, r, 4),
					 "true") == 0;
		if (!ec->name || !ec->format_type)
			goto nomem;
	}
	ark_pg_result_free(res);
	return 0;
nomem:
	ark_pg_result_free(res);
	existing_free(out);
	return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
}

/* Point the plan at the existing tables (their names and types). */
static int map_target(struct transfer *t, struct ark_error *err)
{
	struct ark_pg_existing existing;
	size_t i, first_note;
	int rc;

	if ((rc = read_existing(t, &existing, err)))
		return rc;
	first_note = t->plan->nnotes;
	rc = ark_plan_map_existing(t->plan, &existing, t->options->ignore_missing,
				   err);
	existing_free(&existing);
	/* what is on one side only: left out (a warning), or left as it is
	 * (-v); --plan lists them with the plan */
	for (i = first_note; rc == 0 && !t->options->plan_only &&
			     i < t->plan->nnotes; i++) {
		const struct ark_plan_note *note = &t->plan->notes[i];
		enum ark_log_level level = note->kind == ARK_NOTE_NOT_CARRIED
						   ? ARK_LOG_WARN
						   : ARK_LOG_INFO;

		if (note->table && note->column)
			ark_log(level, "table \"%s\", column \"%s\": %s",
				note->table, note->column, note->message);
		else if (note->table)
			ark_log(level, "table \"%s\": %s", note->table,
				note->message);
		else
			ark_log(level, "%s", note->message);
	}
	for (i = 0; i < t->plan->ntables; i++)
		t->result->tables[i].skipped = t->plan->tables[i].skipped;
	return rc;
}

/*
 * The loaded tables in an order where every parent comes before its
 * children, by the target's foreign keys (the application's schema
 * decides what references what).  Tables in a cycle follow in plan
 * order: a DEFERRABLE key among them is checked at COMMIT (SET
 * CONSTRAINTS ALL DEFERRED); a cycle of keys that are not deferrable
 * cannot be loaded table by table, and the server says so.
 */
static int fk_order(struct transfer *t, size_t *order, size_t *count,
		    struct ark_error *err)
{
	const char *params[1] = { t->schema_name };
	struct ark_pg_result *res = NULL;
	size_t n = t->plan->ntables, i, j, done = 0, *parents = NULL;
	size_t *edge_child = NULL, *edge_parent = NULL, nedges = 0;
	unsigned char *placed = NULL;
	int r, rc, progress;

	rc = ark_pg_query(t->pg,
			  "SELECT cl.relname, pl.relname FROM pg_constraint k "
			  "JOIN pg_class cl ON cl.oid = k.conrelid "
			  "JOIN pg_class pl ON pl.oid = k.confrelid "
			  "JOIN pg_namespace cn ON cn.oid = cl.relnamespace "
			  "JOIN pg_namespace pn ON pn.oid = pl.relnamespace "
			  "WHERE k.contype = 'f' AND cn.nspname = $1 "
			  "AND pn.nspname = $1",
			  1, params, &res, err);
	if (rc)
		return rc;
	r = ark_pg_result_rows(res);
	edge_child = calloc((size_t)r + 1, sizeof(*edge_child));
	edge_parent = calloc((size_t)r + 1, sizeof(*edge_parent));
	parents = calloc(n + 1, sizeof(*parents));
	placed = calloc(n + 1, 1);
	if (!edge_child || !edge_parent || !parents || !placed) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	for (; r-- > 0;) {
		size_t child = SIZE_MAX, parent = SIZE_MAX;

		for (i = 0; i < n; i++) {
			if (t->plan->tables[i].skipped)
				continue;
			if (strcmp(t->plan->tables[i].name,
				   ark_pg_result_value(res, r, 0)) == 0)
				child = i;
			if (strcmp(t->plan->tables[i].name,
				   ark_pg_result_value(res, r, 1)) == 0)
				parent = i;
		}
		if (child == SIZE_MAX || parent == SIZE_MAX || child == parent)
			continue; /* one COPY checks its own rows at its end */
		edge_child[nedges] = child;
		edge_parent[nedges++] = parent;
		parents[child]++;
	}
	for (i = 0; i < n; i++)
		if (t->plan->tables[i].skipped)
			placed[i] = 1;
	do {
		progress = 0;
		for (i = 0; i < n; i++) {
			if (placed[i] || parents[i])
				continue;
			placed[i] = 1;
			order[done++] = i;
			progress = 1;
			for (j = 0; j < nedges; j++)
				if (edge_parent[j] == i)
					parents[edge_child[j]]--;
		}
	} while (progress);
	for (i = 0; i < n; i++) /* cycles */
		if (!placed[i]) {
			ark_log(ARK_LOG_INFO, "table \"%s\" is in a cycle of "
				"foreign keys: loaded with them deferred",
				t->plan->tables[i].name);
			order[done++] = i;
		}
	*count = done;
cleanup:
	ark_pg_result_free(res);
	free(edge_child);
	free(edge_parent);
	free(parents);
	free(placed);
	return rc;
}

/* d -= part (a digest is a sum mod 2^128, so the rows of part leave). */
static void digest_subtract(struct ark_digest *d, const struct ark_digest *part)
{
	uint64_t borrow = d->sum.low < part->sum.low ? 1u : 0u;

	d->rows -= part->rows;
	d->sum.low -= part->sum.low;
	d->sum.high -= part->sum.high + borrow;
}

/* One statement naming every loaded table: "verb a, b, c<tail>". */
static int exec_on_tables(struct transfer *t, const size_t *order, size_t n,
			  const char *verb, const char *tail,
			  struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	size_t i;
	int rc;

	ark_buf_append_str(&sql, verb);
	for (i = 0; i < n; i++) {
		ark_buf_append_str(&sql, i ? ", " : " ");
		ark_pg_append_qualified(&sql, t->schema_name,
					t->plan->tables[order[i]].name);
	}
	ark_buf_append_str(&sql, tail);
	rc = ark_buf_failed(&sql)
		? ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory")
		: ark_pg_exec(t->pg, sql.data, err);
	ark_buf_free(&sql);
	return rc;
}

/* Refuse target tables that hold rows (the default of --if-exists). */
static int refuse_non_empty(struct transfer *t, const size_t *order, size_t n,
			    struct ark_buf *buf, struct ark_error *err)
{
	struct ark_buf out = ARK_BUF_INIT;
	size_t i;
	int is_null, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		const char *name = t->plan->tables[order[i]].name;

		ark_buf_reset(buf);
		ark_buf_append_str(buf, "SELECT count(*) FROM ");
		ark_pg_append_qualified(buf, t->schema_name, name);
		if (ark_buf_failed(buf)) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "out of memory");
			break;
		}
		if ((rc = ark_pg_query_value(t->pg, buf->data, 0, NULL, &out,
					     &is_null, err)))
			break;
		if (strcmp(out.data, "0") != 0)
			rc = ark_error_set(err, ARK_ERR_NOT_EMPTY, 0,
					   "table \"%s\" of schema \"%s\" holds "
					   "%s row%s; --if-exists=truncate or "
					   "--if-exists=append says what to do "
					   "with them",
					   name, t->schema_name, out.data,
					   strcmp(out.data, "1") ? "s" : "");
	}
	ark_buf_free(&out);
	return rc;
}


/*
 * --data-only: one connection, one transaction.  The loaded tables are
 * locked against writers (SHARE ROW EXCLUSIVE; ACCESS EXCLUSIVE to
 * truncate), checked empty (or truncated, or digested as they are, to
 * append), loaded parents first, digested again and compared - all
 * before COMMIT, so a failure at any point leaves every table as it was.
 * Appending, the rows added are the digest after minus the digest
 * before (a digest is a sum), compared with the source's.  The
 * sequences move past the loaded ids last, just before COMMIT (setval
 * is not undone by a rollback: at worst a sequence moved forward).
 */
static int load_data_only(struct transfer *t, struct ark_error *err)
{
	struct worker w = { .t = t, .db = t->db, .pg = t->pg,
			    .buf = ARK_BUF_INIT };
	struct ark_digest *before = NULL;
	struct ark_buf sql = ARK_BUF_INIT;
	enum ark_transfer_if_exists mode = t->options->if_exists;
	size_t *order = NULL, n = 0, i;
	uint64_t total = 0;
	int rc, in_transaction = 0;

	for (i = 0; i < t->plan->ntables; i++)
		total += t->result->tables[i].rows_read;
	ark_transfer_phase_begin(t, "load", total, "rows");
	order = calloc(t->plan->ntables + 1, sizeof(*order));
	before = calloc(t->plan->ntables + 1, sizeof(*before));
	if (!order || !before) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = fk_order(t, order, &n, err)))
		goto cleanup;
	if ((rc = ark_pg_exec(t->pg, "BEGIN", err)))
		goto cleanup;
	in_transaction = 1;
	if (n && (rc = exec_on_tables(t, order, n, "LOCK TABLE",
				      mode == ARK_IF_EXISTS_TRUNCATE
				      ? " IN ACCESS EXCLUSIVE MODE"
				      : " IN SHARE ROW EXCLUSIVE MODE", err)))
		goto cleanup;
	if (mode == ARK_IF_EXISTS_REFUSE &&
	    (rc = refuse_non_empty(t, order, n, &w.buf, err)))
		goto cleanup;
	if (mode == ARK_IF_EXISTS_TRUNCATE && n &&
	    (rc = exec_on_tables(t, order, n, "TRUNCATE", "", err))) {
		ark_error_prefix(err, "--if-exists=truncate");
		goto cleanup;
	}
	for (i = 0; mode == ARK_IF_EXISTS_APPEND && i < n; i++) {
		if ((rc = digest_target(t->pg, &w.buf, t->schema_name, 0,
					&t->plan->tables[order[i]], NULL,
					&before[order[i]], err)))
			goto cleanup;
		t->result->tables[order[i]].rows_before = before[order[i]].rows;
	}
	if ((rc = ark_pg_exec(t->pg, "SET CONSTRAINTS ALL DEFERRED", err)))
		goto cleanup;
	for (i = 0; i < n; i++)
		if ((rc = copy_into(&w, order[i], t->schema_name, 0, err)))
			goto cleanup;
	ark_transfer_phase_end(t, PHASE_LOAD);

	ark_transfer_phase_begin(t, "verify", total, "rows");
	for (i = 0; i < n; i++) {
		struct ark_transfer_table *tr = &t->result->tables[order[i]];
		struct ark_pgarchive_table *member = NULL;
		struct ark_digest whole = before[order[i]];

		/* --archive: the table as it is now (appending: with the
		 * rows that were there) */
		ark_digest_merge(&whole, &tr->source_digest);
		if ((rc = ark_transfer_archive_table_begin(t, t->pg,
							   t->schema_name,
							   order[i], &member,
							   err)))
			goto cleanup;
		rc = digest_target(t->pg, &w.buf, t->schema_name, 0,
				   &t->plan->tables[order[i]], member,
				   &tr->target_digest, err);
		if ((rc = ark_transfer_archive_table_end(t, order[i], member,
							 rc, &whole,
							 &tr->target_digest,
							 err)))
			goto cleanup;
		digest_subtract(&tr->target_digest, &before[order[i]]);
		tr->verified = ark_digest_equal(&tr->source_digest,
						&tr->target_digest);
		if (!tr->verified) {
			rc = ark_error_set(err, ARK_ERR_MISMATCH, 0,
					   "table \"%s\": PostgreSQL holds "
					   "%" PRIu64 " %srows with another "
					   "digest than the source's %" PRIu64
					   " rows; nothing was committed",
					   tr->target_name,
					   tr->target_digest.rows,
					   mode == ARK_IF_EXISTS_APPEND
					   ? "new " : "",
					   tr->source_digest.rows);
			goto cleanup;
		}
	}
	ark_transfer_phase_end(t, PHASE_VERIFY);

	ark_transfer_phase_begin(t, "commit", 0, "tables");
	if ((rc = ark_plan_data_only_post_sql(t->plan, t->schema_name, &sql,
					      err)))
		goto cleanup;
	if (sql.len && (rc = ark_pg_exec(t->pg, sql.data, err))) {
		ark_error_prefix(err, "moving the sequences past the loaded "
				 "ids");
		goto cleanup;
	}
	if ((rc = ark_pg_exec(t->pg, "COMMIT", err)))
		goto cleanup;
	in_transaction = 0;
	ark_transfer_phase_end(t, PHASE_SWAP);
cleanup:
	if (in_transaction) {
		struct ark_error ignored;

		ark_error_clear(&ignored);
		ark_pg_exec(t->pg, "ROLLBACK", &ignored);
	}
	ark_buf_free(&w.buf);
	ark_buf_free(&sql);
	free(order);
	free(before);
	return rc;
}

/* ---- the run ---- */

void ark_transfer_options_init(struct ark_transfer_options *options)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(options, 0, sizeof(*options));
	options->schema = "public";
	options->jobs = cpus > 0 ? (int)(cpus > 64 ? 64 : cpus) : 1;
	options->busy_timeout_ms = 10000;
}

static int compare_rows_desc(const void *a, const void *b, void *context)
{
	const struct transfer *t = context;
	uint64_t ra = t->profile->tables[t->plan->tables[*(const size_t *)a]
						 .source_index].rows;
	uint64_t rb = t->profile->tables[t->plan->tables[*(const size_t *)b]
						 .source_index].rows;

	return ra < rb ? 1 : ra > rb ? -1 : 0;
}

/* About how many rows a table holds, cheaply (max(rowid); 0 for a
 * WITHOUT ROWID table): for taking the large ones first. */
static uint64_t rows_estimate(sqlite3 *db, const struct ark_sqlite_table *table)
{
	struct ark_buf sql = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	uint64_t rows = 0;

	if (table->without_rowid)
		return 0;
	ark_buf_append_str(&sql, "SELECT max(rowid) FROM main.");
	ark_rows_append_sqlite_ident(&sql, table->name);
	if (!ark_buf_failed(&sql) &&
	    sqlite3_prepare_v2(db, sql.data, -1, &stmt, NULL) == SQLITE_OK &&
	    sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_int64(stmt, 0) > 0)
		rows = (uint64_t)sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	ark_buf_free(&sql);
	return rows;
}

static int profile_job(struct worker *w, size_t table, struct ark_error *err)
{
	return ark_profile_scan_table(w->db, w->t->schema, w->t->profile,
				      table, err);
}

static int compare_estimate_desc(const void *a, const void *b, void *context)
{
	const uint64_t *estimate = context;
	uint64_t ra = estimate[*(const size_t *)a];
	uint64_t rb = estimate[*(const size_t *)b];

	return ra < rb ? 1 : ra > rb ? -1 : 0;
}

/*
 * The profile of every source table.  With --jobs above 1 and more than
 * one table, the private consistent copy is made now (the load reads it
 * too) and the tables are scanned in parallel, the large ones first.
 */
static int profile_source(struct transfer *t, struct ark_error *err)
{
	const struct ark_transfer_options *o = t->options;
	size_t n = t->schema->ntables, i, *order = NULL;
	uint64_t *estimate = NULL;
	int rc;

	/*
	 * A load that may check every value itself (fused_eligible, less
	 * what needs the server) reads only the columns whose type the
	 * values decide: on the benchmark's 406 MiB, a BOOLEAN column of
	 * one table instead of every value of every table.  A check pass
	 * first gets the full profile (full_profile()).
	 */
	if (!o->widen && !o->reject_path && !o->data_only && !o->resume &&
	    !o->plan_only && !t->profile_full) {
		if ((rc = ark_profile_new(t->schema, &t->profile, err)))
			return rc;
		for (i = 0; i < n && rc == 0; i++)
			rc = ark_profile_scan_table_light(t->db, t->schema,
							  t->profile, i, err);
		t->profile_light = rc == 0;
		return rc;
	}

	/* Workers on the shared (serialized) connection only take turns on
	 * its mutex: measured on the benchmark's 1.32M rows, 2.6-3.7 s
	 * with two of them against 1.7 s in one thread. */
	if (t->options->plan_only || t->options->jobs < 2 || n < 2 ||
	    (!t->copy && shared_reader(t)))
		return ark_profile_scan(t->db, t->schema, &t->profile, err);
	if ((rc = ark_profile_new(t->schema, &t->profile, err)))
		return rc;
	if (!t->copy && !shared_reader(t) &&
	    (rc = ark_sqlite_source_copy(t->source, t->options->tmpdir,
					 &t->copy, err)))
		return rc;
	order = calloc(n, sizeof(*order));
	estimate = calloc(n, sizeof(*estimate));
	if (!order || !estimate) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		order[i] = i;
		estimate[i] = rows_estimate(t->db, &t->schema->tables[i]);
	}
	qsort_r(order, n, sizeof(*order), compare_estimate_desc, estimate);
	rc = run_jobs(t, profile_job, NEED_DB, order, n, err);
cleanup:
	free(order);
	free(estimate);
	return rc;
}

/* The full profile in place of a light one (a check pass reads it). */
static int full_profile(struct transfer *t, struct ark_error *err)
{
	if (!t->profile_light)
		return 0;
	ark_profile_free(t->profile);
	t->profile = NULL;
	t->profile_light = 0;
	t->profile_full = 1;
	return profile_source(t, err);
}

static int inspect_and_plan(struct transfer *t, struct ark_error *err)
{
	const struct ark_transfer_options *o = t->options;
	struct ark_plan_options plan_options;
	size_t i;
	int rc;

	ark_transfer_phase_begin(t, "inspect", 0, "tables");
	if ((rc = ark_transfer_source_open(t, err)))
		return rc;
	t->db = ark_sqlite_source_db(t->source);
	if ((rc = ark_sqlite_schema_read(t->db, &t->schema, err)) ||
	    (rc = profile_source(t, err)))
		return rc;
	memset(&plan_options, 0, sizeof(plan_options));
	plan_options.widen = o->widen;
	plan_options.keep_case = o->keep_case;
	plan_options.rules = t->rules;
	if ((rc = ark_plan_make(t->schema, t->profile, &plan_options, &t->plan,
				err)))
		return rc;
	t->result->ntables = t->plan->ntables;
	t->plan_tables = t->plan->ntables;
	t->result->tables = calloc(t->plan->ntables ? t->plan->ntables : 1,
				   sizeof(*t->result->tables));
	t->order = calloc(t->plan->ntables ? t->plan->ntables : 1,
			  sizeof(*t->order));
	t->check_digests = calloc(t->plan->ntables + 1,
				  sizeof(*t->check_digests));
	t->resumed = calloc(t->plan->ntables + 1, 1);
	if (!t->result->tables || !t->order || !t->check_digests ||
	    !t->resumed)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	for (i = 0; i < t->plan->ntables; i++) {
		struct ark_transfer_table *tr = &t->result->tables[i];

		tr->source_name = strdup(ark_transfer_source_table(t, i)->name);
		tr->target_name = strdup(t->plan->tables[i].name);
		if (!tr->source_name || !tr->target_name)
			return ark_error_set(err, ARK_ERR_INTERNAL, 0,
					     "out of memory");
		tr->verified = -1;
		ark_digest_init(&tr->source_digest);
		ark_digest_init(&tr->target_digest);
		t->order[i] = i;
	}
	qsort_r(t->order, t->plan->ntables, sizeof(*t->order),
		compare_rows_desc, t);
	ark_transfer_phase_end(t, PHASE_INSPECT);
	return 0;
}

static int relaxed_notes(const struct ark_plan *plan)
{
	size_t i;
	int n = 0;

	for (i = 0; i < plan->nnotes; i++)
		n += plan->notes[i].kind == ARK_NOTE_RELAXED;
	return n;
}

static int describe(struct transfer *t, struct ark_error *err)
{
	struct ark_buf text = ARK_BUF_INIT;

	ark_plan_describe(t->plan, &text);
	t->result->relaxed = (size_t)relaxed_notes(t->plan);
	t->result->plan_text = ark_buf_take(&text);
	if (!t->result->plan_text)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	return 0;
}

/*
 * The check pass can be the load itself: each table's rows converted
 * once, on their way into the staging schema, in parallel, instead of
 * a whole pass over the source before anything is written.  Only where
 * nothing depends on the check's outcome before the load: --widen
 * changes the plan, --reject the rows loaded, --resume compares the
 * check's digests with the stopped run's, --data-only writes into the
 * application's tables.  The staging schema is only ever swapped in
 * once every value converted and every key, index and foreign key
 * holds; when one does not (fused_refusal()), the staging schema is
 * dropped and the check phase lists every offender as it would have
 * before the load: the target schema is untouched either way.
 */
static int fused_eligible(struct transfer *t)
{
	const struct ark_transfer_options *o = t->options;
	struct ark_error ignored;

	ark_error_clear(&ignored);
	/* without CREATE the run fails on it: refusals are told first */
	return !o->widen && !o->reject_path && !o->data_only && !o->resume &&
	       !o->plan_only && check_create_privilege(t, &ignored) == 0;
}

/* A failure of the fused load that the check phase may explain: a value
 * that does not convert, or a row the server's constraints refuse
 * (SQLSTATE class 23: NOT NULL, unique, foreign key, CHECK). */
static int fused_refusal(int rc, const struct ark_error *err)
{
	return rc == ARK_ERR_UNCONVERTIBLE ||
	       (rc == ARK_ERR_PG_QUERY &&
		strstr(err->msg, "(SQLSTATE 23") != NULL);
}

/* The fused load failed: the check phase, which lists every offender
 * (and fails), or when it finds none, the load's own error. */
static int check_after_fused(struct transfer *t, int rc,
			     struct ark_error *err)
{
	struct ark_error load_err = *err;
	size_t i;
	int check_rc;

	t->fused = 0;
	/* nothing of the fused load was kept: the check's counts only */
	for (i = 0; i < t->plan->ntables; i++) {
		struct ark_transfer_table *tr = &t->result->tables[i];

		tr->rows_read = 0;
		tr->converted = 0;
		tr->rows_loaded = 0;
		tr->verified = -1;
		ark_digest_init(&tr->source_digest);
		ark_digest_init(&tr->target_digest);
	}
	ark_error_clear(err);
	check_rc = full_profile(t, err);
	if (check_rc == 0)
		check_rc = ark_transfer_check_phase(t, err);
	if (check_rc)
		return check_rc;
	*err = load_err;
	return rc;
}

static int load_verify_swap(struct transfer *t, struct ark_error *err)
{
	uint64_t total = 0;
	size_t i;
	int rc;

	for (i = 0; i < t->plan->ntables; i++)
		total += t->fused ? t->profile->tables[t->plan->tables[i]
							      .source_index].rows
				  : t->result->tables[i].rows_read;
	if ((rc = connect_target(t, 1, err)) || (rc = check_target(t, err)))
		return rc;

	ark_transfer_phase_begin(t, "load", total, "rows");
	if ((rc = create_staging(t, err)))
		return rc;
	if (t->options->jobs > 1 && t->plan->ntables > 1 && !t->copy &&
	    !shared_reader(t) &&
	    (rc = ark_sqlite_source_copy(t->source, t->options->tmpdir,
					 &t->copy, err)))
		return rc;
	/* each table: loaded, its keys and indexes built, its rows
	 * digested back from the server */
	rc = run_tables(t, load_table_recorded, NEED_DB | NEED_PG, err);
	ark_sqlite_source_copy_free(t->copy);
	t->copy = NULL;
	if (rc == 0)
		rc = post_data(t, err);
	if (rc && t->fused && fused_refusal(rc, err))
		return check_after_fused(t, rc, err);
	if (rc)
		return rc;
	ark_transfer_phase_end(t, PHASE_LOAD);

	ark_transfer_phase_begin(t, "verify", total, "rows");
	for (i = 0; i < t->plan->ntables; i++) {
		const struct ark_transfer_table *tr = &t->result->tables[i];

		if (tr->verified != 1)
			return ark_error_set(err, ARK_ERR_MISMATCH, 0,
					     "table \"%s\": PostgreSQL holds "
					     "%" PRIu64 " rows with another "
					     "digest than the source's %" PRIu64
					     " rows; nothing was swapped in",
					     tr->target_name,
					     tr->target_digest.rows,
					     tr->source_digest.rows);
	}
	ark_transfer_phase_end(t, PHASE_VERIFY);

	ark_transfer_phase_begin(t, "swap", 0, "tables");
	if ((rc = swap(t, err)))
		return rc;
	ark_transfer_phase_end(t, PHASE_SWAP);
	return 0;
}

int ark_transfer_run(const struct ark_transfer_options *options,
		     struct ark_transfer_result *result,
		     struct ark_error *err)
{
	struct transfer t;
	struct timespec start;
	int rc;

	memset(result, 0, sizeof(*result));
	memset(&t, 0, sizeof(t));
	clock_gettime(CLOCK_MONOTONIC, &start);
	t.options = options;
	t.result = result;
	t.rules.date_numbers = options->date_numbers;
	/* An application's timestamptz column (Django's DateTimeField) holds
	 * what SQLite's date functions read as UTC when no zone is given. */
	t.rules.unzoned_as_utc = options->data_only;
	t.schema_name = options->schema ? options->schema : "public";
	pthread_mutex_init(&t.mutex, NULL);
	result->schema = strdup(t.schema_name);
	t.progress = ark_progress_new("inspect", 0, options->progress);

	/* --archive: a bad or taken name is refused before any work */
	if ((rc = ark_transfer_archive_prepare(&t, err)))
		goto cleanup;
	/* One run per target schema: a second one stops at once, before
	 * reading the source (the lock writes nothing). */
	if (!options->plan_only && (rc = connect_target(&t, 1, err)))
		goto cleanup;
	if ((rc = inspect_and_plan(&t, err)))
		goto cleanup;
	if (options->data_only &&
	    ((rc = connect_target(&t, !options->plan_only, err)) ||
	     (rc = map_target(&t, err))))
		goto cleanup;
	if (options->reject_path && (rc = ark_transfer_reject_open(&t, err)))
		goto cleanup;
	t.fused = fused_eligible(&t);
	if (!t.fused && ((rc = full_profile(&t, err)) ||
			 (rc = ark_transfer_check_phase(&t, err))))
		goto cleanup;
	if ((rc = describe(&t, err)) || options->plan_only)
		goto cleanup;
	if ((rc = ark_transfer_archive_open(&t, err)))
		goto cleanup;
	rc = options->data_only ? load_data_only(&t, err)
				: load_verify_swap(&t, err);
cleanup:
	rc = ark_transfer_reject_finish(&t, rc, err);
	rc = ark_transfer_archive_finish(&t, rc, err);
	if (rc && rc != ARK_ERR_REJECTED && t.plan && !result->plan_text)
		describe(&t, &(struct ark_error){ 0 });
	if (t.pg) {
		keep_or_drop_staging(&t, rc, err);
		if (t.lock_held) {
			char key[32];
			const char *params[1] = { key };
			struct ark_pg_result *res = NULL;
			struct ark_error ignored;

			ark_error_clear(&ignored);
			snprintf(key, sizeof(key), "%" PRId64,
				 lock_key(t.schema_name));
			ark_pg_query(t.pg, "SELECT pg_advisory_unlock($1::bigint)",
				     1, params, &res, &ignored);
			ark_pg_result_free(res);
		}
	}
	ark_progress_free(t.progress);
	ark_sqlite_source_copy_free(t.copy);
	ark_pg_free(t.pg);
	ark_plan_free(t.plan);
	ark_profile_free(t.profile);
	ark_sqlite_schema_free(t.schema);
	ark_sqlite_source_close(t.source);
	ark_sqlite_archive_image_free(t.image); /* after the source's close */
	free(t.order);
	free(t.check_digests);
	free(t.resumed);
	for (size_t i = 0; t.reject_tails && i < t.plan_tables; i++)
		free(t.reject_tails[i]);
	free(t.reject_tails);
	free(t.reject_created);
	ark_atomic_free(t.reject_file);
	pthread_mutex_destroy(&t.mutex);
	result->seconds = seconds_since(&start);
	return rc;
}

void ark_transfer_result_free(struct ark_transfer_result *result)
{
	size_t i;

	if (result == NULL)
		return;
	for (i = 0; i < result->ntables; i++) {
		free(result->tables[i].source_name);
		free(result->tables[i].target_name);
	}
	free(result->tables);
	free(result->plan_text);
	free(result->target);
	free(result->schema);
	free(result->reject_path);
	free(result->source_archive);
	free(result->archive_path);
	memset(result, 0, sizeof(*result));
}
