/*
 * test_pgarchive.c - many-member archives: spooled members written from
 * several threads at once (ark/archive.h) and the `pg` archive writer on
 * top of them (ark/pgarchive.h).  Each archive written is read back with
 * the reader and ark_verify_run --deep: every hash, every member's raw
 * content, every table's rows and digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include <signal.h>

#include "ark/archive.h"
#include "ark/fsio.h"
#include "ark/pgarchive.h"
#include "ark/pool.h"
#include "ark/verify.h"

#define CREATED 1763861880
#define TABLES 12

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX + 64];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	unit_make_temp_dir(fx->dir, sizeof(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/out.ark", fx->dir);
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

static struct ark_archive_writer_options writer_options(int named)
{
	struct ark_archive_writer_options options = {
		.tool = "test_pgarchive", .level = 3,
		.created_unix = CREATED, .named_spools = named,
	};

	return options;
}

static json_t *sqlite_source(void)
{
	return json_pack("{s:s, s:s}", "type", "sqlite", "path", "/x/app.db");
}

/* Row i of table t in COPY text; its length. */
static size_t make_row(char *out, size_t room, int t, long i)
{
	int len = snprintf(out, room, "%ld\tname-%d-%ld\t%s\n", i, t, i,
			   i % 5 ? "\\N" : "a\\tb\\\\c");

	assert_true(len > 0 && (size_t)len < room);
	return (size_t)len;
}

/* Rows of table t: some empty, one large enough for several zstd jobs. */
static long rows_of(int t)
{
	return t % 4 == 0 ? 0 : t == 5 ? 150000 : 37L * t;
}

struct table_job {
	struct ark_pgarchive *archive;
	int number;
	char name[32];
	int granted;
	struct ark_digest expected;
	struct ark_digest written;
};

static int write_table(struct ark_pool_job *job, void *arg,
		       struct ark_error *err)
{
	static const struct ark_pgarchive_column columns[] = {
		{ "id", "bigint" }, { "name", "text" }, { "note", "text" },
	};
	struct table_job *tj = arg;
	struct ark_pgarchive_table_info info = { "public", tj->name, columns,
						 3 };
	struct ark_pgarchive_table *table = NULL;
	char chunk[8192];
	size_t used = 0;
	int rc;

	tj->granted = ark_pool_job_zstd_threads(job);
	ark_digest_init(&tj->expected);
	rc = ark_pgarchive_table_begin(tj->archive, &info, tj->granted, &table,
				       err);
	for (long i = 1; !rc && i <= rows_of(tj->number); i++) {
		char row[128];
		size_t len = make_row(row, sizeof(row), tj->number, i);

		ark_digest_add_row(&tj->expected, row, len - 1);
		if (used + len > sizeof(chunk)) {
			/* cut mid-row too: chunks end anywhere */
			size_t half = used / 2;

			rc = ark_pgarchive_table_write(table, chunk, half, err);
			if (!rc)
				rc = ark_pgarchive_table_write(
					table, chunk + half, used - half, err);
			if (!rc)
				rc = ark_pool_job_check(job, err);
			used = 0;
		}
		memcpy(chunk + used, row, len);
		used += len;
	}
	if (!rc && used)
		rc = ark_pgarchive_table_write(table, chunk, used, err);
	if (!rc) {
		rc = ark_pgarchive_table_end(table, &tj->expected, &tj->written,
					     err);
		table = NULL;
	}
	ark_pgarchive_table_free(table);
	return rc;
}

/* TABLES tables from a pool of jobs workers into fx->path. */
static void write_pg_archive(struct fixture *fx, int jobs, int named,
			     struct table_job *tjs)
{
	struct ark_archive_writer_options options = writer_options(named);
	struct ark_pgarchive *archive = NULL;
	struct ark_pool *pool = NULL;
	struct ark_archive_summary summary;
	struct ark_error err = { 0 };
	static const char pre[] = "CREATE TABLE \"public\".\"t\" (id bigint);\n";

