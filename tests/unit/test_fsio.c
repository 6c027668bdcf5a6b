/*
 * test_fsio.c - atomic files, whole reads/writes, locks, signals, stamps.
 *
 * Every test works in its own directory under $TMPDIR.  Checks that change
 * process-wide state (signal handlers, the stop flag) or need a second
 * process (locks) run in a forked child.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/fsio.h"
#include "ark/log.h"

struct fixture {
	char dir[PATH_MAX];
	char final_path[PATH_MAX + 32];
};

static int setup_dir(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));

	assert_non_null(fixture);
	unit_make_temp_dir(fixture->dir, sizeof(fixture->dir));
	snprintf(fixture->final_path, sizeof(fixture->final_path),
		 "%s/out.bin", fixture->dir);
	*state = fixture;
	return 0;
}

static int teardown_dir(void **state)
{
	struct fixture *fixture = *state;

	unit_remove_tree(fixture->dir);
	free(fixture);
	return 0;
}

static int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static unsigned file_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return (unsigned)(st.st_mode & 07777);
}

static struct ark_atomic_file *open_and_write(const char *final_path,
					      const char *text)
{
	struct ark_atomic_file *file = NULL;
	struct ark_error err;

	ark_error_clear(&err);
	assert_int_equal(ark_atomic_open(final_path, &file, &err), 0);
	assert_non_null(file);
	assert_int_equal(ark_fsio_write_all(ark_atomic_fd(file), text,
					    strlen(text), final_path, &err),
			 0);
	return file;
}

static void test_atomic_commit_creates_final_0600(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *file = NULL;
	struct ark_error err;
	char expected_prefix[PATH_MAX + 64];
	char temp_path[PATH_MAX + 64];
	char content[64];
	mode_t old_umask;

	/* Even a permissive umask must not widen the mode. */
	old_umask = umask(0);
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_open(fixture->final_path, &file, &err), 0);
	umask(old_umask);

	snprintf(expected_prefix, sizeof(expected_prefix),
		 "%s/.out.bin.ark-tmp-", fixture->dir);
	snprintf(temp_path, sizeof(temp_path), "%s",
		 ark_atomic_temp_path(file));
	assert_int_equal(strncmp(temp_path, expected_prefix,
				 strlen(expected_prefix)),
			 0);
	assert_int_equal(strlen(temp_path), strlen(expected_prefix) + 6);
	assert_string_equal(ark_atomic_final_path(file), fixture->final_path);
	assert_true(path_exists(temp_path));
	assert_int_equal(file_mode(temp_path), 0600);
	assert_false(path_exists(fixture->final_path));

	assert_int_equal(ark_fsio_write_all(ark_atomic_fd(file), "hello", 5,
					    fixture->final_path, &err),
			 0);
	/* Until the commit the final name is not touched. */
	assert_false(path_exists(fixture->final_path));
	assert_int_equal(ark_atomic_commit(file, ARK_COMMIT_NO_REPLACE, &err),
			 0);
	assert_int_equal(err.code, ARK_OK);
	assert_int_equal(ark_atomic_fd(file), -1);

	assert_false(path_exists(temp_path));
	assert_int_equal(unit_read_file(fixture->final_path, content,
					sizeof(content)),
			 5);
	assert_string_equal(content, "hello");
	assert_int_equal(file_mode(fixture->final_path), 0600);

	/* Free after commit keeps the final file. */
	ark_atomic_free(file);
	assert_true(path_exists(fixture->final_path));
	assert_int_equal(unit_count_entries(fixture->dir), 1);
}

