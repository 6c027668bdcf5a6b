/*
 * test_sqlite_schema.c - ark_sqlite_schema_read on databases built here
 * (every feature the header lists, with exact values), on hostile names,
 * and on the Chinook sample database (tests/data/chinook.sqlite).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlite_helpers.h"
#include "unit_helpers.h"

#include <sqlite3.h>

#include "ark/sqlite_schema.h"

struct fixture {
	char dir[PATH_MAX];
	char db_path[PATH_MAX + 32];
	sqlite3 *db;
	struct ark_sqlite_schema *schema;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	unit_make_temp_dir(fx->dir, sizeof(fx->dir));
	snprintf(fx->db_path, sizeof(fx->db_path), "%s/s.db", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ark_sqlite_schema_free(fx->schema);
	if (fx->db)
		sqlite3_close(fx->db);
	unit_remove_tree(fx->dir);
	free(fx);
	return 0;
}

/* A new database at fx->db_path holding sql. */
static void build(struct fixture *fx, const char *sql)
{
	fx->db = unit_open_db(fx->db_path, SQLITE_OPEN_READWRITE |
						   SQLITE_OPEN_CREATE);
	unit_exec_sql(fx->db, sql);
}

/* Read the schema inside a read transaction; it must succeed. */
static const struct ark_sqlite_schema *read_schema(struct fixture *fx)
{
	struct ark_error err;

	ark_error_clear(&err);
	unit_exec_sql(fx->db, "BEGIN");
	if (ark_sqlite_schema_read(fx->db, &fx->schema, &err) != 0)
		fail_msg("schema_read: %s", err.msg);
	unit_exec_sql(fx->db, "COMMIT");
	assert_non_null(fx->schema);
	return fx->schema;
}

static const struct ark_sqlite_table *table(const struct ark_sqlite_schema *s,
					    const char *name)
{
	const struct ark_sqlite_table *t = ark_sqlite_schema_table(s, name);

	if (!t)
		fail_msg("no table \"%s\"", name);
	return t;
}

/* NULL-aware string equality. */
#define assert_str_or_null(actual, expected)                                 \
	do {                                                                  \
		const char *a_ = (actual), *e_ = (expected);                  \
		if (e_ == NULL)                                               \
			assert_null(a_);                                      \
		else                                                          \
			assert_string_equal(a_ ? a_ : "(null)", e_);          \
	} while (0)

static void check_column(const struct ark_sqlite_column *col,
			 const char *name, const char *type,
			 enum ark_sqlite_affinity affinity, int not_null,
			 const char *default_sql, int pk_position,
			 enum ark_sqlite_generated generated,
			 const char *generated_sql, const char *collation)
{
	assert_string_equal(col->name, name);
	assert_string_equal(col->declared_type, type);
	if (col->affinity != affinity)
		fail_msg("column %s: affinity %d, expected %d", name,
			 col->affinity, affinity);
	assert_int_equal(col->not_null, not_null);
	assert_str_or_null(col->default_sql, default_sql);
	assert_int_equal(col->pk_position, pk_position);
	assert_int_equal(col->generated, generated);
	assert_str_or_null(col->generated_sql, generated_sql);
	assert_str_or_null(col->collation, collation);
}

static void check_index_column(const struct ark_sqlite_index_column *ic,
			       const char *name, const char *expression_sql,
			       const char *collation, int descending)
{
	assert_str_or_null(ic->name, name);
	assert_str_or_null(ic->expression_sql, expression_sql);
	assert_string_equal(ic->collation, collation);
	assert_int_equal(ic->descending, descending);
}

static void check_index(const struct ark_sqlite_index *index,
			const char *name, int unique, char origin,
			int partial, const char *where_sql, size_t ncolumns)
{
	assert_string_equal(index->name, name);
	assert_int_equal(index->unique, unique);
	assert_int_equal(index->origin, origin);
	assert_int_equal(index->partial, partial);
	assert_str_or_null(index->where_sql, where_sql);
	assert_int_equal(index->ncolumns, ncolumns);
	if (name && strncmp(name, "sqlite_autoindex_", 17) == 0)
		assert_null(index->sql);
	else
		assert_non_null(index->sql);
}

static void check_check(const struct ark_sqlite_check *check,
			const char *name, const char *column,
			const char *expression_sql)
{
	assert_str_or_null(check->name, name);
	assert_str_or_null(check->column, column);
	assert_string_equal(check->expression_sql, expression_sql);
}

/* ---- every feature ---------------------------------------------------- */

