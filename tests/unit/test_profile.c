/*
 * test_profile.c - ark_profile_scan on SQLite databases built here, with
 * known mixes of storage classes, hostile names, generated columns and
 * WITHOUT ROWID; the schema is written by hand (the schema reader has its
 * own tests).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>

#include "unit_helpers.h"

#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/pgtext.h"
#include "ark/profile.h"

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *message = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql, message);
}

/* A schema of one table with the given column names. */
struct one_table {
	struct ark_sqlite_schema schema;
	struct ark_sqlite_table table;
	struct ark_sqlite_column columns[8];
};

static void one_table(struct one_table *s, const char *name,
		      const char *const *columns, size_t ncolumns)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->table.name = (char *)(uintptr_t)name;
	s->table.rowid_alias = -1;
	s->table.ncolumns = ncolumns;
	s->table.columns = s->columns;
	for (i = 0; i < ncolumns; i++)
		s->columns[i].name = (char *)(uintptr_t)columns[i];
	s->schema.ntables = 1;
	s->schema.tables = &s->table;
}

static void test_storage_mix(void **state)
{
	static const char *const columns[] = {"i", "r", "t", "b", "any",
					      "g"};
	struct one_table s;
	struct ark_profile *profile = NULL;
	struct ark_error err = {0};
	const struct ark_column_profile *c;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec_sql(db, "CREATE TABLE m (i INTEGER, r REAL, t TEXT, b BLOB, any,"
		     " g INTEGER GENERATED ALWAYS AS (i * 2) VIRTUAL);"
		     "INSERT INTO m (i, r, t, b, any) VALUES"
		     " (1, 1.5, 'true', x'00', NULL),"
		     " (-9223372036854775808, -0.0, '2024-01-02', x'', 7),"
		     " (9223372036854775807, 9e999, '日本語', x'0102', 'x'),"
		     " (NULL, 2.0, 'F', NULL, 2.5),"
		     " ('12a', -9e999, NULL, 'text', x'ff'),"
		     " (3, 0.25, 'ab\xc3', 4, -0.0);");
	one_table(&s, "m", columns, 6);
	assert_int_equal(ark_profile_scan(db, &s.schema, &profile, &err), 0);
	assert_int_equal(err.code, ARK_OK);
	assert_int_equal(profile->ntables, 1);
	assert_int_equal(profile->tables[0].rows, 6);
	assert_int_equal(profile->tables[0].ncolumns, 6);
	/* i: 4 integers, one NULL, one text */
	c = &profile->tables[0].columns[0];
	assert_int_equal(c->integers, 4);
	assert_int_equal(c->nulls, 1);
	assert_int_equal(c->texts, 1);
	assert_int_equal(c->reals + c->blobs, 0);
	assert_true(c->min_integer == INT64_MIN);
	assert_true(c->max_integer == INT64_MAX);
	assert_int_equal(c->text_shapes_all, ARK_SHAPE_UTF8);
	/* r: 1.5, -0.0, +Inf, 2.0, -Inf, 0.25; a REAL column stores
	 * whole numbers as integers, so SQLite itself turns -0.0 into 0.0
	 * there (a column without affinity keeps it: "any" below) */
	c = &profile->tables[0].columns[1];
	assert_int_equal(c->reals, 6);
	assert_int_equal(c->infinities, 2);
	assert_int_equal(c->negative_zeros, 0);
	assert_int_equal(c->reals_integral, 2);
	assert_true(c->min_real == 0.0 && c->max_real == 2.0);
	/* t: shapes of 'true', '2024-01-02', '日本語', 'F', invalid UTF-8;
	 * no declared type here: its plan reads UTF-8 and booleans only
	 * (ark_plan_shapes_needed; test_shapes_by_declared_type) */
	c = &profile->tables[0].columns[2];
	assert_int_equal(c->texts, 5);
	assert_int_equal(c->nulls, 1);
	assert_int_equal(c->max_text_chars, 10);
	assert_int_equal(c->max_text_bytes, 10);
	assert_int_equal(c->texts_bool, 2);
	assert_int_equal(c->text_shapes_all, 0);
	assert_int_equal(c->text_shapes_any, ARK_SHAPE_UTF8 | ARK_SHAPE_BOOL);
	/* b: BLOB affinity keeps everything as given */
	c = &profile->tables[0].columns[3];
	assert_int_equal(c->blobs, 3);
	assert_int_equal(c->max_blob_bytes, 2);
	assert_int_equal(c->texts, 1);
	assert_int_equal(c->integers, 1);
	assert_int_equal(c->nulls, 1);
	/* any: NULL, 7, 'x', 2.5, x'ff', -0.0 */
	c = &profile->tables[0].columns[4];
	assert_int_equal(c->nulls, 1);
	assert_int_equal(c->integers, 1);
	assert_int_equal(c->texts, 1);
	assert_int_equal(c->reals, 2);
	assert_int_equal(c->blobs, 1);
	assert_int_equal(c->negative_zeros, 1);
	assert_int_equal(c->reals_integral, 1);
	assert_true(c->min_real == 0.0 && signbit(c->min_real) &&
		    c->max_real == 2.5);
	assert_int_equal(c->text_shapes_all, ARK_SHAPE_UTF8);
	/* g: computed by SQLite, i * 2 (the text '12a' * 2 is 24; the
	 * int64 extremes overflow to reals) */
	c = &profile->tables[0].columns[5];
	assert_int_equal(c->integers + c->reals + c->nulls, 6);
	assert_int_equal(c->nulls, 1);
	ark_profile_free(profile);
	sqlite3_close(db);
}

