/*
 * test_sqlite_source.c - ark_sqlite_source_* on real SQLite files: one
 * consistent view while a writer (another process) commits, the private
 * copy and parallel readers on it, the refusals with their exact
 * messages, and the user's files byte-identical afterwards with no
 * -wal/-shm/-journal left behind (hashes and directory listings compared).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlite_helpers.h"
#include "unit_helpers.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include "ark/fsio.h"
#include "ark/hash.h"
#include "ark/sqlite_source.h"

#define ROWS 2000
#define BATCH 500

struct fixture {
	char dir[PATH_MAX];     /* the database's directory */
	char tmp[PATH_MAX];     /* where copies go */
	char db[PATH_MAX + 32];
	pid_t writer;           /* a writer process, or 0 */
	int to_writer;          /* its command pipe */
	int from_writer;        /* its answers */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char base[PATH_MAX - 64];

	if (!fx)
		return -1;
	unit_make_temp_dir(base, sizeof(base));
	/* a directory name that is no URI: '?', '#' and '%' in it */
	snprintf(fx->dir, sizeof(fx->dir), "%s/d?x=1#%%41", base);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/t", base);
	snprintf(fx->db, sizeof(fx->db), "%s/app.db", fx->dir);
	if (mkdir(fx->dir, 0700) != 0 || mkdir(fx->tmp, 0700) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char base[PATH_MAX];

	if (fx->writer > 0) {
		kill(fx->writer, SIGKILL);
		waitpid(fx->writer, NULL, 0);
	}
	snprintf(base, sizeof(base), "%s", fx->tmp);
	*strrchr(base, '/') = '\0';
	unit_remove_tree(base);
	free(fx);
	return 0;
}

/* ---- databases, files and listings ------------------------------------ */

static void insert_rows(sqlite3 *db, int first, int count)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 "
		 "FROM n WHERE i < %d) INSERT INTO items SELECT i, "
		 "'name-' || i, randomblob(200 + i %% 300) FROM n",
		 first, first + count - 1);
	unit_exec_sql(db, sql);
}

/* A database of ROWS rows in journal mode (closed: nothing beside it). */
static void create_db(const char *path, const char *journal_mode)
{
	sqlite3 *db = unit_open_db(path, SQLITE_OPEN_READWRITE |
						 SQLITE_OPEN_CREATE);
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode = %s", journal_mode);
	unit_exec_sql(db, sql);
	unit_exec_sql(db, "CREATE TABLE items(id INTEGER PRIMARY KEY, "
			  "name TEXT, payload BLOB);"
			  "CREATE TABLE \"we\"\"ird\"(x);"
			  "INSERT INTO \"we\"\"ird\" VALUES (1), (2), (3);");
	insert_rows(db, 1, ROWS);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The names in dir, sorted, one a line, into out. */
static void listing(const char *dir, char *out, size_t room)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t used = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0)
			used += (size_t)snprintf(out + used, room - used,
						 "%s\n", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	assert_true(used < room);
}

static struct ark_hash128 file_hash(const char *path)
{
	size_t len = 0;
	void *bytes = unit_read_all(path, &len);
	struct ark_hash128 hash = ark_hash_buffer(bytes, len);

	free(bytes);
	return hash;
}

static void assert_same_hash(struct ark_hash128 a, struct ark_hash128 b)
{
	assert_true(a.low == b.low && a.high == b.high);
}

/* What every row of items holds, in order, as one hash. */
static struct ark_hash128 content_hash(sqlite3 *db, int64_t *rows)
{
	struct ark_hasher *hasher = ark_hasher_new();
	sqlite3_stmt *stmt = NULL;
	struct ark_hash128 hash;

	*rows = 0;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, name, payload "
					    "FROM items ORDER BY id",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(stmt, 0);

		ark_hasher_update(hasher, &id, sizeof(id));
		ark_hasher_update(hasher, sqlite3_column_text(stmt, 1),
				  (size_t)sqlite3_column_bytes(stmt, 1));
		ark_hasher_update(hasher, sqlite3_column_blob(stmt, 2),
				  (size_t)sqlite3_column_bytes(stmt, 2));
		(*rows)++;
	}
	assert_int_equal(sqlite3_finalize(stmt), SQLITE_OK);
	hash = ark_hasher_digest(hasher);
	ark_hasher_free(hasher);
	return hash;
}

/* ---- a writer in another process --------------------------------------- */

/*
 * The child: open the WAL database with no automatic checkpoint (so the
 * main file stays as it is), then per command byte: 'i' commit BATCH more
 * rows, 'q' close and exit.  Answers 'k' after each.
 */
