/*
 * test_manifest.c - member paths, MANIFEST.json validation (every defect
 * with its exact code and the key it names), serialization, and the
 * XXH128SUMS text (docs/archive-format.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/manifest.h"

#define HEX_A "00112233445566778899aabbccddeeff"
#define HEX_B "ffeeddccbbaa99887766554433221100"
#define HEX_C "0123456789abcdef0123456789abcdef"
#define HEX_D "fedcba9876543210fedcba9876543210"
#define HEX_P "5555555555555555aaaaaaaaaaaaaaaa"

/* ---- member paths ---------------------------------------------------- */

static void test_path_valid_accepts(void **state)
{
	char longest[ARK_MEMBER_PATH_MAX + 1];

	(void)state;
	assert_int_equal(ark_member_path_valid("database.sqlite.zst"), 1);
	assert_int_equal(ark_member_path_valid("data/t1.copy.zst"), 1);
	assert_int_equal(ark_member_path_valid("a"), 1);
	assert_int_equal(ark_member_path_valid("A-Z_a-z.0-9/x.y"), 1);
	assert_int_equal(ark_member_path_valid(".hidden.zst"), 1);
	assert_int_equal(ark_member_path_valid("a/.../b"), 1);
	assert_int_equal(ark_member_path_valid("..a/b.."), 1);
	/* 255 bytes is the limit */
	memset(longest, 'p', ARK_MEMBER_PATH_MAX);
	longest[ARK_MEMBER_PATH_MAX] = '\0';
	assert_int_equal(ark_member_path_valid(longest), 1);
}

static void test_path_valid_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"/abs",
		"/",
		"../x",
		"..",
		".",
		"a/../b",
		"a/..",
		"a//b",
		"./a",
		"a/./b",
		"a/.",
		"a/",
		"with space.zst",
		"tab\there",
		"back\\slash",
		"caf\xc3\xa9.zst",
		"\xff",
		"new\nline",
		"colon:x",
		"star*",
		"quote\"",
		"~home",
	};
	char too_long[ARK_MEMBER_PATH_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ark_member_path_valid(bad[i]) != 0)
			fail_msg("accepted invalid path \"%s\"", bad[i]);
	memset(too_long, 'p', ARK_MEMBER_PATH_MAX + 1);
	too_long[ARK_MEMBER_PATH_MAX + 1] = '\0';
	assert_int_equal(strlen(too_long), 256);
	assert_int_equal(ark_member_path_valid(too_long), 0);
}

static void test_path_is_data(void **state)
{
	(void)state;
	assert_int_equal(ark_member_path_is_data("database.sqlite.zst"), 1);
	assert_int_equal(ark_member_path_is_data("data/t1.copy.zst"), 1);
	assert_int_equal(ark_member_path_is_data("a.zst"), 1);
	assert_int_equal(ark_member_path_is_data(".zst"), 0);
	assert_int_equal(ark_member_path_is_data("zst"), 0);
	assert_int_equal(ark_member_path_is_data(""), 0);
	assert_int_equal(ark_member_path_is_data("a.zst.bak"), 0);
	assert_int_equal(ark_member_path_is_data("a.ZST"), 0);
	assert_int_equal(ark_member_path_is_data("a_zst"), 0);
	assert_int_equal(ark_member_path_is_data(ARK_MANIFEST_NAME), 0);
	assert_int_equal(ark_member_path_is_data(ARK_SUMS_NAME), 0);
}

/* ---- a valid document, and its defects ------------------------------- */

/*
 * Two members tiling [0, 3584):
 *   #1 headers at 0, data at 1536, 100 bytes -> padded end 2048
 *   #2 headers at 2048, data at 3584, 0 bytes -> end 3584
 */
static json_t *member_json(const char *path, json_int_t header,
			   json_int_t data, json_int_t stored,
			   const char *stored_hex, json_int_t raw,
			   const char *raw_hex)
{
	json_t *member = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:s}",
				   "path", path, "role", "sqlite-image",
				   "header_offset", header,
				   "data_offset", data,
				   "stored_size", stored,
				   "stored_xxh128", stored_hex,
				   "raw_size", raw,
				   "raw_xxh128", raw_hex);

	assert_non_null(member);
	return member;
}

static json_t *valid_doc(void)
{
	json_t *doc = json_pack(
		"{s:s, s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:s, "
		"s:{s:s, s:i, s:i}, s:[o, o], s:I, s:s}",
		"format", "ark",
		"format_version", 1,
		"kind", "sqlite",
		"created", "2025-11-23T01:38:00Z",
		"created_unix", (json_int_t)1763861880,
		"tool", "test_manifest",
		"tool_version", "0.1.0",
		"hash", "xxh3-128",
		"compression", "zstd",
		"source", "path", "/x/app.db", "page_size", 4096,
		"page_count", 1,
		"members",
		member_json("database.sqlite.zst", 0, 1536, 100, HEX_A, 4096,
			    HEX_B),
		member_json("data/t1.copy.zst", 2048, 3584, 0, HEX_C, 0,
			    HEX_D),
		"prefix_size", (json_int_t)3584,
		"prefix_xxh128", HEX_P);

	assert_non_null(doc);
	return doc;
}

static json_t *doc_member(json_t *doc, size_t index)
{
	json_t *member = json_array_get(json_object_get(doc, "members"),
					index);

	assert_non_null(member);
	return member;
}

/* Set the integer key of member index (0-based) of doc to value. */
static void set_member_int(json_t *doc, size_t index, const char *key,
			   json_int_t value)
{
	json_object_set_new(doc_member(doc, index), key, json_integer(value));
}

/* Parse doc (dumped the writers' way); return the code, fill err. */
static int parse_doc(json_t *doc, struct ark_manifest **out,
		     struct ark_error *err)
{
	size_t len = 0;
	char *text = ark_manifest_dump(doc, &len);
	int rc;

	assert_non_null(text);
	ark_error_clear(err);
	rc = ark_manifest_parse(text, len, out, err);
	free(text);
	return rc;
}

/* doc must be refused with code and a message holding substring. */
static void expect_refused(json_t *doc, int code, const char *substring)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;
	int rc = parse_doc(doc, &manifest, &err);
	int produced = manifest != NULL;

	/* release everything first: a failed assertion does not return */
	ark_manifest_free(manifest);
	json_decref(doc);
	assert_int_equal(rc, code);
	assert_false(produced);
	assert_error(err, code, substring);
}

