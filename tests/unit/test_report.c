/*
 * test_report.c - what the tools print (include/ark/report.h): the exact
 * text lines, and JSON that parses back to the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/hash.h"
#include "ark/log.h"
#include "ark/report.h"

#define HEX "00112233445566778899aabbccddeeff"

static FILE *open_out(void)
{
	FILE *out = tmpfile();

	assert_non_null(out);
	return out;
}

/* Everything written to out, NUL-terminated (caller frees); closes out. */
static char *drain(FILE *out)
{
	assert_int_equal(fflush(out), 0);
	return unit_read_stream(out, NULL);
}

/* One line of JSON: parse it, and check nothing follows the newline. */
static json_t *parse_line(const char *text)
{
	json_error_t jerr;
	const char *newline = strchr(text, '\n');
	json_t *value;

	assert_non_null(newline);
	assert_string_equal(newline, "\n");
	value = json_loadb(text, (size_t)(newline - text),
			   JSON_REJECT_DUPLICATES, &jerr);
	if (!value)
		fail_msg("not JSON (%s): %s", jerr.text, text);
	assert_true(json_is_object(value));
	return value;
}

static const char *get_string(json_t *obj, const char *key)
{
	json_t *value = json_object_get(obj, key);

	if (!json_is_string(value))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(value);
}

static json_int_t get_int(json_t *obj, const char *key)
{
	json_t *value = json_object_get(obj, key);

	if (!json_is_integer(value))
		fail_msg("\"%s\" is not an integer", key);
	return json_integer_value(value);
}

static void snapshot_result(struct ark_snapshot_result *result, int checked)
{
	memset(result, 0, sizeof(*result));
	snprintf(result->archive.path, sizeof(result->archive.path),
		 "/backups/app-20251123T013800Z.ark");
	result->archive.size = 123456789012ull;
	assert_int_equal(ark_hash_from_hex(HEX, &result->archive.hash), 0);
	result->archive.raw_bytes = 8192;
	result->archive.member_count = 1;
	result->db_size = 8192;
	result->page_size = 4096;
	result->page_count = 2;
	snprintf(result->journal_mode, sizeof(result->journal_mode), "wal");
	result->checked = checked;
	if (checked)
		snprintf(result->integrity, sizeof(result->integrity), "ok");
	result->seconds = 1.25;
	result->manifest_source = json_pack("{s:s, s:I}", "path", "/db/app.db",
					    "page_count", (json_int_t)2);
	assert_non_null(result->manifest_source);
}

/* ---- snapshot -------------------------------------------------------- */

static void test_snapshot_text(void **state)
{
	struct ark_snapshot_result result;
	FILE *out = open_out();
	char *text;

	(void)state;
	snapshot_result(&result, 0);
	ark_report_snapshot(out, &result, 0);
	text = drain(out);
	assert_string_equal(text,
			    "archive: /backups/app-20251123T013800Z.ark\n"
			    "size: 123456789012\n"
			    "xxh128: " HEX "\n"
			    "database: 8192 bytes, 2 pages of 4096, journal "
			    "mode wal\n"
			    "seconds: 1.250\n");
	free(text);
	ark_snapshot_result_free(&result);
}

static void test_snapshot_text_checked(void **state)
{
	struct ark_snapshot_result result;
	FILE *out = open_out();
	char *text;

	(void)state;
	snapshot_result(&result, 1);
	ark_report_snapshot(out, &result, 0);
	text = drain(out);
	assert_non_null(strstr(text, "\nintegrity_check: ok\nseconds: "));
	assert_int_equal(strncmp(text, "archive: /backups/", 18), 0);
	free(text);
	ark_snapshot_result_free(&result);
}