static void writer_main(const char *path, int in, int out)
{
	sqlite3 *db = NULL;
	char cmd;
	int next = ROWS + 1;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA wal_autocheckpoint = 0; "
			 "PRAGMA busy_timeout = 5000", NULL, NULL,
			 NULL) != SQLITE_OK)
		_exit(3);
	if (write(out, "k", 1) != 1)
		_exit(3);
	while (read(in, &cmd, 1) == 1) {
		if (cmd == 'i') {
			char sql[256];

			snprintf(sql, sizeof(sql),
				 "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL "
				 "SELECT i + 1 FROM n WHERE i < %d) INSERT "
				 "INTO items SELECT i, 'late-' || i, "
				 "randomblob(100) FROM n",
				 next, next + BATCH - 1);
			if (sqlite3_exec(db, sql, NULL, NULL, NULL) !=
			    SQLITE_OK)
				_exit(4);
			next += BATCH;
		} else if (cmd == 'q') {
			sqlite3_close(db);
			(void)!write(out, "k", 1);
			_exit(0);
		}
		if (write(out, "k", 1) != 1)
			_exit(3);
	}
	_exit(0);
}

static void writer_start(struct fixture *fx)
{
	int down[2], up[2];
	char answer;

	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	fflush(stdout);
	fflush(stderr);
	fx->writer = fork();
	assert_true(fx->writer >= 0);
	if (fx->writer == 0) {
		close(down[1]);
		close(up[0]);
		writer_main(fx->db, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	fx->to_writer = down[1];
	fx->from_writer = up[0];
	assert_int_equal(read(fx->from_writer, &answer, 1), 1);
}

static void writer_send(struct fixture *fx, char cmd)
{
	char answer = 0;

	assert_int_equal(write(fx->to_writer, &cmd, 1), 1);
	assert_int_equal(read(fx->from_writer, &answer, 1), 1);
	assert_int_equal(answer, 'k');
}

static void writer_stop(struct fixture *fx)
{
	int status = 0;

	writer_send(fx, 'q');
	assert_int_equal(waitpid(fx->writer, &status, 0), fx->writer);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fx->writer = 0;
	close(fx->to_writer);
	close(fx->from_writer);
}

static int64_t count_items(sqlite3 *db)
{
	return unit_query_int(db, "SELECT count(*) FROM items");
}

static struct ark_sqlite_source *open_source(const char *path,
					     unsigned flags)
{
	struct ark_sqlite_source_options options = {
		.busy_timeout_ms = 2000, .flags = flags,
	};
	struct ark_sqlite_source *src = NULL;
	struct ark_error err;

	ark_error_clear(&err);
	if (ark_sqlite_source_open_with(path, &options, &src, &err) != 0)
		fail_msg("open: %s", err.msg);
	return src;
}

/* ---- the view and the files ------------------------------------------- */

static void test_rollback_untouched(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src = NULL;
	const struct ark_sqlite_source_info *info;
	struct ark_error err;
	char before[1024], during[1024], after[1024];
	struct ark_hash128 hash = { 0, 0 };
	json_t *identity;
	int64_t rows = 0;

	create_db(fx->db, "DELETE");
	listing(fx->dir, before, sizeof(before));
	assert_string_equal(before, "app.db\n");
	hash = file_hash(fx->db);

	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_open(fx->db, 1000, &src, &err), 0);
	info = ark_sqlite_source_info(src);
	assert_string_equal(info->journal_mode, "delete");
	assert_int_equal(info->immutable, 0);
	assert_int_equal(info->page_size, 4096);
	assert_int_equal(info->file_size, info->page_size * info->page_count);
	assert_int_equal(ark_sqlite_source_changed(src), 0);
	assert_string_equal(ark_sqlite_source_path(src), fx->db);
	assert_int_equal(count_items(ark_sqlite_source_db(src)), ROWS);
	/* the read transaction is open */
	assert_int_equal(sqlite3_get_autocommit(ark_sqlite_source_db(src)), 0);
	assert_int_equal(ark_sqlite_source_count_rows(src, "we\"ird", &rows,
						      &err),
			 0);
	assert_int_equal(rows, 3);
	identity = ark_sqlite_source_identity(src);
	assert_non_null(identity);
	assert_string_equal(json_string_value(json_object_get(identity,
							      "journal_mode")),
			    "delete");
	assert_int_equal(json_integer_value(json_object_get(identity,
							    "page_count")),
			 info->page_count);
	assert_int_equal(json_integer_value(json_object_get(identity, "size")),
			 info->file_size);
	assert_int_equal(strlen(json_string_value(json_object_get(
				 identity, "schema_xxh128"))),
			 32);
	assert_string_equal(json_string_value(json_object_get(
				    identity, "sqlite_version")),
			    sqlite3_libversion());
	json_decref(identity);
	listing(fx->dir, during, sizeof(during));
	assert_string_equal(during, before);
	ark_sqlite_source_close(src);
	ark_sqlite_source_close(NULL);

	listing(fx->dir, after, sizeof(after));
	assert_string_equal(after, before);
	assert_same_hash(file_hash(fx->db), hash);
}

static void test_missing_table_message(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src = NULL;
	struct ark_error err;
	char expected[PATH_MAX + 128];
	int64_t rows = 7;

	create_db(fx->db, "DELETE");
	src = open_source(fx->db, 0);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_count_rows(src, "mis\"sing", &rows,
						      &err),
			 ARK_ERR_SOURCE);
	assert_int_equal(rows, 0);
	snprintf(expected, sizeof(expected),
		 "'%s': counting rows: no such table: main.mis\"sing",
		 fx->db);
	assert_string_equal(err.msg, expected);
	ark_sqlite_source_close(src);
}

