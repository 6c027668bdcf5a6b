/*
 * sqlite_image.c - see sqlite_image_internal.h.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "ark/fsio.h"
#include "sqlite_image_internal.h"

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

int ark_sqlite_image_extract(struct ark_archive_reader *reader, size_t index,
			     int fd, const char *path,
			     struct ark_progress *progress,
			     struct ark_error *err)
{
	struct fd_sink sink = { fd, path };
	struct ark_sink out = { fd_sink_write, &sink };

	return ark_archive_extract_member(reader, index, out, progress, err);
}

/*
 * "file:<path>?immutable=1" with the path percent-encoded where a URI
 * would read it otherwise ('%', '?', '#'), and a leading "//" kept from
 * being taken for an authority.  sqlite3_free() the result.
 */
static char *immutable_uri(const char *path)
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
	sqlite3_str_appendall(uri, "?immutable=1");
	return sqlite3_str_finish(uri);
}

int ark_sqlite_integrity_check(sqlite3 *db, char *out, size_t room,
			       int *clean)
{
	sqlite3_stmt *stmt = NULL;
	size_t used = 0;
	int lines = 0;
	int rc;

	out[0] = '\0';
	*clean = 0;
	rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(20)", -1, &stmt,
				NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(stmt, 0);

		if (!line)
			line = "";
		if (lines == 0 && strcmp(line, "ok") == 0)
			*clean = 1;
		if (used + 2 < room)
			used += (size_t)snprintf(out + used, room - used,
						 "%s%s", lines ? "; " : "",
						 line);
		lines++;
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(stmt);
	return rc;
}

int ark_sqlite_image_check(const char *path, char *out, size_t room,
			   struct ark_error *err)
{
	sqlite3 *db = NULL;
	char *uri;
	int clean = 0;
	int rc;

	out[0] = '\0';
	uri = immutable_uri(path);
	if (!uri)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			     NULL);
	sqlite3_free(uri);
	if (rc == SQLITE_OK)
		rc = ark_sqlite_integrity_check(db, out, room, &clean);
	if (rc != SQLITE_OK) {
		rc = ark_error_set(err, ARK_ERR_INTEGRITY, 0,
				   "the database image cannot be checked: %s",
				   db ? sqlite3_errmsg(db)
				      : sqlite3_errstr(rc));
		if (!out[0])
			snprintf(out, room, "unreadable");
	} else if (!clean) {
		rc = ark_error_set(err, ARK_ERR_INTEGRITY, 0,
				   "the database image fails "
				   "integrity_check: %s", out);
	}
	sqlite3_close(db);
	return rc;
}
