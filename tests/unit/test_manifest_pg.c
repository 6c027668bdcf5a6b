/*
 * test_manifest_pg.c - the manifest of a `pg` archive as untrusted input
 * (docs/archive-format.md, "Kind pg"): a valid document is accepted, and
 * each hostile value - names, columns, types, row counts, digests, member
 * roles and paths, the layout, the source - is refused with its exact
 * message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/manifest.h"
#include "ark/pgarchive.h"

#define HEX_A "0123456789abcdef0123456789abcdef"
#define HEX_D "00112233445566778899aabbccddeeff"
#define NAME63 "a23456789b23456789c23456789d23456789e23456789f23456789g23456789"

static json_t *member(const char *path, const char *role, json_int_t index,
		      json_int_t raw)
{
	json_t *m = json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:s}",
			      "path", path, "role", role,
			      "header_offset", index * 2048,
			      "data_offset", index * 2048 + 1536,
			      "stored_size", (json_int_t)100,
			      "stored_xxh128", HEX_A,
			      "raw_size", raw, "raw_xxh128", HEX_A);

	assert_non_null(m);
	return m;
}

static json_t *table_member(const char *path, json_int_t index,
			    const char *name)
{
	json_t *m = member(path, "pg-table-data", index, 50);

	json_object_set_new(
		m, "table",
		json_pack("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "schema",
			  "public", "name", name, "columns", "name", "id",
			  "type", "bigint", "name", "label", "type",
			  "character varying(20)"));
	json_object_set_new(m, "rows", json_integer(3));
	json_object_set_new(m, "content_digest", json_string("3:" HEX_D));
	return m;
}

/* pre-data, two tables, post-data: members tile [0, 8192). */
static json_t *pg_doc(void)
{
	json_t *doc = json_pack(
		"{s:s, s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:s, "
		"s:{s:s, s:s}, s:[o, o, o, o], s:I, s:s}",
		"format", "ark", "format_version", 1, "kind", "pg",
		"created", "2025-11-23T01:38:00Z",
		"created_unix", (json_int_t)1763861880,
		"tool", "test", "tool_version", "0.1.0",
		"hash", "xxh3-128", "compression", "zstd",
		"source", "type", "sqlite", "path", "/x/app.db",
		"members",
		member("schema/pre-data.sql.zst", "pg-pre-data", 0, 10),
		table_member("data/0000001.copy.zst", 1, "t"),
		table_member("data/0000002.copy.zst", 2, "u"),
		member("schema/post-data.sql.zst", "pg-post-data", 3, 0),
		"prefix_size", (json_int_t)8192, "prefix_xxh128", HEX_A);

	assert_non_null(doc);
	return doc;
}

/*
 * Set the value at a dotted path ("members.1.table.name"; numbers index
 * arrays) to value (stolen); NULL deletes the key.
 */
static void set_at(json_t *doc, const char *dotted, json_t *value)
{
	char path[256];
	char *save = NULL;
	char *part;
	char *next;
	json_t *node = doc;

	snprintf(path, sizeof(path), "%s", dotted);
	part = strtok_r(path, ".", &save);
	while ((next = strtok_r(NULL, ".", &save)) != NULL) {
		node = json_is_array(node)
			       ? json_array_get(node, strtoul(part, NULL, 10))
			       : json_object_get(node, part);
		assert_non_null(node);
		part = next;
	}
	if (json_is_array(node)) {
		assert_non_null(value);
		json_array_set_new(node, strtoul(part, NULL, 10), value);
	} else if (value)
		json_object_set_new(node, part, value);
	else
		json_object_del(node, part);
}

static int parse(json_t *doc, struct ark_manifest **out, struct ark_error *err)
{
	size_t len = 0;
	char *text = ark_manifest_dump(doc, &len);
	int rc;

	assert_non_null(text);
	ark_error_clear(err);
	rc = ark_manifest_parse(text, len, out, err);
	free(text);
	json_decref(doc);
	return rc;
}

static void expect_accepted(json_t *doc)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;

	if (parse(doc, &manifest, &err) != 0)
		fail_msg("refused: %s", err.msg);
	ark_manifest_free(manifest);
}

static void expect_refused(json_t *doc, const char *message)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;

	assert_int_equal(parse(doc, &manifest, &err), ARK_ERR_CORRUPT);
	assert_null(manifest);
	assert_string_equal(err.msg, message);
}

/* One change to the valid document, refused with message. */
static void refused_with(const char *dotted, json_t *value,
			 const char *message)
{
	json_t *doc = pg_doc();

	set_at(doc, dotted, value);
	expect_refused(doc, message);
}

