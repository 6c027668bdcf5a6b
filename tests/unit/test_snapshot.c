/*
 * test_snapshot.c - ark_snapshot_run on real SQLite files made here with
 * the sqlite3 C API: rollback-journal and WAL (with frames no checkpoint
 * has copied, the writer still connected), restored with ark_restore_run
 * and compared row by row; the manifest's source object; output naming;
 * and each refusal with its exact code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlite_helpers.h"
#include "unit_helpers.h"

#include <errno.h>
#include <sqlite3.h>
#include <time.h>

#include "ark/archive.h"
#include "ark/fsio.h"
#include "ark/hash.h"
#include "ark/restore.h"
#include "ark/snapshot.h"

#define ITEMS 1500
#define TAGS 700

struct fixture {
	char dir[PATH_MAX];
	char db[PATH_MAX + 32];
	char out[PATH_MAX + 32];
	char restored[PATH_MAX + 32];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	unit_make_temp_dir(fx->dir, sizeof(fx->dir));
	snprintf(fx->db, sizeof(fx->db), "%s/app.sqlite", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s/out", fx->dir);
	snprintf(fx->restored, sizeof(fx->restored), "%s/restored.db",
		 fx->dir);
	if (mkdir(fx->out, 0700) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unit_remove_tree(fx->dir);
	free(fx);
	return 0;
}

/* ---- databases ------------------------------------------------------- */

