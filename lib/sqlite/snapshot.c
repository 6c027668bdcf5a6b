/*
 * snapshot.c - ark-snapshot: a live SQLite database into an archive.
 *
 * One read transaction is opened on the source and held to the end, so
 * everything recorded - identity, integrity check, row counts and every
 * page - comes from one committed state.  The pages are copied by SQLite's
 * own backup API (which reads through the pager and so sees the WAL) into
 * a page sink: a first pass learns the final page 1, which the backup
 * writes last; the second pass streams page 1 and then pages 2..N in
 * order through zstd into the archive.  Both passes are inside the same
 * transaction, so they see the same pages.
 *
 * The source is never written (see open_source): it is opened read-only
 * by a URI built here, so no path is taken for a URI and no hot journal
 * is rolled back; a cleanly closed WAL database (no -wal) is read
 * immutable under a SHARED lock of our own, so no -wal or -shm is
 * created; one SQLite must create all the same is removed after the run
 * when no other connection is using the database.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/snapshot.h"
#include "ark/text.h"
#include "sqlite/page_sink_internal.h"
#include "sqlite/sqlite_image_internal.h"

/*
 * The lock bytes of SQLite's unix VFS (os_unix.c: PENDING_BYTE,
 * RESERVED_BYTE = PENDING_BYTE + 1, SHARED_FIRST = PENDING_BYTE + 2,
 * SHARED_SIZE = 510).  SHARED is a read lock on the shared range, taken
 * through a read lock on the pending byte; EXCLUSIVE is a write lock on
 * all three.  A connection to a WAL database holds SHARED until it closes.
 */
#define SQLITE_VFS_PENDING_BYTE 0x40000000
#define SQLITE_VFS_SHARED_FIRST (SQLITE_VFS_PENDING_BYTE + 2)
#define SQLITE_VFS_SHARED_SIZE 510
#define SQLITE_VFS_LOCK_SPAN (2 + SQLITE_VFS_SHARED_SIZE)

struct busy_state {
	int timeout_ms;
	struct timespec start;
};

enum companion { JOURNAL, WAL, SHM, COMPANIONS };

static const char *const companion_suffix[COMPANIONS] = {
	"-journal", "-wal", "-shm",
};
static const char *const companion_role[COMPANIONS] = {
	"rollback journal", "write-ahead log", "WAL index",
};

/* The source database and its companion files, as found before opening. */
struct source {
	const char *path;
	char companion[COMPANIONS][PATH_MAX + 16];
	int existed[COMPANIONS];
	uint64_t companion_size[COMPANIONS];
	struct stat st;
	int wal_header;     /* header byte 18 or 19 says WAL */
	int immutable;      /* opened with immutable=1 */
	int lock_fd;        /* our SHARED lock while immutable, else -1 */
	struct busy_state busy;
	sqlite3 *db;
};

/* Where the archive goes: dir + stem + millisecond stamp, or a file. */
struct archive_name {
	const char *file;   /* -o FILE, else NULL */
	const char *dir;    /* the directory, without trailing slashes */
	char stem[256];
	int64_t ms;         /* the stamp, milliseconds since the epoch */
};

struct stream_state {
	struct ark_archive_writer *writer;
	struct ark_progress *progress;
	uint64_t done;
};

void ark_snapshot_options_init(struct ark_snapshot_options *options)
{
	memset(options, 0, sizeof(*options));
	options->level = 3;
	options->threads = ark_zio_cpu_count();
	options->busy_timeout_ms = 10000;
}

static double elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* Wait for locks up to the timeout, but stop at once on a signal. */
static int busy_handler(void *ctx, int count)
{
	struct busy_state *state = ctx;
	struct timespec pause = { 0, 2 * 1000 * 1000 };

	if (count == 0)
		clock_gettime(CLOCK_MONOTONIC, &state->start);
	if (ark_fsio_interrupted() ||
	    elapsed_ms(&state->start) >= state->timeout_ms)
		return 0;
	nanosleep(&pause, NULL);
	return 1;
}

static int locked_error(const char *path, const char *doing,
			struct ark_error *err)
{
	return ark_error_set(err, ARK_ERR_SOURCE, 0,
			     "'%s': database is locked while %s (another "
			     "process holds a write lock; raise "
			     "--busy-timeout)", path, doing);
}

static int source_error(sqlite3 *db, const char *path, const char *doing,
			struct ark_error *err)
{
	int code = sqlite3_extended_errcode(db);

