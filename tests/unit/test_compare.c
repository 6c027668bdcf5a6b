/*
 * test_compare.c - ark_compare_run() on SQLite databases, and how an
 * argument is told apart (ark/compare.h).  The PostgreSQL and archive
 * sides are exercised end to end in tests/e2e/compare.bats.
 *
 * The narrowing is checked against a model: random tables whose two
 * sides differ by known changes, missing and extra rows (with and
 * without a key, duplicated rows included), narrowed in one partition
 * and in many (partition_rows tiny): the counts must be exactly the
 * changes made, whatever the partitioning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "unit_helpers.h"
#include "sqlite_helpers.h"

#include "ark/compare.h"

static char dir[4096];

static int setup(void **state)
{
	(void)state;
	unit_make_temp_dir(dir, sizeof(dir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unit_remove_tree(dir);
	return 0;
}

static void path_of(char *out, size_t room, const char *name)
{
	snprintf(out, room, "%s/%s", dir, name);
}

static void test_argument_kind(void **state)
{
	char sqlite_path[4200], empty[4200], other[4200], eq[4200];
	sqlite3 *db;

	(void)state;
	path_of(sqlite_path, sizeof(sqlite_path), "a.db");
	db = unit_open_db(sqlite_path,
			  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	unit_exec_sql(db, "CREATE TABLE t (x)");
	sqlite3_close(db);
	path_of(empty, sizeof(empty), "empty.db");
	unit_write_file(empty, "");
	path_of(other, sizeof(other), "x.ark");
	unit_write_file(other, "SQLite format 2\nnot quite");
	path_of(eq, sizeof(eq), "dbname=x");
	unit_write_file(eq, "junk");

	assert_int_equal(ark_compare_argument_kind(sqlite_path),
			 ARK_COMPARE_SQLITE);
	assert_int_equal(ark_compare_argument_kind(empty), ARK_COMPARE_SQLITE);
	assert_int_equal(ark_compare_argument_kind(other),
			 ARK_COMPARE_ARCHIVE);
	assert_int_equal(ark_compare_argument_kind(dir), ARK_COMPARE_ARCHIVE);
	/* an existing file wins over the '=' it holds */
	assert_int_equal(ark_compare_argument_kind(eq), ARK_COMPARE_ARCHIVE);
	assert_int_equal(ark_compare_argument_kind("postgresql://u@h/db"),
			 ARK_COMPARE_POSTGRESQL);
	assert_int_equal(ark_compare_argument_kind("postgres://h"),
			 ARK_COMPARE_POSTGRESQL);
	assert_int_equal(ark_compare_argument_kind("host=/tmp dbname=app"),
			 ARK_COMPARE_POSTGRESQL);
	assert_int_equal(ark_compare_argument_kind(""),
			 ARK_COMPARE_POSTGRESQL);
	assert_int_equal(ark_compare_argument_kind("no-such-file.db"),
			 ARK_COMPARE_ARCHIVE);
	assert_int_equal(ark_compare_argument_kind("postgresqlfile"),
			 ARK_COMPARE_ARCHIVE);
}

static const struct ark_compare_table *
table_named(const struct ark_compare_result *r, const char *name)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (strcmp(r->tables[i].name, name) == 0)
			return &r->tables[i];
	fail_msg("no table %s", name);
	return NULL;
}

static void run_compare(const char *a, const char *b, size_t partition,
			size_t max_diffs, int jobs,
			struct ark_compare_result *result, int expected)
{
	struct ark_compare_options options;
	struct ark_error err = { 0 };

	ark_compare_options_init(&options);
	options.source = a;
	options.target = b;
	options.partition_rows = partition;
	options.max_diffs = max_diffs;
	options.jobs = jobs;
	options.tmpdir = dir;
	assert_int_equal(ark_compare_run(&options, result, &err), expected);
}