/* Rows of every type, overflow pages, an index, a freed page or two. */
static void fill_db(sqlite3 *db)
{
	sqlite3_stmt *stmt = NULL;
	char text[3000];

	unit_exec_sql(db, "PRAGMA user_version = 7;"
			  "PRAGMA application_id = 1095912225;"
			  "CREATE TABLE items(id INTEGER PRIMARY KEY, "
			  "name TEXT,   score REAL, payload BLOB, note TEXT);"
			  "CREATE INDEX items_name ON items(name);"
			  "CREATE TABLE tags(item_id INTEGER, tag TEXT);"
			  "CREATE VIEW big AS SELECT * FROM items "
			  "WHERE score > 1;");
	unit_exec_sql(db, "BEGIN");
	assert_int_equal(sqlite3_prepare_v2(db,
					    "INSERT INTO items VALUES "
					    "(?, ?, ?, ?, ?)",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	for (int i = 1; i <= ITEMS; i++) {
		uint8_t blob[300];
		size_t blob_len = (size_t)(i % 300);
		size_t text_len = (size_t)((i * 37) % 2900);

		for (size_t j = 0; j < blob_len; j++)
			blob[j] = (uint8_t)(i * 13 + (int)j);
		for (size_t j = 0; j < text_len; j++)
			text[j] = (char)('a' + (i + (int)j) % 26);
		text[text_len] = '\0';
		sqlite3_bind_int(stmt, 1, i);
		if (i % 10 == 0)
			sqlite3_bind_null(stmt, 2);
		else
			sqlite3_bind_text(stmt, 2, text, (int)(text_len % 40),
					  SQLITE_TRANSIENT);
		sqlite3_bind_double(stmt, 3, i * 0.125 - 3.0);
		sqlite3_bind_blob(stmt, 4, blob, (int)blob_len,
				  SQLITE_TRANSIENT);
		if (i % 7 == 0)
			sqlite3_bind_int64(stmt, 5, (sqlite3_int64)i << 40);
		else
			sqlite3_bind_text(stmt, 5, text, (int)text_len,
					  SQLITE_TRANSIENT);
		assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
		sqlite3_reset(stmt);
	}
	sqlite3_finalize(stmt);
	for (int i = 0; i < TAGS; i++) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO tags VALUES (%d, 'tag-%d')", i % 97, i);
		unit_exec_sql(db, sql);
	}
	unit_exec_sql(db, "COMMIT");
	/* freelist pages: a table created, filled and dropped */
	unit_exec_sql(db, "CREATE TABLE scratch(x); "
			  "INSERT INTO scratch SELECT randomblob(2000) "
			  "FROM items LIMIT 40; DROP TABLE scratch;");
}

static void create_rollback_db(const char *path)
{
	sqlite3 *db = unit_open_db(path, SQLITE_OPEN_READWRITE |
						 SQLITE_OPEN_CREATE);

	unit_exec_sql(db, "PRAGMA journal_mode = DELETE");
	fill_db(db);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/*
 * A WAL database whose content is (mostly) in the -wal file: no
 * automatic checkpoint, and the connection stays open.
 */
static sqlite3 *create_wal_db(const char *path)
{
	sqlite3 *db = unit_open_db(path, SQLITE_OPEN_READWRITE |
						 SQLITE_OPEN_CREATE);
	char wal[PATH_MAX + 40];
	struct stat st;

	unit_exec_sql(db, "PRAGMA journal_mode = WAL");
	unit_exec_sql(db, "PRAGMA wal_autocheckpoint = 0");
	fill_db(db);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size > 100000);
	/* the main file lags far behind the committed content */
	assert_int_equal(stat(path, &st), 0);
	assert_true((int64_t)st.st_size <
		    unit_query_int(db, "PRAGMA page_count") *
			    unit_query_int(db, "PRAGMA page_size"));
	return db;
}

/* Row-by-row equality of table in a and b, every value and its type. */
static void compare_table(sqlite3 *a, sqlite3 *b, const char *table,
			  int expected_rows)
{
	char sql[128];
	sqlite3_stmt *sa = NULL, *sb = NULL;
	int rows = 0;

	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY rowid", table);
	assert_int_equal(sqlite3_prepare_v2(a, sql, -1, &sa, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(b, sql, -1, &sb, NULL), SQLITE_OK);
	for (;;) {
		int ra = sqlite3_step(sa);
		int rb = sqlite3_step(sb);
		int columns;

		assert_int_equal(ra, rb);
		if (ra == SQLITE_DONE)
			break;
		assert_int_equal(ra, SQLITE_ROW);
		columns = sqlite3_column_count(sa);
		assert_int_equal(columns, sqlite3_column_count(sb));
		for (int c = 0; c < columns; c++) {
			int type = sqlite3_column_type(sa, c);
			int len;

			assert_int_equal(type, sqlite3_column_type(sb, c));
			switch (type) {
			case SQLITE_INTEGER:
				assert_int_equal(sqlite3_column_int64(sa, c),
						 sqlite3_column_int64(sb, c));
				break;
			case SQLITE_FLOAT: {
				double x = sqlite3_column_double(sa, c);
				double y = sqlite3_column_double(sb, c);

				assert_memory_equal(&x, &y, sizeof(x));
				break;
			}
			case SQLITE_NULL:
				break;
			default:
				len = sqlite3_column_bytes(sa, c);
				assert_int_equal(len,
						 sqlite3_column_bytes(sb, c));
				if (len > 0)
					assert_memory_equal(
						sqlite3_column_blob(sa, c),
						sqlite3_column_blob(sb, c),
						(size_t)len);
			}
		}
		rows++;
	}
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
	assert_int_equal(rows, expected_rows);
}

static void restore_to(const char *archive, const char *target)
{
	struct ark_restore_options options = { .archive = archive,
					       .target = target };
	struct ark_restore_result result;
	struct ark_error err;

	ark_error_clear(&err);
	if (ark_restore_run(&options, &result, &err) != 0)
		fail_msg("restore: %s", err.msg);
	assert_string_equal(result.integrity, "ok");
	assert_string_equal(result.kept, "");
}

static void check_restored(sqlite3 *source, const char *restored)
{
	sqlite3 *copy = unit_open_immutable(restored);

	compare_table(source, copy, "items", ITEMS);
	compare_table(source, copy, "tags", TAGS);
	assert_int_equal(unit_query_int(copy, "PRAGMA user_version"), 7);
	assert_int_equal(unit_query_int(copy, "PRAGMA application_id"),
			 1095912225);
	assert_int_equal(unit_query_int(copy, "SELECT count(*) FROM big"),
			 unit_query_int(source, "SELECT count(*) FROM big"));
	assert_int_equal(unit_query_int(copy, "PRAGMA page_count"),
			 unit_query_int(source, "PRAGMA page_count"));
	assert_int_equal(sqlite3_close(copy), SQLITE_OK);
}

/* schema_xxh128 as docs/archive-format.md defines it. */
static void schema_hex(sqlite3 *db, char *out)
{
	struct ark_hasher *hasher = ark_hasher_new();
	sqlite3_stmt *stmt = NULL;

	assert_non_null(hasher);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT type, name, tbl_name, sql "
					    "FROM sqlite_schema ORDER BY type, "
					    "name",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		for (int i = 0; i < 4; i++) {
			const unsigned char *text =
				sqlite3_column_text(stmt, i);

			if (text)
				ark_hasher_update(hasher, text,
						  strlen((const char *)text));
			ark_hasher_update(hasher, "", 1);
		}
	}
	sqlite3_finalize(stmt);
	ark_hash_to_hex(ark_hasher_digest(hasher), out);
	ark_hasher_free(hasher);
}

static void init_options(struct ark_snapshot_options *options,
			 const struct fixture *fx)
{
	unit_snapshot_options(options, fx->db, fx->out);
}

/* ark_snapshot_run with err cleared first. */
static int run_snapshot(const struct ark_snapshot_options *options,
			struct ark_snapshot_result *result,
			struct ark_error *err)
{
	ark_error_clear(err);
	return ark_snapshot_run(options, result, err);
}

static const char *source_string(const struct ark_snapshot_result *result,
				 const char *key)
{
	json_t *value = json_object_get(result->manifest_source, key);

	assert_true(json_is_string(value));
	return json_string_value(value);
}

static json_int_t source_int(const struct ark_snapshot_result *result,
			     const char *key)
{
	json_t *value = json_object_get(result->manifest_source, key);

	assert_true(json_is_integer(value));
	return json_integer_value(value);
}

/* ---- tests ----------------------------------------------------------- */

static void test_options_init(void **state)
{
	struct ark_snapshot_options options;

	(void)state;
	memset(&options, 0x5a, sizeof(options));
	ark_snapshot_options_init(&options);
	assert_null(options.db_path);
	assert_null(options.output);
	assert_int_equal(options.level, 3);
	assert_int_equal(options.threads, ark_zio_cpu_count());
	assert_int_equal(options.check, 0);
	assert_int_equal(options.busy_timeout_ms, 10000);
	assert_int_equal(options.progress, 0);
}

static void test_rollback_snapshot_and_restore(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	struct stat st;
	char resolved[PATH_MAX];
	char host[256] = "";
	char schema[ARK_HASH_HEX_LEN + 1];
	sqlite3 *source;
	int64_t page_count, page_size;
	size_t before_len;
	char *before = malloc(8 << 20), *after = malloc(8 << 20);
	long got;

	assert_non_null(before);
	assert_non_null(after);
	create_rollback_db(fx->db);
	assert_int_equal(stat(fx->db, &st), 0);
	got = unit_read_file(fx->db, before, 8 << 20);
	assert_true(got > 0);
	before_len = (size_t)got;

	init_options(&options, fx);
	if (run_snapshot(&options, &result, &err) != 0)
		fail_msg("snapshot: %s", err.msg);
	assert_int_equal(err.code, ARK_OK);

	/* the source was only read */
	assert_int_equal(unit_read_file(fx->db, after, 8 << 20), got);
	assert_memory_equal(before, after, before_len);
	assert_int_equal(unit_count_entries(fx->dir), 2); /* app.sqlite, out */

	source = unit_open_db(fx->db, SQLITE_OPEN_READONLY);
	page_count = unit_query_int(source, "PRAGMA page_count");
	page_size = unit_query_int(source, "PRAGMA page_size");
	assert_int_equal(result.page_size, page_size);
	assert_int_equal(result.page_count, page_count);
	assert_int_equal(result.db_size, page_size * page_count);
	assert_int_equal(result.db_size, st.st_size);
	assert_string_equal(result.journal_mode, "delete");
	assert_int_equal(result.checked, 0);
	assert_string_equal(result.integrity, "");
	assert_int_equal(result.archive.member_count, 1);
	assert_int_equal(result.archive.raw_bytes, result.db_size);
	assert_true(result.seconds >= 0.0);

	/* the source object, key by key */
	assert_non_null(realpath(fx->db, resolved));
	assert_string_equal(source_string(&result, "path"), resolved);
	assert_int_equal(source_int(&result, "size"), st.st_size);
	assert_int_equal(source_int(&result, "page_size"), page_size);
	assert_int_equal(source_int(&result, "page_count"), page_count);
	assert_int_equal(source_int(&result, "freelist_count"),
			 unit_query_int(source, "PRAGMA freelist_count"));
	assert_true(source_int(&result, "freelist_count") > 0);
	assert_string_equal(source_string(&result, "journal_mode"), "delete");
	assert_int_equal(source_int(&result, "user_version"), 7);
	assert_int_equal(source_int(&result, "application_id"), 1095912225);
	schema_hex(source, schema);
	assert_string_equal(source_string(&result, "schema_xxh128"), schema);
	assert_string_equal(source_string(&result, "sqlite_version"),
			    sqlite3_libversion());
	gethostname(host, sizeof(host) - 1);
	assert_string_equal(source_string(&result, "host"), host);
	assert_null(json_object_get(result.manifest_source, "tables"));
	assert_null(json_object_get(result.manifest_source,
				    "integrity_check"));

	restore_to(result.archive.path, fx->restored);
	check_restored(source, fx->restored);
	assert_int_equal(sqlite3_close(source), SQLITE_OK);
	ark_snapshot_result_free(&result);
	assert_null(result.manifest_source);
	ark_snapshot_result_free(NULL);
	free(before);
	free(after);
}

static void test_wal_snapshot_with_open_writer(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	sqlite3 *writer = create_wal_db(fx->db);
	json_t *tables;

	init_options(&options, fx);
	options.check = 1;
	if (run_snapshot(&options, &result, &err) != 0)
		fail_msg("snapshot: %s", err.msg);
	assert_string_equal(result.journal_mode, "wal");
	assert_string_equal(source_string(&result, "journal_mode"), "wal");
	assert_int_equal(result.page_count,
			 unit_query_int(writer, "PRAGMA page_count"));
	assert_int_equal(result.checked, 1);
	assert_string_equal(result.integrity, "ok");
	assert_string_equal(source_string(&result, "integrity_check"), "ok");
	tables = json_object_get(result.manifest_source, "tables");
	assert_true(json_is_array(tables));
	assert_int_equal(json_array_size(tables), 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(tables, 0), "name")),
			    "items");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(tables, 0), "rows")),
			 ITEMS);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(tables, 1), "name")),
			    "tags");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(tables, 1), "rows")),
			 TAGS);

	/* the writer is still connected; its WAL holds the content */
	restore_to(result.archive.path, fx->restored);
	check_restored(writer, fx->restored);
	assert_int_equal(sqlite3_close(writer), SQLITE_OK);
	ark_snapshot_result_free(&result);
}