	if (ark_fsio_interrupted())
		return ark_fsio_check_interrupt(err);
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		return locked_error(path, doing, err);
	/* A read-only connection never rolls a hot journal back. */
	if (code == SQLITE_READONLY_ROLLBACK)
		return ark_error_set(err, ARK_ERR_SOURCE, 0,
				     "'%s' has a hot rollback journal "
				     "('%s-journal'): a writer crashed "
				     "mid-transaction; ark will not roll it "
				     "back in your database: open it once "
				     "with the application (or sqlite3 '%s' "
				     "'PRAGMA quick_check') to recover it, "
				     "then snapshot again", path, path, path);
	if ((code & 0xff) == SQLITE_READONLY)
		return ark_error_set(err, ARK_ERR_READ, 0,
				     "'%s': %s while %s: a reader of this "
				     "WAL database must be able to write "
				     "'%s-shm'; run as the database's owner",
				     path, sqlite3_errmsg(db), doing, path);
	if ((code & 0xff) == SQLITE_CANTOPEN)
		return ark_error_set(err, ARK_ERR_READ, 0, "'%s': %s: %s",
				     path, doing, sqlite3_errmsg(db));
	return ark_error_set(err, ARK_ERR_SOURCE, 0, "'%s': %s: %s", path,
			     doing, sqlite3_errmsg(db));
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(stmt, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

static int query_text(sqlite3 *db, const char *sql, char *out, size_t room)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			const unsigned char *text =
				sqlite3_column_text(stmt, 0);

			snprintf(out, room, "%s", text ? (const char *)text
						       : "");
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Hash of the schema (docs/archive-format.md).  This first read also
 * starts the held read transaction.
 */
static int schema_hash(sqlite3 *db, struct ark_hash128 *out)
{
	struct ark_hasher *hasher = ark_hasher_new();
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (!hasher)
		return SQLITE_NOMEM;
	rc = sqlite3_prepare_v2(db,
				"SELECT type, name, tbl_name, sql FROM "
				"sqlite_schema ORDER BY type, name",
				-1, &stmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (int i = 0; i < 4; i++) {
			const unsigned char *text =
				sqlite3_column_text(stmt, i);
			int len = sqlite3_column_bytes(stmt, i);

			ark_hasher_update(hasher, text ? text : (const void *)"",
					  text ? (size_t)len : 0);
			ark_hasher_update(hasher, "", 1);
		}
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(stmt);
	*out = ark_hasher_digest(hasher);
	ark_hasher_free(hasher);
	return rc;
}

/* Append "; <finding>" (or the finding alone) to the check's text. */
static void append_finding(char *text, size_t room, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append_finding(char *text, size_t room, const char *fmt, ...)
{
	size_t used = strlen(text);
	va_list args;

	if (used > 0 && used + 2 < room) {
		memcpy(text + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= room)
		return;
	va_start(args, fmt);
	vsnprintf(text + used, room - used, fmt, args);
	va_end(args);
}

static int stream_to_archive(void *ctx, const void *buf, size_t len,
			     struct ark_error *err)
{
	struct stream_state *state = ctx;
	int rc = ark_archive_member_write(state->writer, buf, len, err);

	state->done += len;
	ark_progress_update(state->progress, state->done);
	return rc;
}

/* One backup of the whole snapshot into sink. */
static int backup_pass(sqlite3 *source, struct ark_page_sink *sink,
		       const char *path, struct ark_error *err)
{
	sqlite3 *dest = NULL;
	sqlite3_backup *backup = NULL;
	int rc;
	int step;

	rc = ark_page_sink_open_db(sink, &dest, err);
	if (rc)
		return rc;
	backup = sqlite3_backup_init(dest, "main", source, "main");
	if (!backup) {
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "'%s': cannot start the snapshot: %s",
				   path, sqlite3_errmsg(dest));
		goto cleanup;
	}
	step = sqlite3_backup_step(backup, -1);
	sqlite3_backup_finish(backup);
	if (step != SQLITE_DONE) {
		const struct ark_error *inner = ark_page_sink_error(sink);

		if (inner->code != ARK_OK) {
			rc = inner->code;
			if (err && err->code == ARK_OK)
				*err = *inner; /* first error wins */
		}
		else if (ark_fsio_interrupted())
			rc = ark_fsio_check_interrupt(err);
		else
			rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
					   "'%s': reading the snapshot "
					   "failed: %s", path,
					   sqlite3_errstr(step));
		goto cleanup;
	}
	rc = ark_page_sink_finish(sink, err);
cleanup:
	sqlite3_close(dest);
	return rc;
}

static int is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * <dir>/<stem>-<YYYYMMDDTHHMMSS.mmmZ>.ark.  The stamp has a fixed width,
 * so names sort as their times do; "/" is not doubled.  -1 when it does
 * not fit.
 */
static int format_name(const struct archive_name *name, char *out,
		       size_t room)
{
	char stamp[17];
	const char *sep = strcmp(name->dir, "/") == 0 ? "" : "/";
	int len;

	ark_fsio_utc_stamp(stamp, name->ms / 1000);
	len = snprintf(out, room, "%s%s%s-%.15s.%03dZ.ark", name->dir, sep,
		       name->stem, stamp, (int)(name->ms % 1000));
	return len < 0 || (size_t)len >= room ? -1 : 0;
}

/*
 * The default name is taken (another snapshot of a database of the same
 * name in the same millisecond): the next later one, so names stay
 * unique and still sort in creation order.  Also the archive writer's
 * next_name hook, for a name taken between our check and the rename.
 */
static int next_name(void *ctx, char *path, size_t room)
{
	struct archive_name *name = ctx;
	int64_t now = now_ms();

	name->ms = now > name->ms ? now : name->ms + 1;
	return format_name(name, path, room);
}

static int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/*
 * The archive's path: the file the user named, or a free default name
 * in the directory named (or the current one).  A trailing '/' on -o
 * means a directory, which must exist.
 */
static int archive_path(const struct ark_snapshot_options *options,
			struct archive_name *name, char *dir_buf,
			size_t dir_room, char *out, size_t room,
			struct ark_error *err)
{
	const char *base = strrchr(options->db_path, '/');
	const char *output = options->output;
	char *dot;
	size_t len;
	int rc;

	name->file = NULL;
	name->dir = ".";
	if (output) {
		len = strlen(output);
		while (len > 1 && output[len - 1] == '/')
			len--;
		if (len >= dir_room)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "output path too long");
		memcpy(dir_buf, output, len);
		dir_buf[len] = '\0';
		if (is_directory(dir_buf)) {
			name->dir = dir_buf;
		} else if (output[strlen(output) - 1] == '/') {
			return ark_fsio_require_dir(dir_buf, output, err);
		} else {
			name->file = output;
			if (snprintf(out, room, "%s", output) >= (int)room ||
			    ark_fsio_dir_of(output, dir_buf, dir_room) != 0)
				return ark_error_set(err, ARK_ERR_USAGE, 0,
						     "output path too long");
			if ((rc = ark_fsio_require_dir(dir_buf, output, err)))
				return rc;
			if (path_exists(out))
				return ark_error_set(err, ARK_ERR_REFUSED, 0,
						     "'%s' already exists; "
						     "refusing to overwrite "
						     "it", out);
			return 0;
		}
	}
	snprintf(name->stem, sizeof(name->stem), "%s",
		 base ? base + 1 : options->db_path);
	dot = strrchr(name->stem, '.');
	if (dot && dot != name->stem)
		*dot = '\0';
	name->ms = now_ms();
	if (format_name(name, out, room) != 0)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "output path too long");
	while (path_exists(out))
		if (next_name(name, out, room) != 0)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "output path too long");
	return 0;
}

