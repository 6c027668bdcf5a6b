/*
 * fsio.c - durable atomic files, advisory locks, and the SIGINT/SIGTERM/
 * SIGHUP stop flag.
 *
 * Live temporaries are listed in a fixed table that the signal handler can
 * walk without allocating or locking: a slot's path is written first and
 * the slot published with a release store, the handler reads the flag with
 * an acquire load and unlink()s (async-signal-safe).  Registration itself
 * is serialised by a mutex the handler never takes, and runs with the stop
 * signals blocked in the calling thread so a signal cannot fall between
 * mkstemp() and the publication of the new path.
 */
#include "ark/fsio.h"
#include "ark/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FSIO_TEMP_SLOTS 16
#define FSIO_TEMP_SUFFIX ".ark-tmp-XXXXXX"
/* ark_atomic_open_short(): no final name in it, so never longer than it. */
#define FSIO_TEMP_SHORT ".ark-tmp-XXXXXX"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
	       "the signal handler needs lock-free atomic_int");

static char fsio_temp_paths[FSIO_TEMP_SLOTS][PATH_MAX];
static atomic_int fsio_temp_live[FSIO_TEMP_SLOTS];
/*
 * The lock file of ark_fsio_lock_removable(), removed like a temporary
 * when a stop signal ends the process (the lock itself goes with the
 * process).  One at a time.
 */
static char fsio_lock_path[PATH_MAX];
static atomic_int fsio_lock_live;
static int fsio_lock_fd = -1;
static pthread_mutex_t fsio_temp_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The signal number that asked us to stop, 0 while running. */
static volatile sig_atomic_t fsio_stop_signal;
/* Called by the first stop signal (ark_fsio_set_stop_hook), or NULL. */
static _Atomic(ark_fsio_stop_hook) fsio_stop_hook;

struct ark_atomic_file {
	int fd;           /* the temporary, -1 once closed */
	int slot;         /* registry slot, -1 when not registered */
	int committed;    /* renamed to final_path */
	int synced;       /* fsynced and closed; only the rename is left */
	char *final_path;
	char *temp_path;
};

/*
 * Like ark_error_set(), with "(disk full)" after the strerror text of
 * ENOSPC so the user sees at once what to fix.
 */