static void test_atomic_no_replace_refuses_existing(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *file;
	struct ark_error err;
	char content[64];
	char expected[PATH_MAX + 64];

	unit_write_file(fixture->final_path, "old");
	file = open_and_write(fixture->final_path, "new");
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_commit(file, ARK_COMMIT_NO_REPLACE, &err),
			 ARK_ERR_REFUSED);
	snprintf(expected, sizeof(expected), "'%s' already exists",
		 fixture->final_path);
	assert_string_equal(err.msg, expected);

	unit_read_file(fixture->final_path, content, sizeof(content));
	assert_string_equal(content, "old");
	/* The temporary is still there until abort or free... */
	assert_int_equal(unit_count_entries(fixture->dir), 2);
	ark_atomic_free(file);
	/* ...and then only the untouched original is left. */
	assert_int_equal(unit_count_entries(fixture->dir), 1);
	unit_read_file(fixture->final_path, content, sizeof(content));
	assert_string_equal(content, "old");
}

static void test_atomic_replace_replaces(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *file;
	struct ark_error err;
	char content[64];

	unit_write_file(fixture->final_path, "old");
	file = open_and_write(fixture->final_path, "new");
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_commit(file, ARK_COMMIT_REPLACE, &err), 0);
	ark_atomic_free(file);
	unit_read_file(fixture->final_path, content, sizeof(content));
	assert_string_equal(content, "new");
	assert_int_equal(unit_count_entries(fixture->dir), 1);
}

static void test_atomic_abort_removes_temp(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *file;
	struct ark_error err;
	char temp_path[PATH_MAX + 64];

	file = open_and_write(fixture->final_path, "data");
	snprintf(temp_path, sizeof(temp_path), "%s",
		 ark_atomic_temp_path(file));
	assert_true(path_exists(temp_path));
	ark_atomic_abort(file);
	assert_false(path_exists(temp_path));
	assert_int_equal(ark_atomic_fd(file), -1);
	ark_atomic_abort(file); /* twice is harmless */
	/* A commit after abort is a caller bug, reported, not a crash. */
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_commit(file, ARK_COMMIT_REPLACE, &err),
			 ARK_ERR_INTERNAL);
	ark_atomic_free(file);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
}

static void test_atomic_free_without_commit_removes_temp(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *file;

	file = open_and_write(fixture->final_path, "data");
	assert_int_equal(unit_count_entries(fixture->dir), 1);
	ark_atomic_free(file);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
	ark_atomic_free(NULL);
	ark_atomic_abort(NULL);
}

static void test_atomic_relative_path(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *file;
	struct ark_error err;
	char old_cwd[PATH_MAX];

	assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
	assert_int_equal(chdir(fixture->dir), 0);
	file = open_and_write("rel.bin", "x");
	assert_int_equal(strncmp(ark_atomic_temp_path(file),
				 ".rel.bin.ark-tmp-", 17),
			 0);
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_commit(file, ARK_COMMIT_NO_REPLACE, &err),
			 0);
	ark_atomic_free(file);
	assert_int_equal(chdir(old_cwd), 0);
	assert_int_equal(unit_count_entries(fixture->dir), 1);
}

static void test_atomic_open_missing_dir(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *file = (struct ark_atomic_file *)&file;
	struct ark_error err;
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/no/such/dir/out.bin", fixture->dir);
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_open(path, &file, &err), ARK_ERR_WRITE);
	assert_null(file);
	assert_error(err, ARK_ERR_WRITE, "cannot create temporary file '");
	assert_error(err, ARK_ERR_WRITE, "/no/such/dir/.out.bin.ark-tmp-");
	assert_error(err, ARK_ERR_WRITE, ": No such file or directory");
	assert_int_equal(err.sys_errno, ENOENT);

	ark_error_clear(&err);
	snprintf(path, sizeof(path), "%s/", fixture->dir);
	assert_int_equal(ark_atomic_open(path, &file, &err), ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "not a file name");
}

static void test_atomic_registry_is_bounded(void **state)
{
	struct fixture *fixture = *state;
	struct ark_atomic_file *files[16];
	struct ark_atomic_file *extra = NULL;
	struct ark_error err;
	char path[PATH_MAX + 64];
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "%s/f%d", fixture->dir, i);
		ark_error_clear(&err);
		assert_int_equal(ark_atomic_open(path, &files[i], &err), 0);
	}
	snprintf(path, sizeof(path), "%s/extra", fixture->dir);
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_open(path, &extra, &err),
			 ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "more than 16 atomic files");
	assert_int_equal(unit_count_entries(fixture->dir), 16);
	for (i = 0; i < 16; i++)
		ark_atomic_free(files[i]);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
	/* Slots are reusable. */
	ark_error_clear(&err);
	assert_int_equal(ark_atomic_open(path, &extra, &err), 0);
	ark_atomic_free(extra);
}

