/*
 * rows.c - a SQLite table's rows as canonical COPY text (ark/rows.h).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ark/fsio.h"
#include "ark/rows.h"
#include "ark/text.h"

/* Chunks handed to the sink: large enough that a sink's per-call cost
 * (libpq, zstd) vanishes, small enough to stay in cache. */
#define CHUNK (256 * 1024)
/* Rows between looks at the stop flag and the progress counter. */
#define EVERY 4096

void ark_rows_append_sqlite_ident(struct ark_buf *out, const char *name)
{
	const char *at;

	ark_buf_append_char(out, '"');
	for (at = name; *at; at++) {
		if (*at == '"')
			ark_buf_append_char(out, '"');
		ark_buf_append_char(out, *at);
	}
	ark_buf_append_char(out, '"');
}

/* The key part of the SELECT list; returns how many columns it is. */
static size_t append_row_key(struct ark_buf *sql,
			     const struct ark_sqlite_table *table)
{
	static const char *const rowid_names[] = { "rowid", "_rowid_", "oid" };
	size_t i, j, keys = 0;

	if (!table->without_rowid) {
		for (i = 0; i < 3; i++) {
			for (j = 0; j < table->ncolumns; j++)
				if (sqlite3_stricmp(table->columns[j].name,
						    rowid_names[i]) == 0)
					break;
			if (j == table->ncolumns) {
				ark_buf_append_str(sql, rowid_names[i]);
				return 1;
			}
		}
		ark_buf_append_str(sql, "NULL");
		return 1;
	}
	for (i = 1; i <= table->ncolumns; i++) {
		for (j = 0; j < table->ncolumns; j++) {
			if (table->columns[j].pk_position != (int)i)
				continue;
			if (keys++)
				ark_buf_append_str(sql, ", ");
			ark_rows_append_sqlite_ident(sql, table->columns[j].name);
		}
	}
	if (keys == 0) {
		ark_buf_append_str(sql, "NULL");
		keys = 1;
	}
	return keys;
}

int ark_rows_prepare(sqlite3 *db, const struct ark_sqlite_table *table,
		     const struct ark_plan_table *plan, int with_key,
		     const char *tail, size_t *keys, sqlite3_stmt **stmt,
		     struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	size_t i, n;
	int rc = 0;

	*keys = 0;
	*stmt = NULL;
	ark_buf_append_str(&sql, "SELECT ");
	if (with_key) {
		*keys = append_row_key(&sql, table);
		for (i = 0; i < plan->ncolumns; i++)
			if (!plan->columns[i].skipped) {
				ark_buf_append_str(&sql, ", ");
				break;
			}
	}
	for (i = 0, n = 0; i < plan->ncolumns; i++) {
		if (plan->columns[i].skipped)
			continue; /* --data-only: not in the target */
		if (n++)
			ark_buf_append_str(&sql, ", ");
		ark_rows_append_sqlite_ident(
			&sql, table->columns[plan->columns[i].source_index].name);
	}
	if (n == 0 && !with_key)
		ark_buf_append_str(&sql, "1");
	ark_buf_append_str(&sql, " FROM main.");
	ark_rows_append_sqlite_ident(&sql, table->name);
	if (tail)
		ark_buf_append_str(&sql, tail);
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (sqlite3_prepare_v2(db, sql.data, -1, stmt, NULL) != SQLITE_OK)
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "cannot read table \"%s\": %s", table->name,
				   sqlite3_errmsg(db));
cleanup:
	ark_buf_free(&sql);
	return rc;
}

void ark_rows_value(sqlite3_stmt *stmt, int column, struct ark_sqlvalue *value)
{
	value->storage = sqlite3_column_type(stmt, column);
	value->bytes = NULL;
	value->len = 0;
	switch (value->storage) {
	case SQLITE_INTEGER:
		value->integer = sqlite3_column_int64(stmt, column);
		break;
	case SQLITE_FLOAT:
		value->real = sqlite3_column_double(stmt, column);
		break;
	case SQLITE_TEXT:
		value->bytes = sqlite3_column_text(stmt, column);
		value->len = (size_t)sqlite3_column_bytes(stmt, column);
		break;
	case SQLITE_BLOB:
		value->bytes = sqlite3_column_blob(stmt, column);
		value->len = (size_t)sqlite3_column_bytes(stmt, column);
		break;
	default:
		break;
	}
}