static int fsio_fail(struct ark_error *err, int code, int sys_errno,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fsio_fail(struct ark_error *err, int code, int sys_errno,
		     const char *fmt, ...)
{
	char what[ARK_ERROR_MSG_MAX];
	char buf[256];
	va_list args;

	va_start(args, fmt);
	if (vsnprintf(what, sizeof(what), fmt, args) < 0)
		what[0] = '\0';
	va_end(args);

	if (sys_errno != ENOSPC)
		return ark_error_set(err, code, sys_errno, "%s", what);

	if (err != NULL && err->code == ARK_OK) {
		ark_error_set(err, code, 0, "%s: %s (disk full)", what,
			      strerror_r(sys_errno, buf, sizeof(buf)));
		err->sys_errno = sys_errno;
	}
	return code;
}

static const char *fsio_name(const char *path)
{
	return path != NULL ? path : "(unnamed file)";
}

/* ---- the temporary registry ---- */

static void fsio_unregister(struct ark_atomic_file *file)
{
	if (file->slot < 0)
		return;
	pthread_mutex_lock(&fsio_temp_mutex);
	atomic_store_explicit(&fsio_temp_live[file->slot], 0,
			      memory_order_release);
	pthread_mutex_unlock(&fsio_temp_mutex);
	file->slot = -1;
}

void ark_fsio_cleanup_temporaries(void)
{
	int slot;

	for (slot = 0; slot < FSIO_TEMP_SLOTS; slot++) {
		if (atomic_load_explicit(&fsio_temp_live[slot],
					 memory_order_acquire) == 1)
			(void)unlink(fsio_temp_paths[slot]);
	}
	if (atomic_load_explicit(&fsio_lock_live, memory_order_acquire) == 1)
		(void)unlink(fsio_lock_path);
}

/* ---- atomic files ---- */

static int fsio_atomic_open(const char *final_path, int short_name,
			    struct ark_atomic_file **out,
			    struct ark_error *err)
{
	struct ark_atomic_file *file = NULL;
	const char *base;
	size_t dir_len, temp_size;
	sigset_t old_mask;
	int slot, saved_errno = 0;
	int ret = 0;

	*out = NULL;
	ret = ark_fsio_check_interrupt(err);
	if (ret != 0)
		goto cleanup;

	base = strrchr(final_path, '/');
	base = base != NULL ? base + 1 : final_path;
	if (base[0] == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		ret = ark_error_set(err, ARK_ERR_WRITE, 0,
				    "cannot write '%s': not a file name",
				    final_path);
		goto cleanup;
	}
	dir_len = (size_t)(base - final_path);

	file = calloc(1, sizeof(*file));
	if (file == NULL)
		goto out_of_memory;
	file->fd = -1;
	file->slot = -1;
	file->final_path = strdup(final_path);
	if (short_name)
		temp_size = dir_len + sizeof(FSIO_TEMP_SHORT);
	else
		temp_size = dir_len + 1 + strlen(base) +
			    sizeof(FSIO_TEMP_SUFFIX);
	file->temp_path = malloc(temp_size);
	if (file->final_path == NULL || file->temp_path == NULL)
		goto out_of_memory;
	if (short_name)
		snprintf(file->temp_path, temp_size, "%.*s%s", (int)dir_len,
			 final_path, FSIO_TEMP_SHORT);
	else
		snprintf(file->temp_path, temp_size, "%.*s.%s%s",
			 (int)dir_len, final_path, base, FSIO_TEMP_SUFFIX);
	if (temp_size > PATH_MAX) {
		ret = fsio_fail(err, ARK_ERR_WRITE, ENAMETOOLONG,
				"cannot create a temporary file for '%s'",
				final_path);
		goto cleanup;
	}

	ark_fsio_block_signals(&old_mask);
	pthread_mutex_lock(&fsio_temp_mutex);
	for (slot = 0; slot < FSIO_TEMP_SLOTS; slot++) {
		if (atomic_load_explicit(&fsio_temp_live[slot],
					 memory_order_relaxed) == 0)
			break;
	}
	if (slot < FSIO_TEMP_SLOTS) {
		/* mkostemp() creates the file 0600 whatever the umask. */
		file->fd = mkostemp(file->temp_path, O_CLOEXEC);
		saved_errno = errno;
		if (file->fd >= 0) {
			memcpy(fsio_temp_paths[slot], file->temp_path,
			       temp_size);
			atomic_store_explicit(&fsio_temp_live[slot], 1,
					      memory_order_release);
			file->slot = slot;
		}
	}
	pthread_mutex_unlock(&fsio_temp_mutex);
	ark_fsio_restore_signals(&old_mask);

	if (slot == FSIO_TEMP_SLOTS) {
		ret = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				    "cannot write '%s': more than %d atomic "
				    "files open at once",
				    final_path, FSIO_TEMP_SLOTS);
		goto cleanup;
	}
	if (file->fd < 0) {
		ret = fsio_fail(err, ARK_ERR_WRITE, saved_errno,
				"cannot create temporary file '%s'",
				file->temp_path);
		goto cleanup;
	}

	*out = file;
	file = NULL;
	goto cleanup;

out_of_memory:
	ret = ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
			    "cannot write '%s'", final_path);
cleanup:
	ark_atomic_free(file);
	return ret;
}

int ark_atomic_open(const char *final_path, struct ark_atomic_file **out,
		    struct ark_error *err)
{
	return fsio_atomic_open(final_path, 0, out, err);
}

int ark_atomic_open_short(const char *final_path,
			  struct ark_atomic_file **out, struct ark_error *err)
{
	return fsio_atomic_open(final_path, 1, out, err);
}

