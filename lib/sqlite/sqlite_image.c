/*
 * sqlite_image.c - see sqlite_image_internal.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ark/fsio.h"
#include "ark/kind.h"
#include "ark/verify.h"
#include "sqlite/sqlite_image_internal.h"

struct check_watch {
	sqlite3 *db;
	struct ark_progress *progress;
};
#define ARK_STRINGIFY_(x) #x
#define ARK_STRINGIFY(x) ARK_STRINGIFY_(x)

struct fd_sink {
	int fd;
	const char *path;
};

static int fd_sink_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	struct fd_sink *sink = ctx;

	return ark_fsio_write_all(sink->fd, buf, len, sink->path, err);
}

int ark_sqlite_image_find(const struct ark_archive_reader *reader,
			  const char *archive_path, size_t *index,
			  struct ark_error *err)
{
	/* The manifest's values were validated when it was parsed. */
	int rc = ark_manifest_sqlite_image(ark_archive_reader_manifest(reader),
					   index, err);

	if (rc)
		ark_error_prefix(err, "%s", archive_path);
	return rc;
}

const char *ark_sqlite_image_plan(const struct ark_manifest *manifest,
				  int full_check)
{
	json_t *source = json_object_get(manifest->root, "source");
	json_t *check = json_object_get(source, "integrity_check");

	if (full_check)
		return "integrity_check";
	if (!json_is_string(check))
		return "quick_check";
	/* Recorded as damaged: the full check names what is wrong. */
	return strcmp(json_string_value(check), "ok") == 0 ? "recorded"
							    : "integrity_check";
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int ark_sqlite_image_header(const unsigned char *head, size_t len,
			    const struct ark_manifest *manifest,
			    const char *archive_path, struct ark_error *err)
{
	static const char magic[16] = "SQLite format 3";
	uint32_t page_size;

	if (manifest->page_count == 0)
		return 0;
	if (len < ARK_SQLITE_HEADER_SIZE || memcmp(head, magic, 16) != 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: the image is not a SQLite database "
				     "(no SQLite header)", archive_path);
	page_size = (uint32_t)head[16] << 8 | head[17];
	if (page_size == 1)
		page_size = 65536;
	if (page_size != manifest->page_size)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: the image's page size is %" PRIu32
				     ", the manifest says %" PRIu64,
				     archive_path, page_size,
				     manifest->page_size);
	/* The in-header size counts only when valid-for matches. */
	if (be32(head + 92) == be32(head + 24) && be32(head + 28) != 0 &&
	    be32(head + 28) != manifest->page_count)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: the image's header counts %" PRIu32
				     " pages, the manifest %" PRIu64,
				     archive_path, be32(head + 28),
				     manifest->page_count);
	return 0;
}

int ark_sqlite_image_extract(struct ark_archive_reader *reader, size_t index,
			     int fd, const char *path,
			     struct ark_progress *progress,
			     struct ark_error *err)
{
	struct fd_sink sink = { fd, path };
	struct ark_sink out = { fd_sink_write, &sink };

	return ark_archive_extract_member(reader, index, out, progress, err);
}

char *ark_sqlite_file_uri(const char *path, const char *query)
{
	sqlite3_str *uri = sqlite3_str_new(NULL);

	sqlite3_str_appendall(uri, "file:");
	if (path[0] == '/' && path[1] == '/')
		sqlite3_str_appendall(uri, "///");
	for (const char *p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			sqlite3_str_appendf(uri, "%%%02X", (unsigned char)*p);
		else
			sqlite3_str_appendchar(uri, 1, *p);
	}
	sqlite3_str_appendf(uri, "?%s", query);
	return sqlite3_str_finish(uri);
}

static char *immutable_uri(const char *path)
{
	return ark_sqlite_file_uri(path, "immutable=1");
}

static size_t append_text(char *out, size_t room, size_t used,
			  const char *text)
{
	size_t len = strlen(text);

	if (used + len >= room) {
		out[used] = '\0';
		return room - 1; /* full: nothing more is appended */
	}
	memcpy(out + used, text, len + 1);
	return used + len;
}