static const char features_sql[] =
	"CREATE TABLE parent(id INTEGER PRIMARY KEY AUTOINCREMENT, "
	"code TEXT UNIQUE, a INT, b INT, UNIQUE(a, b));"
	"CREATE TABLE child(\n"
	"  id INTEGER PRIMARY KEY DESC,\n"
	"  parent_id INTEGER NOT NULL CONSTRAINT fk_parent REFERENCES "
	"parent(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,\n"
	"  pa INT, pb INT,\n"
	"  note TEXT COLLATE NOCASE DEFAULT 'it''s' "
	"CHECK (length(note) < 100),\n"
	"  created TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),\n"
	"  qty REAL DEFAULT -1.5 CONSTRAINT qty_pos CHECK (qty >= 0 OR "
	"qty = -1.5),\n"
	"  total AS (qty * 2) STORED,\n"
	"  label TEXT GENERATED ALWAYS AS (upper(note)) VIRTUAL,\n"
	"  CONSTRAINT pair FOREIGN KEY (pa, pb) REFERENCES parent(a, b) "
	"ON UPDATE SET NULL NOT DEFERRABLE,\n"
	"  CHECK (pa IS NULL OR pb IS NOT NULL) -- a ) and a 'quote\n"
	"  , /* a ( comment */ FOREIGN KEY (pa) REFERENCES parent "
	"DEFERRABLE INITIALLY IMMEDIATE\n"
	");"
	"CREATE INDEX child_expr ON child(lower(note) DESC, pa COLLATE "
	"NOCASE, (qty + 1)) WHERE pa > 0 AND note <> 'x,y';"
	"CREATE UNIQUE INDEX child_u ON child(parent_id, pa);"
	"CREATE TABLE kv(k TEXT, v BLOB, PRIMARY KEY(k, v)) WITHOUT ROWID;"
	"CREATE TABLE st(id INTEGER PRIMARY KEY, x ANY, y INT, z TEXT) "
	"STRICT;"
	"CREATE TABLE pk_tbl(id INTEGER, v, PRIMARY KEY(id AUTOINCREMENT));"
	"CREATE TABLE types(a INT, b \"VARCHAR\"(10), c CHARACTER "
	"VARYING(255), d DOUBLE PRECISION, e FLOATING POINT, "
	"f DECIMAL(10,5), g BOOLEAN, h, i BLOB, j DATETIME, "
	"k \"unknown type\", l INTEGER PRIMARY KEY, m ANY, "
	"n UNSIGNED BIG INT(8), o TEXT CONSTRAINT c1 UNIQUE CONSTRAINT c2 "
	"CHECK(o <> '') CHECK (o <> 'x'), p NUMERIC COLLATE RTRIM "
	"COLLATE BINARY, q CLOB, r REAL, s NVARCHAR(20));"
	"INSERT INTO parent(code) VALUES ('a'), ('b'), ('c');"
	"DELETE FROM parent WHERE id = 3;"
	"CREATE VIEW v_child AS SELECT * FROM child;"
	"CREATE TRIGGER trg AFTER INSERT ON child BEGIN SELECT 1; END;"
	"CREATE VIRTUAL TABLE docs USING fts5(body);";

