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
	result->archive.created_unix = 1763861880; /* 2025-11-23T01:38:00Z */
	result->manifest_source = json_pack("{s:s, s:I}", "path", "/db/app.db",
					    "page_count", (json_int_t)2);
	assert_non_null(result->manifest_source);
}

/* ---- snapshot -------------------------------------------------------- */

static void snapshot_json(FILE *out, const struct ark_snapshot_result *result)
{
	json_t *obj = ark_report_snapshot_json(result);

	assert_non_null(obj);
	ark_report_json(out, obj);
	json_decref(obj);
}

static void test_snapshot_text(void **state)
{
	struct ark_snapshot_result result;
	FILE *out = open_out();
	char *text;

	(void)state;
	snapshot_result(&result, 0);
	ark_report_snapshot(out, &result);
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
	ark_report_snapshot(out, &result);
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
	snapshot_json(out, &result);
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
	/* the creation time, as the manifest records it */
	assert_int_equal(get_int(obj, "created_unix"), 1763861880);
	assert_string_equal(get_string(obj, "created"), "2025-11-23T01:38:00Z");
	assert_int_equal(json_object_size(obj), 12);
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
	snapshot_json(out, &result);
	text = drain(out);
	obj = parse_line(text);
	assert_null(json_object_get(obj, "source"));
	assert_null(json_object_get(obj, "integrity_check"));
	assert_int_equal(json_object_size(obj), 10);
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
	snapshot_json(out, &result);
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

	ark_report_verify(out, result, err);
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

/* The JSON line ark-checksum-verify prints for one archive. */
static json_t *verify_json_line(const struct ark_verify_result *result,
				const struct ark_error *err, char **text)
{
	FILE *out = open_out();
	json_t *obj = ark_report_outcome(ARK_OK, err,
					 ark_report_verify_json(result));

	assert_non_null(obj);
	ark_report_json(out, obj);
	json_decref(obj);
	*text = drain(out);
	return parse_line(*text);
}

static void test_verify_json(void **state)
{
	struct ark_verify_result result;
	struct ark_error err;
	char *text;
	json_t *obj;

	(void)state;
	verify_result(&result);
	result.deep = 1;
	snprintf(result.integrity, sizeof(result.integrity), "ok");
	obj = verify_json_line(&result, NULL, &text);
	/* the outcome first, then the archive */
	assert_int_equal(strncmp(text, "{\"ok\":true,\"exit_code\":0,"
				       "\"archive\":", 33), 0);
	assert_string_equal(get_string(obj, "archive"), "/backups/a.ark");
	assert_true(json_is_true(json_object_get(obj, "ok")));
	assert_int_equal(get_int(obj, "exit_code"), 0);
	assert_string_equal(get_string(obj, "kind"), "sqlite");
	assert_string_equal(get_string(obj, "created"),
			    "2025-11-23T01:38:00Z");
	assert_int_equal(get_int(obj, "members"), 1);
	assert_int_equal(get_int(obj, "size"), 9728);
	assert_int_equal(get_int(obj, "raw_bytes"), 8192);
	assert_true(json_is_true(json_object_get(obj, "deep")));
	assert_string_equal(get_string(obj, "integrity_check"), "ok");
	assert_string_equal(get_string(obj, "check"), "integrity_check");
	assert_null(json_object_get(obj, "error"));
	assert_null(json_object_get(obj, "message"));
	assert_int_equal(json_object_size(obj), 11);
	json_decref(obj);
	free(text);

	/* failure: error is the code's name, message the message */
	result.deep = 0;
	result.integrity[0] = '\0';
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_UNSUPPORTED, 0,
		      "archive format version 2 is not supported");
	obj = verify_json_line(&result, &err, &text);
	assert_true(json_is_false(json_object_get(obj, "ok")));
	assert_int_equal(get_int(obj, "exit_code"), 3);
	assert_string_equal(get_string(obj, "error"), "unsupported");
	assert_string_equal(get_string(obj, "message"),
			    "archive format version 2 is not supported");
	assert_true(json_is_false(json_object_get(obj, "deep")));
	assert_null(json_object_get(obj, "integrity_check"));
	json_decref(obj);
	free(text);

	/* an archive that could not even be opened: no kind, no sizes */
	memset(&result, 0, sizeof(result));
	snprintf(result.path, sizeof(result.path), "missing.ark");
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, 2, "cannot open 'missing.ark'");
	obj = verify_json_line(&result, &err, &text);
	assert_string_equal(text, "{\"ok\":false,\"exit_code\":3,\"error\":"
				  "\"cannot read\",\"message\":\"cannot open "
				  "'missing.ark': No such file or "
				  "directory\",\"archive\":\"missing.ark\","
				  "\"deep\":false}\n");
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
	ark_report_restore(out, &result);
	text = drain(out);
	assert_string_equal(text, "restored: /srv/app.db (8192 bytes, "
				  "integrity_check ok)\n");
	free(text);

	snprintf(result.kept, sizeof(result.kept),
		 "/srv/app.db.pre-restore-20251123T013800Z");
	out = open_out();
	ark_report_restore(out, &result);
	text = drain(out);
	assert_string_equal(text, "restored: /srv/app.db (8192 bytes, "
				  "integrity_check ok)\n"
				  "kept: /srv/app.db.pre-restore-"
				  "20251123T013800Z\n");
	free(text);
}

