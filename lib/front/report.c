/*
 * report.c - text and JSON presentation of results for the tools.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ark/log.h"
#include "ark/report.h"
#include "ark/text.h"

/* ---- helpers --------------------------------------------------------- */

int ark_report_usage_error(const char *msg)
{
	const char *program = ark_log_program();

	if (msg) {
		fprintf(stderr, "%s: error: ", program);
		ark_text_put_escaped(stderr, msg);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", program);
	return ark_error_exit_code(ARK_ERR_USAGE);
}

/*
 * Reals are durations, rounded to milliseconds before they are packed;
 * 15 significant digits print them without binary noise (0.1, not
 * 0.10000000000000001) for anything up to 30 years.
 */
void ark_report_json(FILE *out, const json_t *value)
{
	json_dumpf(value, out,
		   JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	fputc('\n', out);
}

/* Seconds rounded to milliseconds (durations are never negative). */
static json_t *json_seconds(double seconds)
{
	if (!(seconds >= 0.0))
		seconds = 0.0;
	return json_real((double)(int64_t)(seconds * 1000.0 + 0.5) / 1000.0);
}

void ark_report_utc(int64_t unix_seconds, char out[32])
{
	time_t when = (time_t)unix_seconds;
	struct tm tm;

	out[0] = '\0';
	if ((int64_t)when != unix_seconds || !gmtime_r(&when, &tm) ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

/* Set key to value (a new reference) unless building it failed. */
static void set(json_t *obj, const char *key, json_t *value)
{
	if (obj && value)
		json_object_set_new(obj, key, value);
	else
		json_decref(value);
}

json_t *ark_report_outcome(int code, const struct ark_error *err,
			   json_t *fields)
{
	json_t *obj = json_object();
	int exit_code;

	if (err && err->code != ARK_OK)
		code = err->code;
	exit_code = ark_error_exit_code(code);
	set(obj, "ok", json_boolean(exit_code == 0));
	set(obj, "exit_code", json_integer(exit_code));
	if (exit_code != 0) {
		set(obj, "error", json_string(ark_error_code_name(code)));
		set(obj, "message",
		    ark_text_json_string(err && err->msg[0]
						   ? err->msg
						   : ark_error_code_name(code)));
	}
	if (obj && fields)
		json_object_update_missing(obj, fields);
	json_decref(fields);
	return obj;
}

/* ---- snapshot -------------------------------------------------------- */

json_t *ark_report_snapshot_json(const struct ark_snapshot_result *result)
{
	char hex[ARK_HASH_HEX_LEN + 1];
	char created[32];
	json_t *obj = json_object();

	ark_hash_to_hex(result->archive.hash, hex);
	ark_report_utc(result->archive.created_unix, created);
	set(obj, "archive", ark_text_json_string(result->archive.path));
	set(obj, "size", json_integer((json_int_t)result->archive.size));
	set(obj, "xxh128", json_string(hex));
	set(obj, "created", json_string(created));
	set(obj, "created_unix",
	    json_integer((json_int_t)result->archive.created_unix));
	set(obj, "database_bytes", json_integer((json_int_t)result->db_size));
	set(obj, "page_size", json_integer((json_int_t)result->page_size));
	set(obj, "page_count", json_integer((json_int_t)result->page_count));
	set(obj, "journal_mode", ark_text_json_string(result->journal_mode));
	set(obj, "seconds", json_seconds(result->seconds));
	if (result->manifest_source)
		set(obj, "source", json_incref(result->manifest_source));
	if (result->checked)
		set(obj, "integrity_check",
		    ark_text_json_string(result->integrity));
	return obj;
}

void ark_report_snapshot(FILE *out, const struct ark_snapshot_result *result)
{
	char hex[ARK_HASH_HEX_LEN + 1];

	ark_hash_to_hex(result->archive.hash, hex);
	fputs("archive: ", out);
	ark_text_put_escaped(out, result->archive.path);
	fputc('\n', out);
	fprintf(out, "size: %" PRIu64 "\n", result->archive.size);
	fprintf(out, "xxh128: %s\n", hex);
	fprintf(out, "database: %" PRIu64 " bytes, %" PRIu64 " pages of %"
		PRIu64 ", journal mode ", result->db_size,
		result->page_count, result->page_size);
	ark_text_put_escaped(out, result->journal_mode);
	fputc('\n', out);
	if (result->checked) {
		fputs("integrity_check: ", out);
		ark_text_put_escaped(out, result->integrity);
		fputc('\n', out);
	}
	fprintf(out, "seconds: %.3f\n", result->seconds);
}

/* ---- verify ---------------------------------------------------------- */

/*
 * How a database check is named in text: "quick_check" or
 * "integrity_check", and for "recorded" (a passing integrity_check
 * recorded in the archive, not run again) "integrity_check ... at
 * snapshot".  An empty check is the full integrity_check.
 */
static const char *check_name(const char *check)
{
	return strcmp(check, "quick_check") == 0 ? "quick_check"
						 : "integrity_check";
}

static const char *check_when(const char *check)
{
	return strcmp(check, "recorded") == 0 ? " at snapshot" : "";
}

static const char *check_json(const char *check)
{
	return check[0] ? check : "integrity_check";
}

json_t *ark_report_verify_json(const struct ark_verify_result *result)
{
	json_t *obj = json_object();

	set(obj, "archive", ark_text_json_string(result->path));
	if (result->kind[0]) {
		set(obj, "kind", ark_text_json_string(result->kind));
		set(obj, "created", json_string(result->created));
		set(obj, "members",
		    json_integer((json_int_t)result->member_count));
		set(obj, "size", json_integer((json_int_t)result->file_size));
		set(obj, "raw_bytes",
		    json_integer((json_int_t)result->raw_bytes));
	}
	set(obj, "deep", json_boolean(result->deep));
	if (result->integrity[0]) {
		set(obj, "integrity_check",
		    ark_text_json_string(result->integrity));
		set(obj, "check", json_string(check_json(result->check)));
	}
	if (result->deep && result->digests_checked) {
		set(obj, "tables_checked",
		    json_integer((json_int_t)result->tables_checked));
		set(obj, "rows_checked",
		    json_integer((json_int_t)result->rows_checked));
	}
	return obj;
}

void ark_report_verify(FILE *out, const struct ark_verify_result *result,
		       const struct ark_error *err)
{
	int ok = !err || err->code == ARK_OK;

	ark_text_put_escaped(out, result->path);
	if (!ok) {
		fprintf(out, ": FAILED (%s)\n", ark_error_code_name(err->code));
		return;
	}
	fputs(": OK (", out);
	ark_text_put_escaped(out, result->kind);
	fprintf(out, " archive of %s, %zu member%s, %" PRIu64 " bytes, %"
		PRIu64 " raw", result->created, result->member_count,
		result->member_count == 1 ? "" : "s", result->file_size,
		result->raw_bytes);
	if (result->deep && result->integrity[0])
		fprintf(out, ", deep: raw hashes and %s ok%s",
			check_name(result->check), check_when(result->check));
	else if (result->deep && result->digests_checked)
		fprintf(out, ", deep: raw hashes and %zu table digest%s (%"
			PRIu64 " rows) ok", result->tables_checked,
			result->tables_checked == 1 ? "" : "s",
			result->rows_checked);
	else if (result->deep)
		fputs(", deep: raw hashes ok", out);
	fputs(")\n", out);
}

/* ---- restore --------------------------------------------------------- */

json_t *ark_report_restore_json(const char *archive, const char *target,
				const struct ark_restore_result *result)
{
	json_t *obj = json_object();

	set(obj, "archive", ark_text_json_string(archive));
	set(obj, "target", ark_text_json_string(target));
	if (!result)
		return obj;
	set(obj, "restored", ark_text_json_string(result->target));
	set(obj, "kept",
	    ark_text_json_string(result->kept[0] ? result->kept : NULL));
	set(obj, "bytes", json_integer((json_int_t)result->bytes));
	set(obj, "integrity_check", ark_text_json_string(result->integrity));
	set(obj, "check", json_string(check_json(result->check)));
	set(obj, "target_was_in_use", json_boolean(result->target_was_in_use));
	set(obj, "seconds", json_seconds(result->seconds));
	return obj;
}

void ark_report_restore(FILE *out, const struct ark_restore_result *result)
{
	fputs("restored: ", out);
	ark_text_put_escaped(out, result->target);
	fprintf(out, " (%" PRIu64 " bytes, %s ", result->bytes,
		check_name(result->check));
	ark_text_put_escaped(out, result->integrity);
	fprintf(out, "%s)\n", check_when(result->check));
	if (result->kept[0]) {
		fputs("kept: ", out);
		ark_text_put_escaped(out, result->kept);
		fputc('\n', out);
	}
}

/* ---- manifest (--list) ----------------------------------------------- */

/* "<indent><key>: <value>" for a manifest value of any type, escaped. */
static void put_value(FILE *out, const char *indent, const char *key,
		      const json_t *value)
{
	fputs(indent, out);
	ark_text_put_escaped(out, key);
	fputs(": ", out);
	if (json_is_string(value)) {
		ark_text_put_escaped(out, json_string_value(value));
	} else if (json_is_integer(value)) {
		fprintf(out, "%" JSON_INTEGER_FORMAT,
			json_integer_value(value));
	} else {
		/* Anything else as compact JSON, escaped all the same. */
		char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);

		ark_text_put_escaped(out, text ? text : "?");
		free(text);
	}
	fputc('\n', out);
}

/* A string member of obj, or def when absent or not a string. */
static const char *get_text(const json_t *obj, const char *key,
			    const char *def)
{
	const char *text = json_string_value(json_object_get(obj, key));

	return text ? text : def;
}

static void put_tables(FILE *out, const json_t *tables)
{
	size_t i;
	json_t *table;

	fprintf(out, "  tables: %zu\n", json_array_size(tables));
	json_array_foreach(tables, i, table) {
		json_t *rows = json_object_get(table, "rows");

		fputs("    ", out);
		ark_text_put_escaped(out, get_text(table, "name", "?"));
		if (json_is_integer(rows))
			fprintf(out, ": %" JSON_INTEGER_FORMAT " row%s\n",
				json_integer_value(rows),
				json_integer_value(rows) == 1 ? "" : "s");
		else {
			fputs(": rows not counted: ", out);
			ark_text_put_escaped(out, get_text(table, "error",
							   "?"));
			fputc('\n', out);
		}
	}
}

void ark_report_manifest(FILE *out, const char *path,
			 const struct ark_manifest *manifest)
{
	const json_t *root = manifest->root;
	json_t *source = json_object_get(root, "source");
	char created[32];
	char hex[ARK_HASH_HEX_LEN + 1];
	const char *key;
	json_t *value;

	fputs("archive: ", out);
	ark_text_put_escaped(out, path);
	fputs("\nkind: ", out);
	ark_text_put_escaped(out, manifest->kind);
	fprintf(out, "\nformat_version: %d\n", manifest->format_version);
	ark_report_utc(manifest->created_unix, created);
	fprintf(out, "created: %s (%" PRId64 ")\n",
		created[0] ? created : "out of range", manifest->created_unix);
	fputs("tool: ", out);
	ark_text_put_escaped(out, get_text(root, "tool", "?"));
	fputc(' ', out);
	ark_text_put_escaped(out, get_text(root, "tool_version", "?"));
	fputs("\nsource:\n", out);
	json_object_foreach(source, key, value) {
		if (strcmp(key, "tables") == 0 && json_is_array(value))
			put_tables(out, value);
		else
			put_value(out, "  ", key, value);
	}
	fprintf(out, "members: %zu\n", manifest->member_count);
	for (size_t i = 0; i < manifest->member_count; i++) {
		const struct ark_member_info *m = &manifest->members[i];

		fputs("  ", out);
		ark_text_put_escaped(out, m->path);
		fputs(" (", out);
		ark_text_put_escaped(out, m->role);
		ark_hash_to_hex(m->stored_hash, hex);
		fprintf(out, ")\n    stored: %" PRIu64 " bytes, xxh128 %s\n",
			m->stored_size, hex);
		ark_hash_to_hex(m->raw_hash, hex);
		fprintf(out, "    raw: %" PRIu64 " bytes, xxh128 %s\n",
			m->raw_size, hex);
	}
	fputs("checked: structure and manifest hash; member data not "
	      "verified\n", out);
}

json_t *ark_report_manifest_json(const char *path,
				 const struct ark_manifest *manifest)
{
	json_t *obj = json_object();

	set(obj, "archive", ark_text_json_string(path));
	set(obj, "data_verified", json_false());
	set(obj, "manifest", json_incref(manifest->root));
	return obj;
}

/* ---- ark-transfer ---- */

void ark_report_refusal(FILE *out, const struct ark_transfer_refusal *refusal)
{
	fputs(refusal->rejected ? "rejected: table \"" : "refused: table \"",
	      out);
	ark_text_put_escaped(out, refusal->table);
	fputs("\", ", out);
	ark_text_put_escaped(out, refusal->row);
	if (refusal->column) {
		fputs(", column \"", out);
		ark_text_put_escaped(out, refusal->column);
		fputc('"', out);
	}
	fputs(": ", out);
	ark_text_put_escaped(out, refusal->reason);
	if (refusal->value) {
		fputs(": ", out);
		ark_text_put_escaped(out, refusal->value);
	}
	fputc('\n', out);
}

static const char *digest_word(int verified)
{
	return verified == 1 ? "equal" : verified == 0 ? "DIFFERENT" : "-";
}

void ark_report_transfer(FILE *out, const struct ark_transfer_result *result)
{
	static const char *const phases[] = {
		"inspect", "check", "load", "verify", "swap",
	};
	char name[96];
	uint64_t rows = 0, loaded = 0;
	size_t i;
	int width = 5;

	for (i = 0; i < result->ntables; i++) {
		int len = ark_text_columns(ark_text_escape(
			result->tables[i].target_name, name, 64));
		if (len > width)
			width = len;
	}
	fprintf(out, "%-*s %12s %12s %10s %8s  %s\n", width, "table",
		"rows read", "loaded", "converted", "refused", "digest");
	for (i = 0; i < result->ntables; i++) {
		const struct ark_transfer_table *t = &result->tables[i];

		ark_text_escape(t->target_name, name, 64);
		fprintf(out, "%s%*s %12" PRIu64 " %12" PRIu64 " %10" PRIu64
			" %8" PRIu64 "  %s\n", name,
			width - ark_text_columns(name), "", t->rows_read,
			t->rows_loaded, t->converted, t->refused,
			digest_word(t->verified));
		rows += t->rows_read;
		loaded += t->rows_loaded;
	}
	fprintf(out, "%zu table%s, %" PRIu64 " rows read, %" PRIu64
		" loaded into schema \"", result->ntables,
		result->ntables == 1 ? "" : "s", rows, loaded);
	ark_text_put_escaped(out, result->schema ? result->schema : "");
	fprintf(out, "\" in %.2f s (", result->seconds);
	for (i = 0; i < 5; i++)
		fprintf(out, "%s%s %.2f", i ? ", " : "", phases[i],
			result->phase_seconds[i]);
	fputs(")\n", out);
}

json_t *ark_report_transfer_json(const struct ark_transfer_result *result)
{
	json_t *obj = json_object(), *tables = json_array();
	char text[ARK_DIGEST_TEXT_MAX];
	size_t i;

	for (i = 0; i < result->ntables; i++) {
		const struct ark_transfer_table *t = &result->tables[i];
		json_t *table = json_object();

		set(table, "source", ark_text_json_string(t->source_name));
		set(table, "target", ark_text_json_string(t->target_name));
		set(table, "rows_read", json_integer((json_int_t)t->rows_read));
		set(table, "rows_loaded",
		    json_integer((json_int_t)t->rows_loaded));
		set(table, "converted", json_integer((json_int_t)t->converted));
		set(table, "refused", json_integer((json_int_t)t->refused));
		set(table, "rejected", json_integer((json_int_t)t->rejected));
		if (t->rows_before)
			set(table, "rows_before",
			    json_integer((json_int_t)t->rows_before));
		if (t->resumed)
			set(table, "resumed", json_true());
		if (t->skipped)
			set(table, "skipped", json_true());
		ark_digest_format(&t->source_digest, text);
		set(table, "source_digest", json_string(text));
		if (t->verified >= 0) {
			ark_digest_format(&t->target_digest, text);
			set(table, "target_digest", json_string(text));
		}
		set(table, "verified", t->verified < 0 ? json_null()
					: json_boolean(t->verified == 1));
		json_array_append_new(tables, table);
	}
	if (result->target)
		set(obj, "target", ark_text_json_string(result->target));
	set(obj, "schema", ark_text_json_string(result->schema));
	if (result->server_version)
		set(obj, "server_version",
		    json_integer(result->server_version));
	set(obj, "tables", tables);
	set(obj, "refused", json_integer((json_int_t)result->refused));
	set(obj, "relaxed", json_integer((json_int_t)result->relaxed));
	set(obj, "rejected", json_integer((json_int_t)result->rejected));
	if (result->reject_path)
		set(obj, "reject_file", ark_text_json_string(result->reject_path));
	set(obj, "seconds", json_real(result->seconds));
	{
		static const char *const names[] = {
			"inspect", "check", "load", "verify", "swap",
		};
		json_t *phases = json_object();

		for (i = 0; i < 5; i++)
			set(phases, names[i],
			    json_real(result->phase_seconds[i]));
		set(obj, "phase_seconds", phases);
	}
	return obj;
}
