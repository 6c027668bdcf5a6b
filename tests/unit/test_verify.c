/*
 * test_verify.c - ark_verify_run (include/ark/verify.h), plain and deep,
 * on archives written by ark_snapshot_run and by the archive writer, and
 * on damaged ones: the exact code and what the result still reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sqlite_helpers.h"
#include "pgarchive_helpers.h"
#include "unit_helpers.h"

#include <errno.h>
#include <sqlite3.h>
#include <time.h>

#include "ark/archive.h"
#include "ark/hash.h"
#include "ark/report.h"
#include "ark/snapshot.h"
#include "ark/verify.h"
#include "core/tar_internal.h"

#define ROWS 300

struct fixture {
	char dir[PATH_MAX];
	char db[PATH_MAX + 32];
	char archive[PATH_MAX + 32];
	char tmp[PATH_MAX + 32];
};

static void create_db(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	unit_exec_sql(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
			  "CREATE INDEX t_v ON t(v);"
			  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
			  "  SELECT i + 1 FROM n WHERE i < 300) "
			  "INSERT INTO t SELECT i, printf('value-%05d', i) "
			  "FROM n;");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* A database whose index no longer matches its definition. */
static void damage_db(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	unit_exec_sql(db, "PRAGMA writable_schema = ON;"
			  "UPDATE sqlite_schema SET sql = "
			  "'CREATE INDEX t_v ON t(id)' WHERE name = 't_v';");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void snapshot_to(const char *db, const char *archive)
{
	struct ark_error err;

	if (unit_snapshot_db(db, archive, &err) != 0)
		fail_msg("snapshot: %s", err.msg);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	unit_make_temp_dir(fx->dir, sizeof(fx->dir));
	snprintf(fx->db, sizeof(fx->db), "%s/app.db", fx->dir);
	snprintf(fx->archive, sizeof(fx->archive), "%s/app.ark", fx->dir);
	snprintf(fx->tmp, sizeof(fx->tmp), "%s/tmp", fx->dir);
	if (mkdir(fx->tmp, 0700) != 0)
		return -1;
	create_db(fx->db);
	snapshot_to(fx->db, fx->archive);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	unit_remove_tree(fx->dir);
	free(fx);
	return 0;
}

static uint64_t octal12(const uint8_t *field)
{
	uint64_t value = 0;

	for (int i = 0; i < 11; i++)
		value = value * 8 + (uint64_t)(field[i] - '0');
	return value;
}

/*
 * Replace `from` by `to` (same length) in the archive's MANIFEST.json and
 * re-seal it: the manifest's line in XXH128SUMS gets the new hash, so
 * the archive is consistent again, as a careful forger would leave it.
 */
static void reseal_manifest(const char *path, const char *from,
			    const char *to)
{
	struct ark_archive_reader *reader = NULL;
	struct ark_error err;
	uint64_t prefix;
	uint64_t manifest_len, sums_off, sums_len;
	size_t len = 0;
	uint8_t *file;
	uint8_t *manifest;
	uint8_t *at;
	char hex[ARK_HASH_HEX_LEN + 1];

	assert_int_equal(strlen(from), strlen(to));
	ark_error_clear(&err);
	assert_int_equal(ark_archive_reader_open(path, &reader, &err), 0);
	prefix = ark_archive_reader_manifest(reader)->prefix_size;
	ark_archive_reader_free(reader);
	file = unit_read_all(path, &len);
	manifest = file + prefix + ARK_TAR_MEMBER_HEADER_SIZE;
	manifest_len = octal12(file + prefix + 1024 + 124);
	at = memmem(manifest, manifest_len, from, strlen(from));
	assert_non_null(at);
	memcpy(at, to, strlen(to));
	sums_off = prefix + ARK_TAR_MEMBER_HEADER_SIZE + manifest_len +
		   ark_tar_padding(manifest_len);
	sums_len = octal12(file + sums_off + 1024 + 124);
	sums_off += ARK_TAR_MEMBER_HEADER_SIZE;
	ark_hash_to_hex(ark_hash_buffer(manifest, manifest_len), hex);
	assert_memory_equal(file + sums_off + sums_len - 16,
			    "  MANIFEST.json\n", 16);
	memcpy(file + sums_off + sums_len - 16 - ARK_HASH_HEX_LEN, hex,
	       ARK_HASH_HEX_LEN);
	unit_write_all(path, file, len);
	free(file);
}

/* An archive written directly: kind, and one member of raw bytes. */
static void write_custom_archive(const char *path, const char *kind,
				 const char *member, const char *role,
				 const uint8_t *raw, size_t raw_len)
{
	unit_write_archive(path, "test_verify", kind, member, role, raw,
			   raw_len);
}

static void verify(const char *path, int deep, const char *tmpdir,
		   struct ark_verify_result *result, struct ark_error *err,
		   int expected)
{
	/* deep 2: --deep --full-check */
	struct ark_verify_options options = { .deep = deep != 0,
					      .full_check = deep == 2,
					      .tmpdir = tmpdir };
	int rc;

	ark_error_clear(err);
	memset(result, 0x5a, sizeof(*result));
	rc = ark_verify_run(path, &options, result, err);
	if (rc != expected)
		fail_msg("ark_verify_run returned %d, expected %d: %s", rc,
			 expected, err->msg);
	assert_int_equal(err->code, expected);
}

/* ---- intact archives ------------------------------------------------- */

static void check_fields(const struct fixture *fx,
			 const struct ark_verify_result *result)
{
	struct ark_archive_reader *reader = NULL;
	const struct ark_manifest *manifest;
	struct ark_error err;
	struct stat st;
	char created[32];
	time_t when;

	ark_error_clear(&err);
	assert_int_equal(ark_archive_reader_open(fx->archive, &reader, &err),
			 0);
	manifest = ark_archive_reader_manifest(reader);
	assert_int_equal(stat(fx->archive, &st), 0);
	assert_string_equal(result->path, fx->archive);
	assert_string_equal(result->kind, "sqlite");
	when = (time_t)manifest->created_unix;
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime(&when));
	assert_string_equal(result->created, created);
	assert_string_equal(result->created,
			    json_string_value(json_object_get(manifest->root,
							      "created")));
	assert_int_equal(result->member_count, 1);
	assert_int_equal(result->file_size, st.st_size);
	assert_int_equal(result->raw_bytes, manifest->members[0].raw_size);
	assert_true(result->raw_bytes > 0);
	assert_int_equal(result->raw_bytes % 4096, 0);
	ark_archive_reader_free(reader);
}