int ark_atomic_fd(const struct ark_atomic_file *file)
{
	return file != NULL ? file->fd : -1;
}

const char *ark_atomic_temp_path(const struct ark_atomic_file *file)
{
	return file != NULL ? file->temp_path : NULL;
}

const char *ark_atomic_final_path(const struct ark_atomic_file *file)
{
	return file != NULL ? file->final_path : NULL;
}

int ark_atomic_commit(struct ark_atomic_file *file, enum ark_commit_mode mode,
		      struct ark_error *err)
{
	int fd;
	int ret = 0;

	if (file == NULL || file->committed ||
	    (file->fd < 0 && !file->synced)) {
		ret = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				    "commit of an atomic file that is not "
				    "open");
		goto cleanup;
	}
	ret = ark_fsio_check_interrupt(err);
	if (ret != 0)
		goto cleanup;

	if (file->synced)
		goto move; /* a retry under another name (retarget) */
	if (fsync(file->fd) != 0) {
		ret = fsio_fail(err, ARK_ERR_WRITE, errno, "cannot write '%s'",
				file->final_path);
		goto cleanup;
	}
	fd = file->fd;
	file->fd = -1;
	/* Linux closes the descriptor even on EINTR; the data is synced. */
	if (close(fd) != 0 && errno != EINTR) {
		ret = fsio_fail(err, ARK_ERR_WRITE, errno, "cannot write '%s'",
				file->final_path);
		goto cleanup;
	}
	file->synced = 1;
move:

	if (mode == ARK_COMMIT_NO_REPLACE) {
		ret = ark_fsio_rename_noreplace(file->temp_path,
						file->final_path, err);
		if (ret != 0)
			goto cleanup;
	} else if (rename(file->temp_path, file->final_path) != 0) {
		int saved_errno = errno;

		/* The signal handler may have removed the temporary. */
		if (saved_errno == ENOENT && ark_fsio_interrupted())
			ret = ark_fsio_check_interrupt(err);
		else
			ret = fsio_fail(err, ARK_ERR_WRITE, saved_errno,
					"cannot rename '%s' to '%s'",
					file->temp_path, file->final_path);
		goto cleanup;
	}
	file->committed = 1;
	fsio_unregister(file);

	ret = ark_fsio_fsync_dir_of(file->final_path, err);

cleanup:
	return ret;
}

int ark_atomic_retarget(struct ark_atomic_file *file, const char *final_path,
			struct ark_error *err)
{
	char *copy;

	if (file == NULL || file->committed || file->slot < 0)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "retarget of an atomic file that is not "
				     "pending");
	copy = strdup(final_path);
	if (copy == NULL)
		return ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
				     "cannot write '%s'", final_path);
	free(file->final_path);
	file->final_path = copy;
	return 0;
}

void ark_atomic_abort(struct ark_atomic_file *file)
{
	int saved_errno = errno;

	if (file == NULL)
		return;
	if (file->fd >= 0) {
		(void)close(file->fd);
		file->fd = -1;
	}
	if (!file->committed && file->slot >= 0) {
		(void)unlink(file->temp_path);
		fsio_unregister(file);
	}
	errno = saved_errno;
}

void ark_atomic_free(struct ark_atomic_file *file)
{
	if (file == NULL)
		return;
	ark_atomic_abort(file);
	free(file->final_path);
	free(file->temp_path);
	free(file);
}

/* ---- whole reads and writes ---- */

static int fsio_offset_ok(uint64_t offset, size_t len)
{
	return offset <= (uint64_t)INT64_MAX &&
	       (uint64_t)len <= (uint64_t)INT64_MAX - offset;
}

/*
 * The one write loop: write() at the file offset when offset is NULL,
 * pwrite() at *offset otherwise.  Retries EINTR (unless a stop signal
 * came) and short writes.
 */