static void test_rename_noreplace(void **state)
{
	struct fixture *fixture = *state;
	struct ark_error err;
	char a[PATH_MAX + 64], b[PATH_MAX + 64], content[16];

	snprintf(a, sizeof(a), "%s/a", fixture->dir);
	snprintf(b, sizeof(b), "%s/b", fixture->dir);
	unit_write_file(a, "A");
	unit_write_file(b, "B");
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_rename_noreplace(a, b, &err),
			 ARK_ERR_REFUSED);
	assert_error(err, ARK_ERR_REFUSED, "already exists");
	unit_read_file(b, content, sizeof(content));
	assert_string_equal(content, "B");

	assert_int_equal(unlink(b), 0);
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_rename_noreplace(a, b, &err), 0);
	assert_false(path_exists(a));
	unit_read_file(b, content, sizeof(content));
	assert_string_equal(content, "A");

	ark_error_clear(&err);
	assert_int_equal(ark_fsio_rename_noreplace(a, b, &err), ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "cannot rename '");
}

static void test_write_all_disk_full(void **state)
{
	struct ark_error err;
	int fd;

	(void)state;
	fd = open("/dev/full", O_WRONLY);
	if (fd < 0)
		skip();
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_write_all(fd, "x", 1, "/dev/full", &err),
			 ARK_ERR_WRITE);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_string_equal(err.msg, "cannot write '/dev/full': No space "
				     "left on device (disk full)");
	close(fd);
}

static void test_write_all_bad_fd(void **state)
{
	struct ark_error err;

	(void)state;
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_write_all(-1, "x", 1, "f.bin", &err),
			 ARK_ERR_WRITE);
	assert_string_equal(err.msg,
			    "cannot write 'f.bin': Bad file descriptor");
	/* Nothing to write is not an error, whatever the fd. */
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_write_all(-1, "", 0, "f.bin", &err), 0);
}

static void test_pwrite_and_pread_all(void **state)
{
	struct fixture *fixture = *state;
	struct ark_error err;
	char buf[32];
	int fd;

	fd = open(fixture->final_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_pwrite_all(fd, "0123456789", 10, 0,
					     "out.bin", &err),
			 0);
	assert_int_equal(ark_fsio_pwrite_all(fd, "AB", 2, 4, "out.bin", &err),
			 0);

	memset(buf, 0, sizeof(buf));
	assert_int_equal(ark_fsio_pread_all(fd, buf, 10, 0, "out.bin", &err),
			 0);
	assert_string_equal(buf, "0123AB6789");
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ark_fsio_pread_all(fd, buf, 3, 7, "out.bin", &err),
			 0);
	assert_string_equal(buf, "789");
	close(fd);
}