static void test_wal_commit_after_snapshot_not_included(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	sqlite3 *writer = create_wal_db(fx->db);
	sqlite3 *copy;

	init_options(&options, fx);
	assert_int_equal(run_snapshot(&options, &result, &err), 0);
	unit_exec_sql(writer, "INSERT INTO tags VALUES (1, 'after')");
	restore_to(result.archive.path, fx->restored);
	copy = unit_open_immutable(fx->restored);
	assert_int_equal(unit_query_int(copy, "SELECT count(*) FROM tags"),
			 TAGS);
	assert_int_equal(unit_query_int(copy, "SELECT count(*) FROM tags "
					      "WHERE tag = 'after'"),
			 0);
	sqlite3_close(copy);
	sqlite3_close(writer);
	ark_snapshot_result_free(&result);
}

static void test_check_rollback_row_counts(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	struct ark_archive_reader *reader = NULL;
	json_t *recorded;

	create_rollback_db(fx->db);
	{
		/* a name that must be quoted to be counted */
		sqlite3 *db = unit_open_db(fx->db, SQLITE_OPEN_READWRITE);

		unit_exec_sql(db, "CREATE TABLE \"we\"\"ird name\"(x);"
				  "INSERT INTO \"we\"\"ird name\" "
				  "VALUES (1), (2), (3);");
		sqlite3_close(db);
	}
	init_options(&options, fx);
	options.check = 1;
	assert_int_equal(run_snapshot(&options, &result, &err), 0);
	assert_string_equal(result.integrity, "ok");
	{
		json_t *tables = json_object_get(result.manifest_source,
						 "tables");

		/* ordered by name: items, tags, we"ird name */
		assert_int_equal(json_array_size(tables), 3);
		assert_string_equal(json_string_value(json_object_get(
					    json_array_get(tables, 2), "name")),
				    "we\"ird name");
		assert_int_equal(json_integer_value(json_object_get(
					 json_array_get(tables, 2), "rows")),
				 3);
	}

	/* the archive's manifest records the same source object */
	assert_int_equal(ark_archive_reader_open(result.archive.path, &reader,
						 &err),
			 0);
	recorded = json_object_get(ark_archive_reader_manifest(reader)->root,
				   "source");
	assert_true(json_equal(recorded, result.manifest_source));
	assert_int_equal(ark_archive_reader_manifest(reader)->member_count, 1);
	assert_string_equal(
		ark_archive_reader_manifest(reader)->members[0].path,
		"database.sqlite.zst");
	assert_string_equal(
		ark_archive_reader_manifest(reader)->members[0].role,
		"sqlite-image");
	assert_int_equal(ark_archive_verify_data(reader, NULL, &err), 0);
	ark_archive_reader_free(reader);
	ark_snapshot_result_free(&result);
}