static int fsio_write_loop(int fd, const void *buf, size_t len,
			   const uint64_t *offset, const char *what_path,
			   struct ark_error *err)
{
	const unsigned char *next = buf;
	uint64_t at = offset ? *offset : 0;

	if (offset && !fsio_offset_ok(at, len))
		return fsio_fail(err, ARK_ERR_WRITE, EFBIG,
				 "cannot write '%s' at offset %" PRIu64,
				 fsio_name(what_path), at);
	while (len > 0) {
		ssize_t written = offset ? pwrite(fd, next, len, (off_t)at)
					 : write(fd, next, len);

		if (written < 0) {
			if (errno == EINTR) {
				if (ark_fsio_interrupted())
					return ark_fsio_check_interrupt(err);
				continue;
			}
			return fsio_fail(err, ARK_ERR_WRITE, errno,
					 "cannot write '%s'",
					 fsio_name(what_path));
		}
		if (written == 0)
			return ark_error_set(err, ARK_ERR_WRITE, 0,
					     "cannot write '%s': no progress",
					     fsio_name(what_path));
		next += written;
		len -= (size_t)written;
		at += (uint64_t)written;
	}
	return 0;
}

int ark_fsio_write_all(int fd, const void *buf, size_t len,
		       const char *what_path, struct ark_error *err)
{
	return fsio_write_loop(fd, buf, len, NULL, what_path, err);
}

int ark_fsio_pwrite_all(int fd, const void *buf, size_t len, uint64_t offset,
			const char *what_path, struct ark_error *err)
{
	return fsio_write_loop(fd, buf, len, &offset, what_path, err);
}

int ark_fsio_pread_all(int fd, void *buf, size_t len, uint64_t offset,
		       const char *what_path, struct ark_error *err)
{
	unsigned char *next = buf;

	if (!fsio_offset_ok(offset, len))
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "'%s': offset %" PRIu64 " out of range",
				     fsio_name(what_path), offset);
	while (len > 0) {
		ssize_t got = pread(fd, next, len, (off_t)offset);

		if (got < 0) {
			if (errno == EINTR) {
				if (ark_fsio_interrupted())
					return ark_fsio_check_interrupt(err);
				continue;
			}
			return ark_error_set(err, ARK_ERR_READ, errno,
					     "cannot read '%s'",
					     fsio_name(what_path));
		}
		if (got == 0)
			return ark_error_set(err, ARK_ERR_CORRUPT, 0,
					     "'%s': unexpected end of file at "
					     "offset %" PRIu64 " (%zu more bytes "
					     "expected)",
					     fsio_name(what_path), offset, len);
		next += got;
		len -= (size_t)got;
		offset += (uint64_t)got;
	}
	return 0;
}

/* ---- directories, renames, locks, space ---- */

int ark_fsio_dir_of(const char *path, char *out, size_t room)
{
	const char *slash = strrchr(path, '/');
	int len;

	if (slash == NULL)
		len = snprintf(out, room, ".");
	else if (slash == path)
		len = snprintf(out, room, "/");
	else
		len = snprintf(out, room, "%.*s", (int)(slash - path), path);
	return len < 0 || (size_t)len >= room ? -1 : 0;
}

int ark_fsio_fsync_dir_of(const char *path, struct ark_error *err)
{
	char dir[PATH_MAX];
	int fd = -1;
	int ret = 0;

	if (ark_fsio_dir_of(path, dir, sizeof(dir)) != 0) {
		ret = ark_error_set(err, ARK_ERR_WRITE, ENAMETOOLONG,
				    "cannot sync the directory of '%s'", path);
		goto cleanup;
	}

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = ark_error_set(err, ARK_ERR_WRITE, errno,
				    "cannot open directory '%s'", dir);
		goto cleanup;
	}
	/* Some filesystems cannot sync a directory; nothing to lose there. */
	if (fsync(fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
		ret = fsio_fail(err, ARK_ERR_WRITE, errno,
				"cannot sync directory '%s'", dir);
		goto cleanup;
	}

cleanup:
	if (fd >= 0)
		(void)close(fd);
	return ret;
}