/* A cleanly closed WAL database: SQLite must create -wal and -shm; they
 * are removed at close. */
static void test_clean_wal_default(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	char before[1024], during[1024], after[1024];
	struct ark_hash128 hash;

	create_db(fx->db, "WAL");
	listing(fx->dir, before, sizeof(before));
	assert_string_equal(before, "app.db\n");
	hash = file_hash(fx->db);

	src = open_source(fx->db, 0);
	assert_string_equal(ark_sqlite_source_info(src)->journal_mode, "wal");
	assert_int_equal(ark_sqlite_source_info(src)->immutable, 0);
	assert_int_equal(count_items(ark_sqlite_source_db(src)), ROWS);
	listing(fx->dir, during, sizeof(during));
	assert_string_equal(during, "app.db\napp.db-shm\napp.db-wal\n");
	ark_sqlite_source_close(src);

	listing(fx->dir, after, sizeof(after));
	assert_string_equal(after, before);
	assert_same_hash(file_hash(fx->db), hash);
}

/* The same read immutable: nothing is created at all. */
static void test_clean_wal_immutable(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	char before[1024], during[1024], after[1024];
	struct ark_hash128 hash;

	create_db(fx->db, "WAL");
	listing(fx->dir, before, sizeof(before));
	hash = file_hash(fx->db);

	src = open_source(fx->db, ARK_SQLITE_SOURCE_IMMUTABLE_OK);
	assert_string_equal(ark_sqlite_source_info(src)->journal_mode, "wal");
	assert_int_equal(ark_sqlite_source_info(src)->immutable, 1);
	assert_int_equal(count_items(ark_sqlite_source_db(src)), ROWS);
	listing(fx->dir, during, sizeof(during));
	assert_string_equal(during, before);
	assert_int_equal(ark_sqlite_source_changed(src), 0);
	ark_sqlite_source_close(src);

	listing(fx->dir, after, sizeof(after));
	assert_string_equal(after, before);
	assert_same_hash(file_hash(fx->db), hash);
}

/*
 * Read immutable, then a writer opens the database and commits: the read
 * is stale, changed() says so, and a copy is refused.
 */
static void test_immutable_changed(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	char expected[PATH_MAX + 128];
	char tmp_listing[256];

	create_db(fx->db, "WAL");
	src = open_source(fx->db, ARK_SQLITE_SOURCE_IMMUTABLE_OK);
	writer_start(fx);
	writer_send(fx, 'i');
	assert_int_equal(ark_sqlite_source_changed(src), 1);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy(src, fx->tmp, &copy, &err),
			 ARK_ERR_SOURCE);
	assert_null(copy);
	snprintf(expected, sizeof(expected),
		 "'%s': a connection opened the database while it was "
		 "copied (it was read immutable)",
		 fx->db);
	assert_string_equal(err.msg, expected);
	listing(fx->tmp, tmp_listing, sizeof(tmp_listing));
	assert_string_equal(tmp_listing, "");
	ark_sqlite_source_close(src);
	writer_stop(fx);
}

/*
 * A live WAL database (a writer connected, its rows in the -wal): the
 * view stays as it began while the writer commits more; the copy holds
 * that view; four readers in parallel see it; the main file is unchanged
 * and the listing is as before.
 */
struct reader_job {
	const struct ark_sqlite_source_copy *copy;
	int64_t rows;
	struct ark_hash128 hash;
	int rc;
};

static void *reader_thread(void *arg)
{
	struct reader_job *job = arg;
	struct ark_error err;
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	struct ark_hasher *hasher = ark_hasher_new();

	ark_error_clear(&err);
	job->rc = ark_sqlite_source_copy_open(job->copy, &db, &err);
	if (job->rc == 0 &&
	    sqlite3_prepare_v2(db, "SELECT id, name, payload FROM items "
			       "ORDER BY id", -1, &stmt, NULL) == SQLITE_OK) {
		while (sqlite3_step(stmt) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(stmt, 0);

			ark_hasher_update(hasher, &id, sizeof(id));
			ark_hasher_update(hasher, sqlite3_column_text(stmt, 1),
					  (size_t)sqlite3_column_bytes(stmt,
								       1));
			ark_hasher_update(hasher, sqlite3_column_blob(stmt, 2),
					  (size_t)sqlite3_column_bytes(stmt,
								       2));
			job->rows++;
		}
		sqlite3_finalize(stmt);
	}
	job->hash = ark_hasher_digest(hasher);
	ark_hasher_free(hasher);
	sqlite3_close(db);
	return NULL;
}