static void test_plain(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;

	verify(fx->archive, 0, fx->tmp, &result, &err, 0);
	check_fields(fx, &result);
	assert_int_equal(result.deep, 0);
	assert_string_equal(result.integrity, "");
}

static void test_deep(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;

	verify(fx->archive, 1, fx->tmp, &result, &err, 0);
	check_fields(fx, &result);
	assert_int_equal(result.deep, 1);
	assert_string_equal(result.integrity, "ok");
	/* the image's temporary is gone */
	assert_int_equal(unit_count_entries(fx->tmp), 0);
}

static void test_deep_uses_tmpdir_env(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;

	setenv("TMPDIR", fx->tmp, 1);
	verify(fx->archive, 1, NULL, &result, &err, 0);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	assert_string_equal(result.integrity, "ok");
	assert_int_equal(unit_count_entries(fx->tmp), 0);
}

static void test_deep_unwritable_tmpdir(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	char missing[PATH_MAX + 64];

	snprintf(missing, sizeof(missing), "%s/no-such-dir", fx->dir);
	verify(fx->archive, 1, missing, &result, &err, ARK_ERR_WRITE);
	assert_error(err, ARK_ERR_WRITE, "no-such-dir");
	/* the stored data was checked before the deep step */
	assert_int_equal(result.deep, 1);
}

/* ---- damaged archives ------------------------------------------------ */

