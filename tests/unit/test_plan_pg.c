/*
 * test_plan_pg.c - the plan against the real server (tests/with-pg): the
 * pre- and post-data SQL of a rich, hostile schema runs and the catalog
 * holds what the plan says; the reserved words are the server's; DEFAULT
 * translations print what SQLite prints (strftime against SQLite itself,
 * in a session whose TimeZone is not UTC); CHECK translations decide as
 * SQLite decides over a grid of values, under an ICU collation that
 * orders text unlike SQLite.  Needs PGHOST: fails without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "unit_helpers.h"

#include "ark/plan.h"
#include "pg/sqlexpr_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define COLUMN(n, t, aff) {.name = (n), .declared_type = (t), .affinity = (aff)}

static PGconn *conn;

static void quiet(void *context, const char *message)
{
	(void)context;
	(void)message;
}

static int setup(void **state)
{
	(void)state;
	if (!getenv("PGHOST") || !getenv("PGHOST")[0]) {
		fprintf(stderr, "test_plan_pg: PGHOST is not set: run under "
				"tests/with-pg\n");
		return -1;
	}
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "test_plan_pg: %s", PQerrorMessage(conn));
		return -1;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	return 0;
}

static void exec_ok(const char *sql)
{
	PGresult *r = PQexec(conn, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s\n-- failed: %s", sql, PQerrorMessage(conn));
	PQclear(r);
}

/* One row's values of a query (text, with $1.. parameters). */
static PGresult *query(const char *sql, int nparams, const char *const *params)
{
	PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL,
				   0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s\n-- failed: %s", sql, PQerrorMessage(conn));
	return r;
}

static char *qualified(const char *schema, const char *name)
{
	struct ark_buf b = ARK_BUF_INIT;

	ark_sqlexpr_append_ident(&b, schema);
	ark_buf_append_char(&b, '.');
	ark_sqlexpr_append_ident(&b, name);
	return ark_buf_take(&b);
}

/* ---- reserved words --------------------------------------------------- */

static void test_reserved_words_are_the_servers(void **state)
{
	PGresult *r;
	int i, reserved = 0;

	(void)state;
	r = query("SELECT word, catcode FROM pg_get_keywords()", 0, NULL);
	for (i = 0; i < PQntuples(r); i++) {
		const char *word = PQgetvalue(r, i, 0);
		int server = strchr("RT", PQgetvalue(r, i, 1)[0]) != NULL;

		if (server != ark_plan_is_reserved_word(word))
			fail_msg("\"%s\": server says %s", word,
				 server ? "reserved" : "not reserved");
		reserved += server;
	}
	assert_true(reserved > 90);
	PQclear(r);
}

/* ---- a rich schema, executed ------------------------------------------ */