static void test_snapshot_json(void **state)
{
	struct ark_snapshot_result result;
	FILE *out = open_out();
	char *text;
	json_t *obj;

	(void)state;
	snapshot_result(&result, 1);
	ark_report_snapshot(out, &result, 1);
	text = drain(out);
	obj = parse_line(text);
	assert_string_equal(get_string(obj, "archive"),
			    "/backups/app-20251123T013800Z.ark");
	assert_int_equal(get_int(obj, "size"), 123456789012ll);
	assert_string_equal(get_string(obj, "xxh128"), HEX);
	assert_int_equal(get_int(obj, "database_bytes"), 8192);
	assert_int_equal(get_int(obj, "page_size"), 4096);
	assert_int_equal(get_int(obj, "page_count"), 2);
	assert_string_equal(get_string(obj, "journal_mode"), "wal");
	assert_true(json_is_real(json_object_get(obj, "seconds")));
	assert_true(json_real_value(json_object_get(obj, "seconds")) == 1.25);
	assert_true(json_equal(json_object_get(obj, "source"),
			       result.manifest_source));
	assert_string_equal(get_string(obj, "integrity_check"), "ok");
	assert_int_equal(json_object_size(obj), 10);
	/* keys in a stable order, archive first */
	assert_int_equal(strncmp(text, "{\"archive\":", 11), 0);
	json_decref(obj);
	free(text);
	ark_snapshot_result_free(&result);
}

static void test_snapshot_json_without_source(void **state)
{
	struct ark_snapshot_result result;
	FILE *out = open_out();
	char *text;
	json_t *obj;

	(void)state;
	snapshot_result(&result, 0);
	ark_snapshot_result_free(&result); /* manifest_source = NULL */
	ark_report_snapshot(out, &result, 1);
	text = drain(out);
	obj = parse_line(text);
	assert_null(json_object_get(obj, "source"));
	assert_null(json_object_get(obj, "integrity_check"));
	assert_int_equal(json_object_size(obj), 8);
	json_decref(obj);
	free(text);
}

static void test_snapshot_json_escapes_path(void **state)
{
	struct ark_snapshot_result result;
	FILE *out = open_out();
	char *text;
	json_t *obj;
	static const char path[] = "/odd \"dir\"\\\n/caf\xc3\xa9.ark";

	(void)state;
	snapshot_result(&result, 0);
	snprintf(result.archive.path, sizeof(result.archive.path), "%s", path);
	ark_report_snapshot(out, &result, 1);
	text = drain(out);
	obj = parse_line(text);
	assert_string_equal(get_string(obj, "archive"), path);
	json_decref(obj);
	free(text);
	ark_snapshot_result_free(&result);
}

/* ---- verify ---------------------------------------------------------- */

static void verify_result(struct ark_verify_result *result)
{
	memset(result, 0, sizeof(*result));
	snprintf(result->path, sizeof(result->path), "/backups/a.ark");
	snprintf(result->kind, sizeof(result->kind), "sqlite");
	snprintf(result->created, sizeof(result->created),
		 "2025-11-23T01:38:00Z");
	result->member_count = 1;
	result->file_size = 9728;
	result->raw_bytes = 8192;
}

static char *verify_text(const struct ark_verify_result *result,
			 const struct ark_error *err)
{
	FILE *out = open_out();

	ark_report_verify(out, result, err, 0);
	return drain(out);
}

static void test_verify_text_ok(void **state)
{
	struct ark_verify_result result;
	struct ark_error err;
	char *text;

	(void)state;
	verify_result(&result);
	text = verify_text(&result, NULL);
	assert_string_equal(text, "/backups/a.ark: OK (sqlite archive of "
				  "2025-11-23T01:38:00Z, 1 member, 9728 "
				  "bytes, 8192 raw)\n");
	free(text);

	/* an err that holds no error is success too; plural members */
	ark_error_clear(&err);
	result.member_count = 3;
	text = verify_text(&result, &err);
	assert_non_null(strstr(text, ": OK ("));
	assert_non_null(strstr(text, ", 3 members, "));
	free(text);
}