static void test_default_name(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	char low[17], high[17];
	char prefix[PATH_MAX + 64];
	const char *stamp;
	time_t before, after;

	create_rollback_db(fx->db);
	init_options(&options, fx);
	before = time(NULL);
	assert_int_equal(run_snapshot(&options, &result, &err), 0);
	after = time(NULL);

	/* <output>/<stem>-<YYYYMMDDTHHMMSS.mmmZ>.ark */
	snprintf(prefix, sizeof(prefix), "%s/app-", fx->out);
	assert_int_equal(strncmp(result.archive.path, prefix, strlen(prefix)),
			 0);
	stamp = result.archive.path + strlen(prefix);
	assert_int_equal(strlen(stamp), 20 + 4);
	assert_string_equal(stamp + 20, ".ark");
	for (int i = 0; i < 20; i++) {
		if (i == 8)
			assert_int_equal(stamp[i], 'T');
		else if (i == 15)
			assert_int_equal(stamp[i], '.');
		else if (i == 19)
			assert_int_equal(stamp[i], 'Z');
		else
			assert_true(stamp[i] >= '0' && stamp[i] <= '9');
	}
	ark_fsio_utc_stamp(low, (int64_t)before);
	ark_fsio_utc_stamp(high, (int64_t)after);
	assert_true(strncmp(stamp, low, 15) >= 0);
	assert_true(strncmp(stamp, high, 15) <= 0);
	assert_int_equal(unit_count_entries(fx->out), 1);
	assert_int_equal(access(result.archive.path, R_OK), 0);
	ark_snapshot_result_free(&result);
}