static void test_parse_valid(void **state)
{
	json_t *doc = valid_doc();
	struct ark_manifest *manifest = NULL;
	struct ark_error err;
	char hex[ARK_HASH_HEX_LEN + 1];

	(void)state;
	assert_int_equal(parse_doc(doc, &manifest, &err), 0);
	assert_int_equal(err.code, ARK_OK);
	assert_non_null(manifest);
	assert_int_equal(manifest->format_version, 1);
	assert_string_equal(manifest->kind, "sqlite");
	assert_int_equal(manifest->created_unix, 1763861880);
	assert_int_equal(manifest->prefix_size, 3584);
	ark_hash_to_hex(manifest->prefix_hash, hex);
	assert_string_equal(hex, HEX_P);
	assert_int_equal(manifest->member_count, 2);

	assert_string_equal(manifest->members[0].path, "database.sqlite.zst");
	assert_string_equal(manifest->members[0].role, "sqlite-image");
	assert_int_equal(manifest->members[0].header_offset, 0);
	assert_int_equal(manifest->members[0].data_offset, 1536);
	assert_int_equal(manifest->members[0].stored_size, 100);
	assert_int_equal(manifest->members[0].raw_size, 4096);
	ark_hash_to_hex(manifest->members[0].stored_hash, hex);
	assert_string_equal(hex, HEX_A);
	ark_hash_to_hex(manifest->members[0].raw_hash, hex);
	assert_string_equal(hex, HEX_B);

	assert_string_equal(manifest->members[1].path, "data/t1.copy.zst");
	assert_int_equal(manifest->members[1].header_offset, 2048);
	assert_int_equal(manifest->members[1].data_offset, 3584);
	assert_int_equal(manifest->members[1].stored_size, 0);
	assert_int_equal(manifest->members[1].raw_size, 0);
	ark_hash_to_hex(manifest->members[1].stored_hash, hex);
	assert_string_equal(hex, HEX_C);
	ark_hash_to_hex(manifest->members[1].raw_hash, hex);
	assert_string_equal(hex, HEX_D);

	/* the whole document is kept, unknown keys included */
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(manifest->root, "source"),
				    "path")),
			    "/x/app.db");
	ark_manifest_free(manifest);
	json_decref(doc);
}

static void test_parse_no_members(void **state)
{
	json_t *doc = valid_doc();
	struct ark_manifest *manifest = NULL;
	struct ark_error err;

	(void)state;
	json_object_set_new(doc, "members", json_array());
	json_object_set_new(doc, "prefix_size", json_integer(0));
	assert_int_equal(parse_doc(doc, &manifest, &err), 0);
	assert_int_equal(manifest->member_count, 0);
	assert_int_equal(manifest->prefix_size, 0);
	ark_manifest_free(manifest);
	json_decref(doc);
}

static void test_parse_ignores_unknown_keys(void **state)
{
	json_t *doc = valid_doc();
	struct ark_manifest *manifest = NULL;
	struct ark_error err;

	(void)state;
	json_object_set_new(doc, "future_key", json_string("x"));
	json_object_set_new(doc_member(doc, 0), "table", json_string("t"));
	assert_int_equal(parse_doc(doc, &manifest, &err), 0);
	assert_int_equal(manifest->member_count, 2);
	ark_manifest_free(manifest);
	json_decref(doc);
}

static void test_parse_kind_pg(void **state)
{
	json_t *doc = valid_doc();
	struct ark_manifest *manifest = NULL;
	struct ark_error err;

	(void)state;
	/* A known kind, checked by its own rules (test_manifest_pg.c):
	 * a SQLite source and layout are not a pg archive's. */
	json_object_set_new(doc, "kind", json_string("pg"));
	assert_int_equal(parse_doc(doc, &manifest, &err), ARK_ERR_CORRUPT);
	assert_null(manifest);
	assert_string_equal(err.msg, "manifest: source: \"type\" is missing "
			    "or not \"sqlite\" or \"postgresql\"");
	json_decref(doc);
}

static void test_parse_missing_top_level_keys(void **state)
{
	static const char *const keys[] = {
		"format_version", "kind", "created_unix", "prefix_size",
		"prefix_xxh128", "members",
	};
	char quoted[64];

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *doc = valid_doc();

		assert_int_equal(json_object_del(doc, keys[i]), 0);
		snprintf(quoted, sizeof(quoted), "\"%s\"", keys[i]);
		expect_refused(doc, ARK_ERR_CORRUPT, quoted);
	}
	{
		json_t *doc = valid_doc();

		json_object_del(doc, "format");
		expect_refused(doc, ARK_ERR_CORRUPT, "\"format\"");
	}
}

static void test_parse_missing_member_keys(void **state)
{
	static const char *const keys[] = {
		"path", "role", "header_offset", "data_offset", "stored_size",
		"raw_size", "stored_xxh128", "raw_xxh128",
	};
	char quoted[64];

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *doc = valid_doc();

		assert_int_equal(json_object_del(doc_member(doc, 1), keys[i]),
				 0);
		snprintf(quoted, sizeof(quoted), "member #2: \"%s\"", keys[i]);
		expect_refused(doc, ARK_ERR_CORRUPT, quoted);
	}
}

static void test_parse_wrong_types(void **state)
{
	json_t *doc;

	(void)state;
	doc = valid_doc();
	json_object_set_new(doc, "format_version", json_string("1"));
	expect_refused(doc, ARK_ERR_CORRUPT, "\"format_version\"");

	doc = valid_doc();
	json_object_set_new(doc, "created_unix", json_integer(-1));
	expect_refused(doc, ARK_ERR_CORRUPT, "\"created_unix\"");

	doc = valid_doc();
	json_object_set_new(doc, "prefix_size", json_real(3584.0));
	expect_refused(doc, ARK_ERR_CORRUPT, "\"prefix_size\"");

	doc = valid_doc();
	json_object_set_new(doc, "kind", json_string(""));
	expect_refused(doc, ARK_ERR_CORRUPT, "\"kind\"");

	doc = valid_doc();
	json_object_set_new(doc, "members", json_object());
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "\"members\" is missing or not an array");

	doc = valid_doc();
	json_array_set_new(json_object_get(doc, "members"), 0,
			   json_string("database.sqlite.zst"));
	expect_refused(doc, ARK_ERR_CORRUPT, "member #1 is not an object");

	doc = valid_doc();
	set_member_int(doc, 0, "stored_size", -100);
	expect_refused(doc, ARK_ERR_CORRUPT, "member #1: \"stored_size\"");

	doc = valid_doc();
	json_object_set_new(doc_member(doc, 0), "path", json_integer(7));
	expect_refused(doc, ARK_ERR_CORRUPT, "member #1: \"path\"");

	doc = valid_doc();
	json_object_set_new(doc, "format", json_string("tar"));
	expect_refused(doc, ARK_ERR_CORRUPT, "\"format\" is not \"ark\"");
}

