/*
 * transfer_check.c - the check phase of ark-transfer: every value and
 * every constraint of the plan checked against the source before
 * PostgreSQL is touched, each offender named (table, row, column), and
 * --reject: the rows set aside in a SQLite file that can be reloaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ark/buf.h"
#include "ark/hash.h"
#include "ark/log.h"
#include "ark/rows.h"
#include "ark/text.h"
#include "pg/transfer_internal.h"

/* ---- names and previews ---- */

const struct ark_sqlite_table *
ark_transfer_source_table(const struct transfer *t, size_t plan_table)
{
	return &t->schema->tables[t->plan->tables[plan_table].source_index];
}

static const struct ark_sqlite_column *
source_column(const struct transfer *t, size_t plan_table, size_t column)
{
	const struct ark_plan_column *col =
		&t->plan->tables[plan_table].columns[column];

	return &ark_transfer_source_table(t, plan_table)->columns[col->source_index];
}

static int reject_row(struct transfer *t, size_t plan_table,
		      sqlite3_stmt *key_stmt, size_t keys, const char *row,
		      const char *column, const char *value,
		      const char *reason, int only_new, int *added);

/*
 * A value or row that cannot be carried.  With --reject and a row that
 * can be named (key_stmt's first keys columns: the rowid, or a WITHOUT
 * ROWID table's primary key), the row is set aside instead; otherwise
 * it is a refusal that stops the run.
 */
static void refuse(struct transfer *t, size_t plan_table,
		   sqlite3_stmt *key_stmt, size_t keys, const char *row,
		   const char *column, const char *value, const char *reason)
{
	struct ark_transfer_refusal refusal = {
		ark_transfer_source_table(t, plan_table)->name, row, column, value, reason,
		0,
	};

	t->result->tables[plan_table].refused++;
	if (t->reject_db && key_stmt && keys &&
	    sqlite3_column_type(key_stmt, 0) != SQLITE_NULL &&
	    reject_row(t, plan_table, key_stmt, keys, row, column, value,
		       reason, 0, NULL) == 0)
		refusal.rejected = 1;
	else
		t->result->refused++;
	if (t->options->on_refusal)
		t->options->on_refusal(t->options->refusal_context, &refusal);
}

static int sqlite_failed(sqlite3 *db, const char *doing,
			 const char *table, struct ark_error *err)
{
	return ark_error_set(err, ARK_ERR_SOURCE, 0, "%s table \"%s\": %s",
			     doing, table, sqlite3_errmsg(db));
}


/* ---- phase 2: every value against its planned type ---- */

/*
 * One pass over a table.  Returns 0 when done, 1 when the plan was
 * widened and the table must be checked again, or an error.
 */
static int check_table_values(struct transfer *t, size_t plan_table,
			      int widen, uint64_t *unwidenable,
			      struct ark_error *err)
{
	struct ark_plan_table *pt = &t->plan->tables[plan_table];
	struct ark_transfer_table *tr = &t->result->tables[plan_table];
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	struct ark_buf scratch = ARK_BUF_INIT, why = ARK_BUF_INIT;
	struct ark_sqlvalue value;
	sqlite3_stmt *stmt = NULL;
	const char *reason;
	int64_t reason_offset;
	char row[256], preview[256];
	size_t keys, i, k;
	struct ark_rows_line line = { 0 };
	uint64_t rows = 0, converted = 0;
	int rc, step, sql_column, refused;

	if ((rc = ark_rows_prepare(t->db, st, pt, 1, NULL, &keys, &stmt, err)))
		goto cleanup;
	ark_digest_init(&t->check_digests[plan_table]);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* the row's line (a refused value marked) into the table's
		 * check digest: what --resume compares with the run that
		 * stopped */
		ark_buf_reset(&scratch);
		ark_rows_line_begin(&line, &scratch, NULL, NULL);
		if (++rows % CHECK_EVERY == 0) {
			atomic_fetch_add(&t->rows_done, CHECK_EVERY);
			ark_progress_update(t->progress,
					    atomic_load(&t->rows_done));
			if ((rc = ark_fsio_check_interrupt(err)))
				goto cleanup;
		}
		for (i = 0, k = 0; i < pt->ncolumns; i++) {
			if (pt->columns[i].skipped)
				continue;
			sql_column = (int)(keys + k++);
			ark_rows_value(stmt, sql_column, &value);
			if (k > 1)
				ark_buf_append_char(&scratch, '\t');
			if ((rc = ark_rows_line_value(&line, &value,
						      &pt->columns[i].type,
						      &t->rules, &refused,
						      &reason,
						      &reason_offset, err)))
				goto cleanup;
			if (!refused) {
				converted += (uint64_t)
					ark_rows_converted_by_rule(
						value.storage,
						pt->columns[i].type.type);
				continue;
			}
			if (widen) {
				if (ark_plan_widen_column(t->plan, plan_table,
							  i, value.storage,
							  reason) == 0) {
					rc = 1;
					goto cleanup;
				}
				/* reported by the last, reporting pass */
				(*unwidenable)++;
				continue;
			}
			ark_buf_append_char(&scratch, '\001');
			ark_rows_label(st, stmt, keys, row, sizeof(row));
			ark_rows_preview(stmt, sql_column, preview,
				      sizeof(preview));
			ark_buf_reset(&why);
			ark_pgtext_append_reason(&why, reason, reason_offset);
			refuse(t, plan_table, stmt, keys, row,
			       source_column(t, plan_table, i)->name, preview,
			       why.data ? why.data : reason);
		}
		if ((rc = ark_rows_line_end(&line,
					    &t->check_digests[plan_table],
					    err)))
			goto cleanup;
	}
	if (step != SQLITE_DONE) {
		rc = sqlite_failed(t->db, "cannot read", st->name, err);
		goto cleanup;
	}
	atomic_fetch_add(&t->rows_done, rows % CHECK_EVERY);
	tr->rows_read = rows;
	tr->converted = converted;
	rc = 0;
cleanup:
	ark_rows_line_abandon(&line);
	sqlite3_finalize(stmt);
	ark_buf_free(&why);
	ark_buf_free(&scratch);
	return rc;
}

/* Refuse every row stmt returns (its key columns first). */
static int refuse_rows(struct transfer *t, size_t plan_table,
		       sqlite3_stmt *stmt, size_t keys, const char *column,
		       const char *reason, struct ark_error *err)
{
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	char row[256];
	int step;

	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		ark_rows_label(st, stmt, keys, row, sizeof(row));
		refuse(t, plan_table, stmt, keys, row, column, NULL, reason);
	}
	if (step != SQLITE_DONE)
		return sqlite_failed(t->db, "cannot check", st->name, err);
	return 0;
}

/*
 * "typeof(c) = 'null'" (or <>): SQLite folds "c IS NULL" to false, and
 * "c IS NOT NULL" to true, when c is declared NOT NULL, even where a NULL
 * is stored (a schema edited with writable_schema, or a column made NOT
 * NULL after the fact): the check must see what is stored.
 */
static void append_null_test(struct ark_buf *sql, const char *column,
			     int is_null)
{
	ark_buf_append_str(sql, "typeof(");
	ark_rows_append_sqlite_ident(sql, column);
	ark_buf_append_str(sql, is_null ? ") = 'null'" : ") <> 'null'");
}