static void test_default_name_current_directory(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	char cwd[PATH_MAX];
	int rc;

	create_rollback_db(fx->db);
	init_options(&options, fx);
	options.output = NULL;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(fx->out), 0);
	rc = run_snapshot(&options, &result, &err);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(strncmp(result.archive.path, "./app-", 6), 0);
	assert_int_equal(unit_count_entries(fx->out), 1);
	ark_snapshot_result_free(&result);
}

/* A database at DIR/name is archived under the name prefix-<stamp>.ark. */
static void check_stem(const struct fixture *fx, const char *name,
		       const char *prefix)
{
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	char path[PATH_MAX + 64];
	const char *base;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	create_rollback_db(path);
	init_options(&options, fx);
	options.db_path = path;
	assert_int_equal(run_snapshot(&options, &result, &err), 0);
	base = strrchr(result.archive.path, '/') + 1;
	assert_int_equal(strncmp(base, prefix, strlen(prefix)), 0);
	ark_snapshot_result_free(&result);
}

static void test_stem_of_names(void **state)
{
	struct fixture *fx = *state;

	/* no extension: the whole name; a dot file keeps its name */
	check_stem(fx, "plain", "plain-");
	check_stem(fx, ".hidden", ".hidden-");
	check_stem(fx, "a.b.db", "a.b-");
}

