/*
 * source.c - a SQLite database read as a source, never written
 * (ark/sqlite_source.h): ark-snapshot's and ark-transfer's one way in.
 *
 * The source is opened read-only by a URI built here, so no path is taken
 * for a URI and no hot journal is rolled back; a cleanly closed WAL
 * database (no -wal) may be read immutable under a SHARED lock of our
 * own, so no -wal or -shm is created; one SQLite must create all the same
 * is removed at close when no other connection is using the database.
 * One read transaction is begun at open and held until close.
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
#include "ark/sqlite_source.h"
#include "ark/text.h"
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
struct ark_sqlite_source {
	char *path;
	const char *verb;   /* for advice: "then <verb> again" */
	char companion[COMPANIONS][PATH_MAX + 16];
	int existed[COMPANIONS];
	uint64_t companion_size[COMPANIONS];
	struct stat st;
	int wal_header;     /* header byte 18 or 19 says WAL */
	int immutable;      /* opened with immutable=1 */
	int lock_fd;        /* our SHARED lock while immutable, else -1 */
	struct busy_state busy;
	sqlite3 *db;
	int in_txn;         /* the read transaction is open */
	struct ark_sqlite_source_info info;
};

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

static int source_error(sqlite3 *db, const char *path, const char *verb,
			const char *doing, struct ark_error *err)
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
				     "then %s again", path, path, path, verb);
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

static int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
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
 * or the WAL of another name would be missed and the source would
 * hold a torn or stale state.  (Names in other directories cannot be
 * found; the warning in inspect_source() covers those.)
 */
static int check_other_names(const struct ark_sqlite_source *src,
			     struct ark_error *err)
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
						   "through '%s'; %s "
						   "'%.*s%s'",
						   src->path, prefix,
						   src->path, entry->d_name,
						   companion_role[i], prefix,
						   src->path, other,
						   src->path, src->verb, prefix,
						   src->path, entry->d_name);
		}
	}
	closedir(listing);
	return rc;
}

/* Stat the database, read its header, look at each companion file. */
static int inspect_source(struct ark_sqlite_source *src,
			  struct ark_error *err)
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
					     "'%s'; remove it, then %s "
					     "again", src->companion[i],
					     companion_role[i], src->path,
					     src->verb);
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
				     "be missing; %s it through the "
				     "name the application uses",
				     src->path, (uintmax_t)src->st.st_nlink,
				     src->companion[WAL], src->verb);
	if (src->st.st_nlink > 1 && (rc = check_other_names(src, err)))
		return rc;
	if (src->st.st_nlink > 1 && !src->wal_header)
		ark_log(ARK_LOG_WARN, "'%s' has %ju hard links: a hot "
			"journal left under another name would not be "
			"seen; %s it through the name the "
			"application uses", src->path,
			(uintmax_t)src->st.st_nlink, src->verb);
	return 0;
}

/*
 * Take SHARED on the database as SQLite does, waiting up to the busy
 * timeout: read lock on the pending byte, then on the shared range.
 */
static int take_shared_lock(struct ark_sqlite_source *src,
			    struct ark_error *err)
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
static int check_can_create(const struct ark_sqlite_source *src,
			    struct ark_error *err)
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
 *     the caller looks for (ark_sqlite_source_changed); deleting a
 *     -wal needs EXCLUSIVE, which our lock keeps out).  Nothing is created;
 *   - otherwise a read-only connection: a hot journal is refused, not
 *     rolled back (SQLITE_READONLY_ROLLBACK).
 */
