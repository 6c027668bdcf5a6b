/*
 * test_restore.c - ark_restore_run and ark_restore_find_user
 * (include/ark/restore.h): a new TARGET, an existing one with and without
 * force (kept as TARGET.pre-restore-<stamp> with its companions), stale
 * companions, a TARGET another process holds open, and damaged archives;
 * every refusal leaves TARGET exactly as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlite_helpers.h"
#include "pgarchive_helpers.h"
#include "unit_helpers.h"

#include <errno.h>
#include <sqlite3.h>
#include <time.h>

#include "ark/archive.h"
#include "ark/fsio.h"
#include "ark/restore.h"
#include "ark/snapshot.h"
#include "sqlite/sqlite_image_internal.h"

#include <sys/resource.h>

#define ROWS 500

struct fixture {
	char dir[PATH_MAX];
	char db[PATH_MAX + 32];
	char archive[PATH_MAX + 32];
	char target[PATH_MAX + 32];
	char companion[PATH_MAX + 48]; /* scratch for TARGET-wal etc. */
};

static void create_db(const char *path, int rows)
{
	sqlite3 *db = NULL;
	char sql[512];

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
		 "  SELECT i + 1 FROM n WHERE i < %d) "
		 "INSERT INTO t SELECT i, printf('row-%%06d', i) FROM n;",
		 rows);
	unit_exec_sql(db, sql);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct ark_error err;

	if (!fx)
		return -1;
	unit_make_temp_dir(fx->dir, sizeof(fx->dir));
	snprintf(fx->db, sizeof(fx->db), "%s/app.db", fx->dir);
	snprintf(fx->archive, sizeof(fx->archive), "%s/app.ark", fx->dir);
	snprintf(fx->target, sizeof(fx->target), "%s/target.db", fx->dir);
	create_db(fx->db, ROWS);
	if (unit_snapshot_db(fx->db, fx->archive, &err) != 0)
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

static const char *companion(struct fixture *fx, const char *base,
			     const char *suffix)
{
	snprintf(fx->companion, sizeof(fx->companion), "%s%s", base, suffix);
	return fx->companion;
}

static int run_restore(const char *archive, const char *target, int force,
		       struct ark_restore_result *result,
		       struct ark_error *err)
{
	struct ark_restore_options options = { .archive = archive,
					       .target = target,
					       .force = force };

	ark_error_clear(err);
	memset(result, 0x5a, sizeof(*result));
	return ark_restore_run(&options, result, err);
}

static void assert_file_text(const char *path, const char *expected)
{
	char buf[256];

	if (unit_read_file(path, buf, sizeof(buf)) < 0)
		fail_msg("cannot read %s", path);
	assert_string_equal(buf, expected);
}

static mode_t current_umask(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return mask;
}

/*
 * TARGET holds the snapshot of app.db (ROWS rows) with mode: the old
 * TARGET's, or 0666 less the umask for a new one.
 */