static void test_flipped_data_plain_and_deep(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	struct stat st;

	/* a byte in the middle of the compressed image */
	assert_int_equal(stat(fx->archive, &st), 0);
	unit_xor_byte_at(fx->archive, 1536 + 100, 0x04);
	for (int deep = 0; deep <= 1; deep++) {
		verify(fx->archive, deep, fx->tmp, &result, &err,
		       ARK_ERR_CORRUPT);
		assert_error(err, ARK_ERR_CORRUPT, fx->archive);
		assert_error(err, ARK_ERR_CORRUPT,
			     "member 'database.sqlite.zst': stored data hash "
			     "mismatch");
		/* the archive opened: what it is, is still reported */
		assert_string_equal(result.path, fx->archive);
		assert_string_equal(result.kind, "sqlite");
		assert_int_equal(result.member_count, 1);
		assert_int_equal(result.file_size, st.st_size);
		assert_int_equal(result.deep, 0);
		assert_string_equal(result.integrity, "");
	}
	assert_int_equal(unit_count_entries(fx->tmp), 0);
}

static void test_damaged_manifest(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	uint8_t *file;
	size_t len = 0;
	const uint8_t *at;
	uint64_t offset;

	file = unit_read_all(fx->archive, &len);
	at = memmem(file, len, "\"kind\": \"sqlite\"", 16);
	assert_non_null(at);
	offset = (uint64_t)(at - file) + 10;
	free(file);
	/* "sqlite" -> "Sqlite": a valid manifest, but not the sealed one */
	unit_xor_byte_at(fx->archive, offset, 0x20);
	verify(fx->archive, 0, fx->tmp, &result, &err, ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT, "member 'MANIFEST.json': hash "
					   "mismatch");
	/* nothing could be read: only the path */
	assert_string_equal(result.path, fx->archive);
	assert_string_equal(result.kind, "");
	assert_string_equal(result.created, "");
	assert_int_equal(result.member_count, 0);
	assert_int_equal(result.file_size, 0);
	assert_int_equal(result.raw_bytes, 0);
}

static void test_truncated(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	struct stat st;

	assert_int_equal(stat(fx->archive, &st), 0);
	assert_int_equal(truncate(fx->archive, st.st_size - 700), 0);
	verify(fx->archive, 1, fx->tmp, &result, &err, ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT, fx->archive);
	assert_int_equal(result.member_count, 0);
}

static void test_missing_and_directory(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	char missing[PATH_MAX + 64];

	snprintf(missing, sizeof(missing), "%s/none.ark", fx->dir);
	verify(missing, 0, fx->tmp, &result, &err, ARK_ERR_READ);
	assert_error(err, ARK_ERR_READ, missing);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_string_equal(result.path, missing);

	verify(fx->tmp, 0, fx->tmp, &result, &err, ARK_ERR_READ);
	assert_error(err, ARK_ERR_READ, "not a regular file");
}

static void test_newer_format_version(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;

	reseal_manifest(fx->archive, "\"format_version\": 1,",
			"\"format_version\": 2,");
	verify(fx->archive, 0, fx->tmp, &result, &err, ARK_ERR_UNSUPPORTED);
	assert_error(err, ARK_ERR_UNSUPPORTED, "format version 2");
}

