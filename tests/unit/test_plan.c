/*
 * test_plan.c - the SQLite -> PostgreSQL plan (ark/plan.h) from
 * hand-built schemas and profiles: types, names, defaults, CHECKs,
 * indexes, keys, foreign keys, identity, widening, describe, --data-only;
 * the expression translator and the type names.  The server side of the
 * same (the SQL runs and the catalog says so) is test_plan_pg.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/plan.h"
#include "pg/sqlexpr_internal.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building schemas ------------------------------------------------ */

#define COLUMN(n, t, aff) {.name = (n), .declared_type = (t), .affinity = (aff)}

static struct ark_sqlite_table table_of(const char *name,
					struct ark_sqlite_column *columns,
					size_t n)
{
	struct ark_sqlite_table t;

	memset(&t, 0, sizeof t);
	t.name = (char *)(uintptr_t)name;
	t.columns = columns;
	t.ncolumns = n;
	t.rowid_alias = -1;
	return t;
}

static struct ark_sqlite_schema schema_of(struct ark_sqlite_table *tables,
					  size_t n)
{
	struct ark_sqlite_schema s;

	memset(&s, 0, sizeof s);
	s.tables = tables;
	s.ntables = n;
	return s;
}

static struct ark_plan *make(const struct ark_sqlite_schema *schema,
			     const struct ark_profile *profile, int widen,
			     int keep_case)
{
	struct ark_plan_options options;
	struct ark_error err = {0};
	struct ark_plan *plan = NULL;

	memset(&options, 0, sizeof options);
	options.widen = widen;
	options.keep_case = keep_case;
	assert_int_equal(ark_plan_make(schema, profile, &options, &plan, &err),
			 0);
	assert_non_null(plan);
	return plan;
}

static void assert_pre(const struct ark_plan *plan, const char *expected)
{
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error err = {0};

	assert_int_equal(ark_plan_pre_data_sql(plan, "s", &out, &err), 0);
	assert_string_equal(out.data ? out.data : "", expected);
	ark_buf_free(&out);
}

static void assert_post(const struct ark_plan *plan, const char *expected)
{
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error err = {0};

	assert_int_equal(ark_plan_post_data_sql(plan, "s", &out, &err), 0);
	assert_string_equal(out.data ? out.data : "", expected);
	ark_buf_free(&out);
}

/* All notes, one per line, as "kind|table|column|message". */
static char *notes_text(const struct ark_plan *plan)
{
	struct ark_buf out = ARK_BUF_INIT;
	size_t i;

	for (i = 0; i < plan->nnotes; i++) {
		const struct ark_plan_note *n = &plan->notes[i];

		ark_buf_appendf(&out, "%s|%s|%s|%s\n",
				ark_plan_note_kind_name(n->kind),
				n->table ? n->table : "-",
				n->column ? n->column : "-", n->message);
	}
	if (!out.data)
		ark_buf_append_str(&out, "");
	return ark_buf_take(&out);
}

static void assert_notes(const struct ark_plan *plan, const char *expected)
{
	char *text = notes_text(plan);

	assert_string_equal(text, expected);
	free(text);
}

static struct ark_column_profile ints(int64_t lo, int64_t hi)
{
	struct ark_column_profile p;

	memset(&p, 0, sizeof p);
	p.integers = 3;
	p.min_integer = lo;
	p.max_integer = hi;
	return p;
}

/* ---- types ------------------------------------------------------------- */

static void test_declared_types(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("i", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("ui", "unsigned big int", ARK_AFFINITY_INTEGER),
		COLUMN("r", "REAL", ARK_AFFINITY_REAL),
		COLUMN("dbl", "DOUBLE PRECISION", ARK_AFFINITY_REAL),
		COLUMN("n", "NUMERIC", ARK_AFFINITY_NUMERIC),
		COLUMN("d", "DECIMAL(10,2)", ARK_AFFINITY_NUMERIC),
		COLUMN("d5", "numeric( 5 )", ARK_AFFINITY_NUMERIC),
		COLUMN("t", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("c", "CLOB", ARK_AFFINITY_TEXT),
		COLUMN("v", "VARCHAR(40)", ARK_AFFINITY_TEXT),
		COLUMN("nv", "NVARCHAR(160)", ARK_AFFINITY_TEXT),
		COLUMN("ch", "CHARACTER(20)", ARK_AFFINITY_TEXT),
		COLUMN("vc", "varchar", ARK_AFFINITY_TEXT),
		COLUMN("b", "BLOB", ARK_AFFINITY_BLOB),
		COLUMN("dt", "DATE", ARK_AFFINITY_NUMERIC),
		COLUMN("ts", "DATETIME", ARK_AFFINITY_NUMERIC),
		COLUMN("tz", "TIMESTAMP", ARK_AFFINITY_NUMERIC),
		COLUMN("j", "JSON", ARK_AFFINITY_NUMERIC),
		COLUMN("u", "UUID", ARK_AFFINITY_NUMERIC),
		COLUMN("bo", "BOOLEAN", ARK_AFFINITY_NUMERIC),
		COLUMN("m", "MONEY", ARK_AFFINITY_NUMERIC),
		COLUMN("any", "", ARK_AFFINITY_BLOB),
	};
	struct ark_column_profile profiles[N(cols)];
	struct ark_table_profile tp = {3, N(cols), profiles, 0, 0};
	struct ark_profile profile = {1, &tp};
	struct ark_sqlite_table t = table_of("t", cols, N(cols));
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;

	(void)state;
	memset(profiles, 0, sizeof profiles);
	profiles[16].texts = 2; /* tz: zoned values */
	profiles[16].text_shapes_all = ARK_SHAPE_UTF8 | ARK_SHAPE_TIMESTAMPTZ;
	profiles[16].text_shapes_any = ARK_SHAPE_UTF8 | ARK_SHAPE_TIMESTAMPTZ;
	profiles[18].texts = 2;
	profiles[18].text_shapes_all = ARK_SHAPE_UTF8 | ARK_SHAPE_UUID;
	profiles[19] = ints(0, 1);
	profiles[21] = ints(1, 5);
	plan = make(&s, &profile, 0, 0);
	assert_pre(plan, "CREATE TABLE \"s\".\"t\" (\n"
			 "\t\"i\" bigint,\n"
			 "\t\"ui\" bigint,\n"
			 "\t\"r\" double precision,\n"
			 "\t\"dbl\" double precision,\n"
			 "\t\"n\" numeric,\n"
			 "\t\"d\" numeric(10,2),\n"
			 "\t\"d5\" numeric(5,0),\n"
			 "\t\"t\" text,\n"
			 "\t\"c\" text,\n"
			 "\t\"v\" varchar(40),\n"
			 "\t\"nv\" varchar(160),\n"
			 "\t\"ch\" varchar(20),\n"
			 "\t\"vc\" text,\n"
			 "\t\"b\" bytea,\n"
			 "\t\"dt\" date,\n"
			 "\t\"ts\" timestamp,\n"
			 "\t\"tz\" timestamptz,\n"
			 "\t\"j\" jsonb,\n"
			 "\t\"u\" uuid,\n"
			 "\t\"bo\" boolean,\n"
			 "\t\"m\" numeric,\n"
			 "\t\"any\" bigint\n"
			 ");\n");
	assert_notes(plan, "info|t|any|column \"any\" is a PostgreSQL reserved "
			   "word: SQL must quote it\n");
	ark_plan_free(plan);
}

/* A column with no declared type: the narrowest type holding all. */
static void test_untyped_columns(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("a", "", ARK_AFFINITY_BLOB),
		COLUMN("b", "", ARK_AFFINITY_BLOB),
		COLUMN("c", "", ARK_AFFINITY_BLOB),
		COLUMN("d", "", ARK_AFFINITY_BLOB),
		COLUMN("e", "", ARK_AFFINITY_BLOB),
		COLUMN("f", "", ARK_AFFINITY_BLOB),
		COLUMN("g", "", ARK_AFFINITY_BLOB),
		COLUMN("h", "", ARK_AFFINITY_BLOB),
		COLUMN("i", "ANY", ARK_AFFINITY_BLOB),
	};
	struct ark_column_profile p[N(cols)];
	struct ark_table_profile tp = {3, N(cols), p, 0, 0};
	struct ark_profile profile = {1, &tp};
	struct ark_sqlite_table t = table_of("t", cols, N(cols));
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;

	(void)state;
	memset(p, 0, sizeof p);
	t.strict = 1;
	p[0] = ints(INT64_MIN, INT64_MAX);                /* bigint */
	p[1] = ints(-5, 9007199254740992LL); p[1].reals = 1; /* exact */
	p[2] = ints(0, 9007199254740993LL); p[2].reals = 1;  /* numeric */
	p[3].texts = 1;                                   /* text */
	p[4].blobs = 1; p[4].texts = 1; p[4].integers = 1; /* bytea */
	p[5].nulls = 3;                                   /* text */
	p[6] = ints(1, 2); p[6].texts = 1;                /* text */
	p[7].reals = 2;                                   /* double */
	p[8] = ints(1, 2);                                /* STRICT ANY */
	plan = make(&s, &profile, 0, 0);
	assert_pre(plan, "CREATE TABLE \"s\".\"t\" (\n"
			 "\t\"a\" bigint,\n"
			 "\t\"b\" double precision,\n"
			 "\t\"c\" numeric,\n"
			 "\t\"d\" text,\n"
			 "\t\"e\" bytea,\n"
			 "\t\"f\" text,\n"
			 "\t\"g\" text,\n"
			 "\t\"h\" double precision,\n"
			 "\t\"i\" bigint\n"
			 ");\n");
	ark_plan_free(plan);
	/* no profile at all: untyped columns are text */
	plan = make(&s, NULL, 0, 0);
	assert_int_equal(plan->tables[0].columns[0].type.type,
			 ARK_PGTYPE_TEXT);
	ark_plan_free(plan);
}