static void test_pread_all_short_read_is_corrupt(void **state)
{
	struct fixture *fixture = *state;
	struct ark_error err;
	char buf[32];
	int fd;

	unit_write_file(fixture->final_path, "0123456789");
	fd = open(fixture->final_path, O_RDONLY);
	assert_true(fd >= 0);

	ark_error_clear(&err);
	assert_int_equal(ark_fsio_pread_all(fd, buf, 20, 0, "m.bin", &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg, "'m.bin': unexpected end of file at "
				     "offset 10 (10 more bytes expected)");

	ark_error_clear(&err);
	assert_int_equal(ark_fsio_pread_all(fd, buf, 5, 8, "m.bin", &err),
			 ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT, "unexpected end of file");

	ark_error_clear(&err);
	assert_int_equal(ark_fsio_pread_all(fd, buf, 1, 100, "m.bin", &err),
			 ARK_ERR_CORRUPT);
	close(fd);

	ark_error_clear(&err);
	assert_int_equal(ark_fsio_pread_all(-1, buf, 1, 0, "m.bin", &err),
			 ARK_ERR_READ);
	assert_string_equal(err.msg, "cannot read 'm.bin': Bad file "
				     "descriptor");
	assert_int_equal(err.sys_errno, EBADF);
}

static void test_fsync_dir_of(void **state)
{
	struct fixture *fixture = *state;
	struct ark_error err;
	char path[PATH_MAX + 64];

	ark_error_clear(&err);
	assert_int_equal(ark_fsio_fsync_dir_of(fixture->final_path, &err), 0);
	assert_int_equal(ark_fsio_fsync_dir_of("relative-name", &err), 0);
	assert_int_equal(ark_fsio_fsync_dir_of("/top-level", &err), 0);
	snprintf(path, sizeof(path), "%s/missing/x", fixture->dir);
	assert_int_equal(ark_fsio_fsync_dir_of(path, &err), ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "cannot open directory '");
	assert_error(err, ARK_ERR_WRITE, "/missing': No such file");
}

static int child_try_lock(void *arg)
{
	const char *lock_path = arg;
	struct ark_error err;
	char expected[PATH_MAX + 64];
	int fd = -1;
	int ret;

	ark_error_clear(&err);
	ret = ark_fsio_lock(lock_path, &fd, &err);
	if (ret == 0) {
		ark_fsio_unlock(fd);
		return 0;
	}
	snprintf(expected, sizeof(expected),
		 "'%s' is locked by another process", lock_path);
	if (ret != ARK_ERR_LOCKED || err.code != ARK_ERR_LOCKED ||
	    strcmp(err.msg, expected) != 0 || fd != -1)
		return 99;
	return 8;
}

static void test_lock_excludes_other_process(void **state)
{
	struct fixture *fixture = *state;
	struct ark_error err;
	char lock_path[PATH_MAX + 64];
	int fd = -1, second_fd = -1;

	snprintf(lock_path, sizeof(lock_path), "%s/repo.lock", fixture->dir);
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_lock(lock_path, &fd, &err), 0);
	assert_true(fd >= 0);
	assert_int_equal(file_mode(lock_path), 0600);

	assert_int_equal(unit_run_in_child(child_try_lock, lock_path), 8);

	/* Same process, second attempt: refused as well (flock). */
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_lock(lock_path, &second_fd, &err),
			 ARK_ERR_LOCKED);
	assert_int_equal(second_fd, -1);

	ark_fsio_unlock(fd);
	assert_int_equal(unit_run_in_child(child_try_lock, lock_path), 0);
	ark_fsio_unlock(-1);

	/* The lock file is left in place; removing it would race. */
	assert_true(path_exists(lock_path));
}

static void test_lock_unopenable(void **state)
{
	struct fixture *fixture = *state;
	struct ark_error err;
	char lock_path[PATH_MAX + 64];
	int fd = 1234;

	snprintf(lock_path, sizeof(lock_path), "%s/none/repo.lock",
		 fixture->dir);
	ark_error_clear(&err);
	assert_int_equal(ark_fsio_lock(lock_path, &fd, &err), ARK_ERR_WRITE);
	assert_int_equal(fd, -1);
	assert_error(err, ARK_ERR_WRITE, "cannot open lock file '");
}

static void test_free_space(void **state)
{
	struct fixture *fixture = *state;
	struct ark_error err;
	uint64_t bytes = 0;
	char path[PATH_MAX + 64];

	ark_error_clear(&err);
	assert_int_equal(ark_fsio_free_space(fixture->dir, &bytes, &err), 0);
	assert_true(bytes > 0);
	snprintf(path, sizeof(path), "%s/missing", fixture->dir);
	assert_int_equal(ark_fsio_free_space(path, &bytes, &err),
			 ARK_ERR_READ);
	assert_error(err, ARK_ERR_READ, "cannot get free space of '");
}