void ark_rows_preview(sqlite3_stmt *stmt, int column, char *out, size_t room)
{
	char raw[160];
	const unsigned char *bytes;
	size_t len, i, n, used;

	switch (sqlite3_column_type(stmt, column)) {
	case SQLITE_NULL:
		snprintf(out, room, "NULL");
		return;
	case SQLITE_INTEGER:
		snprintf(out, room, "%lld",
			 (long long)sqlite3_column_int64(stmt, column));
		return;
	case SQLITE_FLOAT:
		snprintf(out, room, "%.17g", sqlite3_column_double(stmt, column));
		return;
	case SQLITE_BLOB:
		bytes = sqlite3_column_blob(stmt, column);
		len = (size_t)sqlite3_column_bytes(stmt, column);
		n = (size_t)snprintf(raw, sizeof(raw), "x'");
		for (i = 0; i < len && i < 16; i++)
			n += (size_t)snprintf(raw + n, sizeof(raw) - n, "%02x",
					      bytes[i]);
		snprintf(raw + n, sizeof(raw) - n, "'%s (%zu bytes)",
			 len > 16 ? "..." : "", len);
		snprintf(out, room, "%s", raw);
		return;
	default:
		bytes = sqlite3_column_text(stmt, column);
		len = (size_t)sqlite3_column_bytes(stmt, column);
		/* up to 40 bytes, NULs shown as \0, the rest escaped */
		n = 0;
		raw[n++] = '\'';
		for (i = 0; i < len && i < 40 && n + 3 < sizeof(raw); i++) {
			if (bytes[i] == '\0') {
				raw[n++] = '\\';
				raw[n++] = '0';
			} else {
				raw[n++] = (char)bytes[i];
			}
		}
		raw[n++] = '\'';
		raw[n] = '\0';
		ark_text_escape(raw, out, room > 48 ? room - 8 : room);
		used = strlen(out);
		if (len > 40 && used < room)
			snprintf(out + used, room - used, "... (%zu bytes)", len);
	}
}

void ark_rows_label(const struct ark_sqlite_table *table, sqlite3_stmt *stmt,
		    size_t keys, char *out, size_t room)
{
	char value[128], name[128];
	size_t i, j, n = 0, used;

	if (!table->without_rowid) {
		if (sqlite3_column_type(stmt, 0) == SQLITE_NULL)
			snprintf(out, room, "(no rowid)");
		else
			snprintf(out, room, "rowid %lld",
				 (long long)sqlite3_column_int64(stmt, 0));
		return;
	}
	used = (size_t)snprintf(out, room, "key (");
	/* the key's columns in key order, as ark_rows_prepare() reads them */
	for (i = 1; i <= table->ncolumns && n < keys; i++) {
		for (j = 0; j < table->ncolumns && n < keys; j++) {
			if (table->columns[j].pk_position != (int)i)
				continue;
			ark_rows_preview(stmt, (int)n, value, sizeof(value));
			ark_text_escape(table->columns[j].name, name,
					sizeof(name));
			if (used < room)
				used += (size_t)snprintf(out + used, room - used,
							 "%s%s=%s",
							 n ? ", " : "", name,
							 value);
			n++;
		}
	}
	if (used < room)
		snprintf(out + used, room - used, ")");
}

void ark_rows_line_begin(struct ark_rows_line *line, struct ark_buf *buf,
			 ark_rows_sink sink, void *sink_context)
{
	line->buf = buf;
	line->start = buf->len;
	line->sink = sink;
	line->sink_context = sink_context;
	line->streaming = 0;
}

/* The row so far into its digest stream, buf to the sink, buf emptied. */
static int line_flush(struct ark_rows_line *line, struct ark_error *err)
{
	struct ark_buf *buf = line->buf;
	int rc;

	if (ark_buf_failed(buf))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if (!line->streaming) {
		if ((rc = ark_digest_stream_begin(&line->stream, err)))
			return rc;
		line->streaming = 1;
	}
	ark_digest_stream_feed(&line->stream, buf->data + line->start,
			       buf->len - line->start);
	if (line->sink &&
	    (rc = line->sink(line->sink_context, buf->data, buf->len, err)))
		return rc;
	ark_buf_reset(buf);
	line->start = 0;
	return 0;
}

int ark_rows_line_value(struct ark_rows_line *line,
			const struct ark_sqlvalue *value,
			const struct ark_pgtype_spec *type,
			const struct ark_pgtext_rules *rules, int *refused,
			const char **reason, int64_t *reason_offset,
			struct ark_error *err)
{
	static const unsigned char none[1];
	struct ark_buf *buf = line->buf;
	struct ark_sqlvalue slice = *value;
	size_t done, prefix, at;
	int rc;