static void test_tables_in_order(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	static const char *const names[] = {
		"parent", "child", "kv", "st", "pk_tbl", "types",
	};

	build(fx, features_sql);
	s = read_schema(fx);
	/* sqlite_sequence and the FTS5 tables are not tables to carry */
	assert_int_equal(s->ntables, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(s->tables[i].name, names[i]);
	assert_null(ark_sqlite_schema_table(s, "sqlite_sequence"));
	assert_null(ark_sqlite_schema_table(s, "docs"));
	assert_null(ark_sqlite_schema_table(s, "PARENT")); /* exact names */

	assert_int_equal(s->nviews, 1);
	assert_string_equal(s->views[0].name, "v_child");
	assert_null(s->views[0].table);
	assert_string_equal(s->views[0].sql,
			    "CREATE VIEW v_child AS SELECT * FROM child");
	assert_int_equal(s->ntriggers, 1);
	assert_string_equal(s->triggers[0].name, "trg");
	assert_string_equal(s->triggers[0].table, "child");
	assert_string_equal(s->triggers[0].sql,
			    "CREATE TRIGGER trg AFTER INSERT ON child BEGIN "
			    "SELECT 1; END");
	assert_int_equal(s->nvirtual, 1);
	assert_string_equal(s->virtual_tables[0].name, "docs");
	assert_string_equal(s->virtual_tables[0].sql,
			    "CREATE VIRTUAL TABLE docs USING fts5(body)");
	assert_int_equal(s->nshadow, 5);
	assert_string_equal(s->shadow_tables[0].name, "docs_data");
	assert_string_equal(s->shadow_tables[1].name, "docs_idx");
	assert_string_equal(s->shadow_tables[2].name, "docs_content");
	assert_string_equal(s->shadow_tables[3].name, "docs_docsize");
	assert_string_equal(s->shadow_tables[4].name, "docs_config");
}

static void test_table_flags(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;

	build(fx, features_sql);
	s = read_schema(fx);

	t = table(s, "parent");
	assert_int_equal(t->without_rowid, 0);
	assert_int_equal(t->strict, 0);
	assert_int_equal(t->autoincrement, 1);
	assert_int_equal(t->has_sequence, 1);
	assert_int_equal(t->sequence, 3); /* the deleted tail counts */
	assert_int_equal(t->rowid_alias, 0);
	assert_string_equal(t->sql,
			    "CREATE TABLE parent(id INTEGER PRIMARY KEY "
			    "AUTOINCREMENT, code TEXT UNIQUE, a INT, b INT, "
			    "UNIQUE(a, b))");

	/* INTEGER PRIMARY KEY DESC is not a rowid alias (a SQLite quirk) */
	t = table(s, "child");
	assert_int_equal(t->autoincrement, 0);
	assert_int_equal(t->has_sequence, 0);
	assert_int_equal(t->rowid_alias, -1);

	t = table(s, "kv");
	assert_int_equal(t->without_rowid, 1);
	assert_int_equal(t->rowid_alias, -1);

	t = table(s, "st");
	assert_int_equal(t->strict, 1);
	assert_int_equal(t->without_rowid, 0);
	assert_int_equal(t->rowid_alias, 0);

	/* AUTOINCREMENT inside a table-level PRIMARY KEY(...); no row yet */
	t = table(s, "pk_tbl");
	assert_int_equal(t->autoincrement, 1);
	assert_int_equal(t->has_sequence, 0);
	assert_int_equal(t->rowid_alias, 0);

	t = table(s, "types");
	assert_int_equal(t->rowid_alias, 11);
	assert_int_equal(t->autoincrement, 0);
}

static void test_columns(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;

	build(fx, features_sql);
	s = read_schema(fx);
	t = table(s, "child");
	assert_int_equal(t->ncolumns, 9);
	check_column(&t->columns[0], "id", "INTEGER", ARK_AFFINITY_INTEGER, 0,
		     NULL, 1, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[1], "parent_id", "INTEGER",
		     ARK_AFFINITY_INTEGER, 1, NULL, 0, ARK_GENERATED_NONE,
		     NULL, NULL);
	check_column(&t->columns[2], "pa", "INT", ARK_AFFINITY_INTEGER, 0,
		     NULL, 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[4], "note", "TEXT", ARK_AFFINITY_TEXT, 0,
		     "'it''s'", 0, ARK_GENERATED_NONE, NULL, "NOCASE");
	check_column(&t->columns[5], "created", "TEXT", ARK_AFFINITY_TEXT, 0,
		     "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", 0,
		     ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[6], "qty", "REAL", ARK_AFFINITY_REAL, 0,
		     "-1.5", 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[7], "total", "", ARK_AFFINITY_BLOB, 0, NULL,
		     0, ARK_GENERATED_STORED, "qty * 2", NULL);
	check_column(&t->columns[8], "label", "TEXT", ARK_AFFINITY_TEXT, 0,
		     NULL, 0, ARK_GENERATED_VIRTUAL, "upper(note)", NULL);

	t = table(s, "kv");
	check_column(&t->columns[0], "k", "TEXT", ARK_AFFINITY_TEXT, 1, NULL,
		     1, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[1], "v", "BLOB", ARK_AFFINITY_BLOB, 1, NULL,
		     2, ARK_GENERATED_NONE, NULL, NULL);
}

/* SQLite's affinity rules, quirks included (FLOATING POINT is INTEGER). */
static void test_affinity(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;
	static const struct {
		const char *name;
		const char *type;
		enum ark_sqlite_affinity affinity;
	} expected[] = {
		{ "a", "INT", ARK_AFFINITY_INTEGER },
		{ "b", "VARCHAR", ARK_AFFINITY_TEXT },
		{ "c", "CHARACTER VARYING(255)", ARK_AFFINITY_TEXT },
		{ "d", "DOUBLE PRECISION", ARK_AFFINITY_REAL },
		{ "e", "FLOATING POINT", ARK_AFFINITY_INTEGER },
		{ "f", "DECIMAL(10,5)", ARK_AFFINITY_NUMERIC },
		{ "g", "BOOLEAN", ARK_AFFINITY_NUMERIC },
		{ "h", "", ARK_AFFINITY_BLOB },
		{ "i", "BLOB", ARK_AFFINITY_BLOB },
		{ "j", "DATETIME", ARK_AFFINITY_NUMERIC },
		{ "k", "unknown type", ARK_AFFINITY_NUMERIC },
		{ "l", "INTEGER", ARK_AFFINITY_INTEGER },
		{ "m", "ANY", ARK_AFFINITY_NUMERIC }, /* not STRICT */
		{ "n", "UNSIGNED BIG INT(8)", ARK_AFFINITY_INTEGER },
		{ "o", "TEXT", ARK_AFFINITY_TEXT },
		{ "p", "NUMERIC", ARK_AFFINITY_NUMERIC },
		{ "q", "CLOB", ARK_AFFINITY_TEXT },
		{ "r", "REAL", ARK_AFFINITY_REAL },
		{ "s", "NVARCHAR(20)", ARK_AFFINITY_TEXT },
	};

	build(fx, features_sql);
	s = read_schema(fx);
	t = table(s, "types");
	assert_int_equal(t->ncolumns, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < t->ncolumns; i++) {
		assert_string_equal(t->columns[i].name, expected[i].name);
		assert_string_equal(t->columns[i].declared_type,
				    expected[i].type);
		if (t->columns[i].affinity != expected[i].affinity)
			fail_msg("%s %s: affinity %d, expected %d",
				 expected[i].name, expected[i].type,
				 t->columns[i].affinity, expected[i].affinity);
	}
	/* the last COLLATE wins, and BINARY is no collation */
	assert_null(t->columns[15].collation);

	/* in a STRICT table ANY has no affinity */
	t = table(s, "st");
	assert_string_equal(t->columns[1].declared_type, "ANY");
	assert_int_equal(t->columns[1].affinity, ARK_AFFINITY_BLOB);
}

static void test_indexes(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;

	build(fx, features_sql);
	s = read_schema(fx);

	t = table(s, "parent");
	assert_int_equal(t->nindexes, 2);
	check_index(&t->indexes[0], "sqlite_autoindex_parent_1", 1, 'u', 0,
		    NULL, 1);
	check_index_column(&t->indexes[0].columns[0], "code", NULL, "BINARY",
			   0);
	check_index(&t->indexes[1], "sqlite_autoindex_parent_2", 1, 'u', 0,
		    NULL, 2);
	check_index_column(&t->indexes[1].columns[0], "a", NULL, "BINARY", 0);
	check_index_column(&t->indexes[1].columns[1], "b", NULL, "BINARY", 0);

	t = table(s, "child");
	assert_int_equal(t->nindexes, 3);
	check_index(&t->indexes[0], "sqlite_autoindex_child_1", 1, 'p', 0,
		    NULL, 1);
	check_index_column(&t->indexes[0].columns[0], "id", NULL, "BINARY",
			   1);
	check_index(&t->indexes[1], "child_expr", 0, 'c', 1,
		    "pa > 0 AND note <> 'x,y'", 3);
	assert_string_equal(t->indexes[1].sql,
			    "CREATE INDEX child_expr ON child(lower(note) "
			    "DESC, pa COLLATE NOCASE, (qty + 1)) WHERE pa > 0 "
			    "AND note <> 'x,y'");
	check_index_column(&t->indexes[1].columns[0], NULL, "lower(note)",
			   "BINARY", 1);
	check_index_column(&t->indexes[1].columns[1], "pa", NULL, "NOCASE",
			   0);
	check_index_column(&t->indexes[1].columns[2], NULL, "(qty + 1)",
			   "BINARY", 0);
	check_index(&t->indexes[2], "child_u", 1, 'c', 0, NULL, 2);
	check_index_column(&t->indexes[2].columns[0], "parent_id", NULL,
			   "BINARY", 0);
	check_index_column(&t->indexes[2].columns[1], "pa", NULL, "BINARY", 0);

	t = table(s, "kv");
	assert_int_equal(t->nindexes, 1);
	check_index(&t->indexes[0], "sqlite_autoindex_kv_1", 1, 'p', 0, NULL,
		    2);

	/* a rowid alias has no index of its own */
	assert_int_equal(table(s, "st")->nindexes, 0);
}

static void test_foreign_keys(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;
	const struct ark_sqlite_foreign_key *fk;

	build(fx, features_sql);
	s = read_schema(fx);
	t = table(s, "child");
	assert_int_equal(t->nforeign_keys, 3);

	fk = &t->foreign_keys[0];
	assert_string_equal(fk->ref_table, "parent");
	assert_int_equal(fk->ncolumns, 1);
	assert_string_equal(fk->from[0], "parent_id");
	assert_string_equal(fk->to[0], "id");
	assert_string_equal(fk->on_update, "NO ACTION");
	assert_string_equal(fk->on_delete, "CASCADE");
	assert_int_equal(fk->deferrable, 1);

	fk = &t->foreign_keys[1];
	assert_int_equal(fk->ncolumns, 2);
	assert_string_equal(fk->from[0], "pa");
	assert_string_equal(fk->from[1], "pb");
	assert_string_equal(fk->to[0], "a");
	assert_string_equal(fk->to[1], "b");
	assert_string_equal(fk->on_update, "SET NULL");
	assert_string_equal(fk->on_delete, "NO ACTION");
	assert_int_equal(fk->deferrable, 0);

	/* REFERENCES parent: no columns named, the parent's key */
	fk = &t->foreign_keys[2];
	assert_int_equal(fk->ncolumns, 1);
	assert_string_equal(fk->from[0], "pa");
	assert_null(fk->to[0]);
	assert_int_equal(fk->deferrable, 0); /* INITIALLY IMMEDIATE */

	assert_int_equal(table(s, "parent")->nforeign_keys, 0);
}

static void test_checks(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;

	build(fx, features_sql);
	s = read_schema(fx);
	t = table(s, "child");
	assert_int_equal(t->nchecks, 3);
	check_check(&t->checks[0], NULL, "note", "length(note) < 100");
	check_check(&t->checks[1], "qty_pos", "qty",
		    "qty >= 0 OR qty = -1.5");
	check_check(&t->checks[2], NULL, NULL, "pa IS NULL OR pb IS NOT NULL");

	/* a name belongs to the constraint right after it */
	t = table(s, "types");
	assert_int_equal(t->nchecks, 2);
	check_check(&t->checks[0], "c2", "o", "o <> ''");
	check_check(&t->checks[1], NULL, "o", "o <> 'x'");

	assert_int_equal(table(s, "parent")->nchecks, 0);
}

/* Comments, quotes and parentheses where a naive reader would stumble. */
static void test_tokenizer_traps(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;

	build(fx,
	      "CREATE TABLE /* ( */ \"tr(ap\" -- ( comment\n"
	      "( \"a,b\" TEXT CHECK (\"a,b\" <> ')' /* ) */) "
	      "DEFAULT ('(,'),\n"
	      "  [c)d] INT CONSTRAINT \"ck \"\"q\"\"\" CHECK ([c)d] IN "
	      "(1, (2), 3)) COLLATE \"NoCase\",\n"
	      "  `e``f` AS (length(\"a,b\") + [c)d]) -- last)\n"
	      "  , 'g' VARCHAR ( 10 ) NOT NULL ON CONFLICT FAIL "
	      "UNIQUE ON CONFLICT IGNORE,\n"
	      "  h DEFAULT +7 CHECK(h>0) CHECK (h<9),"
	      "  PRIMARY KEY (\"a,b\" DESC) ON CONFLICT ROLLBACK "
	      "UNIQUE ([c)d]) CHECK (h <> 5)\n"
	      ")/* trailing */;"
	      "CREATE INDEX \"i(x)\" ON \"tr(ap\" ( substr(\"a,b\", 1, 2) "
	      "COLLATE NOCASE ASC , [c)d] DESC) WHERE \"a,b\" <> ')' ;");
	s = read_schema(fx);
	t = table(s, "tr(ap");
	assert_int_equal(t->ncolumns, 5);
	check_column(&t->columns[0], "a,b", "TEXT", ARK_AFFINITY_TEXT, 0,
		     "'(,'", 1, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[1], "c)d", "INT", ARK_AFFINITY_INTEGER, 0,
		     NULL, 0, ARK_GENERATED_NONE, NULL, "NoCase");
	check_column(&t->columns[2], "e`f", "", ARK_AFFINITY_BLOB, 0, NULL, 0,
		     ARK_GENERATED_VIRTUAL, "length(\"a,b\") + [c)d]", NULL);
	check_column(&t->columns[3], "g", "VARCHAR ( 10 )", ARK_AFFINITY_TEXT,
		     1, NULL, 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[4], "h", "", ARK_AFFINITY_BLOB, 0, "+7", 0,
		     ARK_GENERATED_NONE, NULL, NULL);
	assert_int_equal(t->nchecks, 5);
	/* from the first token to the last: a comment after it is left out */
	check_check(&t->checks[0], NULL, "a,b", "\"a,b\" <> ')'");
	check_check(&t->checks[1], "ck \"q\"", "c)d", "[c)d] IN (1, (2), 3)");
	check_check(&t->checks[2], NULL, "h", "h>0");
	check_check(&t->checks[3], NULL, "h", "h<9");
	check_check(&t->checks[4], NULL, NULL, "h <> 5");
	assert_int_equal(t->rowid_alias, -1);
	assert_int_equal(t->nindexes, 4);
	check_index(&t->indexes[0], "sqlite_autoindex_tr(ap_1", 1, 'u', 0,
		    NULL, 1);
	check_index(&t->indexes[1], "sqlite_autoindex_tr(ap_2", 1, 'p', 0,
		    NULL, 1);
	check_index_column(&t->indexes[1].columns[0], "a,b", NULL, "BINARY",
			   1);
	check_index(&t->indexes[2], "sqlite_autoindex_tr(ap_3", 1, 'u', 0,
		    NULL, 1);
	check_index(&t->indexes[3], "i(x)", 0, 'c', 1, "\"a,b\" <> ')'", 2);
	check_index_column(&t->indexes[3].columns[0], NULL,
			   "substr(\"a,b\", 1, 2) COLLATE NOCASE", "NOCASE",
			   0);
	/* an index takes the column's declared collation */
	check_index_column(&t->indexes[3].columns[1], "c)d", NULL, "NoCase",
			   1);
	check_index_column(&t->indexes[2].columns[0], "c)d", NULL, "NoCase",
			   0);
	check_index_column(&t->indexes[0].columns[0], "g", NULL, "BINARY", 0);
}

/* Keywords SQLite lets be names, every DEFAULT form, CREATE TABLE AS. */
static void test_defaults_and_keywords(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;

	build(fx, "CREATE TABLE IF NOT EXISTS main.\"if\"(key INT, "
		  "action TEXT, \"desc\" DEFAULT \"abc\", replace BLOB, "
		  "abort DEFAULT x'00ff', raise TEXT DEFAULT "
		  "CURRENT_TIMESTAMP, glob INTEGER DEFAULT "
		  "-9223372036854775808, ts TIMESTAMP WITH TIME ZONE NOT NULL "
		  "DEFAULT (datetime('now','localtime')), n DEFAULT NULL, "
		  "f REAL DEFAULT 1e-5, b BOOLEAN DEFAULT TRUE);"
		  "CREATE TABLE copy AS SELECT key, action AS \"a b\", 1.5 AS r "
		  "FROM \"if\";"
		  "CREATE TABLE wr(a TEXT PRIMARY KEY, b ANY) WITHOUT ROWID, "
		  "STRICT;");
	s = read_schema(fx);
	assert_int_equal(s->ntables, 3);
	t = table(s, "if");
	/* SQLite keeps the statement without IF NOT EXISTS and main. */
	assert_string_equal(t->sql,
			    "CREATE TABLE \"if\"(key INT, action TEXT, \"desc\" "
			    "DEFAULT \"abc\", replace BLOB, abort DEFAULT "
			    "x'00ff', raise TEXT DEFAULT CURRENT_TIMESTAMP, "
			    "glob INTEGER DEFAULT -9223372036854775808, ts "
			    "TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT "
			    "(datetime('now','localtime')), n DEFAULT NULL, "
			    "f REAL DEFAULT 1e-5, b BOOLEAN DEFAULT TRUE)");
	assert_int_equal(t->ncolumns, 11);
	check_column(&t->columns[0], "key", "INT", ARK_AFFINITY_INTEGER, 0,
		     NULL, 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[2], "desc", "", ARK_AFFINITY_BLOB, 0,
		     "\"abc\"", 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[3], "replace", "BLOB", ARK_AFFINITY_BLOB, 0,
		     NULL, 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[4], "abort", "", ARK_AFFINITY_BLOB, 0,
		     "x'00ff'", 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[5], "raise", "TEXT", ARK_AFFINITY_TEXT, 0,
		     "CURRENT_TIMESTAMP", 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[6], "glob", "INTEGER", ARK_AFFINITY_INTEGER,
		     0, "-9223372036854775808", 0, ARK_GENERATED_NONE, NULL,
		     NULL);
	check_column(&t->columns[7], "ts", "TIMESTAMP WITH TIME ZONE",
		     ARK_AFFINITY_NUMERIC, 1, "datetime('now','localtime')", 0,
		     ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[8], "n", "", ARK_AFFINITY_BLOB, 0, "NULL", 0,
		     ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[9], "f", "REAL", ARK_AFFINITY_REAL, 0, "1e-5",
		     0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[10], "b", "BOOLEAN", ARK_AFFINITY_NUMERIC, 0,
		     "TRUE", 0, ARK_GENERATED_NONE, NULL, NULL);
	assert_int_equal(t->rowid_alias, -1);

	/* CREATE TABLE AS: SQLite writes the statement itself */
	t = table(s, "copy");
	assert_string_equal(t->sql,
			    "CREATE TABLE copy(\"key\" INT,\"a b\" TEXT,r)");
	check_column(&t->columns[1], "a b", "TEXT", ARK_AFFINITY_TEXT, 0, NULL,
		     0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[2], "r", "", ARK_AFFINITY_BLOB, 0, NULL, 0,
		     ARK_GENERATED_NONE, NULL, NULL);

	/* both options; a WITHOUT ROWID key is NOT NULL */
	t = table(s, "wr");
	assert_int_equal(t->without_rowid, 1);
	assert_int_equal(t->strict, 1);
	check_column(&t->columns[0], "a", "TEXT", ARK_AFFINITY_TEXT, 1, NULL,
		     1, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[1], "b", "ANY", ARK_AFFINITY_BLOB, 0, NULL, 0,
		     ARK_GENERATED_NONE, NULL, NULL);
}

/* ---- random statements ------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/* A name of 1-12 pieces, quotes, brackets, comment starters included. */
static void random_name(char *out, size_t room)
{
	static const char *const pieces[] = {
		"a", "Z", "_", " ", "\"", "'", "`", "(", ")", ",", "--", "/*",
		"*/", "é", "名", "\n", ";", "x", "CHECK", "AS",
	};
	size_t used = 0;
	unsigned n = 1 + rnd(12);

	out[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, room - used, "%s",
					 pieces[rnd(sizeof(pieces) /
						    sizeof(pieces[0]))]);
	assert_true(used < room);
}

/* name quoted in one of SQLite's four ways that can hold it. */
static void quote_name(const char *name, char *out, size_t room)
{
	unsigned style = rnd(4);
	char open[] = "\"`'[";
	char close[] = "\"`']";
	size_t used = 0;

	if (style == 3 && strchr(name, ']'))
		style = 0;
	out[used++] = open[style];
	for (const char *p = name; *p; p++) {
		if (style != 3 && *p == close[style])
			out[used++] = *p;
		out[used++] = *p;
		assert_true(used + 2 < room);
	}
	out[used++] = close[style];
	out[used] = '\0';
}

struct expected_column {
	char name[128];
	char collation[16];
	char generated[128];
	int checks;
};

/*
 * Tables of random hostile names and constraints in random order, comments
 * and strings with parentheses in the expressions: whatever SQLite
 * accepts is read, and what the statement says comes out exactly.
 */
static void test_random_tables(void **state)
{
	struct fixture *fx = *state;
	static const char *const collations[] = { "NOCASE", "RTRIM",
						  "BINARY" };
	static const char *const defaults[] = {
		"DEFAULT 0", "DEFAULT -1.5", "DEFAULT 'a)b'",
		"DEFAULT (abs(-(2)))", "DEFAULT x'00'", "DEFAULT NULL",
		"DEFAULT CURRENT_TIMESTAMP",
	};
	static const char *const fk_tails[] = {
		"", " ON DELETE CASCADE", " ON UPDATE SET NULL",
		" DEFERRABLE INITIALLY DEFERRED", " NOT DEFERRABLE",
		" ON DELETE NO ACTION DEFERRABLE INITIALLY IMMEDIATE",
		" MATCH FULL DEFERRABLE INITIALLY DEFERRED",
	};
	char *sql = malloc(65536);
	int made = 0;

	assert_non_null(sql);
	build(fx, "CREATE TABLE parent(id INTEGER PRIMARY KEY)");
	unit_exec_sql(fx->db, "PRAGMA foreign_keys = OFF");
	for (int round = 0; round < 300; round++) {
		struct expected_column cols[6];
		char quoted[512], table_name[128];
		int ncols = 1 + (int)rnd(6);
		int table_checks = 0;
		char (*check_texts)[600] = calloc(64, 600);
		int nchecks = 0;
		int deferred[16];
		int nfks = 0;
		int pk_done = 0;
		size_t used;
		struct ark_error err;
		const struct ark_sqlite_table *t;
		int total_checks = 0;

		snprintf(table_name, sizeof(table_name), "t%d ", round);
		random_name(table_name + strlen(table_name),
			    sizeof(table_name) - 8);
		quote_name(table_name, quoted, sizeof(quoted));
		used = (size_t)snprintf(sql, 65536, "CREATE TABLE %s /* ( */ (",
					quoted);
		for (int c = 0; c < ncols; c++) {
			struct expected_column *ec = &cols[c];
			int nparts = (int)rnd(6);
			int generated = 0;

			memset(ec, 0, sizeof(*ec));
			snprintf(ec->name, sizeof(ec->name), "c%d", c);
			random_name(ec->name + strlen(ec->name),
				    sizeof(ec->name) - 4);
			quote_name(ec->name, quoted, sizeof(quoted));
			used += (size_t)snprintf(sql + used, 65536 - used,
						 "%s%s %s", c ? ",\n" : "",
						 quoted,
						 rnd(2) ? "TEXT" : "");
			for (int k = 0; k < nparts; k++) {
				switch (rnd(7)) {
				case 0:
					used += (size_t)snprintf(
						sql + used, 65536 - used,
						" NOT NULL%s",
						rnd(2) ? " ON CONFLICT ABORT"
						       : "");
					break;
				case 1: {
					const char *coll = collations[rnd(3)];

					used += (size_t)snprintf(
						sql + used, 65536 - used,
						" COLLATE %s", coll);
					snprintf(ec->collation,
						 sizeof(ec->collation), "%s",
						 strcmp(coll, "BINARY") ? coll
									: "");
					break;
				}
				case 2:
					used += (size_t)snprintf(
						sql + used, 65536 - used,
						"%s CHECK (length(%s) <> 99 "
						"/* ) */ OR 'x)' = '(')",
						rnd(2) ? " CONSTRAINT "
							 "\"n(\"\"\""
						       : "",
						quoted);
					snprintf(check_texts[nchecks++], 600,
						 "length(%s) <> 99 /* ) */ OR "
						 "'x)' = '('", quoted);
					ec->checks++;
					break;
				case 3:
					if (generated)
						break;
					used += (size_t)snprintf(
						sql + used, 65536 - used, " %s",
						defaults[rnd(7)]);
					generated = -1;
					break;
				case 4:
					if (generated || pk_done)
						break;
					generated = 1;
					used += (size_t)snprintf(
						sql + used, 65536 - used,
						"%s AS (length('%s'))%s",
						rnd(2) ? " GENERATED ALWAYS"
						       : "",
						"a,(b", rnd(2) ? " STORED"
							       : "");
					snprintf(ec->generated,
						 sizeof(ec->generated),
						 "length('a,(b')");
					break;
				case 5: {
					unsigned tail = rnd(7);

					if (nfks >= 16)
						break;
					used += (size_t)snprintf(
						sql + used, 65536 - used,
						" REFERENCES parent%s%s",
						rnd(2) ? "(id)" : "",
						fk_tails[tail]);
					deferred[nfks++] =
						tail == 3 || tail == 6;
					break;
				}
				case 6:
					if (pk_done || generated > 0)
						break;
					pk_done = 1;
					used += (size_t)snprintf(
						sql + used, 65536 - used,
						" PRIMARY KEY%s",
						rnd(2) ? " DESC" : "");
					break;
				}
			}
		}
		if (rnd(2)) {
			used += (size_t)snprintf(sql + used, 65536 - used,
						 ", CHECK ((1) -- )\n)");
			table_checks++;
		}
		if (rnd(2) && nfks < 16) {
			quote_name(cols[0].name, quoted, sizeof(quoted));
			used += (size_t)snprintf(sql + used, 65536 - used,
						 ", FOREIGN KEY(%s) REFERENCES "
						 "parent DEFERRABLE INITIALLY "
						 "DEFERRED",
						 quoted);
			deferred[nfks++] = 1;
		}
		snprintf(sql + used, 65536 - used, ")");
		if (table_checks)
			snprintf(check_texts[nchecks++], 600, "(1)");
		if (sqlite3_exec(fx->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			free(check_texts);
			continue; /* e.g. a generated column in the key */
		}
		made++;

		ark_sqlite_schema_free(fx->schema);
		fx->schema = NULL;
		ark_error_clear(&err);
		if (ark_sqlite_schema_read(fx->db, &fx->schema, &err) != 0)
			fail_msg("%s\n-> %s", sql, err.msg);
		t = table(fx->schema, table_name);
		assert_int_equal(t->ncolumns, ncols);
		for (int c = 0; c < ncols; c++) {
			assert_string_equal(t->columns[c].name, cols[c].name);
			assert_str_or_null(t->columns[c].collation,
					   cols[c].collation[0]
						   ? cols[c].collation
						   : NULL);
			assert_str_or_null(t->columns[c].generated_sql,
					   cols[c].generated[0]
						   ? cols[c].generated
						   : NULL);
			total_checks += cols[c].checks;
		}
		assert_int_equal(t->nchecks, total_checks + table_checks);
		assert_int_equal(t->nchecks, nchecks);
		for (size_t k = 0; k < t->nchecks; k++)
			assert_string_equal(t->checks[k].expression_sql,
					    check_texts[k]);
		free(check_texts);
		assert_int_equal(t->nforeign_keys, nfks);
		for (int k = 0; k < nfks; k++)
			assert_int_equal(t->foreign_keys[k].deferrable,
					 deferred[k]);
	}
	/* most statements are valid: the test did test something */
	if (made < 200)
		fail_msg("only %d of 300 statements were valid", made);
	free(sql);
}

/* ---- hostile names ---------------------------------------------------- */

static void test_hostile_names(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;
	char long_name[101];
	char sql[2048];
	const char *weird = "we\"ird 'na]me'\n\t`x` ;--";

	memset(long_name, 'L', 100);
	long_name[100] = '\0';
	build(fx, "");
	/* names bound, never pasted: create them the same careful way */
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE \"we\"\"ird 'na]me'\n\t`x` ;--\"("
		 "\"select\" INTEGER PRIMARY KEY, "
		 "\"名前 ünï\" TEXT COLLATE NOCASE, "
		 "\"%s\" INT CHECK (\"%s\" > 0), "
		 "[a\"b] REFERENCES \"sqlite\"(\"from\"));"
		 "CREATE TABLE \"sqlite\"(\"from\" INTEGER PRIMARY KEY);"
		 "CREATE TABLE \"sqlitex_\"(x);"
		 "CREATE INDEX \"idx \"\"q\"\"\" ON \"we\"\"ird 'na]me'\n\t`x` "
		 ";--\"(\"名前 ünï\", \"%s\");",
		 long_name, long_name, long_name);
	unit_exec_sql(fx->db, "PRAGMA foreign_keys = OFF");
	unit_exec_sql(fx->db, sql);
	s = read_schema(fx);
	assert_int_equal(s->ntables, 3);
	t = table(s, weird);
	assert_string_equal(s->tables[0].name, weird);
	assert_string_equal(s->tables[1].name, "sqlite");
	assert_string_equal(s->tables[2].name, "sqlitex_");
	assert_int_equal(t->ncolumns, 4);
	check_column(&t->columns[0], "select", "INTEGER",
		     ARK_AFFINITY_INTEGER, 0, NULL, 1, ARK_GENERATED_NONE,
		     NULL, NULL);
	check_column(&t->columns[1], "名前 ünï", "TEXT", ARK_AFFINITY_TEXT, 0,
		     NULL, 0, ARK_GENERATED_NONE, NULL, "NOCASE");
	check_column(&t->columns[2], long_name, "INT", ARK_AFFINITY_INTEGER,
		     0, NULL, 0, ARK_GENERATED_NONE, NULL, NULL);
	check_column(&t->columns[3], "a\"b", "", ARK_AFFINITY_BLOB, 0, NULL, 0,
		     ARK_GENERATED_NONE, NULL, NULL);
	assert_int_equal(t->rowid_alias, 0);
	assert_int_equal(t->nchecks, 1);
	assert_string_equal(t->checks[0].column, long_name);
	assert_int_equal(t->nforeign_keys, 1);
	assert_string_equal(t->foreign_keys[0].ref_table, "sqlite");
	assert_string_equal(t->foreign_keys[0].from[0], "a\"b");
	assert_string_equal(t->foreign_keys[0].to[0], "from");
	assert_int_equal(t->nindexes, 1);
	check_index(&t->indexes[0], "idx \"q\"", 0, 'c', 0, NULL, 2);
	check_index_column(&t->indexes[0].columns[0], "名前 ünï", NULL,
			   "NOCASE", 0);
	check_index_column(&t->indexes[0].columns[1], long_name, NULL,
			   "BINARY", 0);
}

/* ---- errors ----------------------------------------------------------- */

static void test_unreadable_schema(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_schema *s = (struct ark_sqlite_schema *)1;
	struct ark_error err;

	build(fx, "CREATE TABLE t(a);"
		  "PRAGMA writable_schema = ON;"
		  "UPDATE sqlite_schema SET sql = 'CREATE TABLE t(a' "
		  "WHERE name = 't';");
	sqlite3_close(fx->db);
	fx->db = unit_open_db(fx->db_path, SQLITE_OPEN_READONLY);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_schema_read(fx->db, &s, &err),
			 ARK_ERR_SOURCE);
	assert_null(s);
	assert_string_equal(err.msg,
			    "reading the schema (tables): malformed database "
			    "schema (t) - incomplete input");
}

