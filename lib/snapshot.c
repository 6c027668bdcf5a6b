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
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/snapshot.h"
#include "page_sink_internal.h"
#include "sqlite_image_internal.h"

struct busy_state {
	int timeout_ms;
	struct timespec start;
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

static int source_error(sqlite3 *db, const char *path, const char *doing,
			struct ark_error *err)
{
	int code = sqlite3_extended_errcode(db);

	if (ark_fsio_interrupted())
		return ark_fsio_check_interrupt(err);
	if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
		return ark_error_set(err, ARK_ERR_SOURCE, 0,
				     "'%s': database is locked while %s "
				     "(another process holds a write lock; "
				     "raise --busy-timeout)", path, doing);
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

/* [{"name":..., "rows":N}] for every ordinary table, in the snapshot. */
static int count_rows(sqlite3 *db, json_t *tables)
{
	sqlite3_stmt *names = NULL;
	int rc;

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

		if (!sql)
			rc = SQLITE_NOMEM;
		else
			rc = query_int(db, sql, &rows);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			break;
		json_array_append_new(tables,
				      json_pack("{s:s, s:I}", "name", name,
						"rows", (json_int_t)rows));
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(names);
	return rc;
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

		if (inner->code != ARK_OK)
			rc = ark_error_set(err, inner->code, inner->sys_errno,
					   "%s", inner->msg);
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

/* <dir>/<db-stem>-<stamp>.ark, or the file the user named. */
static int archive_path(const struct ark_snapshot_options *options,
			int64_t now, char *out, size_t room,
			struct ark_error *err)
{
	const char *base = strrchr(options->db_path, '/');
	const char *dir = options->output ? options->output : ".";
	char stem[256];
	char stamp[17];
	char *dot;

	if (options->output && !is_directory(options->output)) {
		if (snprintf(out, room, "%s", options->output) >= (int)room)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "output path too long");
		return 0;
	}
	snprintf(stem, sizeof(stem), "%s", base ? base + 1 : options->db_path);
	dot = strrchr(stem, '.');
	if (dot && dot != stem)
		*dot = '\0';
	ark_fsio_utc_stamp(stamp, now);
	if (snprintf(out, room, "%s/%s-%s.ark", dir, stem, stamp) >= (int)room)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "output path too long");
	return 0;
}

static int open_source(const char *path, int busy_timeout_ms,
		       struct busy_state *busy, sqlite3 **out,
		       struct ark_error *err)
{
	static const char magic[16] = "SQLite format 3";
	char header[16];
	sqlite3 *db = NULL;
	struct stat st;
	FILE *file;
	size_t got;
	int rc;