static void test_parse_not_an_object(void **state)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;
	static const char array[] = "[1, 2]";
	static const char broken[] = "{\"format\": \"ark\",";

	(void)state;
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_parse(array, sizeof(array) - 1,
					    &manifest, &err),
			 ARK_ERR_CORRUPT);
	assert_null(manifest);
	assert_error(err, ARK_ERR_CORRUPT, "manifest is not a JSON object");
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_parse(broken, sizeof(broken) - 1,
					    &manifest, &err),
			 ARK_ERR_CORRUPT);
	assert_null(manifest);
	assert_error(err, ARK_ERR_CORRUPT, "manifest is not a JSON object");
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_parse("", 0, &manifest, &err),
			 ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT, "manifest is not a JSON object");
}

static void test_parse_only_len_bytes(void **state)
{
	json_t *doc = valid_doc();
	struct ark_manifest *manifest = NULL;
	struct ark_error err;
	size_t len = 0;
	char *text = ark_manifest_dump(doc, &len);

	(void)state;
	assert_non_null(text);
	/* only len bytes are parsed: without the closing brace, broken */
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_parse(text, len - 3, &manifest, &err),
			 ARK_ERR_CORRUPT);
	assert_null(manifest);
	free(text);
	json_decref(doc);
}

static void test_parse_format_version_unsupported(void **state)
{
	json_t *doc;

	(void)state;
	doc = valid_doc();
	json_object_set_new(doc, "format_version", json_integer(2));
	expect_refused(doc, ARK_ERR_UNSUPPORTED, "format version 2");

	doc = valid_doc();
	json_object_set_new(doc, "format_version", json_integer(0));
	expect_refused(doc, ARK_ERR_UNSUPPORTED, "format version 0");
}

static void test_parse_algorithms_and_source(void **state)
{
	json_t *doc;

	(void)state;
	doc = valid_doc();
	json_object_set_new(doc, "hash", json_string("sha256"));
	expect_refused(doc, ARK_ERR_UNSUPPORTED, "hash algorithm");
	doc = valid_doc();
	json_object_del(doc, "hash");
	expect_refused(doc, ARK_ERR_UNSUPPORTED, "hash algorithm");
	doc = valid_doc();
	json_object_set_new(doc, "compression", json_string("gzip"));
	expect_refused(doc, ARK_ERR_UNSUPPORTED, "compression");
	doc = valid_doc();
	json_object_set_new(doc, "source", json_string("x"));
	expect_refused(doc, ARK_ERR_CORRUPT, "\"source\"");
}

static void test_parse_unknown_kind(void **state)
{
	json_t *doc = valid_doc();

	(void)state;
	json_object_set_new(doc, "kind", json_string("mysql"));
	expect_refused(doc, ARK_ERR_UNSUPPORTED, "kind 'mysql'");
}

static void test_parse_duplicate_json_keys(void **state)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;
	json_t *doc = valid_doc();
	size_t len = 0;
	char *text = ark_manifest_dump(doc, &len);
	char *twice;
	static const char line[] = "  \"kind\": \"sqlite\",\n";
	const size_t line_len = sizeof(line) - 1;
	const char *at;

	(void)state;
	assert_non_null(text);
	/* the "kind" line twice: the same key, the same value */
	at = strstr(text, line);
	assert_non_null(at);
	twice = malloc(len + line_len);
	assert_non_null(twice);
	memcpy(twice, text, (size_t)(at - text));
	memcpy(twice + (at - text), line, line_len);
	memcpy(twice + (at - text) + line_len, at, len - (size_t)(at - text));
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_parse(twice, len + line_len, &manifest,
					    &err),
			 ARK_ERR_CORRUPT);
	assert_null(manifest);
	assert_error(err, ARK_ERR_CORRUPT, "duplicate");
	free(twice);
	free(text);
	json_decref(doc);
}

static void test_parse_bad_hashes(void **state)
{
	static const char *const bad[] = {
		"00112233445566778899aabbccddeefg", /* not hex */
		"00112233445566778899aabbccddeef",  /* 31 digits */
		"00112233445566778899aabbccddeeff0", /* 33 digits */
		"",
	};
	json_t *doc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = valid_doc();
		json_object_set_new(doc, "prefix_xxh128", json_string(bad[i]));
		expect_refused(doc, ARK_ERR_CORRUPT, "\"prefix_xxh128\"");

		doc = valid_doc();
		json_object_set_new(doc_member(doc, 0), "stored_xxh128",
				    json_string(bad[i]));
		expect_refused(doc, ARK_ERR_CORRUPT,
			       "member #1: \"stored_xxh128\"");

		doc = valid_doc();
		json_object_set_new(doc_member(doc, 1), "raw_xxh128",
				    json_string(bad[i]));
		expect_refused(doc, ARK_ERR_CORRUPT,
			       "member #2: \"raw_xxh128\"");
	}
	doc = valid_doc();
	json_object_set_new(doc, "prefix_xxh128", json_integer(0));
	expect_refused(doc, ARK_ERR_CORRUPT, "\"prefix_xxh128\"");
}

static void test_parse_offsets(void **state)
{
	json_t *doc;

	(void)state;
	/* member #2 starts inside member #1's padded data: overlap */
	doc = valid_doc();
	set_member_int(doc, 1, "header_offset", 1536);
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "member 'data/t1.copy.zst' has inconsistent offsets");

	/* a block between the members: gap */
	doc = valid_doc();
	set_member_int(doc, 1, "header_offset", 2560);
	set_member_int(doc, 1, "data_offset", 4096);
	json_object_set_new(doc, "prefix_size", json_integer(4096));
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "member 'data/t1.copy.zst' has inconsistent offsets");

	/* the first member must start at 0 */
	doc = valid_doc();
	set_member_int(doc, 0, "header_offset", 512);
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "member 'database.sqlite.zst' has inconsistent offsets");

	/* data before the headers */
	doc = valid_doc();
	set_member_int(doc, 1, "data_offset", 1024);
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "member 'data/t1.copy.zst' has inconsistent offsets");

	/* data must follow its 1536 header bytes directly */
	doc = valid_doc();
	set_member_int(doc, 0, "data_offset", 2048);
	set_member_int(doc, 1, "header_offset", 2560);
	set_member_int(doc, 1, "data_offset", 4096);
	json_object_set_new(doc, "prefix_size", json_integer(4096));
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "member 'database.sqlite.zst' has inconsistent offsets");

	/* a huge first member: the second cannot start at 2048 */
	doc = valid_doc();
	set_member_int(doc, 0, "stored_size", INT64_MAX);
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "member 'database.sqlite.zst' has inconsistent offsets");

	/* members in the wrong order */
	doc = valid_doc();
	{
		json_t *members = json_object_get(doc, "members");
		json_t *first = json_incref(json_array_get(members, 0));

		json_array_remove(members, 0);
		json_array_append_new(members, first);
	}
	expect_refused(doc, ARK_ERR_CORRUPT, "inconsistent offsets");
}

