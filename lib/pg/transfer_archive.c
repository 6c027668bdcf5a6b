/*
 * transfer_archive.c - the transfer's archives (ark/transfer.h): a
 * sqlite archive as SOURCE, and --archive, the loaded schema and data as
 * a `pg` archive.
 *
 * --archive writes each table's member from the stream the verify phase
 * reads back from PostgreSQL, COPY (SELECT cols FROM t) TO STDOUT: the
 * same bytes are digested for the verification and compressed into the
 * archive (ark_pgarchive_table_write), and the writer's own digest of
 * them must equal the source's, so the archive holds exactly what was
 * verified equal to the source.  Each table spools into its own
 * temporary while the workers run, bounded memory whatever its size
 * (ark/pgarchive.h); the archive gets its final name only after the
 * swap, when the target holds what it holds.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/archive.h"
#include "ark/archive_name.h"
#include "ark/buf.h"
#include "ark/log.h"
#include "ark/pg.h"
#include "ark/pgarchive.h"
#include "ark/plan.h"
#include "ark/sqlite_archive.h"
#include "ark/sqlite_source.h"
#include "pg/transfer_internal.h"

/* zstd level of the archive's members (ark-snapshot's default). */
#define ARCHIVE_LEVEL 3

struct transfer_archive {
	struct ark_archive_name name;
	struct ark_pgarchive *writer;
	/* the thread budget (--jobs) as the pool shares it (ark/pool.h):
	 * a table not yet ended holds (or waits for) one thread; a member
	 * is granted zstd workers only from what is left */
	pthread_mutex_t lock;
	int budget;
	size_t unfinished;
	int granted;
	int *grants;      /* per plan table, while its member is open */
};

/* ---- a sqlite archive as SOURCE ---- */

int ark_transfer_source_open(struct transfer *t, struct ark_error *err)
{
	const struct ark_transfer_options *o = t->options;
	struct ark_sqlite_source_options source_options = {
		.busy_timeout_ms = o->busy_timeout_ms,
		.verb = "transfer",
	};
	struct ark_progress *progress = t->progress;
	int rc;

	if (!ark_sqlite_archive_detect(o->source))
		return ark_sqlite_source_open(o->source, o->busy_timeout_ms,
					      &t->source, err);
	t->result->source_archive = strdup(o->source);
	if (!t->result->source_archive)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if ((rc = ark_sqlite_archive_image_open(o->source, o->tmpdir, progress,
						&t->image, err)))
		return rc;
	ark_progress_phase(progress, "inspect", 0, "tables");
	ark_log(ARK_LOG_INFO, "'%s': every hash matches; its database is "
		"read from '%s'", o->source,
		ark_sqlite_archive_image_path(t->image));
	/* The image is ours alone and never changes: read it immutable when
	 * it is a WAL database, so nothing is created beside it. */
	source_options.flags = ARK_SQLITE_SOURCE_IMMUTABLE_OK;
	return ark_sqlite_source_open_with(ark_sqlite_archive_image_path(
						   t->image),
					   &source_options, &t->source, err);
}

/* ---- --archive ---- */

int ark_transfer_archive_prepare(struct transfer *t, struct ark_error *err)
{
	struct transfer_archive *a;
	int rc;

	if (!t->options->archive)
		return 0;
	if (t->options->plan_only)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "--archive does not go with --plan "
				     "(nothing is loaded, so nothing is "
				     "archived)");
	a = calloc(1, sizeof(*a));
	if (!a)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	pthread_mutex_init(&a->lock, NULL);
	t->archive = a;
	if ((rc = ark_archive_name_init(&a->name, t->options->archive,
					t->options->source, err)))
		ark_error_prefix(err, "--archive");
	return rc;
}

/* The manifest's source object: the SQLite database the rows came
 * from (and the archive it was read from). */
static json_t *source_identity(const struct transfer *t)
{
	json_t *source = t->image ? ark_sqlite_archive_image_identity(t->image)
				  : ark_sqlite_source_identity(t->source);

	if (source && json_object_set_new(source, "type",
					  json_string("sqlite")) != 0) {
		json_decref(source);
		return NULL;
	}
	return source;
}

