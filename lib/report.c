/*
 * report.c - text and JSON presentation of results for the tools.
 */
#include <inttypes.h>
#include <stdio.h>

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
		if (obj)
			ark_report_json(out, obj);
		json_decref(obj);
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