static void test_rich_schema_executes(void **state)
{
	char long_a[80], long_b[80];
	struct ark_sqlite_column users_cols[] = {
		COLUMN("Id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Name", "VARCHAR(40)", ARK_AFFINITY_TEXT),
		COLUMN("select", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("We\"ird\\ name\n", "REAL", ARK_AFFINITY_REAL),
		COLUMN("Ünïcödé", "NUMERIC(10,2)",
		       ARK_AFFINITY_NUMERIC),
		COLUMN(long_a, "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN(long_b, "BOOLEAN", ARK_AFFINITY_NUMERIC),
		COLUMN("created", "DATETIME", ARK_AFFINITY_NUMERIC),
		COLUMN("created_tz", "TIMESTAMP", ARK_AFFINITY_NUMERIC),
		COLUMN("day", "DATE", ARK_AFFINITY_NUMERIC),
		COLUMN("stamp_text", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("epoch", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("doc", "JSON", ARK_AFFINITY_NUMERIC),
		COLUMN("uid", "UUID", ARK_AFFINITY_NUMERIC),
		COLUMN("blob", "BLOB", ARK_AFFINITY_BLOB),
		COLUMN("email", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("flag", "BOOL", ARK_AFFINITY_NUMERIC),
		COLUMN("untyped", "", ARK_AFFINITY_BLOB),
		COLUMN("Ms", "DATETIME", ARK_AFFINITY_NUMERIC),
		COLUMN("code", "CHAR(3)", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column lower_cols[] = {
		COLUMN("id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("user", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("CTID", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column orders_cols[] = {
		COLUMN("user_id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("n", "INT", ARK_AFFINITY_INTEGER),
		COLUMN("email", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("amount", "DECIMAL(12,2)", ARK_AFFINITY_NUMERIC),
	};
	struct ark_sqlite_index_column email_key[] = {
		{"email", NULL, "BINARY", 0}};
	struct ark_sqlite_index_column name_select[] = {
		{"Name", NULL, "BINARY", 1}, {"select", NULL, "BINARY", 0}};
	struct ark_sqlite_index_column length_key[] = {
		{NULL, "length(email)", "BINARY", 0}};
	struct ark_sqlite_index users_indexes[] = {
		{"sqlite_autoindex_Users_1", 1, 'u', 0, NULL, NULL, 1,
		 email_key},
		{"Users", 0, 'c', 1,
		 "\"Ünïcödé\" > 0 AND \"select\" "
		 "BETWEEN 'a' AND 'z'",
		 "CREATE INDEX ...", 2, name_select},
		{"ix_len", 0, 'c', 0, NULL, "CREATE INDEX ...", 1, length_key},
	};
	struct ark_sqlite_check users_checks[] = {
		{NULL, "Name", "length(\"Name\") <= 40"},
		{"select", NULL, "\"select\" <> '' AND \"We\"\"ird\\ name\n\" >= 0"},
		{"positive", NULL, "epoch >= 0 OR epoch IS NULL"},
		{NULL, "flag", "flag IN (0, 1)"},
	};
	struct ark_sqlite_index_column user_n[] = {
		{"user_id", NULL, "BINARY", 0}, {"n", NULL, "BINARY", 0}};
	struct ark_sqlite_index orders_indexes[] = {
		{"sqlite_autoindex_Orders_1", 1, 'p', 0, NULL, NULL, 2, user_n},
	};
	char *fk1_from[] = {"user_id"}, *fk1_to[] = {NULL};
	char *fk2_from[] = {"email"}, *fk2_to[] = {"email"};
	struct ark_sqlite_foreign_key orders_fks[] = {
		{"users", 1, fk1_from, fk1_to, "NO ACTION", "CASCADE", 1},
		{"Users", 1, fk2_from, fk2_to, "CASCADE", "SET NULL", 0},
	};
	struct ark_column_profile users_profile[N(users_cols)];
	struct ark_column_profile lower_profile[N(lower_cols)];
	struct ark_column_profile orders_profile[N(orders_cols)];
	struct ark_table_profile tps[3] = {
		{3, N(users_cols), users_profile, 0, 0},
		{3, N(lower_cols), lower_profile, 0, 0},
		{3, N(orders_cols), orders_profile, 0, 0},
	};
	struct ark_profile profile = {3, tps};
	struct ark_sqlite_table tables[3];
	struct ark_sqlite_schema s;
	struct ark_plan_options options;
	struct ark_plan *plan = NULL;
	struct ark_error err = {0};
	struct ark_buf pre = ARK_BUF_INIT, post = ARK_BUF_INIT;
	const char *schema = "ark stage \"x\"\\";
	char *users_table;
	PGresult *r;
	size_t i, j;

	(void)state;
	memset(long_a, 'c', 62);
	strcpy(long_a + 62, "\xc3\xa9_a"); /* cut inside the é: 62 bytes */
	memset(long_b, 'c', 62);
	strcpy(long_b + 62, "\xc3\xa9_b");
	memset(users_profile, 0, sizeof users_profile);
	memset(lower_profile, 0, sizeof lower_profile);
	memset(orders_profile, 0, sizeof orders_profile);
	users_profile[0].integers = 3;
	users_profile[0].min_integer = 1;
	users_profile[0].max_integer = 90;
	users_profile[6].integers = 3;
	users_profile[6].max_integer = 1;
	users_profile[8].texts = 3;
	users_profile[8].text_shapes_all = ARK_SHAPE_UTF8 |
					   ARK_SHAPE_TIMESTAMPTZ;
	users_profile[8].text_shapes_any = users_profile[8].text_shapes_all;
	users_profile[16].texts = 2;
	users_profile[16].texts_bool = 2;
	users_profile[17].integers = 2;
	users_profile[17].reals = 1;
	lower_profile[0].integers = 5;
	lower_profile[0].max_integer = 5;

	tables[0] = (struct ark_sqlite_table){0};
	tables[0].name = "Users";
	tables[0].columns = users_cols;
	tables[0].ncolumns = N(users_cols);
	tables[0].rowid_alias = 0;
	tables[0].autoincrement = 1;
	tables[0].has_sequence = 1;
	tables[0].sequence = 100;
	tables[0].indexes = users_indexes;
	tables[0].nindexes = N(users_indexes);
	tables[0].checks = users_checks;
	tables[0].nchecks = N(users_checks);
	users_cols[0].pk_position = 1;
	users_cols[1].not_null = 1;
	users_cols[1].default_sql = "'anon''ymous\\'";
	users_cols[2].default_sql = "CURRENT_TIMESTAMP";
	users_cols[3].default_sql = "1.5";
	users_cols[4].default_sql = "12.5";
	users_cols[5].default_sql = "42";
	users_cols[6].default_sql = "TRUE";
	users_cols[7].default_sql = "CURRENT_TIMESTAMP";
	users_cols[8].default_sql = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))";
	users_cols[9].default_sql = "(date('now'))";
	users_cols[10].default_sql = "(strftime('%Y%m%d-%H%M%S %j %w %s "
				     "%%','now'))";
	users_cols[11].default_sql = "(unixepoch())";
	users_cols[13].default_sql = "'0a1b2c3d-0000-4000-8000-00000000000f'";
	users_cols[14].default_sql = "X'00FF'";
	users_cols[16].default_sql = "'true'";
	users_cols[18].default_sql = "(strftime('%Y-%m-%d %H:%M:%f','now'))";
	users_cols[19].default_sql = "'abc'";
	tables[1] = (struct ark_sqlite_table){0};
	tables[1].name = "users";
	tables[1].columns = lower_cols;
	tables[1].ncolumns = N(lower_cols);
	tables[1].rowid_alias = 0;
	lower_cols[0].pk_position = 1;
	tables[2] = (struct ark_sqlite_table){0};
	tables[2].name = "Orders";
	tables[2].columns = orders_cols;
	tables[2].ncolumns = N(orders_cols);
	tables[2].rowid_alias = -1;
	tables[2].without_rowid = 1;
	tables[2].indexes = orders_indexes;
	tables[2].nindexes = 1;
	tables[2].foreign_keys = orders_fks;
	tables[2].nforeign_keys = N(orders_fks);
	orders_cols[0].pk_position = 1;
	orders_cols[1].pk_position = 2;
	orders_cols[3].default_sql = "0.10";
	s = (struct ark_sqlite_schema){0};
	s.tables = tables;
	s.ntables = 3;

	memset(&options, 0, sizeof options);
	assert_int_equal(ark_plan_make(&s, &profile, &options, &plan, &err), 0);
	assert_int_equal(ark_plan_pre_data_sql(plan, schema, &pre, &err), 0);
	assert_int_equal(ark_plan_post_data_sql(plan, schema, &post, &err), 0);
	/* every default was translated */
	for (i = 0; i < plan->nnotes; i++)
		if (strstr(plan->notes[i].message, "DEFAULT"))
			fail_msg("%s", plan->notes[i].message);

	exec_ok("SET TimeZone = 'America/St_Johns'");
	{
		struct ark_buf create = ARK_BUF_INIT;

		ark_buf_append_str(&create, "DROP SCHEMA IF EXISTS ");
		ark_sqlexpr_append_ident(&create, schema);
		ark_buf_append_str(&create, " CASCADE; CREATE SCHEMA ");
		ark_sqlexpr_append_ident(&create, schema);
		exec_ok(create.data);
		ark_buf_free(&create);
	}
	exec_ok(pre.data);
	exec_ok(post.data);

	/* the catalog: every column's name, type and NOT NULL */
	for (i = 0; i < plan->ntables; i++) {
		const struct ark_plan_table *t = &plan->tables[i];
		char *name = qualified(schema, t->name);
		const char *params[1] = {name};

		r = query("SELECT attname, format_type(atttypid, atttypmod), "
			  "attnotnull FROM pg_attribute WHERE attrelid = "
			  "$1::regclass AND attnum > 0 AND NOT attisdropped "
			  "ORDER BY attnum",
			  1, params);
		assert_int_equal(PQntuples(r), (int)t->ncolumns);
		for (j = 0; j < t->ncolumns; j++) {
			struct ark_pgtype_spec spec;

			assert_string_equal(PQgetvalue(r, (int)j, 0),
					    t->columns[j].name);
			assert_int_equal(ark_pgtype_parse(PQgetvalue(r, (int)j,
								     1),
							  &spec),
					 0);
			assert_int_equal(spec.type, t->columns[j].type.type);
			assert_int_equal(spec.length, t->columns[j].type.length);
			assert_int_equal(spec.precision,
					 t->columns[j].type.precision);
			assert_int_equal(spec.scale, t->columns[j].type.scale);
			assert_string_equal(PQgetvalue(r, (int)j, 2),
					    t->columns[j].not_null ||
							    (t->nuniques &&
							     t->uniques[0].primary &&
							     (t->uniques[0].columns[0] == j ||
							      (t->uniques[0].ncolumns > 1 &&
							       t->uniques[0].columns[1] == j)))
						    ? "t"
						    : "f");
		}
		PQclear(r);
		free(name);
	}
	/* names: the collision and the cut */
	assert_string_equal(plan->tables[0].name, "orders");
	assert_string_equal(plan->tables[1].name, "users");
	assert_string_equal(plan->tables[2].name, "users_2");
	assert_int_equal(strlen(plan->tables[1].columns[5].name), 62);
	assert_int_equal(strlen(plan->tables[1].columns[6].name), 63);

	/* constraints and indexes, by kind */
	{
		const char *params[1] = {schema};

		r = query("SELECT string_agg(c.contype::text, '' ORDER BY "
			  "c.contype) FROM pg_constraint c JOIN pg_namespace n "
			  "ON n.oid = c.connamespace WHERE n.nspname = $1",
			  1, params);
		/* 4 checks, 2 FKs, 3 PKs, 1 unique */
		assert_string_equal(PQgetvalue(r, 0, 0), "ccccffpppu");
		PQclear(r);
		r = query("SELECT string_agg(indexname, ',' ORDER BY indexname) "
			  "FROM pg_indexes WHERE schemaname = $1",
			  1, params);
		assert_string_equal(PQgetvalue(r, 0, 0),
				    "ix_len,orders_pkey,users_2_pkey,users_3,"
				    "users_email_key,users_pkey");
		PQclear(r);
	}

	/* defaults and the identity, in a row of defaults */
	users_table = qualified(schema, "users");
	{
		struct ark_buf sql = ARK_BUF_INIT;

		ark_buf_appendf(&sql, "INSERT INTO %s DEFAULT VALUES RETURNING "
				      "id, name, \"select\" ~ '^[0-9]{4}-[0-9]"
				      "{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$',"
				      " ",
				users_table);
		ark_sqlexpr_append_ident(&sql, plan->tables[1].columns[3].name);
		ark_buf_append_str(&sql, ", ");
		ark_sqlexpr_append_ident(&sql, plan->tables[1].columns[4].name);
		ark_buf_append_str(&sql, "::text, ");
		ark_sqlexpr_append_ident(&sql, plan->tables[1].columns[5].name);
		ark_buf_append_str(&sql, ", ");
		ark_sqlexpr_append_ident(&sql, plan->tables[1].columns[6].name);
		ark_buf_append_str(
			&sql,
			", created = date_trunc('second', now() AT TIME ZONE "
			"'UTC'), created_tz = date_trunc('milliseconds', "
			"now()), day::text = to_char(now() AT TIME ZONE "
			"'UTC', 'YYYY-MM-DD'), stamp_text ~ '^[0-9]{8}-[0-9]{6} "
			"[0-9]{3} [0-6] [0-9]+ %$', epoch = "
			"floor(extract(epoch FROM now())), uid, blob, flag, "
			"ms = date_trunc('milliseconds', now() AT TIME ZONE "
			"'UTC'), code");
		r = query(sql.data, 0, NULL);
		ark_buf_free(&sql);
	}
	assert_string_equal(PQgetvalue(r, 0, 0), "101");
	assert_string_equal(PQgetvalue(r, 0, 1), "anon'ymous\\");
	assert_string_equal(PQgetvalue(r, 0, 2), "t");
	assert_string_equal(PQgetvalue(r, 0, 3), "1.5");
	assert_string_equal(PQgetvalue(r, 0, 4), "12.50");
	assert_string_equal(PQgetvalue(r, 0, 5), "42");
	assert_string_equal(PQgetvalue(r, 0, 6), "t");
	assert_string_equal(PQgetvalue(r, 0, 7), "t");
	assert_string_equal(PQgetvalue(r, 0, 8), "t");
	assert_string_equal(PQgetvalue(r, 0, 9), "t");
	assert_string_equal(PQgetvalue(r, 0, 10), "t");
	assert_string_equal(PQgetvalue(r, 0, 11), "t");
	assert_string_equal(PQgetvalue(r, 0, 12),
			    "0a1b2c3d-0000-4000-8000-00000000000f");
	assert_string_equal(PQgetvalue(r, 0, 13), "\\x00ff");
	assert_string_equal(PQgetvalue(r, 0, 14), "t");
	assert_string_equal(PQgetvalue(r, 0, 15), "t");
	assert_string_equal(PQgetvalue(r, 0, 16), "abc");
	PQclear(r);
	free(users_table);

	{
		struct ark_buf drop = ARK_BUF_INIT;

		ark_buf_append_str(&drop, "DROP SCHEMA ");
		ark_sqlexpr_append_ident(&drop, schema);
		ark_buf_append_str(&drop, " CASCADE; RESET TimeZone");
		exec_ok(drop.data);
		ark_buf_free(&drop);
	}
	ark_buf_free(&pre);
	ark_buf_free(&post);
	ark_plan_free(plan);
}

/* ---- strftime against SQLite ------------------------------------------ */

static void test_strftime_matches_sqlite(void **state)
{
	static const char *const formats[] = {
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%H:%M:%S", "%Y%m%d%H%M%S",
		"%d/%m/%Y", "%j", "%w", "%s", "%f", "%Y-%m-%dT%H:%M:%fZ",
		"day %j of %Y (%%), %w", "at %H h %M", "%m%d", "%d%d%j",
		"\xc3\xa9t\xc3\xa9 %Y", "%%%Y%%", "T%H", "",
	};
	sqlite3 *db = NULL;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int k;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec_ok("SET TimeZone = 'Asia/Kathmandu'");
	for (k = 0; k < 300; k++) {
		char stamp[64];
		int64_t ms;
		size_t f;
		struct ark_buf sql = ARK_BUF_INIT;
		PGresult *r;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		/* 1970 .. 2099, millisecond precision; the first few are
		   year and leap-day boundaries */
		ms = (int64_t)((seed >> 11) % 4102444800000ULL);
		if (k == 0)
			ms = 0;
		if (k == 1)
			ms = 951782400000LL - 1; /* 2000-02-28 23:59:59.999 */
		if (k == 2)
			ms = 1704067199999LL; /* 2023-12-31 23:59:59.999 */
		{
			time_t secs = (time_t)(ms / 1000);
			struct tm tm;

			gmtime_r(&secs, &tm);
			snprintf(stamp, sizeof stamp,
				 "%04d-%02d-%02d %02d:%02d:%02d.%03d",
				 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				 tm.tm_hour, tm.tm_min, tm.tm_sec,
				 (int)(ms % 1000));
		}
		ark_buf_append_str(&sql, "SELECT ");
		for (f = 0; f < N(formats); f++) {
			struct ark_buf fmt_sql = ARK_BUF_INIT, expr = ARK_BUF_INIT;
			struct ark_pgtype_spec text = {ARK_PGTYPE_TEXT, -1, -1,
						       -1};
			const char *reason = NULL;
			const char *p;

			ark_buf_append_str(&fmt_sql, "strftime(");
			ark_sqlexpr_append_literal(&fmt_sql, formats[f]);
			ark_buf_append_str(&fmt_sql, ", 'now')");
			if (ark_sqlexpr_default(fmt_sql.data, &text, &expr,
						&reason) != 0)
				fail_msg("%s: %s", formats[f], reason);
			/* now() -> the instant, microseconds past the
			   millisecond (SQLite has milliseconds only) */
			if (f)
				ark_buf_append_str(&sql, ", ");
			for (p = expr.data; *p;) {
				if (strncmp(p, "now()", 5) == 0) {
					ark_buf_appendf(&sql,
							"'%s789+00'::timestamptz",
							stamp);
					p += 5;
				} else {
					ark_buf_append_char(&sql, *p++);
				}
			}
			ark_buf_free(&fmt_sql);
			ark_buf_free(&expr);
		}
		r = query(sql.data, 0, NULL);
		for (f = 0; f < N(formats); f++) {
			sqlite3_stmt *st = NULL;

			assert_int_equal(
				sqlite3_prepare_v2(db, "SELECT strftime(?1, ?2)",
						   -1, &st, NULL),
				SQLITE_OK);
			sqlite3_bind_text(st, 1, formats[f], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, stamp, -1, SQLITE_STATIC);
			assert_int_equal(sqlite3_step(st), SQLITE_ROW);
			assert_non_null(sqlite3_column_text(st, 0));
			if (strcmp((const char *)sqlite3_column_text(st, 0),
				   PQgetvalue(r, 0, (int)f)) != 0)
				fail_msg("%s at %s: SQLite \"%s\", PostgreSQL "
					 "\"%s\"",
					 formats[f], stamp,
					 sqlite3_column_text(st, 0),
					 PQgetvalue(r, 0, (int)f));
			sqlite3_finalize(st);
		}
		PQclear(r);
		ark_buf_free(&sql);
	}
	exec_ok("RESET TimeZone");
	sqlite3_close(db);
}

/* ---- CHECK translations decide as SQLite does ------------------------- */

static int grid_resolve(void *context, const char *name, const char **pg_name,
			int *cls)
{
	(void)context;
	if (strcasecmp(name, "n") == 0) {
		*pg_name = "n";
		*cls = ARK_SQLEXPR_NUMBER;
		return 0;
	}
	if (strcasecmp(name, "t") == 0) {
		*pg_name = "t";
		*cls = ARK_SQLEXPR_TEXT;
		return 0;
	}
	if (strcasecmp(name, "b") == 0) {
		*pg_name = "b";
		*cls = ARK_SQLEXPR_BOOLEAN_COLUMN;
		return 0;
	}
	return -1;
}

static void test_conditions_decide_as_sqlite(void **state)
{
	static const char *const numbers[] = {
		"NULL", "-1", "0", "1", "2.5", "10", "100", "-0.5",
		"9007199254740993"};
	static const char *const texts[] = {
		"NULL", "''", "'a'", "'B'", "'b'", "'\xc3\xa9'", "'z'",
		"'Zebra'", "'10'", "'9'", "'a b'", "'\xe2\x82\xac'"};
	static const char *const conditions[] = {
		"n > 0", "n >= 2.5 AND n <> 10", "NOT (n < 1)",
		"n IN (0, 1, 100)", "n NOT IN (0, 1)", "n BETWEEN -1 AND 2",
		"n NOT BETWEEN 0 AND 10", "n IS NULL OR t IS NOT NULL",
		"t ISNULL", "n NOTNULL", "t NOT NULL", "t = 'a'", "t <> 'a'",
		"t < 'b'", "t >= 'B'", "t > 'Z'", "t BETWEEN 'a' AND 'z'",
		"t NOT BETWEEN 'B' AND 'a'", "t IN ('a', 'B', '')",
		"length(t) > 1", "length(t) = 1 AND t < 'z'",
		"abs(n) <= 1", "n = TRUE", "n == FALSE OR t != ''",
		"(n > 0 OR t > 'a') AND NOT (t = 'z')", "n > 900719925474099",
		"n = 999999999999999", "t > '\xc3\xa9'",
		"n > -0.5 AND n < 1e1", "b IN (0, 1)", "b = 1 OR n > 0",
		"b <> 0 AND t = 'a'", "NOT (b = FALSE)", "b NOT IN (TRUE)",
		"b IS NULL",
	};
	static const char *const booleans[][2] = {
		{"NULL", "NULL"}, {"0", "false"}, {"1", "true"}};
	sqlite3 *db = NULL;
	struct ark_buf sql = ARK_BUF_INIT;
	PGresult *r;
	size_t i, j, c;
	int id = 0;

	(void)state;
	r = query("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'", 0,
		  NULL);
	assert_int_equal(PQntuples(r), 1); /* Debian's server has ICU */
	PQclear(r);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE g (id INTEGER PRIMARY KEY, "
				      "n NUMERIC, t TEXT, b BOOLEAN)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	exec_ok("DROP TABLE IF EXISTS plan_grid; CREATE TABLE plan_grid (id "
		"bigint, n numeric, t text COLLATE \"und-x-icu\", b boolean)");
	for (i = 0; i < N(numbers); i++) {
		for (j = 0; j < N(texts) * N(booleans); j++) {
			const char *text = texts[j % N(texts)];
			const char *const *boolean = booleans[j / N(texts)];
			char *insert;

			id++;
			insert = sqlite3_mprintf("INSERT INTO g VALUES (%d, %s, "
						 "%s, %s)",
						 id, numbers[i], text,
						 boolean[0]);
			assert_int_equal(sqlite3_exec(db, insert, NULL, NULL,
						      NULL),
					 SQLITE_OK);
			ark_buf_reset(&sql);
			ark_buf_appendf(&sql,
					"INSERT INTO plan_grid VALUES (%d, %s, "
					"%s, %s)",
					id, numbers[i], text, boolean[1]);
			exec_ok(sql.data);
			sqlite3_free(insert);
		}
	}
	for (c = 0; c < N(conditions); c++) {
		struct ark_buf translated = ARK_BUF_INIT;
		const char *reason = NULL;
		char *sqlite_sql;
		sqlite3_stmt *st = NULL;
		struct ark_buf sqlite_result = ARK_BUF_INIT;

		if (ark_sqlexpr_condition(conditions[c], grid_resolve, NULL,
					  &translated, &reason) != 0)
			fail_msg("%s: %s", conditions[c], reason);
		/* each row: 1 true, 0 false, n NULL - a CHECK fails on 0 */
		sqlite_sql = sqlite3_mprintf(
			"SELECT group_concat(CASE WHEN %s THEN '1' WHEN NOT "
			"(%s) THEN '0' ELSE 'n' END, '') FROM (SELECT * FROM g "
			"ORDER BY id)",
			conditions[c], conditions[c]);
		assert_int_equal(sqlite3_prepare_v2(db, sqlite_sql, -1, &st,
						    NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		ark_buf_append_str(&sqlite_result,
				   (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_free(sqlite_sql);
		ark_buf_reset(&sql);
		ark_buf_appendf(&sql,
				"SELECT string_agg(CASE WHEN %s THEN '1' WHEN "
				"NOT (%s) THEN '0' ELSE 'n' END, '' ORDER BY "
				"id) FROM plan_grid",
				translated.data, translated.data);
		r = query(sql.data, 0, NULL);
		if (strcmp(PQgetvalue(r, 0, 0), sqlite_result.data) != 0)
			fail_msg("%s -> %s:\nSQLite     %s\nPostgreSQL %s",
				 conditions[c], translated.data,
				 sqlite_result.data, PQgetvalue(r, 0, 0));
		PQclear(r);
		ark_buf_free(&translated);
		ark_buf_free(&sqlite_result);
	}
	exec_ok("DROP TABLE plan_grid");
	ark_buf_free(&sql);
	sqlite3_close(db);
}

/* ---- format_type round trip ------------------------------------------- */

static void test_type_names_round_trip(void **state)
{
	static const char *const types[] = {
		"boolean", "smallint", "integer", "bigint", "real",
		"double precision", "numeric", "numeric(10,2)", "numeric(5)",
		"text", "varchar(40)", "varchar", "char(3)", "bytea", "date",
		"timestamp", "timestamptz", "json", "jsonb", "uuid",
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(types); i++) {
		struct ark_pgtype_spec spec;
		struct ark_buf sql = ARK_BUF_INIT, again = ARK_BUF_INIT;
		PGresult *r;

		/* the typmod: from a real column */
		exec_ok("DROP TABLE IF EXISTS plan_types");
		ark_buf_appendf(&sql, "CREATE TABLE plan_types (v %s)",
				types[i]);
		exec_ok(sql.data);
		r = query("SELECT format_type(atttypid, atttypmod) FROM "
			  "pg_attribute WHERE attrelid = 'plan_types'::regclass "
			  "AND attname = 'v'",
			  0, NULL);
		if (ark_pgtype_parse(PQgetvalue(r, 0, 0), &spec) != 0)
			fail_msg("%s: format_type %s refused", types[i],
				 PQgetvalue(r, 0, 0));
		ark_pgtype_append_sql(&again, &spec);
		PQclear(r);
		/* what ark writes for it names the same type */
		ark_buf_reset(&sql);
		ark_buf_appendf(&sql,
				"SELECT format_type('%s'::regtype, NULL) = "
				"format_type('%s'::regtype, NULL)",
				types[i], again.data);
		r = query(sql.data, 0, NULL);
		assert_string_equal(PQgetvalue(r, 0, 0), "t");
		PQclear(r);
		ark_buf_reset(&sql);
		ark_buf_appendf(&sql,
				"DROP TABLE plan_types; CREATE TABLE plan_types "
				"(v %s)",
				again.data);
		exec_ok(sql.data);
		r = query("SELECT format_type(atttypid, atttypmod) FROM "
			  "pg_attribute WHERE attrelid = 'plan_types'::regclass "
			  "AND attname = 'v'",
			  0, NULL);
		{
			struct ark_pgtype_spec spec2;

			assert_int_equal(ark_pgtype_parse(PQgetvalue(r, 0, 0),
							  &spec2),
					 0);
			assert_memory_equal(&spec, &spec2, sizeof spec);
		}
		PQclear(r);
		ark_buf_free(&sql);
		ark_buf_free(&again);
	}
	exec_ok("DROP TABLE plan_types");
}

/* ---- --data-only into an application's own tables -------------------- */

static void test_data_only_existing_tables(void **state)
{
	struct ark_sqlite_column users_cols[] = {
		COLUMN("Id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Active", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Created", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column tags_cols[] = {
		COLUMN("id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("name", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("rank", "INTEGER", ARK_AFFINITY_INTEGER),
	};
	struct ark_column_profile users_profile[3], tags_profile[3];
	struct ark_table_profile tps[2] = {{2, 3, users_profile, 0, 0},
					   {2, 3, tags_profile, 0, 0}};
	struct ark_profile profile = {2, tps};
	struct ark_sqlite_table tables[2];
	struct ark_sqlite_schema s;
	struct ark_plan_options options;
	struct ark_plan *plan = NULL;
	struct ark_error err = {0};
	struct ark_pg_existing existing;
	struct ark_pg_existing_table etables[2];
	struct ark_pg_existing_column ecols[2][8];
	struct ark_buf sql = ARK_BUF_INIT;
	const char *names[2] = {"users", "tags"};
	PGresult *r;
	size_t i;
	int k;

	(void)state;
	memset(users_profile, 0, sizeof users_profile);
	memset(tags_profile, 0, sizeof tags_profile);
	users_profile[0].integers = 2;
	users_profile[0].min_integer = 1;
	users_profile[0].max_integer = 90;
	tags_profile[0].integers = 2;
	tags_profile[0].min_integer = 3;
	tags_profile[0].max_integer = 7;
	tables[0] = (struct ark_sqlite_table){0};
	tables[0].name = "Users";
	tables[0].columns = users_cols;
	tables[0].ncolumns = 3;
	tables[0].rowid_alias = 0;
	tables[0].autoincrement = 1;
	tables[0].has_sequence = 1;
	tables[0].sequence = 100;
	users_cols[0].pk_position = 1;
	tables[1] = (struct ark_sqlite_table){0};
	tables[1].name = "tags";
	tables[1].columns = tags_cols;
	tables[1].ncolumns = 3;
	tables[1].rowid_alias = 0;
	tags_cols[0].pk_position = 1;
	s = (struct ark_sqlite_schema){0};
	s.tables = tables;
	s.ntables = 2;

	exec_ok("DROP SCHEMA IF EXISTS plan_app CASCADE; CREATE SCHEMA plan_app;"
		"CREATE TABLE plan_app.users (id bigint GENERATED BY DEFAULT AS "
		"IDENTITY PRIMARY KEY, active boolean NOT NULL, created "
		"timestamp with time zone, note text);"
		"CREATE TABLE plan_app.tags (id serial PRIMARY KEY, name "
		"varchar(40), rank integer);"
		"SELECT setval('plan_app.tags_id_seq', 500)");
	for (i = 0; i < 2; i++) {
		const char *params[1] = {names[i]};

		r = query("SELECT attname, format_type(atttypid, atttypmod), "
			  "attnotnull, atthasdef OR attidentity <> '' FROM "
			  "pg_attribute WHERE attrelid = ('plan_app.' || "
			  "$1)::regclass AND attnum > 0 AND NOT attisdropped "
			  "ORDER BY attnum",
			  1, params);
		etables[i].name = (char *)(uintptr_t)names[i];
		etables[i].ncolumns = (size_t)PQntuples(r);
		etables[i].columns = ecols[i];
		for (k = 0; k < PQntuples(r); k++) {
			ecols[i][k].name = strdup(PQgetvalue(r, k, 0));
			ecols[i][k].format_type = strdup(PQgetvalue(r, k, 1));
			ecols[i][k].not_null = PQgetvalue(r, k, 2)[0] == 't';
			ecols[i][k].has_default = PQgetvalue(r, k, 3)[0] == 't';
		}
		PQclear(r);
	}
	existing.ntables = 2;
	existing.tables = etables;
	memset(&options, 0, sizeof options);
	assert_int_equal(ark_plan_make(&s, &profile, &options, &plan, &err), 0);
	assert_int_equal(ark_plan_map_existing(plan, &existing, 0, &err), 0);
	assert_int_equal(plan->tables[0].columns[1].type.type,
			 ARK_PGTYPE_BOOL);
	assert_int_equal(plan->tables[1].columns[1].type.type,
			 ARK_PGTYPE_VARCHAR);
	assert_int_equal(plan->tables[1].columns[1].type.length, 40);
	assert_int_equal(plan->tables[1].columns[2].type.type,
			 ARK_PGTYPE_INT4);
	/* the rows the transfer would have loaded, ids given */
	exec_ok("INSERT INTO plan_app.users (id, active) VALUES (1, true), "
		"(90, false); INSERT INTO plan_app.tags (id, name, rank) "
		"VALUES (3, 'a', 1000), (7, 'b', 2000)");
	assert_int_equal(ark_plan_data_only_post_sql(plan, "plan_app", &sql,
						     &err),
			 0);
	exec_ok(sql.data);
	/* users: past sqlite_sequence (100); tags: never backwards (500);
	   rank has no sequence: nothing */
	r = query("SELECT nextval('plan_app.users_id_seq'), "
		  "nextval('plan_app.tags_id_seq')",
		  0, NULL);
	assert_string_equal(PQgetvalue(r, 0, 0), "101");
	assert_string_equal(PQgetvalue(r, 0, 1), "501");
	PQclear(r);
	/* a sequence behind the loaded ids moves past them */
	exec_ok("SELECT setval('plan_app.tags_id_seq', 1); INSERT INTO "
		"plan_app.tags (id) VALUES (800)");
	exec_ok(sql.data);
	r = query("SELECT nextval('plan_app.tags_id_seq')", 0, NULL);
	assert_string_equal(PQgetvalue(r, 0, 0), "801");
	PQclear(r);
	exec_ok("DROP SCHEMA plan_app CASCADE");
	for (i = 0; i < 2; i++)
		for (k = 0; k < (int)etables[i].ncolumns; k++) {
			free(ecols[i][k].name);
			free(ecols[i][k].format_type);
		}
	ark_buf_free(&sql);
	ark_plan_free(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserved_words_are_the_servers),
		cmocka_unit_test(test_rich_schema_executes),
		cmocka_unit_test(test_strftime_matches_sqlite),
		cmocka_unit_test(test_conditions_decide_as_sqlite),
		cmocka_unit_test(test_type_names_round_trip),
		cmocka_unit_test(test_data_only_existing_tables),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
