/*
 * pgrestore.c - a `pg` archive into PostgreSQL (ark/pgrestore.h).
 */
#include <inttypes.h>
#include "pg/pq_internal.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/buf.h"
#include "ark/fsio.h"
#include "ark/kind.h"
#include "ark/log.h"
#include "ark/pg.h"
#include "ark/pgarchive.h"
#include "ark/pgrestore.h"
#include "ark/pool.h"
#include "ark/restore.h"
#include "ark/text.h"
#include "ark/verify.h"
#include "pg/sqlscript_internal.h"

/*
 * The largest pre-data or post-data member ark-restore reads: the SQL is
 * held in memory and sent as one query text (PostgreSQL takes up to
 * 1 GiB); a schema's DDL is far below this.
 */
#define SCHEMA_SQL_MAX (256u * 1024u * 1024u)

#define APPLICATION "ark-restore"

/* One connection of the pool of connections the jobs share. */
struct slot {
	struct ark_pg *pg;
	int busy;
	size_t session_done; /* post-data SESSION statements run on it */
};

struct restore {
	const struct ark_pgrestore_options *options;
	struct ark_pgrestore_result *result;
	struct ark_archive_reader *reader;
	const struct ark_manifest *manifest;
	size_t *members; /* result->tables[i] is manifest member members[i] */
	json_t **columns; /* its "columns" array (owned by the manifest) */
	struct ark_buf pre_sql;
	struct ark_buf post_sql;
	struct ark_sqlscript pre;
	struct ark_sqlscript post;
	struct ark_buf created_schemas; /* NUL-separated */
	size_t created_schema_count;
	const char *conninfo; /* the target database */
	char database[256];   /* its name, escaped for messages */
	struct ark_pg *pg;    /* the main connection */
	pthread_mutex_t mutex;
	struct slot slots[ARK_PGRESTORE_JOBS_MAX];
	int jobs;
};

static void display(char *out, size_t room, const char *text)
{
	ark_text_escape(text, out, room);
}

/* ---- the archive ---- */

static int buf_sink_write(void *ctx, const void *buf, size_t len,
			  struct ark_error *err)
{
	struct ark_buf *out = ctx;

	ark_buf_append(out, buf, len);
	if (ark_buf_failed(out))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	return 0;
}

static int read_sql(struct restore *r, const char *role, struct ark_buf *out,
		    struct ark_error *err)
{
	const struct ark_manifest *m = r->manifest;
	struct ark_sink sink = { buf_sink_write, out };

	for (size_t i = 0; i < m->member_count; i++) {
		if (strcmp(m->members[i].role, role) != 0)
			continue;
		if (m->members[i].raw_size > SCHEMA_SQL_MAX)
			return ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
					     "%s: member '%s' holds %" PRIu64
					     " bytes of SQL; ark-restore reads "
					     "at most %u", r->options->archive,
					     m->members[i].path,
					     m->members[i].raw_size,
					     SCHEMA_SQL_MAX);
		return ark_archive_extract_member(r->reader, i, sink, NULL,
						  err);
	}
	return 0; /* the manifest check requires both: not reached */
}

/* "schema.name" or "name" names table t? */
static int table_matches(const struct ark_pgrestore_table *t,
			 const char *wanted)
{
	size_t schema_len = strlen(t->schema);

	if (strcmp(t->name, wanted) == 0)
		return 1;
	return strncmp(wanted, t->schema, schema_len) == 0 &&
	       wanted[schema_len] == '.' &&
	       strcmp(wanted + schema_len + 1, t->name) == 0;
}

static int select_tables(struct restore *r, struct ark_error *err)
{
	const struct ark_manifest *m = r->manifest;
	const struct ark_pgrestore_options *o = r->options;
	struct ark_pgrestore_result *res = r->result;
	json_t *members = json_object_get(m->root, "members");
	size_t all = 0, n = 0;
	char shown[256];

	for (size_t i = 0; i < m->member_count; i++)
		all += m->members[i].has_digest ? 1 : 0;
	res->tables = calloc(all ? all : 1, sizeof(*res->tables));
	r->members = calloc(all ? all : 1, sizeof(*r->members));
	r->columns = calloc(all ? all : 1, sizeof(*r->columns));
	if (!res->tables || !r->members || !r->columns)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	for (size_t i = 0; i < m->member_count; i++) {
		json_t *table;
		struct ark_pgrestore_table *t = &res->tables[n];
		int wanted = o->table_count == 0;

		if (!m->members[i].has_digest)
			continue;
		table = json_object_get(json_array_get(members, i), "table");
		snprintf(t->schema, sizeof(t->schema), "%s",
			 json_string_value(json_object_get(table, "schema")));
		snprintf(t->name, sizeof(t->name), "%s",
			 json_string_value(json_object_get(table, "name")));
		for (size_t w = 0; w < o->table_count && !wanted; w++)
			wanted = table_matches(t, o->tables[w]);
		if (!wanted)
			continue;
		t->expected = m->members[i].content_digest;
		r->members[n] = i;
		r->columns[n] = json_object_get(table, "columns");
		n++;
	}
	res->table_count = n;
	/* every NAME names exactly one table */
	for (size_t w = 0; w < o->table_count; w++) {
		size_t hits = 0;

		for (size_t i = 0; i < n; i++)
			hits += (size_t)table_matches(&res->tables[i],
						      o->tables[w]);
		display(shown, sizeof(shown), o->tables[w]);
		if (hits == 0)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--table \"%s\": the archive has "
					     "no such table", shown);
		if (hits > 1)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--table \"%s\": tables of that "
					     "name are in several schemas; "
					     "name one as SCHEMA.NAME", shown);
	}
	return 0;
}