static void test_boolean_and_fallbacks(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("b01", "BOOLEAN", ARK_AFFINITY_NUMERIC),
		COLUMN("btext", "BOOL", ARK_AFFINITY_NUMERIC),
		COLUMN("b2", "BOOLEAN", ARK_AFFINITY_NUMERIC),
		COLUMN("bmix", "BOOLEAN", ARK_AFFINITY_NUMERIC),
		COLUMN("u", "UUID", ARK_AFFINITY_NUMERIC),
		COLUMN("ts", "DATETIME", ARK_AFFINITY_NUMERIC),
	};
	struct ark_column_profile p[N(cols)];
	struct ark_table_profile tp = {3, N(cols), p, 0, 0};
	struct ark_profile profile = {1, &tp};
	struct ark_sqlite_table t = table_of("t", cols, N(cols));
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;

	(void)state;
	memset(p, 0, sizeof p);
	p[0] = ints(0, 1);
	p[1].texts = 2;
	p[1].texts_bool = 2;
	p[2] = ints(0, 2);
	p[3] = ints(0, 1);
	p[3].texts = 2;
	p[3].texts_bool = 1;
	p[3].text_shapes_all = ARK_SHAPE_UTF8;
	p[4].texts = 2;
	p[4].text_shapes_all = ARK_SHAPE_UTF8; /* not every value a UUID */
	p[5].texts = 2;
	p[5].text_shapes_all = ARK_SHAPE_UTF8;
	p[5].text_shapes_any = ARK_SHAPE_UTF8 | ARK_SHAPE_TIMESTAMP |
			       ARK_SHAPE_TIMESTAMPTZ;
	plan = make(&s, &profile, 0, 0);
	assert_pre(plan, "CREATE TABLE \"s\".\"t\" (\n"
			 "\t\"b01\" boolean,\n"
			 "\t\"btext\" boolean,\n"
			 "\t\"b2\" bigint,\n"
			 "\t\"bmix\" bigint,\n"
			 "\t\"u\" text,\n"
			 "\t\"ts\" timestamptz\n"
			 ");\n");
	assert_notes(plan, "");
	ark_plan_free(plan);
	/* widen: the mixed boolean column holds a non-boolean text */
	plan = make(&s, &profile, 1, 0);
	assert_int_equal(plan->tables[0].columns[3].type.type,
			 ARK_PGTYPE_TEXT);
	assert_notes(plan, "relaxed|t|bmix|widened from bigint to text: the "
			   "stored values do not all fit bigint\n"
			   "relaxed|t|ts|widened from timestamptz to text: the "
			   "stored values do not all fit timestamptz\n");
	ark_plan_free(plan);
}

static void test_varchar_and_widen(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("v", "VARCHAR(10)", ARK_AFFINITY_TEXT),
		COLUMN("n", "NUMERIC(5,2)", ARK_AFFINITY_NUMERIC),
		COLUMN("j", "JSON", ARK_AFFINITY_NUMERIC),
		COLUMN("t", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("d", "DATE", ARK_AFFINITY_NUMERIC),
	};
	struct ark_column_profile p[N(cols)];
	struct ark_table_profile tp = {3, N(cols), p, 0, 0};
	struct ark_profile profile = {1, &tp};
	struct ark_sqlite_table t = table_of("t", cols, N(cols));
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;

	(void)state;
	memset(p, 0, sizeof p);
	p[0].texts = 2;
	p[0].max_text_chars = 12;
	p[0].text_shapes_all = ARK_SHAPE_UTF8;
	p[1].reals = 1;
	p[1].infinities = 1;
	p[2].texts = 3;
	p[2].text_shapes_all = ARK_SHAPE_UTF8 | ARK_SHAPE_JSON;
	p[2].text_shapes_any = ARK_SHAPE_UTF8 | ARK_SHAPE_JSON |
			       ARK_SHAPE_JSON_DUPKEYS;
	p[3].texts = 1; /* invalid UTF-8: no UTF8 shape */
	p[4] = ints(1, 2);
	plan = make(&s, &profile, 0, 0);
	assert_pre(plan, "CREATE TABLE \"s\".\"t\" (\n"
			 "\t\"v\" varchar(10),\n"
			 "\t\"n\" numeric(5,2),\n"
			 "\t\"j\" jsonb,\n"
			 "\t\"t\" text,\n"
			 "\t\"d\" date\n"
			 ");\n");
	ark_plan_free(plan);
	plan = make(&s, &profile, 1, 0);
	assert_pre(plan, "CREATE TABLE \"s\".\"t\" (\n"
			 "\t\"v\" text,\n"
			 "\t\"n\" text,\n"
			 "\t\"j\" json,\n"
			 "\t\"t\" bytea,\n"
			 "\t\"d\" text\n"
			 ");\n");
	assert_notes(plan,
		     "relaxed|t|v|widened from varchar(10) to text: the stored "
		     "values do not all fit varchar(10)\n"
		     "relaxed|t|n|widened from numeric(5,2) to text: the stored "
		     "values do not all fit numeric(5,2)\n"
		     "relaxed|t|j|widened from jsonb to json: the stored values "
		     "do not all fit jsonb\n"
		     "relaxed|t|t|widened from text to bytea: the stored values "
		     "do not all fit text\n"
		     "relaxed|t|d|widened from date to text: the stored values "
		     "do not all fit date\n");
	ark_plan_free(plan);
}

/* ark_plan_widen_column: one step at a time, per value. */
static void test_widen_column_chain(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("n", "NUMERIC(5,2)", ARK_AFFINITY_NUMERIC),
		COLUMN("d", "DATE", ARK_AFFINITY_NUMERIC),
		COLUMN("id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("k", "INTEGER", ARK_AFFINITY_INTEGER),
	};
	struct ark_sqlite_check checks[] = {
		{NULL, NULL, "k > 0"},
	};
	struct ark_sqlite_table t = table_of("t", cols, N(cols));
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;

	(void)state;
	cols[1].default_sql = "CURRENT_DATE";
	cols[2].pk_position = 1;
	t.rowid_alias = 2;
	t.checks = checks;
	t.nchecks = 1;
	plan = make(&s, NULL, 0, 0);
	assert_int_equal(ark_plan_widen_column(plan, 0, 0, SQLITE_FLOAT, "x"),
			 -1); /* not a widen plan */
	ark_plan_free(plan);

	plan = make(&s, NULL, 1, 0);
	assert_int_equal(ark_plan_widen_column(plan, 0, 0, SQLITE_FLOAT,
					       "too many fraction digits"),
			 0);
	assert_int_equal(ark_plan_widen_column(plan, 0, 0, SQLITE_TEXT,
					       "text in a numeric column"),
			 0);
	assert_int_equal(ark_plan_widen_column(plan, 0, 0, SQLITE_BLOB,
					       "a blob"),
			 0);
	assert_int_equal(ark_plan_widen_column(plan, 0, 0, SQLITE_BLOB,
					       "a blob"),
			 -1);
	/* a number in a date column skips timestamp */
	assert_int_equal(ark_plan_widen_column(plan, 0, 1, SQLITE_INTEGER,
					       "a number is not a date"),
			 0);
	assert_int_equal(ark_plan_widen_column(plan, 0, 2, SQLITE_TEXT,
					       "text in an integer column"),
			 0);
	assert_int_equal(ark_plan_widen_column(plan, 0, 3, SQLITE_FLOAT,
					       "a REAL in an integer column"),
			 0);
	assert_pre(plan,
		   "CREATE TABLE \"s\".\"t\" (\n"
		   "\t\"n\" bytea,\n"
		   "\t\"d\" text DEFAULT (to_char(now() AT TIME ZONE 'UTC', "
		   "'YYYY-MM-DD')),\n"
		   "\t\"id\" text NOT NULL,\n"
		   "\t\"k\" numeric\n"
		   ");\n");
	assert_notes(plan,
		     "relaxed|t|n|widened from numeric(5,2) to numeric: too many "
		     "fraction digits\n"
		     "relaxed|t|n|widened from numeric to text: text in a "
		     "numeric column\n"
		     "relaxed|t|n|widened from text to bytea: a blob\n"
		     "relaxed|t|d|widened from date to text: a number is not a "
		     "date\n"
		     "relaxed|t|id|widened from bigint to text: text in an "
		     "integer column\n"
		     "relaxed|t|id|the column is no longer an identity\n"
		     "relaxed|t|k|widened from bigint to numeric: a REAL in an "
		     "integer column\n");
	/* the CHECK still compares numbers: kept */
	assert_post(plan, "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"t_pkey\" "
			  "PRIMARY KEY (\"id\");\n"
			  "ALTER TABLE \"s\".\"t\" ADD CHECK (\"k\" > 0);\n");
	/* text now: the CHECK's comparison would change meaning */
	assert_int_equal(ark_plan_widen_column(plan, 0, 3, SQLITE_TEXT,
					       "text in an integer column"),
			 0);
	assert_post(plan, "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"t_pkey\" "
			  "PRIMARY KEY (\"id\");\n");
	assert_string_equal(plan->notes[plan->nnotes - 1].message,
			    "CHECK (k > 0) not carried: the column's type "
			    "changed");
	ark_plan_free(plan);
}

