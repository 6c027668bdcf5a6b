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
 * The source is never written (lib/sqlite/source.c): it is opened
 * read-only by a URI built there, so no path is taken for a URI and no
 * hot journal is rolled back; a cleanly closed WAL database (no -wal) is
 * read immutable under a SHARED lock of our own, so no -wal or -shm is
 * created (and the snapshot taken again should a connection open the
 * database meanwhile); one SQLite must create all the same is removed
 * after the run when no other connection is using the database.
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

#include "ark/archive_name.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/snapshot.h"
#include "ark/sqlite_source.h"
#include "sqlite/page_sink_internal.h"

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
	struct ark_sqlite_source_options sopts = {
		.busy_timeout_ms = options->busy_timeout_ms,
		.flags = allow_shared_lock ? ARK_SQLITE_SOURCE_IMMUTABLE_OK : 0,
		.verb = "snapshot",
	};
	struct ark_sqlite_source *src = NULL;
	const struct ark_sqlite_source_info *info;
	struct ark_archive_name name;
	struct stream_state stream = { 0 };
	struct ark_sink discard = { 0 };
	struct ark_sink to_archive = { stream_to_archive, &stream };
	struct ark_page_sink *capture = NULL;
	struct ark_page_sink *streamer = NULL;
	struct ark_archive_writer *writer = NULL;
	struct timespec started;
	json_t *source = NULL;
	int64_t page_size, page_count;
	int integrity_clean = 1;
	int rc;

	memset(result, 0, sizeof(*result));
	*retry = 0;
	clock_gettime(CLOCK_MONOTONIC, &started);
	/* Refuse a bad or existing output before doing any work. */
	if ((rc = ark_archive_name_init(&name, options->output,
					options->db_path, err)) ||
	    (rc = ark_sqlite_source_open_with(options->db_path, &sopts, &src,
					      err)))
		goto cleanup;
	wopts.created_unix = ark_archive_name_created(&name);
	if (!name.file) {
		wopts.next_name = ark_archive_name_next;
		wopts.next_name_ctx = &name;
	}
	info = ark_sqlite_source_info(src);
	page_size = info->page_size;
	page_count = info->page_count;
	snprintf(result->journal_mode, sizeof(result->journal_mode), "%s",
		 info->journal_mode);
	source = ark_sqlite_source_identity(src);
	if (!source) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (options->check) {
		result->checked = 1;
		if ((rc = ark_sqlite_source_check(src, source,
						  result->integrity,
						  sizeof(result->integrity),
						  &integrity_clean, err)))
			goto cleanup;
	}
	result->page_size = (uint64_t)page_size;
	result->page_count = (uint64_t)page_count;
	result->db_size = (uint64_t)(page_size * page_count);
	ark_log(ARK_LOG_INFO, "snapshot of '%s': %" PRId64 " pages of %" PRId64
		" bytes, journal mode %s%s", options->db_path, page_count,
		page_size, result->journal_mode,
		info->immutable ? " (read immutable)" : "");

	/* Pass 1: learn the image's page 1. */
	if ((rc = ark_page_sink_new(ARK_PAGE_SINK_CAPTURE, (uint32_t)page_size,
				    (uint64_t)page_count, discard, &capture,
				    err)) ||
	    (page_count > 0 &&
	     (rc = backup_pass(ark_sqlite_source_db(src), capture,
			       options->db_path, err))))
		goto cleanup;

	ark_log(ARK_LOG_DEBUG, "pass 1 (page 1) done after %.3f s",
		elapsed_ms(&started) / 1000.0);

	/* Pass 2: stream the image into the archive. */
	if ((rc = ark_archive_writer_open(name.path, &wopts, &writer, err)))
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
	     (rc = backup_pass(ark_sqlite_source_db(src), streamer,
			       options->db_path, err))))
		goto cleanup;
	if ((rc = ark_archive_member_end(writer, err)))
		goto cleanup;
	ark_log(ARK_LOG_DEBUG, "pass 2 (stream) done after %.3f s",
		elapsed_ms(&started) / 1000.0);
	if (ark_sqlite_source_changed(src)) {
		ark_log(ARK_LOG_INFO, "'%s': a connection opened the database "
			"during the snapshot; taking it again",
			options->db_path);
		*retry = 1;
		goto cleanup;
	}
	/* Done with the source: writers need not wait for the fsyncs. */
	ark_sqlite_source_close(src);
	src = NULL;
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
	ark_archive_writer_free(writer);
	ark_page_sink_free(capture);
	ark_page_sink_free(streamer);
	json_decref(source);
	ark_sqlite_source_close(src);
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