/* ---- SQL text helpers ---- */

static void append_columns(struct ark_buf *out, json_t *columns)
{
	size_t i;
	json_t *column;

	json_array_foreach(columns, i, column) {
		if (i)
			ark_buf_append_str(out, ", ");
		ark_pg_append_ident(out, json_string_value(
					       json_object_get(column, "name")));
	}
}

/* Statements of script that pass keep, each followed by a newline. */
static void append_statements(struct ark_buf *out,
			      const struct ark_sqlscript *script,
			      int skip_parallel)
{
	for (size_t i = 0; i < script->count; i++) {
		const struct ark_sqlscript_statement *st =
			&script->statements[i];

		if (skip_parallel && st->class == ARK_SQLSCRIPT_PARALLEL)
			continue;
		ark_buf_append(out, script->text + st->offset, st->len);
		ark_buf_append_char(out, '\n');
	}
}

static int oom(struct ark_error *err)
{
	return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
}

/* ---- connections ---- */

/* A conninfo value, quoted for libpq. */
static void append_conninfo_value(struct ark_buf *out, const char *value)
{
	ark_buf_append_char(out, '\'');
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			ark_buf_append_char(out, '\\');
		ark_buf_append_char(out, *p);
	}
	ark_buf_append_char(out, '\'');
}

/*
 * --create: the conninfo with dbname replaced by "postgres" into
 * maintenance, and the target's dbname (or "" when the conninfo names
 * none: libpq's default) into dbname.
 */
static int split_conninfo(const char *conninfo, struct ark_buf *maintenance,
			  struct ark_buf *dbname, struct ark_error *err)
{
	PQconninfoOption *options;
	char *why = NULL;
	int loaded;

	if ((loaded = ark_pq_load(err)))
		return loaded;
	options = PQconninfoParse(conninfo ? conninfo : "", &why);
	if (!options) {
		struct ark_buf safe = ARK_BUF_INIT;
		int rc;

		ark_pg_scrub_conninfo(conninfo, &safe);
		rc = ark_error_set(err, ARK_ERR_PG_CONNECT, 0,
				   "cannot connect to \"%s\": %s",
				   safe.data ? safe.data : "",
				   why ? why : "invalid connection string");
		ark_buf_free(&safe);
		PQfreemem(why);
		return rc;
	}
	for (PQconninfoOption *o = options; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "dbname") == 0) {
			ark_buf_append_str(dbname, o->val);
			continue;
		}
		ark_buf_appendf(maintenance, "%s=", o->keyword);
		append_conninfo_value(maintenance, o->val);
		ark_buf_append_char(maintenance, ' ');
	}
	ark_buf_append_str(maintenance, "dbname=postgres");
	ark_buf_append_str(dbname, "");
	PQconninfoFree(options);
	return ark_buf_failed(maintenance) || ark_buf_failed(dbname) ? oom(err)
								     : 0;
}

static int create_database(struct restore *r, struct ark_error *err)
{
	struct ark_buf maintenance = ARK_BUF_INIT, dbname = ARK_BUF_INIT;
	struct ark_buf sql = ARK_BUF_INIT, value = ARK_BUF_INIT;
	struct ark_pg *pg = NULL;
	const char *params[1];
	char shown[256];
	int is_null = 0, rc;

	if ((rc = split_conninfo(r->conninfo, &maintenance, &dbname, err)))
		goto cleanup;
	if ((rc = ark_pg_connect(maintenance.data, APPLICATION, &pg, err)))
		goto cleanup;
	if (dbname.len == 0) {
		const char *env = getenv("PGDATABASE");

		if (env && env[0])
			ark_buf_append_str(&dbname, env);
		else if ((rc = ark_pg_query_value(pg, "SELECT current_user", 0,
						  NULL, &dbname, &is_null,
						  err)))
			goto cleanup;
	}
	display(shown, sizeof(shown), dbname.data);
	params[0] = dbname.data;
	if ((rc = ark_pg_query_value(pg,
				     "SELECT count(*) FROM pg_catalog.pg_database "
				     "WHERE datname = $1",
				     1, params, &value, &is_null, err)))
		goto cleanup;
	if (strcmp(value.data, "0") != 0) {
		rc = ark_error_set(err, ARK_ERR_REFUSED, 0,
				   "database \"%s\" exists already; --create "
				   "makes a new one (without --create, "
				   "ark-restore restores into an empty existing "
				   "database)", shown);
		goto cleanup;
	}
	ark_buf_append_str(&sql, "CREATE DATABASE ");
	ark_pg_append_ident(&sql, dbname.data);
	ark_buf_append_str(&sql, " TEMPLATE template0");
	if (ark_buf_failed(&sql)) {
		rc = oom(err);
		goto cleanup;
	}
	if ((rc = ark_pg_exec(pg, sql.data, err)))
		goto cleanup;
	r->result->created_database = 1;
	r->result->touched = 1;
	ark_log(ARK_LOG_INFO, "created database \"%s\"", shown);
cleanup:
	ark_pg_free(pg);
	ark_buf_free(&maintenance);
	ark_buf_free(&dbname);
	ark_buf_free(&sql);
	ark_buf_free(&value);
	return rc;
}