	assert_int_equal(ark_pgarchive_open(fx->path, &options,
					    sqlite_source(), &archive, &err),
			 0);
	assert_int_equal(ark_pool_new(jobs, &pool, &err), 0);
	assert_int_equal(ark_pgarchive_write_sql(archive,
						 ARK_PGARCHIVE_PRE_DATA, pre,
						 sizeof(pre) - 1, &err),
			 0);
	for (int t = 1; t <= TABLES; t++) {
		tjs[t].archive = archive;
		tjs[t].number = t;
		snprintf(tjs[t].name, sizeof(tjs[t].name), "t%d", t);
		assert_int_equal(ark_pool_submit(pool, write_table, &tjs[t],
						 &err),
				 0);
	}
	if (ark_pool_wait(pool, &err) != 0)
		fail_msg("%s", err.msg);
	ark_pool_free(pool);
	/* post-data never written: finish writes it empty */
	if (ark_pgarchive_finish(archive, &summary, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(summary.path, fx->path);
	assert_int_equal(summary.member_count, TABLES + 2);
	ark_pgarchive_free(archive);
}

/* The member holding table name, or -1. */
static long find_table(const struct ark_manifest *manifest, const char *name)
{
	json_t *members = json_object_get(manifest->root, "members");

	for (size_t i = 0; i < manifest->member_count; i++) {
		json_t *table = json_object_get(json_array_get(members, i),
						"table");

		if (table &&
		    strcmp(json_string_value(json_object_get(table, "name")),
			   name) == 0)
			return (long)i;
	}
	return -1;
}

static void check_archive(struct fixture *fx, struct table_job *tjs)
{
	struct ark_verify_options voptions = { .deep = 1 };
	struct ark_verify_result result;
	struct ark_archive_reader *reader = NULL;
	const struct ark_manifest *manifest;
	struct ark_error err = { 0 };
	long rows = 0;

	if (ark_verify_run(fx->path, &voptions, &result, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(result.tables_checked, TABLES);
	for (int t = 1; t <= TABLES; t++)
		rows += rows_of(t);
	assert_int_equal(result.rows_checked, rows);

	assert_int_equal(ark_archive_reader_open(fx->path, &reader, &err), 0);
	manifest = ark_archive_reader_manifest(reader);
	for (int t = 1; t <= TABLES; t++) {
		long index = find_table(manifest, tjs[t].name);
		const struct ark_member_info *member;
		struct unit_mem_sink mem = { 0 };
		struct ark_sink sink = { unit_mem_write, &mem };
		char text[ARK_DIGEST_TEXT_MAX];
		char want[ARK_DIGEST_TEXT_MAX];
		json_t *item;

		assert_true(index >= 0);
		member = &manifest->members[index];
		item = json_array_get(json_object_get(manifest->root,
						      "members"),
				      (size_t)index);
		assert_string_equal(member->role, "pg-table-data");
		assert_true(ark_digest_equal(&member->content_digest,
					     &tjs[t].expected));
		assert_true(ark_digest_equal(&tjs[t].written,
					     &tjs[t].expected));
		ark_digest_format(&tjs[t].expected, want);
		snprintf(text, sizeof(text), "%s",
			 json_string_value(json_object_get(item,
							   "content_digest")));
		assert_string_equal(text, want);
		assert_int_equal(json_integer_value(json_object_get(item,
								    "rows")),
				 rows_of(t));
		/* the raw content is exactly the rows, in order */
		assert_int_equal(ark_archive_extract_member(reader,
							    (size_t)index, sink,
							    NULL, &err),
				 0);
		for (long i = 1, at = 0; i <= rows_of(t); i++) {
			char row[128];
			size_t len = make_row(row, sizeof(row), t, i);

			assert_memory_equal(mem.buf + at, row, len);
			at += (long)len;
		}
		free(mem.buf);
	}
	ark_archive_reader_free(reader);
}

static void test_tables_in_parallel(void **state)
{
	struct fixture *fx = *state;
	struct table_job tjs[TABLES + 1];

	memset(tjs, 0, sizeof(tjs));
	write_pg_archive(fx, 3, 0, tjs);
	check_archive(fx, tjs);
	/* nothing else left in the directory: no spool, no temporary */
	assert_int_equal(unit_count_entries(fx->dir), 1);
}

/* Named spools (the fallback where O_TMPFILE fails): the same archive. */
static void test_named_spools(void **state)
{
	struct fixture *fx = *state;
	struct table_job tjs[TABLES + 1];

	memset(tjs, 0, sizeof(tjs));
	write_pg_archive(fx, 2, 1, tjs);
	check_archive(fx, tjs);
	assert_int_equal(unit_count_entries(fx->dir), 1);
}

/* One job on a budget of 4: it compresses with the 3 threads left. */
static void test_last_table_gets_zstd_threads(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer_options options = writer_options(0);
	struct ark_pgarchive *archive = NULL;
	struct ark_pool *pool = NULL;
	struct ark_error err = { 0 };
	struct table_job tj = { 0 };

	(void)state;
	assert_int_equal(ark_pgarchive_open(fx->path, &options,
					    sqlite_source(), &archive, &err),
			 0);
	assert_int_equal(ark_pool_new(4, &pool, &err), 0);
	tj.archive = archive;
	tj.number = 5;
	snprintf(tj.name, sizeof(tj.name), "big");
	assert_int_equal(ark_pool_submit(pool, write_table, &tj, &err), 0);
	assert_int_equal(ark_pool_wait(pool, &err), 0);
	assert_int_equal(tj.granted, 3);
	assert_int_equal(ark_pool_peak_threads(pool), 4);
	ark_pool_free(pool);
	assert_int_equal(ark_pgarchive_finish(archive, NULL, &err), 0);
	ark_pgarchive_free(archive);
}

/* Spools named: seeing them proves where they are and that they go. */
static void test_spool_lifetime(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer_options options = writer_options(1);
	static const struct ark_pgarchive_column column = { "a", "text" };
	struct ark_pgarchive_table_info info = { "s", "t", &column, 1 };
	struct ark_pgarchive *archive = NULL;
	struct ark_pgarchive_table *one = NULL;
	struct ark_pgarchive_table *two = NULL;
	struct ark_error err = { 0 };
	struct stat st;
	char spool[PATH_MAX + 512];
	DIR *dir;
	struct dirent *entry;
	int spools = 0;

	assert_int_equal(ark_pgarchive_open(fx->path, &options,
					    sqlite_source(), &archive, &err),
			 0);
	assert_int_equal(ark_pgarchive_table_begin(archive, &info, 0, &one,
						   &err),
			 0);
	info.name = "u";
	assert_int_equal(ark_pgarchive_table_begin(archive, &info, 0, &two,
						   &err),
			 0);
	assert_int_equal(ark_pgarchive_table_write(one, "x\n", 2, &err), 0);
	/* archive temporary + two spools, each 0600 */
	assert_int_equal(unit_count_entries(fx->dir), 3);
	dir = opendir(fx->dir);
	while ((entry = readdir(dir)) != NULL) {
		if (strncmp(entry->d_name, ".out.ark.spool.ark-tmp-", 23))
			continue;
		snprintf(spool, sizeof(spool), "%s/%s", fx->dir,
			 entry->d_name);
		assert_int_equal(stat(spool, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		spools++;
	}
	closedir(dir);
	assert_int_equal(spools, 2);
	assert_int_equal(ark_pgarchive_table_end(one, NULL, NULL, &err), 0);
	assert_int_equal(unit_count_entries(fx->dir), 2);
	ark_pgarchive_table_free(two); /* abandoned: its spool goes */
	assert_int_equal(unit_count_entries(fx->dir), 1);
	ark_pgarchive_free(archive); /* never finished: nothing left */
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

static struct ark_pgarchive *open_archive(struct fixture *fx)
{
	struct ark_archive_writer_options options = writer_options(0);
	struct ark_pgarchive *archive = NULL;
	struct ark_error err = { 0 };

	assert_int_equal(ark_pgarchive_open(fx->path, &options,
					    sqlite_source(), &archive, &err),
			 0);
	return archive;
}

static void test_partial_row_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_pgarchive *archive = open_archive(fx);
	static const struct ark_pgarchive_column column = { "a", "text" };
	struct ark_pgarchive_table_info info = { "s", "t", &column, 1 };
	struct ark_pgarchive_table *table = NULL;
	struct ark_error err = { 0 };

	assert_int_equal(ark_pgarchive_table_begin(archive, &info, 0, &table,
						   &err),
			 0);
	assert_int_equal(ark_pgarchive_table_write(table, "a\nb", 3, &err), 0);
	assert_int_equal(ark_pgarchive_table_end(table, NULL, NULL, &err),
			 ARK_ERR_INTERNAL);
	assert_string_equal(err.msg, "cannot archive table #1: its COPY text "
				     "does not end in a newline");
	ark_pgarchive_free(archive);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

static void test_caller_digest_must_match(void **state)
{
	struct fixture *fx = *state;
	struct ark_pgarchive *archive = open_archive(fx);
	static const struct ark_pgarchive_column column = { "a", "text" };
	struct ark_pgarchive_table_info info = { "s", "t", &column, 1 };
	struct ark_pgarchive_table *table = NULL;
	struct ark_error err = { 0 };
	struct ark_digest expected;
	char message[256];
	char have[ARK_DIGEST_TEXT_MAX];
	char want[ARK_DIGEST_TEXT_MAX];
	struct ark_digest actual;

	ark_digest_init(&expected);
	ark_digest_add_row(&expected, "a", 1);
	ark_digest_add_row(&expected, "c", 1); /* the caller saw c, wrote b */
	ark_digest_init(&actual);
	ark_digest_add_row(&actual, "a", 1);
	ark_digest_add_row(&actual, "b", 1);
	ark_digest_format(&actual, have);
	ark_digest_format(&expected, want);
	snprintf(message, sizeof(message),
		 "cannot archive table #1: what was written digests to %s, "
		 "not %s as its rows did", have, want);
	assert_int_equal(ark_pgarchive_table_begin(archive, &info, 0, &table,
						   &err),
			 0);
	assert_int_equal(ark_pgarchive_table_write(table, "a\nb\n", 4, &err),
			 0);
	assert_int_equal(ark_pgarchive_table_end(table, &expected, NULL, &err),
			 ARK_ERR_INTERNAL);
	assert_string_equal(err.msg, message);
	ark_pgarchive_free(archive);
}

static void expect_begin_refused(struct fixture *fx,
				 const struct ark_pgarchive_table_info *info,
				 const char *message)
{
	struct ark_pgarchive *archive = open_archive(fx);
	struct ark_pgarchive_table *table = NULL;
	struct ark_error err = { 0 };

	assert_int_equal(ark_pgarchive_table_begin(archive, info, 0, &table,
						   &err),
			 ARK_ERR_INTERNAL);
	assert_null(table);
	assert_string_equal(err.msg, message);
	ark_pgarchive_free(archive);
}

static void test_bad_table_info_refused(void **state)
{
	struct fixture *fx = *state;
	static const char long_name[] =
		"a23456789b23456789c23456789d23456789e23456789f23456789"
		"g234567890"; /* 64 bytes */
	struct ark_pgarchive_column columns[2] = { { "a", "text" },
						   { "b", "text" } };
	struct ark_pgarchive_table_info info = { "s", long_name, columns, 2 };
	static struct ark_pgarchive_column many[ARK_PG_COLUMNS_MAX + 1];

	expect_begin_refused(fx, &info,
			     "cannot archive table #1: \"name\" is 64 bytes "
			     "long, outside 1..63");
	info.name = "";
	expect_begin_refused(fx, &info,
			     "cannot archive table #1: \"name\" is 0 bytes "
			     "long, outside 1..63");
	info.name = "bad\xff";
	expect_begin_refused(fx, &info,
			     "cannot archive table #1: its schema or name is "
			     "not valid UTF-8");
	info.name = "t";
	columns[1].name = "a";
	expect_begin_refused(fx, &info,
			     "cannot archive table #1: two columns have the "
			     "same name");
	columns[1].name = "b";
	columns[1].type = "text\n; DROP TABLE x";
	expect_begin_refused(fx, &info,
			     "cannot archive table #1: column #2: \"type\" "
			     "holds a character outside non-control "
			     "characters");
	columns[1].type = "";
	expect_begin_refused(fx, &info,
			     "cannot archive table #1: column #2: \"type\" is "
			     "0 bytes long, outside 1..1024");
	for (size_t i = 0; i < ARK_PG_COLUMNS_MAX + 1; i++) {
		many[i].name = "c";
		many[i].type = "text";
	}
	info.columns = many;
	info.column_count = ARK_PG_COLUMNS_MAX + 1;
	expect_begin_refused(fx, &info,
			     "cannot archive table #1: it has more than 1600 "
			     "columns");
	/* hostile but legal PostgreSQL names are carried */
	columns[0].name = "quote\"d\nnew\tline\\";
	columns[1].name = "ünï 表";
	columns[1].type = "\"My Type\"[]";
	info.columns = columns;
	info.column_count = 2;
	info.schema = "SELECT";
	info.name = "a23456789b23456789c23456789d23456789e23456789f23456789"
		    "g23456789"; /* 63 bytes */
	{
		struct ark_pgarchive *archive = open_archive(fx);
		struct ark_pgarchive_table *table = NULL;
		struct ark_error err = { 0 };

		assert_int_equal(ark_pgarchive_table_begin(archive, &info, 0,
							   &table, &err),
				 0);
		assert_int_equal(ark_pgarchive_table_end(table, NULL, NULL,
							 &err),
				 0);
		assert_int_equal(ark_pgarchive_finish(archive, NULL, &err), 0);
		ark_pgarchive_free(archive);
	}
}

static void test_same_table_twice_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_pgarchive *archive = open_archive(fx);
	struct ark_pgarchive_table_info info = { "s", "t", NULL, 0 };
	struct ark_pgarchive_table *table = NULL;
	struct ark_error err = { 0 };

	for (int i = 0; i < 2; i++) {
		assert_int_equal(ark_pgarchive_table_begin(archive, &info, 0,
							   &table, &err),
				 0);
		assert_int_equal(ark_pgarchive_table_write(table, "\n\n", 2,
							   &err),
				 0);
		assert_int_equal(ark_pgarchive_table_end(table, NULL, NULL,
							 &err),
				 0);
	}
	assert_int_equal(ark_pgarchive_finish(archive, NULL, &err),
			 ARK_ERR_INTERNAL);
	assert_string_equal(err.msg, "the manifest to be written is invalid: "
				     "manifest: member #2 holds the same table "
				     "as member #1");
	ark_pgarchive_free(archive);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

static void test_finish_with_open_table_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_pgarchive *archive = open_archive(fx);
	struct ark_pgarchive_table_info info = { "s", "t", NULL, 0 };
	struct ark_pgarchive_table *table = NULL;
	struct ark_error err = { 0 };

	assert_int_equal(ark_pgarchive_table_begin(archive, &info, 0, &table,
						   &err),
			 0);
	assert_int_equal(ark_pgarchive_finish(archive, NULL, &err),
			 ARK_ERR_INTERNAL);
	assert_string_equal(err.msg, "finish with 1 table not ended");
	ark_pgarchive_table_free(table);
	ark_error_clear(&err);
	assert_int_equal(ark_pgarchive_finish(archive, NULL, &err), 0);
	ark_pgarchive_free(archive);
	assert_int_equal(unit_count_entries(fx->dir), 1);
}

static void test_sql_twice_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_pgarchive *archive = open_archive(fx);
	struct ark_error err = { 0 };

	assert_int_equal(ark_pgarchive_write_sql(archive,
						 ARK_PGARCHIVE_POST_DATA, "x",
						 1, &err),
			 0);
	assert_int_equal(ark_pgarchive_write_sql(archive,
						 ARK_PGARCHIVE_POST_DATA, "x",
						 1, &err),
			 ARK_ERR_INTERNAL);
	assert_string_equal(err.msg, "the post-data SQL is written twice");
	ark_pgarchive_free(archive);
}

/*
 * The one-member calls and spools in one archive: the direct member's
 * headers are patched, so the prefix hash is read back from there.
 */
static void test_direct_member_then_spools(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_writer_options options = writer_options(0);
	struct ark_archive_writer *writer = NULL;
	struct ark_archive_spool *spool = NULL;
	struct ark_verify_options voptions = { .deep = 1 };
	struct ark_verify_result result;
	struct ark_error err = { 0 };

	options.kind = "pg";
	assert_int_equal(ark_archive_writer_open(fx->path, &options, &writer,
						 &err),
			 0);
	ark_archive_writer_set_source(writer, sqlite_source());
	assert_int_equal(ark_archive_member_begin(writer,
						  ARK_PGARCHIVE_PRE_DATA_PATH,
						  ARK_PGARCHIVE_PRE_DATA_ROLE,
						  ARK_ZIO_UNKNOWN_SIZE, &err),
			 0);
	assert_int_equal(ark_archive_member_write(writer, "SELECT 1;\n", 10,
						  &err),
			 0);
	assert_int_equal(ark_archive_member_end(writer, &err), 0);
	assert_int_equal(ark_archive_spool_begin(writer,
						 ARK_PGARCHIVE_POST_DATA_PATH,
						 ARK_PGARCHIVE_POST_DATA_ROLE,
						 1, &spool, &err),
			 0);
	assert_int_equal(ark_archive_spool_write(spool, "SELECT 2;\n", 10,
						 &err),
			 0);
	assert_int_equal(ark_archive_spool_raw_size(spool), 10);
	assert_int_equal(ark_archive_spool_end(spool, NULL, &err), 0);
	assert_int_equal(ark_archive_writer_finish(writer, NULL, &err), 0);
	ark_archive_writer_free(writer);
	if (ark_verify_run(fx->path, &voptions, &result, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(result.member_count, 2);
	assert_int_equal(result.tables_checked, 0);
}

/* A stop signal: writes fail interrupted, the spools and the archive's
 * temporary go (named ones by the signal handler). */
static int child_interrupted(void *arg)
{
	struct fixture *fx = arg;
	struct ark_archive_writer_options options = writer_options(1);
	struct ark_pgarchive_table_info info = { "s", "t", NULL, 0 };
	struct ark_pgarchive *archive = NULL;
	struct ark_pgarchive_table *table = NULL;
	struct ark_error err = { 0 };
	int rc;

	ark_fsio_install_signal_handlers();
	if (ark_pgarchive_open(fx->path, &options, sqlite_source(), &archive,
			       &err) ||
	    ark_pgarchive_table_begin(archive, &info, 0, &table, &err) ||
	    ark_pgarchive_table_write(table, "\n", 1, &err))
		return 10;
	if (unit_count_entries(fx->dir) != 2)
		return 11;
	raise(SIGINT);
	/* the handler removed both named files at once */
	if (unit_count_entries(fx->dir) != 0)
		return 12;
	rc = ark_pgarchive_table_write(table, "\n", 1, &err);
	if (rc != ARK_ERR_INTERRUPTED)
		return 13;
	ark_pgarchive_table_free(table);
	ark_pgarchive_free(archive);
	return unit_count_entries(fx->dir) == 0 ? 0 : 14;
}

static void test_interrupted(void **state)
{
	assert_int_equal(unit_run_in_child(child_interrupted, *state), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_tables_in_parallel),
		T(test_named_spools),
		T(test_last_table_gets_zstd_threads),
		T(test_spool_lifetime),
		T(test_partial_row_refused),
		T(test_caller_digest_must_match),
		T(test_bad_table_info_refused),
		T(test_same_table_twice_refused),
		T(test_finish_with_open_table_refused),
		T(test_sql_twice_refused),
		T(test_direct_member_then_spools),
		T(test_interrupted),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
