/*
 * inject — an LD_PRELOAD shim that makes file writes fail on demand, for
 * testing what ark does when the disk fills up or fsync fails (the failures
 * a real disk cannot easily be made to produce; cf. jq's src/inject_errors.c).
 *
 *   LD_PRELOAD=build/default/tests/libinject.so ARK_INJECT_ENOSPC_AFTER=65536 \
 *       bin/ark-snapshot app.db -o out
 *
 * Environment, read once at load:
 *   ARK_INJECT_ENOSPC_AFTER=N   write, pwrite, pwrite64, writev and pwritev
 *                               to matching files succeed until N bytes in
 *                               total have been written to them (suffix k, M
 *                               or G for KiB, MiB, GiB). The write that
 *                               crosses N is cut short at N, as a full disk
 *                               does; every later one fails with ENOSPC.
 *   ARK_INJECT_FSYNC_EIO=1      fsync and fdatasync of matching files fail
 *                               with EIO.
 *   ARK_INJECT_FSYNC_EIO_SKIP=N with FSYNC_EIO, the first N fsyncs of
 *                               matching files succeed (a failure at the
 *                               second fsync of a restore: the commit).
 *   ARK_INJECT_FSYNC_EIO_PLANT=PATH  with FSYNC_EIO, create the file PATH
 *                               (if absent) when the first EIO is
 *                               injected: another user's file appearing
 *                               at the worst moment.
 *   ARK_INJECT_FSYNC_SIGNAL=N   the first fsync of a matching file raises
 *                               signal N first (then fsyncs as usual): a
 *                               Ctrl-C or kill landing at the slowest
 *                               moment of a commit.
 *   ARK_INJECT_LINK_EPERM=1     link() fails with EPERM, as on a file
 *                               system without hard links (vfat, some
 *                               network and FUSE file systems).
 *   ARK_INJECT_STALL=OP[,OP...] calls of these kinds on matching files
 *                               block, as on a stalled disk: open (open,
 *                               open64, openat; only with ARK_INJECT_PATH
 *                               set, matched against the path given), read
 *                               (read, pread, pread64), write (the write
 *                               calls above), fsync (fsync, fdatasync).  The
 *                               call sleeps and resumes sleeping after every
 *                               signal, as SQLite's open() retries EINTR, so
 *                               only the process ending stops it.
 *   ARK_INJECT_STALL_MS=N       a stall lasts N ms (signals or not), then the
 *                               call goes ahead: a slow disk.  Unset: for good.
 *   ARK_INJECT_STALL_MARK=PATH  created when the first stall begins, so a test
 *                               knows when to send its signal.
 *   ARK_INJECT_PATH=SUBSTRING   a file matches when its path (readlink of
 *                               /proc/self/fd/N) contains SUBSTRING; unset,
 *                               every regular file matches.
 *   ARK_INJECT_VERBOSE=1        say on stderr when a failure is injected.
 *
 * Only regular files are ever affected: never fds 0-2, pipes, sockets,
 * terminals or directories (so directory fsync passes). Writes that glibc's
 * stdio makes internally (fwrite, fclose) do not go through these symbols and
 * are not affected; libarchive, SQLite and plain write() callers are.
 *
 * Under an ASan build, libasan must come first:
 *   LD_PRELOAD="$(cc -print-file-name=libasan.so) libinject.so"
 * or set ASAN_OPTIONS=verify_asan_link_order=0.
 *
 * Built by the Makefile: cc -fPIC -shared -o libinject.so inject.c -ldl
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <time.h>
#include <signal.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef int (*sync_fn)(int);

static write_fn real_write;
static pwrite_fn real_pwrite;
static pwrite64_fn real_pwrite64;
static writev_fn real_writev;
static pwritev_fn real_pwritev;
static sync_fn real_fsync;
static int link_eperm;
static int fsync_signal;
static int fsync_signal_sent;
static sync_fn real_fdatasync;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int enospc_enabled;
static unsigned long long enospc_limit;
static unsigned long long bytes_written; /* only through __atomic builtins */
static int fsync_eio;
static long fsync_eio_skip;
static const char *fsync_eio_plant;
static int fsync_eio_planted;
static int verbose;
static const char *path_filter;
static int enospc_reported, eio_reported; /* __atomic too */