int ark_sqlite_check(sqlite3 *db, int full, char *out, size_t room,
		     int *clean)
{
	sqlite3_stmt *stmt = NULL;
	size_t used = 0;
	int lines = 0;
	int rc;

	out[0] = '\0';
	*clean = 0;
	rc = sqlite3_prepare_v2(db, full ? "PRAGMA integrity_check(20)"
					 : "PRAGMA quick_check(20)",
				-1, &stmt, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(stmt, 0);

		if (!line)
			line = "";
		if (lines == 0 && strcmp(line, "ok") == 0)
			*clean = 1;
		/* One line: SQLite 3.40 puts several findings in one row,
		 * separated by newlines; they are joined by "; " too. */
		if (lines > 0)
			used = append_text(out, room, used, "; ");
		for (const char *p = line; *p; p++) {
			char one[2] = { *p, '\0' };

			used = append_text(out, room, used,
					   *p == '\n' ? "; " : one);
		}
		lines++;
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * sqlite3_progress_handler callback: pages read so far, on the line; a
 * stop signal ends the check (SQLITE_INTERRUPT).
 */
static int check_progress(void *ctx)
{
	struct check_watch *watch = ctx;
	int current = 0, highest = 0;

	if (ark_fsio_interrupted())
		return 1;
	if (watch->progress) {
		sqlite3_db_status(watch->db, SQLITE_DBSTATUS_CACHE_MISS,
				  &current, &highest, 0);
		ark_progress_update(watch->progress, (uint64_t)current);
	}
	return 0;
}

int ark_sqlite_integrity_check(sqlite3 *db, char *out, size_t room,
			       int *clean)
{
	return ark_sqlite_check(db, 1, out, room, clean);
}

/*
 * Page cache of the connection that runs the full integrity_check, in
 * KiB.  On a 405 MiB generated database (scripts/gen-sqlite, warm page
 * cache) integrity_check took 4.5 s with SQLite's default 2 MiB, 3.8 s
 * with 16 MiB, 2.9 s with 32 MiB and 2.9 s with 64 MiB; peak RSS of the
 * sqlite3 shell 21 MB and 38 MB at 16 and 32 MiB.  quick_check does not
 * gain from it (0.56 s with 2 MiB, 0.88 s with 64 MiB), so it keeps the
 * default.  (mmap gave 2.0 s, but maps the whole file into the process.)
 */
#define FULL_CHECK_CACHE_KIB 32768

/* SQLite's unix VFS: mxPathname, the longest full path it opens. */
#define ARK_SQLITE_MAX_PATHNAME 512

/* Length of path made absolute, as SQLite's unix VFS sees it. */
static size_t full_path_length(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strlen(path);
	return strlen(cwd) + 1 + strlen(path);
}

/*
 * The failure of SQLite's open or check, as the ark error it really is:
 * a damaged database only for SQLITE_CORRUPT and SQLITE_NOTADB; a file
 * that cannot be opened or read is a read error with its errno (too
 * many open files, a path too long), memory is internal.
 */
static int check_failure(sqlite3 *db, int rc, const char *path,
			 struct ark_error *err)
{
	int primary = rc & 0xff;
	int sys_errno = db ? sqlite3_system_errno(db) : 0;
	const char *what = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	switch (primary) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ark_error_set(err, ARK_ERR_INTEGRITY, 0,
				     "the database image fails its check: %s",
				     what);
	case SQLITE_NOMEM:
		return ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
				     "cannot check '%s'", path);
	case SQLITE_INTERRUPT:
		return ark_fsio_check_interrupt(err) ? ARK_ERR_INTERRUPTED
			: ark_error_set(err, ARK_ERR_INTERRUPTED, 0,
					"interrupted by signal");
	case SQLITE_CANTOPEN:
		if (full_path_length(path) > ARK_SQLITE_MAX_PATHNAME)
			return ark_error_set(err, ARK_ERR_READ, ENAMETOOLONG,
					     "cannot check '%s': its full path "
					     "is longer than the %d bytes "
					     "SQLite accepts", path,
					     ARK_SQLITE_MAX_PATHNAME);
		/* fall through */
	default:
		if (sys_errno)
			return ark_error_set(err, ARK_ERR_READ, sys_errno,
					     "cannot check '%s' (%s)", path,
					     what);
		return ark_error_set(err, ARK_ERR_READ, 0,
				     "cannot check '%s': %s", path, what);
	}
}

int ark_sqlite_image_check(const char *path, int full, char *out,
			   size_t room, struct ark_progress *progress,
			   struct ark_error *err)
{
	sqlite3 *db = NULL;
	struct check_watch watch = { NULL, progress };
	char *uri;
	int clean = 0;
	int rc;

	out[0] = '\0';
	uri = immutable_uri(path);
	if (!uri)
		return ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
				     "cannot check '%s'", path);
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			     NULL);
	sqlite3_free(uri);
	watch.db = db;
	if (rc == SQLITE_OK)
		sqlite3_progress_handler(db, 10000, check_progress, &watch);
	if (rc == SQLITE_OK)
		sqlite3_extended_result_codes(db, 1);
	if (rc == SQLITE_OK && full)
		rc = sqlite3_exec(db, "PRAGMA cache_size=-"
				  ARK_STRINGIFY(FULL_CHECK_CACHE_KIB),
				  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = ark_sqlite_check(db, full, out, room, &clean);
	if (rc != SQLITE_OK) {
		int primary = rc & 0xff;

		if (!out[0])
			snprintf(out, room, "%s",
				 primary == SQLITE_CORRUPT ||
						 primary == SQLITE_NOTADB
					 ? (db ? sqlite3_errmsg(db)
					       : sqlite3_errstr(rc))
					 : "not checked");
		rc = check_failure(db, rc, path, err);
	} else if (!clean) {
		rc = ark_error_set(err, ARK_ERR_INTEGRITY, 0,
				   "the database image fails %s: %s",
				   full ? "integrity_check" : "quick_check",
				   out);
	}
	sqlite3_close(db);
	return rc;
}