static void assert_restored(const char *target, mode_t mode)
{
	sqlite3 *db = unit_open_immutable(target);
	struct stat st;

	assert_int_equal(unit_query_int(db, "SELECT count(*) FROM t"), ROWS);
	assert_int_equal(unit_query_int(db, "SELECT count(*) FROM t WHERE "
					     "v = printf('row-%06d', id)"),
			 ROWS);
	sqlite3_close(db);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

/* ---- a process holding a file open ----------------------------------- */

struct holder {
	pid_t pid;
	int release_fd; /* closing it lets the child exit */
};

static struct holder hold_open(const char *path)
{
	struct holder holder;
	int ready[2], release[2];
	char byte = 0;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	fflush(stdout);
	fflush(stderr);
	holder.pid = fork();
	assert_true(holder.pid >= 0);
	if (holder.pid == 0) {
		int fd = open(path, O_RDONLY);

		close(ready[0]);
		close(release[1]);
		if (fd < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		/* wait until the parent closes its end (or dies) */
		while (read(release[0], &byte, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &byte, 1), 1);
	assert_int_equal(byte, 'r');
	close(ready[0]);
	holder.release_fd = release[1];
	return holder;
}

static void release_holder(struct holder *holder)
{
	int status = -1;

	close(holder->release_fd);
	assert_int_equal(waitpid(holder->pid, &status, 0), holder->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- tests ----------------------------------------------------------- */

static void test_restore_new_target(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	struct ark_archive_reader *reader = NULL;
	uint64_t raw_size;

	assert_int_equal(ark_archive_reader_open(fx->archive, &reader, &err),
			 0);
	raw_size = ark_archive_reader_manifest(reader)->members[0].raw_size;
	ark_archive_reader_free(reader);

	assert_int_equal(run_restore(fx->archive, fx->target, 0, &result,
				     &err),
			 0);
	assert_int_equal(err.code, ARK_OK);
	assert_string_equal(result.target, fx->target);
	assert_string_equal(result.kept, "");
	assert_int_equal(result.target_was_in_use, 0);
	assert_int_equal(result.bytes, raw_size);
	assert_string_equal(result.integrity, "ok");
	assert_true(result.seconds >= 0.0);
	assert_restored(fx->target, 0666 & ~current_umask());
	/* app.db, app.ark, target.db: no temporary, no -wal, no -shm */
	assert_int_equal(unit_count_entries(fx->dir), 3);
}

static void test_existing_target_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;

	unit_write_file(fx->target, "old target\n");
	assert_int_equal(run_restore(fx->archive, fx->target, 0, &result,
				     &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, fx->target);
	assert_error(err, ARK_ERR_REFUSED, "already exists; use --force");
	assert_file_text(fx->target, "old target\n");
	assert_int_equal(unit_count_entries(fx->dir), 3);
}

static void test_existing_target_forced_is_kept(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char prefix[PATH_MAX + 64];
	char kept_wal[PATH_MAX + 96];
	const char *stamp;

	unit_write_file(fx->target, "old target\n");
	assert_int_equal(chmod(fx->target, 0640), 0);
	unit_write_file(companion(fx, fx->target, "-wal"), "old wal\n");
	unit_write_file(companion(fx, fx->target, "-shm"), "old shm\n");
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 0);
	assert_int_equal(err.code, ARK_OK);
	/* the restored file takes the old one's mode */
	assert_restored(fx->target, 0640);

	/* kept: TARGET.pre-restore-YYYYMMDDTHHMMSSZ, the old content */
	snprintf(prefix, sizeof(prefix), "%s.pre-restore-", fx->target);
	assert_int_equal(strncmp(result.kept, prefix, strlen(prefix)), 0);
	stamp = result.kept + strlen(prefix);
	assert_int_equal(strlen(stamp), 16);
	assert_int_equal(stamp[8], 'T');
	assert_int_equal(stamp[15], 'Z');
	assert_file_text(result.kept, "old target\n");

	/* the companions went along: a stale WAL never meets the new file */
	snprintf(kept_wal, sizeof(kept_wal), "%s-wal", result.kept);
	assert_file_text(kept_wal, "old wal\n");
	snprintf(kept_wal, sizeof(kept_wal), "%s-shm", result.kept);
	assert_file_text(kept_wal, "old shm\n");
	assert_int_equal(access(companion(fx, fx->target, "-wal"), F_OK), -1);
	assert_int_equal(access(companion(fx, fx->target, "-shm"), F_OK), -1);
	/* app.db app.ark target.db kept kept-wal kept-shm */
	assert_int_equal(unit_count_entries(fx->dir), 6);
}

static void test_forced_keeps_owner(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	struct stat st;

	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	unit_write_file(fx->target, "someone else's\n");
	assert_int_equal(chown(fx->target, 4321, 4322), 0);
	assert_int_equal(chmod(fx->target, 0660), 0);
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 0);
	assert_restored(fx->target, 0660);
	assert_int_equal(stat(fx->target, &st), 0);
	assert_int_equal(st.st_uid, 4321);
	assert_int_equal(st.st_gid, 4322);
	assert_file_text(result.kept, "someone else's\n");
}

/*
 * The kept name is taken (another restore this second, or a planted
 * file): the next free name, TARGET.pre-restore-<stamp>.1, is used.
 */
static void test_kept_name_taken(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char kept[PATH_MAX + 64];
	char expected[PATH_MAX + 64];
	char stamp[17];
	time_t now = time(NULL);

	unit_write_file(fx->target, "old target\n");
	for (time_t t = now - 1; t <= now + 10; t++) {
		ark_fsio_utc_stamp(stamp, (int64_t)t);
		snprintf(kept, sizeof(kept), "%s.pre-restore-%s", fx->target,
			 stamp);
		unit_write_file(kept, "earlier kept\n");
	}
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 0);
	assert_restored(fx->target, 0666 & ~current_umask());
	/* the stamp of the run (between now and now + 10), then ".1" */
	assert_true(strlen(result.kept) > 2);
	assert_string_equal(result.kept + strlen(result.kept) - 2, ".1");
	snprintf(expected, sizeof(expected), "%.*s", (int)strlen(result.kept) - 2,
		 result.kept);
	assert_file_text(expected, "earlier kept\n");
	assert_file_text(result.kept, "old target\n");
	/* app.db app.ark target.db, 12 planted names and the kept one */
	assert_int_equal(unit_count_entries(fx->dir), 3 + 12 + 1);
}

/*
 * Only a companion name of the kept name is taken: that name is not
 * used, so the live -wal is never swapped for the planted one.
 */
static void test_kept_companion_name_taken(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char planted[PATH_MAX + 96];
	char kept_wal[sizeof(((struct ark_restore_result *)0)->kept) + 8];
	char stamp[17];
	time_t now = time(NULL);

	unit_write_file(fx->target, "old target\n");
	unit_write_file(companion(fx, fx->target, "-wal"), "live wal\n");
	for (time_t t = now - 1; t <= now + 10; t++) {
		ark_fsio_utc_stamp(stamp, (int64_t)t);
		snprintf(planted, sizeof(planted), "%s.pre-restore-%s-wal",
			 fx->target, stamp);
		unit_write_file(planted, "planted\n");
	}
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 0);
	assert_string_equal(result.kept + strlen(result.kept) - 2, ".1");
	assert_file_text(result.kept, "old target\n");
	snprintf(kept_wal, sizeof(kept_wal), "%s-wal", result.kept);
	assert_file_text(kept_wal, "live wal\n");
	ark_fsio_utc_stamp(stamp, (int64_t)now);
	snprintf(planted, sizeof(planted), "%s.pre-restore-%s-wal",
		 fx->target, stamp);
	assert_file_text(planted, "planted\n");
}

/* Every name this second could use is taken: refused, nothing moves. */
static void test_all_kept_names_taken(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char kept[PATH_MAX + 128];
	char stamp[17];
	time_t now = time(NULL);
	int planted = 0;

	unit_write_file(fx->target, "old target\n");
	for (time_t t = now; t <= now + 2; t++) {
		ark_fsio_utc_stamp(stamp, (int64_t)t);
		for (int n = 0; n < 100; n++) {
			if (n == 0)
				snprintf(kept, sizeof(kept),
					 "%s.pre-restore-%s", fx->target,
					 stamp);
			else
				snprintf(kept, sizeof(kept),
					 "%s.pre-restore-%s.%d", fx->target,
					 stamp, n);
			unit_write_file(kept, "taken\n");
			planted++;
		}
	}
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, "cannot keep");
	assert_error(err, ARK_ERR_REFUSED, "and the 99 names after it are "
					   "taken: File exists");
	assert_string_equal(result.kept, "");
	assert_file_text(fx->target, "old target\n");
	assert_int_equal(unit_count_entries(fx->dir), 3 + planted);
}