/* ---- the source, read without writing it ---------------------------- */

static int set_lock(int fd, short type, off_t start, off_t len)
{
	struct flock lock = { 0 };

	lock.l_type = type;
	lock.l_whence = SEEK_SET;
	lock.l_start = start;
	lock.l_len = len;
	/*
	 * Open-file-description locks: they conflict with SQLite's POSIX
	 * locks even in this process, and closing another descriptor of
	 * the file does not drop them.
	 */
	return fcntl(fd, F_OFD_SETLK, &lock);
}

/*
 * A rollback journal whose first byte is 0 is not hot (SQLite's own
 * test): journal_mode=PERSIST leaves one behind after every commit.
 */
static int journal_is_hot(int dir_fd, const char *name)
{
	unsigned char first = 0;
	int fd = openat(dir_fd, name,
			O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 1; /* cannot tell: assume the worst */
	if (pread(fd, &first, 1, 0) != 1)
		first = 1;
	close(fd);
	return first != 0;
}

/*
 * The database has other names (hard links): is there, in its own
 * directory, another name of the same file with a -journal or -wal that
 * holds data?  SQLite finds those by the name it opens, so a hot journal
 * or the WAL of another name would be missed and the snapshot would
 * hold a torn or stale state.  (Names in other directories cannot be
 * found; the warning in inspect_source() covers those.)
 */
static int check_other_names(const struct source *src, struct ark_error *err)
{
	char dir[PATH_MAX];
	const char *base = strrchr(src->path, '/');
	DIR *listing;
	struct dirent *entry;
	int prefix;
	int rc = 0;

	base = base ? base + 1 : src->path;
	prefix = (int)(base - src->path);
	if (ark_fsio_dir_of(src->path, dir, sizeof(dir)) != 0 ||
	    !(listing = opendir(dir)))
		return 0;
	while (!rc && (entry = readdir(listing)) != NULL) {
		char other[PATH_MAX + 16];
		struct stat st;

		if (strcmp(entry->d_name, base) == 0 ||
		    fstatat(dirfd(listing), entry->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) != 0 ||
		    st.st_dev != src->st.st_dev || st.st_ino != src->st.st_ino)
			continue;
		for (int i = JOURNAL; i <= WAL && !rc; i++) {
			snprintf(other, sizeof(other), "%s%s", entry->d_name,
				 companion_suffix[i]);
			if (fstatat(dirfd(listing), other, &st,
				    AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISREG(st.st_mode) && st.st_size > 0 &&
			    (i == WAL || journal_is_hot(dirfd(listing), other)))
				rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
						   "'%s' is another name of "
						   "'%.*s%s', which has a %s "
						   "'%.*s%s' beside it: "
						   "SQLite would not see it "
						   "through '%s'; snapshot "
						   "'%.*s%s'",
						   src->path, prefix,
						   src->path, entry->d_name,
						   companion_role[i], prefix,
						   src->path, other,
						   src->path, prefix,
						   src->path, entry->d_name);
		}
	}
	closedir(listing);
	return rc;
}

/* Stat the database, read its header, look at each companion file. */
static int inspect_source(struct source *src, struct ark_error *err)
{
	static const char magic[16] = "SQLite format 3";
	unsigned char header[100];
	ssize_t got = 0;
	int rc;
	int fd;

	/* O_NONBLOCK: a FIFO under the database's name must not hang us. */
	fd = open(src->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ark_error_set(err, ARK_ERR_READ, errno,
				     "cannot open database '%s'", src->path);
	if (fstat(fd, &src->st) != 0 || !S_ISREG(src->st.st_mode)) {
		int saved = errno;
		int is_file = S_ISREG(src->st.st_mode);

		close(fd);
		if (is_file)
			return ark_error_set(err, ARK_ERR_READ, saved,
					     "cannot stat '%s'", src->path);
		return ark_error_set(err, ARK_ERR_READ, 0,
				     "'%s' is not a regular file", src->path);
	}
	do
		got = pread(fd, header, sizeof(header), 0);
	while (got < 0 && errno == EINTR);
	close(fd);
	if (got < 0)
		return ark_error_set(err, ARK_ERR_READ, errno,
				     "cannot read database '%s'", src->path);
	/* An empty file is a valid, empty database for SQLite. */
	if (got != 0 && (got < (ssize_t)sizeof(magic) ||
			 memcmp(header, magic, sizeof(magic)) != 0))
		return ark_error_set(err, ARK_ERR_SOURCE, 0,
				     "'%s' is not a SQLite 3 database",
				     src->path);
	src->wal_header = got >= 20 && (header[18] == 2 || header[19] == 2);

	for (int i = 0; i < COMPANIONS; i++) {
		struct stat st;

		if (snprintf(src->companion[i], sizeof(src->companion[i]),
			     "%s%s", src->path, companion_suffix[i]) >=
		    (int)sizeof(src->companion[i]))
			return ark_error_set(err, ARK_ERR_READ, ENAMETOOLONG,
					     "cannot open database '%s'",
					     src->path);
		if (lstat(src->companion[i], &st) != 0) {
			if (errno == ENOENT)
				continue;
			return ark_error_set(err, ARK_ERR_READ, errno,
					     "cannot inspect '%s'",
					     src->companion[i]);
		}
		/* SQLite would block forever opening a FIFO. */
		if (!S_ISREG(st.st_mode))
			return ark_error_set(err, ARK_ERR_READ, 0,
					     "'%s' is not a regular file, "
					     "where SQLite keeps the %s of "
					     "'%s'; remove it, then snapshot "
					     "again", src->companion[i],
					     companion_role[i], src->path);
		src->existed[i] = 1;
		src->companion_size[i] = (uint64_t)st.st_size;
	}

	if (src->st.st_nlink > 1 && src->wal_header && !src->existed[WAL])
		return ark_error_set(err, ARK_ERR_SOURCE, 0,
				     "'%s' is in WAL mode and has %ju hard "
				     "links, and no '%s' is beside this "
				     "name: SQLite finds the WAL by the name "
				     "a database is opened with, so rows "
				     "committed through another name would "
				     "be missing; snapshot it through the "
				     "name the application uses",
				     src->path, (uintmax_t)src->st.st_nlink,
				     src->companion[WAL]);
	if (src->st.st_nlink > 1 && (rc = check_other_names(src, err)))
		return rc;
	if (src->st.st_nlink > 1 && !src->wal_header)
		ark_log(ARK_LOG_WARN, "'%s' has %ju hard links: a hot "
			"journal left under another name would not be "
			"seen; snapshot it through the name the "
			"application uses", src->path,
			(uintmax_t)src->st.st_nlink);
	return 0;
}

/*
 * Take SHARED on the database as SQLite does, waiting up to the busy
 * timeout: read lock on the pending byte, then on the shared range.
 */
static int take_shared_lock(struct source *src, struct ark_error *err)
{
	int fd = open(src->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return ark_error_set(err, ARK_ERR_READ, errno,
				     "cannot open database '%s'", src->path);
	for (int count = 0;; count++) {
		int saved;

		if (set_lock(fd, F_RDLCK, SQLITE_VFS_PENDING_BYTE, 1) == 0) {
			int shared = set_lock(fd, F_RDLCK,
					      SQLITE_VFS_SHARED_FIRST,
					      SQLITE_VFS_SHARED_SIZE);

			saved = errno;
			set_lock(fd, F_UNLCK, SQLITE_VFS_PENDING_BYTE, 1);
			if (shared == 0)
				break;
		} else {
			saved = errno;
		}
		if (saved != EAGAIN && saved != EACCES) {
			close(fd);
			return ark_error_set(err, ARK_ERR_READ, saved,
					     "cannot lock '%s'", src->path);
		}
		if (!busy_handler(&src->busy, count)) {
			close(fd);
			if (ark_fsio_interrupted())
				return ark_fsio_check_interrupt(err);
			return locked_error(src->path, "starting a read "
					    "transaction", err);
		}
	}
	src->lock_fd = fd;
	return 0;
}

/*
 * SQLite must create a missing -wal or -shm to read a WAL database this
 * way: refuse unless we may create it here, and remove it afterwards.
 */
static int check_can_create(const struct source *src, struct ark_error *err)
{
	char dir[PATH_MAX];
	enum companion missing = src->existed[WAL] ? SHM : WAL;
	int fd;

	if (ark_fsio_dir_of(src->path, dir, sizeof(dir)) != 0)
		return ark_error_set(err, ARK_ERR_READ, ENAMETOOLONG,
				     "cannot open database '%s'", src->path);
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
		return ark_error_set(err, ARK_ERR_READ, 0,
				     "'%s' is in WAL mode and '%s' is not "
				     "writable by you%s: a reader must "
				     "create '%s'; run as the database's "
				     "owner or make the directory writable",
				     src->path, dir,
				     errno == EROFS ? " (read-only file "
						      "system)"
						    : "",
				     src->companion[missing]);
	/* Removing it afterwards takes SQLite's EXCLUSIVE lock. */
	fd = open(src->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ark_error_set(err, ARK_ERR_READ, 0,
				     "'%s' is in WAL mode without '%s': a "
				     "reader must create it, and only a "
				     "user who can write '%s' can remove it "
				     "afterwards; run as the database's "
				     "owner", src->path,
				     src->companion[missing], src->path);
	close(fd);
	return 0;
}

/*
 * Open the source read-only, exactly by its path:
 *   - a WAL database with no -wal and no -journal was closed cleanly, and
 *     the file alone holds every committed row: immutable, under a
 *     SHARED lock of our own (a writer must create the -wal first, which
 *     snapshot_attempt looks for before it keeps the archive; deleting a
 *     -wal needs EXCLUSIVE, which our lock keeps out).  Nothing is created;
 *   - otherwise a read-only connection: a hot journal is refused, not
 *     rolled back (SQLITE_READONLY_ROLLBACK).
 */
static int open_source(struct source *src, int busy_timeout_ms,
		       int allow_shared_lock, struct ark_error *err)
{
	char *uri;
	int rc;

	src->busy.timeout_ms = busy_timeout_ms;
	/*
	 * Not even a read-only file system is taken as a promise that no
	 * writer exists: a read-only bind mount may show a file that is
	 * written through another mount.  The same SHARED lock and the same
	 * check afterwards serve there (locks are per file, not per mount).
	 */
	if (allow_shared_lock && src->wal_header && !src->existed[WAL] &&
	    !src->existed[JOURNAL]) {
		if ((rc = take_shared_lock(src, err)))
			return rc;
		if (path_exists(src->companion[WAL]) ||
		    path_exists(src->companion[JOURNAL])) {
			/* A connection came first; read through it. */
			close(src->lock_fd);
			src->lock_fd = -1;
			src->existed[WAL] = path_exists(src->companion[WAL]);
			src->existed[SHM] = path_exists(src->companion[SHM]);
		} else {
			src->immutable = 1;
		}
	}
	if (!src->immutable && src->wal_header &&
	    (!src->existed[WAL] || !src->existed[SHM]) &&
	    (rc = check_can_create(src, err)))
		return rc;

	uri = ark_sqlite_file_uri(src->path, src->immutable
						     ? "mode=ro&immutable=1"
						     : "mode=ro");
	if (!uri)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = sqlite3_open_v2(uri, &src->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK)
		return ark_error_set(err, rc == SQLITE_CANTOPEN ? ARK_ERR_READ
							        : ARK_ERR_SOURCE,
				     0, "cannot open database '%s': %s",
				     src->path,
				     src->db ? sqlite3_errmsg(src->db)
					     : sqlite3_errstr(rc));
	sqlite3_extended_result_codes(src->db, 1);
	sqlite3_busy_handler(src->db, busy_handler, &src->busy);
	/* Never a checkpoint on close, even were we the last connection. */
	sqlite3_db_config(src->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	return 0;
}

/* Read immutable under our lock: did a connection start meanwhile? */
static int source_changed(const struct source *src)
{
	return src->lock_fd >= 0 && (path_exists(src->companion[WAL]) ||
				     path_exists(src->companion[JOURNAL]));
}

/*
 * Close the source; then remove the -wal and -shm that SQLite created for
 * this run, but only under SQLite's EXCLUSIVE lock (no other connection
 * has the database open: each holds SHARED) and a -wal only when empty.
 */
static void close_source(struct source *src)
{
	int created[COMPANIONS] = { 0 };
	int any = 0;
	int fd;

	sqlite3_close(src->db);
	src->db = NULL;
	if (src->lock_fd >= 0)
		close(src->lock_fd);
	src->lock_fd = -1;
	if (src->immutable)
		return;
	for (int i = WAL; i <= SHM; i++) {
		created[i] = !src->existed[i] && path_exists(src->companion[i]);
		any |= created[i];
	}
	if (!any)
		return;
	fd = open(src->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || set_lock(fd, F_WRLCK, SQLITE_VFS_PENDING_BYTE,
			       SQLITE_VFS_LOCK_SPAN) != 0) {
		ark_log(ARK_LOG_INFO, "'%s' is in use by another connection: "
			"leaving its '-wal' and '-shm' to it", src->path);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (created[WAL]) {
		struct stat st;

		if (lstat(src->companion[WAL], &st) == 0 &&
		    S_ISREG(st.st_mode) && st.st_size == 0)
			(void)unlink(src->companion[WAL]);
		else
			ark_log(ARK_LOG_INFO, "'%s' holds data: left in "
				"place", src->companion[WAL]);
	}
	if (created[SHM])
		(void)unlink(src->companion[SHM]);
	close(fd); /* releases the lock */
}

static json_t *source_identity(const char *path, uint64_t file_size,
			       int64_t page_size, int64_t page_count,
			       int64_t freelist, const char *journal_mode,
			       int64_t user_version, int64_t application_id,
			       struct ark_hash128 schema)
{
	char resolved[PATH_MAX];
	char host[256] = "";
	char schema_hex[ARK_HASH_HEX_LEN + 1];

	if (!realpath(path, resolved))
		snprintf(resolved, sizeof(resolved), "%s", path);
	gethostname(host, sizeof(host) - 1);
	ark_hash_to_hex(schema, schema_hex);
	/* A path or host name that is not UTF-8 is kept in escaped form. */
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:s, "
			 "s:s, s:o}",
			 "path", ark_text_json_string(resolved),
			 "size", (json_int_t)file_size,
			 "page_size", (json_int_t)page_size,
			 "page_count", (json_int_t)page_count,
			 "freelist_count", (json_int_t)freelist,
			 "journal_mode", journal_mode,
			 "user_version", (json_int_t)user_version,
			 "application_id", (json_int_t)application_id,
			 "schema_xxh128", schema_hex,
			 "sqlite_version", sqlite3_libversion(),
			 "host", ark_text_json_string(host));
}

/*
 * PRAGMA integrity_check and the row counts, recorded in source.  Damage
 * SQLite reports as SQLITE_CORRUPT (while checking, or counting a table)
 * is a finding, recorded like the check's own lines; *clean is 1 only
 * when everything ran and found nothing.  Other errors are returned.
 */
static int check_source(sqlite3 *db, const char *path, json_t *source,
			struct ark_snapshot_result *result, int *clean,
			struct ark_error *err)
{
	char *text = result->integrity;
	size_t room = sizeof(result->integrity);
	sqlite3_stmt *names = NULL;
	json_t *tables = json_array();
	int rc;

	*clean = 0;
	if (!tables)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = ark_sqlite_integrity_check(db, text, room, clean);
	if (rc != SQLITE_OK) {
		if ((sqlite3_errcode(db) & 0xff) != SQLITE_CORRUPT)
			goto failed;
		*clean = 0;
		append_finding(text, room, "integrity_check stopped: %s",
			       sqlite3_errmsg(db));
	}
	rc = sqlite3_prepare_v2(db,
				"SELECT name FROM sqlite_schema WHERE "
				"type = 'table' AND coalesce(sql, '') NOT "
				"LIKE 'CREATE VIRTUAL%' ORDER BY name",
				-1, &names, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(names)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(names, 0);
		char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"",
					    name);
		int64_t rows = 0;

		if (!sql) {
			rc = SQLITE_NOMEM;
			break;
		}
		rc = query_int(db, sql, &rows);
		sqlite3_free(sql);
		if (rc == SQLITE_OK) {
			json_array_append_new(tables,
					      json_pack("{s:s, s:I}", "name",
							name, "rows",
							(json_int_t)rows));
		} else if ((rc & 0xff) == SQLITE_CORRUPT) {
			*clean = 0;
			append_finding(text, room,
				       "counting the rows of table '%s': %s",
				       name, sqlite3_errmsg(db));
			json_array_append_new(tables,
					      json_pack("{s:s, s:n, s:s}",
							"name", name, "rows",
							"error",
							sqlite3_errmsg(db)));
			rc = SQLITE_OK;
		} else {
			break;
		}
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(names);
	if (rc != SQLITE_OK)
		goto failed;
	/* An error that ended the read transaction ends the snapshot. */
	if (sqlite3_get_autocommit(db)) {
		json_decref(tables);
		return ark_error_set(err, ARK_ERR_SOURCE, 0,
				     "'%s': the read transaction ended while "
				     "checking integrity", path);
	}
	json_object_set_new(source, "integrity_check", json_string(text));
	json_object_set_new(source, "tables", tables);
	return 0;
failed:
	json_decref(tables);
	return source_error(db, path, "checking integrity", err);
}

/*
 * One snapshot.  *retry is set (and no archive kept) when the source was
 * read immutable and a connection started meanwhile.
 */
static int snapshot_attempt(const struct ark_snapshot_options *options,
			    int allow_shared_lock,
			    struct ark_snapshot_result *result, int *retry,
			    struct ark_error *err)
{
	struct ark_archive_writer_options wopts = {
		.kind = "sqlite", .tool = "ark-snapshot",
		.level = options->level, .threads = options->threads,
	};
	struct source src = { .path = options->db_path, .lock_fd = -1 };
	struct archive_name name = { 0 };
	struct stream_state stream = { 0 };
	struct ark_sink discard = { 0 };
	struct ark_sink to_archive = { stream_to_archive, &stream };
	struct ark_page_sink *capture = NULL;
	struct ark_page_sink *streamer = NULL;
	struct ark_archive_writer *writer = NULL;
	struct ark_hash128 schema = { 0, 0 };
	struct timespec started;
	char path[4096];
	char dir[PATH_MAX];
	json_t *source = NULL;
	int64_t page_size = 0, page_count = 0, freelist = 0;
	int64_t user_version = 0, application_id = 0;
	int integrity_clean = 1;
	int in_txn = 0;
	int rc;

	memset(result, 0, sizeof(*result));
	*retry = 0;
	clock_gettime(CLOCK_MONOTONIC, &started);
	/* Refuse a bad or existing output before doing any work. */
	if ((rc = archive_path(options, &name, dir, sizeof(dir), path,
			       sizeof(path), err)) ||
	    (rc = inspect_source(&src, err)) ||
	    (rc = open_source(&src, options->busy_timeout_ms,
			      allow_shared_lock, err)))
		goto cleanup;
	wopts.created_unix = name.file ? (int64_t)time(NULL) : name.ms / 1000;
	if (!name.file) {
		wopts.next_name = next_name;
		wopts.next_name_ctx = &name;
	}
	if (sqlite3_exec(src.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = source_error(src.db, options->db_path, "starting a read "
				  "transaction", err);
		goto cleanup;
	}
	in_txn = 1;
	if (schema_hash(src.db, &schema) != SQLITE_OK ||
	    query_int(src.db, "PRAGMA page_size", &page_size) != SQLITE_OK ||
	    query_int(src.db, "PRAGMA page_count", &page_count) != SQLITE_OK ||
	    query_int(src.db, "PRAGMA freelist_count", &freelist) !=
		    SQLITE_OK ||
	    query_int(src.db, "PRAGMA user_version", &user_version) !=
		    SQLITE_OK ||
	    query_int(src.db, "PRAGMA application_id", &application_id) !=
		    SQLITE_OK ||
	    query_text(src.db, "PRAGMA journal_mode", result->journal_mode,
		       sizeof(result->journal_mode)) != SQLITE_OK) {
		rc = source_error(src.db, options->db_path,
				  "reading the schema", err);
		goto cleanup;
	}
	/* An immutable connection knows no journal; the header does. */
	if (src.immutable && src.wal_header)
		snprintf(result->journal_mode, sizeof(result->journal_mode),
			 "wal");
	source = source_identity(options->db_path, (uint64_t)src.st.st_size,
				 page_size, page_count, freelist,
				 result->journal_mode, user_version,
				 application_id, schema);
	if (!source) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (options->check) {
		result->checked = 1;
		if ((rc = check_source(src.db, options->db_path, source,
				       result, &integrity_clean, err)))
			goto cleanup;
	}
	result->page_size = (uint64_t)page_size;
	result->page_count = (uint64_t)page_count;
	result->db_size = (uint64_t)(page_size * page_count);
	ark_log(ARK_LOG_INFO, "snapshot of '%s': %" PRId64 " pages of %" PRId64
		" bytes, journal mode %s%s", options->db_path, page_count,
		page_size, result->journal_mode,
		src.immutable ? " (read immutable)" : "");

	/* Pass 1: learn the image's page 1. */
	if ((rc = ark_page_sink_new(ARK_PAGE_SINK_CAPTURE, (uint32_t)page_size,
				    (uint64_t)page_count, discard, &capture,
				    err)) ||
	    (page_count > 0 &&
	     (rc = backup_pass(src.db, capture, options->db_path, err))))
		goto cleanup;

	ark_log(ARK_LOG_DEBUG, "pass 1 (page 1) done after %.3f s",
		elapsed_ms(&started) / 1000.0);

	/* Pass 2: stream the image into the archive. */
	if ((rc = ark_archive_writer_open(path, &wopts, &writer, err)))
		goto cleanup;
	stream.writer = writer;
	stream.progress = ark_progress_new("snapshot", result->db_size,
					   options->progress);
	if ((rc = ark_archive_member_begin(writer, "database.sqlite.zst",
					   "sqlite-image", result->db_size,
					   err)) ||
	    (rc = ark_page_sink_new(ARK_PAGE_SINK_STREAM, (uint32_t)page_size,
				    (uint64_t)page_count, to_archive,
				    &streamer, err)))
		goto cleanup;
	if (page_count > 0 &&
	    ((rc = ark_page_sink_set_page1(streamer,
					   ark_page_sink_page1(capture),
					   err)) ||
	     (rc = backup_pass(src.db, streamer, options->db_path, err))))
		goto cleanup;
	if ((rc = ark_archive_member_end(writer, err)))
		goto cleanup;
	ark_log(ARK_LOG_DEBUG, "pass 2 (stream) done after %.3f s",
		elapsed_ms(&started) / 1000.0);
	if (source_changed(&src)) {
		ark_log(ARK_LOG_INFO, "'%s': a connection opened the database "
			"during the snapshot; taking it again",
			options->db_path);
		*retry = 1;
		goto cleanup;
	}
	sqlite3_exec(src.db, "COMMIT", NULL, NULL, NULL);
	in_txn = 0;
	result->manifest_source = json_incref(source);
	ark_archive_writer_set_source(writer, source);
	source = NULL;
	if ((rc = ark_archive_writer_finish(writer, &result->archive, err)))
		goto cleanup;
	result->seconds = elapsed_ms(&started) / 1000.0;
	if (options->check && !integrity_clean)
		rc = ark_error_set(err, ARK_ERR_INTEGRITY, 0,
				   "'%s' fails integrity_check: %s (the "
				   "snapshot was written to '%s')",
				   options->db_path, result->integrity,
				   result->archive.path);
cleanup:
	ark_progress_free(stream.progress);
	if (in_txn)
		sqlite3_exec(src.db, "ROLLBACK", NULL, NULL, NULL);
	ark_archive_writer_free(writer);
	ark_page_sink_free(capture);
	ark_page_sink_free(streamer);
	json_decref(source);
	close_source(&src);
	if (*retry) {
		ark_snapshot_result_free(result);
		memset(result, 0, sizeof(*result));
	}
	return rc;
}

int ark_snapshot_run(const struct ark_snapshot_options *options,
		     struct ark_snapshot_result *result,
		     struct ark_error *err)
{
	int retry = 0;
	int rc;

	/*
	 * A connection that starts while a cleanly closed WAL database is
	 * read immutable makes that read unusable: read again, the last
	 * time through SQLite's own WAL locking.
	 */
	for (int attempt = 0; attempt < 3; attempt++) {
		rc = snapshot_attempt(options, attempt < 2, result, &retry,
				      err);
		if (!retry)
			break;
	}
	return rc;
}

void ark_snapshot_result_free(struct ark_snapshot_result *result)
{
	if (!result)
		return;
	json_decref(result->manifest_source);
	result->manifest_source = NULL;
}