/* A free connection of the pool (opened on first use). */
static int slot_take(struct restore *r, struct slot **out,
		     struct ark_error *err)
{
	struct slot *slot = NULL;
	int rc = 0;

	pthread_mutex_lock(&r->mutex);
	for (int i = 0; i < r->jobs; i++) {
		if (!r->slots[i].busy) {
			slot = &r->slots[i];
			slot->busy = 1;
			break;
		}
	}
	pthread_mutex_unlock(&r->mutex);
	if (!slot)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "no free connection");
	if (!slot->pg)
		rc = ark_pg_connect(r->conninfo, APPLICATION, &slot->pg, err);
	if (rc) {
		pthread_mutex_lock(&r->mutex);
		slot->busy = 0;
		pthread_mutex_unlock(&r->mutex);
		return rc;
	}
	*out = slot;
	return 0;
}

static void slot_give(struct restore *r, struct slot *slot)
{
	pthread_mutex_lock(&r->mutex);
	slot->busy = 0;
	pthread_mutex_unlock(&r->mutex);
}

/* ---- the target ---- */

static int schema_created(const struct restore *r, const char *schema)
{
	const char *p = r->created_schemas.data;

	for (size_t i = 0; i < r->created_schema_count; i++) {
		if (strcmp(p, schema) == 0)
			return 1;
		p += strlen(p) + 1;
	}
	return 0;
}

/* Schemas the restore writes into, each once: created, then tables'. */
static int for_each_schema(struct restore *r,
			   int (*fn)(struct restore *r, const char *schema,
				     struct ark_error *err),
			   struct ark_error *err)
{
	const char *p = r->created_schemas.data;
	int rc;

	for (size_t i = 0; i < r->created_schema_count; i++) {
		if ((rc = fn(r, p, err)))
			return rc;
		p += strlen(p) + 1;
	}
	for (size_t t = 0; t < r->result->table_count; t++) {
		const char *schema = r->result->tables[t].schema;
		int seen = schema_created(r, schema);

		for (size_t u = 0; u < t && !seen; u++)
			seen = strcmp(r->result->tables[u].schema, schema) == 0;
		if (!seen && (rc = fn(r, schema, err)))
			return rc;
	}
	return 0;
}

static int check_schema_empty(struct restore *r, const char *schema,
			      struct ark_error *err)
{
	struct ark_pg_result *res = NULL;
	const char *params[1] = { schema };
	char shown_schema[256], shown_rel[256];
	int rc;

	rc = ark_pg_query(r->pg,
			  "SELECT (SELECT c.relname FROM pg_catalog.pg_class c "
			  "WHERE c.relnamespace = n.oid ORDER BY c.relname "
			  "COLLATE \"C\" LIMIT 1) FROM pg_catalog.pg_namespace n "
			  "WHERE n.nspname = $1",
			  1, params, &res, err);
	if (rc)
		return rc;
	display(shown_schema, sizeof(shown_schema), schema);
	if (ark_pg_result_rows(res) == 1) {
		const char *rel = ark_pg_result_value(res, 0, 0);

		if (rel) {
			display(shown_rel, sizeof(shown_rel), rel);
			rc = ark_error_set(err, ARK_ERR_NOT_EMPTY, 0,
					   "database \"%s\" is not empty: "
					   "schema \"%s\" holds \"%s\" "
					   "(restore into an empty database, "
					   "--create a new one, or --clean)",
					   r->database, shown_schema,
					   shown_rel);
		} else if (schema_created(r, schema)) {
			rc = ark_error_set(err, ARK_ERR_NOT_EMPTY, 0,
					   "database \"%s\" is not empty: "
					   "schema \"%s\", which the archive "
					   "creates, exists (restore into an "
					   "empty database, --create a new "
					   "one, or --clean)",
					   r->database, shown_schema);
		}
	}
	ark_pg_result_free(res);
	return rc;
}

/* --table: the table exists, and is empty unless --clean. */
static int check_table_target(struct restore *r, size_t t,
			      struct ark_error *err)
{
	const struct ark_pgrestore_table *table = &r->result->tables[t];
	struct ark_buf sql = ARK_BUF_INIT, value = ARK_BUF_INIT;
	const char *params[2] = { table->schema, table->name };
	char shown_schema[256], shown_name[256];
	int is_null = 0, rc;