/* Another restore of TARGET holds its lock: exit 8, nothing touched. */
static void test_target_locked(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char lock[PATH_MAX + 64];
	char expected[3 * PATH_MAX];
	int fd = -1;

	unit_write_file(fx->target, "old target\n");
	snprintf(lock, sizeof(lock), "%s/.target.db.ark-lock", fx->dir);
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_lock(lock, &fd, &err), 0);
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 ARK_ERR_LOCKED);
	snprintf(expected, sizeof(expected),
		 "'%s' is being restored by another process (it holds '%s'); "
		 "nothing was changed", fx->target, lock);
	assert_string_equal(err.msg, expected);
	ark_fsio_unlock(fd);
	assert_file_text(fx->target, "old target\n");
	/* app.db app.ark target.db and the lock file the holder made */
	assert_int_equal(unit_count_entries(fx->dir), 4);
	/* once released, the restore runs and removes the lock file */
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 0);
	assert_int_equal(access(lock, F_OK), -1);
}

static void test_stale_wal_without_target(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char wal[PATH_MAX + 48];
	char kept_wal[PATH_MAX + 96];

	snprintf(wal, sizeof(wal), "%s-wal", fx->target);
	unit_write_file(wal, "stale wal\n");
	assert_int_equal(run_restore(fx->archive, fx->target, 0, &result,
				     &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, wal);
	assert_error(err, ARK_ERR_REFUSED, "exists beside the target");
	assert_int_equal(access(fx->target, F_OK), -1);
	assert_file_text(wal, "stale wal\n");
	assert_int_equal(unit_count_entries(fx->dir), 3);

	/* with force the orphan is moved aside under the kept name */
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 0);
	assert_restored(fx->target, 0666 & ~current_umask());
	assert_true(result.kept[0] != '\0');
	assert_int_equal(access(result.kept, F_OK), -1); /* no old TARGET */
	snprintf(kept_wal, sizeof(kept_wal), "%s-wal", result.kept);
	assert_file_text(kept_wal, "stale wal\n");
	assert_int_equal(access(wal, F_OK), -1);
}