static void test_live_wal_view_and_copy(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	struct reader_job jobs[4];
	pthread_t threads[4];
	char before[1024], after[1024], tmp_listing[256];
	struct ark_hash128 main_hash, view_hash;
	const char *copy_path;
	const char *copy_name;
	struct stat st;
	int64_t rows;

	create_db(fx->db, "WAL");
	writer_start(fx);
	writer_send(fx, 'i'); /* ROWS + BATCH, in the -wal only */
	listing(fx->dir, before, sizeof(before));
	assert_string_equal(before, "app.db\napp.db-shm\napp.db-wal\n");
	main_hash = file_hash(fx->db);

	/* even when allowed, a database with a -wal is not read immutable */
	src = open_source(fx->db, ARK_SQLITE_SOURCE_IMMUTABLE_OK);
	assert_int_equal(ark_sqlite_source_info(src)->immutable, 0);
	view_hash = content_hash(ark_sqlite_source_db(src), &rows);
	assert_int_equal(rows, ROWS + BATCH);

	writer_send(fx, 'i'); /* committed while we read */
	writer_send(fx, 'i');
	assert_int_equal(count_items(ark_sqlite_source_db(src)), ROWS + BATCH);

	ark_error_clear(&err);
	if (ark_sqlite_source_copy(src, fx->tmp, &copy, &err) != 0)
		fail_msg("copy: %s", err.msg);
	copy_path = ark_sqlite_source_copy_path(copy);
	copy_name = strrchr(copy_path, '/') + 1;
	assert_int_equal(strncmp(copy_path, fx->tmp, strlen(fx->tmp)), 0);
	assert_int_equal(strncmp(copy_name, ".ark-tmp-", 9), 0);
	assert_int_equal(stat(copy_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	writer_send(fx, 'i'); /* after the copy: not in it either */

	for (int i = 0; i < 4; i++) {
		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].copy = copy;
		assert_int_equal(pthread_create(&threads[i], NULL,
						reader_thread, &jobs[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(jobs[i].rc, 0);
		assert_int_equal(jobs[i].rows, ROWS + BATCH);
		assert_same_hash(jobs[i].hash, view_hash);
	}
	/* only the copy in tmpdir, no journal beside it */
	listing(fx->tmp, tmp_listing, sizeof(tmp_listing));
	assert_int_equal(strlen(tmp_listing), strlen(copy_name) + 1);
	assert_int_equal(strncmp(tmp_listing, copy_name, strlen(copy_name)),
			 0);

	ark_sqlite_source_close(src);
	listing(fx->dir, after, sizeof(after));
	assert_string_equal(after, before);
	assert_same_hash(file_hash(fx->db), main_hash);

	ark_sqlite_source_copy_free(copy);
	ark_sqlite_source_copy_free(NULL);
	listing(fx->tmp, tmp_listing, sizeof(tmp_listing));
	assert_string_equal(tmp_listing, "");
	writer_stop(fx);
}

/* A rollback-journal database: the copy matches, the file is untouched. */
static void test_copy_rollback(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	char before[1024], after[1024];
	struct ark_hash128 hash, view_hash, copy_hash;
	sqlite3 *db = NULL;
	int64_t rows;

	create_db(fx->db, "DELETE");
	listing(fx->dir, before, sizeof(before));
	hash = file_hash(fx->db);
	src = open_source(fx->db, 0);
	view_hash = content_hash(ark_sqlite_source_db(src), &rows);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy(src, fx->tmp, &copy, &err), 0);
	ark_sqlite_source_close(src);
	assert_int_equal(ark_sqlite_source_copy_open(copy, &db, &err), 0);
	copy_hash = content_hash(db, &rows);
	assert_int_equal(rows, ROWS);
	assert_same_hash(copy_hash, view_hash);
	assert_int_equal(unit_query_int(db, "SELECT count(*) FROM "
					    "\"we\"\"ird\""),
			 3);
	/* read-only */
	assert_int_equal(sqlite3_exec(db, "DELETE FROM items", NULL, NULL,
				      NULL),
			 SQLITE_READONLY);
	sqlite3_close(db);
	ark_sqlite_source_copy_free(copy);
	listing(fx->dir, after, sizeof(after));
	assert_string_equal(after, before);
	assert_same_hash(file_hash(fx->db), hash);
}

/* The copy is a registered temporary: a stop signal's cleanup removes it. */
static void test_copy_removed_by_signal_cleanup(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	char tmp_listing[256];

	create_db(fx->db, "DELETE");
	src = open_source(fx->db, 0);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy(src, fx->tmp, &copy, &err), 0);
	listing(fx->tmp, tmp_listing, sizeof(tmp_listing));
	assert_string_not_equal(tmp_listing, "");
	ark_fsio_cleanup_temporaries();
	listing(fx->tmp, tmp_listing, sizeof(tmp_listing));
	assert_string_equal(tmp_listing, "");
	ark_sqlite_source_copy_free(copy);
	ark_sqlite_source_close(src);
}

static void test_copy_bad_tmpdir(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	char dir[PATH_MAX + 16];
	char expected[3 * PATH_MAX];

	create_db(fx->db, "DELETE");
	src = open_source(fx->db, 0);

	snprintf(dir, sizeof(dir), "%s/nope", fx->tmp);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy(src, dir, &copy, &err),
			 ARK_ERR_WRITE);
	assert_null(copy);
	snprintf(expected, sizeof(expected),
		 "cannot copy '%s' into '%s': No such file or directory",
		 fx->db, dir);
	assert_string_equal(err.msg, expected);

	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy(src, fx->db, &copy, &err),
			 ARK_ERR_WRITE);
	snprintf(expected, sizeof(expected),
		 "cannot copy '%s' into '%s': Not a directory", fx->db,
		 fx->db);
	assert_string_equal(err.msg, expected);
	ark_sqlite_source_close(src);
}

