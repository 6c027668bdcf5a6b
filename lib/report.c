/*
 * report.c - text and JSON presentation of results for the tools.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ark/log.h"
#include "ark/report.h"

int ark_report_usage_error(const char *msg)
{
	const char *program = ark_log_program();

	if (msg)
		fprintf(stderr, "%s: %s\n", program, msg);
	fprintf(stderr, "Try '%s --help' for more information.\n", program);
	return 2;
}

void ark_report_json(FILE *out, const json_t *value)
{
	json_dumpf(value, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', out);
}

/* Print obj as one line (nothing when building it failed) and free it. */
static void emit_json(FILE *out, json_t *obj)
{
	if (obj)
		ark_report_json(out, obj);
	json_decref(obj);
}

void ark_report_snapshot(FILE *out, const struct ark_snapshot_result *result,
			 int json)
{
	char hex[ARK_HASH_HEX_LEN + 1];

	ark_hash_to_hex(result->archive.hash, hex);
	if (json) {
		json_t *obj = json_pack(
			"{s:s, s:I, s:s, s:I, s:I, s:I, s:s, s:f, s:O*}",
			"archive", result->archive.path,
			"size", (json_int_t)result->archive.size,
			"xxh128", hex,
			"database_bytes", (json_int_t)result->db_size,
			"page_size", (json_int_t)result->page_size,
			"page_count", (json_int_t)result->page_count,
			"journal_mode", result->journal_mode,
			"seconds", result->seconds,
			"source", result->manifest_source);

		if (obj && result->checked)
			json_object_set_new(obj, "integrity_check",
					    json_string(result->integrity));
		emit_json(out, obj);
		return;
	}
	fprintf(out, "archive: %s\n", result->archive.path);
	fprintf(out, "size: %" PRIu64 "\n", result->archive.size);
	fprintf(out, "xxh128: %s\n", hex);
	fprintf(out, "database: %" PRIu64 " bytes, %" PRIu64 " pages of %"
		PRIu64 ", journal mode %s\n", result->db_size,
		result->page_count, result->page_size, result->journal_mode);
	if (result->checked)
		fprintf(out, "integrity_check: %s\n", result->integrity);
	fprintf(out, "seconds: %.3f\n", result->seconds);
}

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

void ark_report_verify(FILE *out, const struct ark_verify_result *result,
		       const struct ark_error *err, int json)
{
	int ok = !err || err->code == ARK_OK;

	if (json) {
		json_t *obj = json_pack("{s:s, s:b, s:s, s:s, s:I, s:I, s:I, "
					"s:b}",
					"archive", result->path, "ok", ok,
					"status", ok ? "ok"
						     : ark_error_code_name(
							       err->code),
					"kind", result->kind,
					"members", (json_int_t)
						result->member_count,
					"size", (json_int_t)result->file_size,
					"raw_bytes", (json_int_t)
						result->raw_bytes,
					"deep", result->deep);

		if (obj && !ok)
			json_object_set_new(obj, "error",
					    json_string(err->msg));
		if (obj && result->integrity[0])
			json_object_set_new(obj, "integrity_check",
					    json_string(result->integrity));
		if (obj && result->integrity[0])
			json_object_set_new(obj, "check",
					    json_string(result->check[0]
							? result->check
							: "integrity_check"));
		emit_json(out, obj);
		return;
	}
	if (!ok) {
		fprintf(out, "%s: FAILED (%s)\n", result->path,
			ark_error_code_name(err->code));
		return;
	}
	fprintf(out, "%s: OK (%s archive of %s, %zu member%s, %" PRIu64
		" bytes, %" PRIu64 " raw%s%s%s%s)\n", result->path, result->kind,
		result->created, result->member_count,
		result->member_count == 1 ? "" : "s", result->file_size,
		result->raw_bytes,
		result->deep ? (result->integrity[0] ? ", deep: raw hashes and "
						     : ", deep: raw hashes ok")
			     : "",
		result->deep && result->integrity[0]
			? check_name(result->check) : "",
		result->deep && result->integrity[0] ? " ok" : "",
		result->deep && result->integrity[0]
			? check_when(result->check) : "");
}

void ark_report_restore(FILE *out, const struct ark_restore_result *result,
			int json)
{
	if (json) {
		json_t *obj = json_pack("{s:s, s:s?, s:I, s:s, s:s, s:b, s:f}",
					"restored", result->target,
					"kept", result->kept[0] ? result->kept
								: NULL,
					"bytes", (json_int_t)result->bytes,
					"integrity_check", result->integrity,
					"check", result->check[0]
						? result->check
						: "integrity_check",
					"target_was_in_use",
					result->target_was_in_use,
					"seconds", result->seconds);

		emit_json(out, obj);
		return;
	}
	fprintf(out, "restored: %s (%" PRIu64 " bytes, %s %s%s)\n",
		result->target, result->bytes, check_name(result->check),
		result->integrity, check_when(result->check));
	if (result->kept[0])
		fprintf(out, "kept: %s\n", result->kept);
}