/*
 * data_offset and stored_size of INT64_MAX each: their sum is 2^64 - 2,
 * and rounding it up to a block once wrapped to 0, so a second member at
 * offset 0 - overlapping the first - was accepted.  The header promises
 * "none overlapping, all inside prefix_size".
 */
static void test_parse_offsets_wrap(void **state)
{
	json_t *doc = valid_doc();

	(void)state;
	set_member_int(doc, 0, "data_offset", INT64_MAX);
	set_member_int(doc, 0, "stored_size", INT64_MAX);
	set_member_int(doc, 1, "header_offset", 0);
	set_member_int(doc, 1, "data_offset", 1536);
	json_object_set_new(doc, "prefix_size", json_integer(1536));
	expect_refused(doc, ARK_ERR_CORRUPT, "inconsistent offsets");
}

static void test_parse_prefix_size(void **state)
{
	static const json_int_t wrong[] = { 0, 3583, 3585, 4096, 2048 };

	(void)state;
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		json_t *doc = valid_doc();
		char expected[96];

		json_object_set_new(doc, "prefix_size",
				    json_integer(wrong[i]));
		snprintf(expected, sizeof(expected),
			 "prefix_size %lld does not match the members' end "
			 "3584", (long long)wrong[i]);
		expect_refused(doc, ARK_ERR_CORRUPT, expected);
	}
}

static void test_parse_duplicate_member_path(void **state)
{
	json_t *doc = valid_doc();

	(void)state;
	json_object_set_new(doc_member(doc, 1), "path",
			    json_string("database.sqlite.zst"));
	expect_refused(doc, ARK_ERR_CORRUPT,
		       "member 'database.sqlite.zst' is listed twice");
}

static void test_parse_reserved_and_unsafe_paths(void **state)
{
	static const char *const bad[] = {
		ARK_MANIFEST_NAME, ARK_SUMS_NAME, "../evil.zst", "/abs.zst",
		"a//b.zst", "data/t1.copy", "sp ace.zst",
	};
	char expected[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *doc = valid_doc();

		json_object_set_new(doc_member(doc, 1), "path",
				    json_string(bad[i]));
		snprintf(expected, sizeof(expected),
			 "member #2: unsafe or reserved member path '%s'",
			 bad[i]);
		expect_refused(doc, ARK_ERR_CORRUPT, expected);
	}
}

/* ---- field constraints (docs/archive-format.md) ----------------------- */

/* doc must be refused with code and exactly message; doc is released. */
static void expect_exact(json_t *doc, int code, const char *message)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;
	int rc = parse_doc(doc, &manifest, &err);
	int produced = manifest != NULL;

	ark_manifest_free(manifest);
	json_decref(doc);
	assert_int_equal(rc, code);
	assert_false(produced);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, message);
}

/* doc must parse; the manifest is returned (free it), doc released. */
static struct ark_manifest *expect_parsed(json_t *doc)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;
	int rc = parse_doc(doc, &manifest, &err);

	json_decref(doc);
	if (rc != 0)
		fail_msg("refused: %s", err.msg);
	assert_non_null(manifest);
	return manifest;
}

static void expect_accepted(json_t *doc)
{
	ark_manifest_free(expect_parsed(doc));
}

static json_t *doc_source(json_t *doc)
{
	json_t *source = json_object_get(doc, "source");

	assert_non_null(source);
	return source;
}

/* valid_doc() with created_unix and created set. */
static json_t *doc_created(json_int_t unix_seconds, const char *text)
{
	json_t *doc = valid_doc();

	json_object_set_new(doc, "created_unix", json_integer(unix_seconds));
	json_object_set_new(doc, "created", json_string(text));
	return doc;
}

/* valid_doc() with source key set to value (stolen). */
static json_t *doc_with_source(const char *key, json_t *value)
{
	json_t *doc = valid_doc();

	json_object_set_new(doc_source(doc), key, value);
	return doc;
}

/* A string of len copies of c (malloc'd). */
static char *repeat(char c, size_t len)
{
	char *text = malloc(len + 1);

	assert_non_null(text);
	memset(text, c, len);
	text[len] = '\0';
	return text;
}

static json_t *long_string(char c, size_t len)
{
	char *text = repeat(c, len);
	json_t *value = json_string(text);

	free(text);
	assert_non_null(value);
	return value;
}

/*
 * The crash: a created_unix past what gmtime_r represents reached
 * strftime as NULL.  Every tar mtime is created_unix in 11 octal digits,
 * so that is the range.
 */
static void test_created_unix_range(void **state)
{
	struct ark_manifest *manifest;

	(void)state;
	manifest = expect_parsed(doc_created(0, "1970-01-01T00:00:00Z"));
	assert_string_equal(manifest->created, "1970-01-01T00:00:00Z");
	ark_manifest_free(manifest);
	manifest = expect_parsed(doc_created(ARK_CREATED_UNIX_MAX,
					     "2242-03-16T12:56:31Z"));
	assert_int_equal(manifest->created_unix, 8589934591ll);
	assert_string_equal(manifest->created, "2242-03-16T12:56:31Z");
	ark_manifest_free(manifest);

	expect_exact(doc_created(ARK_CREATED_UNIX_MAX + 1,
				 "2242-03-16T12:56:32Z"),
		     ARK_ERR_CORRUPT,
		     "manifest: \"created_unix\" is 8589934592, outside "
		     "0..8589934591");
	expect_exact(doc_created(99999999999999999ll, "x"), ARK_ERR_CORRUPT,
		     "manifest: \"created_unix\" is 99999999999999999, "
		     "outside 0..8589934591");
	expect_exact(doc_created(INT64_MAX, "x"), ARK_ERR_CORRUPT,
		     "manifest: \"created_unix\" is 9223372036854775807, "
		     "outside 0..8589934591");
	expect_exact(doc_created(-1, "1969-12-31T23:59:59Z"),
		     ARK_ERR_CORRUPT,
		     "manifest: \"created_unix\" is -1, outside "
		     "0..8589934591");
	{
		json_t *doc = valid_doc();

		json_object_set_new(doc, "created_unix", json_real(1.5));
		expect_exact(doc, ARK_ERR_CORRUPT,
			     "manifest: \"created_unix\" is missing or not "
			     "an integer");
	}
}