static void test_named_output_file(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	char path[PATH_MAX + 64];

	create_rollback_db(fx->db);
	init_options(&options, fx);
	snprintf(path, sizeof(path), "%s/chosen.ark", fx->out);
	options.output = path;
	assert_int_equal(run_snapshot(&options, &result, &err), 0);
	assert_string_equal(result.archive.path, path);
	assert_int_equal(unit_count_entries(fx->out), 1);
	ark_snapshot_result_free(&result);
}

static void test_output_in_missing_directory(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	char path[PATH_MAX + 64];

	create_rollback_db(fx->db);
	init_options(&options, fx);
	snprintf(path, sizeof(path), "%s/missing/x.ark", fx->out);
	options.output = path;
	assert_int_equal(run_snapshot(&options, &result, &err),
			 ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "missing");
	assert_int_equal(unit_count_entries(fx->out), 0);
}

static void test_existing_output_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	char path[PATH_MAX + 64];
	char content[64];

	create_rollback_db(fx->db);
	snprintf(path, sizeof(path), "%s/exists.ark", fx->out);
	unit_write_file(path, "keep me\n");
	init_options(&options, fx);
	options.output = path;
	assert_int_equal(run_snapshot(&options, &result, &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, path);
	assert_error(err, ARK_ERR_REFUSED, "already exists");
	assert_int_equal(unit_read_file(path, content, sizeof(content)), 8);
	assert_string_equal(content, "keep me\n");
	assert_int_equal(unit_count_entries(fx->out), 1);
	assert_null(result.manifest_source);
	ark_snapshot_result_free(&result);
}

static void test_not_a_database(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;

	unit_write_file(fx->db, "this is plain text, not a database\n");
	init_options(&options, fx);
	assert_int_equal(run_snapshot(&options, &result, &err),
			 ARK_ERR_SOURCE);
	assert_error(err, ARK_ERR_SOURCE, fx->db);
	assert_error(err, ARK_ERR_SOURCE, "is not a SQLite 3 database");
	assert_int_equal(unit_count_entries(fx->out), 0);

	/* shorter than the 16-byte magic */
	unit_write_file(fx->db, "SQLite");
	assert_int_equal(run_snapshot(&options, &result, &err),
			 ARK_ERR_SOURCE);
	assert_error(err, ARK_ERR_SOURCE, "is not a SQLite 3 database");
	assert_int_equal(unit_count_entries(fx->out), 0);
}

static void test_missing_and_directory_source(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;

	init_options(&options, fx);
	assert_int_equal(run_snapshot(&options, &result, &err),
			 ARK_ERR_READ);
	assert_error(err, ARK_ERR_READ, "cannot open database");
	assert_error(err, ARK_ERR_READ, fx->db);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_int_equal(unit_count_entries(fx->out), 0);

	options.db_path = fx->out;
	assert_int_equal(run_snapshot(&options, &result, &err),
			 ARK_ERR_READ);
	assert_error(err, ARK_ERR_READ, "is not a regular file");
	assert_int_equal(unit_count_entries(fx->out), 0);
}