	*refused = 0;
	if (value->storage != SQLITE_BLOB || type->type != ARK_PGTYPE_BYTEA ||
	    value->len <= ARK_ROWS_SLICE) {
		if (ark_pgtext_append_at(buf, value, type, rules, reason,
					 reason_offset) != 0)
			*refused = 1;
		return 0;
	}
	/* bytea: "\\x" and the hex of each slice, the prefix once */
	at = buf->len;
	slice.bytes = none;
	slice.len = 0;
	if (ark_pgtext_append_at(buf, &slice, type, rules, reason,
				 reason_offset) != 0) {
		*refused = 1;
		return 0;
	}
	prefix = buf->len - at;
	for (done = 0; done < value->len; done += slice.len) {
		slice.bytes = value->bytes + done;
		slice.len = value->len - done < ARK_ROWS_SLICE
				    ? value->len - done
				    : ARK_ROWS_SLICE;
		at = buf->len;
		if (ark_pgtext_append_at(buf, &slice, type, rules, reason,
					 reason_offset) != 0) {
			*refused = 1;
			return 0;
		}
		if (buf->len >= at + prefix) {
			memmove(buf->data + at, buf->data + at + prefix,
				buf->len - at - prefix);
			ark_buf_truncate(buf, buf->len - prefix);
		}
		if ((rc = line_flush(line, err)))
			return rc;
	}
	return 0;
}

int ark_rows_line_end(struct ark_rows_line *line, struct ark_digest *digest,
		      struct ark_error *err)
{
	struct ark_buf *buf = line->buf;
	int rc;

	if (ark_buf_failed(buf))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if (!line->streaming) {
		ark_digest_add_row(digest, buf->data ? buf->data + line->start
						     : "",
				   buf->len - line->start);
		return 0;
	}
	ark_digest_stream_feed(&line->stream, buf->data + line->start,
			       buf->len - line->start);
	ark_digest_stream_feed(&line->stream, "\n", 1);
	line->streaming = 0;
	if ((rc = ark_digest_stream_end(&line->stream, "a row", err)))
		return rc;
	ark_digest_merge(digest, &line->stream.digest);
	return 0;
}

void ark_rows_line_abandon(struct ark_rows_line *line)
{
	if (line->streaming)
		ark_digest_stream_abandon(&line->stream);
	line->streaming = 0;
}

/* How many columns name a row (ark_rows_prepare with_key). */
static size_t key_columns(const struct ark_sqlite_table *table)
{
	size_t i, n = 0;

	if (!table->without_rowid)
		return 1;
	for (i = 0; i < table->ncolumns; i++)
		n += table->columns[i].pk_position > 0;
	return n ? n : 1;
}

static size_t selected_columns(const struct ark_plan_table *plan)
{
	size_t i, n = 0;

	for (i = 0; i < plan->ncolumns; i++)
		n += !plan->columns[i].skipped;
	return n;
}

/*
 * The label of the row after the first skip rows of the stream's query,
 * read again with only its key (same table, same tail, same snapshot,
 * same order: a scan of the table).
 */
static void row_key_at(const struct ark_rows_stream *s, uint64_t skip,
		       char *out, size_t room)
{
	struct ark_plan_table none = *s->plan;
	struct ark_buf tail = ARK_BUF_INIT;
	struct ark_error ignored = { 0 };
	sqlite3_stmt *stmt = NULL;
	size_t keys;

	none.ncolumns = 0;
	snprintf(out, room, "row %" PRIu64 " read", skip + 1);
	ark_buf_appendf(&tail, "%s LIMIT 1 OFFSET %" PRIu64,
			s->tail ? s->tail : "", skip);
	if (!ark_buf_failed(&tail) &&
	    ark_rows_prepare(s->db, s->table, &none, 1, tail.data, &keys,
			     &stmt, &ignored) == 0 &&
	    sqlite3_step(stmt) == SQLITE_ROW)
		ark_rows_label(s->table, stmt, keys, out, room);
	sqlite3_finalize(stmt);
	ark_buf_free(&tail);
}