static void test_verify_text_deep(void **state)
{
	struct ark_verify_result result;
	char *text;

	(void)state;
	verify_result(&result);
	result.deep = 1;
	snprintf(result.integrity, sizeof(result.integrity), "ok");
	text = verify_text(&result, NULL);
	assert_string_equal(text, "/backups/a.ark: OK (sqlite archive of "
				  "2025-11-23T01:38:00Z, 1 member, 9728 "
				  "bytes, 8192 raw, deep: raw hashes and "
				  "integrity_check ok)\n");
	free(text);

	/* a deep check with no database in the archive */
	result.integrity[0] = '\0';
	snprintf(result.kind, sizeof(result.kind), "pg");
	text = verify_text(&result, NULL);
	assert_string_equal(text, "/backups/a.ark: OK (pg archive of "
				  "2025-11-23T01:38:00Z, 1 member, 9728 "
				  "bytes, 8192 raw, deep: raw hashes ok)\n");
	free(text);
}

static void test_verify_text_failed(void **state)
{
	struct ark_verify_result result;
	struct ark_error err;
	char *text;

	(void)state;
	verify_result(&result);
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_CORRUPT, 0, "member 'x': hash mismatch");
	text = verify_text(&result, &err);
	assert_string_equal(text, "/backups/a.ark: FAILED (corrupt)\n");
	free(text);

	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, 2, "cannot open");
	text = verify_text(&result, &err);
	assert_string_equal(text, "/backups/a.ark: FAILED (cannot read)\n");
	free(text);
}

static void test_verify_json(void **state)
{
	struct ark_verify_result result;
	struct ark_error err;
	FILE *out;
	char *text;
	json_t *obj;

	(void)state;
	verify_result(&result);
	result.deep = 1;
	snprintf(result.integrity, sizeof(result.integrity), "ok");
	out = open_out();
	ark_report_verify(out, &result, NULL, 1);
	text = drain(out);
	obj = parse_line(text);
	assert_string_equal(get_string(obj, "archive"), "/backups/a.ark");
	assert_true(json_is_true(json_object_get(obj, "ok")));
	assert_string_equal(get_string(obj, "status"), "ok");
	assert_string_equal(get_string(obj, "kind"), "sqlite");
	assert_int_equal(get_int(obj, "members"), 1);
	assert_int_equal(get_int(obj, "size"), 9728);
	assert_int_equal(get_int(obj, "raw_bytes"), 8192);
	assert_true(json_is_true(json_object_get(obj, "deep")));
	assert_string_equal(get_string(obj, "integrity_check"), "ok");
	assert_string_equal(get_string(obj, "check"), "integrity_check");
	assert_null(json_object_get(obj, "error"));
	assert_int_equal(json_object_size(obj), 10);
	json_decref(obj);
	free(text);

	/* failure: status is the code's name, error the message */
	result.deep = 0;
	result.integrity[0] = '\0';
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_UNSUPPORTED, 0,
		      "archive format version 2 is not supported");
	out = open_out();
	ark_report_verify(out, &result, &err, 1);
	text = drain(out);
	obj = parse_line(text);
	assert_true(json_is_false(json_object_get(obj, "ok")));
	assert_string_equal(get_string(obj, "status"), "unsupported");
	assert_string_equal(get_string(obj, "error"),
			    "archive format version 2 is not supported");
	assert_true(json_is_false(json_object_get(obj, "deep")));
	assert_null(json_object_get(obj, "integrity_check"));
	json_decref(obj);
	free(text);
}

/* ---- restore --------------------------------------------------------- */

static void restore_result(struct ark_restore_result *result)
{
	memset(result, 0, sizeof(*result));
	snprintf(result->target, sizeof(result->target), "/srv/app.db");
	result->bytes = 8192;
	snprintf(result->integrity, sizeof(result->integrity), "ok");
	result->seconds = 0.5;
}