static void test_utc_stamp(void **state)
{
	char stamp[17];

	(void)state;
	ark_fsio_utc_stamp(stamp, 0);
	assert_string_equal(stamp, "19700101T000000Z");
	/* References from: date -u -d @N +%Y%m%dT%H%M%SZ */
	ark_fsio_utc_stamp(stamp, 1700000000);
	assert_string_equal(stamp, "20231114T221320Z");
	ark_fsio_utc_stamp(stamp, 951782400);
	assert_string_equal(stamp, "20000229T000000Z");
	ark_fsio_utc_stamp(stamp, 253402300799LL);
	assert_string_equal(stamp, "99991231T235959Z");
	ark_fsio_utc_stamp(stamp, -1);
	assert_string_equal(stamp, "19691231T235959Z");
	assert_int_equal(strlen(stamp), 16);
}

/*
 * In a child: install the handlers, open an atomic file, take a SIGTERM.
 * The temporary must be gone at once, the program must keep running, and
 * the stop flag must turn into ARK_ERR_INTERRUPTED.  Returns a distinct
 * status per failed check.
 */
static int child_signal_cleanup(void *arg)
{
	const struct fixture *fixture = arg;
	struct ark_atomic_file *file = NULL, *second = NULL;
	struct ark_error err;
	struct sigaction action;
	char temp_path[PATH_MAX + 64];

	ark_fsio_install_signal_handlers();
	if (sigaction(SIGTERM, NULL, &action) != 0 ||
	    action.sa_handler == SIG_DFL || action.sa_handler == SIG_IGN)
		return 10;
	if (action.sa_flags & SA_RESTART)
		return 11;
	if (ark_fsio_interrupted() || ark_fsio_check_interrupt(&err) != 0)
		return 12;

	ark_error_clear(&err);
	if (ark_atomic_open(fixture->final_path, &file, &err) != 0)
		return 13;
	snprintf(temp_path, sizeof(temp_path), "%s",
		 ark_atomic_temp_path(file));
	if (!path_exists(temp_path))
		return 14;

	raise(SIGTERM);

	if (path_exists(temp_path))
		return 15;
	if (!ark_fsio_interrupted())
		return 16;
	if (ark_fsio_check_interrupt(&err) != ARK_ERR_INTERRUPTED ||
	    err.code != ARK_ERR_INTERRUPTED ||
	    strcmp(err.msg, "interrupted by signal") != 0)
		return 17;
	/* Writes still work (to the unlinked file); the commit refuses. */
	ark_error_clear(&err);
	if (ark_fsio_write_all(ark_atomic_fd(file), "x", 1, "t", &err) != 0)
		return 18;
	if (ark_atomic_commit(file, ARK_COMMIT_NO_REPLACE, &err) !=
	    ARK_ERR_INTERRUPTED)
		return 19;
	ark_atomic_free(file);
	ark_error_clear(&err);
	if (ark_atomic_open(fixture->final_path, &second, &err) !=
	    ARK_ERR_INTERRUPTED)
		return 20;
	if (path_exists(fixture->final_path))
		return 21;
	return 0;
}

static void test_signal_removes_temporaries(void **state)
{
	struct fixture *fixture = *state;

	assert_int_equal(unit_run_in_child(child_signal_cleanup, fixture), 0);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
}

static int child_cleanup_temporaries(void *arg)
{
	const struct fixture *fixture = arg;
	struct ark_atomic_file *file = NULL;
	struct ark_error err;

	ark_error_clear(&err);
	if (ark_atomic_open(fixture->final_path, &file, &err) != 0)
		return 1;
	ark_fsio_cleanup_temporaries();
	if (unit_count_entries(fixture->dir) != 0)
		return 2;
	/* No signal, so no stop flag. */
	if (ark_fsio_interrupted())
		return 3;
	ark_atomic_free(file);
	return 0;
}

static void test_cleanup_temporaries_direct(void **state)
{
	struct fixture *fixture = *state;

	assert_int_equal(unit_run_in_child(child_cleanup_temporaries, fixture),
			 0);
}

/* ---- the watchdog, critical sections, SIGPIPE ---- */