static void test_stale_journal_refused(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;

	unit_write_file(companion(fx, fx->target, "-journal"), "journal\n");
	assert_int_equal(run_restore(fx->archive, fx->target, 0, &result,
				     &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, "target.db-journal' exists beside");
	assert_int_equal(access(fx->target, F_OK), -1);
}

static void test_target_is_directory(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;

	assert_int_equal(mkdir(fx->target, 0700), 0);
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, "is not a regular file");
}

static void test_find_user(void **state)
{
	struct fixture *fx = *state;
	struct holder holder;
	char missing[PATH_MAX + 64];
	int fd;

	unit_write_file(fx->target, "held\n");
	snprintf(missing, sizeof(missing), "%s/missing.db", fx->dir);
	assert_int_equal(ark_restore_find_user(missing), -1);
	assert_int_equal(ark_restore_find_user(fx->target), 0);
	/* this process does not count */
	fd = open(fx->target, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ark_restore_find_user(fx->target), 0);
	close(fd);

	holder = hold_open(fx->target);
	assert_int_equal(ark_restore_find_user(fx->target), holder.pid);
	/* another file is not confused with it */
	assert_int_equal(ark_restore_find_user(fx->db), 0);
	release_holder(&holder);
	assert_int_equal(ark_restore_find_user(fx->target), 0);
}

/*
 * BUG (lib/sqlite/restore.c check_target): without force, an existing TARGET is
 * refused with "already exists" before the in-use check runs, so "is open
 * by another process" - which docs/exit-codes.md and the e2e test
 * "restore refuses a TARGET another process has open" promise - is never
 * reported; the user is told to use --force, which replaces the file
 * under the running process.
 */
static void test_target_in_use_refused_BUG(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	struct holder holder;
	int rc;

	create_db(fx->target, 3);
	holder = hold_open(fx->target);
	rc = run_restore(fx->archive, fx->target, 0, &result, &err);
	release_holder(&holder);
	assert_int_equal(rc, ARK_ERR_REFUSED);
	assert_int_equal(unit_count_entries(fx->dir), 3);
	assert_error(err, ARK_ERR_REFUSED, "open by another process");
}

static void test_target_in_use_forced(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	struct unit_capture capture;
	struct holder holder;
	char logged[2048];
	char pid_text[32];
	int rc;

	unit_write_file(fx->target, "busy\n");
	assert_int_equal(chmod(fx->target, 0604), 0);
	holder = hold_open(fx->target);
	unit_capture_begin(&capture);
	rc = run_restore(fx->archive, fx->target, 1, &result, &err);
	unit_capture_end(&capture, logged, sizeof(logged));
	snprintf(pid_text, sizeof(pid_text), "process %d", (int)holder.pid);
	release_holder(&holder);
	assert_int_equal(rc, 0);
	assert_int_equal(result.target_was_in_use, 1);
	assert_file_text(result.kept, "busy\n");
	assert_restored(fx->target, 0604);
	/* the library logs a warning (level WARN is the default) */
	assert_non_null(strstr(logged, "is open by"));
	assert_non_null(strstr(logged, pid_text));
}

static void test_damaged_archive_leaves_target(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;

	unit_write_file(fx->target, "old target\n");
	/* a byte of the compressed image */
	unit_xor_byte_at(fx->archive, 1536 + 50, 0x80);
	assert_int_equal(run_restore(fx->archive, fx->target, 1, &result,
				     &err),
			 ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT,
		     "member 'database.sqlite.zst': stored data hash mismatch");
	assert_file_text(fx->target, "old target\n");
	assert_string_equal(result.kept, "");
	assert_int_equal(unit_count_entries(fx->dir), 3);
}