int ark_transfer_archive_open(struct transfer *t, struct ark_error *err)
{
	struct transfer_archive *a = t->archive;
	struct ark_archive_writer_options options = {
		.kind = "pg", .tool = "ark-transfer",
	};
	struct ark_buf sql = ARK_BUF_INIT;
	json_t *source;
	size_t i;
	int rc;

	if (!a)
		return 0;
	options.level = t->options->archive_level > 0
				? t->options->archive_level
				: ARCHIVE_LEVEL;
	options.created_unix = ark_archive_name_created(&a->name);
	if (!a->name.file) {
		options.next_name = ark_archive_name_next;
		options.next_name_ctx = &a->name;
	}
	a->budget = t->options->jobs > 0 ? t->options->jobs : 1;
	for (i = 0; i < t->plan->ntables; i++)
		a->unfinished += !t->plan->tables[i].skipped;
	a->grants = calloc(t->plan->ntables + 1, sizeof(*a->grants));
	if (!a->grants)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	source = source_identity(t);
	if (!source)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if ((rc = ark_pgarchive_open(a->name.path, &options, source, &a->writer,
				     err))) {
		ark_error_prefix(err, "--archive");
		return rc;
	}
	/* pre-data: the tables (--data-only: none, they are the
	 * application's); a schema other than public is created, as
	 * pg_dump does */
	if (!t->options->data_only) {
		if (strcmp(t->schema_name, "public") != 0) {
			ark_buf_append_str(&sql, "CREATE SCHEMA ");
			ark_pg_append_ident(&sql, t->schema_name);
			ark_buf_append_str(&sql, ";\n");
		}
		if ((rc = ark_plan_pre_data_sql(t->plan, t->schema_name, &sql,
						err)))
			goto cleanup;
	}
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_pgarchive_write_sql(a->writer, ARK_PGARCHIVE_PRE_DATA,
					  sql.data ? sql.data : "", sql.len,
					  err)))
		goto cleanup;
	/* post-data: keys, indexes, CHECKs, identity positions, foreign
	 * keys (--data-only: the sequences moved past the loaded ids) */
	ark_buf_reset(&sql);
	rc = t->options->data_only
		     ? ark_plan_data_only_post_sql(t->plan, t->schema_name,
						   &sql, err)
		     : ark_plan_post_data_sql(t->plan, t->schema_name, &sql,
					      err);
	if (rc)
		goto cleanup;
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	rc = ark_pgarchive_write_sql(a->writer, ARK_PGARCHIVE_POST_DATA,
				     sql.data ? sql.data : "", sql.len, err);
cleanup:
	ark_buf_free(&sql);
	return rc;
}

/* zstd workers for the next member, reserved until it ends. */
static int grant_threads(struct transfer_archive *a)
{
	int grant;

	pthread_mutex_lock(&a->lock);
	grant = a->budget - (int)(a->unfinished > (size_t)a->budget
					  ? (size_t)a->budget
					  : a->unfinished) -
		a->granted;
	if (grant < 0)
		grant = 0;
	a->granted += grant;
	pthread_mutex_unlock(&a->lock);
	return grant;
}

static void release_threads(struct transfer_archive *a, int grant)
{
	pthread_mutex_lock(&a->lock);
	a->granted -= grant;
	if (a->unfinished)
		a->unfinished--;
	pthread_mutex_unlock(&a->lock);
}

/* The member's column types, as PostgreSQL's format_type() prints them. */
static int column_types(struct ark_pg *pg, const char *schema,
			const struct ark_plan_table *pt,
			struct ark_pgarchive_column *columns, size_t *count,
			struct ark_pg_result **res, struct ark_error *err)
{
	struct ark_buf name = ARK_BUF_INIT;
	const char *params[1];
	size_t i, n = 0;
	int r, rows, rc;