/* Sleep for good, resuming after every signal, as SQLite's open() of a
 * FIFO does (robust_open retries EINTR). */
static void sleep_through_signals(void)
{
	for (;;) {
		struct timespec pause_time = { 10, 0 };

		(void)nanosleep(&pause_time, NULL);
	}
}

static void sleep_ms(long milliseconds)
{
	struct timespec left = { milliseconds / 1000,
				 (milliseconds % 1000) * 1000000L };

	while (nanosleep(&left, &left) != 0 && errno == EINTR)
		;
}

static long elapsed_ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - start->tv_sec) * 1000L +
	       (now.tv_nsec - start->tv_nsec) / 1000000L;
}

/* Registered with atexit() in the child before the handlers, if set. */
static void (*child_exit_hook)(void);

struct forced_exit {
	int status;     /* exit status, -1 when killed by a signal */
	long elapsed;   /* ms from fork to exit */
	char stderr_text[512];
};

/*
 * Fork; the child sends its stderr to DIR/stderr, names itself
 * "test_fsio", installs the handlers and runs body (which should never
 * return; its return value becomes the exit status if it does).  Killed
 * (status -1) when still alive after 5 s.
 */
static void run_to_forced_exit(const struct fixture *fixture,
			       int (*body)(const struct fixture *),
			       struct forced_exit *out)
{
	char stderr_path[PATH_MAX + 16];
	struct timespec start;
	pid_t pid;
	int status;

	snprintf(stderr_path, sizeof(stderr_path), "%s/stderr", fixture->dir);
	fflush(stdout);
	fflush(stderr);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(99);
		close(fd);
		ark_log_set_program("test_fsio");
		if (child_exit_hook != NULL)
			atexit(child_exit_hook);
		ark_fsio_install_signal_handlers();
		_exit(body(fixture));
	}
	/* Never hang the suite: a child alive after 5 s is killed. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (elapsed_ms_since(&start) > 5000) {
			kill(pid, SIGKILL);
			assert_int_equal(waitpid(pid, &status, 0), pid);
			break;
		}
		sleep_ms(5);
	}
	out->elapsed = elapsed_ms_since(&start);
	out->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (unit_read_file(stderr_path, out->stderr_text,
			   sizeof(out->stderr_text)) < 0)
		out->stderr_text[0] = '\0';
	unlink(stderr_path);
}

/* An atomic file open, one SIGTERM, then blocked for good. */
static int body_blocked_after_signal(const struct fixture *fixture)
{
	struct ark_atomic_file *file = NULL;
	struct ark_error err;

	ark_error_clear(&err);
	if (ark_atomic_open(fixture->final_path, &file, &err) != 0)
		return 1;
	raise(SIGTERM);
	sleep_through_signals();
	return 2;
}

static void test_watchdog_ends_blocked_program(void **state)
{
	struct fixture *fixture = *state;
	struct forced_exit result;

	run_to_forced_exit(fixture, body_blocked_after_signal, &result);
	assert_int_equal(result.status, 130);
	assert_string_equal(result.stderr_text,
			    "test_fsio: error: interrupted by signal\n");
	/* within a second of the signal, not before the watchdog's 0.8 s */
	if (result.elapsed < 750 || result.elapsed > 1300)
		fail_msg("ended %ld ms after the signal", result.elapsed);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
}

/* Two signals: the second ends the program at once. */
static int body_two_signals(const struct fixture *fixture)
{
	struct ark_atomic_file *file = NULL;
	struct ark_error err;

	ark_error_clear(&err);
	if (ark_atomic_open(fixture->final_path, &file, &err) != 0)
		return 1;
	raise(SIGINT);
	raise(SIGTERM);
	sleep_through_signals();
	return 2;
}

static void test_second_signal_ends_at_once(void **state)
{
	struct fixture *fixture = *state;
	struct forced_exit result;

	run_to_forced_exit(fixture, body_two_signals, &result);
	assert_int_equal(result.status, 130);
	assert_string_equal(result.stderr_text,
			    "test_fsio: error: interrupted by signal\n");
	if (result.elapsed > 300)
		fail_msg("ended %ld ms after the second signal",
			 result.elapsed);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
}

