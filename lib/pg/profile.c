/*
 * profile.c - what the values of each column actually are (ark/profile.h).
 *
 * One SELECT of every column (generated ones included: they are named, so
 * a VIRTUAL column is computed like any other) per table, inside the
 * caller's read transaction; per column a few counters, the ranges, and
 * the shapes of text values.  Memory is one ark_column_profile per column,
 * whatever the table's size.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ark/buf.h"
#include "ark/fsio.h"
#include "ark/pgtext.h"
#include "ark/plan.h"
#include "ark/profile.h"
#include "ark/text.h"

/* A stop signal is looked for every this many rows (a few ms of work). */
#define PROFILE_INTERRUPT_ROWS 4096

/* SELECT "a","b" FROM "main"."t": every name in double quotes, inner
 * double quotes doubled (SQLite's own quoting of identifiers). */
static void append_sqlite_ident(struct ark_buf *sql, const char *name)
{
	const char *quote;

	ark_buf_append_char(sql, '"');
	while ((quote = strchr(name, '"')) != NULL) {
		ark_buf_append(sql, name, (size_t)(quote - name) + 1);
		ark_buf_append_char(sql, '"');
		name = quote + 1;
	}
	ark_buf_append_str(sql, name);
	ark_buf_append_char(sql, '"');
}

static uint64_t utf8_characters(const unsigned char *p, size_t len)
{
	uint64_t count = 0;
	size_t i;

	/* every byte that does not continue a sequence starts a character
	 * (invalid bytes count as one each) */
	for (i = 0; i < len; i++)
		count += (p[i] & 0xc0) != 0x80;
	return count;
}

static void profile_value(struct ark_column_profile *column,
			  sqlite3_stmt *stmt, int index, unsigned shapes)
{
	const unsigned char *bytes;
	uint64_t n;
	double real;
	int64_t integer;
	unsigned shape;

	switch (sqlite3_column_type(stmt, index)) {
	case SQLITE_INTEGER:
		integer = sqlite3_column_int64(stmt, index);
		if (column->integers == 0 || integer < column->min_integer)
			column->min_integer = integer;
		if (column->integers == 0 || integer > column->max_integer)
			column->max_integer = integer;
		column->integers++;
		break;
	case SQLITE_FLOAT:
		real = sqlite3_column_double(stmt, index);
		column->reals++;
		if (isinf(real)) {
			column->infinities++;
			break;
		}
		if (isnan(real))
			break; /* SQLite stores NaN as NULL; never seen */
		if (real == 0 && signbit(real))
			column->negative_zeros++;
		if (real == floor(real))
			column->reals_integral++;
		if (column->reals - column->infinities == 1) {
			column->min_real = real;
			column->max_real = real;
		} else {
			if (real < column->min_real)
				column->min_real = real;
			if (real > column->max_real)
				column->max_real = real;
		}
		break;
	case SQLITE_TEXT:
		bytes = sqlite3_column_text(stmt, index);
		n = (uint64_t)sqlite3_column_bytes(stmt, index);
		if (bytes == NULL)
			bytes = (const unsigned char *)"";
		shape = ark_pgtext_shape_some(bytes, (size_t)n, shapes);
		if (n > column->max_text_bytes)
			column->max_text_bytes = n;
		n = utf8_characters(bytes, (size_t)n);
		if (n > column->max_text_chars)
			column->max_text_chars = n;
		column->text_shapes_all = column->texts == 0
						  ? shape
						  : column->text_shapes_all & shape;
		column->text_shapes_any |= shape;
		if (shape & ARK_SHAPE_BOOL)
			column->texts_bool++;
		column->texts++;
		break;
	case SQLITE_BLOB:
		n = (uint64_t)sqlite3_column_bytes(stmt, index);
		if (n > column->max_blob_bytes)
			column->max_blob_bytes = n;
		column->blobs++;
		break;
	default:
		column->nulls++;
		break;
	}
}

/*
 * The largest rowid: max() of the rowid alias (INTEGER PRIMARY KEY),
 * which is the rowid (a column may be named "rowid": the alias is read
 * by its own name); without one, max(_rowid_) as an estimate of the
 * rows.  0 when empty or WITHOUT ROWID.
 */
static int max_rowid(sqlite3 *db, const struct ark_sqlite_table *table,
		     int64_t *out, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	char shown[256];
	int rc = 0;

	*out = 0;
	if (table->without_rowid)
		return 0;
	ark_buf_append_str(&sql, "SELECT max(");
	if (table->rowid_alias >= 0 &&
	    (size_t)table->rowid_alias < table->ncolumns)
		append_sqlite_ident(&sql,
				    table->columns[table->rowid_alias].name);
	else
		ark_buf_append_str(&sql, "_rowid_");
	ark_buf_append_str(&sql, ") FROM \"main\".");
	append_sqlite_ident(&sql, table->name);
	if (ark_buf_failed(&sql))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "out of memory for a query");
	if (sqlite3_prepare_v2(db, sql.data, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW)
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "table \"%s\": cannot read its rows: %s",
				   ark_text_escape(table->name, shown,
						   sizeof(shown)),
				   sqlite3_errmsg(db));
	else if (sqlite3_column_type(stmt, 0) == SQLITE_INTEGER)
		*out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	ark_buf_free(&sql);
	return rc;
}

/* Profile the columns of table for which wanted[i] (every column when
 * wanted is NULL); a table none is wanted of is not read. */