static void test_missing_archive(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char missing[PATH_MAX + 64];

	snprintf(missing, sizeof(missing), "%s/none.ark", fx->dir);
	assert_int_equal(run_restore(missing, fx->target, 0, &result, &err),
			 ARK_ERR_READ);
	assert_error(err, ARK_ERR_READ, missing);
	assert_int_equal(access(fx->target, F_OK), -1);
}

static void test_missing_target_directory(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char target[PATH_MAX + 64];

	snprintf(target, sizeof(target), "%s/no/such/dir/x.db", fx->dir);
	assert_int_equal(run_restore(fx->archive, target, 0, &result, &err),
			 ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "no/such/dir");
	assert_int_equal(unit_count_entries(fx->dir), 2);
}

static void write_custom_archive(const char *path, const char *kind,
				 const char *member, const uint8_t *raw,
				 size_t raw_len)
{
	unit_write_archive(path, "test_restore", kind, member, "sqlite-image",
			   raw, raw_len);
}

static void test_pg_archive_unsupported(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char archive[PATH_MAX + 64];

	snprintf(archive, sizeof(archive), "%s/pg.ark", fx->dir);
	unit_write_pg_archive(archive, "1\tone\n", NULL);
	assert_int_equal(run_restore(archive, fx->target, 0, &result, &err),
			 ARK_ERR_UNSUPPORTED);
	assert_error(err, ARK_ERR_UNSUPPORTED, "a 'pg' archive, not a SQLite one");
	assert_int_equal(access(fx->target, F_OK), -1);
}

static void test_image_fails_integrity(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_result result;
	struct ark_error err;
	char archive[PATH_MAX + 64];
	uint8_t junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 29 + 3);
	snprintf(archive, sizeof(archive), "%s/junk.ark", fx->dir);
	write_custom_archive(archive, "sqlite", "database.sqlite.zst", junk,
			     sizeof(junk));
	unit_write_file(fx->target, "old target\n");
	assert_int_equal(run_restore(archive, fx->target, 1, &result, &err),
			 ARK_ERR_INTEGRITY);
	assert_error(err, ARK_ERR_INTEGRITY, "database image");
	assert_file_text(fx->target, "old target\n");
	assert_string_equal(result.kept, "");
	/* app.db app.ark junk.ark target.db: the temporary is gone */
	assert_int_equal(unit_count_entries(fx->dir), 4);
}

static int run_restore_with(const char *archive, const char *target,
			    struct ark_restore_options *options,
			    struct ark_restore_result *result,
			    struct ark_error *err)
{
	options->archive = archive;
	options->target = target;
	ark_error_clear(err);
	memset(result, 0x5a, sizeof(*result));
	return ark_restore_run(options, result, err);
}

/* --allow-damaged: restored anyway, ARK_ERR_DAMAGED_RESTORED (exit 10). */
static void test_allow_damaged(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_options options = { .force = 1,
					       .allow_damaged = 1 };
	struct ark_restore_result result;
	struct ark_error err;
	char archive[PATH_MAX + 64];
	char expected[2 * PATH_MAX];
	uint8_t junk[4096];
	uint8_t *restored;
	size_t len = 0;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 29 + 3);
	snprintf(archive, sizeof(archive), "%s/junk.ark", fx->dir);
	write_custom_archive(archive, "sqlite", "database.sqlite.zst", junk,
			     sizeof(junk));
	unit_write_file(fx->target, "old target\n");
	assert_int_equal(run_restore_with(archive, fx->target, &options,
					  &result, &err),
			 ARK_ERR_DAMAGED_RESTORED);
	snprintf(expected, sizeof(expected),
		 "'%s' was restored as --allow-damaged asks, but the database "
		 "fails quick_check: file is not a database", fx->target);
	assert_string_equal(err.msg, expected);
	assert_string_equal(result.check, "quick_check");
	assert_string_equal(result.integrity, "file is not a database");
	restored = unit_read_all(fx->target, &len);
	assert_int_equal(len, sizeof(junk));
	assert_memory_equal(restored, junk, sizeof(junk));
	free(restored);
	assert_file_text(result.kept, "old target\n");
}