	display(shown_schema, sizeof(shown_schema), table->schema);
	display(shown_name, sizeof(shown_name), table->name);
	rc = ark_pg_query_value(r->pg,
				"SELECT count(*) FROM pg_catalog.pg_class c "
				"JOIN pg_catalog.pg_namespace n ON n.oid = "
				"c.relnamespace WHERE n.nspname = $1 AND "
				"c.relname = $2 AND c.relkind IN ('r', 'p')",
				2, params, &value, &is_null, err);
	if (rc)
		goto cleanup;
	if (strcmp(value.data, "1") != 0) {
		rc = ark_error_set(err, ARK_ERR_REFUSED, 0,
				   "table \"%s\".\"%s\" does not exist in "
				   "database \"%s\": --table loads data into "
				   "existing tables only (restore the whole "
				   "archive, or create the table first)",
				   shown_schema, shown_name,
				   r->database);
		goto cleanup;
	}
	if (r->options->clean)
		goto cleanup;
	ark_buf_append_str(&sql, "SELECT EXISTS (SELECT FROM ");
	ark_pg_append_qualified(&sql, table->schema, table->name);
	ark_buf_append_char(&sql, ')');
	ark_buf_reset(&value);
	if (ark_buf_failed(&sql)) {
		rc = oom(err);
		goto cleanup;
	}
	if ((rc = ark_pg_query_value(r->pg, sql.data, 0, NULL, &value,
				     &is_null, err)))
		goto cleanup;
	if (strcmp(value.data, "t") == 0)
		rc = ark_error_set(err, ARK_ERR_NOT_EMPTY, 0,
				   "table \"%s\".\"%s\" in database \"%s\" "
				   "holds rows (--clean empties it first)",
				   shown_schema, shown_name,
				   r->database);
cleanup:
	ark_buf_free(&sql);
	ark_buf_free(&value);
	return rc;
}

static int check_target(struct restore *r, struct ark_error *err)
{
	int rc;

	if (r->options->table_count) {
		for (size_t t = 0; t < r->result->table_count; t++)
			if ((rc = check_table_target(r, t, err)))
				return rc;
		return 0;
	}
	if (r->options->clean)
		return 0;
	return for_each_schema(r, check_schema_empty, err);
}

/* ---- pre-data ---- */

static int pre_data(struct restore *r, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	int single = r->options->single_transaction;
	int rc;

	if (!single)
		ark_buf_append_str(&sql, "BEGIN;\n");
	if (r->options->clean)
		r->result->dropped = ark_sqlscript_drops(&r->pre, &sql);
	append_statements(&sql, &r->pre, 0);
	if (!single)
		ark_buf_append_str(&sql, "COMMIT;\n");
	if (ark_buf_failed(&sql)) {
		rc = oom(err);
		goto cleanup;
	}
	r->result->touched = 1;
	rc = ark_pg_exec(r->pg, sql.data, err);
	if (rc) {
		r->result->pre_data = ARK_PGRESTORE_FAILED;
		ark_error_prefix(err, "pre-data");
		if (!single)
			/* the failed statement aborted the transaction */
			(void)ark_pg_exec(r->pg, "ROLLBACK", NULL);
		goto cleanup;
	}
	r->result->pre_data = ARK_PGRESTORE_DONE;
	r->result->pre_data_statements = r->pre.count;
cleanup:
	ark_buf_free(&sql);
	return rc;
}

/* ---- data ---- */

struct load {
	struct restore *r;
	struct ark_pg *pg;
	struct ark_pool_job *job; /* NULL in one transaction */
	struct ark_digest_stream stream;
};

static int load_sink_write(void *ctx, const void *buf, size_t len,
			   struct ark_error *err)
{
	struct load *load = ctx;
	int rc;

	if (load->job && (rc = ark_pool_job_check(load->job, err)))
		return rc;
	ark_digest_stream_feed(&load->stream, buf, len);
	return ark_pg_copy_in_put(load->pg, buf, len, err);
}

/*
 * Can the table be loaded with COPY FREEZE after a TRUNCATE in the same
 * transaction: a plain table (not partitioned, not foreign) that no
 * foreign key references (TRUNCATE would refuse it).
 */
static int table_freezable(struct ark_pg *pg,
			   const struct ark_pgrestore_table *table,
			   int *freezable, struct ark_error *err)
{
	struct ark_buf value = ARK_BUF_INIT;
	const char *params[2] = { table->schema, table->name };
	int is_null = 0, rc;

	rc = ark_pg_query_value(pg,
				"SELECT count(*) FROM pg_catalog.pg_class c "
				"JOIN pg_catalog.pg_namespace n ON n.oid = "
				"c.relnamespace WHERE n.nspname = $1 AND "
				"c.relname = $2 AND c.relkind = 'r' AND NOT "
				"EXISTS (SELECT FROM pg_catalog.pg_constraint k "
				"WHERE k.confrelid = c.oid AND k.contype = 'f')",
				2, params, &value, &is_null, err);
	*freezable = rc == 0 && strcmp(value.data, "1") == 0;
	ark_buf_free(&value);
	return rc;
}