static void test_resealed_raw_hash_only_deep_sees(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	struct ark_archive_reader *reader = NULL;
	char old_hex[ARK_HASH_HEX_LEN + 16];
	char new_hex[ARK_HASH_HEX_LEN + 16];

	ark_error_clear(&err);
	assert_int_equal(ark_archive_reader_open(fx->archive, &reader, &err),
			 0);
	ark_hash_to_hex(ark_archive_reader_manifest(reader)->members[0]
				.raw_hash,
			old_hex + 1);
	ark_archive_reader_free(reader);
	old_hex[0] = '"';
	strcat(old_hex, "\"");
	strcpy(new_hex, old_hex);
	new_hex[1] = new_hex[1] == '0' ? '1' : '0';
	/* the raw hash is in the manifest and in XXH128SUMS */
	reseal_manifest(fx->archive, old_hex, new_hex);
	{
		uint8_t *file;
		size_t len = 0;
		uint8_t *at;

		file = unit_read_all(fx->archive, &len);
		at = memmem(file, len, old_hex + 1, ARK_HASH_HEX_LEN);
		assert_non_null(at);
		memcpy(at, new_hex + 1, ARK_HASH_HEX_LEN);
		unit_write_all(fx->archive, file, len);
		free(file);
	}
	/* every stored byte is as recorded: a plain verify passes */
	verify(fx->archive, 0, fx->tmp, &result, &err, 0);
	/* deep decompresses and compares the raw content */
	verify(fx->archive, 1, fx->tmp, &result, &err, ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT,
		     "member 'database.sqlite.zst': raw content hash mismatch");
	assert_int_equal(result.deep, 1);
	assert_int_equal(unit_count_entries(fx->tmp), 0);
}

/* ---- what deep checks beyond the hashes ------------------------------- */

static void test_deep_integrity_failure(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	char damaged[PATH_MAX + 64];
	char archive[PATH_MAX + 64];
	uint8_t *image;
	size_t len = 0;

	snprintf(damaged, sizeof(damaged), "%s/damaged.db", fx->dir);
	snprintf(archive, sizeof(archive), "%s/damaged.ark", fx->dir);
	create_db(damaged);
	damage_db(damaged);
	image = unit_read_all(damaged, &len);
	write_custom_archive(archive, "sqlite", "database.sqlite.zst",
			     "sqlite-image", image, len);
	free(image);

	verify(archive, 0, fx->tmp, &result, &err, 0);
	/* an index that lies about its table: quick_check does not look */
	verify(archive, 1, fx->tmp, &result, &err, 0);
	assert_string_equal(result.check, "quick_check");
	verify(archive, 2, fx->tmp, &result, &err, ARK_ERR_INTEGRITY);
	assert_string_equal(result.check, "integrity_check");
	assert_error(err, ARK_ERR_INTEGRITY, archive);
	assert_error(err, ARK_ERR_INTEGRITY,
		     "hashes match, but the archived database fails "
		     "integrity_check");
	assert_int_equal(result.deep, 1);
	assert_true(result.integrity[0] != '\0');
	assert_string_not_equal(result.integrity, "ok");
	assert_non_null(strstr(err.msg, result.integrity));
	assert_int_equal(unit_count_entries(fx->tmp), 0);
}

static void test_deep_not_a_database(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	char archive[PATH_MAX + 64];
	uint8_t junk[8192];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	snprintf(archive, sizeof(archive), "%s/junk.ark", fx->dir);
	write_custom_archive(archive, "sqlite", "database.sqlite.zst",
			     "sqlite-image", junk, sizeof(junk));
	verify(archive, 1, fx->tmp, &result, &err, ARK_ERR_INTEGRITY);
	assert_error(err, ARK_ERR_INTEGRITY,
		     "fails quick_check: file is not a database");
	assert_true(result.integrity[0] != '\0');
	assert_string_not_equal(result.integrity, "ok");
}

static void test_deep_sqlite_without_image(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	char archive[PATH_MAX + 64];

	snprintf(archive, sizeof(archive), "%s/noimage.ark", fx->dir);
	write_custom_archive(archive, "sqlite", "data/other.zst", "other",
			     (const uint8_t *)"abc", 3);
	verify(archive, 0, fx->tmp, &result, &err, 0);
	verify(archive, 1, fx->tmp, &result, &err, ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT,
		     "a sqlite archive must hold one member, "
		     "database.sqlite.zst");

	/* the image, but not of the size its source records */
	snprintf(archive, sizeof(archive), "%s/badsize.ark", fx->dir);
	unit_write_archive_source(archive, "ark-snapshot", "sqlite",
				  "database.sqlite.zst", "sqlite-image",
				  (const uint8_t *)"abcd", 4,
				  json_pack("{s:i, s:i}", "page_size", 4096,
					    "page_count", 1));
	verify(archive, 0, fx->tmp, &result, &err, 0);
	verify(archive, 1, fx->tmp, &result, &err, ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT,
		     "the image's raw size does not match the source's "
		     "page_size x page_count");
}