/* NULLs in NOT NULL columns (SQLite allows NULL in a non-INTEGER primary
 * key, and a NOT NULL added by hand may be broken). */
static int check_not_null(struct transfer *t, size_t plan_table,
			  struct ark_error *err)
{
	struct ark_plan_table *pt = &t->plan->tables[plan_table];
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	const struct ark_column_profile *profile;
	struct ark_buf sql = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	size_t i, keys;
	int rc = 0;

	for (i = 0; i < pt->ncolumns && rc == 0; i++) {
		profile = &t->profile->tables[pt->source_index]
				   .columns[pt->columns[i].source_index];
		if (!pt->columns[i].not_null || profile->nulls == 0 ||
		    pt->columns[i].skipped)
			continue;
		if (t->options->widen) {
			ark_plan_relax_not_null(t->plan, plan_table, i,
						"the column holds NULLs");
			continue;
		}
		ark_buf_reset(&sql);
		ark_buf_append_str(&sql, " WHERE ");
		append_null_test(&sql, source_column(t, plan_table, i)->name,
				 1);
		if (ark_buf_failed(&sql)) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
			break;
		}
		if ((rc = ark_rows_prepare(t->db, st, pt, 1, sql.data, &keys,
					   &stmt, err)))
			break;
		rc = refuse_rows(t, plan_table, stmt, keys,
				 source_column(t, plan_table, i)->name,
				 "NULL in a NOT NULL column", err);
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	ark_buf_free(&sql);
	return rc;
}

/* NULL under a primary key (SQLite allows it outside INTEGER PRIMARY
 * KEY and WITHOUT ROWID): every such row, by its rowid.  With widen,
 * *found says so and nothing is reported. */
static int check_null_key(struct transfer *t, size_t plan_table, size_t u,
			  int *found, struct ark_error *err)
{
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	const struct ark_plan_unique *unique = &pt->uniques[u];
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	struct ark_buf tail = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	size_t c, keys;
	int rc;

	ark_buf_append_str(&tail, " WHERE 0");
	for (c = 0; c < unique->ncolumns; c++) {
		ark_buf_append_str(&tail, " OR ");
		append_null_test(&tail,
			source_column(t, plan_table, unique->columns[c])->name,
			1);
	}
	if (t->options->widen)
		ark_buf_append_str(&tail, " LIMIT 1");
	if (ark_buf_failed(&tail)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_rows_prepare(t->db, st, pt, 1, tail.data, &keys, &stmt,
				   err)))
		goto cleanup;
	if (t->options->widen) {
		if (sqlite3_step(stmt) == SQLITE_ROW)
			*found = 1;
	} else {
		rc = refuse_rows(t, plan_table, stmt, keys, NULL,
				 "NULL in the PRIMARY KEY", err);
	}
cleanup:
	sqlite3_finalize(stmt);
	ark_buf_free(&tail);
	return rc;
}

/* --data-only: a key over a column the target lacks is not the
 * target's. */
static int unique_skipped(const struct ark_plan_table *pt,
			  const struct ark_plan_unique *unique)
{
	size_t c;

	for (c = 0; c < unique->ncolumns; c++)
		if (pt->columns[unique->columns[c]].skipped)
			return 1;
	return 0;
}

/*
 * Whether converting a key column's values can make values SQLite holds
 * apart equal in PostgreSQL: more than one storage class in the column
 * (1 and '1' into text, 1 and 1.0 into double precision), or a type that
 * is not its class's own (text into a timestamp: '2020-01-01 10:00' and
 * '2020-01-01 10:00:00'; text into uuid, boolean, a number; a real into
 * numeric, an integer into double precision).  Integers into an integer
 * type or numeric, reals into double precision (SQLite and PostgreSQL
 * both hold 0.0 = -0.0), text into text or varchar, text or blobs into
 * bytea keep every value apart: SQLite's own comparison is PostgreSQL's.
 */
static int conversion_can_merge(const struct ark_column_profile *profile,
				const struct ark_pgtype_spec *type)
{
	int classes = (profile->integers > 0) + (profile->reals > 0) +
		      (profile->texts > 0) + (profile->blobs > 0);

	if (classes > 1)
		return 1;
	switch (type->type) {
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
	case ARK_PGTYPE_INT8:
	case ARK_PGTYPE_NUMERIC:
		return profile->reals > 0 || profile->texts > 0 ||
		       profile->blobs > 0;
	case ARK_PGTYPE_FLOAT8:
		return profile->integers > 0 || profile->texts > 0 ||
		       profile->blobs > 0;
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR:
		return profile->integers > 0 || profile->reals > 0 ||
		       profile->blobs > 0;
	case ARK_PGTYPE_BYTEA:
		return profile->integers > 0 || profile->reals > 0;
	default:
		return classes > 0;
	}
}

/*
 * A converted value as PostgreSQL's equality sees it (text[start..]):
 * numeric ignores trailing fraction zeros (1.0 = 1.00), float -0 = 0,
 * char(n) ignores trailing spaces.  Other types' canonical texts are
 * equal exactly when the values are (jsonb excepted: its numbers compare
 * as numeric, [1.0] = [1], which is not looked at here).
 */
static void equality_text(struct ark_buf *text, size_t start,
			  enum ark_pgtype type)
{
	char *v;
	size_t len, i;

	if (ark_buf_failed(text) || text->len <= start)
		return;
	v = text->data + start;
	len = text->len - start;
	switch (type) {
	case ARK_PGTYPE_NUMERIC:
		if (memchr(v, '.', len)) {
			while (len && v[len - 1] == '0')
				len--;
			if (len && v[len - 1] == '.')
				len--;
		}
		for (i = v[0] == '-'; i < len && (v[i] == '0' || v[i] == '.'); i++)
			;
		if (v[0] == '-' && i == len) /* -0.00 is 0 */
			memmove(v, v + 1, --len);
		break;
	case ARK_PGTYPE_FLOAT4:
	case ARK_PGTYPE_FLOAT8:
		if (len == 2 && memcmp(v, "-0", 2) == 0)
			memmove(v, v + 1, --len);
		break;
	case ARK_PGTYPE_BPCHAR:
		while (len && v[len - 1] == ' ')
			len--;
		break;
	default:
		break;
	}
	ark_buf_truncate(text, start + len);
}

/* Up to 40 bytes of a converted value, cut on a character boundary. */
static void append_shown(struct ark_buf *out, const char *value, size_t len)
{
	size_t cut = len;

	if (cut > 40) {
		cut = 40;
		while (cut > 0 && ((unsigned char)value[cut] & 0xc0) == 0x80)
			cut--;
	}
	ark_buf_append(out, value, cut);
	if (cut < len)
		ark_buf_append_str(out, "...");
}

/*
 * The keys of a unique constraint as PostgreSQL will compare them, row by
 * row in the table's order: each row's key values converted (their
 * canonical COPY text, ark/digest.h) and made equality texts; their
 * XXH3-128 in a table with a unique index in a temporary SQLite file in
 * --tmpdir (disk, a small page cache: memory does not grow with the
 * table).  A row whose key is already there duplicates an earlier row:
 * it is refused, naming both rows (with --reject, it is the one set
 * aside: the first row of a key is kept).  Rows with a NULL in the key
 * (PostgreSQL's UNIQUE holds any number; the PRIMARY KEY's are refused
 * apart) or a value the conversion refuses (refused apart) are left out.
 * With widen, *found says a duplicate is there and nothing is reported.
 */