static void slow_exit(void)
{
	sleep_ms(1500);
}

/*
 * The program unwinds and reports by itself, then exit() takes long (as
 * under LeakSanitizer): the watchdog must not add a second message.
 */
static int body_slow_exit(const struct fixture *fixture)
{
	static const char report[] = "test_fsio: error: own report\n";

	(void)fixture;
	raise(SIGTERM);
	if (write(STDERR_FILENO, report, sizeof(report) - 1) < 0)
		return 1;
	exit(131);
}

static void test_watchdog_quiet_once_exit_begins(void **state)
{
	struct fixture *fixture = *state;
	struct forced_exit result;

	/* registered before the handlers: runs after their exit hook */
	child_exit_hook = slow_exit;
	run_to_forced_exit(fixture, body_slow_exit, &result);
	child_exit_hook = NULL;
	assert_int_equal(result.status, 131);
	assert_string_equal(result.stderr_text,
			    "test_fsio: error: own report\n");
	if (result.elapsed < 1500)
		fail_msg("exit took only %ld ms", result.elapsed);
}

/* A thread with the stop signals unblocked, as zstd's workers have. */
static void *other_thread(void *arg)
{
	sigset_t all;

	(void)arg;
	sigemptyset(&all);
	sigaddset(&all, SIGINT);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &all, NULL);
	sleep_through_signals();
	return NULL;
}

/*
 * The watchdog fires inside a critical section (and lands in the other
 * thread, the only one not blocking it): the program must live on until
 * the section ends, then end at once.
 */
static int body_critical_section(const struct fixture *fixture)
{
	struct ark_atomic_file *file = NULL;
	struct ark_error err;
	char marker[PATH_MAX + 16];
	pthread_t thread;
	sigset_t saved;
	int fd;

	ark_error_clear(&err);
	if (ark_atomic_open(fixture->final_path, &file, &err) != 0)
		return 1;
	raise(SIGTERM); /* the watchdog is armed: 0.8 s */
	ark_fsio_block_signals(&saved);
	if (pthread_create(&thread, NULL, other_thread, NULL) != 0)
		return 3;
	sleep_ms(1300);
	snprintf(marker, sizeof(marker), "%s/survived", fixture->dir);
	fd = open(marker, O_WRONLY | O_CREAT, 0600);
	if (fd < 0)
		return 4;
	close(fd);
	ark_fsio_restore_signals(&saved);
	sleep_through_signals();
	return 2;
}

static void test_critical_section_holds_off_forced_exit(void **state)
{
	struct fixture *fixture = *state;
	struct forced_exit result;
	char marker[PATH_MAX + 16];

	run_to_forced_exit(fixture, body_critical_section, &result);
	assert_int_equal(result.status, 130);
	assert_string_equal(result.stderr_text,
			    "test_fsio: error: interrupted by signal\n");
	if (result.elapsed < 1300 || result.elapsed > 2000)
		fail_msg("ended %ld ms after the signal", result.elapsed);
	snprintf(marker, sizeof(marker), "%s/survived", fixture->dir);
	assert_true(path_exists(marker));
	unlink(marker);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
}

/*
 * A stop signal delivered to another thread during a critical section
 * sets the flag but leaves the temporary (about to be renamed) alone;
 * leaving the section removes it.
 */
static int child_signal_in_section(void *arg)
{
	const struct fixture *fixture = arg;
	struct ark_atomic_file *file = NULL;
	struct ark_error err;
	char temp_path[PATH_MAX + 64];
	pthread_t thread;
	sigset_t saved;
	int waited;

	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	if (ark_atomic_open(fixture->final_path, &file, &err) != 0)
		return 1;
	snprintf(temp_path, sizeof(temp_path), "%s",
		 ark_atomic_temp_path(file));
	ark_fsio_block_signals(&saved);
	if (pthread_create(&thread, NULL, other_thread, NULL) != 0)
		return 2;
	kill(getpid(), SIGTERM);
	for (waited = 0; !ark_fsio_interrupted() && waited < 500; waited++)
		sleep_ms(1);
	if (!ark_fsio_interrupted())
		return 3;
	if (!path_exists(temp_path))
		return 4;
	ark_fsio_restore_signals(&saved);
	if (path_exists(temp_path))
		return 5;
	return 0;
}

