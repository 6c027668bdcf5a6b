/*
 * pgarchive.c - writer of `pg` archives (ark/pgarchive.h) over the
 * archive writer's spooled members.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/manifest.h"
#include "ark/pgarchive.h"

/* data/NNNNNNN.copy.zst: 7 digits. */
#define PGARCHIVE_TABLE_NUMBER_MAX 9999999u

struct ark_pgarchive {
	struct ark_archive_writer *writer;
	pthread_mutex_t lock;
	size_t tables_begun;    /* numbers handed out */
	size_t tables_open;     /* begun, not yet ended or freed */
	int section_written[2]; /* pre-data, post-data */
};

struct ark_pgarchive_table {
	struct ark_pgarchive *archive;
	struct ark_archive_spool *spool;
	struct ark_digest_stream digest;
	int digest_open;
	json_t *table; /* the manifest's "table" object */
	size_t number;
};

int ark_pgarchive_open(const char *final_path,
		       const struct ark_archive_writer_options *options,
		       json_t *source, struct ark_pgarchive **out,
		       struct ark_error *err)
{
	struct ark_archive_writer_options pg_options = *options;
	struct ark_pgarchive *archive;
	int rc;

	*out = NULL;
	pg_options.kind = "pg";
	archive = calloc(1, sizeof(*archive));
	if (!archive) {
		json_decref(source);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	}
	pthread_mutex_init(&archive->lock, NULL);
	rc = ark_archive_writer_open(final_path, &pg_options, &archive->writer,
				     err);
	if (rc) {
		json_decref(source);
		ark_pgarchive_free(archive);
		return rc;
	}
	ark_archive_writer_set_source(archive->writer, source);
	*out = archive;
	return 0;
}

int ark_pgarchive_write_sql(struct ark_pgarchive *archive,
			    enum ark_pgarchive_section section,
			    const char *sql, size_t len,
			    struct ark_error *err)
{
	int pre = section == ARK_PGARCHIVE_PRE_DATA;
	struct ark_archive_spool *spool = NULL;
	int already;
	int rc;

	pthread_mutex_lock(&archive->lock);
	already = archive->section_written[pre ? 0 : 1];
	archive->section_written[pre ? 0 : 1] = 1;
	pthread_mutex_unlock(&archive->lock);
	if (already)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "the %s SQL is written twice",
				     pre ? "pre-data" : "post-data");
	rc = ark_archive_spool_begin(archive->writer,
				     pre ? ARK_PGARCHIVE_PRE_DATA_PATH
					 : ARK_PGARCHIVE_POST_DATA_PATH,
				     pre ? ARK_PGARCHIVE_PRE_DATA_ROLE
					 : ARK_PGARCHIVE_POST_DATA_ROLE,
				     0, &spool, err);
	if (rc)
		return rc;
	if (len && (rc = ark_archive_spool_write(spool, sql, len, err))) {
		ark_archive_spool_free(spool);
		return rc;
	}
	return ark_archive_spool_end(spool, NULL, err);
}

/* A JSON string of text, or NULL when it is not valid UTF-8. */
static json_t *utf8_string(const char *text)
{
	return text ? json_string(text) : NULL;
}

/* The manifest's "table" object for info; NULL with *bad set. */
static json_t *table_json(const struct ark_pgarchive_table_info *info,
			  const char **bad)
{
	json_t *table = NULL;
	json_t *columns = json_array();
	json_t *schema = utf8_string(info->schema);
	json_t *name = utf8_string(info->name);

	*bad = "out of memory";
	if (!columns)
		goto fail;
	if (!schema || !name) {
		*bad = "its schema or name is not valid UTF-8";
		goto fail;
	}
	if (info->column_count > ARK_PG_COLUMNS_MAX) {
		*bad = "it has more than 1600 columns";
		goto fail;
	}
	for (size_t i = 0; i < info->column_count; i++) {
		json_t *column_name = utf8_string(info->columns[i].name);
		json_t *type = utf8_string(info->columns[i].type);

		if (!column_name || !type) {
			json_decref(column_name);
			json_decref(type);
			*bad = "a column's name or type is not valid UTF-8";
			goto fail;
		}
		if (json_array_append_new(columns,
					  json_pack("{s:o, s:o}", "name",
						    column_name, "type",
						    type)) != 0)
			goto fail;
	}
	table = json_pack("{s:o, s:o, s:o}", "schema", schema, "name", name,
			  "columns", columns);
	if (table)
		*bad = NULL;
	return table;
fail:
	json_decref(schema);
	json_decref(name);
	json_decref(columns);
	return NULL;
}

int ark_pgarchive_table_begin(struct ark_pgarchive *archive,
			      const struct ark_pgarchive_table_info *info,
			      int zstd_threads,
			      struct ark_pgarchive_table **out,
			      struct ark_error *err)
{
	struct ark_pgarchive_table *table;
	struct ark_error why = { 0 };
	char path[ARK_MEMBER_PATH_MAX + 1];
	char where[64];
	const char *bad = NULL;
	int rc;