int ark_fsio_require_dir(const char *dir, const char *path,
			 struct ark_error *err)
{
	struct stat st;
	int stat_errno = stat(dir, &st) == 0 ? 0 : errno;

	if (stat_errno == ENOENT)
		return ark_error_set(err, ARK_ERR_WRITE, 0,
				     "cannot write '%s': directory '%s' does "
				     "not exist", path, dir);
	if (stat_errno == ENOTDIR || (stat_errno == 0 && !S_ISDIR(st.st_mode)))
		return ark_error_set(err, ARK_ERR_WRITE, 0,
				     "cannot write '%s': '%s' is not a "
				     "directory", path, dir);
	if (stat_errno != 0)
		return ark_error_set(err, ARK_ERR_WRITE, stat_errno,
				     "cannot write '%s': '%s'", path, dir);
	return 0;
}

int ark_fsio_rename_noreplace(const char *old_path, const char *new_path,
			      struct ark_error *err)
{
	int saved_errno;

	if (renameat2(AT_FDCWD, old_path, AT_FDCWD, new_path,
		      RENAME_NOREPLACE) == 0)
		return 0;
	saved_errno = errno;
	if (saved_errno == EEXIST)
		return ark_error_set(err, ARK_ERR_REFUSED, 0,
				     "'%s' already exists", new_path);
	if (saved_errno != EINVAL && saved_errno != ENOSYS) {
		/* The signal handler may have removed the temporary. */
		if (saved_errno == ENOENT && ark_fsio_interrupted())
			return ark_fsio_check_interrupt(err);
		return fsio_fail(err, ARK_ERR_WRITE, saved_errno,
				 "cannot rename '%s' to '%s'", old_path,
				 new_path);
	}

	/* No RENAME_NOREPLACE here: link() refuses an existing name too. */
	if (link(old_path, new_path) != 0) {
		saved_errno = errno;
		if (saved_errno == EEXIST)
			return ark_error_set(err, ARK_ERR_REFUSED, 0,
					     "'%s' already exists", new_path);
		return fsio_fail(err, ARK_ERR_WRITE, saved_errno,
				 "cannot link '%s' to '%s'", old_path,
				 new_path);
	}
	if (unlink(old_path) != 0 && errno != ENOENT)
		return ark_error_set(err, ARK_ERR_WRITE, errno,
				     "cannot remove '%s'", old_path);
	return 0;
}

int ark_fsio_lock(const char *lock_path, int *fd_out, struct ark_error *err)
{
	struct stat st;
	int fd = -1;
	int ret = 0;

	*fd_out = -1;
	/*
	 * Never through a symlink: in a directory others can write, a link
	 * planted under the lock name would make us create (or lock) a file
	 * wherever it points.  Nor anything but a regular file.
	 */
	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY |
				     O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		ret = ark_error_set(err, ARK_ERR_WRITE, errno,
				    "cannot open lock file '%s'%s", lock_path,
				    errno == ELOOP ? " (it is a symbolic "
						     "link; remove it)"
						   : "");
		goto cleanup;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ret = ark_error_set(err, ARK_ERR_WRITE, 0,
				    "lock file '%s' is not a regular file; "
				    "remove it", lock_path);
		goto cleanup;
	}
	/*
	 * flock() locks belong to the open file description, so a second
	 * ark_fsio_lock() in the same process is refused as well, and
	 * closing an unrelated descriptor of the file does not drop it.
	 */
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int saved_errno = errno;

		if (saved_errno == EINTR)
			continue;
		if (saved_errno == EWOULDBLOCK || saved_errno == EAGAIN ||
		    saved_errno == EACCES)
			ret = ark_error_set(err, ARK_ERR_LOCKED, 0,
					    "'%s' is locked by another process",
					    lock_path);
		else
			ret = ark_error_set(err, ARK_ERR_WRITE, saved_errno,
					    "cannot lock '%s'", lock_path);
		goto cleanup;
	}
	*fd_out = fd;
	fd = -1;