static int load_table(struct restore *r, struct ark_pg *pg,
		      struct ark_pool_job *job, size_t t,
		      struct ark_error *err)
{
	struct ark_pgrestore_table *table = &r->result->tables[t];
	struct load load = { r, pg, job, { { 0, { 0, 0 } }, NULL, 0 } };
	struct ark_sink sink = { load_sink_write, &load };
	struct ark_buf sql = ARK_BUF_INIT;
	const struct ark_pgrestore_options *o = r->options;
	int single = o->single_transaction, freezable = 0, truncate;
	int own_transaction = 0, copying = 0, streaming = 0, rc;
	uint64_t rows = 0;
	char shown[2][256];

	display(shown[0], sizeof(shown[0]), table->schema);
	display(shown[1], sizeof(shown[1]), table->name);
	if ((rc = table_freezable(pg, table, &freezable, err)))
		goto cleanup;
	/*
	 * COPY FREEZE writes the rows frozen: nothing to rewrite when they
	 * are first read (hint bits) - by the verification, the index builds
	 * and the application.  PostgreSQL allows it in the transaction that
	 * created or truncated the table: the restore's own (one
	 * transaction), or BEGIN; TRUNCATE (of the table pre-data has just
	 * created, or that --clean empties); COPY; COMMIT.
	 */
	truncate = (o->table_count && o->clean) ||
		   (!single && !o->table_count && freezable);
	own_transaction = truncate && !single;
	if (own_transaction)
		ark_buf_append_str(&sql, "BEGIN; ");
	if (truncate) {
		ark_buf_append_str(&sql, "TRUNCATE ONLY ");
		ark_pg_append_qualified(&sql, table->schema, table->name);
	}
	if (sql.len && !ark_buf_failed(&sql) &&
	    (rc = ark_pg_exec(pg, sql.data, err)))
		goto cleanup;
	ark_buf_reset(&sql);
	ark_buf_append_str(&sql, "COPY ");
	ark_pg_append_qualified(&sql, table->schema, table->name);
	if (json_array_size(r->columns[t])) {
		ark_buf_append_str(&sql, " (");
		append_columns(&sql, r->columns[t]);
		ark_buf_append_char(&sql, ')');
	}
	ark_buf_append_str(&sql, " FROM STDIN");
	if (freezable && (truncate || (single && !o->table_count)))
		ark_buf_append_str(&sql, " (FREEZE)");
	if (ark_buf_failed(&sql)) {
		rc = oom(err);
		goto cleanup;
	}
	if ((rc = ark_digest_stream_begin(&load.stream, err)))
		goto cleanup;
	streaming = 1;
	if ((rc = ark_pg_copy_in_begin(pg, sql.data, err)))
		goto cleanup;
	copying = 1;
	rc = ark_archive_extract_member(r->reader, r->members[t], sink, NULL,
					err);
	if (rc)
		goto cleanup;
	streaming = 0;
	if ((rc = ark_digest_stream_end(&load.stream, table->name, err)))
		goto cleanup;
	/* Checked before: the file changed since? */
	if (!ark_digest_equal(&load.stream.digest, &table->expected)) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: the table's member changed while it "
				   "was restored (its content digest differs "
				   "from the manifest's)", r->options->archive);
		goto cleanup;
	}
	copying = 0;
	if ((rc = ark_pg_copy_in_end(pg, &rows, err)))
		goto cleanup;
	if (rows != table->expected.rows) {
		rc = ark_error_set(err, ARK_ERR_MISMATCH, 0,
				   "%" PRIu64 " rows sent, the server loaded "
				   "%" PRIu64, table->expected.rows, rows);
		goto cleanup;
	}
	if (own_transaction && (rc = ark_pg_exec(pg, "COMMIT", err)))
		goto cleanup;
	table->rows_loaded = rows;
	table->loaded = 1;
cleanup:
	if (streaming)
		ark_digest_stream_abandon(&load.stream);
	if (copying)
		ark_pg_copy_in_abort(pg, "ark-restore stopped");
	if (rc && own_transaction)
		(void)ark_pg_exec(pg, "ROLLBACK", NULL);
	if (rc && rc != ARK_ERR_INTERRUPTED)
		ark_error_prefix(err, "loading table \"%s\".\"%s\"", shown[0],
				 shown[1]);
	ark_buf_free(&sql);
	return rc;
}

struct table_job {
	struct restore *r;
	size_t table;
};

static int verify_table(struct restore *r, struct ark_pg *pg, size_t t,
			struct ark_error *err);

static int load_job(struct ark_pool_job *job, void *arg,
		    struct ark_error *err)
{
	struct table_job *tj = arg;
	struct slot *slot;
	int rc;

	if ((rc = slot_take(tj->r, &slot, err)))
		return rc;
	rc = load_table(tj->r, slot->pg, job, tj->table, err);
	/*
	 * Read back and digested at once, on the connection that loaded it
	 * (its session is ark's: the scripts run on the main connection),
	 * while the other workers still load: the small tables' checks cost
	 * nothing beside the largest table's load.  Before post-data, which
	 * changes no row (indexes, constraints, triggers, policies).
	 */
	if (rc == 0)
		rc = verify_table(tj->r, slot->pg, tj->table, err);
	slot_give(tj->r, slot);
	return rc;
}