static void test_created_text(void **state)
{
	json_t *doc;

	(void)state;
	expect_exact(doc_created(1763861880, "2025-11-23T01:38:01Z"),
		     ARK_ERR_CORRUPT,
		     "manifest: \"created\" does not match \"created_unix\" "
		     "(2025-11-23T01:38:00Z)");
	expect_exact(doc_created(1763861880, "2025-11-23T01:38:00Z "),
		     ARK_ERR_CORRUPT,
		     "manifest: \"created\" does not match \"created_unix\" "
		     "(2025-11-23T01:38:00Z)");
	expect_exact(doc_created(1763861880, "2025-11-23 01:38:00"),
		     ARK_ERR_CORRUPT,
		     "manifest: \"created\" does not match \"created_unix\" "
		     "(2025-11-23T01:38:00Z)");
	doc = valid_doc();
	json_object_del(doc, "created");
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: \"created\" is missing or not a string");
	doc = valid_doc();
	json_object_set_new(doc, "created", json_integer(1763861880));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: \"created\" is missing or not a string");
}

static void test_tool_strings(void **state)
{
	static const char *const keys[] = { "tool", "tool_version" };
	char message[160];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		json_t *doc = valid_doc();

		json_object_set_new(doc, keys[i], long_string('v', 64));
		expect_accepted(doc);

		doc = valid_doc();
		json_object_set_new(doc, keys[i], long_string('v', 65));
		snprintf(message, sizeof(message),
			 "manifest: \"%s\" is 65 bytes long, outside 1..64",
			 keys[i]);
		expect_exact(doc, ARK_ERR_CORRUPT, message);

		doc = valid_doc();
		json_object_set_new(doc, keys[i], json_string(""));
		snprintf(message, sizeof(message),
			 "manifest: \"%s\" is 0 bytes long, outside 1..64",
			 keys[i]);
		expect_exact(doc, ARK_ERR_CORRUPT, message);

		doc = valid_doc();
		json_object_set_new(doc, keys[i], json_string("ark\n2"));
		snprintf(message, sizeof(message),
			 "manifest: \"%s\" holds a character outside "
			 "printable ASCII", keys[i]);
		expect_exact(doc, ARK_ERR_CORRUPT, message);

		doc = valid_doc();
		json_object_set_new(doc, keys[i], json_string("caf\xc3\xa9"));
		expect_exact(doc, ARK_ERR_CORRUPT, message);

		doc = valid_doc();
		json_object_del(doc, keys[i]);
		snprintf(message, sizeof(message),
			 "manifest: \"%s\" is missing or not a string",
			 keys[i]);
		expect_exact(doc, ARK_ERR_CORRUPT, message);
	}
}

static void test_kind_token(void **state)
{
	json_t *doc;

	(void)state;
	doc = valid_doc();
	json_object_set_new(doc, "kind", json_string("SQLite"));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: \"kind\" holds a character outside "
		     "[a-z0-9-]");
	doc = valid_doc();
	json_object_set_new(doc, "kind", json_string("sqlite\n"));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: \"kind\" holds a character outside "
		     "[a-z0-9-]");
	doc = valid_doc();
	json_object_set_new(doc, "kind", long_string('k', 16));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: \"kind\" is 16 bytes long, outside 1..15");
	doc = valid_doc();
	json_object_set_new(doc, "kind", json_string("mysql"));
	expect_exact(doc, ARK_ERR_UNSUPPORTED,
		     "archive kind 'mysql' is not supported");
}

/* An unknown version is "unsupported" whatever else its manifest holds. */
static void test_version_decided_first(void **state)
{
	json_t *doc = doc_created(-5, "never");

	(void)state;
	json_object_set_new(doc, "format_version", json_integer(2));
	json_object_set_new(doc, "kind", json_string("future"));
	json_object_del(doc, "source");
	expect_exact(doc, ARK_ERR_UNSUPPORTED,
		     "archive format version 2 is not supported (this ark "
		     "reads version 1)");
}

static void test_page_size(void **state)
{
	static const json_int_t bad[] = {
		0, 1, 256, 511, 513, 1000, 4095, 65535, 131072, -4096,
		INT64_MAX,
	};
	char message[160];
	json_t *doc;

	(void)state;
	for (json_int_t size = 512; size <= 65536; size *= 2) {
		struct ark_manifest *manifest = expect_parsed(
			doc_with_source("page_size", json_integer(size)));

		assert_int_equal(manifest->page_size, size);
		assert_int_equal(manifest->page_count, 1);
		ark_manifest_free(manifest);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(message, sizeof(message),
			 "manifest: source: \"page_size\" is %lld, not a "
			 "power of two from 512 to 65536", (long long)bad[i]);
		expect_exact(doc_with_source("page_size",
					     json_integer(bad[i])),
			     ARK_ERR_CORRUPT, message);
	}
	expect_exact(doc_with_source("page_size", json_string("4096")),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"page_size\" is missing or not an "
		     "integer");
	doc = valid_doc();
	json_object_del(doc_source(doc), "page_size");
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: source: \"page_size\" is missing or not an "
		     "integer");
	/* kind pg: its source is not a SQLite one, page_size is not
	 * looked at (the refusal is about its own keys) */
	doc = doc_with_source("page_size", json_integer(1));
	json_object_set_new(doc, "kind", json_string("pg"));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: source: \"type\" is missing or not "
		     "\"sqlite\" or \"postgresql\"");
}