static void test_deep_pg_kind(void **state)
{
	struct fixture *fx = *state;
	struct ark_verify_result result;
	struct ark_error err;
	char archive[PATH_MAX + 64];
	static const char copy[] = "1\tone\n2\ttwo\n";
	static const char pre[] = "CREATE TABLE public.t (id bigint, name "
				  "text);\n";

	snprintf(archive, sizeof(archive), "%s/pg.ark", fx->dir);
	unit_write_pg_archive(archive, copy, NULL);
	verify(archive, 1, fx->tmp, &result, &err, 0);
	assert_string_equal(result.kind, "pg");
	assert_int_equal(result.deep, 1);
	assert_int_equal(result.member_count, 3);
	assert_int_equal(result.raw_bytes, sizeof(copy) - 1 + sizeof(pre) - 1);
	/* no database to check: the table's digest is */
	assert_string_equal(result.integrity, "");
	assert_int_equal(result.digests_checked, 1);
	assert_int_equal(result.tables_checked, 1);
	assert_int_equal(result.rows_checked, 2);
}

/* ---- --list -------------------------------------------------------- */

static void test_list_checks_structure_not_data(void **state)
{
	struct fixture *fx = *state;
	struct ark_archive_reader *reader = NULL;
	struct ark_verify_result result;
	struct ark_error err;

	/* damaged data: --list still shows the manifest (it does not read
	 * the data), verification finds the damage */
	unit_xor_byte_at(fx->archive, 1536 + 100, 0x04);
	ark_error_clear(&err);
	assert_int_equal(ark_verify_list(fx->archive, &reader, &err), 0);
	assert_non_null(reader);
	assert_string_equal(ark_archive_reader_manifest(reader)->kind,
			    "sqlite");
	ark_archive_reader_free(reader);
	verify(fx->archive, 0, fx->tmp, &result, &err, ARK_ERR_CORRUPT);

	/* a damaged manifest: --list refuses, as verification does */
	{
		struct stat st;

		assert_int_equal(stat(fx->archive, &st), 0);
		unit_xor_byte_at(fx->archive, (uint64_t)st.st_size - 2048,
				 0x01);
	}
	ark_error_clear(&err);
	reader = (struct ark_archive_reader *)&err; /* must be reset */
	assert_int_equal(ark_verify_list(fx->archive, &reader, &err),
			 ARK_ERR_CORRUPT);
	assert_null(reader);

	/* a missing file */
	ark_error_clear(&err);
	assert_int_equal(ark_verify_list(fx->dir, &reader, &err),
			 ARK_ERR_READ);
	assert_null(reader);
}

/* A creation time gmtime_r cannot represent: no crash, created is "". */
static void test_created_out_of_range(void **state)
{
	(void)state;
	{
		char created[32] = "x";

		ark_report_utc(INT64_MAX, created);
		assert_string_equal(created, "");
		ark_report_utc(0, created);
		assert_string_equal(created, "1970-01-01T00:00:00Z");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_plain),
		T(test_deep),
		T(test_deep_uses_tmpdir_env),
		T(test_deep_unwritable_tmpdir),
		T(test_flipped_data_plain_and_deep),
		T(test_damaged_manifest),
		T(test_truncated),
		T(test_missing_and_directory),
		T(test_newer_format_version),
		T(test_resealed_raw_hash_only_deep_sees),
		T(test_deep_integrity_failure),
		T(test_deep_not_a_database),
		T(test_deep_sqlite_without_image),
		T(test_deep_pg_kind),
		T(test_list_checks_structure_not_data),
		cmocka_unit_test(test_created_out_of_range),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