static int profile_table(sqlite3 *db, const struct ark_sqlite_table *table,
			 const unsigned char *wanted,
			 struct ark_table_profile *out, struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	sqlite3_stmt *stmt = NULL;
	unsigned *shapes = NULL;
	size_t *read = NULL, nread = 0;
	char shown[256];
	size_t i;
	int rc = 0, step;

	out->ncolumns = table->ncolumns;
	out->columns = calloc(table->ncolumns ? table->ncolumns : 1,
			      sizeof(*out->columns));
	shapes = calloc(table->ncolumns ? table->ncolumns : 1,
			sizeof(*shapes));
	read = calloc(table->ncolumns ? table->ncolumns : 1, sizeof(*read));
	if (out->columns == NULL || shapes == NULL || read == NULL) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "out of memory for a table's profile");
		goto cleanup;
	}
	for (i = 0; i < table->ncolumns; i++) {
		if (wanted && !wanted[i])
			continue;
		shapes[nread] = ark_plan_shapes_needed(table,
						       &table->columns[i]);
		read[nread++] = i;
	}
	if (nread == 0)
		goto cleanup;
	ark_buf_append_str(&sql, "SELECT ");
	for (i = 0; i < nread; i++) {
		if (i > 0)
			ark_buf_append_char(&sql, ',');
		append_sqlite_ident(&sql, table->columns[read[i]].name);
	}
	ark_buf_append_str(&sql, " FROM \"main\".");
	append_sqlite_ident(&sql, table->name);
	if (ark_buf_failed(&sql)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "out of memory for a query");
		goto cleanup;
	}
	if (sqlite3_prepare_v2(db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "table \"%s\": cannot read its rows: %s",
				   ark_text_escape(table->name, shown,
						   sizeof(shown)),
				   sqlite3_errmsg(db));
		goto cleanup;
	}
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (i = 0; i < nread; i++)
			profile_value(&out->columns[read[i]], stmt, (int)i,
				      shapes[i]);
		out->rows++;
		if (out->rows % PROFILE_INTERRUPT_ROWS == 0) {
			rc = ark_fsio_check_interrupt(err);
			if (rc != 0)
				goto cleanup;
		}
	}
	if (step != SQLITE_DONE) {
		rc = ark_error_set(err, ARK_ERR_SOURCE, 0,
				   "table \"%s\": reading row %" PRIu64 ": %s",
				   ark_text_escape(table->name, shown,
						   sizeof(shown)),
				   out->rows + 1, sqlite3_errmsg(db));
		goto cleanup;
	}
	rc = ark_fsio_check_interrupt(err);
cleanup:
	sqlite3_finalize(stmt);
	ark_buf_free(&sql);
	free(shapes);
	free(read);
	return rc;
}

int ark_profile_new(const struct ark_sqlite_schema *schema,
		    struct ark_profile **out, struct ark_error *err)
{
	struct ark_profile *profile;

	*out = NULL;
	profile = calloc(1, sizeof(*profile));
	if (profile == NULL)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "out of memory for the profile");
	profile->tables = calloc(schema->ntables ? schema->ntables : 1,
				 sizeof(*profile->tables));
	if (profile->tables == NULL) {
		free(profile);
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "out of memory for the profile");
	}
	profile->ntables = schema->ntables;
	*out = profile;
	return 0;
}

int ark_profile_scan_table(sqlite3 *db, const struct ark_sqlite_schema *schema,
			   struct ark_profile *profile, size_t table,
			   struct ark_error *err)
{
	return profile_table(db, &schema->tables[table], NULL,
			     &profile->tables[table], err);
}

int ark_profile_scan_table_light(sqlite3 *db,
				 const struct ark_sqlite_schema *schema,
				 struct ark_profile *profile, size_t table,
				 struct ark_error *err)
{
	const struct ark_sqlite_table *st = &schema->tables[table];
	struct ark_table_profile *out = &profile->tables[table];
	unsigned char *wanted;
	size_t n = 0;
	int rc;

	wanted = calloc(st->ncolumns ? st->ncolumns : 1, 1);
	if (wanted == NULL)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "out of memory for the profile");
	for (size_t i = 0; i < st->ncolumns; i++)
		n += wanted[i] = (unsigned char)ark_plan_needs_profile(
			st, &st->columns[i]);
	out->light = 1;
	rc = profile_table(db, st, wanted, out, err);
	free(wanted);
	if (rc == 0)
		rc = max_rowid(db, st, &out->max_rowid, err);
	if (rc == 0 && n == 0)
		out->rows = out->max_rowid > 0 ? (uint64_t)out->max_rowid : 0;
	return rc;
}

int ark_profile_scan(sqlite3 *db, const struct ark_sqlite_schema *schema,
		     struct ark_profile **out, struct ark_error *err)
{
	struct ark_profile *profile;
	size_t i;
	int rc = 0;

	*out = NULL;
	profile = calloc(1, sizeof(*profile));
	if (profile == NULL)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "out of memory for the profile");
	profile->tables = calloc(schema->ntables ? schema->ntables : 1,
				 sizeof(*profile->tables));
	if (profile->tables == NULL) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "out of memory for the profile");
		goto cleanup;
	}
	profile->ntables = schema->ntables;
	for (i = 0; i < schema->ntables; i++) {
		rc = profile_table(db, &schema->tables[i], NULL,
				   &profile->tables[i], err);
		if (rc != 0)
			goto cleanup;
	}
	*out = profile;
	profile = NULL;
cleanup:
	ark_profile_free(profile);
	return rc;
}

void ark_profile_free(struct ark_profile *profile)
{
	size_t i;

	if (profile == NULL)
		return;
	if (profile->tables != NULL)
		for (i = 0; i < profile->ntables; i++)
			free(profile->tables[i].columns);
	free(profile->tables);
	free(profile);
}