/* ---- names --------------------------------------------------------------- */

static void test_identifiers(void **state)
{
	/* 70 bytes: 61 x then two 3-byte characters (cut at 63 must fall
	   before the second one's end) */
	char long_name[80], long_twin[80];
	struct ark_sqlite_column a_cols[] = {
		COLUMN("Id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("ID", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("id_2", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("Order", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("bad\xff", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("We\"ird\n", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("XMIN", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column b_cols[] = {
		COLUMN("x", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column c_cols[] = {
		COLUMN("x", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column d_cols[] = {
		COLUMN("x", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column e_cols[] = {
		COLUMN("x", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_table tables[5];
	struct ark_sqlite_schema s;
	struct ark_plan *plan;

	(void)state;
	memset(long_name, 'x', 62);
	strcpy(long_name + 62, "\xc3\xa9\xe2\x82\xac\xe2\x82\xac"); /* é€€ */
	strcpy(long_twin, long_name);
	long_twin[67] = 'Z';
	long_twin[68] = '\0';
	tables[0] = table_of("Users", a_cols, N(a_cols));
	tables[1] = table_of("users", b_cols, 1);
	tables[2] = table_of(long_name, c_cols, 1);
	tables[3] = table_of(long_twin, d_cols, 1);
	tables[4] = table_of("select", e_cols, 1);
	s = schema_of(tables, 5);
	plan = make(&s, NULL, 0, 0);
	/* sorted bytewise by source name: "Users" < "select" < "users" <
	   "xxx..." */
	assert_string_equal(plan->tables[0].source_name, "Users");
	assert_string_equal(plan->tables[0].name, "users");
	assert_string_equal(plan->tables[1].name, "select");
	assert_string_equal(plan->tables[2].name, "users_2");
	/* "...Z" sorts first; 63 bytes would cut the é in half: 62 */
	assert_string_equal(plan->tables[3].source_name, long_twin);
	assert_int_equal(strlen(plan->tables[3].name), 62);
	assert_memory_equal(plan->tables[3].name, long_name, 62);
	/* the other is cut to the same 62 bytes, then suffixed within 63 */
	assert_int_equal(strlen(plan->tables[4].name), 61 + 2);
	assert_memory_equal(plan->tables[4].name, long_name, 61);
	assert_string_equal(plan->tables[4].name + 61, "_2");
	assert_string_equal(plan->tables[0].columns[0].name, "id");
	assert_string_equal(plan->tables[0].columns[1].name, "id_2");
	assert_string_equal(plan->tables[0].columns[2].name, "id_2_2");
	assert_string_equal(plan->tables[0].columns[3].name, "order");
	assert_string_equal(plan->tables[0].columns[4].name, "bad\xef\xbf\xbd");
	assert_string_equal(plan->tables[0].columns[5].name, "unnamed");
	assert_string_equal(plan->tables[0].columns[6].name, "we\"ird\n");
	assert_string_equal(plan->tables[0].columns[7].name, "xmin_2");
	{
		char expected[1024];

		snprintf(expected, sizeof expected,
			 "renamed|Users|ID|column renamed \"id_2\": the name "
			 "is taken\n"
			 "renamed|Users|id_2|column renamed \"id_2_2\": the "
			 "name is taken\n"
			 "info|Users|Order|column \"order\" is a PostgreSQL "
			 "reserved word: SQL must quote it\n"
			 "renamed|Users|bad\xff|column renamed "
			 "\"bad\xef\xbf\xbd\": not valid UTF-8\n"
			 "renamed|Users|XMIN|column renamed \"xmin_2\": a "
			 "PostgreSQL system column has this name\n"
			 "info|select|-|table \"select\" is a PostgreSQL "
			 "reserved word: SQL must quote it\n"
			 "renamed|users|-|table renamed \"users_2\": the name "
			 "is taken\n"
			 "renamed|%s|-|table renamed \"%s\": cut to 63 bytes\n"
			 "renamed|%s|-|table renamed \"%s\": the name is "
			 "taken\n",
			 long_twin, plan->tables[3].name, long_name,
			 plan->tables[4].name);
		assert_notes(plan, expected);
	}
	ark_plan_free(plan);
	/* --keep-case */
	plan = make(&s, NULL, 0, 1);
	assert_string_equal(plan->tables[0].name, "Users");
	assert_string_equal(plan->tables[2].name, "users");
	assert_string_equal(plan->tables[0].columns[0].name, "Id");
	assert_string_equal(plan->tables[0].columns[1].name, "ID");
	assert_string_equal(plan->tables[0].columns[3].name, "Order");
	ark_plan_free(plan);
}

static void test_reserved_words(void **state)
{
	(void)state;
	assert_true(ark_plan_is_reserved_word("select"));
	assert_true(ark_plan_is_reserved_word("user"));
	assert_true(ark_plan_is_reserved_word("verbose"));
	assert_true(ark_plan_is_reserved_word("all"));
	assert_true(ark_plan_is_reserved_word("with"));
	assert_false(ark_plan_is_reserved_word("SELECT"));
	assert_false(ark_plan_is_reserved_word("name"));
	assert_false(ark_plan_is_reserved_word("type"));
	assert_false(ark_plan_is_reserved_word(""));
}

/* ---- defaults ------------------------------------------------------------ */

struct default_case {
	const char *sql;
	struct ark_pgtype_spec type;
	const char *expected; /* NULL: refused with reason */
	const char *reason;
};

#define T(x) {ARK_PGTYPE_##x, -1, -1, -1}
#define VARCHAR(n) {ARK_PGTYPE_VARCHAR, n, -1, -1}
#define NUMERIC(p, s) {ARK_PGTYPE_NUMERIC, -1, p, s}

static void test_defaults(void **state)
{
	static const struct default_case cases[] = {
		{"NULL", T(INT8), "NULL", NULL},
		{"42", T(INT8), "42", NULL},
		{"(-42)", T(INT8), "-42", NULL},
		{"+7", T(INT8), "7", NULL},
		{"9223372036854775807", T(INT8), "9223372036854775807", NULL},
		{"9223372036854775808", T(INT8), NULL,
		 "this number literal is not translated"},
		{"1.0", T(INT8), "1", NULL},
		{"1.5", T(INT8), NULL, "not an integer of this type's range"},
		{"0x10", T(INT8), NULL, "this number literal is not translated"},
		{"'42'", T(INT8), "42", NULL},
		{"'042'", T(INT8), NULL,
		 "text that is not an integer as SQLite writes one"},
		{"'abc'", T(INT8), NULL,
		 "text that is not an integer as SQLite writes one"},
		{"1.5", T(FLOAT8), "1.5", NULL},
		{"0.1", T(FLOAT8), "0.1", NULL},
		{"1e3", T(FLOAT8), "1000", NULL},
		{"-0.0", T(FLOAT8), NULL, "-0 is not translated"},
		{"1e999", T(FLOAT8), NULL,
		 "this number literal is not translated"},
		{"3", T(FLOAT8), "3", NULL},
		{"1.25", NUMERIC(5, 2), "1.25", NULL},
		{"1.255", NUMERIC(5, 2), NULL,
		 "does not fit the numeric's precision and scale"},
		{"1234", NUMERIC(5, 2), NULL,
		 "does not fit the numeric's precision and scale"},
		{"123", NUMERIC(5, 2), "123", NULL},
		{"2.50", T(NUMERIC), "2.5", NULL},
		{"0", T(BOOL), "false", NULL},
		{"1", T(BOOL), "true", NULL},
		{"TRUE", T(BOOL), "true", NULL},
		{"false", T(BOOL), "false", NULL},
		{"2", T(BOOL), NULL,
		 "a number other than 0 or 1 is not a boolean"},
		{"'t'", T(BOOL), "true", NULL},
		{"'FALSE'", T(BOOL), "false", NULL},
		{"''", T(TEXT), "''", NULL},
		{"'it''s'", T(TEXT), "'it''s'", NULL},
		{"'a\\b'", T(TEXT), "E'a\\\\b'", NULL},
		{"'\xff'", T(TEXT), NULL, "the string is not valid UTF-8"},
		{"'abc'", VARCHAR(3), "'abc'", NULL},
		{"'\xc3\xa9\xc3\xa9\xc3\xa9'", VARCHAR(3),
		 "'\xc3\xa9\xc3\xa9\xc3\xa9'", NULL},
		{"'abcd'", VARCHAR(3), NULL, "longer than the varchar's length"},
		{"5", T(TEXT), "'5'", NULL},
		{"1.5", T(TEXT), NULL,
		 "a REAL default in a text column is not translated"},
		{"X'00FF'", T(BYTEA), "'\\x00ff'::bytea", NULL},
		{"x''", T(BYTEA), "'\\x'::bytea", NULL},
		{"X'0'", T(BYTEA), NULL,
		 "a blob literal is carried only into bytea"},
		{"X'00'", T(TEXT), NULL,
		 "a blob literal is carried only into bytea"},
		{"'2024-02-29'", T(DATE), "'2024-02-29'", NULL},
		{"'2023-02-29'", T(DATE), NULL, "not a date written YYYY-MM-DD"},
		{"'2024-01-02 03:04:05'", T(TIMESTAMP), "'2024-01-02 03:04:05'",
		 NULL},
		{"'2024-01-02T03:04:05'", T(TIMESTAMP), NULL,
		 "not a timestamp written YYYY-MM-DD HH:MM:SS"},
		{"'0a1b2c3d-0000-4000-8000-00000000000f'", T(UUID),
		 "'0a1b2c3d-0000-4000-8000-00000000000f'", NULL},
		{"'0A1B2C3D-0000-4000-8000-00000000000F'", T(UUID), NULL,
		 "not a lower-case canonical UUID"},
		{"'{}'", T(JSONB), NULL,
		 "a string default for this type is not translated"},
		{"CURRENT_TIMESTAMP", T(TIMESTAMP),
		 "date_trunc('second', now() AT TIME ZONE 'UTC')", NULL},
		{"(datetime('now'))", T(TIMESTAMP),
		 "date_trunc('second', now() AT TIME ZONE 'UTC')", NULL},
		{"datetime('NOW')", T(TIMESTAMPTZ),
		 "(date_trunc('second', now() AT TIME ZONE 'UTC') AT TIME ZONE "
		 "'UTC')",
		 NULL},
		{"strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", T(TIMESTAMPTZ),
		 "(date_trunc('milliseconds', now() AT TIME ZONE 'UTC') AT TIME "
		 "ZONE 'UTC')",
		 NULL},
		{"strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", T(TIMESTAMP), NULL,
		 "a zoned format for a timestamp without time zone"},
		{"strftime('%Y-%m-%d %H:%M:%f','now')", T(TIMESTAMP),
		 "date_trunc('milliseconds', now() AT TIME ZONE 'UTC')", NULL},
		{"CURRENT_DATE", T(DATE), "(now() AT TIME ZONE 'UTC')::date",
		 NULL},
		{"date('now')", T(DATE), "(now() AT TIME ZONE 'UTC')::date",
		 NULL},
		{"CURRENT_TIMESTAMP", T(DATE), NULL,
		 "only the date of 'now' is translated for a date"},
		{"CURRENT_TIMESTAMP", T(TEXT),
		 "(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))",
		 NULL},
		{"CURRENT_TIME", T(TEXT),
		 "(to_char(now() AT TIME ZONE 'UTC', 'HH24:MI:SS'))", NULL},
		{"CURRENT_TIMESTAMP", VARCHAR(18), NULL,
		 "longer than the varchar's length"},
		{"CURRENT_TIMESTAMP", VARCHAR(19),
		 "(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))",
		 NULL},
		{"strftime('%Y%m%d','now')", T(TEXT),
		 "(to_char(now() AT TIME ZONE 'UTC', 'YYYY\"\"MM\"\"DD'))", NULL},
		{"strftime('day %j of %Y, %w', 'now')", T(TEXT),
		 "(to_char(now() AT TIME ZONE 'UTC', '\"day\" DDD \"of\" YYYY, "
		 "') || extract(dow FROM now() AT TIME ZONE "
		 "'UTC')::integer::text)",
		 NULL},
		{"strftime('%s','now')", T(INT8),
		 "floor(extract(epoch FROM now()))::bigint", NULL},
		{"strftime('%s','now')", T(TEXT),
		 "(floor(extract(epoch FROM now()))::bigint::text)", NULL},
		{"unixepoch()", T(INT8), "floor(extract(epoch FROM now()))::bigint",
		 NULL},
		{"unixepoch('now')", T(FLOAT8),
		 "floor(extract(epoch FROM now()))::double precision", NULL},
		{"strftime('%J','now')", T(TEXT), NULL,
		 "a strftime specifier that is not translated"},
		{"datetime('now','localtime')", T(TIMESTAMP), NULL,
		 "a date function of a time other than 'now', or with "
		 "modifiers, is not translated"},
		{"strftime('%Y', 'now', '+1 day')", T(TEXT), NULL,
		 "strftime of a time other than 'now', or with modifiers, is not "
		 "translated"},
		{"julianday('now')", T(FLOAT8), NULL,
		 "this function is not translated"},
		{"random()", T(INT8), NULL, "this function is not translated"},
		{"abs(-1)", T(INT8), NULL,
		 "a function with arguments other than 'now' is not translated"},
		{"1 + 1", T(INT8), NULL, "this expression is not translated"},
		{"CURRENT_TIMESTAMP", T(INT8), NULL,
		 "a date function of 'now' into this type is not translated"},
		{"'unterminated", T(TEXT), NULL, "unterminated quote"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct ark_buf out = ARK_BUF_INIT;
		const char *reason = NULL;
		int rc = ark_sqlexpr_default(cases[i].sql, &cases[i].type, &out,
					     &reason);

		if (cases[i].expected) {
			if (rc != 0)
				fail_msg("%s: refused: %s", cases[i].sql,
					 reason);
			assert_string_equal(out.data, cases[i].expected);
		} else {
			if (rc == 0)
				fail_msg("%s: translated to %s", cases[i].sql,
					 out.data);
			assert_string_equal(reason, cases[i].reason);
			assert_int_equal(out.len, 0);
		}
		ark_buf_free(&out);
	}
}

/* ---- conditions ---------------------------------------------------------- */

static int test_resolve(void *context, const char *name, const char **pg_name,
			int *cls)
{
	(void)context;
	if (strcasecmp(name, "n") == 0) {
		*pg_name = "n";
		*cls = ARK_SQLEXPR_NUMBER;
	} else if (strcasecmp(name, "t") == 0) {
		*pg_name = "T";
		*cls = ARK_SQLEXPR_TEXT;
	} else if (strcmp(name, "odd \"name\"") == 0) {
		*pg_name = "odd \"name\"";
		*cls = ARK_SQLEXPR_NUMBER;
	} else if (strcmp(name, "b") == 0) {
		*pg_name = "b";
		*cls = ARK_SQLEXPR_BOOLEAN_COLUMN;
	} else if (strcmp(name, "flag") == 0) {
		*pg_name = "flag";
		*cls = ARK_SQLEXPR_REFUSED;
	} else {
		return -1;
	}
	return 0;
}

static void test_conditions(void **state)
{
	static const struct {
		const char *sql, *expected, *reason;
	} cases[] = {
		{"n > 0", "\"n\" > 0", NULL},
		{"N >= -1.5 AND n <> 3", "\"n\" >= -1.5 AND \"n\" <> 3", NULL},
		{"n == 1 OR n != 2", "\"n\" = 1 OR \"n\" <> 2", NULL},
		{"NOT (n < 1)", "NOT (\"n\" < 1)", NULL},
		{"n IN (1, 2, 3)", "\"n\" IN (1, 2, 3)", NULL},
		{"n NOT IN (1)", "\"n\" NOT IN (1)", NULL},
		{"n BETWEEN 1 AND 10 AND t IS NOT NULL",
		 "\"n\" BETWEEN 1 AND 10 AND \"T\" IS NOT NULL", NULL},
		{"n NOT BETWEEN 1 AND 10", "\"n\" NOT BETWEEN 1 AND 10", NULL},
		{"t ISNULL OR n NOTNULL", "\"T\" IS NULL OR \"n\" IS NOT NULL",
		 NULL},
		{"t NOT NULL", "\"T\" IS NOT NULL", NULL},
		{"\"t\" = 'a''b'", "\"T\" = 'a''b'", NULL},
		{"[t] < 'm'", "\"T\" COLLATE \"C\" < 'm'", NULL},
		{"`t` BETWEEN 'a' AND 'z'",
		 "\"T\" COLLATE \"C\" BETWEEN 'a' AND 'z'", NULL},
		{"length(t) <= 40", "char_length(\"T\") <= 40", NULL},
		{"abs(n) < 5", "abs(\"n\") < 5", NULL},
		{"t IN ('a', 'b')", "\"T\" IN ('a', 'b')", NULL},
		{"n = TRUE", "\"n\" = 1", NULL},
		{"\"odd \"\"name\"\"\" > 0 -- comment",
		 "\"odd \"\"name\"\"\" > 0", NULL},
		{"/* c */ n > 0", "\"n\" > 0", NULL},
		{"b IN (0, 1)", "\"b\" IN (false, true)", NULL},
		{"b = TRUE OR b <> 0", "\"b\" = true OR \"b\" <> false", NULL},
		{"b IS NOT NULL", "\"b\" IS NOT NULL", NULL},
		{"b = 2", NULL,
		 "a boolean column compared with something other than 0, 1, "
		 "TRUE or FALSE is not translated"},
		{"b IN (0, 'x')", NULL,
		 "a boolean column compared with something other than 0, 1, "
		 "TRUE or FALSE is not translated"},
		{"b > 0", NULL, "ordering a boolean column is not translated"},
		{"b BETWEEN 0 AND 1", NULL,
		 "ordering a boolean column is not translated"},
		{"b", NULL, "not a condition"},
		{"t LIKE 'a%'", NULL,
		 "LIKE, GLOB, REGEXP and MATCH are not translated"},
		{"t GLOB 'a*'", NULL,
		 "LIKE, GLOB, REGEXP and MATCH are not translated"},
		{"typeof(n) = 'integer'", NULL, "this function is not translated"},
		{"length(n) > 1", NULL,
		 "length() of a value that is not text is not translated"},
		{"n = 'a'", NULL,
		 "a comparison of a number with text (or of conditions) is not "
		 "translated"},
		{"t > 5", NULL,
		 "a comparison of a number with text (or of conditions) is not "
		 "translated"},
		{"n + 1 > 2", NULL, "this operator is not translated"},
		{"n", NULL, "not a condition"},
		{"flag = 1", NULL,
		 "it reads a column whose comparisons differ in PostgreSQL (its "
		 "type or its COLLATE)"},
		{"nope > 1", NULL, "unknown name"},
		{"n IS 1", NULL,
		 "IS other than IS [NOT] NULL is not translated"},
		{"n IN ()", NULL, "this expression is not translated"},
		{"n IN (SELECT 1)", NULL, "this expression is not translated"},
		{"n > 99999999999999999999", NULL,
		 "this number literal is not translated"},
		{"n > 9007199254740993", NULL,
		 "this number literal is not translated"},
		{"n > 999999999999999", "\"n\" > 999999999999999", NULL},
		{"n > 0x10", NULL, "this number literal is not translated"},
		{"(n > 0", NULL, "unbalanced parentheses"},
		{"n < 1 < 2", NULL, "chained comparisons are not translated"},
		{"CASE WHEN n THEN 1 END", NULL,
		 "this expression is not translated"},
		{"t = '\xff'", NULL, "a string literal is not valid UTF-8"},
		{"t COLLATE NOCASE = 'a'", NULL,
		 "this expression is not translated"},
		{"n > 0 AND 1", NULL,
		 "AND of a value that is not a condition is not translated"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct ark_buf out = ARK_BUF_INIT;
		const char *reason = NULL;
		int rc = ark_sqlexpr_condition(cases[i].sql, test_resolve, NULL,
					       &out, &reason);

		if (cases[i].expected) {
			if (rc != 0)
				fail_msg("%s: refused: %s", cases[i].sql,
					 reason);
			assert_string_equal(out.data, cases[i].expected);
		} else {
			if (rc == 0)
				fail_msg("%s: translated to %s", cases[i].sql,
					 out.data);
			assert_string_equal(reason, cases[i].reason);
			assert_int_equal(out.len, 0);
		}
		ark_buf_free(&out);
	}
}

/* Hostile text never crashes the translator, and a refusal leaves the
   output as it was (run under ASan by make check-asan). */
static void test_expressions_hostile_input(void **state)
{
	static const char *const pieces[] = {
		"n", "t", "b", "(", ")", "'", "''", "\"", "[", "]", "`", "x'",
		"X'0f'", "1", "1.5e", "-", "+", "=", "<", "<=", "<>", "!=",
		"AND", "OR", "NOT", "IN", "BETWEEN", "IS", "NULL", "ISNULL",
		"length(", "abs(", ",", " ", "--", "/*", "*/", "\n", "\xff",
		"\xc3", "strftime(", "'%Y'", "'now'", "CURRENT_TIMESTAMP",
		"TRUE", "%", "\\", ";", "0x", "9999999999999999999999",
	};
	static const struct ark_pgtype_spec types[] = {
		{ARK_PGTYPE_INT8, -1, -1, -1}, {ARK_PGTYPE_TEXT, -1, -1, -1},
		{ARK_PGTYPE_VARCHAR, 3, -1, -1}, {ARK_PGTYPE_NUMERIC, -1, 5, 2},
		{ARK_PGTYPE_TIMESTAMPTZ, -1, -1, -1},
		{ARK_PGTYPE_BOOL, -1, -1, -1}, {ARK_PGTYPE_BYTEA, -1, -1, -1},
	};
	uint64_t seed = 42;
	int k;

	(void)state;
	for (k = 0; k < 20000; k++) {
		char sql[512];
		size_t len = 0, n, i;
		struct ark_buf out = ARK_BUF_INIT;
		const char *reason = NULL;
		int rc;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		n = (size_t)(seed >> 60) + 1;
		for (i = 0; i < n; i++) {
			const char *p;

			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			p = pieces[(seed >> 33) % N(pieces)];
			if (len + strlen(p) + 1 >= sizeof sql)
				break;
			memcpy(sql + len, p, strlen(p));
			len += strlen(p);
		}
		sql[len] = '\0';
		ark_buf_append_str(&out, "keep");
		rc = ark_sqlexpr_condition(sql, test_resolve, NULL, &out,
					   &reason);
		assert_true(rc == 0 || (rc == -1 && reason != NULL &&
					strcmp(out.data, "keep") == 0));
		ark_buf_truncate(&out, 4);
		rc = ark_sqlexpr_index_key(sql, test_resolve, NULL, &out,
					   &reason);
		assert_true(rc == 0 || (rc == -1 && strcmp(out.data, "keep") == 0));
		ark_buf_truncate(&out, 4);
		rc = ark_sqlexpr_default(sql, &types[k % N(types)], &out,
					 &reason);
		assert_true(rc == 0 || (rc == -1 && strcmp(out.data, "keep") == 0));
		ark_buf_free(&out);
	}
}

/* ---- keys, indexes, foreign keys, identity -------------------------------- */

static void test_keys_indexes_foreign_keys(void **state)
{
	struct ark_sqlite_column parent_cols[] = {
		COLUMN("Id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Email", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("Age", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Name", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column child_cols[] = {
		COLUMN("a", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("b", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("parent", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("mail", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("ghost", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("age", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_index_column email_key[] = {{"Email", NULL, "BINARY", 0}};
	struct ark_sqlite_index_column age_desc[] = {
		{"Age", NULL, "BINARY", 1}, {"Name", NULL, "NOCASE", 0}};
	struct ark_sqlite_index_column expression_key[] = {
		{NULL, "length(Email)", "BINARY", 0}};
	struct ark_sqlite_index_column lower_key[] = {
		{NULL, "lower(Name)", "BINARY", 0}};
	struct ark_sqlite_index parent_indexes[] = {
		{"sqlite_autoindex_Parent_1", 1, 'u', 0, NULL, NULL, 1,
		 email_key},
		{"ix_Age", 0, 'c', 1, "Age > 17 AND Email IS NOT NULL",
		 "CREATE INDEX ix_Age ON Parent(Age DESC, Name COLLATE NOCASE) "
		 "WHERE Age > 17 AND Email IS NOT NULL",
		 2, age_desc},
		{"ix_len", 1, 'c', 0, NULL, "CREATE UNIQUE INDEX ix_len ...", 1,
		 expression_key},
		{"ix_lower", 0, 'c', 0, NULL,
		 "CREATE INDEX ix_lower ON Parent(lower(Name))", 1, lower_key},
		{"parent_pkey", 0, 'c', 0, NULL, "CREATE INDEX parent_pkey ...",
		 1, email_key},
	};
	struct ark_sqlite_index_column ab[] = {{"a", NULL, "BINARY", 0},
					       {"b", NULL, "BINARY", 0}};
	struct ark_sqlite_index child_indexes[] = {
		{"sqlite_autoindex_child_1", 1, 'p', 0, NULL, NULL, 2, ab},
	};
	char *fk1_from[] = {"parent"}, *fk1_to[] = {NULL};
	char *fk2_from[] = {"mail"}, *fk2_to[] = {"email"};
	char *fk3_from[] = {"ghost"}, *fk3_to[] = {NULL};
	char *fk4_from[] = {"age"}, *fk4_to[] = {"Age"};
	char *fk5_from[] = {"b"}, *fk5_to[] = {"Age"};
	struct ark_sqlite_foreign_key fks[] = {
		{"PARENT", 1, fk1_from, fk1_to, "CASCADE", "SET NULL", 1},
		{"Parent", 1, fk2_from, fk2_to, "NO ACTION", "RESTRICT", 0},
		{"missing", 1, fk3_from, fk3_to, "NO ACTION", "NO ACTION", 0},
		{"Parent", 1, fk4_from, fk4_to, "NO ACTION", "NO ACTION", 0},
		{"Parent", 1, fk5_from, fk5_to, "NO ACTION", "NO ACTION", 0},
	};
	struct ark_sqlite_check parent_checks[] = {
		{"adult", "Age", "Age >= 0"},
		{NULL, NULL, "Name <> ''"},
		{NULL, NULL, "Email LIKE '%@%'"},
		{"Adult", NULL, "Age < 200"},
		{"Parent_pkey", NULL, "Age < 300"},
	};
	struct ark_column_profile pp[N(parent_cols)];
	struct ark_column_profile cp[N(child_cols)];
	struct ark_table_profile tps[2] = {{3, N(parent_cols), pp, 0, 0},
					   {3, N(child_cols), cp, 0, 0}};
	struct ark_profile profile = {2, tps};
	struct ark_sqlite_table tables[2];
	struct ark_sqlite_schema s;
	struct ark_plan *plan;

	(void)state;
	memset(pp, 0, sizeof pp);
	memset(cp, 0, sizeof cp);
	pp[0] = ints(1, 40);
	tables[0] = table_of("Parent", parent_cols, N(parent_cols));
	tables[0].rowid_alias = 0;
	tables[0].autoincrement = 1;
	tables[0].has_sequence = 1;
	tables[0].sequence = 57;
	parent_cols[0].pk_position = 1;
	parent_cols[3].collation = "NOCASE";
	parent_cols[2].default_sql = "0";
	tables[0].indexes = parent_indexes;
	tables[0].nindexes = N(parent_indexes);
	tables[0].checks = parent_checks;
	tables[0].nchecks = N(parent_checks);
	tables[1] = table_of("child", child_cols, N(child_cols));
	tables[1].without_rowid = 1;
	child_cols[0].pk_position = 1;
	child_cols[1].pk_position = 2;
	tables[1].indexes = child_indexes;
	tables[1].nindexes = 1;
	tables[1].foreign_keys = fks;
	tables[1].nforeign_keys = N(fks);
	s = schema_of(tables, 2);
	plan = make(&s, &profile, 0, 0);
	assert_pre(plan,
		   "CREATE TABLE \"s\".\"parent\" (\n"
		   "\t\"id\" bigint GENERATED BY DEFAULT AS IDENTITY (SEQUENCE "
		   "NAME \"s\".\"parent_id_seq\") NOT NULL,\n"
		   "\t\"email\" text,\n"
		   "\t\"age\" bigint DEFAULT 0,\n"
		   "\t\"name\" text\n"
		   ");\n"
		   "CREATE TABLE \"s\".\"child\" (\n"
		   "\t\"a\" text NOT NULL,\n"
		   "\t\"b\" bigint NOT NULL,\n"
		   "\t\"parent\" bigint,\n"
		   "\t\"mail\" text,\n"
		   "\t\"ghost\" bigint,\n"
		   "\t\"age\" text\n"
		   ");\n");
	assert_post(plan,
		    "ALTER TABLE \"s\".\"parent\" ADD CONSTRAINT \"parent_pkey\" "
		    "PRIMARY KEY (\"id\");\n"
		    "ALTER TABLE \"s\".\"parent\" ADD CONSTRAINT "
		    "\"parent_email_key\" UNIQUE (\"email\");\n"
		    "CREATE INDEX \"ix_age\" ON \"s\".\"parent\" (\"age\" DESC, "
		    "\"name\") WHERE \"age\" > 17 AND \"email\" IS NOT NULL;\n"
		    "CREATE UNIQUE INDEX \"ix_len\" ON \"s\".\"parent\" "
		    "((char_length(\"email\")));\n"
		    "CREATE INDEX \"parent_pkey_2\" ON \"s\".\"parent\" "
		    "(\"email\");\n"
		    "ALTER TABLE \"s\".\"parent\" ADD CONSTRAINT \"adult\" CHECK "
		    "(\"age\" >= 0);\n"
		    "ALTER TABLE \"s\".\"parent\" ADD CONSTRAINT \"adult_2\" "
		    "CHECK (\"age\" < 200);\n"
		    "ALTER TABLE \"s\".\"parent\" ADD CONSTRAINT \"parent_pkey_2\" "
		    "CHECK (\"age\" < 300);\n"
		    "SELECT setval('\"s\".\"parent_id_seq\"', 57, true);\n"
		    "ALTER TABLE \"s\".\"child\" ADD CONSTRAINT \"child_pkey\" "
		    "PRIMARY KEY (\"a\", \"b\");\n"
		    "ALTER TABLE \"s\".\"child\" ADD FOREIGN KEY (\"parent\") "
		    "REFERENCES \"s\".\"parent\" (\"id\") ON UPDATE CASCADE ON "
		    "DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;\n"
		    "ALTER TABLE \"s\".\"child\" ADD FOREIGN KEY (\"mail\") "
		    "REFERENCES \"s\".\"parent\" (\"email\") ON DELETE "
		    "RESTRICT;\n");
	assert_int_equal(plan->tables[0].identity_next, 58);
	assert_notes(
		plan,
		"not carried|Parent|Name|COLLATE NOCASE not carried: PostgreSQL "
		"compares this column's values as they are (case-sensitive)\n"
		"info|Parent|Id|AUTOINCREMENT: the identity continues after 57, "
		"never re-issuing an id SQLite handed out\n"
		"not carried|Parent|-|index \"ix_Age\": COLLATE NOCASE not "
		"carried: the keys compare case-sensitively\n"
		"not carried|Parent|-|index \"ix_lower\" not carried: this "
		"function is not translated: CREATE INDEX ix_lower ON "
		"Parent(lower(Name))\n"
		"not carried|Parent|-|CHECK (Name <> '') not carried: it reads a "
		"column whose comparisons differ in PostgreSQL (its type or its "
		"COLLATE)\n"
		"not carried|Parent|-|CHECK (Email LIKE '%@%') not carried: "
		"LIKE, GLOB, REGEXP and MATCH are not translated\n"
		"renamed|Parent|-|index renamed \"parent_pkey_2\": the name is "
		"taken\n"
		"not carried|child|-|foreign key (\"ghost\") REFERENCES "
		"\"missing\" not carried: no such table\n"
		"not carried|child|-|foreign key (\"age\") REFERENCES \"Parent\" "
		"not carried: the columns' types differ\n"
		"not carried|child|-|foreign key (\"b\") REFERENCES \"Parent\" "
		"not carried: the referenced columns are not a key of the "
		"parent\n");
	/* relaxing the parent's unique constraint drops the FK on it */
	ark_plan_relax_unique(plan, 0, 1, "duplicate values (2 rows)");
	ark_plan_relax_unique_index(plan, 0, 0, "not unique: ignored");
	ark_plan_relax_unique_index(plan, 0, 1, "duplicate values");
	{
		char *notes = notes_text(plan);

		assert_non_null(strstr(
			notes,
			"relaxed|Parent|-|unique constraint (\"Email\") left "
			"out: duplicate values (2 rows)\n"
			"not carried|child|-|foreign key (\"mail\") REFERENCES "
			"\"Parent\" not carried: the referenced columns are "
			"not a key of the parent\n"
			"relaxed|Parent|-|unique index \"ix_len\" left out: "
			"duplicate values\n"));
		free(notes);
	}
	ark_plan_free(plan);
}

static void test_identity_positions(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("id", "INTEGER", ARK_AFFINITY_INTEGER),
	};
	struct ark_column_profile p[1];
	struct ark_table_profile tp = {3, 1, p, 0, 0};
	struct ark_profile profile = {1, &tp};
	struct ark_sqlite_table t = table_of("t", cols, 1);
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;

	(void)state;
	cols[0].pk_position = 1;
	t.rowid_alias = 0;
	/* no rows, no sequence: the identity starts at 1, nothing to set */
	memset(p, 0, sizeof p);
	plan = make(&s, &profile, 0, 0);
	assert_int_equal(plan->tables[0].identity_next, 1);
	assert_post(plan, "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"t_pkey\" "
			  "PRIMARY KEY (\"id\");\n");
	ark_plan_free(plan);
	/* a deleted tail: the sequence is ahead of max(id) */
	p[0] = ints(1, 10);
	t.autoincrement = 1;
	t.has_sequence = 1;
	t.sequence = 15;
	plan = make(&s, &profile, 0, 0);
	assert_int_equal(plan->tables[0].identity_next, 16);
	ark_plan_free(plan);
	/* only negative ids: start at 1 */
	p[0] = ints(-9, -2);
	t.has_sequence = 0;
	plan = make(&s, &profile, 0, 0);
	assert_int_equal(plan->tables[0].identity_next, 1);
	ark_plan_free(plan);
	/* INT64_MAX handed out: exhausted, the sequence is set to its end */
	p[0] = ints(1, INT64_MAX);
	plan = make(&s, &profile, 0, 0);
	assert_true(plan->tables[0].identity_exhausted);
	assert_post(plan, "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"t_pkey\" "
			  "PRIMARY KEY (\"id\");\n"
			  "SELECT setval('\"s\".\"t_id_seq\"', "
			  "9223372036854775807, true);\n");
	ark_plan_free(plan);
}

static void test_nullable_primary_key_widen(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("code", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_column_profile p[1];
	struct ark_table_profile tp = {3, 1, p, 0, 0};
	struct ark_profile profile = {1, &tp};
	struct ark_sqlite_table t = table_of("t", cols, 1);
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;

	(void)state;
	memset(p, 0, sizeof p);
	p[0].nulls = 1;
	p[0].texts = 2;
	p[0].text_shapes_all = ARK_SHAPE_UTF8;
	cols[0].pk_position = 1;
	plan = make(&s, &profile, 0, 0);
	assert_post(plan, "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT \"t_pkey\" "
			  "PRIMARY KEY (\"code\");\n");
	ark_plan_free(plan);
	plan = make(&s, &profile, 1, 0);
	assert_post(plan, "ALTER TABLE \"s\".\"t\" ADD CONSTRAINT "
			  "\"t_code_key\" UNIQUE (\"code\");\n");
	assert_notes(plan, "relaxed|t|code|primary key (\"code\") becomes a "
			   "unique constraint: the column holds NULL\n");
	ark_plan_relax_unique(plan, 0, 0, "duplicate values");
	assert_post(plan, "");
	ark_plan_free(plan);
}

/* ---- views, triggers, generated columns, describe ------------------------ */

static void test_describe_and_objects(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("Id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Na\nme", "VARCHAR(5)", ARK_AFFINITY_TEXT),
		COLUMN("total", "REAL", ARK_AFFINITY_REAL),
	};
	struct ark_sqlite_object views[] = {
		{"v", NULL, "CREATE VIEW v AS\nSELECT 1"}};
	struct ark_sqlite_object triggers[] = {
		{"tr", "T", "CREATE TRIGGER tr AFTER INSERT ON T BEGIN END"}};
	struct ark_sqlite_object virtuals[] = {
		{"fts", NULL, "CREATE VIRTUAL TABLE fts USING fts5(x)"}};
	struct ark_sqlite_table t = table_of("T", cols, N(cols));
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;
	struct ark_buf out = ARK_BUF_INIT;

	(void)state;
	cols[0].pk_position = 1;
	t.rowid_alias = 0;
	cols[1].not_null = 1;
	cols[1].default_sql = "'x'";
	cols[2].generated = ARK_GENERATED_STORED;
	cols[2].generated_sql = "Id * 2";
	cols[2].default_sql = "random()";
	s.views = views;
	s.nviews = 1;
	s.triggers = triggers;
	s.ntriggers = 1;
	s.virtual_tables = virtuals;
	s.nvirtual = 1;
	plan = make(&s, NULL, 0, 0);
	ark_plan_describe(plan, &out);
	assert_string_equal(
		out.data,
		"table \"T\" -> \"t\"\n"
		"  column \"Id\" INTEGER -> \"id\" bigint identity not null\n"
		"  column \"Na\\nme\" VARCHAR(5) -> \"na\\nme\" varchar(5) not "
		"null default 'x'\n"
		"  column \"total\" REAL -> \"total\" double precision\n"
		"  primary key \"t_pkey\" (\"id\")\n"
		"  identity continues at 1\n"
		"not carried: table \"T\", column \"total\": generated column: "
		"its values are carried as a plain column, the expression (Id * "
		"2) is not\n"
		"not carried: table \"T\", column \"total\": DEFAULT random() "
		"not carried into double precision: this function is not "
		"translated\n"
		"not carried: table \"v\": view not carried: CREATE VIEW v "
		"AS\\nSELECT 1\n"
		"not carried: table \"T\": trigger \"tr\" not carried: CREATE "
		"TRIGGER tr AFTER INSERT ON T BEGIN END\n"
		"not carried: table \"fts\": virtual table not carried: CREATE "
		"VIRTUAL TABLE fts USING fts5(x)\n");
	ark_buf_free(&out);
	ark_plan_free(plan);
}

/* ---- --data-only ---------------------------------------------------------- */

static void test_map_existing(void **state)
{
	struct ark_sqlite_column a_cols[] = {
		COLUMN("Id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Active", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("Created", "TEXT", ARK_AFFINITY_TEXT),
		COLUMN("Extra", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_column b_cols[] = {
		COLUMN("x", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_table tables[2];
	struct ark_sqlite_schema s;
	struct ark_pg_existing_column users_cols[] = {
		{"id", "bigint", 1, 1},
		{"active", "boolean", 1, 0},
		{"created", "timestamp with time zone", 0, 0},
		{"note", "text", 0, 0},
	};
	struct ark_pg_existing_table existing_tables[] = {
		{"users", N(users_cols), users_cols},
		{"django_migrations", 0, NULL},
	};
	struct ark_pg_existing existing = {N(existing_tables), existing_tables};
	struct ark_error err = {0};
	struct ark_plan *plan;

	(void)state;
	a_cols[0].pk_position = 1;
	tables[0] = table_of("Users", a_cols, N(a_cols));
	tables[0].rowid_alias = 0;
	tables[1] = table_of("gone", b_cols, 1);
	s = schema_of(tables, 2);
	plan = make(&s, NULL, 0, 0);
	assert_int_equal(ark_plan_map_existing(plan, &existing, 0, &err),
			 ARK_ERR_REFUSED);
	assert_string_equal(err.msg,
			    "the target has no column \"users\".\"extra\", "
			    "table \"gone\" (--ignore-missing leaves them out)");
	ark_plan_free(plan);

	plan = make(&s, NULL, 0, 0);
	ark_error_clear(&err);
	assert_int_equal(ark_plan_map_existing(plan, &existing, 1, &err), 0);
	assert_string_equal(plan->tables[0].source_name, "Users");
	assert_int_equal(plan->tables[0].columns[1].type.type,
			 ARK_PGTYPE_BOOL);
	assert_int_equal(plan->tables[0].columns[2].type.type,
			 ARK_PGTYPE_TIMESTAMPTZ);
	assert_true(plan->tables[0].columns[3].skipped);
	assert_true(plan->tables[1].skipped);
	assert_false(plan->tables[0].columns[0].identity);
	assert_notes(plan,
		     "not carried|Users|Extra|the target table \"users\" has no "
		     "column \"extra\"\n"
		     "info|Users|-|the target column \"note\" has no source "
		     "column: it gets its default\n"
		     "not carried|gone|-|the target has no table \"gone\"\n"
		     "info|-|-|the target table \"django_migrations\" has no "
		     "source table: left as it is\n");
	ark_plan_free(plan);

	/* a NOT NULL target column without a default and no source */
	users_cols[3].not_null = 1;
	plan = make(&s, NULL, 0, 0);
	ark_error_clear(&err);
	assert_int_equal(ark_plan_map_existing(plan, &existing, 1, &err),
			 ARK_ERR_REFUSED);
	assert_string_equal(err.msg,
			    "target columns that are NOT NULL without a "
			    "default have no source column: \"users\".\"note\"");
	ark_plan_free(plan);
	users_cols[3].not_null = 0;

	/* a type ark cannot convert into */
	users_cols[3].format_type = "integer[]";
	a_cols[3].name = "note";
	plan = make(&s, NULL, 0, 0);
	ark_error_clear(&err);
	assert_int_equal(ark_plan_map_existing(plan, &existing, 1, &err),
			 ARK_ERR_UNSUPPORTED);
	assert_string_equal(err.msg, "target column \"users\".\"note\": ark "
				     "cannot convert into type integer[]");
	ark_plan_free(plan);
}

static void test_profile_must_match_schema(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("a", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_table t = table_of("t", cols, 1);
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_profile empty = {0, NULL};
	struct ark_plan_options options;
	struct ark_error err = {0};
	struct ark_plan *plan = (struct ark_plan *)&err; /* must be reset */

	(void)state;
	memset(&options, 0, sizeof options);
	assert_int_equal(ark_plan_make(&s, &empty, &options, &plan, &err),
			 ARK_ERR_INTERNAL);
	assert_null(plan);
	assert_string_equal(err.msg, "planning the schema: the profile has 0 "
				     "tables, the schema 1");
	ark_plan_free(NULL);
}

static void test_empty_schema(void **state)
{
	struct ark_sqlite_schema s = schema_of(NULL, 0);
	struct ark_plan *plan;
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error err = {0};

	(void)state;
	plan = make(&s, NULL, 0, 0);
	assert_int_equal(plan->ntables, 0);
	assert_int_equal(ark_plan_pre_data_sql(plan, "s", &out, &err), 0);
	assert_non_null(out.data);
	assert_string_equal(out.data, "");
	assert_int_equal(ark_plan_post_data_sql(plan, "s", &out, &err), 0);
	assert_string_equal(out.data, "");
	ark_buf_free(&out);
	ark_plan_free(plan);
}

static void test_data_only_sequences_sql(void **state)
{
	struct ark_sqlite_column cols[] = {
		COLUMN("Id", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("n", "INTEGER", ARK_AFFINITY_INTEGER),
		COLUMN("t", "TEXT", ARK_AFFINITY_TEXT),
	};
	struct ark_sqlite_table t = table_of("T'x", cols, 3);
	struct ark_sqlite_schema s = schema_of(&t, 1);
	struct ark_plan *plan;
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error err = {0};

	(void)state;
	t.rowid_alias = 0;
	t.has_sequence = 1;
	t.sequence = 41;
	plan = make(&s, NULL, 0, 0);
	assert_int_equal(ark_plan_data_only_post_sql(plan, "app", &out, &err),
			 0);
	assert_string_equal(
		out.data,
		"SELECT setval(q.seq::regclass, q.v, true) FROM (SELECT "
		"pg_get_serial_sequence('\"app\".\"t''x\"', 'id') AS seq, "
		"GREATEST((SELECT max(\"id\") FROM \"app\".\"t'x\"), 41) AS v) "
		"q WHERE q.seq IS NOT NULL AND q.v > 0 AND q.v > "
		"coalesce(pg_sequence_last_value(q.seq::regclass), 0);\n"
		"SELECT setval(q.seq::regclass, q.v, true) FROM (SELECT "
		"pg_get_serial_sequence('\"app\".\"t''x\"', 'n') AS seq, "
		"GREATEST((SELECT max(\"n\") FROM \"app\".\"t'x\"), 0) AS v) q "
		"WHERE q.seq IS NOT NULL AND q.v > 0 AND q.v > "
		"coalesce(pg_sequence_last_value(q.seq::regclass), 0);\n");
	ark_buf_free(&out);
	ark_plan_free(plan);
}

/* ---- type names ------------------------------------------------------------ */

static void test_pgtype_names(void **state)
{
	static const struct {
		const char *format_type;
		struct ark_pgtype_spec spec;
		const char *sql;
	} cases[] = {
		{"boolean", {ARK_PGTYPE_BOOL, -1, -1, -1}, "boolean"},
		{"smallint", {ARK_PGTYPE_INT2, -1, -1, -1}, "smallint"},
		{"integer", {ARK_PGTYPE_INT4, -1, -1, -1}, "integer"},
		{"bigint", {ARK_PGTYPE_INT8, -1, -1, -1}, "bigint"},
		{"real", {ARK_PGTYPE_FLOAT4, -1, -1, -1}, "real"},
		{"double precision", {ARK_PGTYPE_FLOAT8, -1, -1, -1},
		 "double precision"},
		{"numeric", {ARK_PGTYPE_NUMERIC, -1, -1, -1}, "numeric"},
		{"numeric(10,2)", {ARK_PGTYPE_NUMERIC, -1, 10, 2},
		 "numeric(10,2)"},
		{"numeric(7,0)", {ARK_PGTYPE_NUMERIC, -1, 7, 0}, "numeric(7,0)"},
		{"text", {ARK_PGTYPE_TEXT, -1, -1, -1}, "text"},
		{"character varying(40)", {ARK_PGTYPE_VARCHAR, 40, -1, -1},
		 "varchar(40)"},
		{"character varying", {ARK_PGTYPE_VARCHAR, -1, -1, -1},
		 "varchar"},
		{"character(3)", {ARK_PGTYPE_BPCHAR, 3, -1, -1}, "char(3)"},
		{"bpchar", {ARK_PGTYPE_BPCHAR, -1, -1, -1}, "bpchar"},
		{"bytea", {ARK_PGTYPE_BYTEA, -1, -1, -1}, "bytea"},
		{"date", {ARK_PGTYPE_DATE, -1, -1, -1}, "date"},
		{"timestamp without time zone",
		 {ARK_PGTYPE_TIMESTAMP, -1, -1, -1}, "timestamp"},
		{"timestamp with time zone",
		 {ARK_PGTYPE_TIMESTAMPTZ, -1, -1, -1}, "timestamptz"},
		{"json", {ARK_PGTYPE_JSON, -1, -1, -1}, "json"},
		{"jsonb", {ARK_PGTYPE_JSONB, -1, -1, -1}, "jsonb"},
		{"uuid", {ARK_PGTYPE_UUID, -1, -1, -1}, "uuid"},
	};
	static const char *const refused[] = {
		"integer[]", "timestamp(3) without time zone", "money",
		"character varying(0)", "numeric(10,20)", "numeric(1001,0)",
		"interval", "my_domain", "numeric(10,2", "character varying(4)x",
		"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct ark_pgtype_spec spec;
		struct ark_buf out = ARK_BUF_INIT;

		if (ark_pgtype_parse(cases[i].format_type, &spec) != 0)
			fail_msg("%s refused", cases[i].format_type);
		assert_int_equal(spec.type, cases[i].spec.type);
		assert_int_equal(spec.length, cases[i].spec.length);
		assert_int_equal(spec.precision, cases[i].spec.precision);
		assert_int_equal(spec.scale, cases[i].spec.scale);
		ark_pgtype_append_sql(&out, &spec);
		assert_string_equal(out.data, cases[i].sql);
		ark_buf_free(&out);
	}
	for (i = 0; i < N(refused); i++) {
		struct ark_pgtype_spec spec;

		if (ark_pgtype_parse(refused[i], &spec) == 0)
			fail_msg("%s accepted", refused[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_declared_types),
		cmocka_unit_test(test_untyped_columns),
		cmocka_unit_test(test_boolean_and_fallbacks),
		cmocka_unit_test(test_varchar_and_widen),
		cmocka_unit_test(test_widen_column_chain),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_reserved_words),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_expressions_hostile_input),
		cmocka_unit_test(test_keys_indexes_foreign_keys),
		cmocka_unit_test(test_identity_positions),
		cmocka_unit_test(test_nullable_primary_key_widen),
		cmocka_unit_test(test_describe_and_objects),
		cmocka_unit_test(test_map_existing),
		cmocka_unit_test(test_pgtype_names),
		cmocka_unit_test(test_profile_must_match_schema),
		cmocka_unit_test(test_empty_schema),
		cmocka_unit_test(test_data_only_sequences_sql),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