enum { STALL_OPEN = 1, STALL_READ = 2, STALL_WRITE = 4, STALL_FSYNC = 8 };
static int stall_ops;            /* set once by init() */
static long stall_ms = -1;       /* -1: for good */
static const char *stall_mark;
static int stall_marked;         /* __atomic */

/* Write a message to stderr with the raw syscall: no recursion, no stdio. */
static void say(const char *msg)
{
	(void)!syscall(SYS_write, 2, msg, strlen(msg));
}

static void *next_symbol(const char *name)
{
	void *symbol = dlsym(RTLD_NEXT, name);

	if (symbol == NULL) {
		say("inject: dlsym(RTLD_NEXT) failed for ");
		say(name);
		say("\n");
		abort();
	}
	return symbol;
}

/* Strict unsigned size with an optional k/M/G suffix; -1 if malformed. */
static int parse_size(const char *text, unsigned long long *size)
{
	char *end = NULL;
	unsigned long long value, scale = 1;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		scale = 1ULL << 10;
		end++;
		break;
	case 'm': case 'M':
		scale = 1ULL << 20;
		end++;
		break;
	case 'g': case 'G':
		scale = 1ULL << 30;
		end++;
		break;
	default:
		return -1;
	}
	if (*end != '\0' || value > ULLONG_MAX / scale)
		return -1;
	*size = value * scale;
	return 0;
}

/* ARK_INJECT_STALL, _MS and _MARK; abort on a malformed value. */
static void parse_stall(void)
{
	static const struct { const char *name; int op; } names[] = {
		{ "open", STALL_OPEN }, { "read", STALL_READ },
		{ "write", STALL_WRITE }, { "fsync", STALL_FSYNC },
	};
	const char *text = getenv("ARK_INJECT_STALL");
	unsigned long long ms;
	int ops = 0;

	while (text != NULL && *text != '\0') {
		size_t length = strcspn(text, ",");
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == length &&
			    strncmp(text, names[i].name, length) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			say("inject: ARK_INJECT_STALL takes open, read, write, "
			    "fsync separated by commas, got '");
			say(text);
			say("'\n");
			abort();
		}
		ops |= names[i].op;
		text += length;
		if (*text == ',')
			text++;
	}
	text = getenv("ARK_INJECT_STALL_MS");
	if (text != NULL && text[0] != '\0') {
		if (parse_size(text, &ms) != 0 || ms > 86400000ULL) {
			say("inject: ARK_INJECT_STALL_MS must be milliseconds\n");
			abort();
		}
		stall_ms = (long)ms;
	}
	text = getenv("ARK_INJECT_STALL_MARK");
	stall_mark = text != NULL && text[0] != '\0' ? text : NULL;
	/* Published last: the open/read wrappers test it without init. */
	__atomic_store_n(&stall_ops, ops, __ATOMIC_RELEASE);
}