struct key {
	size_t ncolumns;
	const size_t *columns;        /* plan column indexes */
	const char *what;             /* "the PRIMARY KEY", ... */
	const char *where;            /* a partial index's SQLite WHERE */
	int converted;                /* conversion can merge values */
};

static int check_unique_rows(struct transfer *t, size_t plan_table,
			     const struct key *unique, int *found,
			     struct ark_error *err)
{
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	struct ark_buf tail = ARK_BUF_INIT, key = ARK_BUF_INIT;
	struct ark_buf equal = ARK_BUF_INIT, shown = ARK_BUF_INIT, reason = ARK_BUF_INIT;
	struct ark_plan_table only = *pt;
	struct ark_plan_column *columns = NULL;
	struct ark_atomic_file *file = NULL;
	struct ark_sqlvalue value;
	struct ark_hash128 hash;
	unsigned char hash_bytes[16];
	sqlite3 *keys_db = NULL;
	sqlite3_stmt *stmt = NULL, *insert = NULL, *lookup = NULL;
	const char *tmpdir = t->options->tmpdir, *why;
	char path[4096], row[256];
	size_t keys, c, start;
	uint64_t rows = 0;
	int rc = 0, step, refused;

	/* SELECT <row key>, <the unique's columns> ... */
	columns = calloc(unique->ncolumns ? unique->ncolumns : 1,
			 sizeof(*columns));
	if (!columns) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	for (c = 0; c < unique->ncolumns; c++)
		columns[c] = pt->columns[unique->columns[c]];
	only.columns = columns;
	only.ncolumns = unique->ncolumns;
	/* the table's own order (rowid, or a WITHOUT ROWID table's key),
	 * whatever index the WHERE could use: the first row of a key is
	 * the one kept */
	ark_buf_append_str(&tail, " NOT INDEXED WHERE 1");
	for (c = 0; c < unique->ncolumns; c++) {
		ark_buf_append_str(&tail, " AND ");
		append_null_test(&tail,
			source_column(t, plan_table, unique->columns[c])->name,
			0);
	}
	if (unique->where)
		ark_buf_appendf(&tail, " AND (%s)", unique->where);
	if (ark_buf_failed(&tail)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_rows_prepare(t->db, st, &only, 1, tail.data, &keys,
				   &stmt, err)))
		goto cleanup;

	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/ark-keys", tmpdir) >=
	    (int)sizeof(path)) {
		rc = ark_error_set(err, ARK_ERR_WRITE, ENAMETOOLONG,
				   "cannot check the keys of table \"%s\" "
				   "in '%s'", st->name, tmpdir);
		goto cleanup;
	}
	if ((rc = ark_atomic_open_short(path, &file, err))) {
		ark_error_prefix(err, "checking the keys of table \"%s\"",
				 st->name);
		goto cleanup;
	}
	/* written once, thrown away (never committed): no journal, no sync;
	 * 32 MiB of cache (1M keys of random hashes: 13.5 s, 42 MB peak;
	 * with 8 MiB, 22.7 s and 17 MB; load average 10 on 2 cores) */
	if (sqlite3_open_v2(ark_atomic_temp_path(file), &keys_db,
			    SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(keys_db, "PRAGMA journal_mode = OFF; "
			 "PRAGMA synchronous = OFF; "
			 "PRAGMA locking_mode = EXCLUSIVE; "
			 "PRAGMA temp_store = FILE; "
			 "PRAGMA cache_size = -32768; "
			 "CREATE TABLE k (h BLOB PRIMARY KEY, row TEXT) "
			 "WITHOUT ROWID; "
			 /* one transaction: a commit per row wrote pages per
			  * row (110 us a row, ten times all the rest) */
			 "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(keys_db, "INSERT OR IGNORE INTO k VALUES "
			       "(?1, ?2)", -1, &insert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(keys_db, "SELECT row FROM k WHERE h = ?1",
			       -1, &lookup, NULL) != SQLITE_OK) {
		rc = ark_error_set(err, ARK_ERR_WRITE, 0,
				   "checking the keys of table \"%s\": "
				   "cannot write '%s': %s", st->name,
				   ark_atomic_temp_path(file),
				   keys_db ? sqlite3_errmsg(keys_db)
					   : "out of memory");
		goto cleanup;
	}
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (++rows % CHECK_EVERY == 0 &&
		    (rc = ark_fsio_check_interrupt(err)))
			goto cleanup;
		/* key: the canonical texts, as shown; equal: as compared */
		ark_buf_reset(&key);
		ark_buf_reset(&equal);
		refused = 0;
		for (c = 0; c < unique->ncolumns && !refused; c++) {
			if (c) {
				ark_buf_append_char(&key, '\t');
				ark_buf_append_char(&equal, '\t');
			}
			start = key.len;
			ark_rows_value(stmt, (int)(keys + c), &value);
			if (ark_pgtext_append(&key, &value, &columns[c].type,
					      &t->rules, &why) != 0) {
				refused = 1; /* refused by the value check */
				break;
			}
			ark_buf_append(&equal, key.data + start,
				       key.len - start);
			equality_text(&equal, equal.len - (key.len - start),
				      columns[c].type.type);
		}
		if (refused)
			continue;
		if (ark_buf_failed(&key) || ark_buf_failed(&equal)) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "out of memory");
			goto cleanup;
		}
		hash = ark_hash_buffer(equal.data ? equal.data : "", equal.len);
		for (c = 0; c < 8; c++) {
			hash_bytes[c] = (unsigned char)(hash.high >> (56 - 8 * c));
			hash_bytes[8 + c] = (unsigned char)(hash.low >> (56 - 8 * c));
		}
		ark_rows_label(st, stmt, keys, row, sizeof(row));
		sqlite3_reset(insert);
		sqlite3_bind_blob(insert, 1, hash_bytes, 16, SQLITE_STATIC);
		sqlite3_bind_text(insert, 2, row, -1, SQLITE_STATIC);
		if (sqlite3_step(insert) != SQLITE_DONE) {
			rc = ark_error_set(err, ARK_ERR_WRITE, 0,
					   "checking the keys of table \"%s\": "
					   "cannot write '%s': %s", st->name,
					   ark_atomic_temp_path(file),
					   sqlite3_errmsg(keys_db));
			goto cleanup;
		}
		if (sqlite3_changes(keys_db) > 0)
			continue;
		*found = 1;
		if (t->options->widen)
			break;
		sqlite3_reset(lookup);
		sqlite3_bind_blob(lookup, 1, hash_bytes, 16, SQLITE_STATIC);
		ark_buf_reset(&reason);
		ark_buf_appendf(&reason, "a duplicate of %s under %s%s",
				sqlite3_step(lookup) == SQLITE_ROW
					? (const char *)sqlite3_column_text(lookup, 0)
					: "an earlier row",
				unique->what,
				unique->converted ? " once converted" : "");
		/* (a, b)=(1, x) as PostgreSQL's own message shows a key */
		ark_buf_reset(&shown);
		ark_buf_append_char(&shown, '(');
		for (c = 0; c < unique->ncolumns; c++)
			ark_buf_appendf(&shown, "%s%s", c ? ", " : "",
					columns[c].name);
		ark_buf_append_str(&shown, ")=(");
		for (c = 0, start = 0; c < unique->ncolumns; c++) {
			const char *field = key.data + start;
			const char *end = memchr(field, '\t', key.len - start);
			size_t len = end ? (size_t)(end - field)
					 : key.len - start;

			if (c)
				ark_buf_append_str(&shown, ", ");
			append_shown(&shown, field, len);
			start += len + 1;
		}
		ark_buf_append_char(&shown, ')');
		if (ark_buf_failed(&reason) || ark_buf_failed(&shown)) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "out of memory");
			goto cleanup;
		}
		refuse(t, plan_table, stmt, keys, row, NULL, shown.data,
		       reason.data);
	}
	if (rc == 0 && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = sqlite_failed(t->db, "cannot check", st->name, err);
cleanup:
	sqlite3_finalize(stmt);
	sqlite3_finalize(insert);
	sqlite3_finalize(lookup);
	if (keys_db)
		sqlite3_close(keys_db);
	ark_atomic_free(file);
	free(columns);
	ark_buf_free(&tail);
	ark_buf_free(&key);
	ark_buf_free(&equal);
	ark_buf_free(&shown);
	ark_buf_free(&reason);
	return rc;
}

