/*
 * test_error.c - the error record and the exit code catalogue.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/error.h"

static void test_clear_resets(void **state)
{
	struct ark_error err;

	(void)state;
	memset(&err, 'x', sizeof(err));
	ark_error_clear(&err);
	assert_int_equal(err.code, ARK_OK);
	assert_int_equal(err.sys_errno, 0);
	assert_string_equal(err.msg, "");
	ark_error_clear(NULL); /* must not crash */
}

static void test_set_formats_and_returns_code(void **state)
{
	struct ark_error err;
	int ret;

	(void)state;
	ark_error_clear(&err);
	ret = ark_error_set(&err, ARK_ERR_CORRUPT, 0, "member '%s' row %d",
			    "t.bin", 42);
	assert_int_equal(ret, ARK_ERR_CORRUPT);
	assert_int_equal(err.code, ARK_ERR_CORRUPT);
	assert_int_equal(err.sys_errno, 0);
	assert_string_equal(err.msg, "member 't.bin' row 42");
}

static void test_set_appends_strerror(void **state)
{
	struct ark_error err;

	(void)state;
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, ENOENT, "cannot open '%s'", "a.db");
	assert_int_equal(err.sys_errno, ENOENT);
	assert_string_equal(err.msg,
			    "cannot open 'a.db': No such file or directory");
}

static void test_set_keeps_first_error(void **state)
{
	struct ark_error err;
	int ret;

	(void)state;
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_WRITE, ENOSPC, "first");
	ret = ark_error_set(&err, ARK_ERR_INTERNAL, EBADF, "second");
	/* The later code is still returned, but the record is unchanged. */
	assert_int_equal(ret, ARK_ERR_INTERNAL);
	assert_int_equal(err.code, ARK_ERR_WRITE);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_string_equal(err.msg, "first: No space left on device");

	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_USAGE, 0, "after clear");
	assert_int_equal(err.code, ARK_ERR_USAGE);
	assert_string_equal(err.msg, "after clear");
}

static void test_set_null_err(void **state)
{
	(void)state;
	assert_int_equal(ark_error_set(NULL, ARK_ERR_LOCKED, EAGAIN, "x"),
			 ARK_ERR_LOCKED);
}

static void test_set_preserves_errno(void **state)
{
	struct ark_error err;

	(void)state;
	ark_error_clear(&err);
	errno = EXDEV;
	ark_error_set(&err, ARK_ERR_READ, EIO, "x");
	assert_int_equal(errno, EXDEV);
}

static void test_set_truncates_long_message(void **state)
{
	static char long_text[3 * ARK_ERROR_MSG_MAX];
	struct ark_error err;

	(void)state;
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';

	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, 0, "%s", long_text);
	assert_int_equal(strlen(err.msg), ARK_ERROR_MSG_MAX - 1);

	/* A full message leaves no room for strerror, and stays bounded. */
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, ENOENT, "%s", long_text);
	assert_int_equal(strlen(err.msg), ARK_ERROR_MSG_MAX - 1);
	assert_int_equal(err.sys_errno, ENOENT);

	/* Room for part of it: cut, still terminated. */
	long_text[ARK_ERROR_MSG_MAX - 8] = '\0';
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, ENOENT, "%s", long_text);
	assert_int_equal(strlen(err.msg), ARK_ERROR_MSG_MAX - 1);
	assert_memory_equal(err.msg + ARK_ERROR_MSG_MAX - 8, ": No su", 7);
}

static void test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(ark_error_exit_code(ARK_OK), 0);
	assert_int_equal(ark_error_exit_code(ARK_ERR_INTERNAL), 1);
	assert_int_equal(ark_error_exit_code(ARK_ERR_USAGE), 2);
	assert_int_equal(ark_error_exit_code(ARK_ERR_READ), 3);
	assert_int_equal(ark_error_exit_code(ARK_ERR_CORRUPT), 4);
	assert_int_equal(ark_error_exit_code(ARK_ERR_WRITE), 5);
	assert_int_equal(ark_error_exit_code(ARK_ERR_SOURCE), 6);
	assert_int_equal(ark_error_exit_code(ARK_ERR_REFUSED), 7);
	assert_int_equal(ark_error_exit_code(ARK_ERR_LOCKED), 8);
	assert_int_equal(ark_error_exit_code(ARK_ERR_INTEGRITY), 9);
	assert_int_equal(ark_error_exit_code(ARK_ERR_UNSUPPORTED), 3);
	assert_int_equal(ark_error_exit_code(ARK_ERR_INTERRUPTED), 130);
	assert_int_equal(ark_error_exit_code(-99), 1);
	assert_int_equal(ark_error_exit_code(5), 1);
}