/*
 * Not enough space: a database that claims 2^40 bytes (a sparse file
 * whose header size is not trusted, so SQLite takes the file's) is
 * refused before a byte is written.
 */
static void test_copy_no_space(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	const uint8_t stale[4] = { 0xde, 0xad, 0xbe, 0xef };
	uint64_t big = (uint64_t)1 << 40;
	uint64_t free_bytes = 0;
	char expected[2 * PATH_MAX + 128];
	char tmp_listing[256];
	int fd;

	create_db(fx->db, "DELETE");
	assert_int_equal(ark_fsio_free_space(fx->tmp, &free_bytes, &err), 0);
	if (free_bytes >= big)
		fail_msg("%s has %ju bytes free: the test needs less",
			 fx->tmp, (uintmax_t)free_bytes);
	unit_pwrite_at(fx->db, 92, stale, sizeof(stale));
	fd = open(fx->db, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)big), 0);
	close(fd);

	src = open_source(fx->db, 0);
	assert_int_equal(ark_sqlite_source_info(src)->page_count,
			 (int64_t)(big / 4096));
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy(src, fx->tmp, &copy, &err),
			 ARK_ERR_WRITE);
	/* the free figure moves; everything before it is exact */
	snprintf(expected, sizeof(expected),
		 "cannot copy '%s' into '%s': the copy needs %ju bytes, ",
		 fx->db, fx->tmp, (uintmax_t)big);
	assert_int_equal(strncmp(err.msg, expected, strlen(expected)), 0);
	assert_string_equal(err.msg + strlen(err.msg) - 9, " are free");
	listing(fx->tmp, tmp_listing, sizeof(tmp_listing));
	assert_string_equal(tmp_listing, "");
	ark_sqlite_source_close(src);
}

/* --check's findings: integrity and every table's rows, names kept. */
static void test_check_counts(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_error err;
	char integrity[512] = "";
	json_t *identity, *tables;
	sqlite3 *db;
	int clean = 0;

	create_db(fx->db, "DELETE");
	db = unit_open_db(fx->db, SQLITE_OPEN_READWRITE);
	/* a table name that is not UTF-8, and a virtual table (not counted) */
	unit_exec_sql(db, "CREATE TABLE \"bad\xff\"(x); "
			  "INSERT INTO \"bad\xff\" VALUES (1), (2); "
			  "CREATE VIRTUAL TABLE docs USING fts5(body);");
	sqlite3_close(db);
	src = open_source(fx->db, 0);
	identity = ark_sqlite_source_identity(src);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_check(src, identity, integrity,
						 sizeof(integrity), &clean,
						 &err),
			 0);
	assert_int_equal(clean, 1);
	assert_string_equal(integrity, "ok");
	assert_string_equal(json_string_value(json_object_get(
				    identity, "integrity_check")),
			    "ok");
	tables = json_object_get(identity, "tables");
	/* bad\xff, the five FTS5 shadow tables, items, we"ird */
	assert_int_equal(json_array_size(tables), 8);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(tables, 0), "name")),
			    "bad\\xff");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(tables, 0), "rows")),
			 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(tables, 6), "name")),
			    "items");
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(tables, 6), "rows")),
			 ROWS);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(tables, 7), "name")),
			    "we\"ird");
	json_decref(identity);
	ark_sqlite_source_close(src);
}