/*
 * Duplicates SQLite itself holds under a unique constraint, compared as
 * PostgreSQL will (bytewise: COLLATE BINARY).  One refusal per
 * duplicated key value, naming how many rows share it.  With widen,
 * *found says one is there and nothing is reported.
 */
static int check_unique_groups(struct transfer *t, size_t plan_table,
			       size_t u, int *found, struct ark_error *err)
{
	struct ark_plan_table *pt = &t->plan->tables[plan_table];
	const struct ark_plan_unique *unique = &pt->uniques[u];
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	struct ark_buf sql = ARK_BUF_INIT, cols = ARK_BUF_INIT;
	struct ark_buf label = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	char value[160], reason[256];
	size_t c;
	int step, rc = 0;

	for (c = 0; c < unique->ncolumns; c++) {
		if (c)
			ark_buf_append_str(&cols, ", ");
		ark_rows_append_sqlite_ident(&cols,
			source_column(t, plan_table, unique->columns[c])->name);
		ark_buf_append_str(&cols, " COLLATE BINARY");
	}
	ark_buf_appendf(&sql, "SELECT %s, count(*) FROM main.",
			cols.data ? cols.data : "1");
	ark_rows_append_sqlite_ident(&sql, st->name);
	ark_buf_append_str(&sql, " WHERE 1");
	for (c = 0; c < unique->ncolumns; c++) {
		ark_buf_append_str(&sql, " AND ");
		append_null_test(&sql,
			source_column(t, plan_table, unique->columns[c])->name,
			0);
	}
	ark_buf_appendf(&sql, " GROUP BY %s HAVING count(*) > 1",
			cols.data ? cols.data : "1");
	if (ark_buf_failed(&sql) || ark_buf_failed(&cols)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (sqlite3_prepare_v2(t->db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
		rc = sqlite_failed(t->db, "cannot check", st->name, err);
		goto cleanup;
	}
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		sqlite3_int64 count = sqlite3_column_int64(stmt,
							   (int)unique->ncolumns);

		*found = 1;
		if (t->options->widen)
			break;
		ark_buf_reset(&label);
		ark_buf_append_str(&label, "key (");
		for (c = 0; c < unique->ncolumns; c++) {
			ark_rows_preview(stmt, (int)c, value, sizeof(value));
			ark_buf_appendf(&label, "%s%s=%s", c ? ", " : "",
				source_column(t, plan_table,
					      unique->columns[c])->name,
				value);
		}
		ark_buf_append_char(&label, ')');
		snprintf(reason, sizeof(reason), "%lld rows share this %s value",
			 (long long)count,
			 unique->primary ? "PRIMARY KEY" : "UNIQUE");
		refuse(t, plan_table, NULL, 0, label.data ? label.data : "",
		       NULL, NULL, reason);
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = sqlite_failed(t->db, "cannot check", st->name, err);
cleanup:
	sqlite3_finalize(stmt);
	ark_buf_free(&sql);
	ark_buf_free(&cols);
	ark_buf_free(&label);
	return rc;
}

/* Whether a key's conversion can make distinct SQLite values equal. */
static int key_converted(const struct transfer *t, size_t plan_table,
			 const size_t *columns, size_t ncolumns)
{
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	const struct ark_table_profile *profile =
		&t->profile->tables[pt->source_index];
	size_t c;

	for (c = 0; c < ncolumns; c++) {
		const struct ark_plan_column *col = &pt->columns[columns[c]];

		if (conversion_can_merge(&profile->columns[col->source_index],
					 &col->type))
			return 1;
	}
	return 0;
}

/*
 * A unique index over plain columns (partial or not): its columns as
 * plan column indexes (*columns, allocated; the caller frees it), its
 * SQLite WHERE, into key.  1 when it is not one to check (an expression
 * key, a column --data-only leaves out: the server judges those when the
 * index is made), 0, or ARK_ERR_INTERNAL.
 */
static int unique_index_key(const struct transfer *t, size_t plan_table,
			    const struct ark_plan_index *ix, size_t **columns,
			    struct key *key, struct ark_error *err)
{
	const struct ark_plan_table *pt = &t->plan->tables[plan_table];
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	const struct ark_sqlite_index *si = NULL;
	size_t i, c, j;

	*columns = NULL;
	if (!ix->unique || ix->dropped || !ix->source_name)
		return 1;
	for (i = 0; i < st->nindexes && !si; i++)
		if (strcmp(st->indexes[i].name, ix->source_name) == 0)
			si = &st->indexes[i];
	if (!si || si->ncolumns == 0)
		return 1;
	*columns = calloc(si->ncolumns, sizeof(**columns));
	if (!*columns)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	for (c = 0; c < si->ncolumns; c++) {
		if (!si->columns[c].name)
			return 1;
		for (j = 0; j < pt->ncolumns; j++)
			if (sqlite3_stricmp(source_column(t, plan_table, j)->name,
					    si->columns[c].name) == 0)
				break;
		if (j == pt->ncolumns || pt->columns[j].skipped)
			return 1;
		(*columns)[c] = j;
	}
	key->ncolumns = si->ncolumns;
	key->columns = *columns;
	key->where = si->partial ? si->where_sql : NULL;
	return 0;
}

/*
 * Duplicates under a primary key, unique constraint or unique index, as
 * PostgreSQL will see them, and NULLs under a primary key.  A key whose
 * conversion can make distinct SQLite values equal (1 and '1' into text,
 * '2020-01-01 10:00' and '2020-01-01 10:00:00' into timestamp) is
 * compared converted, row by row (check_unique_rows); so is every
 * primary key and unique constraint with --reject, which sets aside each
 * row after the first of a key.  The others by SQLite's GROUP BY, which
 * costs less (SQLite enforces its unique indexes: only conversion can
 * make duplicates there).  --widen leaves out a constraint the data
 * breaks.
 */
static int check_uniques(struct transfer *t, size_t plan_table,
			 struct ark_error *err)
{
	struct ark_plan_table *pt = &t->plan->tables[plan_table];
	struct ark_buf what = ARK_BUF_INIT;
	size_t u, *columns = NULL;
	int rc = 0, found;

	for (u = 0; u < pt->nuniques && rc == 0; u++) {
		const struct ark_plan_unique *unique = &pt->uniques[u];
		struct key key = {
			unique->ncolumns, unique->columns,
			unique->primary ? "the PRIMARY KEY"
					: "a UNIQUE constraint",
			NULL, 0,
		};

		if (unique_skipped(pt, unique) || unique->dropped)
			continue;
		key.converted = key_converted(t, plan_table, unique->columns,
					      unique->ncolumns);
		found = 0;
		if (key.converted || t->reject_db)
			rc = check_unique_rows(t, plan_table, &key, &found, err);
		else
			rc = check_unique_groups(t, plan_table, u, &found, err);
		if (rc == 0 && unique->primary)
			rc = check_null_key(t, plan_table, u, &found, err);
		if (found && rc == 0 && t->options->widen)
			ark_plan_relax_unique(t->plan, plan_table, u,
					      unique->primary
					      ? "NULL or duplicate values under the PRIMARY KEY"
					      : "duplicate values under the UNIQUE constraint");
	}
	for (u = 0; u < pt->nindexes && rc == 0; u++) {
		const struct ark_plan_index *ix = &pt->indexes[u];
		struct key key = { 0 };

		free(columns);
		if ((rc = unique_index_key(t, plan_table, ix, &columns, &key,
					   err)) != 0) {
			rc = rc > 0 ? 0 : rc;
			continue;
		}
		key.converted = key_converted(t, plan_table, key.columns,
					      key.ncolumns);
		if (!key.converted)
			continue;
		ark_buf_reset(&what);
		ark_buf_appendf(&what, "unique index \"%s\"", ix->source_name);
		if (ark_buf_failed(&what)) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "out of memory");
			break;
		}
		key.what = what.data;
		found = 0;
		rc = check_unique_rows(t, plan_table, &key, &found, err);
		if (found && rc == 0 && t->options->widen)
			ark_plan_relax_unique_index(t->plan, plan_table, u,
						    "duplicate values under "
						    "the unique index once "
						    "converted");
	}
	free(columns);
	ark_buf_free(&what);
	return rc;
}

