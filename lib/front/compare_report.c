/*
 * compare_report.c - ark-checksum-verify SOURCE TARGET's output, for
 * people and as JSON (ark/compare.h).  Every name and value shown goes
 * through ark_text_escape(): a table or column name, or a value, cannot
 * forge a line.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ark/compare.h"
#include "ark/text.h"

static const char *status_word(enum ark_compare_status status)
{
	switch (status) {
	case ARK_COMPARE_EQUAL:
		return "equal";
	case ARK_COMPARE_DIFFERENT:
		return "DIFFERENT";
	case ARK_COMPARE_ONLY_SOURCE:
		return "only in SOURCE";
	case ARK_COMPARE_ONLY_TARGET:
		return "only in TARGET";
	}
	return "?";
}

static const char *status_json(enum ark_compare_status status)
{
	switch (status) {
	case ARK_COMPARE_EQUAL:
		return "equal";
	case ARK_COMPARE_DIFFERENT:
		return "different";
	case ARK_COMPARE_ONLY_SOURCE:
		return "only_source";
	case ARK_COMPARE_ONLY_TARGET:
		return "only_target";
	}
	return "?";
}

static const char *diff_json(enum ark_compare_diff_kind kind)
{
	return kind == ARK_COMPARE_CHANGED   ? "changed"
	       : kind == ARK_COMPARE_MISSING ? "missing"
					     : "extra";
}

static void put_rows(FILE *out, int present, int digested, uint64_t rows)
{
	if (!present)
		fprintf(out, " %12s", "-");
	else if (!digested)
		fprintf(out, " %12s", "?");
	else
		fprintf(out, " %12" PRIu64, rows);
}

/* table "t", key (k=1): ... / table "t", row '...' */
static void put_diff(FILE *out, const char *table,
		     const struct ark_compare_diff *d)
{
	size_t i;

	fputs("table \"", out);
	ark_text_put_escaped(out, table);
	fputc('"', out);
	if (!d->key) {
		fputs(", row ", out);
		ark_text_put_escaped(out, d->row ? d->row : "");
		fprintf(out, ": %s in TARGET (%" PRIu64 " in SOURCE, %" PRIu64
			" in TARGET)\n",
			d->kind == ARK_COMPARE_MISSING ? "missing" : "extra",
			d->source_copies, d->target_copies);
		return;
	}
	fputs(", key (", out);
	ark_text_put_escaped(out, d->key);
	fputc(')', out);
	if (d->kind == ARK_COMPARE_MISSING) {
		fputs(": missing in TARGET\n", out);
		return;
	}
	if (d->kind == ARK_COMPARE_EXTRA) {
		fputs(": extra in TARGET\n", out);
		return;
	}
	if (d->ncolumns == 0) {
		fputs(": the rows under this key differ\n", out);
		return;
	}
	for (i = 0; i < d->ncolumns; i++) {
		if (i) {
			fputs("table \"", out);
			ark_text_put_escaped(out, table);
			fputs("\", key (", out);
			ark_text_put_escaped(out, d->key);
			fputc(')', out);
		}
		fputs(", column \"", out);
		ark_text_put_escaped(out, d->columns[i].name);
		fputs("\": SOURCE ", out);
		ark_text_put_escaped(out, d->columns[i].source
						  ? d->columns[i].source
						  : "");
		fputs(", TARGET ", out);
		ark_text_put_escaped(out, d->columns[i].target
						  ? d->columns[i].target
						  : "");
		fputc('\n', out);
	}
}

void ark_compare_report(FILE *out, const struct ark_compare_result *result)
{
	char name[256];
	size_t i, j;
	int width = 5;

	fputs("SOURCE: ", out);
	ark_text_put_escaped(out, result->source_kind ? result->source_kind
						      : "");
	fputc(' ', out);
	ark_text_put_escaped(out, result->source ? result->source : "");
	fputs("\nTARGET: ", out);
	ark_text_put_escaped(out, result->target_kind ? result->target_kind
						      : "");
	fputc(' ', out);
	ark_text_put_escaped(out, result->target ? result->target : "");
	fputc('\n', out);
	for (i = 0; i < result->ntables; i++) {
		int len = ark_text_columns(ark_text_escape(result->tables[i].name,
						     name, 64));
		if (len > width)
			width = len;
	}
	fprintf(out, "%-*s %12s %12s  %s\n", width, "table", "SOURCE rows",
		"TARGET rows", "result");
	for (i = 0; i < result->ntables; i++) {
		const struct ark_compare_table *t = &result->tables[i];

		ark_text_escape(t->name, name, 64);
		fprintf(out, "%s%*s", name, width - ark_text_columns(name), "");
		put_rows(out, t->has_source, t->source_digested,
			 t->source_digest.rows);
		put_rows(out, t->has_target, t->target_digested,
			 t->target_digest.rows);
		fprintf(out, "  %s\n", status_word(t->status));
	}
	for (i = 0; i < result->ntables; i++) {
		const struct ark_compare_table *t = &result->tables[i];

		if (t->status != ARK_COMPARE_DIFFERENT)
			continue;
		if (t->problem) {
			fputs("table \"", out);
			ark_text_put_escaped(out, t->name);
			fputs("\": ", out);
			ark_text_put_escaped(out, t->problem);
			fputc('\n', out);
		}
		if (!t->narrowed)
			continue;
		fputs("table \"", out);
		ark_text_put_escaped(out, t->name);
		fputs("\": ", out);
		if (t->changed + t->missing + t->extra == 0) {
			fputs("the digests differ but no differing row was "
			      "found (a side changed while it was read?)\n",
			      out);
			continue;
		}
		fprintf(out, "%" PRIu64 " changed, %" PRIu64
			" missing in TARGET, %" PRIu64 " extra in TARGET",
			t->changed, t->missing, t->extra);
		if (t->key) {
			fputs(" (key ", out);
			ark_text_put_escaped(out, t->key);
			fputc(')', out);
		} else {
			fputs(" (no key: whole rows)", out);
		}
		if (t->ndiffs < t->changed + t->missing + t->extra)
			fprintf(out, "; the first %zu:", t->ndiffs);
		fputc('\n', out);
		for (j = 0; j < t->ndiffs; j++)
			put_diff(out, t->name, &t->diffs[j]);
	}
	fprintf(out, "%zu table%s: %zu equal, %zu different, %zu only in "
		"SOURCE, %zu only in TARGET; %" PRIu64 " rows in SOURCE, %"
		PRIu64 " in TARGET; %.2f s\n", result->ntables,
		result->ntables == 1 ? "" : "s", result->equal,
		result->different, result->only_source, result->only_target,
		result->source_rows, result->target_rows, result->seconds);
}