/* The other crash: page_size x page_count wrapped to the image's size. */
static void test_page_count(void **state)
{
	json_t *doc;
	struct ark_manifest *manifest;

	(void)state;
	manifest = expect_parsed(doc_with_source("page_count",
						 json_integer(0)));
	assert_int_equal(manifest->page_count, 0);
	ark_manifest_free(manifest);
	manifest = expect_parsed(doc_with_source(
		"page_count", json_integer(4294967294ll)));
	assert_int_equal(manifest->page_count, 4294967294ll);
	ark_manifest_free(manifest);
	/* 4096 x (2^52 + 1) wraps to 4096, the image's raw_size */
	expect_exact(doc_with_source("page_count",
				     json_integer(4503599627370497ll)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"page_count\" is 4503599627370497, "
		     "outside 0..4294967294");
	expect_exact(doc_with_source("page_count",
				     json_integer(4294967295ll)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"page_count\" is 4294967295, "
		     "outside 0..4294967294");
	expect_exact(doc_with_source("page_count", json_integer(-1)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"page_count\" is -1, outside "
		     "0..4294967294");
	doc = valid_doc();
	json_object_del(doc_source(doc), "page_count");
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: source: \"page_count\" is missing or not an "
		     "integer");
}

static void test_source_numbers(void **state)
{
	(void)state;
	/* a header field: more than page_count in a damaged database */
	expect_accepted(doc_with_source("freelist_count",
					json_integer(UINT32_MAX)));
	expect_exact(doc_with_source("freelist_count",
				     json_integer(4294967296ll)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"freelist_count\" is 4294967296, "
		     "outside 0..4294967295");
	expect_exact(doc_with_source("freelist_count", json_string("0")),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"freelist_count\" is not an "
		     "integer");
	expect_accepted(doc_with_source("size", json_integer(INT64_MAX)));
	expect_exact(doc_with_source("size", json_integer(-1)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"size\" is -1, outside "
		     "0..9223372036854775807");
	expect_accepted(doc_with_source("user_version",
					json_integer(INT32_MIN)));
	expect_accepted(doc_with_source("user_version",
					json_integer(INT32_MAX)));
	expect_exact(doc_with_source("user_version",
				     json_integer(2147483648ll)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"user_version\" is 2147483648, "
		     "outside -2147483648..2147483647");
	expect_exact(doc_with_source("application_id",
				     json_integer(-2147483649ll)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"application_id\" is -2147483649, "
		     "outside -2147483648..2147483647");
	expect_exact(doc_with_source("application_id", json_real(1.0)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"application_id\" is not an "
		     "integer");
}

static void test_source_strings(void **state)
{
	(void)state;
	/* from the system: any character, bounded */
	expect_accepted(doc_with_source("path", long_string('p', 4095)));
	expect_accepted(doc_with_source("path", json_string("/a\nb\x1b[2J")));
	expect_exact(doc_with_source("path", long_string('p', 4096)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"path\" is 4096 bytes long, outside "
		     "1..4095");
	expect_exact(doc_with_source("path", json_string("")),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"path\" is 0 bytes long, outside "
		     "1..4095");
	expect_exact(doc_with_source("path", json_integer(1)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"path\" is not a string");
	expect_accepted(doc_with_source("host", json_string("")));
	expect_accepted(doc_with_source("host", json_string("h\x1b]0;x\a")));
	expect_accepted(doc_with_source("host", long_string('h', 255)));
	expect_exact(doc_with_source("host", long_string('h', 256)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"host\" is 256 bytes long, outside "
		     "0..255");
	expect_accepted(doc_with_source("integrity_check",
					long_string('i', 65536)));
	expect_accepted(doc_with_source("integrity_check", json_string("")));
	expect_exact(doc_with_source("integrity_check",
				     long_string('i', 65537)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"integrity_check\" is 65537 bytes "
		     "long, outside 0..65536");
	expect_exact(doc_with_source("integrity_check", json_true()),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"integrity_check\" is not a string");
	/* written by ark or SQLite: a fixed alphabet */
	expect_accepted(doc_with_source("journal_mode", json_string("wal")));
	expect_exact(doc_with_source("journal_mode", json_string("WAL")),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"journal_mode\" holds a character "
		     "outside [a-z0-9]");
	expect_exact(doc_with_source("journal_mode", long_string('w', 16)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"journal_mode\" is 16 bytes long, "
		     "outside 1..15");
	expect_accepted(doc_with_source("sqlite_version",
					json_string("3.40.1")));
	expect_exact(doc_with_source("sqlite_version",
				     json_string("3.40.1\r")),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"sqlite_version\" holds a character "
		     "outside [0-9.]");
	expect_accepted(doc_with_source("schema_xxh128", json_string(HEX_A)));
	expect_exact(doc_with_source("schema_xxh128",
				     json_string("00112233445566778899"
						 "AABBCCDDEEFF")),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"schema_xxh128\" is not a hash (32 "
		     "lower-case hex digits)");
}

static void test_source_tables(void **state)
{
	(void)state;
	expect_accepted(doc_with_source("tables", json_array()));
	expect_accepted(doc_with_source(
		"tables", json_pack("[{s:s, s:I}, {s:s, s:I}]", "name", "",
				    "rows", (json_int_t)0, "name", "t\n1",
				    "rows", (json_int_t)INT64_MAX)));
	expect_exact(doc_with_source("tables", json_object()),
		     ARK_ERR_CORRUPT,
		     "manifest: source: \"tables\" is not an array");
	expect_exact(doc_with_source("tables", json_pack("[{s:s, s:i}, i]",
							 "name", "t", "rows",
							 1, 7)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: tables #2 is not an object");
	expect_exact(doc_with_source("tables",
				     json_pack("[{s:s, s:i}]", "name", "t",
					       "rows", -1)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: tables #1: \"rows\" is -1, outside "
		     "0..9223372036854775807");
	expect_exact(doc_with_source("tables",
				     json_pack("[{s:s, s:s}]", "name", "t",
					       "rows", "1")),
		     ARK_ERR_CORRUPT,
		     "manifest: source: tables #1: \"rows\" is missing or "
		     "not an integer");
	expect_exact(doc_with_source("tables", json_pack("[{s:i}]", "rows",
							 1)),
		     ARK_ERR_CORRUPT,
		     "manifest: source: tables #1: \"name\" is missing or "
		     "not a string");
}

static void test_member_role_and_hashes(void **state)
{
	json_t *doc;

	(void)state;
	doc = valid_doc();
	json_object_set_new(doc_member(doc, 1), "role",
			    json_string("table data"));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: member #2: \"role\" holds a character outside "
		     "[a-z0-9-]");
	doc = valid_doc();
	json_object_set_new(doc_member(doc, 0), "role", long_string('r', 64));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: member #1: \"role\" is 64 bytes long, outside "
		     "1..63");
	doc = valid_doc();
	json_object_set_new(doc_member(doc, 0), "role", long_string('r', 63));
	expect_accepted(doc);
	doc = valid_doc();
	json_object_set_new(doc_member(doc, 0), "raw_xxh128",
			    json_string("00112233445566778899AABBCCDDEEFF"));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: member #1: \"raw_xxh128\" is missing or not "
		     "a hash (32 lower-case hex digits)");
	doc = valid_doc();
	json_object_set_new(doc, "prefix_xxh128",
			    json_string("5555555555555555AAAAAAAAAAAAAAAA"));
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: \"prefix_xxh128\" is missing or not a hash "
		     "(32 lower-case hex digits)");
}

/* Sums of raw sizes are reported as JSON integers: no wrap, no sign. */
static void test_raw_size_total(void **state)
{
	json_t *doc;

	(void)state;
	doc = valid_doc();
	set_member_int(doc, 0, "raw_size", INT64_MAX);
	expect_accepted(doc);
	doc = valid_doc();
	set_member_int(doc, 0, "raw_size", INT64_MAX);
	set_member_int(doc, 1, "raw_size", 1);
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: the members' raw sizes add up to more than "
		     "9223372036854775807 bytes");
}

static void test_member_count_limit(void **state)
{
	json_t *doc = valid_doc();
	json_t *members = json_array();

	(void)state;
	assert_non_null(members);
	for (size_t i = 0; i <= ARK_MANIFEST_MAX_MEMBERS; i++)
		json_array_append_new(members, json_null());
	json_object_set_new(doc, "members", members);
	expect_exact(doc, ARK_ERR_CORRUPT,
		     "manifest: \"members\" lists 1000001 members, more than "
		     "1000000");
}

/* The sqlite image: one member, database.sqlite.zst, of the pages' size. */
static void test_sqlite_image(void **state)
{
	struct ark_manifest *manifest;
	struct ark_error err;
	size_t index = 99;
	json_t *doc;

	(void)state;
	doc = valid_doc();
	json_array_remove(json_object_get(doc, "members"), 1);
	json_object_set_new(doc, "prefix_size", json_integer(2048));
	manifest = expect_parsed(doc);
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_sqlite_image(manifest, &index, &err), 0);
	assert_int_equal(index, 0);
	/* one page more than the image holds */
	manifest->page_count = 2;
	assert_int_equal(ark_manifest_sqlite_image(manifest, &index, &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg,
			    "the image's raw size does not match the "
			    "source's page_size x page_count (4096 bytes, "
			    "not 4096 x 2)");
	manifest->page_count = 1;
	strcpy(manifest->members[0].role, "other");
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_sqlite_image(manifest, &index, &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg, "a sqlite archive must hold one member, "
				     "database.sqlite.zst");
	strcpy(manifest->kind, "pg");
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_sqlite_image(manifest, &index, &err),
			 ARK_ERR_UNSUPPORTED);
	assert_string_equal(err.msg, "a 'pg' archive, not a SQLite one");
	ark_manifest_free(manifest);

	/* two members */
	manifest = expect_parsed(valid_doc());
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_sqlite_image(manifest, &index, &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg, "a sqlite archive must hold one member, "
				     "database.sqlite.zst");
	ark_manifest_free(manifest);

	/* no member at all */
	doc = valid_doc();
	json_object_set_new(doc, "members", json_array());
	json_object_set_new(doc, "prefix_size", json_integer(0));
	manifest = expect_parsed(doc);
	ark_error_clear(&err);
	assert_int_equal(ark_manifest_sqlite_image(manifest, &index, &err),
			 ARK_ERR_CORRUPT);
	ark_manifest_free(manifest);
}

static void test_max_bytes(void **state)
{
	(void)state;
	assert_int_equal(ark_manifest_max_bytes(0), 16u << 20);
	assert_int_equal(ark_manifest_max_bytes(3), (16u << 20) + 3 * 4096);
	/* 12288 members reach 64 MiB; more stay there */
	assert_int_equal(ark_manifest_max_bytes(12288), 64u << 20);
	assert_int_equal(ark_manifest_max_bytes(12289), 64u << 20);
	assert_int_equal(ark_manifest_max_bytes(UINT64_MAX), 64u << 20);
}

static void test_format_time(void **state)
{
	char text[ARK_TIME_TEXT_SIZE];

	(void)state;
	assert_int_equal(ark_manifest_format_time(0, text), 0);
	assert_string_equal(text, "1970-01-01T00:00:00Z");
	assert_int_equal(ark_manifest_format_time(1763861880, text), 0);
	assert_string_equal(text, "2025-11-23T01:38:00Z");
	assert_int_equal(ark_manifest_format_time(ARK_CREATED_UNIX_MAX, text),
			 0);
	assert_string_equal(text, "2242-03-16T12:56:31Z");
	assert_int_equal(ark_manifest_format_time(253402300799ll, text), 0);
	assert_string_equal(text, "9999-12-31T23:59:59Z");
	assert_int_equal(ark_manifest_format_time(-62167219200ll, text), 0);
	assert_string_equal(text, "0000-01-01T00:00:00Z");
	/* past year 9999, before year 0, past gmtime_r: refused, "" */
	assert_int_equal(ark_manifest_format_time(253402300800ll, text), -1);
	assert_string_equal(text, "");
	assert_int_equal(ark_manifest_format_time(-62167219201ll, text), -1);
	assert_int_equal(ark_manifest_format_time(99999999999999999ll, text),
			 -1);
	assert_int_equal(ark_manifest_format_time(INT64_MAX, text), -1);
	assert_int_equal(ark_manifest_format_time(INT64_MIN, text), -1);
}

/* ---- serialization --------------------------------------------------- */

static void test_dump_exact(void **state)
{
	json_t *doc = json_pack("{s:s, s:i, s:[i, i], s:{s:s}}", "z", "last?",
				"a", 1, "list", 1, 2, "obj", "k", "v");
	size_t len = 0;
	char *text;
	static const char expected[] =
		"{\n"
		"  \"z\": \"last?\",\n"
		"  \"a\": 1,\n"
		"  \"list\": [\n"
		"    1,\n"
		"    2\n"
		"  ],\n"
		"  \"obj\": {\n"
		"    \"k\": \"v\"\n"
		"  }\n"
		"}\n";

	(void)state;
	assert_non_null(doc);
	text = ark_manifest_dump(doc, &len);
	assert_non_null(text);
	assert_int_equal(len, sizeof(expected) - 1);
	assert_string_equal(text, expected);
	free(text);
	json_decref(doc);
}

static void test_member_to_json_round_trip(void **state)
{
	struct ark_member_info member;
	json_t *object;
	char hex[ARK_HASH_HEX_LEN + 1];

	(void)state;
	memset(&member, 0, sizeof(member));
	strcpy(member.path, "data/t1.copy.zst");
	strcpy(member.role, "table-data");
	member.header_offset = 1024;
	member.data_offset = 2560;
	member.stored_size = 77;
	member.raw_size = 5000000000ull;
	assert_int_equal(ark_hash_from_hex(HEX_A, &member.stored_hash), 0);
	assert_int_equal(ark_hash_from_hex(HEX_B, &member.raw_hash), 0);
	object = ark_manifest_member_to_json(&member);
	assert_non_null(object);
	assert_int_equal(json_object_size(object), 8);
	assert_string_equal(json_string_value(json_object_get(object, "path")),
			    "data/t1.copy.zst");
	assert_string_equal(json_string_value(json_object_get(object, "role")),
			    "table-data");
	assert_int_equal(json_integer_value(json_object_get(object,
							    "header_offset")),
			 1024);
	assert_int_equal(json_integer_value(json_object_get(object,
							    "data_offset")),
			 2560);
	assert_int_equal(json_integer_value(json_object_get(object,
							    "stored_size")),
			 77);
	assert_int_equal(json_integer_value(json_object_get(object,
							    "raw_size")),
			 5000000000ll);
	assert_string_equal(json_string_value(json_object_get(
				    object, "stored_xxh128")),
			    HEX_A);
	assert_string_equal(json_string_value(json_object_get(object,
							      "raw_xxh128")),
			    HEX_B);
	ark_hash_to_hex(member.raw_hash, hex);
	assert_string_equal(hex, HEX_B);
	json_decref(object);
}

/* ---- XXH128SUMS ------------------------------------------------------ */

static void test_sums_text_exact(void **state)
{
	struct ark_member_info members[2];
	struct ark_hash128 manifest_hash;
	size_t len = 0;
	char *text;
	static const char expected[] =
		HEX_A "  database.sqlite.zst\n"
		HEX_B "  database.sqlite\n"
		HEX_C "  data/t1.copy.zst\n"
		HEX_D "  data/t1.copy\n"
		HEX_P "  MANIFEST.json\n";

	(void)state;
	memset(members, 0, sizeof(members));
	strcpy(members[0].path, "database.sqlite.zst");
	strcpy(members[1].path, "data/t1.copy.zst");
	assert_int_equal(ark_hash_from_hex(HEX_A, &members[0].stored_hash), 0);
	assert_int_equal(ark_hash_from_hex(HEX_B, &members[0].raw_hash), 0);
	assert_int_equal(ark_hash_from_hex(HEX_C, &members[1].stored_hash), 0);
	assert_int_equal(ark_hash_from_hex(HEX_D, &members[1].raw_hash), 0);
	assert_int_equal(ark_hash_from_hex(HEX_P, &manifest_hash), 0);
	text = ark_manifest_sums_text(members, 2, manifest_hash, &len);
	assert_non_null(text);
	assert_int_equal(len, sizeof(expected) - 1);
	assert_memory_equal(text, expected, len);
	free(text);
}

static void test_sums_text_no_members_and_longest_path(void **state)
{
	struct ark_member_info member;
	struct ark_hash128 manifest_hash;
	size_t len = 0;
	char *text;
	char expected[2 * (ARK_HASH_HEX_LEN + 2 + ARK_MEMBER_PATH_MAX + 1) +
		      64];

	(void)state;
	assert_int_equal(ark_hash_from_hex(HEX_P, &manifest_hash), 0);
	text = ark_manifest_sums_text(NULL, 0, manifest_hash, &len);
	assert_non_null(text);
	assert_int_equal(len, 32 + 2 + 13 + 1);
	assert_memory_equal(text, HEX_P "  MANIFEST.json\n", len);
	free(text);

	/* a 255-byte path: the buffer must hold both lines */
	memset(&member, 0, sizeof(member));
	memset(member.path, 'q', ARK_MEMBER_PATH_MAX);
	memcpy(member.path + ARK_MEMBER_PATH_MAX - 4, ".zst", 5);
	assert_int_equal(ark_hash_from_hex(HEX_A, &member.stored_hash), 0);
	assert_int_equal(ark_hash_from_hex(HEX_B, &member.raw_hash), 0);
	snprintf(expected, sizeof(expected), "%s  %s\n%s  %.*s\n%s  %s\n",
		 HEX_A, member.path, HEX_B, ARK_MEMBER_PATH_MAX - 4,
		 member.path, HEX_P, "MANIFEST.json");
	text = ark_manifest_sums_text(&member, 1, manifest_hash, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(expected));
	assert_memory_equal(text, expected, len);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_valid_accepts),
		cmocka_unit_test(test_path_valid_rejects),
		cmocka_unit_test(test_path_is_data),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_no_members),
		cmocka_unit_test(test_parse_ignores_unknown_keys),
		cmocka_unit_test(test_parse_kind_pg),
		cmocka_unit_test(test_parse_missing_top_level_keys),
		cmocka_unit_test(test_parse_missing_member_keys),
		cmocka_unit_test(test_parse_wrong_types),
		cmocka_unit_test(test_parse_not_an_object),
		cmocka_unit_test(test_parse_only_len_bytes),
		cmocka_unit_test(test_parse_format_version_unsupported),
		cmocka_unit_test(test_parse_algorithms_and_source),
		cmocka_unit_test(test_parse_unknown_kind),
		cmocka_unit_test(test_parse_duplicate_json_keys),
		cmocka_unit_test(test_parse_bad_hashes),
		cmocka_unit_test(test_parse_offsets),
		cmocka_unit_test(test_parse_offsets_wrap),
		cmocka_unit_test(test_parse_prefix_size),
		cmocka_unit_test(test_parse_duplicate_member_path),
		cmocka_unit_test(test_parse_reserved_and_unsafe_paths),
		cmocka_unit_test(test_created_unix_range),
		cmocka_unit_test(test_created_text),
		cmocka_unit_test(test_tool_strings),
		cmocka_unit_test(test_kind_token),
		cmocka_unit_test(test_version_decided_first),
		cmocka_unit_test(test_page_size),
		cmocka_unit_test(test_page_count),
		cmocka_unit_test(test_source_numbers),
		cmocka_unit_test(test_source_strings),
		cmocka_unit_test(test_source_tables),
		cmocka_unit_test(test_member_role_and_hashes),
		cmocka_unit_test(test_raw_size_total),
		cmocka_unit_test(test_member_count_limit),
		cmocka_unit_test(test_sqlite_image),
		cmocka_unit_test(test_max_bytes),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_dump_exact),
		cmocka_unit_test(test_member_to_json_round_trip),
		cmocka_unit_test(test_sums_text_exact),
		cmocka_unit_test(test_sums_text_no_members_and_longest_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
