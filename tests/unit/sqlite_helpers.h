/*
 * sqlite_helpers.h - helpers shared by the unit tests that work on real
 * SQLite files: running SQL, reading one integer back, opening a
 * database (or a restored image, without -wal/-shm), snapshotting a
 * database into an archive, and writing an archive of one member
 * directly.
 *
 * Include after <cmocka.h>.
 */
#ifndef ARK_SQLITE_HELPERS_H
#define ARK_SQLITE_HELPERS_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "unit_helpers.h"

#include "ark/archive.h"
#include "ark/error.h"
#include "ark/snapshot.h"

/* Run sql (one or more statements); any error fails the test. */
static inline void unit_exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		char copy[512];

		snprintf(copy, sizeof(copy), "%s", msg ? msg : "?");
		sqlite3_free(msg);
		fail_msg("%s: %s", sql, copy);
	}
}

/* The first column of the first row sql returns. */
static inline int64_t unit_query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt = NULL;
	int64_t value;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return value;
}

/* sqlite3_open_v2 with flags, which must succeed. */
static inline sqlite3 *unit_open_db(const char *path, int flags)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, flags, NULL), SQLITE_OK);
	return db;
}

/* Open a restored image without creating -wal/-shm beside it. */
static inline sqlite3 *unit_open_immutable(const char *path)
{
	char uri[PATH_MAX + 64];
	sqlite3 *db = NULL;

	snprintf(uri, sizeof(uri), "file:%s?immutable=1", path);
	assert_int_equal(sqlite3_open_v2(uri, &db,
					 SQLITE_OPEN_READONLY |
						 SQLITE_OPEN_URI,
					 NULL),
			 SQLITE_OK);
	return db;
}

/* Defaults, then db and output, single-threaded. */
static inline void unit_snapshot_options(struct ark_snapshot_options *options,
					 const char *db, const char *output)
{
	ark_snapshot_options_init(options);
	options->db_path = db;
	options->output = output;
	options->threads = 0;
}

/* Snapshot db into the archive file archive; ark_snapshot_run's code. */
static inline int unit_snapshot_db(const char *db, const char *archive,
				   struct ark_error *err)
{
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	int rc;

	unit_snapshot_options(&options, db, archive);
	ark_error_clear(err);
	rc = ark_snapshot_run(&options, &result, err);
	if (rc != 0)
		return rc;
	ark_snapshot_result_free(&result);
	return 0;
}

/*
 * An archive written directly by tool: kind, and one member of raw
 * bytes with role (zstd level 1, a fixed creation time).
 */
/*
 * A one-member archive written by the library, with source (stolen; NULL
 * for none) as its manifest's source object.
 */
static inline void unit_write_archive_source(const char *path,
					     const char *tool,
					     const char *kind,
					     const char *member,
					     const char *role,
					     const uint8_t *raw,
					     size_t raw_len, json_t *source)
{
	struct ark_archive_writer_options options = {
		.kind = kind, .tool = tool, .level = 1,
		.threads = 0, .created_unix = 1763861880,
	};
	struct ark_archive_writer *writer = NULL;
	struct ark_archive_summary summary;
	struct ark_error err;

	ark_error_clear(&err);
	assert_int_equal(ark_archive_writer_open(path, &options, &writer,
						 &err),
			 0);
	if (source)
		ark_archive_writer_set_source(writer, source);
	assert_int_equal(ark_archive_member_begin(writer, member, role,
						  raw_len, &err),
			 0);
	assert_int_equal(ark_archive_member_write(writer, raw, raw_len, &err),
			 0);
	assert_int_equal(ark_archive_member_end(writer, &err), 0);
	assert_int_equal(ark_archive_writer_finish(writer, &summary, &err), 0);
	ark_archive_writer_free(writer);
}

/*
 * The same, with a source whose page_size x page_count equals raw_len, as
 * a sqlite archive's must, when 4096-byte pages divide it.
 */
static inline void unit_write_archive(const char *path, const char *tool,
				      const char *kind, const char *member,
				      const char *role, const uint8_t *raw,
				      size_t raw_len)
{
	/* A valid page size even when it cannot divide raw_len (then the
	 * counts disagree, as an image of another size would). */
	json_int_t page = raw_len % 4096 == 0 ? 4096 : 512;

	unit_write_archive_source(path, tool, kind, member, role, raw,
				  raw_len,
				  json_pack("{s:I, s:I}", "page_size", page,
					    "page_count",
					    (json_int_t)raw_len / page));
}

#endif