/* ---- chinook ---------------------------------------------------------- */

/* tests/data/chinook.sqlite, from the working directory or the binary's. */
static void chinook_path(char *out, size_t room)
{
	char exe[PATH_MAX - 32];
	ssize_t len;

	snprintf(out, room, "tests/data/chinook.sqlite");
	if (access(out, R_OK) == 0)
		return;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(len > 0);
	exe[len] = '\0';
	/* BUILD/tests/test_x -> the tree three levels up */
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(exe, '/');

		assert_non_null(slash);
		*slash = '\0';
	}
	snprintf(out, room, "%s/tests/data/chinook.sqlite", exe);
	if (access(out, R_OK) != 0)
		fail_msg("tests/data/chinook.sqlite not found");
}

static void test_chinook(void **state)
{
	struct fixture *fx = *state;
	const struct ark_sqlite_schema *s;
	const struct ark_sqlite_table *t;
	char path[PATH_MAX];
	static const char *const tables[] = {
		"Album", "Artist", "Customer", "Employee", "Genre", "Invoice",
		"InvoiceLine", "MediaType", "Playlist", "PlaylistTrack",
		"Track",
	};
	static const size_t ncolumns[] = { 3, 2, 13, 15, 2, 9,
					   5, 2, 2, 2, 9 };
	static const size_t nindexes[] = { 1, 0, 1, 1, 0, 1, 2, 0, 0, 3, 3 };
	static const size_t nfks[] = { 1, 0, 1, 1, 0, 1, 2, 0, 0, 2, 3 };

	chinook_path(path, sizeof(path));
	fx->db = unit_open_immutable(path);
	s = read_schema(fx);
	assert_int_equal(s->ntables, 11);
	for (size_t i = 0; i < 11; i++) {
		t = &s->tables[i];
		assert_string_equal(t->name, tables[i]);
		assert_int_equal(t->ncolumns, ncolumns[i]);
		assert_int_equal(t->nindexes, nindexes[i]);
		assert_int_equal(t->nforeign_keys, nfks[i]);
		assert_int_equal(t->nchecks, 0);
		assert_int_equal(t->without_rowid, 0);
		assert_int_equal(t->strict, 0);
		assert_int_equal(t->autoincrement, 0);
		assert_int_equal(t->has_sequence, 0);
		/* every table but PlaylistTrack has an INTEGER key */
		assert_int_equal(t->rowid_alias, i == 9 ? -1 : 0);
	}
	assert_int_equal(s->nviews, 0);
	assert_int_equal(s->ntriggers, 0);
	assert_int_equal(s->nvirtual, 0);

	t = table(s, "Track");
	check_column(&t->columns[0], "TrackId", "INTEGER",
		     ARK_AFFINITY_INTEGER, 1, NULL, 1, ARK_GENERATED_NONE,
		     NULL, NULL);
	check_column(&t->columns[1], "Name", "NVARCHAR(200)",
		     ARK_AFFINITY_TEXT, 1, NULL, 0, ARK_GENERATED_NONE, NULL,
		     NULL);
	check_column(&t->columns[5], "Composer", "NVARCHAR(220)",
		     ARK_AFFINITY_TEXT, 0, NULL, 0, ARK_GENERATED_NONE, NULL,
		     NULL);
	check_column(&t->columns[8], "UnitPrice", "NUMERIC(10,2)",
		     ARK_AFFINITY_NUMERIC, 1, NULL, 0, ARK_GENERATED_NONE,
		     NULL, NULL);
	assert_string_equal(t->foreign_keys[0].ref_table, "Album");
	assert_string_equal(t->foreign_keys[0].from[0], "AlbumId");
	assert_string_equal(t->foreign_keys[0].to[0], "AlbumId");
	assert_string_equal(t->foreign_keys[1].ref_table, "Genre");
	assert_string_equal(t->foreign_keys[1].from[0], "GenreId");
	assert_string_equal(t->foreign_keys[2].ref_table, "MediaType");
	assert_string_equal(t->foreign_keys[2].from[0], "MediaTypeId");
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(t->foreign_keys[i].on_update, "NO ACTION");
		assert_string_equal(t->foreign_keys[i].on_delete, "NO ACTION");
		assert_int_equal(t->foreign_keys[i].deferrable, 0);
	}
	check_index(&t->indexes[0], "IFK_TrackAlbumId", 0, 'c', 0, NULL, 1);
	check_index_column(&t->indexes[0].columns[0], "AlbumId", NULL,
			   "BINARY", 0);
	check_index(&t->indexes[1], "IFK_TrackGenreId", 0, 'c', 0, NULL, 1);
	check_index(&t->indexes[2], "IFK_TrackMediaTypeId", 0, 'c', 0, NULL,
		    1);

	/* the composite key */
	t = table(s, "PlaylistTrack");
	check_column(&t->columns[0], "PlaylistId", "INTEGER",
		     ARK_AFFINITY_INTEGER, 1, NULL, 1, ARK_GENERATED_NONE,
		     NULL, NULL);
	check_column(&t->columns[1], "TrackId", "INTEGER",
		     ARK_AFFINITY_INTEGER, 1, NULL, 2, ARK_GENERATED_NONE,
		     NULL, NULL);
	check_index(&t->indexes[0], "sqlite_autoindex_PlaylistTrack_1", 1,
		    'p', 0, NULL, 2);
	check_index_column(&t->indexes[0].columns[0], "PlaylistId", NULL,
			   "BINARY", 0);
	check_index_column(&t->indexes[0].columns[1], "TrackId", NULL,
			   "BINARY", 0);
	check_index(&t->indexes[1], "IFK_PlaylistTrackPlaylistId", 0, 'c', 0,
		    NULL, 1);
	check_index(&t->indexes[2], "IFK_PlaylistTrackTrackId", 0, 'c', 0,
		    NULL, 1);
	assert_string_equal(t->foreign_keys[0].ref_table, "Playlist");
	assert_string_equal(t->foreign_keys[1].ref_table, "Track");

	t = table(s, "Employee");
	assert_string_equal(t->foreign_keys[0].ref_table, "Employee");
	assert_string_equal(t->foreign_keys[0].from[0], "ReportsTo");
	assert_string_equal(t->foreign_keys[0].to[0], "EmployeeId");
	check_column(&t->columns[5], "BirthDate", "DATETIME",
		     ARK_AFFINITY_NUMERIC, 0, NULL, 0, ARK_GENERATED_NONE,
		     NULL, NULL);
}

static void test_free_null(void **state)
{
	(void)state;
	ark_sqlite_schema_free(NULL);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_tables_in_order),
		T(test_table_flags),
		T(test_columns),
		T(test_affinity),
		T(test_indexes),
		T(test_foreign_keys),
		T(test_checks),
		T(test_tokenizer_traps),
		T(test_defaults_and_keywords),
		T(test_random_tables),
		T(test_hostile_names),
		T(test_unreadable_schema),
		T(test_chinook),
		cmocka_unit_test(test_free_null),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