/* A 0-byte file is an empty database to SQLite: an empty image. */
static void test_empty_file(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	struct ark_archive_reader *reader = NULL;
	struct stat st;

	unit_write_file(fx->db, "");
	init_options(&options, fx);
	options.check = 1;
	if (run_snapshot(&options, &result, &err) != 0)
		fail_msg("snapshot of an empty file: %s", err.msg);
	assert_int_equal(result.page_count, 0);
	assert_int_equal(result.db_size, 0);
	assert_string_equal(result.integrity, "ok");
	assert_int_equal(json_array_size(json_object_get(
				 result.manifest_source, "tables")),
			 0);
	assert_int_equal(ark_archive_reader_open(result.archive.path, &reader,
						 &err),
			 0);
	assert_int_equal(ark_archive_reader_manifest(reader)->members[0]
				 .raw_size,
			 0);
	assert_int_equal(ark_archive_verify_data(reader, NULL, &err), 0);
	ark_archive_reader_free(reader);

	/* and it restores to an empty database */
	restore_to(result.archive.path, fx->restored);
	assert_int_equal(stat(fx->restored, &st), 0);
	assert_int_equal(st.st_size, 0);
	ark_snapshot_result_free(&result);
}

static void test_locked_source(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	sqlite3 *holder;
	struct timespec start, end;
	double waited;

	create_rollback_db(fx->db);
	/* an exclusive lock in rollback mode keeps readers out */
	holder = unit_open_db(fx->db, SQLITE_OPEN_READWRITE);
	unit_exec_sql(holder, "BEGIN EXCLUSIVE; "
			      "INSERT INTO tags VALUES (0, 'x')");
	init_options(&options, fx);
	options.busy_timeout_ms = 200;
	ark_error_clear(&err);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(ark_snapshot_run(&options, &result, &err),
			 ARK_ERR_SOURCE);
	clock_gettime(CLOCK_MONOTONIC, &end);
	unit_exec_sql(holder, "ROLLBACK");
	sqlite3_close(holder);
	assert_error(err, ARK_ERR_SOURCE, "database is locked");
	assert_error(err, ARK_ERR_SOURCE, "--busy-timeout");
	waited = (double)(end.tv_sec - start.tv_sec) +
		 (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	assert_true(waited >= 0.19);
	assert_int_equal(unit_count_entries(fx->out), 0);
}

static void test_integrity_failure_still_written(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	sqlite3 *db;

	create_rollback_db(fx->db);
	/* an index whose definition no longer matches its content */
	db = unit_open_db(fx->db, SQLITE_OPEN_READWRITE);
	unit_exec_sql(db, "PRAGMA writable_schema = ON;"
			  "UPDATE sqlite_schema SET sql = "
			  "'CREATE INDEX items_name ON items(note)' "
			  "WHERE name = 'items_name';");
	sqlite3_close(db);
	init_options(&options, fx);
	options.check = 1;
	assert_int_equal(run_snapshot(&options, &result, &err),
			 ARK_ERR_INTEGRITY);
	assert_error(err, ARK_ERR_INTEGRITY, "fails integrity_check");
	assert_error(err, ARK_ERR_INTEGRITY, "the snapshot was written to");
	assert_error(err, ARK_ERR_INTEGRITY, result.archive.path);
	assert_string_not_equal(result.integrity, "ok");
	assert_true(result.integrity[0] != '\0');
	assert_string_equal(source_string(&result, "integrity_check"),
			    result.integrity);
	assert_int_equal(access(result.archive.path, R_OK), 0);
	assert_int_equal(unit_count_entries(fx->out), 1);
	ark_snapshot_result_free(&result);
}

/* The archive writer's next_name hook: a name taken at commit time. */
static int bump_name(void *ctx, char *path, size_t room)
{
	int *calls = ctx;

	(*calls)++;
	/* the taken name is passed in */
	assert_non_null(strstr(path, "/taken"));
	snprintf(strstr(path, "/taken"), room - (size_t)(strstr(path,
		 "/taken") - path), "/taken-%d.ark", *calls);
	return 0;
}

/* The source of an empty sqlite image: what a valid manifest needs. */
static void set_empty_sqlite_source(struct ark_archive_writer *writer)
{
	ark_archive_writer_set_source(writer,
				      json_pack("{s:s, s:i, s:i}", "path",
						"/src/x", "page_size", 4096,
						"page_count", 0));
}

static void test_writer_next_name_on_taken_name(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer_options wopts = {
		.kind = "sqlite", .tool = "test", .level = 1, .threads = 0,
		.created_unix = 1700000000,
	};
	struct ark_archive_writer *writer = NULL;
	struct ark_archive_summary summary;
	struct ark_error err;
	char taken[PATH_MAX + 64];
	char other[PATH_MAX + 64];
	char content[64];
	int calls = 0;

	snprintf(taken, sizeof(taken), "%s/taken", fx->out);
	snprintf(other, sizeof(other), "%s/taken-1.ark", fx->out);
	wopts.next_name = bump_name;
	wopts.next_name_ctx = &calls;
	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_open(taken, &wopts, &writer, &err),
			 0);
	/* The writer checks its own manifest as a reader would. */
	set_empty_sqlite_source(writer);
	assert_int_equal(ark_archive_member_begin(writer, "a.zst", "data", 3,
						  &err), 0);
	assert_int_equal(ark_archive_member_write(writer, "abc", 3, &err), 0);
	assert_int_equal(ark_archive_member_end(writer, &err), 0);
	/* another process takes the name before the rename */
	unit_write_file(taken, "someone else\n");
	assert_int_equal(ark_archive_writer_finish(writer, &summary, &err), 0);
	assert_int_equal(calls, 1);
	assert_string_equal(summary.path, other);
	assert_int_equal(unit_read_file(taken, content, sizeof(content)), 13);
	assert_string_equal(content, "someone else\n");
	assert_int_equal(access(other, R_OK), 0);
	assert_int_equal(unit_count_entries(fx->out), 2);
	ark_archive_writer_free(writer);

	/* without the hook a taken name is refused, nothing left behind */
	wopts.next_name = NULL;
	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_open(taken, &wopts, &writer, &err),
			 0);
	set_empty_sqlite_source(writer);
	assert_int_equal(ark_archive_writer_finish(writer, &summary, &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, "already exists");
	ark_archive_writer_free(writer);
	assert_int_equal(unit_count_entries(fx->out), 2);
}