static void init(void)
{
	const char *text;
	int saved_errno = errno;

	real_write = (write_fn)next_symbol("write");
	real_pwrite = (pwrite_fn)next_symbol("pwrite");
	real_pwrite64 = (pwrite64_fn)next_symbol("pwrite64");
	real_writev = (writev_fn)next_symbol("writev");
	real_pwritev = (pwritev_fn)next_symbol("pwritev");
	real_fsync = (sync_fn)next_symbol("fsync");
	real_fdatasync = (sync_fn)next_symbol("fdatasync");

	text = getenv("ARK_INJECT_ENOSPC_AFTER");
	if (text != NULL && text[0] != '\0') {
		if (parse_size(text, &enospc_limit) != 0) {
			say("inject: ARK_INJECT_ENOSPC_AFTER must be a byte count "
			    "(suffix k, M or G allowed), got '");
			say(text);
			say("'\n");
			abort();
		}
		enospc_enabled = 1;
	}
	text = getenv("ARK_INJECT_FSYNC_EIO");
	fsync_eio = text != NULL && strcmp(text, "1") == 0;
	text = getenv("ARK_INJECT_FSYNC_EIO_SKIP");
	fsync_eio_skip = text != NULL ? atol(text) : 0;
	fsync_eio_plant = getenv("ARK_INJECT_FSYNC_EIO_PLANT");
	text = getenv("ARK_INJECT_FSYNC_SIGNAL");
	fsync_signal = text != NULL ? atoi(text) : 0;
	text = getenv("ARK_INJECT_LINK_EPERM");
	link_eperm = text != NULL && strcmp(text, "1") == 0;
	text = getenv("ARK_INJECT_VERBOSE");
	verbose = text != NULL && strcmp(text, "1") == 0;
	text = getenv("ARK_INJECT_PATH");
	path_filter = text != NULL && text[0] != '\0' ? text : NULL;
	parse_stall();
	errno = saved_errno;
}

__attribute__((constructor)) static void inject_load(void)
{
	pthread_once(&init_once, init);
}

static void ensure_init(void)
{
	pthread_once(&init_once, init);
}