static void accepted_with(const char *dotted, json_t *value)
{
	json_t *doc = pg_doc();

	set_at(doc, dotted, value);
	expect_accepted(doc);
}

static void test_valid(void **state)
{
	struct ark_manifest *manifest = NULL;
	struct ark_error err;

	(void)state;
	assert_int_equal(parse(pg_doc(), &manifest, &err), 0);
	assert_string_equal(manifest->kind, "pg");
	assert_int_equal(manifest->member_count, 4);
	assert_int_equal(manifest->members[0].has_digest, 0);
	assert_int_equal(manifest->members[1].has_digest, 1);
	assert_int_equal(manifest->members[1].content_digest.rows, 3);
	assert_int_equal(manifest->members[1].content_digest.sum.high,
			 0x0011223344556677ull);
	assert_int_equal(manifest->members[1].content_digest.sum.low,
			 0x8899aabbccddeeffull);
	assert_int_equal(manifest->members[3].has_digest, 0);
	ark_manifest_free(manifest);
}

static void test_source(void **state)
{
	static const char type_message[] =
		"manifest: source: \"type\" is missing or not \"sqlite\" or "
		"\"postgresql\"";
	json_t *doc;

	(void)state;
	refused_with("source.type", NULL, type_message);
	refused_with("source.type", json_string("mysql"), type_message);
	refused_with("source.type", json_integer(1), type_message);
	refused_with("source.path", json_string(""),
		     "manifest: source: \"path\" is 0 bytes long, outside "
		     "1..4095");
	refused_with("source.archive_xxh128", json_string("xyz"),
		     "manifest: source: \"archive_xxh128\" is not a hash (32 "
		     "lower-case hex digits)");
	refused_with("source.sqlite_version", json_string("3.x"),
		     "manifest: source: \"sqlite_version\" holds a character "
		     "outside [0-9.]");
	refused_with("source.size", json_integer(-1),
		     "manifest: source: \"size\" is -1, outside "
		     "0..9223372036854775807");
	accepted_with("source.archive_xxh128", json_string(HEX_A));
	refused_with("source.archive_path", json_integer(7),
		     "manifest: source: \"archive_path\" is not a string");
	accepted_with("source.archive_path", json_string("/a/b\nc.ark"));

	/* a backup's source */
	doc = pg_doc();
	set_at(doc, "source",
	       json_pack("{s:s, s:i, s:s, s:s, s:s}", "type", "postgresql",
			 "server_version", 150004, "database", "app\n\"x\"",
			 "snapshot", "00000003-0000001B-1", "host",
			 "db.example"));
	expect_accepted(doc);
	doc = pg_doc();
	set_at(doc, "source",
	       json_pack("{s:s, s:i}", "type", "postgresql", "server_version",
			 90199));
	expect_refused(doc, "manifest: source: \"server_version\" is 90199, "
			    "outside 90200..9999999");
	doc = pg_doc();
	set_at(doc, "source",
	       json_pack("{s:s, s:i}", "type", "postgresql", "server_version",
			 150004));
	expect_refused(doc, "manifest: source: \"database\" is missing or "
			    "not a string");
	doc = pg_doc();
	set_at(doc, "source",
	       json_pack("{s:s, s:i, s:s}", "type", "postgresql",
			 "server_version", 150004, "database", NAME63 "x"));
	expect_refused(doc, "manifest: source: \"database\" is 64 bytes long, "
			    "outside 1..63");
	doc = pg_doc();
	set_at(doc, "source",
	       json_pack("{s:s, s:i, s:s, s:s}", "type", "postgresql",
			 "server_version", 150004, "database", "app",
			 "snapshot", "00000003-0000001b-1"));
	expect_refused(doc, "manifest: source: \"snapshot\" holds a character "
			    "outside [0-9A-F-]");
}