static void test_restore_text(void **state)
{
	struct ark_restore_result result;
	FILE *out;
	char *text;

	(void)state;
	restore_result(&result);
	out = open_out();
	ark_report_restore(out, &result, 0);
	text = drain(out);
	assert_string_equal(text, "restored: /srv/app.db (8192 bytes, "
				  "integrity_check ok)\n");
	free(text);

	snprintf(result.kept, sizeof(result.kept),
		 "/srv/app.db.pre-restore-20251123T013800Z");
	out = open_out();
	ark_report_restore(out, &result, 0);
	text = drain(out);
	assert_string_equal(text, "restored: /srv/app.db (8192 bytes, "
				  "integrity_check ok)\n"
				  "kept: /srv/app.db.pre-restore-"
				  "20251123T013800Z\n");
	free(text);
}

static void test_restore_json(void **state)
{
	struct ark_restore_result result;
	FILE *out;
	char *text;
	json_t *obj;

	(void)state;
	restore_result(&result);
	out = open_out();
	ark_report_restore(out, &result, 1);
	text = drain(out);
	obj = parse_line(text);
	assert_string_equal(get_string(obj, "restored"), "/srv/app.db");
	assert_true(json_is_null(json_object_get(obj, "kept")));
	assert_int_equal(get_int(obj, "bytes"), 8192);
	assert_string_equal(get_string(obj, "integrity_check"), "ok");
	assert_true(json_is_false(json_object_get(obj, "target_was_in_use")));
	assert_true(json_real_value(json_object_get(obj, "seconds")) == 0.5);
	assert_string_equal(get_string(obj, "check"), "integrity_check");
	assert_int_equal(json_object_size(obj), 7);
	json_decref(obj);
	free(text);

	snprintf(result.kept, sizeof(result.kept), "/srv/app.db.pre-restore-x");
	result.target_was_in_use = 1;
	out = open_out();
	ark_report_restore(out, &result, 1);
	text = drain(out);
	obj = parse_line(text);
	assert_string_equal(get_string(obj, "kept"),
			    "/srv/app.db.pre-restore-x");
	assert_true(json_is_true(json_object_get(obj, "target_was_in_use")));
	json_decref(obj);
	free(text);
}

/* ---- helpers --------------------------------------------------------- */

static void test_report_json_one_line(void **state)
{
	json_t *value = json_pack("{s:i, s:[i, i], s:s}", "b", 1, "a", 1, 2,
				  "c", "x y");
	FILE *out = open_out();
	char *text;

	(void)state;
	assert_non_null(value);
	ark_report_json(out, value);
	text = drain(out);
	assert_string_equal(text, "{\"b\":1,\"a\":[1,2],\"c\":\"x y\"}\n");
	free(text);
	json_decref(value);
}

static void test_usage_error(void **state)
{
	struct unit_capture capture;
	char logged[512];
	int rc;

	(void)state;
	ark_log_set_program("ark-test");
	unit_capture_begin(&capture);
	rc = ark_report_usage_error("missing ARCHIVE");
	unit_capture_end(&capture, logged, sizeof(logged));
	assert_int_equal(rc, 2);
	assert_string_equal(logged, "ark-test: missing ARCHIVE\n"
				    "Try 'ark-test --help' for more "
				    "information.\n");

	unit_capture_begin(&capture);
	rc = ark_report_usage_error(NULL);
	unit_capture_end(&capture, logged, sizeof(logged));
	assert_int_equal(rc, 2);
	assert_string_equal(logged, "Try 'ark-test --help' for more "
				    "information.\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_text),
		cmocka_unit_test(test_snapshot_text_checked),
		cmocka_unit_test(test_snapshot_json),
		cmocka_unit_test(test_snapshot_json_without_source),
		cmocka_unit_test(test_snapshot_json_escapes_path),
		cmocka_unit_test(test_verify_text_ok),
		cmocka_unit_test(test_verify_text_deep),
		cmocka_unit_test(test_verify_text_failed),
		cmocka_unit_test(test_verify_json),
		cmocka_unit_test(test_restore_text),
		cmocka_unit_test(test_restore_json),
		cmocka_unit_test(test_report_json_one_line),
		cmocka_unit_test(test_usage_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