	*out = NULL;
	table = calloc(1, sizeof(*table));
	if (!table)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	table->archive = archive;
	pthread_mutex_lock(&archive->lock);
	table->number = ++archive->tables_begun;
	archive->tables_open++;
	pthread_mutex_unlock(&archive->lock);
	snprintf(where, sizeof(where), "table #%zu", table->number);
	if (table->number > PGARCHIVE_TABLE_NUMBER_MAX ||
	    table->number > ARK_MANIFEST_MAX_MEMBERS - 2) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "cannot archive %s: an archive holds at "
				   "most %u tables", where,
				   ARK_MANIFEST_MAX_MEMBERS - 2);
		goto fail;
	}
	table->table = table_json(info, &bad);
	if (!table->table) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "cannot archive %s: %s", where, bad);
		goto fail;
	}
	/* What a reader would refuse, refused before a byte is written. */
	if (ark_manifest_check_pg_table(table->table, "", &why) != 0) {
		const char *reason = why.msg;

		if (strncmp(reason, "manifest: ", 10) == 0)
			reason += 10;
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "cannot archive %s: %s", where, reason);
		goto fail;
	}
	if ((rc = ark_digest_stream_begin(&table->digest, err)))
		goto fail;
	table->digest_open = 1;
	snprintf(path, sizeof(path), "data/%07zu.copy.zst", table->number);
	rc = ark_archive_spool_begin(archive->writer, path,
				     ARK_PGARCHIVE_TABLE_ROLE, zstd_threads,
				     &table->spool, err);
	if (rc)
		goto fail;
	*out = table;
	return 0;
fail:
	ark_pgarchive_table_free(table);
	return rc;
}

int ark_pgarchive_table_write(struct ark_pgarchive_table *table,
			      const void *buf, size_t len,
			      struct ark_error *err)
{
	ark_digest_stream_feed(&table->digest, buf, len);
	return ark_archive_spool_write(table->spool, buf, len, err);
}

static int table_sink_write(void *ctx, const void *buf, size_t len,
			    struct ark_error *err)
{
	return ark_pgarchive_table_write(ctx, buf, len, err);
}

struct ark_sink ark_pgarchive_table_sink(struct ark_pgarchive_table *table)
{
	struct ark_sink sink = { table_sink_write, table };

	return sink;
}

int ark_pgarchive_table_end(struct ark_pgarchive_table *table,
			    const struct ark_digest *expected,
			    struct ark_digest *digest_out,
			    struct ark_error *err)
{
	struct ark_error why = { 0 };
	char what[64];
	char text[ARK_DIGEST_TEXT_MAX];
	char want[ARK_DIGEST_TEXT_MAX];
	json_t *extra = NULL;
	int rc;

	snprintf(what, sizeof(what), "table #%zu", table->number);
	table->digest_open = 0;
	if (ark_digest_stream_end(&table->digest, what, &why) != 0) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "cannot archive %s: its COPY text does "
				   "not end in a newline", what);
		goto cleanup;
	}
	ark_digest_format(&table->digest.digest, text);
	if (expected && !ark_digest_equal(expected, &table->digest.digest)) {
		ark_digest_format(expected, want);
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "cannot archive %s: what was written "
				   "digests to %s, not %s as its rows did",
				   what, text, want);
		goto cleanup;
	}
	if (table->digest.digest.rows > INT64_MAX) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "cannot archive %s: too many rows", what);
		goto cleanup;
	}
	extra = json_pack("{s:O, s:I, s:s}", "table", table->table, "rows",
			  (json_int_t)table->digest.digest.rows,
			  "content_digest", text);
	if (!extra) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (digest_out)
		*digest_out = table->digest.digest;
	rc = ark_archive_spool_end(table->spool, extra, err);
	table->spool = NULL; /* freed by spool_end */
cleanup:
	ark_pgarchive_table_free(table);
	return rc;
}

void ark_pgarchive_table_free(struct ark_pgarchive_table *table)
{
	if (!table)
		return;
	pthread_mutex_lock(&table->archive->lock);
	table->archive->tables_open--;
	pthread_mutex_unlock(&table->archive->lock);
	if (table->digest_open)
		ark_digest_stream_abandon(&table->digest);
	ark_archive_spool_free(table->spool);
	json_decref(table->table);
	free(table);
}

int ark_pgarchive_finish(struct ark_pgarchive *archive,
			 struct ark_archive_summary *summary,
			 struct ark_error *err)
{
	size_t open;
	int rc = 0;

	pthread_mutex_lock(&archive->lock);
	open = archive->tables_open;
	pthread_mutex_unlock(&archive->lock);
	if (open)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "finish with %zu table%s not ended", open,
				     open == 1 ? "" : "s");
	if (!archive->section_written[0])
		rc = ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_PRE_DATA,
					     "", 0, err);
	if (!rc && !archive->section_written[1])
		rc = ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_POST_DATA,
					     "", 0, err);
	if (rc)
		return rc;
	return ark_archive_writer_finish(archive->writer, summary, err);
}

void ark_pgarchive_free(struct ark_pgarchive *archive)
{
	if (!archive)
		return;
	ark_archive_writer_free(archive->writer);
	pthread_mutex_destroy(&archive->lock);
	free(archive);
}