static void test_layout(void **state)
{
	json_t *doc;

	(void)state;
	refused_with("members.0.role", json_string("sqlite-image"),
		     "manifest: member #1: role \"sqlite-image\" is not a pg "
		     "archive's");
	refused_with("members.0.path", json_string("schema/pre.sql.zst"),
		     "manifest: member #1: the pre-data SQL is not at "
		     "schema/pre-data.sql.zst");
	refused_with("members.3.path", json_string("post.sql.zst"),
		     "manifest: member #4: the post-data SQL is not at "
		     "schema/post-data.sql.zst");
	/* a table where the pre-data SQL must be */
	refused_with("members.0.role", json_string("pg-table-data"),
		     "manifest: member #1: a table's path is not "
		     "data/NNNNNNN.copy.zst");
	/* the post-data member missing */
	doc = pg_doc();
	json_array_remove(json_object_get(doc, "members"), 3);
	set_at(doc, "prefix_size", json_integer(6144));
	expect_refused(doc, "manifest: a pg archive holds one pre-data and "
			    "one post-data member, not 1 and 0");
	/* two post-data members (at two paths: one is misplaced) */
	doc = pg_doc();
	set_at(doc, "members.0",
	       member("schema/post-data.sql.zst", "pg-post-data", 0, 10));
	expect_refused(doc, "manifest: member 'schema/post-data.sql.zst' is "
			    "listed twice");
	refused_with("members.1.path", json_string("data/1.copy.zst"),
		     "manifest: member #2: a table's path is not "
		     "data/NNNNNNN.copy.zst");
	refused_with("members.1.path", json_string("data/000000a.copy.zst"),
		     "manifest: member #2: a table's path is not "
		     "data/NNNNNNN.copy.zst");
	refused_with("members.1.path", json_string("data/00000001.copy.zst"),
		     "manifest: member #2: a table's path is not "
		     "data/NNNNNNN.copy.zst");
	refused_with("members.1.path", json_string("data/0000001.sql.zst"),
		     "manifest: member #2: a table's path is not "
		     "data/NNNNNNN.copy.zst");
	/* no tables at all is an archive of an empty database */
	doc = pg_doc();
	json_array_remove(json_object_get(doc, "members"), 1);
	json_array_remove(json_object_get(doc, "members"), 1);
	set_at(doc, "members.1",
	       member("schema/post-data.sql.zst", "pg-post-data", 1, 0));
	set_at(doc, "prefix_size", json_integer(4096));
	expect_accepted(doc);
}

static void test_table(void **state)
{
	char long_type[ARK_PG_TYPE_TEXT_MAX + 2];
	json_t *columns;
	json_t *doc;

	(void)state;
	refused_with("members.1.table", NULL,
		     "manifest: member #2: \"table\" is missing or not an "
		     "object");
	refused_with("members.1.table", json_string("t"),
		     "manifest: member #2: \"table\" is missing or not an "
		     "object");
	refused_with("members.1.table.schema", json_string(""),
		     "manifest: member #2: \"schema\" is 0 bytes long, outside "
		     "1..63");
	refused_with("members.1.table.schema", NULL,
		     "manifest: member #2: \"schema\" is missing or not a "
		     "string");
	refused_with("members.1.table.name", json_string(NAME63 "x"),
		     "manifest: member #2: \"name\" is 64 bytes long, outside "
		     "1..63");
	/* 21 three-byte characters: 63 bytes */
	accepted_with("members.1.table.name",
		      json_string("表表表表表表表表表表表表表表表表表表表表表"));
	accepted_with("members.1.table.name",
		      json_string("quote\"new\nline\ttab\\ \x7f\x01"));
	accepted_with("members.1.table.name", json_string(NAME63));
	/* the same name in another schema is another table */
	doc = pg_doc();
	set_at(doc, "members.2.table.name", json_string("t"));
	set_at(doc, "members.2.table.schema", json_string("other"));
	expect_accepted(doc);
	refused_with("members.2.table.name", json_string("t"),
		     "manifest: member #3 holds the same table as member "
		     "#2");

	refused_with("members.1.table.columns", NULL,
		     "manifest: member #2: \"columns\" is missing or not an "
		     "array");
	refused_with("members.1.table.columns.0", json_string("id"),
		     "manifest: member #2: column #1: not an object");
	refused_with("members.1.table.columns.1.name", NULL,
		     "manifest: member #2: column #2: \"name\" is missing or "
		     "not a string");
	refused_with("members.1.table.columns.1.name", json_string("id"),
		     "manifest: member #2: two columns have the same name");
	refused_with("members.1.table.columns.1.name", json_string(""),
		     "manifest: member #2: column #2: \"name\" is 0 bytes "
		     "long, outside 1..63");
	refused_with("members.1.table.columns.1.type",
		     json_string("text\n; DROP TABLE t"),
		     "manifest: member #2: column #2: \"type\" holds a "
		     "character outside non-control characters");
	refused_with("members.1.table.columns.1.type", json_string("te\x7fxt"),
		     "manifest: member #2: column #2: \"type\" holds a "
		     "character outside non-control characters");
	refused_with("members.1.table.columns.1.type", json_integer(25),
		     "manifest: member #2: column #2: \"type\" is missing or "
		     "not a string");
	memset(long_type, 'x', sizeof(long_type) - 1);
	long_type[sizeof(long_type) - 1] = '\0';
	refused_with("members.1.table.columns.1.type", json_string(long_type),
		     "manifest: member #2: column #2: \"type\" is 1025 bytes "
		     "long, outside 1..1024");
	long_type[sizeof(long_type) - 2] = '\0';
	accepted_with("members.1.table.columns.1.type",
		      json_string(long_type));
	accepted_with("members.1.table.columns.1.type",
		      json_string("\"My \"\"Type\"\"\"[]"));
	/* no columns: legal in PostgreSQL */
	accepted_with("members.1.table.columns", json_array());
	/* 1600 columns, then 1601 */
	columns = json_array();
	for (int i = 0; i < ARK_PG_COLUMNS_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%d", i);
		json_array_append_new(columns, json_pack("{s:s, s:s}", "name",
							 name, "type",
							 "text"));
	}
	accepted_with("members.1.table.columns", json_deep_copy(columns));
	json_array_append_new(columns, json_pack("{s:s, s:s}", "name", "last",
						 "type", "text"));
	refused_with("members.1.table.columns", columns,
		     "manifest: member #2: \"columns\" lists 1601 columns, "
		     "more than 1600");
}