/*
 * The rows of a WITHOUT ROWID table (which pragma_foreign_key_check
 * does not name) whose foreign key source has no parent row, named by
 * their key: the key's columns all set and no parent row equal to them
 * (the parent's column on the left of =, so its collation decides, as
 * SQLite's lookup in the parent's index does).
 */
static int refuse_orphans_by_key(struct transfer *t, size_t plan_table,
				 size_t source, const char *reason,
				 struct ark_error *err)
{
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	const struct ark_sqlite_foreign_key *fk = &st->foreign_keys[source];
	const struct ark_sqlite_table *parent = NULL;
	struct ark_buf tail = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	const char *to;
	char row[256];
	size_t i, j, keys;
	int rc = 0, step;

	for (i = 0; i < t->schema->ntables && !parent; i++)
		if (sqlite3_stricmp(t->schema->tables[i].name, fk->ref_table) == 0)
			parent = &t->schema->tables[i];
	if (!parent)
		return 0; /* reported by the plan as not carried */
	ark_buf_append_str(&tail, " WHERE 1");
	for (i = 0; i < fk->ncolumns; i++) {
		ark_buf_append_str(&tail, " AND ");
		append_null_test(&tail, fk->from[i], 0);
	}
	ark_buf_append_str(&tail, " AND NOT EXISTS (SELECT 1 FROM main.");
	ark_rows_append_sqlite_ident(&tail, parent->name);
	ark_buf_append_str(&tail, " AS ark_parent WHERE 1");
	for (i = 0; i < fk->ncolumns; i++) {
		to = fk->to[i];
		if (!to) { /* the parent's primary key, in key order */
			for (j = 0; j < parent->ncolumns && !to; j++)
				if (parent->columns[j].pk_position == (int)(i + 1))
					to = parent->columns[j].name;
			if (!to)
				goto cleanup; /* "foreign key mismatch" */
		}
		ark_buf_append_str(&tail, " AND ark_parent.");
		ark_rows_append_sqlite_ident(&tail, to);
		ark_buf_append_str(&tail, " = main.");
		ark_rows_append_sqlite_ident(&tail, st->name);
		ark_buf_append_char(&tail, '.');
		ark_rows_append_sqlite_ident(&tail, fk->from[i]);
	}
	ark_buf_append_char(&tail, ')');
	if (ark_buf_failed(&tail)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_rows_prepare(t->db, st, &t->plan->tables[plan_table], 1,
				   tail.data, &keys, &stmt, err)))
		goto cleanup;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		ark_rows_label(st, stmt, keys, row, sizeof(row));
		refuse(t, plan_table, stmt, keys, row, NULL, NULL, reason);
	}
	if (step != SQLITE_DONE)
		rc = sqlite_failed(t->db, "cannot check", st->name, err);
cleanup:
	sqlite3_finalize(stmt);
	ark_buf_free(&tail);
	return rc;
}

/* Rows whose foreign key has no parent row (SQLite does not enforce
 * foreign keys unless asked to).  With widen, that foreign key is left
 * out instead. */
static int check_foreign_keys(struct transfer *t, size_t plan_table,
			      struct ark_error *err)
{
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	struct ark_plan_table *pt = &t->plan->tables[plan_table];
	sqlite3_stmt *stmt = NULL;
	char row[64], reason[512], parent[256];
	unsigned char *orphaned = NULL;
	size_t source, j;
	int step, rc = 0;

	if (st->nforeign_keys == 0)
		return 0;
	orphaned = calloc(st->nforeign_keys, 1);
	if (!orphaned)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if (sqlite3_prepare_v2(t->db,
			       "SELECT rowid, \"parent\", fkid FROM "
			       "pragma_foreign_key_check(?1)",
			       -1, &stmt, NULL) != SQLITE_OK) {
		free(orphaned);
		return sqlite_failed(t->db, "cannot check", st->name, err);
	}
	sqlite3_bind_text(stmt, 1, st->name, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		/* SQLite numbers foreign keys from the last declared */
		source = st->nforeign_keys - 1 -
			 (size_t)sqlite3_column_int64(stmt, 2);
		if (source >= st->nforeign_keys)
			continue;
		ark_text_escape((const char *)sqlite3_column_text(stmt, 1),
				parent, sizeof(parent));
		if (t->options->widen) {
			for (j = 0; j < pt->nforeign_keys; j++)
				if (pt->foreign_keys[j].source_index == source)
					ark_plan_relax_foreign_key(
						t->plan, plan_table, j,
						"rows have no parent row");
			continue;
		}
		if (st->without_rowid) {
			orphaned[source] = 1; /* named by key below */
			continue;
		}
		snprintf(row, sizeof(row), "rowid %lld",
			 (long long)sqlite3_column_int64(stmt, 0));
		snprintf(reason, sizeof(reason),
			 "foreign key to \"%s\" has no parent row", parent);
		refuse(t, plan_table, stmt, 1, row, NULL, NULL, reason);
	}
	if (step != SQLITE_DONE) {
		/* "foreign key mismatch": the parent has no such key; the
		 * plan reports that foreign key as not carried. */
		ark_log(ARK_LOG_WARN, "table \"%s\": foreign keys not checked: %s",
			st->name, sqlite3_errmsg(t->db));
	}
	sqlite3_finalize(stmt);
	for (source = 0; source < st->nforeign_keys && rc == 0; source++) {
		if (!orphaned[source])
			continue;
		ark_text_escape(st->foreign_keys[source].ref_table, parent,
				sizeof(parent));
		snprintf(reason, sizeof(reason),
			 "foreign key to \"%s\" has no parent row", parent);
		rc = refuse_orphans_by_key(t, plan_table, source, reason, err);
	}
	free(orphaned);
	return rc;
}