/* Does fd name a regular file the environment selects? errno is kept. */
static int fd_matches(int fd, char *path, size_t path_size)
{
	struct stat st;
	char link[64];
	ssize_t length;
	int saved_errno = errno, match = 0;

	path[0] = '\0';
	if (fd <= STDERR_FILENO || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	length = readlink(link, path, path_size - 1);
	if (length < 0) {
		path[0] = '\0';
		match = path_filter == NULL;
		goto out;
	}
	path[length] = '\0';
	match = path_filter == NULL || strstr(path, path_filter) != NULL;
out:
	errno = saved_errno;
	return match;
}

static void report_once(int *flag, const char *what, const char *path)
{
	if (verbose && !__atomic_exchange_n(flag, 1, __ATOMIC_RELAXED)) {
		say("inject: ");
		say(what);
		say(" on ");
		say(path[0] != '\0' ? path : "(unknown path)");
		say("\n");
	}
}

/*
 * Reserve up to count bytes of the ENOSPC budget for a write to fd. Returns
 * count when the shim stays out of the way (disabled, not a matching file,
 * empty write), fewer bytes for the write that reaches the limit, and 0 with
 * errno = ENOSPC once the budget is spent. *reserved is what must be settled
 * with settle() after the real call.
 */
static size_t reserve(int fd, size_t count, size_t *reserved)
{
	char path[PATH_MAX];
	unsigned long long used, allowed;

	*reserved = 0;
	if (!enospc_enabled || count == 0 || !fd_matches(fd, path, sizeof(path)))
		return count;
	used = __atomic_load_n(&bytes_written, __ATOMIC_RELAXED);
	do {
		if (used >= enospc_limit) {
			report_once(&enospc_reported, "ENOSPC", path);
			errno = ENOSPC;
			return 0;
		}
		allowed = enospc_limit - used;
		if (allowed > count)
			allowed = count;
	} while (!__atomic_compare_exchange_n(&bytes_written, &used, used + allowed, 0,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	*reserved = (size_t)allowed;
	return (size_t)allowed;
}

/* Give back the part of a reservation the real call did not write. */
static void settle(size_t reserved, ssize_t result)
{
	size_t written = result > 0 ? (size_t)result : 0;

	if (reserved > written)
		__atomic_fetch_sub(&bytes_written, (unsigned long long)(reserved - written),
				   __ATOMIC_RELAXED);
}

/*
 * Block like a stalled disk: sleep, and sleep again after each signal
 * (its handler runs, the call does not return), for stall_ms or for good.
 */
static void stall(void)
{
	struct timespec start, now;
	int saved_errno = errno;

	if (stall_mark != NULL &&
	    !__atomic_exchange_n(&stall_marked, 1, __ATOMIC_RELAXED)) {
		long fd = syscall(SYS_openat, AT_FDCWD, stall_mark,
				  O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0)
			(void)syscall(SYS_close, fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct timespec step = { 0, 20 * 1000 * 1000 };
		long waited;

		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (long)(now.tv_sec - start.tv_sec) * 1000L +
			 (now.tv_nsec - start.tv_nsec) / 1000000L;
		if (stall_ms >= 0 && waited >= stall_ms)
			break;
		(void)nanosleep(&step, NULL);
	}
	errno = saved_errno;
}

static int stalls(int op)
{
	return (__atomic_load_n(&stall_ops, __ATOMIC_ACQUIRE) & op) != 0;
}

/* Stall an operation of kind op on fd if it is selected. */
static void maybe_stall_fd(int op, int fd)
{
	char path[PATH_MAX];

	if (stalls(op) && fd_matches(fd, path, sizeof(path)))
		stall();
}

/*
 * open, open64, openat: passed to the kernel directly (no dlsym, so they
 * are safe before init and inside the dynamic loader's own calls).
 */
static int open_common(int dir_fd, const char *path, int flags, mode_t mode)
{
	if (stalls(STALL_OPEN) && path_filter != NULL && path != NULL &&
	    strstr(path, path_filter) != NULL)
		stall();
	return (int)syscall(SYS_openat, dir_fd, path, flags, mode);
}

static mode_t open_mode(int flags, va_list args)
{
	if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(args, unsigned int);
	return 0;
}

int open(const char *path, int flags, ...)
{
	va_list args;
	mode_t mode;

	va_start(args, flags);
	mode = open_mode(flags, args);
	va_end(args);
	return open_common(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	va_list args;
	mode_t mode;

	va_start(args, flags);
	mode = open_mode(flags, args);
	va_end(args);
	return open_common(AT_FDCWD, path, flags, mode);
}

int openat(int dir_fd, const char *path, int flags, ...)
{
	va_list args;
	mode_t mode;

	va_start(args, flags);
	mode = open_mode(flags, args);
	va_end(args);
	return open_common(dir_fd, path, flags, mode);
}

ssize_t read(int fd, void *buf, size_t count)
{
	maybe_stall_fd(STALL_READ, fd);
	return (ssize_t)syscall(SYS_read, fd, buf, count);
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	maybe_stall_fd(STALL_READ, fd);
	return (ssize_t)syscall(SYS_pread64, fd, buf, count, offset);
}

ssize_t pread64(int fd, void *buf, size_t count, off64_t offset)
{
	maybe_stall_fd(STALL_READ, fd);
	return (ssize_t)syscall(SYS_pread64, fd, buf, count, offset);
}

ssize_t write(int fd, const void *buf, size_t count)
{
	size_t reserved, allowed;
	ssize_t result;

	ensure_init();
	maybe_stall_fd(STALL_WRITE, fd);
	allowed = reserve(fd, count, &reserved);
	if (allowed == 0 && count != 0)
		return -1;
	result = real_write(fd, buf, allowed);
	settle(reserved, result);
	return result;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	size_t reserved, allowed;
	ssize_t result;

	ensure_init();
	maybe_stall_fd(STALL_WRITE, fd);
	allowed = reserve(fd, count, &reserved);
	if (allowed == 0 && count != 0)
		return -1;
	result = real_pwrite(fd, buf, allowed, offset);
	settle(reserved, result);
	return result;
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset)
{
	size_t reserved, allowed;
	ssize_t result;

	ensure_init();
	maybe_stall_fd(STALL_WRITE, fd);
	allowed = reserve(fd, count, &reserved);
	if (allowed == 0 && count != 0)
		return -1;
	result = real_pwrite64(fd, buf, allowed, offset);
	settle(reserved, result);
	return result;
}

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

/*
 * Shorten an iovec array to allowed bytes. Returns a malloc'd copy (to be
 * freed) with *count_out entries, or NULL with errno set.
 */
static struct iovec *iov_truncate(const struct iovec *iov, int iovcnt, size_t allowed,
				  int *count_out)
{
	struct iovec *copy = malloc(sizeof(*copy) * (size_t)(iovcnt > 0 ? iovcnt : 1));
	int used = 0;

	if (copy == NULL)
		return NULL;
	for (int i = 0; i < iovcnt && allowed > 0; i++) {
		copy[used] = iov[i];
		if (copy[used].iov_len > allowed)
			copy[used].iov_len = allowed;
		allowed -= copy[used].iov_len;
		used++;
	}
	*count_out = used;
	return copy;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	size_t total, reserved, allowed;
	struct iovec *shortened;
	ssize_t result;
	int shortened_count;

	ensure_init();
	maybe_stall_fd(STALL_WRITE, fd);
	total = iovcnt > 0 ? iov_total(iov, iovcnt) : 0;
	allowed = reserve(fd, total, &reserved);
	if (allowed == 0 && total != 0)
		return -1;
	if (allowed == total) {
		result = real_writev(fd, iov, iovcnt);
	} else {
		shortened = iov_truncate(iov, iovcnt, allowed, &shortened_count);
		if (shortened == NULL) {
			settle(reserved, 0);
			return -1;
		}
		result = real_writev(fd, shortened, shortened_count);
		free(shortened);
	}
	settle(reserved, result);
	return result;
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	size_t total, reserved, allowed;
	struct iovec *shortened;
	ssize_t result;
	int shortened_count;

	ensure_init();
	maybe_stall_fd(STALL_WRITE, fd);
	total = iovcnt > 0 ? iov_total(iov, iovcnt) : 0;
	allowed = reserve(fd, total, &reserved);
	if (allowed == 0 && total != 0)
		return -1;
	if (allowed == total) {
		result = real_pwritev(fd, iov, iovcnt, offset);
	} else {
		shortened = iov_truncate(iov, iovcnt, allowed, &shortened_count);
		if (shortened == NULL) {
			settle(reserved, 0);
			return -1;
		}
		result = real_pwritev(fd, shortened, shortened_count, offset);
		free(shortened);
	}
	settle(reserved, result);
	return result;
}

static int sync_fails(int fd)
{
	char path[PATH_MAX];

	maybe_stall_fd(STALL_FSYNC, fd);
	if (fsync_signal > 0 && !fsync_signal_sent &&
	    fd_matches(fd, path, sizeof(path))) {
		fsync_signal_sent = 1;
		raise(fsync_signal);
	}
	if (!fsync_eio || !fd_matches(fd, path, sizeof(path)))
		return 0;
	if (__atomic_fetch_sub(&fsync_eio_skip, 1, __ATOMIC_RELAXED) > 0)
		return 0;
	if (fsync_eio_plant != NULL &&
	    !__atomic_exchange_n(&fsync_eio_planted, 1, __ATOMIC_RELAXED)) {
		int planted = open(fsync_eio_plant,
				   O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		if (planted >= 0) {
			(void)!real_write(planted, "planted\n", 8);
			close(planted);
		}
	}
	report_once(&eio_reported, "fsync EIO", path);
	errno = EIO;
	return 1;
}

int fsync(int fd)
{
	ensure_init();
	if (sync_fails(fd))
		return -1;
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	ensure_init();
	if (sync_fails(fd))
		return -1;
	return real_fdatasync(fd);
}

int link(const char *old_path, const char *new_path)
{
	typedef int (*link_fn)(const char *, const char *);
	static link_fn real_link;

	ensure_init();
	if (link_eperm) {
		errno = EPERM;
		return -1;
	}
	if (real_link == NULL)
		real_link = (link_fn)next_symbol("link");
	return real_link(old_path, new_path);
}