static int open_source(struct ark_sqlite_source *src, int busy_timeout_ms,
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
static int source_changed(const struct ark_sqlite_source *src)
{
	return src->lock_fd >= 0 && (path_exists(src->companion[WAL]) ||
				     path_exists(src->companion[JOURNAL]));
}

/*
 * Close the source; then remove the -wal and -shm that SQLite created for
 * this run, but only under SQLite's EXCLUSIVE lock (no other connection
 * has the database open: each holds SHARED) and a -wal only when empty.
 */
static void close_source(struct ark_sqlite_source *src)
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

/* ---- the public face ------------------------------------------------- */

int ark_sqlite_source_open(const char *path, int busy_timeout_ms,
			   struct ark_sqlite_source **out,
			   struct ark_error *err)
{
	struct ark_sqlite_source_options options = {
		.busy_timeout_ms = busy_timeout_ms,
	};

	return ark_sqlite_source_open_with(path, &options, out, err);
}

int ark_sqlite_source_open_with(const char *path,
				const struct ark_sqlite_source_options *options,
				struct ark_sqlite_source **out,
				struct ark_error *err)
{
	struct ark_sqlite_source *src = calloc(1, sizeof(*src));
	struct ark_sqlite_source_info *info;
	int rc;

	*out = NULL;
	if (!src || !(src->path = strdup(path))) {
		free(src);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	}
	src->verb = options->verb ? options->verb : "read";
	src->lock_fd = -1;
	info = &src->info;
	if ((rc = inspect_source(src, err)) ||
	    (rc = open_source(src, options->busy_timeout_ms,
			      (options->flags &
			       ARK_SQLITE_SOURCE_IMMUTABLE_OK) != 0,
			      err)))
		goto cleanup;
	if (sqlite3_exec(src->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ark_sqlite_source_error(src, "starting a read transaction",
					     err);
		goto cleanup;
	}
	src->in_txn = 1;
	/* The first read starts the read transaction. */
	if (schema_hash(src->db, &info->schema) != SQLITE_OK ||
	    query_int(src->db, "PRAGMA page_size", &info->page_size) !=
		    SQLITE_OK ||
	    query_int(src->db, "PRAGMA page_count", &info->page_count) !=
		    SQLITE_OK ||
	    query_int(src->db, "PRAGMA freelist_count",
		      &info->freelist_count) != SQLITE_OK ||
	    query_int(src->db, "PRAGMA user_version", &info->user_version) !=
		    SQLITE_OK ||
	    query_int(src->db, "PRAGMA application_id",
		      &info->application_id) != SQLITE_OK ||
	    query_text(src->db, "PRAGMA journal_mode", info->journal_mode,
		       sizeof(info->journal_mode)) != SQLITE_OK) {
		rc = ark_sqlite_source_error(src, "reading the schema", err);
		goto cleanup;
	}
	/* An immutable connection knows no journal; the header does. */
	if (src->immutable && src->wal_header)
		snprintf(info->journal_mode, sizeof(info->journal_mode),
			 "wal");
	info->file_size = (uint64_t)src->st.st_size;
	info->immutable = src->immutable;
	*out = src;
	src = NULL;
cleanup:
	ark_sqlite_source_close(src);
	return rc;
}

void ark_sqlite_source_close(struct ark_sqlite_source *src)
{
	if (!src)
		return;
	if (src->in_txn)
		sqlite3_exec(src->db, "ROLLBACK", NULL, NULL, NULL);
	close_source(src);
	free(src->path);
	free(src);
}

sqlite3 *ark_sqlite_source_db(const struct ark_sqlite_source *src)
{
	return src->db;
}

const char *ark_sqlite_source_path(const struct ark_sqlite_source *src)
{
	return src->path;
}

const struct ark_sqlite_source_info *
ark_sqlite_source_info(const struct ark_sqlite_source *src)
{
	return &src->info;
}

int ark_sqlite_source_changed(const struct ark_sqlite_source *src)
{
	return source_changed(src);
}

int ark_sqlite_source_error(const struct ark_sqlite_source *src,
			    const char *doing, struct ark_error *err)
{
	return source_error(src->db, src->path, src->verb, doing, err);
}

json_t *ark_sqlite_source_identity(const struct ark_sqlite_source *src)
{
	const struct ark_sqlite_source_info *info = &src->info;
	char resolved[PATH_MAX];
	char host[256] = "";
	char schema_hex[ARK_HASH_HEX_LEN + 1];

	if (!realpath(src->path, resolved))
		snprintf(resolved, sizeof(resolved), "%s", src->path);
	gethostname(host, sizeof(host) - 1);
	ark_hash_to_hex(info->schema, schema_hex);
	/* A path or host name that is not UTF-8 is kept in escaped form. */
	return json_pack("{s:o, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:s, "
			 "s:s, s:o}",
			 "path", ark_text_json_string(resolved),
			 "size", (json_int_t)info->file_size,
			 "page_size", (json_int_t)info->page_size,
			 "page_count", (json_int_t)info->page_count,
			 "freelist_count", (json_int_t)info->freelist_count,
			 "journal_mode", info->journal_mode,
			 "user_version", (json_int_t)info->user_version,
			 "application_id", (json_int_t)info->application_id,
			 "schema_xxh128", schema_hex,
			 "sqlite_version", sqlite3_libversion(),
			 "host", ark_text_json_string(host));
}

int ark_sqlite_source_count_rows(const struct ark_sqlite_source *src,
				 const char *table, int64_t *rows,
				 struct ark_error *err)
{
	char *sql = sqlite3_mprintf("SELECT count(*) FROM main.\"%w\"", table);
	int rc;

	*rows = 0;
	if (!sql)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = query_int(src->db, sql, rows);
	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return ark_sqlite_source_error(src, "counting rows", err);
	return 0;
}

int ark_sqlite_source_check(const struct ark_sqlite_source *src,
			    json_t *source, char *text, size_t room,
			    int *clean, struct ark_error *err)
{
	sqlite3 *db = src->db;
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
		/* A name that is not UTF-8 is kept in escaped form. */
		if (rc == SQLITE_OK) {
			json_array_append_new(tables,
					      json_pack("{s:o, s:I}", "name",
							ark_text_json_string(
								name),
							"rows",
							(json_int_t)rows));
		} else if ((rc & 0xff) == SQLITE_CORRUPT) {
			*clean = 0;
			append_finding(text, room,
				       "counting the rows of table '%s': %s",
				       name, sqlite3_errmsg(db));
			json_array_append_new(tables,
					      json_pack("{s:o, s:n, s:o}",
							"name",
							ark_text_json_string(
								name),
							"rows", "error",
							ark_text_json_string(
								sqlite3_errmsg(
									db))));
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
	/* An error that ended the read transaction ends the read. */
	if (sqlite3_get_autocommit(db)) {
		json_decref(tables);
		return ark_error_set(err, ARK_ERR_SOURCE, 0,
				     "'%s': the read transaction ended while "
				     "checking integrity", src->path);
	}
	json_object_set_new(source, "integrity_check",
			    ark_text_json_string(text));
	json_object_set_new(source, "tables", tables);
	return 0;
failed:
	json_decref(tables);
	return ark_sqlite_source_error(src, "checking integrity", err);
}

/* ---- a private copy for parallel readers ----------------------------- */

struct ark_sqlite_source_copy {
	struct ark_atomic_file *file;   /* the 0600 temporary, never committed */
};

/* Pages per backup step: 16 MiB, so a stop signal is seen within one. */
#define COPY_STEP_BYTES (16 * 1024 * 1024)

/*
 * Speed, measured 2026-11-30 on a 405 MiB WAL database from
 * scripts/gen-sqlite (2 cores shared with other jobs, load ~6, ext4, page
 * cache warm): 0.94-1.3 s (310-430 MiB/s), 10 MiB peak RSS, the same
 * with one 1 GiB step or 16 MiB steps, and with or without mmap on the
 * source.  cp of the file takes 0.09 s (an in-kernel copy), but copies
 * the file, not the transaction's view: the -wal's committed pages would
 * be missing and a writer could change the file meanwhile.  The backup
 * API reads every page through the source's pager (WAL included) and
 * writes it through the copy's, one 4 KiB page at a time; at ~2.5 s/GiB
 * that is a fraction of what loading the rows into PostgreSQL costs.
 *
 * *changed is set (and ARK_ERR_SOURCE returned) when the view went stale.
 */
static int copy_view(struct ark_sqlite_source *src, const char *tmpdir,
		     struct ark_sqlite_source_copy **out, int *changed,
		     struct ark_error *err)
{
	struct ark_sqlite_source_copy *copy = calloc(1, sizeof(*copy));
	const struct ark_sqlite_source_info *info = &src->info;
	sqlite3 *dest = NULL;
	sqlite3_backup *backup = NULL;
	char final_path[PATH_MAX];
	uint64_t need = (uint64_t)info->page_size * (uint64_t)info->page_count;
	uint64_t have = 0;
	char *uri = NULL;
	struct stat st = { 0 };
	int step_pages;
	int step;
	int rc;

	*out = NULL;
	if (!copy)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if (snprintf(final_path, sizeof(final_path), "%s/ark-source-copy",
		     tmpdir) >= (int)sizeof(final_path)) {
		rc = ark_error_set(err, ARK_ERR_WRITE, ENAMETOOLONG,
				   "cannot copy '%s' into '%s'", src->path,
				   tmpdir);
		goto cleanup;
	}
	if (stat(tmpdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		int why = st.st_mode == 0 ? errno : ENOTDIR; /* stat failed */

		rc = ark_error_set(err, ARK_ERR_WRITE, why,
				   "cannot copy '%s' into '%s'", src->path,
				   tmpdir);
		goto cleanup;
	}
	if ((rc = ark_fsio_free_space(tmpdir, &have, err)))
		goto cleanup;
	/* Refuse at once rather than fill the disk and fail at the end. */
	if (have < need) {
		rc = ark_error_set(err, ARK_ERR_WRITE, 0,
				   "cannot copy '%s' into '%s': the copy "
				   "needs %" PRIu64 " bytes, %" PRIu64
				   " are free", src->path, tmpdir, need, have);
		goto cleanup;
	}
	if ((rc = ark_atomic_open_short(final_path, &copy->file, err)))
		goto cleanup;
	uri = ark_sqlite_file_uri(ark_atomic_temp_path(copy->file), "mode=rw");
	if (!uri) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	/*
	 * No journal: the copy is written once and thrown away on failure,
	 * so no -journal ever appears beside it.  Exclusive locking: no
	 * other connection opens it while it is written.
	 */
	if (sqlite3_open_v2(uri, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(dest, "PRAGMA journal_mode = OFF; "
			 "PRAGMA synchronous = OFF; "
			 "PRAGMA locking_mode = EXCLUSIVE", NULL, NULL,
			 NULL) != SQLITE_OK) {
		rc = ark_error_set(err, ARK_ERR_WRITE, 0,
				   "cannot write '%s': %s",
				   ark_atomic_temp_path(copy->file),
				   dest ? sqlite3_errmsg(dest) : "out of memory");
		goto cleanup;
	}
	backup = sqlite3_backup_init(dest, "main", src->db, "main");
	if (!backup) {
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "'%s': cannot start the copy: %s",
				   src->path, sqlite3_errmsg(dest));
		goto cleanup;
	}
	step_pages = info->page_size > 0
			     ? (int)(COPY_STEP_BYTES / info->page_size)
			     : 1024;
	do {
		if ((rc = ark_fsio_check_interrupt(err)))
			goto cleanup;
		step = sqlite3_backup_step(backup, step_pages);
	} while (step == SQLITE_OK);
	sqlite3_backup_finish(backup);
	backup = NULL;
	if (step != SQLITE_DONE) {
		int code = step & 0xff;

		/* The extended code tells a write of the copy from a read. */
		if (ark_fsio_interrupted())
			rc = ark_fsio_check_interrupt(err);
		else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
			rc = locked_error(src->path, "copying the database",
					  err);
		else if (code == SQLITE_FULL || step == SQLITE_IOERR_WRITE ||
			 step == SQLITE_IOERR_FSYNC ||
			 step == SQLITE_IOERR_TRUNCATE)
			rc = ark_error_set(err, ARK_ERR_WRITE,
					   code == SQLITE_FULL ? ENOSPC : 0,
					   "cannot write '%s': %s",
					   ark_atomic_temp_path(copy->file),
					   sqlite3_errstr(step));
		else
			rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
					   "'%s': copying the database: %s",
					   src->path, sqlite3_errstr(step));
		goto cleanup;
	}
	if (sqlite3_close(dest) != SQLITE_OK) {
		rc = ark_error_set(err, ARK_ERR_WRITE, 0,
				   "cannot write '%s': %s",
				   ark_atomic_temp_path(copy->file),
				   sqlite3_errmsg(dest));
		goto cleanup;
	}
	dest = NULL;
	if (source_changed(src)) {
		*changed = 1;
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "'%s': a connection opened the database "
				   "while it was copied (it was read "
				   "immutable)", src->path);
		goto cleanup;
	}
	*out = copy;
	copy = NULL;
cleanup:
	if (backup)
		sqlite3_backup_finish(backup);
	sqlite3_close(dest);
	sqlite3_free(uri);
	ark_sqlite_source_copy_free(copy);
	return rc;
}

int ark_sqlite_source_copy(struct ark_sqlite_source *src, const char *tmpdir,
			   struct ark_sqlite_source_copy **out,
			   struct ark_error *err)
{
	int changed = 0;

	return copy_view(src, tmpdir, out, &changed, err);
}

int ark_sqlite_source_copy_file(const char *path,
				const struct ark_sqlite_source_options *options,
				const char *tmpdir,
				struct ark_sqlite_source_copy **out,
				json_t **identity, struct ark_error *err)
{
	struct ark_sqlite_source_options attempt_options = *options;
	int rc = 0;

	*out = NULL;
	if (identity)
		*identity = NULL;
	/*
	 * Immutable where the database allows it; a connection that opens
	 * it meanwhile makes that read unusable: read again, the last time
	 * through SQLite's own locking (as ark-snapshot does).
	 */
	for (int attempt = 0; attempt < 3; attempt++) {
		struct ark_sqlite_source *src = NULL;
		struct ark_error attempt_err;
		int changed = 0;

		ark_error_clear(&attempt_err);
		if (attempt == 2)
			attempt_options.flags &= ~ARK_SQLITE_SOURCE_IMMUTABLE_OK;
		rc = ark_sqlite_source_open_with(path, &attempt_options, &src,
						 &attempt_err);
		if (rc == 0)
			rc = copy_view(src, tmpdir, out, &changed,
				       &attempt_err);
		if (rc == 0 && identity &&
		    !(*identity = ark_sqlite_source_identity(src))) {
			ark_sqlite_source_copy_free(*out);
			*out = NULL;
			rc = ark_error_set(&attempt_err, ARK_ERR_INTERNAL, 0,
					   "out of memory");
		}
		ark_sqlite_source_close(src);
		if (!changed || attempt == 2) {
			if (rc && err && err->code == ARK_OK)
				*err = attempt_err;
			return rc;
		}
		ark_log(ARK_LOG_INFO, "'%s': a connection opened the database "
			"while it was copied; copying it again", path);
	}
	return rc;
}

const char *
ark_sqlite_source_copy_path(const struct ark_sqlite_source_copy *copy)
{
	return ark_atomic_temp_path(copy->file);
}

int ark_sqlite_source_copy_open(const struct ark_sqlite_source_copy *copy,
				sqlite3 **db, struct ark_error *err)
{
	const char *path = ark_atomic_temp_path(copy->file);
	char *uri = ark_sqlite_file_uri(path, "mode=ro&immutable=1");
	int rc;

	*db = NULL;
	if (!uri)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			     NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK) {
		rc = ark_error_set(err, ARK_ERR_READ, 0,
				   "cannot open the copy '%s': %s", path,
				   *db ? sqlite3_errmsg(*db)
				       : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	sqlite3_extended_result_codes(*db, 1);
	return 0;
}

void ark_sqlite_source_copy_free(struct ark_sqlite_source_copy *copy)
{
	if (!copy)
		return;
	ark_atomic_free(copy->file);
	free(copy);
}