/* ---- verification ---- */

static int digest_sink(void *context, const char *data, size_t len,
		       struct ark_error *err)
{
	(void)err;
	ark_digest_stream_feed(context, data, len);
	return 0;
}

static int verify_table(struct restore *r, struct ark_pg *pg, size_t t,
			struct ark_error *err)
{
	struct ark_pgrestore_table *table = &r->result->tables[t];
	struct ark_digest_stream stream;
	struct ark_buf sql = ARK_BUF_INIT;
	char shown[2][256];
	int rc;

	display(shown[0], sizeof(shown[0]), table->schema);
	display(shown[1], sizeof(shown[1]), table->name);
	ark_buf_append_str(&sql, "COPY (SELECT ");
	append_columns(&sql, r->columns[t]);
	/* ONLY: the table's own rows, as COPY t TO wrote them (a table
	 * with inheritance children is archived without theirs) */
	ark_buf_append_str(&sql, " FROM ONLY ");
	ark_pg_append_qualified(&sql, table->schema, table->name);
	ark_buf_append_str(&sql, ") TO STDOUT");
	if (ark_buf_failed(&sql)) {
		ark_buf_free(&sql);
		return oom(err);
	}
	if ((rc = ark_digest_stream_begin(&stream, err))) {
		ark_buf_free(&sql);
		return rc;
	}
	rc = ark_pg_copy_out(pg, sql.data, digest_sink, &stream, err);
	ark_buf_free(&sql);
	if (rc) {
		ark_digest_stream_abandon(&stream);
	} else if (!(rc = ark_digest_stream_end(&stream, table->name, err))) {
		table->actual = stream.digest;
		table->verified = 1;
		table->equal = ark_digest_equal(&table->actual,
						&table->expected);
	}
	if (rc && rc != ARK_ERR_INTERRUPTED)
		ark_error_prefix(err, "verifying table \"%s\".\"%s\"",
				 shown[0], shown[1]);
	return rc;
}

/* ---- post-data ---- */

struct statement_job {
	struct restore *r;
	size_t statement;
};

static int statement_job(struct ark_pool_job *job, void *arg,
			 struct ark_error *err)
{
	struct statement_job *sj = arg;
	struct restore *r = sj->r;
	const struct ark_sqlscript_statement *st =
		&r->post.statements[sj->statement];
	struct ark_buf sql = ARK_BUF_INIT;
	struct slot *slot;
	int rc;

	(void)job;
	if ((rc = slot_take(r, &slot, err)))
		return rc;
	/* the session settings the script made before this statement */
	for (size_t i = 0, seen = 0; i < r->post.count && seen <
	     st->session_before; i++) {
		const struct ark_sqlscript_statement *s = &r->post.statements[i];

		if (s->class != ARK_SQLSCRIPT_SESSION)
			continue;
		if (seen++ < slot->session_done)
			continue;
		ark_buf_append(&sql, r->post.text + s->offset, s->len);
		ark_buf_append_char(&sql, '\n');
	}
	ark_buf_append(&sql, r->post.text + st->offset, st->len);
	if (ark_buf_failed(&sql))
		rc = oom(err);
	else
		rc = ark_pg_exec(slot->pg, sql.data, err);
	if (!rc)
		slot->session_done = st->session_before;
	ark_buf_free(&sql);
	slot_give(r, slot);
	return rc;
}

static int post_data(struct restore *r, struct ark_pool *pool,
		     struct ark_error *err)
{
	struct statement_job *jobs = NULL;
	struct ark_buf sql = ARK_BUF_INIT;
	int single = r->options->single_transaction;
	size_t n = 0;
	int rc = 0;

	r->result->post_data_statements = r->post.count;
	if (single || !pool) {
		append_statements(&sql, &r->post, 0);
	} else {
		jobs = calloc(r->post.count ? r->post.count : 1, sizeof(*jobs));
		if (!jobs) {
			rc = oom(err);
			goto cleanup;
		}
		for (size_t i = 0; i < r->post.count && !rc; i++) {
			if (r->post.statements[i].class !=
			    ARK_SQLSCRIPT_PARALLEL)
				continue;
			jobs[n] = (struct statement_job){ r, i };
			rc = ark_pool_submit(pool, statement_job, &jobs[n++],
					     err);
		}
		if (!rc)
			rc = ark_pool_wait(pool, err);
		else
			(void)ark_pool_wait(pool, NULL);
		if (n)
			r->result->post_data = ARK_PGRESTORE_PARTIAL;
		if (rc)
			goto cleanup;
		r->result->post_data_parallel = n;
		append_statements(&sql, &r->post, 1);
	}
	if (ark_buf_failed(&sql)) {
		rc = oom(err);
		goto cleanup;
	}
	if (sql.len) {
		/* one multi-statement query: one implicit transaction */
		if ((rc = ark_pg_exec(r->pg, sql.data, err)))
			goto cleanup;
	}
	r->result->post_data = ARK_PGRESTORE_DONE;
cleanup:
	if (rc) {
		if (r->result->post_data != ARK_PGRESTORE_PARTIAL)
			r->result->post_data = ARK_PGRESTORE_FAILED;
		if (rc != ARK_ERR_INTERRUPTED)
			ark_error_prefix(err, "post-data");
	}
	free(jobs);
	ark_buf_free(&sql);
	return rc;
}