static void set(json_t *object, const char *key, json_t *value)
{
	json_object_set_new(object, key, value ? value : json_null());
}

static json_t *digest_json(int present, int digested,
			   const struct ark_digest *digest)
{
	char text[ARK_DIGEST_TEXT_MAX];

	if (!present || !digested)
		return json_null();
	ark_digest_format(digest, text);
	return json_string(text);
}

static json_t *diff_to_json(const struct ark_compare_diff *d)
{
	json_t *obj = json_object(), *columns;
	size_t i;

	set(obj, "kind", json_string(diff_json(d->kind)));
	if (d->key) {
		set(obj, "key", ark_text_json_string(d->key));
	} else {
		set(obj, "row", ark_text_json_string(d->row));
		set(obj, "source_copies",
		    json_integer((json_int_t)d->source_copies));
		set(obj, "target_copies",
		    json_integer((json_int_t)d->target_copies));
	}
	if (d->kind == ARK_COMPARE_CHANGED) {
		columns = json_array();
		for (i = 0; i < d->ncolumns; i++) {
			json_t *col = json_object();

			set(col, "name", ark_text_json_string(d->columns[i].name));
			set(col, "source",
			    ark_text_json_string(d->columns[i].source));
			set(col, "target",
			    ark_text_json_string(d->columns[i].target));
			json_array_append_new(columns, col);
		}
		set(obj, "columns", columns);
	}
	return obj;
}

json_t *ark_compare_report_json(const struct ark_compare_result *result)
{
	json_t *obj = json_object(), *tables = json_array();
	size_t i, j;

	for (i = 0; i < result->ntables; i++) {
		const struct ark_compare_table *t = &result->tables[i];
		json_t *table = json_object();

		set(table, "name", ark_text_json_string(t->name));
		set(table, "result", json_string(status_json(t->status)));
		set(table, "source_rows",
		    t->has_source && t->source_digested
			    ? json_integer((json_int_t)t->source_digest.rows)
			    : json_null());
		set(table, "target_rows",
		    t->has_target && t->target_digested
			    ? json_integer((json_int_t)t->target_digest.rows)
			    : json_null());
		set(table, "source_digest",
		    digest_json(t->has_source, t->source_digested,
				&t->source_digest));
		set(table, "target_digest",
		    digest_json(t->has_target, t->target_digested,
				&t->target_digest));
		if (t->problem)
			set(table, "problem", ark_text_json_string(t->problem));
		if (t->narrowed) {
			json_t *diffs = json_array();

			set(table, "key", t->key ? ark_text_json_string(t->key)
						 : json_null());
			set(table, "changed", json_integer((json_int_t)t->changed));
			set(table, "missing", json_integer((json_int_t)t->missing));
			set(table, "extra", json_integer((json_int_t)t->extra));
			for (j = 0; j < t->ndiffs; j++)
				json_array_append_new(diffs,
						      diff_to_json(&t->diffs[j]));
			set(table, "differences", diffs);
		}
		json_array_append_new(tables, table);
	}
	set(obj, "source", ark_text_json_string(result->source));
	set(obj, "source_kind", ark_text_json_string(result->source_kind));
	set(obj, "target", ark_text_json_string(result->target));
	set(obj, "target_kind", ark_text_json_string(result->target_kind));
	set(obj, "identical",
	    json_boolean(result->compared &&
			 result->ntables == result->equal));
	set(obj, "tables", tables);
	set(obj, "equal", json_integer((json_int_t)result->equal));
	set(obj, "different", json_integer((json_int_t)result->different));
	set(obj, "only_source", json_integer((json_int_t)result->only_source));
	set(obj, "only_target", json_integer((json_int_t)result->only_target));
	set(obj, "seconds", json_real(result->seconds));
	return obj;
}