/* An empty file is an empty database: its copy is one too. */
static void test_copy_empty(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src;
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	sqlite3 *db = NULL;

	unit_write_file(fx->db, "");
	src = open_source(fx->db, 0);
	assert_int_equal(ark_sqlite_source_info(src)->page_count, 0);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy(src, fx->tmp, &copy, &err), 0);
	assert_int_equal(ark_sqlite_source_copy_open(copy, &db, &err), 0);
	assert_int_equal(unit_query_int(db, "SELECT count(*) FROM "
					    "sqlite_schema"),
			 0);
	sqlite3_close(db);
	ark_sqlite_source_copy_free(copy);
	ark_sqlite_source_close(src);
	assert_int_equal(unit_count_entries(fx->dir), 1);
	assert_int_equal(unit_count_entries(fx->tmp), 0);
}

/*
 * A stop signal in the middle of a copy: the copy stops at the next step
 * with ARK_ERR_INTERRUPTED and its file is gone.  In a child (signal
 * handlers are process-wide); a thread sends SIGTERM as soon as the
 * copy's file has grown.
 */
struct signal_job {
	const char *tmp;
	volatile int stop;
};

static void *signal_when_written(void *arg)
{
	struct signal_job *job = arg;
	struct timespec pause = { 0, 200 * 1000 };

	while (!job->stop) {
		DIR *dir = opendir(job->tmp);
		struct dirent *entry;
		int grown = 0;

		while (dir && (entry = readdir(dir)) != NULL) {
			char path[PATH_MAX + 300];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", job->tmp,
				 entry->d_name);
			if (entry->d_name[0] == '.' &&
			    strncmp(entry->d_name, ".ark-tmp-", 9) == 0 &&
			    stat(path, &st) == 0 && st.st_size > 0)
				grown = 1;
		}
		if (dir)
			closedir(dir);
		if (grown) {
			kill(getpid(), SIGTERM);
			return NULL;
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static int child_copy_interrupted(void *arg)
{
	struct fixture *fx = arg;
	struct ark_sqlite_source *src = NULL;
	struct ark_sqlite_source_copy *copy = NULL;
	struct signal_job job = { fx->tmp, 0 };
	struct ark_error err;
	pthread_t thread;
	int rc;

	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	if (ark_sqlite_source_open(fx->db, 1000, &src, &err) != 0)
		return 10;
	if (pthread_create(&thread, NULL, signal_when_written, &job) != 0)
		return 11;
	rc = ark_sqlite_source_copy(src, fx->tmp, &copy, &err);
	job.stop = 1;
	pthread_join(thread, NULL);
	if (rc == 0)
		return 12; /* finished before the signal came */
	if (rc != ARK_ERR_INTERRUPTED ||
	    strcmp(err.msg, "interrupted by signal") != 0)
		return 13;
	if (copy != NULL || unit_count_entries(fx->tmp) != 0)
		return 14;
	ark_sqlite_source_close(src);
	return 0;
}

static void test_copy_interrupted(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db;

	/* 64 MiB: four steps of the copy */
	create_db(fx->db, "DELETE");
	db = unit_open_db(fx->db, SQLITE_OPEN_READWRITE);
	unit_exec_sql(db, "CREATE TABLE big(b); WITH RECURSIVE n(i) AS "
			  "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
			  "i < 64) INSERT INTO big SELECT zeroblob(1048576) "
			  "FROM n");
	sqlite3_close(db);
	assert_int_equal(unit_run_in_child(child_copy_interrupted, fx), 0);
	assert_int_equal(unit_count_entries(fx->tmp), 0);
	assert_int_equal(unit_count_entries(fx->dir), 1);
}

/* Open, copy and close in one: a clean WAL database, nothing created. */
static void test_copy_file_immutable(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source_options options = {
		.busy_timeout_ms = 1000, .flags = ARK_SQLITE_SOURCE_IMMUTABLE_OK,
	};
	struct ark_sqlite_source_copy *copy = NULL;
	struct ark_error err;
	char before[1024], after[1024];
	struct ark_hash128 hash;
	json_t *identity = NULL;
	sqlite3 *db = NULL;

	create_db(fx->db, "WAL");
	listing(fx->dir, before, sizeof(before));
	hash = file_hash(fx->db);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy_file(fx->db, &options, fx->tmp,
						     &copy, &identity, &err),
			 0);
	assert_string_equal(json_string_value(json_object_get(identity,
							      "journal_mode")),
			    "wal");
	json_decref(identity);
	listing(fx->dir, after, sizeof(after));
	assert_string_equal(after, before);
	assert_same_hash(file_hash(fx->db), hash);
	assert_int_equal(ark_sqlite_source_copy_open(copy, &db, &err), 0);
	assert_int_equal(count_items(db), ROWS);
	sqlite3_close(db);
	ark_sqlite_source_copy_free(copy);

	/* errors come through, nothing is left */
	unlink(fx->db);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_copy_file(fx->db, &options, fx->tmp,
						     &copy, NULL, &err),
			 ARK_ERR_READ);
	assert_null(copy);
	assert_int_equal(unit_count_entries(fx->tmp), 0);
}