/* ---- the run ---- */

static int run_tables(struct restore *r, struct ark_pool *pool,
		      ark_pool_fn fn, struct ark_error *err)
{
	struct table_job *jobs;
	size_t count = r->result->table_count;
	int rc = 0;

	jobs = calloc(count ? count : 1, sizeof(*jobs));
	if (!jobs)
		return oom(err);
	for (size_t t = 0; t < count && !rc; t++) {
		jobs[t] = (struct table_job){ r, t };
		rc = ark_pool_submit(pool, fn, &jobs[t], err);
	}
	if (!rc)
		rc = ark_pool_wait(pool, err);
	else
		(void)ark_pool_wait(pool, NULL);
	free(jobs);
	return rc;
}

static int verify_archive(struct restore *r, struct ark_error *err)
{
	struct ark_verify_options options = { .deep = 1 };
	struct ark_verify_result result;
	struct ark_progress *progress;
	int rc;

	memset(&result, 0, sizeof(result));
	snprintf(result.path, sizeof(result.path), "%s", r->options->archive);
	progress = ark_progress_new("verify", r->manifest->prefix_size,
				    r->options->progress);
	rc = ark_archive_verify_data(r->reader, progress, err);
	if (!rc)
		rc = r->manifest->kind_entry->deep_check(r->reader, &options,
							 progress, &result,
							 err);
	ark_progress_free(progress);
	return rc;
}

static int prepare(struct restore *r, struct ark_error *err)
{
	const struct ark_pgrestore_options *o = r->options;
	int rc;

	if ((rc = ark_archive_reader_open(o->archive, &r->reader, err)))
		return rc;
	r->manifest = ark_archive_reader_manifest(r->reader);
	if (strcmp(r->manifest->kind, "pg") != 0)
		return ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				     "%s: a %s archive, not a pg archive",
				     o->archive, r->manifest->kind);
	if ((rc = verify_archive(r, err)))
		return rc;
	ark_log(ARK_LOG_INFO, "%s: every hash and table digest checked",
		o->archive);
	if ((rc = select_tables(r, err)))
		return rc;
	if (o->table_count)
		return 0; /* no pre- or post-data */
	if ((rc = read_sql(r, ARK_PGARCHIVE_PRE_DATA_ROLE, &r->pre_sql, err)) ||
	    (rc = read_sql(r, ARK_PGARCHIVE_POST_DATA_ROLE, &r->post_sql,
			   err)))
		return rc;
	if (ark_sqlscript_split(r->pre_sql.data ? r->pre_sql.data : "",
				r->pre_sql.len, &r->pre) ||
	    ark_sqlscript_split(r->post_sql.data ? r->post_sql.data : "",
				r->post_sql.len, &r->post))
		return oom(err);
	r->created_schema_count =
		ark_sqlscript_created_schemas(&r->pre, &r->created_schemas);
	if (ark_buf_failed(&r->created_schemas))
		return oom(err);
	return 0;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/*
 * Every table read back (res->tables[].equal): ARK_ERR_MISMATCH naming
 * the first that differs from the archive.
 */
static int verified(struct restore *r, struct ark_error *err)
{
	struct ark_pgrestore_result *res = r->result;

	res->verify_done = 1;
	for (size_t t = 0; t < res->table_count; t++) {
		const struct ark_pgrestore_table *table = &res->tables[t];
		char want[ARK_DIGEST_TEXT_MAX], have[ARK_DIGEST_TEXT_MAX];
		char shown[2][256];

		if (table->equal)
			continue;
		ark_digest_format(&table->expected, want);
		ark_digest_format(&table->actual, have);
		display(shown[0], sizeof(shown[0]), table->schema);
		display(shown[1], sizeof(shown[1]), table->name);
		return ark_error_set(err, ARK_ERR_MISMATCH, 0,
				   "table \"%s\".\"%s\": the restored rows "
				   "differ from the archive's (digest %s, "
				   "archive %s)", shown[0], shown[1], have,
				   want);
	}
	return 0;
}