/*
 * keyed (id INTEGER PRIMARY KEY, v TEXT, n REAL) and bag (a, b) without
 * a key, 3000 rows each; the copy gets `changes` changed values, rows
 * deleted and rows added, and duplicated rows in bag.
 */
static void test_narrowing_counts_every_difference(void **state)
{
	char a[4200], b[4200];
	struct ark_compare_result result;
	const struct ark_compare_table *t;
	sqlite3 *db;
	size_t partitions[] = { 0, 1, 7, 1000 };

	(void)state;
	path_of(a, sizeof(a), "n1.db");
	path_of(b, sizeof(b), "n2.db");
	db = unit_open_db(a, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	unit_exec_sql(db,
		"CREATE TABLE keyed (id INTEGER PRIMARY KEY, v TEXT, n REAL);"
		"CREATE TABLE bag (a INTEGER, b TEXT);"
		"CREATE TABLE same (k TEXT PRIMARY KEY, x BLOB) WITHOUT ROWID;"
		"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
		"WHERE i < 3000) "
		"INSERT INTO keyed SELECT i, 'v' || (i * 7919 % 1000), i / 4.0 "
		"FROM s;"
		"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
		"WHERE i < 3000) "
		"INSERT INTO bag SELECT i % 50, 'b' || (i % 7) FROM s;"
		"INSERT INTO same VALUES ('x', x'00ff'), ('y', NULL);");
	sqlite3_close(db);
	{
		size_t len;
		void *bytes = unit_read_all(a, &len);

		unit_write_all(b, bytes, len);
		free(bytes);
	}
	db = unit_open_db(b, SQLITE_OPEN_READWRITE);
	unit_exec_sql(db,
		/* 5 changed: v on 3 rows, n on 2 (one both: still one row) */
		"UPDATE keyed SET v = 'changed' WHERE id IN (10, 2000, 2999);"
		"UPDATE keyed SET n = -1 WHERE id IN (10, 77);"
		/* 4 missing, 2 extra */
		"DELETE FROM keyed WHERE id IN (1, 500, 1500, 3000);"
		"INSERT INTO keyed VALUES (5000, 'new', 0), (-3, NULL, NULL);"
		/* bag: 3 more copies of a row, one copy of another gone */
		"INSERT INTO bag VALUES (1, 'b1'), (1, 'b1'), (1, 'b1');"
		"DELETE FROM bag WHERE rowid = (SELECT min(rowid) FROM bag "
		"WHERE a = 0);");
	sqlite3_close(db);

	for (size_t p = 0; p < sizeof(partitions) / sizeof(*partitions); p++) {
		run_compare(a, b, partitions[p], 100, p % 2 ? 1 : 2, &result,
			    ARK_ERR_MISMATCH);
		assert_int_equal(result.ntables, 3);
		assert_int_equal(result.different, 2);
		assert_int_equal(result.equal, 1);
		t = table_named(&result, "keyed");
		assert_int_equal(t->status, ARK_COMPARE_DIFFERENT);
		assert_true(t->narrowed);
		assert_string_equal(t->key, "id");
		assert_int_equal(t->changed, 4);
		assert_int_equal(t->missing, 4);
		assert_int_equal(t->extra, 2);
		assert_int_equal(t->ndiffs, 10);
		/* sorted by key, numbers as numbers */
		assert_string_equal(t->diffs[0].key, "id=-3");
		assert_int_equal(t->diffs[0].kind, ARK_COMPARE_EXTRA);
		assert_string_equal(t->diffs[1].key, "id=1");
		assert_int_equal(t->diffs[1].kind, ARK_COMPARE_MISSING);
		assert_string_equal(t->diffs[2].key, "id=10");
		assert_int_equal(t->diffs[2].kind, ARK_COMPARE_CHANGED);
		assert_int_equal(t->diffs[2].ncolumns, 2);
		assert_string_equal(t->diffs[2].columns[0].name, "v");
		assert_string_equal(t->diffs[2].columns[0].source, "'v190'");
		assert_string_equal(t->diffs[2].columns[0].target, "'changed'");
		assert_string_equal(t->diffs[2].columns[1].name, "n");
		assert_string_equal(t->diffs[2].columns[1].source, "2.5");
		assert_string_equal(t->diffs[2].columns[1].target, "-1");
		assert_string_equal(t->diffs[9].key, "id=5000");
		t = table_named(&result, "bag");
		assert_null(t->key);
		assert_int_equal(t->changed, 0);
		assert_int_equal(t->missing, 1);
		assert_int_equal(t->extra, 1);
		assert_int_equal(t->ndiffs, 2);
		/* (0, 'b1') is i = 50 (mod 350): 9 copies, the first one
		 * deleted; (1, 'b1') is i = 1 (mod 350): 9 copies, 3 added */
		assert_string_equal(t->diffs[0].row, "(0, 'b1')");
		assert_int_equal(t->diffs[0].kind, ARK_COMPARE_MISSING);
		assert_int_equal(t->diffs[0].source_copies, 9);
		assert_int_equal(t->diffs[0].target_copies, 8);
		assert_string_equal(t->diffs[1].row, "(1, 'b1')");
		assert_int_equal(t->diffs[1].kind, ARK_COMPARE_EXTRA);
		assert_int_equal(t->diffs[1].source_copies, 9);
		assert_int_equal(t->diffs[1].target_copies, 12);
		assert_int_equal(table_named(&result, "same")->status,
				 ARK_COMPARE_EQUAL);
		ark_compare_result_free(&result);
	}
	/* max_diffs caps what is shown, never what is counted */
	run_compare(a, b, 7, 3, 2, &result, ARK_ERR_MISMATCH);
	t = table_named(&result, "keyed");
	assert_int_equal(t->changed + t->missing + t->extra, 10);
	assert_int_equal(t->ndiffs, 3);
	ark_compare_result_free(&result);
	/* and the private copies are gone */
	assert_int_equal(unit_count_entries(dir), 4 + 2);
}

static void test_identical_and_one_sided(void **state)
{
	char a[4200], b[4200];
	struct ark_compare_result result;
	sqlite3 *db;

	(void)state;
	path_of(a, sizeof(a), "i1.db");
	path_of(b, sizeof(b), "i2.db");
	db = unit_open_db(a, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	unit_exec_sql(db, "CREATE TABLE \"T\" (x INTEGER, y);"
			  "INSERT INTO \"T\" VALUES (1, 'a'), (2, x'01');"
			  "CREATE TABLE gone (z);");
	sqlite3_close(db);
	db = unit_open_db(b, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	unit_exec_sql(db, "CREATE TABLE t (y, x INTEGER);"
			  "INSERT INTO t VALUES (x'01', 2), ('a', 1);");
	sqlite3_close(db);
	run_compare(a, b, 0, 10, 2, &result, ARK_ERR_MISMATCH);
	assert_int_equal(result.ntables, 2);
	assert_string_equal(result.tables[0].name, "gone");
	assert_int_equal(result.tables[0].status, ARK_COMPARE_ONLY_SOURCE);
	/* paired by the planned (lower-case) name, columns by name */
	assert_string_equal(result.tables[1].name, "t");
	assert_int_equal(result.tables[1].status, ARK_COMPARE_EQUAL);
	assert_int_equal(result.tables[1].source_digest.rows, 2);
	assert_int_equal(result.source_rows, 2);
	assert_int_equal(result.target_rows, 2);
	assert_true(result.compared);
	ark_compare_result_free(&result);
	run_compare(a, a, 0, 10, 2, &result, 0);
	assert_int_equal(result.equal, 2);
	ark_compare_result_free(&result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argument_kind),
		cmocka_unit_test(test_narrowing_counts_every_difference),
		cmocka_unit_test(test_identical_and_one_sided),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