/*
 * A writer commits while a clean WAL database is copied immutable: the
 * copy is taken again (through SQLite's locking, the -wal now exists) and
 * holds the writer's rows.
 */
struct writer_job {
	struct fixture *fx;
	volatile int stop;
	int sent;
};

static int copy_file_grown(const char *dir)
{
	DIR *listing_dir = opendir(dir);
	struct dirent *entry;
	int grown = 0;

	while (listing_dir && (entry = readdir(listing_dir)) != NULL) {
		char path[PATH_MAX + 300];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		if (strncmp(entry->d_name, ".ark-tmp-", 9) == 0 &&
		    stat(path, &st) == 0 && st.st_size > 0)
			grown = 1;
	}
	if (listing_dir)
		closedir(listing_dir);
	return grown;
}

static void *commit_when_copying(void *arg)
{
	struct writer_job *job = arg;
	struct timespec pause = { 0, 200 * 1000 };

	while (!job->stop) {
		if (copy_file_grown(job->fx->tmp)) {
			writer_send(job->fx, 'i');
			job->sent = 1;
			return NULL;
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void test_copy_file_again_after_a_writer(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source_options options = {
		.busy_timeout_ms = 5000, .flags = ARK_SQLITE_SOURCE_IMMUTABLE_OK,
	};
	struct ark_sqlite_source_copy *copy = NULL;
	struct writer_job job = { fx, 0, 0 };
	struct ark_error err;
	pthread_t thread;
	sqlite3 *db = NULL;
	char wal[PATH_MAX + 40];
	int rc;

	create_db(fx->db, "WAL");
	db = unit_open_db(fx->db, SQLITE_OPEN_READWRITE);
	unit_exec_sql(db, "CREATE TABLE big(b); WITH RECURSIVE n(i) AS "
			  "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
			  "i < 64) INSERT INTO big SELECT zeroblob(1048576) "
			  "FROM n");
	sqlite3_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", fx->db);
	assert_int_equal(access(wal, F_OK), -1); /* closed cleanly */
	writer_start(fx); /* connected, but has read nothing yet */
	assert_int_equal(access(wal, F_OK), -1);

	assert_int_equal(pthread_create(&thread, NULL, commit_when_copying,
					&job),
			 0);
	ark_error_clear(&err);
	rc = ark_sqlite_source_copy_file(fx->db, &options, fx->tmp, &copy,
					 NULL, &err);
	job.stop = 1;
	assert_int_equal(pthread_join(thread, NULL), 0);
	if (rc != 0)
		fail_msg("copy_file: %s", err.msg);
	assert_int_equal(job.sent, 1);
	assert_int_equal(ark_sqlite_source_copy_open(copy, &db, &err), 0);
	assert_int_equal(count_items(db), ROWS + BATCH);
	sqlite3_close(db);
	ark_sqlite_source_copy_free(copy);
	assert_int_equal(unit_count_entries(fx->tmp), 0);
	writer_stop(fx);
}

/*
 * The copy cannot be written (a file size limit: EFBIG, as a full or
 * failing disk would): ARK_ERR_WRITE naming the copy, nothing left.  In a
 * child, where the limit applies.
 */
static int child_copy_write_fails(void *arg)
{
	struct fixture *fx = arg;
	struct ark_sqlite_source *src = NULL;
	struct ark_sqlite_source_copy *copy = NULL;
	struct rlimit limit = { 256 << 10, 256 << 10 };
	struct ark_error err;
	char expected[PATH_MAX + 64];
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	ark_error_clear(&err);
	if (ark_sqlite_source_open(fx->db, 1000, &src, &err) != 0)
		return 10;
	if (setrlimit(RLIMIT_FSIZE, &limit) != 0)
		return 11;
	rc = ark_sqlite_source_copy(src, fx->tmp, &copy, &err);
	if (rc != ARK_ERR_WRITE || copy != NULL) {
		fprintf(stderr, "rc %d: %s\n", rc, err.msg);
		return 12;
	}
	/* the copy's name is random: compare around it */
	snprintf(expected, sizeof(expected), "cannot write '%s/.ark-tmp-",
		 fx->tmp);
	if (strncmp(err.msg, expected, strlen(expected)) != 0 ||
	    strcmp(err.msg + strlen(expected) + 6, "': disk I/O error") != 0) {
		fprintf(stderr, "message: %s\n", err.msg);
		return 13;
	}
	if (unit_count_entries(fx->tmp) != 0)
		return 14;
	ark_sqlite_source_close(src);
	return 0;
}

static void test_copy_write_fails(void **state)
{
	struct fixture *fx = *state;

	create_db(fx->db, "DELETE"); /* about 1 MiB */
	assert_int_equal(unit_run_in_child(child_copy_write_fails, fx), 0);
}

/* ---- refusals ----------------------------------------------------------- */

/* A writer that dies mid-transaction leaves a hot journal behind. */
static void crash_mid_transaction(const char *path)
{
	pid_t pid;
	int status = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db = NULL;

		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA cache_size = 2; BEGIN; "
				 "UPDATE items SET payload = "
				 "randomblob(300)",
				 NULL, NULL, NULL) != SQLITE_OK)
			_exit(3);
		_exit(0); /* no COMMIT, no close: a crash */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_hot_journal_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source_options options = {
		.busy_timeout_ms = 100, .verb = "transfer",
	};
	struct ark_sqlite_source *src = NULL;
	struct ark_error err;
	char before[1024], after[1024], journal[PATH_MAX + 48];
	char expected[4 * PATH_MAX];
	struct ark_hash128 hash, journal_hash;

	create_db(fx->db, "DELETE");
	crash_mid_transaction(fx->db);
	listing(fx->dir, before, sizeof(before));
	assert_string_equal(before, "app.db\napp.db-journal\n");
	snprintf(journal, sizeof(journal), "%s-journal", fx->db);
	hash = file_hash(fx->db);
	journal_hash = file_hash(journal);

	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_open(fx->db, 100, &src, &err),
			 ARK_ERR_SOURCE);
	assert_null(src);
	snprintf(expected, sizeof(expected),
		 "'%s' has a hot rollback journal ('%s-journal'): a writer "
		 "crashed mid-transaction; ark will not roll it back in your "
		 "database: open it once with the application (or sqlite3 "
		 "'%s' 'PRAGMA quick_check') to recover it, then read again",
		 fx->db, fx->db, fx->db);
	assert_string_equal(err.msg, expected);

	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_open_with(fx->db, &options, &src,
						     &err),
			 ARK_ERR_SOURCE);
	assert_string_equal(err.msg + strlen(err.msg) - 19,
			    "then transfer again");

	listing(fx->dir, after, sizeof(after));
	assert_string_equal(after, before);
	assert_same_hash(file_hash(fx->db), hash);
	assert_same_hash(file_hash(journal), journal_hash);
}