/* Names with quotes, spaces, newlines and unicode; WITHOUT ROWID; an
 * empty table; tables in schema order. */
/*
 * Each column's text is tested only for the shapes its plan can use: a
 * DATETIME column for dates, a JSON column for JSON, a UUID column for
 * UUIDs; a TEXT column for none of those (no JSON parse of every text).
 */
static void test_shapes_by_declared_type(void **state)
{
	static const char *const columns[] = {"d", "j", "u", "t"};
	static const char *const types[] = {"DATETIME", "JSON", "UUID",
					    "TEXT"};
	struct one_table s;
	struct ark_profile *profile = NULL;
	struct ark_error err = {0};
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec_sql(db, "CREATE TABLE m (d DATETIME, j JSON, u UUID, t TEXT);"
		     "INSERT INTO m VALUES ('2024-01-02', '{\"a\": [1]}', "
		     "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{\"a\": 1}'),"
		     " ('2024-01-02 03:04:05Z', '7', "
		     "'a0eebc999c0b4ef8bb6d6bb9bd380a11', '2024-01-02');");
	one_table(&s, "m", columns, 4);
	for (size_t i = 0; i < 4; i++)
		s.columns[i].declared_type = (char *)(uintptr_t)types[i];
	assert_int_equal(ark_profile_scan(db, &s.schema, &profile, &err), 0);
	assert_int_equal(profile->tables[0].columns[0].text_shapes_any,
			 ARK_SHAPE_UTF8 | ARK_SHAPE_DATE |
				 ARK_SHAPE_TIMESTAMP | ARK_SHAPE_TIMESTAMPTZ);
	assert_int_equal(profile->tables[0].columns[1].text_shapes_all,
			 ARK_SHAPE_UTF8 | ARK_SHAPE_JSON);
	assert_int_equal(profile->tables[0].columns[2].text_shapes_all,
			 ARK_SHAPE_UTF8 | ARK_SHAPE_UUID);
	assert_int_equal(profile->tables[0].columns[3].text_shapes_any,
			 ARK_SHAPE_UTF8);
	ark_profile_free(profile);
	sqlite3_close(db);
}

static void test_hostile_names(void **state)
{
	struct ark_sqlite_column c1[2], c2[1];
	struct ark_sqlite_table tables[2];
	struct ark_sqlite_schema schema;
	struct ark_profile *profile = NULL;
	struct ark_error err = {0};
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec_sql(db, "CREATE TABLE \"we\"\"ird\nname \" (\"co\"\"l\" TEXT"
		     " PRIMARY KEY, \"é x\") WITHOUT ROWID;"
		     "INSERT INTO \"we\"\"ird\nname \" VALUES ('a', 1), ('b', 2);"
		     "CREATE TABLE \"empty\" (\"select\");");
	memset(c1, 0, sizeof(c1));
	memset(c2, 0, sizeof(c2));
	memset(tables, 0, sizeof(tables));
	memset(&schema, 0, sizeof(schema));
	c1[0].name = (char *)(uintptr_t) "co\"l";
	c1[1].name = (char *)(uintptr_t) "é x";
	c2[0].name = (char *)(uintptr_t) "select";
	tables[0].name = (char *)(uintptr_t) "we\"ird\nname ";
	tables[0].without_rowid = 1;
	tables[0].ncolumns = 2;
	tables[0].columns = c1;
	tables[1].name = (char *)(uintptr_t) "empty";
	tables[1].ncolumns = 1;
	tables[1].columns = c2;
	schema.ntables = 2;
	schema.tables = tables;
	assert_int_equal(ark_profile_scan(db, &schema, &profile, &err), 0);
	assert_int_equal(profile->tables[0].rows, 2);
	assert_int_equal(profile->tables[0].columns[0].texts, 2);
	assert_int_equal(profile->tables[0].columns[1].integers, 2);
	assert_int_equal(profile->tables[0].columns[1].min_integer, 1);
	assert_int_equal(profile->tables[0].columns[1].max_integer, 2);
	assert_int_equal(profile->tables[1].rows, 0);
	assert_int_equal(profile->tables[1].columns[0].nulls, 0);
	ark_profile_free(profile);
	profile = NULL;

	/* a table the schema names but the database lacks: the source
	 * error names it, escaped */
	tables[1].name = (char *)(uintptr_t) "gone\naway";
	assert_int_equal(ark_profile_scan(db, &schema, &profile, &err),
			 ARK_ERR_SOURCE);
	assert_null(profile);
	assert_string_equal(err.msg, "table \"gone\\naway\": cannot read its"
				     " rows: no such table: main.gone\naway");
	sqlite3_close(db);
	ark_profile_free(NULL);
}

static int child_interrupted(void *arg)
{
	static const char *const columns[] = {"x"};
	struct one_table s;
	struct ark_profile *profile = NULL;
	struct ark_error err = {0};
	sqlite3 *db = arg;
	int rc;

	ark_log_set_program("test_profile");
	ark_fsio_install_signal_handlers();
	raise(SIGTERM);
	one_table(&s, "big", columns, 1);
	rc = ark_profile_scan(db, &s.schema, &profile, &err);
	if (rc != ARK_ERR_INTERRUPTED || profile != NULL ||
	    strcmp(err.msg, "interrupted by signal") != 0)
		return 1;
	return 0;
}

static void test_interrupted(void **state)
{
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec_sql(db, "CREATE TABLE big (x);"
		     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
		     " FROM n WHERE i < 10000) INSERT INTO big SELECT i FROM n;");
	assert_int_equal(unit_run_in_child(child_interrupted, db), 0);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storage_mix),
		cmocka_unit_test(test_shapes_by_declared_type),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_interrupted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