cleanup:
	if (fd >= 0)
		(void)close(fd);
	return ret;
}

int ark_fsio_lock_removable(const char *lock_path, int *fd_out,
			    struct ark_error *err)
{
	sigset_t old_mask;
	int rc = ark_fsio_lock(lock_path, fd_out, err);

	if (rc || strlen(lock_path) >= sizeof(fsio_lock_path))
		return rc;
	ark_fsio_block_signals(&old_mask);
	if (atomic_load_explicit(&fsio_lock_live, memory_order_relaxed) == 0) {
		memcpy(fsio_lock_path, lock_path, strlen(lock_path) + 1);
		fsio_lock_fd = *fd_out;
		atomic_store_explicit(&fsio_lock_live, 1,
				      memory_order_release);
	}
	ark_fsio_restore_signals(&old_mask);
	return 0;
}

/* The signal handler must no longer remove it: it may be another's now. */
static void fsio_lock_forget(int fd)
{
	sigset_t old_mask;

	ark_fsio_block_signals(&old_mask);
	if (fd == fsio_lock_fd) {
		atomic_store_explicit(&fsio_lock_live, 0,
				      memory_order_release);
		fsio_lock_fd = -1;
	}
	ark_fsio_restore_signals(&old_mask);
}

void ark_fsio_unlock_remove(const char *lock_path, int fd)
{
	if (fd < 0)
		return;
	fsio_lock_forget(fd);
	(void)unlink(lock_path);
	(void)close(fd);
}

void ark_fsio_unlock(int fd)
{
	if (fd < 0)
		return;
	fsio_lock_forget(fd);
	/* Closing the last descriptor of the description drops the lock. */
	(void)close(fd);
}

int ark_fsio_free_space(const char *path, uint64_t *bytes_out,
			struct ark_error *err)
{
	struct statvfs info;
	uint64_t block_size;

	*bytes_out = 0;
	if (statvfs(path, &info) != 0)
		return ark_error_set(err, ARK_ERR_READ, errno,
				     "cannot get free space of '%s'", path);
	block_size = info.f_frsize != 0 ? info.f_frsize : info.f_bsize;
	if (block_size != 0 && info.f_bavail > UINT64_MAX / block_size)
		*bytes_out = UINT64_MAX;
	else
		*bytes_out = (uint64_t)info.f_bavail * block_size;
	return 0;
}

/* ---- signals ---- */

/*
 * How long the program gets to unwind on its own after the first stop
 * signal before the watchdog ends it.  Unwinding normally takes a few
 * milliseconds (every loop checks the stop flag); the watchdog is for a
 * call that never returns, e.g. SQLite's open() of a FIFO planted as
 * "-journal", which it retries on EINTR.  800 ms keeps "the first signal
 * ends the tool within a second" true.
 */
#define FSIO_WATCHDOG_MS 800
#define FSIO_INTERRUPTED_MESSAGE "interrupted by signal"
/* Retry delay when the watchdog fires inside a critical section. */
#define FSIO_WATCHDOG_RETRY_MS 50
/* fsio_critical_depth once the forced exit has begun. */
#define FSIO_EXITING (-1000000)

/*
 * Number of threads inside ark_fsio_block_signals() sections, or
 * FSIO_EXITING.  Process-wide, because a signal blocked in the thread that
 * runs the section is still delivered to any other thread (zstd workers).
 */
static atomic_int fsio_critical_depth;
/* "<program>: error: interrupted by signal\n", built at install time. */
static char fsio_exit_line[256];
static size_t fsio_exit_line_len;
static int fsio_exit_status = 130;