static void test_code_names(void **state)
{
	(void)state;
	assert_string_equal(ark_error_code_name(ARK_ERR_INTERNAL),
			    "internal error");
	assert_string_equal(ark_error_code_name(ARK_ERR_USAGE), "usage");
	assert_string_equal(ark_error_code_name(ARK_ERR_READ), "cannot read");
	assert_string_equal(ark_error_code_name(ARK_ERR_CORRUPT), "corrupt");
	assert_string_equal(ark_error_code_name(ARK_ERR_WRITE),
			    "cannot write");
	assert_string_equal(ark_error_code_name(ARK_ERR_SOURCE),
			    "database error");
	assert_string_equal(ark_error_code_name(ARK_ERR_REFUSED), "refused");
	assert_string_equal(ark_error_code_name(ARK_ERR_LOCKED), "locked");
	assert_string_equal(ark_error_code_name(ARK_ERR_INTEGRITY),
			    "integrity check failed");
	assert_string_equal(ark_error_code_name(ARK_ERR_UNSUPPORTED),
			    "unsupported");
	assert_string_equal(ark_error_code_name(ARK_ERR_INTERRUPTED),
			    "interrupted");
	assert_string_equal(ark_error_code_name(-99), "unknown error");
}

/*
 * docs/exit-codes.md's table rows "| code | name | ..." name exactly the
 * exit codes of the catalogue, each with the short name of the first
 * catalogue entry for that exit code.  Run from the top of the tree (as
 * make check does).
 */
static void test_docs_table_matches_catalogue(void **state)
{
	size_t count, documented = 0;
	const struct ark_error_entry *catalogue = ark_error_catalogue(&count);
	int seen[256] = { 0 };
	char line[2048];
	FILE *doc;

	(void)state;
	doc = fopen("docs/exit-codes.md", "r");
	if (!doc)
		fail_msg("cannot open docs/exit-codes.md (run from the top of "
			 "the source tree)");
	while (fgets(line, sizeof(line), doc)) {
		int code, name_start = 0, name_end = 0;
		const struct ark_error_entry *first = NULL;

		if (sscanf(line, "| %d | %n%*[^|]%n|", &code, &name_start,
			   &name_end) != 1 || name_end <= name_start)
			continue;
		while (name_end > name_start && line[name_end - 1] == ' ')
			name_end--;
		line[name_end] = '\0';
		for (size_t i = 0; i < count && !first; i++)
			if (catalogue[i].exit_code == code)
				first = &catalogue[i];
		if (!first)
			fail_msg("docs/exit-codes.md lists exit %d, which no "
				 "catalogue entry has", code);
		if (strcmp(line + name_start, first->short_name) != 0)
			fail_msg("docs/exit-codes.md names exit %d \"%s\", the "
				 "catalogue \"%s\"", code, line + name_start,
				 first->short_name);
		assert_in_range(code, 0, 255);
		if (seen[code]++)
			fail_msg("docs/exit-codes.md lists exit %d twice", code);
		documented++;
	}
	fclose(doc);
	for (size_t i = 0; i < count; i++)
		if (!seen[catalogue[i].exit_code])
			fail_msg("exit %d (%s) is missing from "
				 "docs/exit-codes.md", catalogue[i].exit_code,
				 catalogue[i].name);
	/* 0-18 and 130: exit 3 is shared by two codes */
	assert_int_equal(documented, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docs_table_matches_catalogue),
		cmocka_unit_test(test_clear_resets),
		cmocka_unit_test(test_set_formats_and_returns_code),
		cmocka_unit_test(test_set_appends_strerror),
		cmocka_unit_test(test_set_keeps_first_error),
		cmocka_unit_test(test_set_null_err),
		cmocka_unit_test(test_set_preserves_errno),
		cmocka_unit_test(test_set_truncates_long_message),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_code_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
