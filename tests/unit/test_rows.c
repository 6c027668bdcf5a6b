/*
 * test_rows.c - what lib/pg/rows.c shares with the check phase and the
 * comparison (ark/rows.h): how a source row and a value are named in
 * messages, and a row's line built a slice at a time for a large blob,
 * which must give exactly the bytes and the digest of the whole line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/buf.h"
#include "ark/digest.h"
#include "ark/rows.h"

static sqlite3 *open_db(const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	return stmt;
}

static void test_preview(void **state)
{
	sqlite3 *db = open_db("SELECT 1");
	sqlite3_stmt *stmt = prepare(db,
		"SELECT NULL, -9223372036854775808, 0.1, 'it''s', "
		"x'00ff', 'a' || char(0) || 'b' || char(10), "
		"zeroblob(17), printf('%.50c', 'x')");
	char out[256];

	(void)state;
	ark_rows_preview(stmt, 0, out, sizeof(out));
	assert_string_equal(out, "NULL");
	ark_rows_preview(stmt, 1, out, sizeof(out));
	assert_string_equal(out, "-9223372036854775808");
	ark_rows_preview(stmt, 2, out, sizeof(out));
	assert_string_equal(out, "0.10000000000000001");
	ark_rows_preview(stmt, 3, out, sizeof(out));
	assert_string_equal(out, "'it's'");
	ark_rows_preview(stmt, 4, out, sizeof(out));
	assert_string_equal(out, "x'00ff' (2 bytes)");
	ark_rows_preview(stmt, 5, out, sizeof(out));
	assert_string_equal(out, "'a\\0b\\n'");
	ark_rows_preview(stmt, 6, out, sizeof(out));
	assert_string_equal(out, "x'00000000000000000000000000000000'... (17 bytes)");
	ark_rows_preview(stmt, 7, out, sizeof(out));
	assert_string_equal(out, "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (50 bytes)");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

/* A table as the schema reader gives it, enough for ark_rows_label(). */
static void test_label(void **state)
{
	struct ark_sqlite_column columns[3] = {
		{ .name = (char *)"v" },
		{ .name = (char *)"b\"x", .pk_position = 2 },
		{ .name = (char *)"a", .pk_position = 1 },
	};
	struct ark_sqlite_table table = {
		.name = (char *)"t", .ncolumns = 3, .columns = columns,
	};
	sqlite3 *db = open_db("SELECT 1");
	sqlite3_stmt *stmt;
	char out[256];

	(void)state;
	stmt = prepare(db, "SELECT 17");
	ark_rows_label(&table, stmt, 1, out, sizeof(out));
	assert_string_equal(out, "rowid 17");
	sqlite3_finalize(stmt);
	stmt = prepare(db, "SELECT NULL");
	ark_rows_label(&table, stmt, 1, out, sizeof(out));
	assert_string_equal(out, "(no rowid)");
	sqlite3_finalize(stmt);
	/* WITHOUT ROWID: the key's columns in key order, with their names */
	table.without_rowid = 1;
	stmt = prepare(db, "SELECT 'x''y', 2");
	ark_rows_label(&table, stmt, 2, out, sizeof(out));
	assert_string_equal(out, "key (a='x'y', b\"x=2)");
	/* cut, never past the room */
	ark_rows_label(&table, stmt, 2, out, 10);
	assert_string_equal(out, "key (a='x");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
}

struct collected {
	struct ark_buf all;
	int calls;
};

static int collect(void *context, const char *data, size_t len,
		   struct ark_error *err)
{
	struct collected *c = context;

	(void)err;
	ark_buf_append(&c->all, data, len);
	c->calls++;
	return 0;
}

/*
 * A row "<n>\t<blob as bytea>\t<text>" with blobs of 0 bytes, one byte
 * under, at, one over a slice, and several slices: the pieces the sink
 * gets join to the whole line as ark_pgtext_append() writes it in one
 * go, and the digest is that line's.
 */