static void fsio_arm_watchdog(long milliseconds)
{
	struct itimerval timer;

	memset(&timer, 0, sizeof(timer));
	timer.it_value.tv_sec = milliseconds / 1000;
	timer.it_value.tv_usec = (milliseconds % 1000) * 1000;
	/* setitimer() is a plain system call on Linux: safe in a handler. */
	(void)setitimer(ITIMER_REAL, &timer, NULL);
}

/*
 * End the process now: remove the temporaries, say why on stderr the
 * way ark_cli_report() would, _exit(130).  Inside a critical section (in
 * any thread) the exit is put off and retried shortly, so it never lands
 * between the renames of a swap.  Async-signal-safe.
 */
static void fsio_forced_exit(void)
{
	int idle = 0;
	ssize_t written;

	if (!atomic_compare_exchange_strong(&fsio_critical_depth, &idle,
					    FSIO_EXITING)) {
		if (idle != FSIO_EXITING)
			fsio_arm_watchdog(FSIO_WATCHDOG_RETRY_MS);
		return;
	}
	ark_fsio_cleanup_temporaries();
	do
		written = write(STDERR_FILENO, fsio_exit_line,
				fsio_exit_line_len);
	while (written < 0 && errno == EINTR);
	_exit(fsio_exit_status);
}

/*
 * The stop hook (e.g. PQcancel of running statements) may block on the
 * network: it runs with the stop signals and SIGALRM unblocked, so the
 * watchdog and a second signal still end the process when it hangs.
 * The handler's return restores the mask.
 */
static void fsio_stop_signal_set(sigset_t *set);

static void fsio_run_stop_hook(void)
{
	ark_fsio_stop_hook hook = atomic_load(&fsio_stop_hook);
	sigset_t set;

	if (hook == NULL)
		return;
	fsio_stop_signal_set(&set);
	(void)pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	hook();
}

static void fsio_signal_handler(int signo)
{
	int saved_errno = errno;

	if (fsio_stop_signal != 0) {
		/* A second signal: the user does not want to wait. */
		fsio_forced_exit();
	} else {
		fsio_stop_signal = signo;
		/*
		 * Mid-swap the temporary is about to be renamed: leave it to
		 * ark_fsio_restore_signals(), which removes what is left.
		 */
		if (atomic_load(&fsio_critical_depth) == 0)
			ark_fsio_cleanup_temporaries();
		fsio_arm_watchdog(FSIO_WATCHDOG_MS);
		fsio_run_stop_hook();
	}
	errno = saved_errno;
}

static void fsio_watchdog_handler(int signo)
{
	int saved_errno = errno;

	(void)signo;
	if (fsio_stop_signal != 0)
		fsio_forced_exit();
	errno = saved_errno;
}

/*
 * exit() has begun (an atexit handler, registered at install): the
 * program has reported what it had to, so neither the watchdog nor a
 * second signal may add a second message or change the exit status, even
 * when exit takes long (LeakSanitizer's check under ASan takes seconds).
 */
static void fsio_exit_begun(void)
{
	struct itimerval off;
	int idle = 0;

	memset(&off, 0, sizeof(off));
	(void)setitimer(ITIMER_REAL, &off, NULL);
	(void)atomic_compare_exchange_strong(&fsio_critical_depth, &idle,
					     FSIO_EXITING);
}

static void fsio_stop_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGALRM);
}

void ark_fsio_block_signals(sigset_t *saved)
{
	sigset_t set;
	int depth;

	fsio_stop_signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, saved);
	depth = atomic_load(&fsio_critical_depth);
	do {
		/* Another thread is ending the process: wait for it. */
		while (depth < 0) {
			pause();
			depth = atomic_load(&fsio_critical_depth);
		}
	} while (!atomic_compare_exchange_weak(&fsio_critical_depth, &depth,
					       depth + 1));
}