static void test_rows_and_digest(void **state)
{
	static const char digest_message[] =
		"manifest: member #2: \"content_digest\" is missing or not "
		"<rows>:<32 lower-case hex digits>";
	json_t *doc;

	(void)state;
	refused_with("members.1.rows", NULL,
		     "manifest: member #2: \"rows\" is missing or not an "
		     "integer");
	refused_with("members.1.rows", json_string("3"),
		     "manifest: member #2: \"rows\" is missing or not an "
		     "integer");
	refused_with("members.1.rows", json_integer(-1),
		     "manifest: member #2: \"rows\" is -1, outside "
		     "0..9223372036854775807");
	/* every row ends in a newline: no more rows than raw bytes */
	refused_with("members.1.rows", json_integer(51),
		     "manifest: member #2: \"rows\" is 51, more than its 50 "
		     "raw bytes");
	doc = pg_doc();
	set_at(doc, "members.1.rows", json_integer(50));
	set_at(doc, "members.1.content_digest", json_string("50:" HEX_D));
	expect_accepted(doc);
	refused_with("members.1.content_digest", NULL, digest_message);
	refused_with("members.1.content_digest", json_integer(3),
		     digest_message);
	refused_with("members.1.content_digest", json_string(HEX_D),
		     digest_message);
	refused_with("members.1.content_digest", json_string("3:"),
		     digest_message);
	refused_with("members.1.content_digest",
		     json_string("3:0123456789ABCDEF0123456789abcdef"),
		     digest_message);
	refused_with("members.1.content_digest",
		     json_string("3:0123456789abcdef0123456789abcde"),
		     digest_message);
	refused_with("members.1.content_digest",
		     json_string("3:0123456789abcdef0123456789abcdef0"),
		     digest_message);
	refused_with("members.1.content_digest", json_string("03:" HEX_D),
		     digest_message);
	refused_with("members.1.content_digest", json_string("+3:" HEX_D),
		     digest_message);
	refused_with("members.1.content_digest", json_string(":" HEX_D),
		     digest_message);
	refused_with("members.1.content_digest",
		     json_string("18446744073709551616:" HEX_D),
		     digest_message);
	refused_with("members.1.content_digest",
		     json_string("184467440737095516150:" HEX_D),
		     digest_message);
	refused_with("members.1.content_digest", json_string("2:" HEX_D),
		     "manifest: member #2: \"content_digest\" counts 2 rows, "
		     "\"rows\" 3");
	refused_with("members.1.content_digest",
		     json_string("18446744073709551615:" HEX_D),
		     "manifest: member #2: \"content_digest\" counts "
		     "18446744073709551615 rows, \"rows\" 3");
	doc = pg_doc();
	set_at(doc, "members.1.rows", json_integer(0));
	set_at(doc, "members.1.content_digest",
	       json_string("0:00000000000000000000000000000000"));
	expect_accepted(doc);
}

/* The writer runs the same checks on what it is asked to write. */
static void test_check_pg_table(void **state)
{
	struct ark_error err = { 0 };
	json_t *table = json_pack("{s:s, s:s, s:[]}", "schema", "s", "name",
				  "t", "columns");

	(void)state;
	assert_int_equal(ark_manifest_check_pg_table(table, "x", &err), 0);
	json_object_set_new(table, "name", json_string(""));
	assert_int_equal(ark_manifest_check_pg_table(table, "x", &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg, "manifest: x: \"name\" is 0 bytes long, "
				     "outside 1..63");
	json_decref(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_rows_and_digest),
		cmocka_unit_test(test_check_pg_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
