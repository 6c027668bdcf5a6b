/*
 * pgrestore_report.c - ark-restore of a pg archive, as text and JSON
 * (ark/report.h).  Names come from the archive: always escaped.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ark/report.h"
#include "ark/text.h"

static void put_table(FILE *out, const struct ark_pgrestore_table *table)
{
	fputc('"', out);
	ark_text_put_escaped(out, table->schema);
	fputs("\".\"", out);
	ark_text_put_escaped(out, table->name);
	fputc('"', out);
}

void ark_report_pgrestore(FILE *out, const struct ark_pgrestore_result *result)
{
	size_t equal = 0;

	fputs("restored: ", out);
	ark_text_put_escaped(out, result->archive);
	fputs(" -> database \"", out);
	ark_text_put_escaped(out, result->database);
	fputs("\" (", out);
	ark_text_put_escaped(out, result->target);
	fputs(result->created_database ? "), created\n" : ")\n", out);
	for (size_t i = 0; i < result->table_count; i++) {
		const struct ark_pgrestore_table *table = &result->tables[i];

		fputs("table ", out);
		put_table(out, table);
		fprintf(out, ": %" PRIu64 " rows loaded, digest %s\n",
			table->rows_loaded,
			table->equal ? "equal" : "DIFFERENT");
		equal += table->equal ? 1u : 0u;
	}
	fprintf(out, "%zu tables, %" PRIu64 " rows, %zu of %zu digests equal",
		result->table_count, result->rows_loaded, equal,
		result->table_count);
	if (result->pre_data == ARK_PGRESTORE_SKIPPED)
		fputs("; data only (--table)", out);
	else
		fprintf(out, "; pre-data %zu statements, post-data %zu (%zu "
			"at once)", result->pre_data_statements,
			result->post_data_statements,
			result->post_data_parallel);
	if (result->dropped)
		fprintf(out, "; --clean: %zu drops", result->dropped);
	fprintf(out, "; %.1f s\n", result->seconds);
}

static const char *step_name(enum ark_pgrestore_step_state state)
{
	switch (state) {
	case ARK_PGRESTORE_DONE: return "applied";
	case ARK_PGRESTORE_FAILED: return "failed, rolled back";
	case ARK_PGRESTORE_PARTIAL:
		return "partly applied (indexes and keys built at once are "
		       "kept, the rest rolled back)";
	case ARK_PGRESTORE_SKIPPED: return "not part of the run (--table)";
	case ARK_PGRESTORE_NOT_RUN: break;
	}
	return "not applied";
}

void ark_report_pgrestore_state(FILE *out, const char *program,
				const struct ark_pgrestore_result *result)
{
	if (!result->touched)
		return;
	fprintf(out, "%s: target state: database \"", program);
	ark_text_put_escaped(out, result->database);
	fputc('"', out);
	if (result->created_database)
		fputs(" (created by this run)", out);
	if (result->single_transaction && !result->committed) {
		fputs(": unchanged, the one transaction was rolled back\n",
		      out);
		return;
	}
	fprintf(out, ": pre-data %s; %zu of %zu tables loaded; post-data %s\n",
		step_name(result->pre_data), result->tables_loaded,
		result->table_count, step_name(result->post_data));
	for (size_t i = 0; i < result->table_count; i++) {
		const struct ark_pgrestore_table *table = &result->tables[i];

		fprintf(out, "%s:   %s: ", program,
			table->loaded ? "loaded" : "not loaded");
		put_table(out, table);
		if (table->loaded)
			fprintf(out, " (%" PRIu64 " rows)", table->rows_loaded);
		fputc('\n', out);
	}
}

static void set(json_t *obj, const char *key, json_t *value)
{
	if (value)
		json_object_set_new(obj, key, value);
}

static json_t *step_json(enum ark_pgrestore_step_state state)
{
	static const char *const names[] = { "not-run", "done", "failed",
					     "partial", "skipped" };

	return json_string(names[state]);
}

json_t *ark_report_pgrestore_json(const struct ark_pgrestore_result *result)
{
	json_t *obj = json_object();
	json_t *tables = json_array();
	char digest[ARK_DIGEST_TEXT_MAX];

	set(obj, "archive", ark_text_json_string(result->archive));
	set(obj, "kind", json_string("pg"));
	set(obj, "target", ark_text_json_string(result->target));
	set(obj, "database", ark_text_json_string(result->database));
	set(obj, "created_database", json_boolean(result->created_database));
	set(obj, "single_transaction",
	    json_boolean(result->single_transaction));
	set(obj, "touched", json_boolean(result->touched));
	set(obj, "dropped", json_integer((json_int_t)result->dropped));
	set(obj, "pre_data", step_json(result->pre_data));
	set(obj, "post_data", step_json(result->post_data));
	set(obj, "post_data_statements",
	    json_integer((json_int_t)result->post_data_statements));
	set(obj, "post_data_parallel",
	    json_integer((json_int_t)result->post_data_parallel));
	for (size_t i = 0; tables && i < result->table_count; i++) {
		const struct ark_pgrestore_table *table = &result->tables[i];
		json_t *t = json_object();

		set(t, "schema", ark_text_json_string(table->schema));
		set(t, "name", ark_text_json_string(table->name));
		set(t, "loaded", json_boolean(table->loaded));
		set(t, "rows_loaded", json_integer((json_int_t)table->rows_loaded));
		ark_digest_format(&table->expected, digest);
		set(t, "archive_digest", json_string(digest));
		if (table->verified) {
			ark_digest_format(&table->actual, digest);
			set(t, "target_digest", json_string(digest));
		} else
			set(t, "target_digest", json_null());
		set(t, "equal", json_boolean(table->equal));
		json_array_append_new(tables, t);
	}
	set(obj, "tables", tables);
	set(obj, "tables_loaded", json_integer((json_int_t)result->tables_loaded));
	set(obj, "rows_loaded", json_integer((json_int_t)result->rows_loaded));
	set(obj, "verified", json_boolean(result->verify_done));
	set(obj, "committed", json_boolean(result->committed));
	set(obj, "seconds",
	    json_real((double)(int64_t)(result->seconds * 1000.0 + 0.5) /
		      1000.0));
	return obj;
}