	*out = NULL;
	if (stat(path, &st) != 0)
		return ark_error_set(err, ARK_ERR_READ, errno,
				     "cannot open database '%s'", path);
	if (!S_ISREG(st.st_mode))
		return ark_error_set(err, ARK_ERR_READ, 0,
				     "'%s' is not a regular file", path);
	file = fopen(path, "rb");
	if (!file)
		return ark_error_set(err, ARK_ERR_READ, errno,
				     "cannot open database '%s'", path);
	got = fread(header, 1, sizeof(header), file);
	fclose(file);
	/* An empty file is a valid, empty database for SQLite. */
	if (got != 0 && (got != sizeof(header) ||
			 memcmp(header, magic, sizeof(magic)) != 0))
		return ark_error_set(err, ARK_ERR_SOURCE, 0,
				     "'%s' is not a SQLite 3 database", path);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		rc = ark_error_set(err, rc == SQLITE_CANTOPEN ? ARK_ERR_READ
							      : ARK_ERR_SOURCE,
				   0, "cannot open database '%s': %s", path,
				   db ? sqlite3_errmsg(db)
				      : sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc;
	}
	busy->timeout_ms = busy_timeout_ms;
	sqlite3_busy_handler(db, busy_handler, busy);
	/* A snapshot never writes the source, not even a checkpoint when
	 * it is the last connection to close a WAL database. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	*out = db;
	return 0;
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
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:s, "
			 "s:s, s:s}",
			 "path", resolved, "size", (json_int_t)file_size,
			 "page_size", (json_int_t)page_size,
			 "page_count", (json_int_t)page_count,
			 "freelist_count", (json_int_t)freelist,
			 "journal_mode", journal_mode,
			 "user_version", (json_int_t)user_version,
			 "application_id", (json_int_t)application_id,
			 "schema_xxh128", schema_hex,
			 "sqlite_version", sqlite3_libversion(),
			 "host", host);
}

int ark_snapshot_run(const struct ark_snapshot_options *options,
		     struct ark_snapshot_result *result,
		     struct ark_error *err)
{
	struct ark_archive_writer_options wopts = {
		.kind = "sqlite", .tool = "ark-snapshot",
		.level = options->level, .threads = options->threads,
	};
	struct busy_state busy = { 0 };
	struct stream_state stream = { 0 };
	struct ark_sink discard = { 0 };
	struct ark_sink to_archive = { stream_to_archive, &stream };
	struct ark_page_sink *capture = NULL;
	struct ark_page_sink *streamer = NULL;
	struct ark_archive_writer *writer = NULL;
	struct ark_hash128 schema = { 0, 0 };
	struct timespec started;
	struct stat st;
	char path[4096];
	sqlite3 *db = NULL;
	json_t *source = NULL;
	int64_t page_size = 0, page_count = 0, freelist = 0;
	int64_t user_version = 0, application_id = 0;
	int integrity_clean = 1;
	int in_txn = 0;
	int rc;

	memset(result, 0, sizeof(*result));
	clock_gettime(CLOCK_MONOTONIC, &started);
	wopts.created_unix = (int64_t)time(NULL);
	if ((rc = archive_path(options, wopts.created_unix, path, sizeof(path),
			       err)) ||
	    (rc = open_source(options->db_path, options->busy_timeout_ms,
			      &busy, &db, err)))
		goto cleanup;
	if (stat(options->db_path, &st) != 0) {
		rc = ark_error_set(err, ARK_ERR_READ, errno, "cannot stat '%s'",
				   options->db_path);
		goto cleanup;
	}
	/* Refuse an existing output before doing any work. */
	if (access(path, F_OK) == 0) {
		rc = ark_error_set(err, ARK_ERR_REFUSED, 0,
				   "'%s' already exists; refusing to "
				   "overwrite it", path);
		goto cleanup;
	}
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = source_error(db, options->db_path, "starting a read "
				  "transaction", err);
		goto cleanup;
	}
	in_txn = 1;
	if (schema_hash(db, &schema) != SQLITE_OK ||
	    query_int(db, "PRAGMA page_size", &page_size) != SQLITE_OK ||
	    query_int(db, "PRAGMA page_count", &page_count) != SQLITE_OK ||
	    query_int(db, "PRAGMA freelist_count", &freelist) != SQLITE_OK ||
	    query_int(db, "PRAGMA user_version", &user_version) != SQLITE_OK ||
	    query_int(db, "PRAGMA application_id", &application_id) !=
		    SQLITE_OK ||
	    query_text(db, "PRAGMA journal_mode", result->journal_mode,
		       sizeof(result->journal_mode)) != SQLITE_OK) {
		rc = source_error(db, options->db_path, "reading the schema",
				  err);
		goto cleanup;
	}
	source = source_identity(options->db_path, (uint64_t)st.st_size,
				 page_size, page_count, freelist,
				 result->journal_mode, user_version,
				 application_id, schema);
	if (!source) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (options->check) {
		json_t *tables = json_array();

		result->checked = 1;
		if (!tables ||
		    ark_sqlite_integrity_check(db, result->integrity,
					       sizeof(result->integrity),
					       &integrity_clean) != SQLITE_OK ||
		    count_rows(db, tables) != SQLITE_OK) {
			json_decref(tables);
			rc = source_error(db, options->db_path,
					  "checking integrity", err);
			goto cleanup;
		}
		json_object_set_new(source, "integrity_check",
				    json_string(result->integrity));
		json_object_set_new(source, "tables", tables);
	}
	result->page_size = (uint64_t)page_size;
	result->page_count = (uint64_t)page_count;
	result->db_size = (uint64_t)(page_size * page_count);
	ark_log(ARK_LOG_INFO, "snapshot of '%s': %" PRId64 " pages of %" PRId64
		" bytes, journal mode %s", options->db_path, page_count,
		page_size, result->journal_mode);

	/* Pass 1: learn the image's page 1. */
	if ((rc = ark_page_sink_new(ARK_PAGE_SINK_CAPTURE, (uint32_t)page_size,
				    (uint64_t)page_count, discard, &capture,
				    err)) ||
	    (page_count > 0 &&
	     (rc = backup_pass(db, capture, options->db_path, err))))
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
	     (rc = backup_pass(db, streamer, options->db_path, err))))
		goto cleanup;
	if ((rc = ark_archive_member_end(writer, err)))
		goto cleanup;
	ark_log(ARK_LOG_DEBUG, "pass 2 (stream) done after %.3f s",
		elapsed_ms(&started) / 1000.0);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
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
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	ark_archive_writer_free(writer);
	ark_page_sink_free(capture);
	ark_page_sink_free(streamer);
	json_decref(source);
	sqlite3_close(db);
	return rc;
}

void ark_snapshot_result_free(struct ark_snapshot_result *result)
{
	if (!result)
		return;
	json_decref(result->manifest_source);
	result->manifest_source = NULL;
}