static int restore(struct restore *r, struct ark_error *err)
{
	struct timespec start;
	const struct ark_pgrestore_options *o = r->options;
	struct ark_pgrestore_result *res = r->result;
	struct ark_pool *pool = NULL;
	int single = o->single_transaction;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if ((rc = prepare(r, err)))
		goto cleanup;
	ark_log(ARK_LOG_INFO, "archive verified: %.2f s", seconds_since(&start));
	if (o->create && (rc = create_database(r, err)))
		goto cleanup;
	if ((rc = ark_pg_connect(r->conninfo, APPLICATION, &r->pg, err)))
		goto cleanup;
	snprintf(res->target, sizeof(res->target), "%s",
		 ark_pg_safe_conninfo(r->pg));
	snprintf(res->database, sizeof(res->database), "%s",
		 ark_pg_database(r->pg));
	display(r->database, sizeof(r->database), res->database);
	if ((rc = check_target(r, err)))
		goto cleanup;
	if (single) {
		if ((rc = ark_pg_exec(r->pg, "BEGIN", err)))
			goto cleanup;
		r->slots[0].pg = r->pg; /* the one connection */
	} else if ((rc = ark_pool_new(r->jobs, &pool, err)))
		goto cleanup;
	if (o->table_count)
		res->pre_data = res->post_data = ARK_PGRESTORE_SKIPPED;
	else if ((rc = pre_data(r, err)))
		goto cleanup;
	res->touched = 1;
	ark_log(ARK_LOG_INFO, "pre-data applied: %.2f s", seconds_since(&start));
	if (single) {
		for (size_t t = 0; t < res->table_count && !rc; t++)
			rc = load_table(r, r->pg, NULL, t, err);
	} else
		rc = run_tables(r, pool, load_job, err);
	for (size_t t = 0; t < res->table_count; t++) {
		if (res->tables[t].loaded) {
			res->tables_loaded++;
			res->rows_loaded += res->tables[t].rows_loaded;
		}
	}
	if (rc)
		goto cleanup;
	ark_log(ARK_LOG_INFO, "data loaded%s: %.2f s",
		single ? "" : " and verified", seconds_since(&start));
	if (!single && (rc = verified(r, err)))
		goto cleanup;
	if (!o->table_count && (rc = post_data(r, pool, err)))
		goto cleanup;
	ark_log(ARK_LOG_INFO, "post-data applied: %.2f s",
		seconds_since(&start));
	/* the script's SET statements may have changed how values print */
	if (single) {
		if ((rc = ark_pg_session_reset(r->pg, err)))
			goto cleanup;
		for (size_t t = 0; t < res->table_count && !rc; t++)
			rc = verify_table(r, r->pg, t, err);
		if (rc || (rc = verified(r, err)))
			goto cleanup;
	}
	if (single) {
		if ((rc = ark_pg_exec(r->pg, "COMMIT", err)))
			goto cleanup;
		res->committed = 1;
	}
cleanup:
	if (single && r->pg && !res->committed && res->touched)
		(void)ark_pg_exec(r->pg, "ROLLBACK", NULL);
	if (single)
		r->slots[0].pg = NULL;
	ark_pool_free(pool);
	return rc;
}

int ark_pgrestore_run(const struct ark_pgrestore_options *options,
		      struct ark_pgrestore_result *result,
		      struct ark_error *err)
{
	struct restore r;
	struct timespec start, end;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	memset(result, 0, sizeof(*result));
	memset(&r, 0, sizeof(r));
	snprintf(result->archive, sizeof(result->archive), "%s",
		 options->archive);
	result->single_transaction = options->single_transaction;
	r.options = options;
	r.result = result;
	r.conninfo = options->conninfo;
	if (!r.conninfo) {
		const char *url = getenv("DATABASE_URL");

		if (url && url[0])
			r.conninfo = url;
	}
	r.jobs = options->single_transaction ? 1 : options->jobs;
	if (r.jobs < 1 || r.jobs > ARK_PGRESTORE_JOBS_MAX)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "jobs must be 1 to %d",
				     ARK_PGRESTORE_JOBS_MAX);
	pthread_mutex_init(&r.mutex, NULL);
	rc = restore(&r, err);
	for (int i = 0; i < ARK_PGRESTORE_JOBS_MAX; i++)
		ark_pg_free(r.slots[i].pg);
	ark_pg_free(r.pg);
	pthread_mutex_destroy(&r.mutex);
	ark_sqlscript_free(&r.pre);
	ark_sqlscript_free(&r.post);
	ark_buf_free(&r.pre_sql);
	ark_buf_free(&r.post_sql);
	ark_buf_free(&r.created_schemas);
	free(r.members);
	free(r.columns);
	ark_archive_reader_free(r.reader);
	clock_gettime(CLOCK_MONOTONIC, &end);
	result->seconds = (double)(end.tv_sec - start.tv_sec) +
			  (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	return rc;
}

void ark_pgrestore_result_free(struct ark_pgrestore_result *result)
{
	if (!result)
		return;
	free(result->tables);
	result->tables = NULL;
	result->table_count = 0;
}

int ark_pgrestore_kind_restore(const struct ark_restore_options *options,
			       struct ark_restore_result *result,
			       struct ark_error *err)
{
	struct ark_pgrestore_options pg = {
		.archive = options->archive,
		.conninfo = options->target,
		.create = options->create,
		.clean = options->clean,
		.single_transaction = options->single_transaction,
		.jobs = options->jobs,
		.tables = options->tables,
		.table_count = options->table_count,
		.progress = options->progress,
	};

	if (pg.jobs == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		pg.jobs = cpus < 1 ? 1
			  : cpus > ARK_PGRESTORE_JOBS_MAX ? ARK_PGRESTORE_JOBS_MAX
							  : (int)cpus;
	}
	return ark_pgrestore_run(&pg, &result->pg, err);
}