/* Raw content is hashed by extract_member; the bytes go nowhere. */
static int discard_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

/* The first bytes of the image, for ark_sqlite_image_header(). */
struct head_capture {
	unsigned char bytes[ARK_SQLITE_HEADER_SIZE];
	size_t len;
};

static int capture_write(void *ctx, const void *buf, size_t len,
			 struct ark_error *err)
{
	struct head_capture *head = ctx;
	size_t take = sizeof(head->bytes) - head->len;

	(void)err;
	if (take > len)
		take = len;
	memcpy(head->bytes + head->len, buf, take);
	head->len += take;
	return 0;
}

/*
 * The image's raw hash is checked as it is decompressed.  The database is
 * then checked as restore does (ark_sqlite_image_plan): none when the
 * archive records a passing integrity_check (the bytes are those it ran
 * on), so nothing needs writing; else quick_check or integrity_check on
 * a temporary in $TMPDIR.
 */
static int deep_sqlite(struct ark_archive_reader *reader, size_t index,
		       const struct ark_verify_options *options,
		       struct ark_progress *progress,
		       struct ark_verify_result *result, struct ark_error *err)
{
	const char *dir = options->tmpdir ? options->tmpdir : getenv("TMPDIR");
	struct ark_atomic_file *temp = NULL;
	char name[4096];
	int rc;

	snprintf(result->check, sizeof(result->check), "%s",
		 ark_sqlite_image_plan(ark_archive_reader_manifest(reader),
				       options->full_check));
	ark_progress_phase(progress, "deep verify 2/3: decompress",
			   ark_archive_reader_manifest(reader)
				   ->members[index].stored_size, NULL);
	if (strcmp(result->check, "recorded") == 0) {
		struct head_capture head = { { 0 }, 0 };
		struct ark_sink capture = { capture_write, &head };

		snprintf(result->integrity, sizeof(result->integrity), "ok");
		if ((rc = ark_archive_extract_member(reader, index, capture,
						     progress, err)))
			return rc;
		return ark_sqlite_image_header(head.bytes, head.len,
					       ark_archive_reader_manifest(
						       reader),
					       result->path, err);
	}
	snprintf(name, sizeof(name), "%s/ark-verify.sqlite",
		 dir && *dir ? dir : "/tmp");
	if ((rc = ark_atomic_open_short(name, &temp, err)) ||
	    (rc = ark_sqlite_image_extract(reader, index, ark_atomic_fd(temp),
					   ark_atomic_temp_path(temp),
					   progress, err)))
		goto cleanup;
	/* The check's end cannot be known: it shows pages read. */
	ark_progress_phase(progress, "deep verify 3/3: database check", 0,
			   "pages read");
	rc = ark_sqlite_image_check(ark_atomic_temp_path(temp),
				    strcmp(result->check, "integrity_check") ==
					    0,
				    result->integrity,
				    sizeof(result->integrity), progress, err);
	if (rc == ARK_ERR_INTEGRITY) {
		/* The hashes matched, so the archive holds what was archived:
		 * the database itself was damaged when the snapshot was taken.
		 */
		ark_error_clear(err);
		rc = ark_error_set(err, ARK_ERR_INTEGRITY, 0,
				   "%s: hashes match, but the archived "
				   "database fails %s: %s",
				   result->path, result->check,
				   result->integrity);
	}
cleanup:
	ark_atomic_free(temp); /* never committed: the temporary goes */
	return rc;
}

/*
 * The sqlite kind's deep check (ark/kind.h): the image as above, and any
 * other member's raw hash (none in v1 sqlite archives).
 */
int ark_sqlite_deep_check(struct ark_archive_reader *reader,
			  const struct ark_verify_options *options,
			  struct ark_progress *progress,
			  struct ark_verify_result *result,
			  struct ark_error *err)
{
	const struct ark_manifest *manifest =
		ark_archive_reader_manifest(reader);
	struct ark_sink discard = { discard_write, NULL };
	size_t image = 0;
	int rc;

	if ((rc = ark_sqlite_image_find(reader, result->path, &image, err)))
		return rc;
	for (size_t i = 0; i < manifest->member_count; i++) {
		if (i == image)
			rc = deep_sqlite(reader, i, options, progress, result,
					 err);
		else {
			ark_progress_phase(progress,
					   "deep verify 2/3: decompress",
					   manifest->members[i].stored_size,
					   NULL);
			rc = ark_archive_extract_member(reader, i, discard,
							progress, err);
		}
		if (rc)
			return rc;
	}
	return 0;
}