static json_t *restore_json_line(const struct ark_restore_result *result,
				 char **text)
{
	FILE *out = open_out();
	json_t *obj = ark_report_restore_json("/b/app.ark", "/srv/app.db",
					      result);

	assert_non_null(obj);
	ark_report_json(out, obj);
	json_decref(obj);
	*text = drain(out);
	return parse_line(*text);
}

static void test_restore_json(void **state)
{
	struct ark_restore_result result;
	char *text;
	json_t *obj;

	(void)state;
	restore_result(&result);
	obj = restore_json_line(&result, &text);
	assert_string_equal(get_string(obj, "archive"), "/b/app.ark");
	assert_string_equal(get_string(obj, "target"), "/srv/app.db");
	assert_string_equal(get_string(obj, "restored"), "/srv/app.db");
	assert_true(json_is_null(json_object_get(obj, "kept")));
	assert_int_equal(get_int(obj, "bytes"), 8192);
	assert_string_equal(get_string(obj, "integrity_check"), "ok");
	assert_true(json_is_false(json_object_get(obj, "target_was_in_use")));
	assert_true(json_real_value(json_object_get(obj, "seconds")) == 0.5);
	assert_string_equal(get_string(obj, "check"), "integrity_check");
	assert_int_equal(json_object_size(obj), 9);
	json_decref(obj);
	free(text);

	snprintf(result.kept, sizeof(result.kept), "/srv/app.db.pre-restore-x");
	result.target_was_in_use = 1;
	obj = restore_json_line(&result, &text);
	assert_string_equal(get_string(obj, "kept"),
			    "/srv/app.db.pre-restore-x");
	assert_true(json_is_true(json_object_get(obj, "target_was_in_use")));
	json_decref(obj);
	free(text);

	/* failed: what is known, the archive and the target */
	obj = restore_json_line(NULL, &text);
	assert_string_equal(text, "{\"archive\":\"/b/app.ark\",\"target\":"
				  "\"/srv/app.db\"}\n");
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
	assert_string_equal(logged, "ark-test: error: missing ARCHIVE\n"
				    "Try 'ark-test --help' for more "
				    "information.\n");

	/* the message is escaped like any other error line */
	unit_capture_begin(&capture);
	rc = ark_report_usage_error("unknown option '-\n'");
	unit_capture_end(&capture, logged, sizeof(logged));
	assert_int_equal(rc, 2);
	assert_string_equal(logged, "ark-test: error: unknown option '-\\n'\n"
				    "Try 'ark-test --help' for more "
				    "information.\n");

	unit_capture_begin(&capture);
	rc = ark_report_usage_error(NULL);
	unit_capture_end(&capture, logged, sizeof(logged));
	assert_int_equal(rc, 2);
	assert_string_equal(logged, "Try 'ark-test --help' for more "
				    "information.\n");
}