static void test_locked_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src = NULL;
	struct ark_error err;
	char expected[PATH_MAX + 256];
	sqlite3 *holder;

	create_db(fx->db, "DELETE");
	holder = unit_open_db(fx->db, SQLITE_OPEN_READWRITE);
	unit_exec_sql(holder, "BEGIN EXCLUSIVE; "
			      "INSERT INTO items(name) VALUES ('x')");
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_open(fx->db, 100, &src, &err),
			 ARK_ERR_SOURCE);
	unit_exec_sql(holder, "ROLLBACK");
	sqlite3_close(holder);
	assert_null(src);
	snprintf(expected, sizeof(expected),
		 "'%s': database is locked while reading the schema "
		 "(another process holds a write lock; raise "
		 "--busy-timeout)",
		 fx->db);
	assert_string_equal(err.msg, expected);
}

static void test_not_a_database(void **state)
{
	struct fixture *fx = *state;
	struct ark_sqlite_source *src = NULL;
	struct ark_error err;
	char expected[PATH_MAX + 128];

	unit_write_file(fx->db, "this is not a database, just text\n");
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_open(fx->db, 100, &src, &err),
			 ARK_ERR_SOURCE);
	snprintf(expected, sizeof(expected),
		 "'%s' is not a SQLite 3 database", fx->db);
	assert_string_equal(err.msg, expected);

	unlink(fx->db);
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_source_open(fx->db, 100, &src, &err),
			 ARK_ERR_READ);
	snprintf(expected, sizeof(expected),
		 "cannot open database '%s': No such file or directory",
		 fx->db);
	assert_string_equal(err.msg, expected);
	assert_int_equal(unit_count_entries(fx->dir), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rollback_untouched),
		T(test_missing_table_message),
		T(test_clean_wal_default),
		T(test_clean_wal_immutable),
		T(test_immutable_changed),
		T(test_live_wal_view_and_copy),
		T(test_copy_rollback),
		T(test_copy_removed_by_signal_cleanup),
		T(test_copy_bad_tmpdir),
		T(test_copy_no_space),
		T(test_check_counts),
		T(test_copy_empty),
		T(test_copy_interrupted),
		T(test_copy_write_fails),
		T(test_copy_file_immutable),
		T(test_copy_file_again_after_a_writer),
		T(test_hot_journal_refused),
		T(test_locked_refused),
		T(test_not_a_database),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