static void test_line_in_slices(void **state)
{
	static const size_t sizes[] = {
		0, ARK_ROWS_SLICE - 1, ARK_ROWS_SLICE, ARK_ROWS_SLICE + 1,
		3 * ARK_ROWS_SLICE + 12345,
	};
	struct ark_pgtype_spec bytea = { ARK_PGTYPE_BYTEA, -1, -1, -1 };
	struct ark_pgtype_spec text = { ARK_PGTYPE_TEXT, -1, -1, -1 };
	struct ark_pgtext_rules rules = { 0 };
	struct ark_buf whole = ARK_BUF_INIT, buf = ARK_BUF_INIT;
	struct ark_digest expect, got;
	struct ark_error err = { 0 };
	struct ark_rows_line line;
	struct ark_sqlvalue blob = { .storage = SQLITE_BLOB };
	struct ark_sqlvalue note = { .storage = SQLITE_TEXT,
				     .bytes = (const unsigned char *)"a\tb",
				     .len = 3 };
	const char *reason = NULL;
	int64_t offset;
	unsigned char *bytes;
	size_t i, k;
	int refused;

	(void)state;
	bytes = malloc(sizes[4]);
	assert_non_null(bytes);
	for (i = 0; i < sizes[4]; i++)
		bytes[i] = (unsigned char)(i * 2654435761u >> 13);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct collected c = { ARK_BUF_INIT, 0 };

		blob.bytes = bytes;
		blob.len = sizes[k];
		/* the whole line, at once */
		ark_buf_reset(&whole);
		ark_buf_append_str(&whole, "7\t");
		assert_int_equal(ark_pgtext_append(&whole, &blob, &bytea,
						   &rules, &reason), 0);
		ark_buf_append_char(&whole, '\t');
		assert_int_equal(ark_pgtext_append(&whole, &note, &text,
						   &rules, &reason), 0);
		ark_digest_init(&expect);
		ark_digest_add_row(&expect, whole.data, whole.len);
		/* a slice at a time, after a line already in buf */
		ark_buf_reset(&buf);
		ark_buf_append_str(&buf, "before\n");
		ark_rows_line_begin(&line, &buf, collect, &c);
		ark_buf_append_str(&buf, "7\t");
		assert_int_equal(ark_rows_line_value(&line, &blob, &bytea,
						     &rules, &refused, &reason,
						     &offset, &err), 0);
		assert_int_equal(refused, 0);
		ark_buf_append_char(&buf, '\t');
		assert_int_equal(ark_rows_line_value(&line, &note, &text,
						     &rules, &refused, &reason,
						     &offset, &err), 0);
		ark_digest_init(&got);
		assert_int_equal(ark_rows_line_end(&line, &got, &err), 0);
		assert_true(ark_digest_equal(&got, &expect));
		collect(&c, buf.data, buf.len, &err);
		assert_int_equal(c.all.len, 7 + whole.len);
		assert_memory_equal(c.all.data, "before\n", 7);
		assert_memory_equal(c.all.data + 7, whole.data, whole.len);
		/* cut only when over a slice; then buf never held it whole */
		assert_int_equal(c.calls - 1,
				 sizes[k] > ARK_ROWS_SLICE
					 ? (int)((sizes[k] + ARK_ROWS_SLICE - 1) /
						 ARK_ROWS_SLICE)
					 : 0);
		if (sizes[k] > ARK_ROWS_SLICE)
			assert_true(buf.len < 2 * ARK_ROWS_SLICE + 16);
		ark_buf_free(&c.all);
	}
	/* a refusal is told, not an error */
	note.bytes = (const unsigned char *)"a\0b";
	ark_buf_reset(&buf);
	ark_rows_line_begin(&line, &buf, NULL, NULL);
	assert_int_equal(ark_rows_line_value(&line, &note, &text, &rules,
					     &refused, &reason, &offset, &err),
			 0);
	assert_int_equal(refused, 1);
	assert_int_equal(offset, 1);
	ark_rows_line_abandon(&line);
	free(bytes);
	ark_buf_free(&whole);
	ark_buf_free(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preview),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_line_in_slices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