/* quick_check by default, integrity_check with full_check. */
static void test_check_kinds(void **state)
{
	struct fixture *fx = *state;
	struct ark_restore_options options = { .full_check = 1 };
	struct ark_restore_result result;
	struct ark_error err;

	assert_int_equal(run_restore(fx->archive, fx->target, 0, &result,
				     &err),
			 0);
	assert_string_equal(result.check, "quick_check");
	assert_string_equal(result.integrity, "ok");
	assert_int_equal(unlink(fx->target), 0);
	assert_int_equal(run_restore_with(fx->archive, fx->target, &options,
					  &result, &err),
			 0);
	assert_string_equal(result.check, "integrity_check");
	assert_string_equal(result.integrity, "ok");
}

/*
 * An archive that records a passing integrity_check (ark-snapshot
 * --check) is not checked again; full_check still checks.
 */
static void test_check_recorded(void **state)
{
	struct fixture *fx = *state;
	struct ark_snapshot_options snap;
	struct ark_snapshot_result snapped;
	struct ark_restore_options options = { .full_check = 1 };
	struct ark_restore_result result;
	struct ark_error err;
	char archive[PATH_MAX + 64];

	snprintf(archive, sizeof(archive), "%s/checked.ark", fx->dir);
	unit_snapshot_options(&snap, fx->db, archive);
	snap.check = 1;
	ark_error_clear(&err);
	assert_int_equal(ark_snapshot_run(&snap, &snapped, &err), 0);
	ark_snapshot_result_free(&snapped);
	assert_int_equal(run_restore(archive, fx->target, 0, &result, &err),
			 0);
	assert_string_equal(result.check, "recorded");
	assert_string_equal(result.integrity, "ok");
	assert_restored(fx->target, 0666 & ~current_umask());
	assert_int_equal(unlink(fx->target), 0);
	assert_int_equal(run_restore_with(archive, fx->target, &options,
					  &result, &err),
			 0);
	assert_string_equal(result.check, "integrity_check");
}

/* A path SQLite cannot open is a read error, never "fails its check". */
static void test_image_check_unopenable(void **state)
{
	struct fixture *fx = *state;
	struct ark_error err;
	char path[1024];
	char out[512];
	char expected[2048];
	size_t len;

	len = (size_t)snprintf(path, sizeof(path), "%s/", fx->dir);
	while (len < 600)
		path[len++] = 'x';
	path[len] = '\0';
	ark_error_clear(&err);
	assert_int_equal(ark_sqlite_image_check(path, 0, out, sizeof(out), NULL,
						&err),
			 ARK_ERR_READ);
	snprintf(expected, sizeof(expected),
		 "cannot check '%s': its full path is longer than the 512 "
		 "bytes SQLite accepts: File name too long", path);
	assert_string_equal(err.msg, expected);
	assert_string_equal(out, "not checked");
}

static int check_with_no_free_fd(void *arg)
{
	const char *path = arg;
	struct ark_error err;
	struct rlimit limit;
	char out[512];
	char expected[2048];
	int lowest = dup(0);

	close(lowest);
	getrlimit(RLIMIT_NOFILE, &limit);
	limit.rlim_cur = (rlim_t)lowest;
	if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
		return 3;
	ark_error_clear(&err);
	if (ark_sqlite_image_check(path, 0, out, sizeof(out), NULL, &err) !=
	    ARK_ERR_READ)
		return 1;
	snprintf(expected, sizeof(expected),
		 "cannot check '%s' (unable to open database file): Too many "
		 "open files", path);
	if (strcmp(err.msg, expected) != 0) {
		fprintf(stderr, "got: %s\n", err.msg);
		return 2;
	}
	return 0;
}

/* EMFILE at the check: "Too many open files", not exit 9. */
static void test_image_check_emfile(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(unit_run_in_child(check_with_no_free_fd, fx->db), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_restore_new_target),
		T(test_existing_target_refused),
		T(test_existing_target_forced_is_kept),
		T(test_forced_keeps_owner),
		T(test_kept_name_taken),
		T(test_kept_companion_name_taken),
		T(test_all_kept_names_taken),
		T(test_target_locked),
		T(test_stale_wal_without_target),
		T(test_stale_journal_refused),
		T(test_target_is_directory),
		T(test_find_user),
		T(test_target_in_use_refused_BUG),
		T(test_target_in_use_forced),
		T(test_damaged_archive_leaves_target),
		T(test_missing_archive),
		T(test_missing_target_directory),
		T(test_pg_archive_unsupported),
		T(test_image_fails_integrity),
		T(test_allow_damaged),
		T(test_check_kinds),
		T(test_check_recorded),
		T(test_image_check_unopenable),
		T(test_image_check_emfile),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