void ark_fsio_restore_signals(const sigset_t *saved)
{
	if (atomic_fetch_sub(&fsio_critical_depth, 1) == 1 &&
	    fsio_stop_signal != 0)
		ark_fsio_cleanup_temporaries();
	/* A signal held off meanwhile is delivered here. */
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

void ark_fsio_install_signal_handlers(void)
{
	static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
	static int exit_hook_registered;
	struct sigaction action;
	int length;
	size_t i;

	if (!exit_hook_registered && atexit(fsio_exit_begun) == 0)
		exit_hook_registered = 1;

	length = snprintf(fsio_exit_line, sizeof(fsio_exit_line),
			  "%s: error: %s\n", ark_log_program(),
			  FSIO_INTERRUPTED_MESSAGE);
	if (length < 0 || (size_t)length >= sizeof(fsio_exit_line))
		length = 0;
	fsio_exit_line_len = (size_t)length;
	fsio_exit_status = ark_error_exit_code(ARK_ERR_INTERRUPTED);

	/*
	 * A reader that went away (`ark-checksum-verify *.ark | head -1`)
	 * must be a write error the tool reports (exit 5), not a silent
	 * death by SIGPIPE.
	 */
	memset(&action, 0, sizeof(action));
	action.sa_handler = SIG_IGN;
	sigemptyset(&action.sa_mask);
	(void)sigaction(SIGPIPE, &action, NULL);

	memset(&action, 0, sizeof(action));
	fsio_stop_signal_set(&action.sa_mask);
	/* No SA_RESTART: blocking calls return EINTR and loops notice. */
	action.sa_flags = 0;
	action.sa_handler = fsio_watchdog_handler;
	(void)sigaction(SIGALRM, &action, NULL);

	action.sa_handler = fsio_signal_handler;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		struct sigaction previous;

		/*
		 * Keep an inherited SIG_IGN of SIGINT/SIGHUP (nohup, jobs
		 * started in the background); SIGTERM is always caught.
		 */
		if (sigaction(signals[i], NULL, &previous) == 0 &&
		    previous.sa_handler == SIG_IGN && signals[i] != SIGTERM)
			continue;
		(void)sigaction(signals[i], &action, NULL);
	}
}

void ark_fsio_set_stop_hook(ark_fsio_stop_hook hook)
{
	atomic_store(&fsio_stop_hook, hook);
}

int ark_fsio_interrupted(void)
{
	return fsio_stop_signal != 0;
}

int ark_fsio_check_interrupt(struct ark_error *err)
{
	if (fsio_stop_signal == 0)
		return 0;
	return ark_error_set(err, ARK_ERR_INTERRUPTED, 0, "%s",
			     FSIO_INTERRUPTED_MESSAGE);
}

/* ---- time ---- */

void ark_fsio_utc_stamp(char out[17], int64_t unix_seconds)
{
	struct tm tm;
	time_t when = (time_t)unix_seconds;
	unsigned fields[6];
	unsigned widths[6] = {4, 2, 2, 2, 2, 2};
	size_t pos = 0;
	int i;

	if (gmtime_r(&when, &tm) == NULL || tm.tm_year < -1900 ||
	    tm.tm_year > 9999 - 1900) {
		memcpy(out, "00000000T000000Z", 17);
		return;
	}
	fields[0] = (unsigned)(tm.tm_year + 1900);
	fields[1] = (unsigned)(tm.tm_mon + 1);
	fields[2] = (unsigned)tm.tm_mday;
	fields[3] = (unsigned)tm.tm_hour;
	fields[4] = (unsigned)tm.tm_min;
	fields[5] = (unsigned)tm.tm_sec;
	for (i = 0; i < 6; i++) {
		unsigned value = fields[i];
		unsigned digit;

		if (i == 3)
			out[pos++] = 'T';
		for (digit = widths[i]; digit > 0; digit--) {
			out[pos + digit - 1] = (char)('0' + value % 10);
			value /= 10;
		}
		pos += widths[i];
	}
	out[pos++] = 'Z';
	out[pos] = '\0';
}