/* Two snapshots in the same millisecond range: distinct, sorted names. */
static void test_default_names_unique_and_sorted(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	char names[4][PATH_MAX + 64];

	create_rollback_db(fx->db);
	init_options(&options, fx);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(run_snapshot(&options, &result, &err), 0);
		snprintf(names[i], sizeof(names[i]), "%s",
			 result.archive.path);
		ark_snapshot_result_free(&result);
		if (i > 0)
			assert_true(strcmp(names[i - 1], names[i]) < 0);
	}
	assert_int_equal(unit_count_entries(fx->out), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		cmocka_unit_test(test_options_init),
		T(test_rollback_snapshot_and_restore),
		T(test_wal_snapshot_with_open_writer),
		T(test_wal_commit_after_snapshot_not_included),
		T(test_check_rollback_row_counts),
		T(test_default_name),
		T(test_default_name_current_directory),
		T(test_stem_of_names),
		T(test_named_output_file),
		T(test_output_in_missing_directory),
		T(test_existing_output_refused),
		T(test_not_a_database),
		T(test_missing_and_directory_source),
		T(test_empty_file),
		T(test_locked_source),
		T(test_integrity_failure_still_written),
		T(test_writer_next_name_on_taken_name),
		T(test_default_names_unique_and_sorted),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