int ark_rows_stream(struct ark_rows_stream *s, struct ark_buf *buf,
		    struct ark_error *err)
{
	const struct ark_plan_table *pt = s->plan;
	struct ark_sqlvalue value;
	struct ark_rows_line line = { 0 };
	struct ark_buf why = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	const char *reason;
	int64_t offset;
	char row[256], preview[256];
	size_t keys, i, n;
	int rc, step, refused, with_key;

	ark_digest_init(&s->digest);
	s->rows = 0;
	s->converted = 0;
	ark_buf_reset(buf);
	/* the row's key first, to name a row whose value is refused; not
	 * when it would pass SQLite's limit of columns (a table of 2000):
	 * such a row is found again by its place (row_key_at) */
	with_key = key_columns(s->table) + selected_columns(pt) <=
		   (size_t)sqlite3_limit(s->db, SQLITE_LIMIT_COLUMN, -1);
	if ((rc = ark_rows_prepare(s->db, s->table, pt, with_key, s->tail,
				   &keys, &stmt, err)))
		return rc;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		ark_rows_line_begin(&line, buf, s->sink, s->sink_context);
		for (i = 0, n = 0; i < pt->ncolumns; i++) {
			if (pt->columns[i].skipped)
				continue;
			if (n)
				ark_buf_append_char(buf, '\t');
			ark_rows_value(stmt, (int)(keys + n), &value);
			if ((rc = ark_rows_line_value(&line, &value,
						      &pt->columns[i].type,
						      s->rules, &refused,
						      &reason, &offset, err)))
				goto cleanup;
			if (refused) {
				if (with_key)
					ark_rows_label(s->table, stmt, keys,
						       row, sizeof(row));
				else
					row_key_at(s, s->rows, row,
						   sizeof(row));
				ark_rows_preview(stmt, (int)(keys + n), preview,
						 sizeof(preview));
				ark_pgtext_append_reason(&why, reason, offset);
				rc = ark_error_set(err, ARK_ERR_UNCONVERTIBLE, 0,
					"table \"%s\", %s, column \"%s\": %s: %s",
					s->table->name, row,
					s->table->columns[pt->columns[i].source_index].name,
					why.data ? why.data : reason, preview);
				goto cleanup;
			}
			s->converted += (uint64_t)ark_rows_converted_by_rule(
				value.storage, pt->columns[i].type.type);
			n++;
		}
		if ((rc = ark_rows_line_end(&line, &s->digest, err)))
			goto cleanup;
		ark_buf_append_char(buf, '\n');
		if (++s->rows % EVERY == 0) {
			if (s->progress)
				atomic_fetch_add(s->progress, EVERY);
			if ((rc = ark_fsio_check_interrupt(err)))
				goto cleanup;
		}
		if (buf->len >= CHUNK) {
			if (s->sink &&
			    (rc = s->sink(s->sink_context, buf->data, buf->len,
					  err)))
				goto cleanup;
			ark_buf_reset(buf);
		}
	}
	if (step != SQLITE_DONE) {
		/* the row after the last read (a generated column's
		 * expression that fails on it, a damaged page...) */
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "table \"%s\": reading row %" PRIu64 ": %s",
				   ark_text_escape(s->table->name, row,
						   sizeof(row)),
				   s->rows + 1, sqlite3_errmsg(s->db));
		goto cleanup;
	}
	if (buf->len && s->sink &&
	    (rc = s->sink(s->sink_context, buf->data, buf->len, err)))
		goto cleanup;
	ark_buf_reset(buf);
	if (s->progress)
		atomic_fetch_add(s->progress, s->rows % EVERY);
	rc = 0;
cleanup:
	ark_rows_line_abandon(&line);
	sqlite3_finalize(stmt);
	ark_buf_free(&why);
	return rc;
}

int ark_rows_converted_by_rule(int storage, enum ark_pgtype type)
{
	switch (type) {
	case ARK_PGTYPE_BOOL:
	case ARK_PGTYPE_DATE:
	case ARK_PGTYPE_TIMESTAMP:
	case ARK_PGTYPE_TIMESTAMPTZ:
		return storage == SQLITE_INTEGER || storage == SQLITE_FLOAT ||
		       (type == ARK_PGTYPE_BOOL && storage == SQLITE_TEXT);
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR:
	case ARK_PGTYPE_BPCHAR:
		return storage == SQLITE_INTEGER || storage == SQLITE_FLOAT;
	case ARK_PGTYPE_BYTEA:
		return storage != SQLITE_BLOB && storage != SQLITE_NULL;
	default:
		return 0;
	}
}