/*
 * Without widen: one pass that reports every refusal.  With widen:
 * passes that widen the plan at the first refusal a wider type can hold,
 * until one goes through; when values remain that nothing holds, one
 * more pass reports them (so no refusal is reported twice).
 */
static int check_values(struct transfer *t, size_t plan_table,
			struct ark_error *err)
{
	uint64_t unwidenable = 0;
	int rc, rounds;

	if (!t->options->widen)
		return check_table_values(t, plan_table, 0, &unwidenable, err);
	for (rounds = 0;; rounds++) {
		if (rounds == MAX_WIDEN_ROUNDS)
			return ark_error_set(err, ARK_ERR_INTERNAL, 0,
					     "table \"%s\": the plan does "
					     "not settle",
					     ark_transfer_source_table(t, plan_table)->name);
		unwidenable = 0;
		rc = check_table_values(t, plan_table, 1, &unwidenable, err);
		if (rc <= 0)
			break;
	}
	if (rc == 0 && unwidenable)
		rc = check_table_values(t, plan_table, 0, &unwidenable, err);
	return rc;
}

/* ---- --reject: rows set aside in a SQLite database ---- */

/*
 * The reject file is a SQLite database: each source table that has rows
 * set aside, created by the source's own CREATE TABLE statement and
 * holding those rows exactly as they were (storage classes, bytes,
 * rowids), and a table ark_rejects ("table", "row", "column", "value",
 * "reason") with one line per reason.  So it can be read with sqlite3,
 * fixed with SQL, and loaded again by ark-transfer itself (--data-only
 * --if-exists=append; --ignore-missing leaves ark_rejects out).  It is
 * built in a temporary file beside FILE and renamed to FILE only when
 * the run has loaded and verified the other rows (never over an
 * existing file); a run that fails leaves no FILE.  The rows are copied
 * inside SQLite from the private copy of the source (attached as "src"),
 * the same snapshot the run reads.
 */
#define REJECTS_TABLE "ark_rejects"

static int reject_failed(struct transfer *t, int code, const char *doing)
{
	if (!t->reject_code) {
		t->reject_code = code;
		ark_error_set(&t->reject_err, code, 0, "reject file \"%s\": %s: %s",
			      t->options->reject_path, doing,
			      t->reject_db ? sqlite3_errmsg(t->reject_db)
					   : "not open");
	}
	return code;
}

/* The name under which the table's rowid can be read (as ark/rows.h
 * picks it), or NULL when every one is a column's. */
static const char *rowid_name(const struct ark_sqlite_table *table)
{
	static const char *const names[] = { "rowid", "_rowid_", "oid" };
	size_t i, j;

	for (i = 0; i < 3; i++) {
		for (j = 0; j < table->ncolumns; j++)
			if (sqlite3_stricmp(table->columns[j].name, names[i]) == 0)
				break;
		if (j == table->ncolumns)
			return names[i];
	}
	return NULL;
}

/* "key = ?1 AND ..." naming a row by its rowid or primary key; 0, or -1
 * when it cannot. */
static int append_key_match(struct ark_buf *sql,
			    const struct ark_sqlite_table *table)
{
	size_t i, j, n = 0;

	if (!table->without_rowid) {
		if (!rowid_name(table))
			return -1;
		ark_buf_appendf(sql, "%s = ?1", rowid_name(table));
		return 0;
	}
	for (i = 1; i <= table->ncolumns; i++)
		for (j = 0; j < table->ncolumns; j++) {
			if (table->columns[j].pk_position != (int)i)
				continue;
			if (n++)
				ark_buf_append_str(sql, " AND ");
			ark_rows_append_sqlite_ident(sql, table->columns[j].name);
			ark_buf_appendf(sql, " = ?%zu", n);
		}
	return n ? 0 : -1;
}

/* The columns that name a row: its rowid, or a WITHOUT ROWID table's
 * primary key in key order; returns how many. */
static size_t append_row_name(struct ark_buf *sql,
			      const struct ark_sqlite_table *table)
{
	size_t i, j, n = 0;

	if (!table->without_rowid) {
		ark_buf_append_str(sql, rowid_name(table) ? rowid_name(table)
							  : "NULL");
		return 1;
	}
	for (i = 1; i <= table->ncolumns; i++)
		for (j = 0; j < table->ncolumns; j++) {
			if (table->columns[j].pk_position != (int)i)
				continue;
			if (n++)
				ark_buf_append_str(sql, ", ");
			ark_rows_append_sqlite_ident(sql, table->columns[j].name);
		}
	return n;
}

/* The table's stored columns: rowid first (rowid tables), generated
 * columns left out (SQLite computes them again). */
static void append_stored_columns(struct ark_buf *sql,
				  const struct ark_sqlite_table *table)
{
	size_t j;
	int n = 0;

	if (!table->without_rowid) {
		ark_buf_append_str(sql, rowid_name(table));
		n++;
	}
	for (j = 0; j < table->ncolumns; j++) {
		if (table->columns[j].generated != ARK_GENERATED_NONE)
			continue;
		if (n++)
			ark_buf_append_str(sql, ", ");
		ark_rows_append_sqlite_ident(sql, table->columns[j].name);
	}
}

