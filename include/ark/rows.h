/*
 * ark/rows.h - a SQLite table's rows as canonical COPY text
 * (lib/pg/rows.c).
 *
 * The one place that reads a source table for the PostgreSQL side: the
 * SELECT of a plan table's columns (hostile names quoted), each value
 * converted by ark_pgtext_append to the text PostgreSQL prints for it,
 * rows joined into COPY text lines and digested (ark/digest.h).  The
 * transfer sends these lines to COPY FROM; the comparison of a SQLite
 * database with a PostgreSQL one digests them; both therefore agree with
 * what a `pg` archive member holds.
 */
#ifndef ARK_ROWS_H
#define ARK_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ark/buf.h"
#include "ark/digest.h"
#include "ark/error.h"
#include "ark/pgtext.h"
#include "ark/plan.h"
#include "ark/sqlite_schema.h"

/* "name" for SQLite, inner quotes doubled, appended to out. */
void ark_rows_append_sqlite_ident(struct ark_buf *out, const char *name);

/*
 * Prepare SELECT [<key>,] <plan columns> FROM main."table" [tail] on db.
 * with_key: the row's name comes first - rowid (under whichever of
 * rowid, _rowid_, oid no column shadows) or, WITHOUT ROWID, the primary
 * key's columns; *keys receives how many columns that is (0 without).
 * tail: SQL appended as it is (" ORDER BY ..."), or NULL.  Plan columns
 * marked skipped (--data-only: not in the target) are left out, here and
 * in ark_rows_stream().
 */
int ark_rows_prepare(sqlite3 *db, const struct ark_sqlite_table *table,
		     const struct ark_plan_table *plan, int with_key,
		     const char *tail, size_t *keys, sqlite3_stmt **stmt,
		     struct ark_error *err);

/* The value of column of the current row of stmt. */
void ark_rows_value(sqlite3_stmt *stmt, int column,
		    struct ark_sqlvalue *value);

/*
 * A short preview of a value for messages: NULL, 42, 1.5 (%.17g), 'text'
 * (the first 40 bytes, NULs as \0, escaped, "... (N bytes)" after a
 * longer one), x'00ff' (the first 16 bytes, and the size).
 */
void ark_rows_preview(sqlite3_stmt *stmt, int column, char *out,
		      size_t room);

/*
 * The name of stmt's current row, stmt prepared with_key (keys: what
 * ark_rows_prepare() said): "rowid 17", "(no rowid)" when every rowid
 * name is a column's, or a WITHOUT ROWID table's "key (a='x', b=2)"
 * (source column names, values as ark_rows_preview() shows them).  Every
 * message about a source row names it so: the check phase's refusals,
 * ark_rows_stream()'s, the reject file's "row".
 */
void ark_rows_label(const struct ark_sqlite_table *table, sqlite3_stmt *stmt,
		    size_t keys, char *out, size_t room);

/*
 * Where COPY text goes: chunks of whole lines (each ends with '\n'),
 * except around a row too large to hold (ark_rows_line below), which
 * arrives in pieces cut anywhere.
 */
typedef int (*ark_rows_sink)(void *context, const char *data, size_t len,
			     struct ark_error *err);

/*
 * One row's COPY text line, built in buf and digested.  A value that
 * converts in slices (a BLOB of more than ARK_ROWS_SLICE bytes into
 * bytea) is not held whole: after each slice, the row so far goes to the
 * sink (when there is one; with what buf held before it) and into a
 * digest stream, and buf is emptied.  So a 70 MB blob costs its own
 * 70 MB in SQLite and a few MiB here, not 140 MB of hex and more to grow
 * the buffer.
 */
#define ARK_ROWS_SLICE (1024 * 1024)

struct ark_rows_line {
	struct ark_buf *buf;
	size_t start;                     /* where the row begins in buf */
	ark_rows_sink sink;               /* NULL: digest only */
	void *sink_context;
	struct ark_digest_stream stream;  /* a row cut into pieces */
	int streaming;
};

/* Begin a row at the end of buf (the caller appends the tabs). */
void ark_rows_line_begin(struct ark_rows_line *line, struct ark_buf *buf,
			 ark_rows_sink sink, void *sink_context);
/*
 * Append value converted to type (ark_pgtext_append_at); *refused set
 * (with *reason and *reason_offset) when the conversion refuses it.
 * An error of the sink, or ARK_ERR_INTERNAL, otherwise 0.
 */
int ark_rows_line_value(struct ark_rows_line *line,
			const struct ark_sqlvalue *value,
			const struct ark_pgtype_spec *type,
			const struct ark_pgtext_rules *rules, int *refused,
			const char **reason, int64_t *reason_offset,
			struct ark_error *err);
/* The row is complete (no newline appended): its hash into digest. */
int ark_rows_line_end(struct ark_rows_line *line, struct ark_digest *digest,
		      struct ark_error *err);
/* Free what a row abandoned half-way holds. */
void ark_rows_line_abandon(struct ark_rows_line *line);

struct ark_rows_stream {
	/* in */
	sqlite3 *db;
	const struct ark_sqlite_table *table;
	const struct ark_plan_table *plan;
	const struct ark_pgtext_rules *rules;
	const char *tail;            /* e.g. " ORDER BY ...", or NULL */
	ark_rows_sink sink;          /* NULL: digest only */
	void *sink_context;
	/* out */
	struct ark_digest digest;
	uint64_t rows;
	uint64_t converted;          /* values converted under a rule */
	/* rows are added here as they go (progress), when not NULL */
	_Atomic uint64_t *progress;
};

/*
 * Read every row, convert, digest, and hand chunks of about 256 KiB to
 * the sink.  A value the conversion refuses is ARK_ERR_UNCONVERTIBLE
 * naming table, row (ark_rows_label()), column, the reason and the value
 * (the transfer's check pass lists them all first; here one is enough).  Stops with ARK_ERR_INTERRUPTED on a
 * signal.  buf is the caller's reusable buffer.
 */
int ark_rows_stream(struct ark_rows_stream *stream, struct ark_buf *buf,
		    struct ark_error *err);

/*
 * A value "converted under a rule": one whose storage class is not the
 * target type's own (0/1 into boolean, a number into a date, a number or
 * blob into text...).  Counted for the summary.
 */
int ark_rows_converted_by_rule(int storage, enum ark_pgtype type);

#endif