	ark_pg_append_qualified(&name, schema, pt->name);
	if (ark_buf_failed(&name))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	params[0] = name.data;
	rc = ark_pg_query(pg,
			  "SELECT a.attname, format_type(a.atttypid, "
			  "a.atttypmod) FROM pg_attribute a WHERE a.attrelid "
			  "= $1::regclass AND a.attnum > 0 AND NOT "
			  "a.attisdropped",
			  1, params, res, err);
	ark_buf_free(&name);
	if (rc)
		return rc;
	rows = ark_pg_result_rows(*res);
	for (i = 0; i < pt->ncolumns; i++) {
		if (pt->columns[i].skipped)
			continue;
		columns[n].name = pt->columns[i].name;
		columns[n].type = NULL;
		for (r = 0; r < rows; r++)
			if (strcmp(ark_pg_result_value(*res, r, 0),
				   pt->columns[i].name) == 0)
				columns[n].type =
					ark_pg_result_value(*res, r, 1);
		if (!columns[n].type)
			return ark_error_set(err, ARK_ERR_INTERNAL, 0,
					     "table \"%s\" has no column "
					     "\"%s\"", pt->name,
					     pt->columns[i].name);
		n++;
	}
	*count = n;
	return 0;
}

int ark_transfer_archive_table_begin(struct transfer *t, struct ark_pg *pg,
				     const char *schema, size_t plan_table,
				     struct ark_pgarchive_table **member,
				     struct ark_error *err)
{
	struct transfer_archive *a = t->archive;
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	struct ark_pgarchive_table_info info = {
		.schema = t->schema_name, .name = pt->name,
	};
	struct ark_pgarchive_column *columns = NULL;
	struct ark_pg_result *res = NULL;
	int grant, rc;

	*member = NULL;
	if (!a)
		return 0;
	columns = calloc(pt->ncolumns + 1, sizeof(*columns));
	if (!columns)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if ((rc = column_types(pg, schema, pt, columns, &info.column_count,
			       &res, err)))
		goto cleanup;
	info.columns = columns;
	grant = grant_threads(a);
	rc = ark_pgarchive_table_begin(a->writer, &info, grant, member, err);
	if (rc) {
		release_threads(a, grant);
		goto cleanup;
	}
	a->grants[plan_table] = grant; /* released when the member ends */
	ark_log(ARK_LOG_DEBUG, "archiving table \"%s\" with %d zstd worker%s",
		pt->name, grant, grant == 1 ? "" : "s");
cleanup:
	if (rc)
		ark_error_prefix(err, "--archive: table \"%s\"", pt->name);
	ark_pg_result_free(res);
	free(columns);
	return rc;
}

int ark_transfer_archive_table_end(struct transfer *t, size_t plan_table,
				   struct ark_pgarchive_table *member, int rc,
				   const struct ark_digest *expected,
				   const struct ark_digest *actual,
				   struct ark_error *err)
{
	struct transfer_archive *a = t->archive;

	if (!member)
		return rc;
	if (rc || !ark_digest_equal(expected, actual)) {
		/* the run fails: the archive with it */
		ark_pgarchive_table_free(member);
	} else if ((rc = ark_pgarchive_table_end(member, expected, NULL,
						 err))) {
		ark_error_prefix(err, "--archive: table \"%s\"",
				 t->plan->tables[plan_table].name);
	}
	release_threads(a, a->grants[plan_table]);
	a->grants[plan_table] = 0;
	return rc;
}

int ark_transfer_archive_finish(struct transfer *t, int rc,
				struct ark_error *err)
{
	struct transfer_archive *a = t->archive;
	struct ark_archive_summary summary;
	struct ark_error why;
	int finish_rc;

	if (!a)
		return rc;
	if (a->writer && (rc == 0 || rc == ARK_ERR_REJECTED)) {
		ark_error_clear(&why);
		memset(&summary, 0, sizeof(summary));
		finish_rc = ark_pgarchive_finish(a->writer, &summary, &why);
		if (finish_rc == 0) {
			t->result->archive_path = strdup(summary.path);
			t->result->archive_size = summary.size;
			t->result->archive_hash = summary.hash;
			ark_log(ARK_LOG_INFO, "archive '%s' written: %" PRIu64
				" bytes", summary.path, summary.size);
		} else {
			ark_error_prefix(&why, "the tables are loaded and "
					 "verified, but no archive was kept: "
					 "--archive");
			*err = why;
			rc = finish_rc;
		}
	}
	ark_pgarchive_free(a->writer); /* not finished: removed */
	pthread_mutex_destroy(&a->lock);
	free(a->grants);
	free(a);
	t->archive = NULL;
	return rc;
}