static void test_signal_in_critical_section_keeps_temporary(void **state)
{
	struct fixture *fixture = *state;

	assert_int_equal(unit_run_in_child(child_signal_in_section, fixture),
			 0);
	assert_int_equal(unit_count_entries(fixture->dir), 0);
}

/* After install, a write to a pipe nobody reads is EPIPE, not death. */
static int child_sigpipe(void *arg)
{
	struct ark_error err;
	int fds[2];

	(void)arg;
	signal(SIGPIPE, SIG_DFL);
	ark_fsio_install_signal_handlers();
	if (pipe(fds) != 0)
		return 1;
	close(fds[0]);
	ark_error_clear(&err);
	if (ark_fsio_write_all(fds[1], "x", 1, "standard output", &err) !=
	    ARK_ERR_WRITE)
		return 2;
	if (err.sys_errno != EPIPE)
		return 3;
	return 0;
}

static void test_sigpipe_ignored(void **state)
{
	(void)state;
	assert_int_equal(unit_run_in_child(child_sigpipe, NULL), 0);
}

static void test_dir_of(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(ark_fsio_dir_of("a/b/c.db", out, sizeof(out)), 0);
	assert_string_equal(out, "a/b");
	assert_int_equal(ark_fsio_dir_of("c.db", out, sizeof(out)), 0);
	assert_string_equal(out, ".");
	assert_int_equal(ark_fsio_dir_of("/c.db", out, sizeof(out)), 0);
	assert_string_equal(out, "/");
	assert_int_equal(ark_fsio_dir_of("/abs/dir/c.db", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/abs/dir");
	/* too long for the buffer: refused, not cut */
	assert_int_equal(ark_fsio_dir_of("0123456789abcdef/x", out,
					 sizeof(out)), -1);
}

int main(void)
{
#define DIR_TEST(name) cmocka_unit_test_setup_teardown(name, setup_dir, \
							teardown_dir)
	const struct CMUnitTest tests[] = {
		DIR_TEST(test_atomic_commit_creates_final_0600),
		DIR_TEST(test_atomic_no_replace_refuses_existing),
		DIR_TEST(test_atomic_replace_replaces),
		DIR_TEST(test_atomic_abort_removes_temp),
		DIR_TEST(test_atomic_free_without_commit_removes_temp),
		DIR_TEST(test_atomic_relative_path),
		DIR_TEST(test_atomic_open_missing_dir),
		DIR_TEST(test_atomic_registry_is_bounded),
		DIR_TEST(test_rename_noreplace),
		cmocka_unit_test(test_write_all_disk_full),
		cmocka_unit_test(test_write_all_bad_fd),
		DIR_TEST(test_pwrite_and_pread_all),
		DIR_TEST(test_pread_all_short_read_is_corrupt),
		DIR_TEST(test_fsync_dir_of),
		DIR_TEST(test_lock_excludes_other_process),
		DIR_TEST(test_lock_unopenable),
		DIR_TEST(test_free_space),
		cmocka_unit_test(test_dir_of),
		cmocka_unit_test(test_utc_stamp),
		DIR_TEST(test_signal_removes_temporaries),
		DIR_TEST(test_cleanup_temporaries_direct),
		DIR_TEST(test_watchdog_ends_blocked_program),
		DIR_TEST(test_second_signal_ends_at_once),
		DIR_TEST(test_critical_section_holds_off_forced_exit),
		DIR_TEST(test_watchdog_quiet_once_exit_begins),
		DIR_TEST(test_signal_in_critical_section_keeps_temporary),
		cmocka_unit_test(test_sigpipe_ignored),
	};
#undef DIR_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