/* ---- escaping --------------------------------------------------------- */

static void assert_escaped(const char *text, const char *expected)
{
	char out[256];

	ark_text_escape(text, out, sizeof(out));
	if (strcmp(out, expected) != 0)
		fail_msg("escaped \"%s\", want \"%s\"", out, expected);
	/* escaping is idempotent: an escaped text is shown as it is */
	{
		char again[256];

		ark_text_escape(out, again, sizeof(again));
		assert_string_equal(again, out);
	}
}

static void test_escape(void **state)
{
	(void)state;
	assert_escaped("", "");
	assert_escaped("/srv/app.db", "/srv/app.db");
	assert_escaped("a\nb", "a\\nb");
	assert_escaped("a\tb\rc", "a\\tb\\rc");
	assert_escaped("\x1b[31mred", "\\x1b[31mred");
	assert_escaped("\x01\x7f", "\\x01\\x7f");
	/* UTF-8 is kept; backslashes too */
	assert_escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98",
		       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98");
	assert_escaped("C:\\dir", "C:\\dir");
	/* C1 controls (U+009B is CSI on some terminals) and bad UTF-8 */
	assert_escaped("\xc2\x9b" "2J", "\\xc2\\x9b2J");
	assert_escaped("\xc2\xa0", "\xc2\xa0");
	assert_escaped("latin1 \xe9t\xe9", "latin1 \\xe9t\\xe9");
	assert_escaped("\xc3", "\\xc3");          /* truncated */
	assert_escaped("\xc0\xaf", "\\xc0\\xaf");  /* overlong '/' */
	assert_escaped("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* surrogate */
	assert_escaped("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	assert_escaped("\xff\xfe", "\\xff\\xfe");
}

static void test_escape_cuts_whole_escapes(void **state)
{
	char out[8];

	(void)state;
	/* "ab\x1b" needs 6 bytes + NUL: fits; one more escape does not */
	assert_string_equal(ark_text_escape("ab\x1b\x1b", out, sizeof(out)),
			    "ab\\x1b");
	assert_string_equal(ark_text_escape("abcdefghij", out, sizeof(out)),
			    "abcdefg");
	assert_string_equal(ark_text_escape("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
					      out, sizeof(out)),
			    "\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_string_equal(ark_text_escape("x", out, 1), "");
}

static void test_put_escaped(void **state)
{
	FILE *out = open_out();
	char *text;

	(void)state;
	ark_text_put_escaped(out, "one\ntwo\x1b]0;title\x07");
	text = drain(out);
	assert_string_equal(text, "one\\ntwo\\x1b]0;title\\x07");
	free(text);
}

static void test_json_string(void **state)
{
	json_t *value;

	(void)state;
	/* valid UTF-8 is exact: JSON escapes control characters itself */
	value = ark_text_json_string("a\nb\xc3\xa9");
	assert_string_equal(json_string_value(value), "a\nb\xc3\xa9");
	json_decref(value);
	/* JSON cannot carry other bytes: escaped */
	value = ark_text_json_string("\xe9t\xe9\n");
	assert_string_equal(json_string_value(value), "\\xe9t\\xe9\\n");
	json_decref(value);
	value = ark_text_json_string(NULL);
	assert_true(json_is_null(value));
	json_decref(value);
}

static void test_text_escapes_paths(void **state)
{
	struct ark_snapshot_result snap;
	struct ark_verify_result verify;
	struct ark_restore_result restore;
	struct ark_error err;
	FILE *out;
	char *text;

	(void)state;
	snapshot_result(&snap, 0);
	snprintf(snap.archive.path, sizeof(snap.archive.path),
		 "x\nsize: 0\n.ark");
	out = open_out();
	ark_report_snapshot(out, &snap);
	text = drain(out);
	assert_int_equal(strncmp(text, "archive: x\\nsize: 0\\n.ark\nsize: ",
				 32), 0);
	free(text);
	ark_snapshot_result_free(&snap);

	verify_result(&verify);
	snprintf(verify.path, sizeof(verify.path), "a\n.ark: OK (\t)");
	text = verify_text(&verify, NULL);
	assert_int_equal(strncmp(text, "a\\n.ark: OK (\\t): OK (sqlite", 28),
			 0);
	free(text);
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_CORRUPT, 0, "bad");
	text = verify_text(&verify, &err);
	assert_string_equal(text, "a\\n.ark: OK (\\t): FAILED (corrupt)\n");
	free(text);

	restore_result(&restore);
	snprintf(restore.target, sizeof(restore.target), "/t\x1b[2J.db");
	snprintf(restore.kept, sizeof(restore.kept), "/t\n.db.pre");
	out = open_out();
	ark_report_restore(out, &restore);
	text = drain(out);
	assert_string_equal(text, "restored: /t\\x1b[2J.db (8192 bytes, "
				  "integrity_check ok)\n"
				  "kept: /t\\n.db.pre\n");
	free(text);
}

/* ---- the outcome object ----------------------------------------------- */

static void test_outcome(void **state)
{
	struct ark_error err;
	json_t *obj;
	char *text;
	FILE *out;

	(void)state;
	/* success, fields after the outcome */
	obj = ark_report_outcome(ARK_OK, NULL, json_pack("{s:s}", "a", "b"));
	out = open_out();
	ark_report_json(out, obj);
	json_decref(obj);
	text = drain(out);
	assert_string_equal(text, "{\"ok\":true,\"exit_code\":0,\"a\":\"b\"}\n");
	free(text);

	/* failure: the code of err wins, its message is carried */
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_INTEGRITY, 0, "'x\n.db' fails");
	obj = ark_report_outcome(ARK_ERR_INTEGRITY, &err, NULL);
	out = open_out();
	ark_report_json(out, obj);
	json_decref(obj);
	text = drain(out);
	assert_string_equal(text, "{\"ok\":false,\"exit_code\":9,\"error\":"
				  "\"integrity check failed\",\"message\":"
				  "\"'x\\n.db' fails\"}\n");
	free(text);

	/* no message: the code's name; fields never replace the outcome */
	obj = ark_report_outcome(ARK_ERR_LOCKED, NULL,
				 json_pack("{s:b, s:i}", "ok", 1, "n", 1));
	assert_true(json_is_false(json_object_get(obj, "ok")));
	assert_int_equal(get_int(obj, "exit_code"), 8);
	assert_string_equal(get_string(obj, "error"), "locked");
	assert_string_equal(get_string(obj, "message"), "locked");
	assert_int_equal(get_int(obj, "n"), 1);
	json_decref(obj);
}

static void test_seconds_rounded(void **state)
{
	struct ark_restore_result result;
	json_t *obj;
	char *text;
	FILE *out;

	(void)state;
	restore_result(&result);
	result.seconds = 1.23456789;
	obj = ark_report_restore_json("a", "t", &result);
	out = open_out();
	ark_report_json(out, obj);
	json_decref(obj);
	text = drain(out);
	assert_non_null(strstr(text, ",\"seconds\":1.235}"));
	free(text);

	result.seconds = 0.1;
	obj = ark_report_restore_json("a", "t", &result);
	out = open_out();
	ark_report_json(out, obj);
	json_decref(obj);
	text = drain(out);
	assert_non_null(strstr(text, ",\"seconds\":0.1}"));
	free(text);
}

/* ---- --list ----------------------------------------------------------- */

static void manifest_fixture(struct ark_manifest *manifest,
			     struct ark_member_info *member)
{
	memset(manifest, 0, sizeof(*manifest));
	memset(member, 0, sizeof(*member));
	manifest->root = json_pack(
		"{s:s, s:s, s:{s:s, s:I, s:I, s:s, s:s, s:[{s:s, s:I}, "
		"{s:s, s:I}], s:b}}",
		"tool", "ark-snapshot", "tool_version", "0.1.0",
		"source", "path", "/db/app\n.db", "size", (json_int_t)8192,
		"page_size", (json_int_t)4096, "journal_mode", "wal",
		"host", "evil\x1b[2J", "tables", "name", "users", "rows",
		(json_int_t)1, "name", "t\tab", "rows", (json_int_t)20, "odd", 1);
	assert_non_null(manifest->root);
	manifest->format_version = 1;
	snprintf(manifest->kind, sizeof(manifest->kind), "sqlite");
	manifest->created_unix = 1763861880;
	manifest->member_count = 1;
	manifest->members = member;
	snprintf(member->path, sizeof(member->path), "database.sqlite.zst");
	snprintf(member->role, sizeof(member->role), "sqlite-image");
	member->stored_size = 3000;
	member->raw_size = 8192;
	assert_int_equal(ark_hash_from_hex(HEX, &member->stored_hash), 0);
	assert_int_equal(ark_hash_from_hex("ffeeddccbbaa99887766554433221100",
					   &member->raw_hash), 0);
}

static void test_manifest_text(void **state)
{
	struct ark_manifest manifest;
	struct ark_member_info member;
	FILE *out = open_out();
	char *text;

	(void)state;
	manifest_fixture(&manifest, &member);
	ark_report_manifest(out, "/b/a\n.ark", &manifest);
	text = drain(out);
	assert_string_equal(text,
			    "archive: /b/a\\n.ark\n"
			    "kind: sqlite\n"
			    "format_version: 1\n"
			    "created: 2025-11-23T01:38:00Z (1763861880)\n"
			    "tool: ark-snapshot 0.1.0\n"
			    "source:\n"
			    "  path: /db/app\\n.db\n"
			    "  size: 8192\n"
			    "  page_size: 4096\n"
			    "  journal_mode: wal\n"
			    "  host: evil\\x1b[2J\n"
			    "  tables: 2\n"
			    "    users: 1 row\n"
			    "    t\\tab: 20 rows\n"
			    "  odd: true\n"
			    "members: 1\n"
			    "  database.sqlite.zst (sqlite-image)\n"
			    "    stored: 3000 bytes, xxh128 " HEX "\n"
			    "    raw: 8192 bytes, xxh128 "
			    "ffeeddccbbaa99887766554433221100\n"
			    "checked: structure and manifest hash; member data "
			    "not verified\n");
	free(text);

	/* a creation time gmtime cannot show */
	manifest.created_unix = INT64_MAX;
	out = open_out();
	ark_report_manifest(out, "a.ark", &manifest);
	text = drain(out);
	assert_non_null(strstr(text, "\ncreated: out of range ("
				     "9223372036854775807)\n"));
	free(text);
	json_decref(manifest.root);
}

static void test_manifest_json(void **state)
{
	struct ark_manifest manifest;
	struct ark_member_info member;
	json_t *obj;

	(void)state;
	manifest_fixture(&manifest, &member);
	obj = ark_report_manifest_json("a.ark", &manifest);
	assert_string_equal(get_string(obj, "archive"), "a.ark");
	assert_true(json_is_false(json_object_get(obj, "data_verified")));
	assert_true(json_equal(json_object_get(obj, "manifest"),
			       manifest.root));
	json_decref(obj);
	json_decref(manifest.root);
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
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_cuts_whole_escapes),
		cmocka_unit_test(test_put_escaped),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_text_escapes_paths),
		cmocka_unit_test(test_outcome),
		cmocka_unit_test(test_seconds_rounded),
		cmocka_unit_test(test_manifest_text),
		cmocka_unit_test(test_manifest_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