static int reject_exec(struct transfer *t, const char *sql, const char *doing)
{
	if (sqlite3_exec(t->reject_db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return reject_failed(t, ARK_ERR_WRITE, doing);
	return 0;
}

int ark_transfer_reject_open(struct transfer *t, struct ark_error *err)
{
	const char *path = t->options->reject_path;
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int rc;

	for (i = 0; i < t->schema->ntables; i++)
		if (sqlite3_stricmp(t->schema->tables[i].name, REJECTS_TABLE) == 0)
			return ark_error_set(err, ARK_ERR_REFUSED, 0,
					     "--reject: the source has a table "
					     "\"%s\", the name of the reject "
					     "file's table of reasons",
					     t->schema->tables[i].name);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return ark_error_set(err, ARK_ERR_REFUSED, 0,
				     "reject file \"%s\" exists; it is never "
				     "overwritten: choose another name", path);
	if ((rc = ark_atomic_open(path, &t->reject_file, err)))
		return rc;
	if (!t->copy && (rc = ark_sqlite_source_copy(t->source,
						     t->options->tmpdir,
						     &t->copy, err)))
		return rc;
	t->reject_created = calloc(t->plan->ntables + 1, 1);
	if (!t->reject_created)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if (sqlite3_open_v2(ark_atomic_temp_path(t->reject_file),
			    &t->reject_db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		rc = reject_failed(t, ARK_ERR_WRITE, "cannot open");
		goto failed;
	}
	/* atomic by the rename: no journal, no sync but the final fsync */
	if ((rc = reject_exec(t, "PRAGMA journal_mode = OFF; "
			      "PRAGMA synchronous = OFF", "cannot set up")) ||
	    (rc = reject_exec(t, "CREATE TABLE " REJECTS_TABLE " (\"table\" "
			      "TEXT NOT NULL, \"row\" TEXT NOT NULL, "
			      "\"column\" TEXT, \"value\" TEXT, reason TEXT "
			      "NOT NULL)", "cannot create its tables")))
		goto failed;
	if (sqlite3_prepare_v2(t->reject_db, "ATTACH ?1 AS src", -1, &stmt,
			       NULL) != SQLITE_OK ||
	    sqlite3_bind_text(stmt, 1, ark_sqlite_source_copy_path(t->copy),
			      -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_DONE) {
		rc = reject_failed(t, ARK_ERR_WRITE, "cannot read the source's "
				   "copy");
		goto failed;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if ((rc = reject_exec(t, "BEGIN", "cannot begin")))
		goto failed;
	return 0;
failed:
	sqlite3_finalize(stmt);
	*err = t->reject_err;
	return rc;
}

/* A row set aside by reject_orphans(), told as refusals are. */
static void report_rejected(struct transfer *t, size_t plan_table,
			    const char *row, const char *reason)
{
	struct ark_transfer_refusal refusal = {
		ark_transfer_source_table(t, plan_table)->name, row, NULL, NULL, reason, 1,
	};

	t->result->tables[plan_table].refused++;
	if (t->options->on_refusal)
		t->options->on_refusal(t->options->refusal_context, &refusal);
}

/*
 * Copy the row key_stmt names into the reject file (once), with the
 * reason; counts it as rejected when it is new (*added, when not NULL).
 * only_new: record the reason only for a row new to the file.  -1 when
 * the row cannot be named (a refusal then), or the writing's code.
 */
static int reject_row(struct transfer *t, size_t plan_table,
		      sqlite3_stmt *key_stmt, size_t keys, const char *row,
		      const char *column, const char *value,
		      const char *reason, int only_new, int *added)
{
	const struct ark_sqlite_table *st = ark_transfer_source_table(t, plan_table);
	struct ark_buf sql = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int rc = 0;

	if (t->reject_code)
		return t->reject_code;
	if (!st->without_rowid && !rowid_name(st))
		return -1; /* no way to name the row: a refusal */
	if (!t->reject_created[plan_table]) {
		if ((rc = reject_exec(t, st->sql, "cannot create a table")))
			goto cleanup;
		t->reject_created[plan_table] = 1;
	}
	ark_buf_append_str(&sql, "INSERT OR IGNORE INTO main.");
	ark_rows_append_sqlite_ident(&sql, st->name);
	ark_buf_append_str(&sql, " (");
	append_stored_columns(&sql, st);
	ark_buf_append_str(&sql, ") SELECT ");
	append_stored_columns(&sql, st);
	ark_buf_append_str(&sql, " FROM src.");
	ark_rows_append_sqlite_ident(&sql, st->name);
	ark_buf_append_str(&sql, " WHERE ");
	if (append_key_match(&sql, st) != 0) {
		rc = -1;
		goto cleanup;
	}
	if (ark_buf_failed(&sql) ||
	    sqlite3_prepare_v2(t->reject_db, sql.data, -1, &stmt, NULL) !=
		    SQLITE_OK) {
		rc = reject_failed(t, ARK_ERR_WRITE, "cannot copy a row");
		goto cleanup;
	}
	for (i = 0; i < keys; i++)
		sqlite3_bind_value(stmt, (int)i + 1,
				   sqlite3_column_value(key_stmt, (int)i));
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		rc = reject_failed(t, ARK_ERR_WRITE, "cannot copy a row");
		goto cleanup;
	}
	if (sqlite3_changes(t->reject_db) > 0) {
		t->result->tables[plan_table].rejected++;
		t->result->rejected++;
		if (added)
			*added = 1;
	} else if (only_new) {
		goto cleanup;
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (sqlite3_prepare_v2(t->reject_db, "INSERT INTO " REJECTS_TABLE
			       " VALUES (?1, ?2, ?3, ?4, ?5)", -1, &stmt,
			       NULL) != SQLITE_OK) {
		rc = reject_failed(t, ARK_ERR_WRITE, "cannot record a reason");
		goto cleanup;
	}
	sqlite3_bind_text(stmt, 1, st->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, row, -1, SQLITE_STATIC);
	if (column)
		sqlite3_bind_text(stmt, 3, column, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(stmt, 4, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 5, reason, -1, SQLITE_STATIC);
	if (sqlite3_step(stmt) != SQLITE_DONE)
		rc = reject_failed(t, ARK_ERR_WRITE, "cannot record a reason");
cleanup:
	sqlite3_finalize(stmt);
	ark_buf_free(&sql);
	return rc;
}

/*
 * A row whose parent row was set aside would break its foreign key in
 * PostgreSQL: set it aside too, and its own children, until nothing
 * more is found.  Foreign keys as the plan carries them.
 */
static int reject_orphans(struct transfer *t, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	char row[256], reason[512], parent[256];
	uint64_t before;
	size_t i, k, c, keys;
	int rc = 0, step;

	do {
		before = t->result->rejected;
		for (i = 0; i < t->plan->ntables && rc == 0; i++) {
			const struct ark_plan_table *pt = &t->plan->tables[i];
			const struct ark_sqlite_table *st = ark_transfer_source_table(t, i);

			for (k = 0; k < pt->nforeign_keys && rc == 0; k++) {
				const struct ark_plan_foreign_key *fk =
					&pt->foreign_keys[k];
				size_t p = fk->ref_table;

				if (fk->dropped || pt->skipped ||
				    !t->reject_created[p])
					continue;
				ark_buf_reset(&sql);
				ark_buf_append_str(&sql, "SELECT ");
				keys = append_row_name(&sql, st);
				ark_buf_append_str(&sql, " FROM src.");
				ark_rows_append_sqlite_ident(&sql, st->name);
				ark_buf_append_str(&sql, " WHERE (");
				for (c = 0; c < fk->ncolumns; c++) {
					if (c)
						ark_buf_append_str(&sql, ", ");
					ark_rows_append_sqlite_ident(&sql,
						source_column(t, i, fk->columns[c])->name);
				}
				ark_buf_append_str(&sql, ") IN (SELECT ");
				for (c = 0; c < fk->ncolumns; c++) {
					if (c)
						ark_buf_append_str(&sql, ", ");
					ark_rows_append_sqlite_ident(&sql,
						source_column(t, p, fk->ref_columns[c])->name);
				}
				ark_buf_append_str(&sql, " FROM main.");
				ark_rows_append_sqlite_ident(&sql,
							     ark_transfer_source_table(t, p)->name);
				ark_buf_append_char(&sql, ')');
				if (ark_buf_failed(&sql)) {
					rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
							   "out of memory");
					break;
				}
				if (sqlite3_prepare_v2(t->reject_db, sql.data, -1,
						       &stmt, NULL) != SQLITE_OK) {
					rc = reject_failed(t, ARK_ERR_WRITE,
							   "cannot follow foreign keys");
					break;
				}
				ark_text_escape(ark_transfer_source_table(t, p)->name, parent,
						sizeof(parent));
				snprintf(reason, sizeof(reason),
					 "its parent row in \"%s\" was set aside",
					 parent);
				while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
					int added = 0;

					ark_rows_label(st, stmt, keys, row, sizeof(row));
					if (reject_row(t, i, stmt, keys, row, NULL,
						       NULL, reason, 1, &added)) {
						rc = t->reject_code ? t->reject_code
								    : reject_failed(t, ARK_ERR_INTERNAL, "cannot name a row");
						break;
					}
					if (added)
						report_rejected(t, i, row, reason);
				}
				if (rc == 0 && step != SQLITE_DONE)
					rc = reject_failed(t, ARK_ERR_WRITE,
							   "cannot follow foreign keys");
				sqlite3_finalize(stmt);
				stmt = NULL;
			}
		}
	} while (rc == 0 && t->result->rejected != before);
	ark_buf_free(&sql);
	if (rc && t->reject_code)
		*err = t->reject_err;
	return rc;
}

/* Attach the reject file to a connection that reads the source for the
 * load, so the rows set aside can be left out (reject_tails). */
int ark_transfer_reject_attach(struct transfer *t, sqlite3 *db,
			       struct ark_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int ok;

	ok = sqlite3_prepare_v2(db, "ATTACH ?1 AS ark_rej", -1, &stmt, NULL) ==
		     SQLITE_OK &&
	     sqlite3_bind_text(stmt, 1, ark_atomic_temp_path(t->reject_file), -1,
			       SQLITE_STATIC) == SQLITE_OK &&
	     sqlite3_step(stmt) == SQLITE_DONE;
	sqlite3_finalize(stmt);
	if (!ok)
		return ark_error_set(err, ARK_ERR_READ, 0,
				     "cannot read the rows set aside: %s",
				     sqlite3_errmsg(db));
	return 0;
}

/*
 * After the check: the children of rows set aside follow them, the file
 * is committed (not yet renamed), and each table with rows set aside
 * gets the tail that leaves them out of the load.
 */
static int reject_settle(struct transfer *t, struct ark_error *err)
{
	const struct ark_sqlite_table *st;
	struct ark_buf tail = ARK_BUF_INIT;
	size_t i;
	int rc;

	if (t->reject_code) {
		*err = t->reject_err;
		return t->reject_code;
	}
	if ((rc = reject_orphans(t, err)))
		return rc;
	if ((rc = reject_exec(t, "COMMIT", "cannot write")) ||
	    (rc = reject_exec(t, "DETACH src", "cannot write"))) {
		*err = t->reject_err;
		return rc;
	}
	t->reject_tails = calloc(t->plan->ntables + 1, sizeof(char *));
	if (!t->reject_tails)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	for (i = 0; i < t->plan->ntables; i++) {
		if (!t->reject_created[i])
			continue;
		st = ark_transfer_source_table(t, i);
		ark_buf_reset(&tail);
		ark_buf_append_str(&tail, " WHERE (");
		append_row_name(&tail, st);
		ark_buf_append_str(&tail, ") NOT IN (SELECT ");
		append_row_name(&tail, st);
		ark_buf_append_str(&tail, " FROM ark_rej.");
		ark_rows_append_sqlite_ident(&tail, st->name);
		ark_buf_append_char(&tail, ')');
		t->reject_tails[i] = ark_buf_take(&tail);
		if (!t->reject_tails[i]) {
			ark_buf_free(&tail);
			return ark_error_set(err, ARK_ERR_INTERNAL, 0,
					     "out of memory");
		}
	}
	ark_buf_free(&tail);
	return ark_transfer_reject_attach(t, t->db, err);
}

/* The end of --reject: the file renamed into place when rows were set
 * aside and the run succeeded, else removed. */
int ark_transfer_reject_finish(struct transfer *t, int rc,
			       struct ark_error *err)
{
	int commit_rc;

	if (!t->reject_file)
		return rc;
	if (t->reject_db && sqlite3_close(t->reject_db) != SQLITE_OK && rc == 0)
		rc = ark_error_set(err, ARK_ERR_WRITE, 0, "reject file \"%s\": "
				   "cannot close it", t->options->reject_path);
	t->reject_db = NULL;
	if (rc == 0 && t->result->rejected > 0 && !t->options->plan_only) {
		commit_rc = ark_atomic_commit(t->reject_file,
					      ARK_COMMIT_NO_REPLACE, err);
		if (commit_rc) {
			ark_error_prefix(err, "the rows were loaded and "
					 "verified, but the reject file");
			ark_atomic_abort(t->reject_file);
			return commit_rc;
		}
		t->result->reject_path = strdup(t->options->reject_path);
		return ark_error_set(err, ARK_ERR_REJECTED, 0,
				     "%" PRIu64 " row%s set aside in \"%s\"; "
				     "every other row is loaded and verified",
				     t->result->rejected,
				     t->result->rejected == 1 ? "" : "s",
				     t->options->reject_path);
	}
	ark_atomic_abort(t->reject_file);
	if (rc == 0 && t->result->rejected > 0)
		return ark_error_set(err, ARK_ERR_REJECTED, 0,
				     "%" PRIu64 " row%s would be set aside in "
				     "\"%s\"; nothing was written",
				     t->result->rejected,
				     t->result->rejected == 1 ? "" : "s",
				     t->options->reject_path);
	return rc;
}

int ark_transfer_check_phase(struct transfer *t, struct ark_error *err)
{
	uint64_t total = 0;
	size_t i;
	int rc;

	for (i = 0; i < t->profile->ntables; i++)
		total += t->profile->tables[i].rows;
	ark_transfer_phase_begin(t, "check", total, "rows");
	for (i = 0; i < t->plan->ntables; i++) {
		if (t->plan->tables[i].skipped)
			continue;
		if ((rc = check_values(t, i, err)))
			return rc;
		if ((rc = check_not_null(t, i, err)) ||
		    (rc = check_uniques(t, i, err)) ||
		    (rc = check_foreign_keys(t, i, err)))
			return rc;
	}
	if (t->reject_code) {
		*err = t->reject_err;
		return t->reject_code;
	}
	if (t->reject_db && t->result->refused == 0 &&
	    (rc = reject_settle(t, err)))
		return rc;
	ark_transfer_phase_end(t, PHASE_CHECK);
	if (t->result->refused)
		return ark_error_set(err, ARK_ERR_UNCONVERTIBLE, 0,
				     "%" PRIu64 " value%s cannot be carried "
				     "exactly; nothing was written (see the "
				     "list above; --widen or --reject choose "
				     "what to do)",
				     t->result->refused,
				     t->result->refused == 1 ? "" : "s");
	return 0;
}
