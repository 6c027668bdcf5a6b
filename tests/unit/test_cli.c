/*
 * test_cli.c - strict number parsing, --version text, the error report
 * and the final check of standard output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <xxhash.h>
#include <zstd.h>

#include "unit_helpers.h"

#include "ark/cli.h"
#include "ark/log.h"

static void assert_u64(const char *text, int allow_suffix, uint64_t expected)
{
	uint64_t value = 12345;

	if (ark_cli_parse_u64(text, 0, UINT64_MAX, allow_suffix, &value) != 0)
		fail_msg("rejected \"%s\"", text);
	if (value != expected)
		fail_msg("\"%s\" gave %llu, not %llu", text,
			 (unsigned long long)value,
			 (unsigned long long)expected);
}

static void assert_u64_rejected(const char *text, int allow_suffix)
{
	uint64_t value = 12345;

	if (ark_cli_parse_u64(text, 0, UINT64_MAX, allow_suffix, &value) !=
	    -1)
		fail_msg("accepted \"%s\"", text);
	/* Untouched on failure. */
	assert_int_equal(value, 12345);
}

static void test_parse_u64_plain(void **state)
{
	(void)state;
	assert_u64("0", 0, 0);
	assert_u64("10", 0, 10);
	assert_u64("007", 0, 7);
	assert_u64("18446744073709551615", 0, UINT64_MAX);
	assert_u64_rejected("18446744073709551616", 0);
	assert_u64_rejected("99999999999999999999", 0);
	assert_u64_rejected("", 0);
	assert_u64_rejected(NULL, 0);
	assert_u64_rejected("-1", 0);
	assert_u64_rejected("+1", 0);
	assert_u64_rejected(" 1", 0);
	assert_u64_rejected("1 ", 0);
	assert_u64_rejected("1x", 0);
	assert_u64_rejected("0x10", 0);
	assert_u64_rejected("1.5", 0);
	assert_u64_rejected("4K", 0); /* suffix not allowed here */
}

static void test_parse_u64_suffixes(void **state)
{
	(void)state;
	assert_u64("4K", 1, 4096);
	assert_u64("4k", 1, 4096);
	assert_u64("4KB", 1, 4096);
	assert_u64("4KiB", 1, 4096);
	assert_u64("1M", 1, 1048576);
	assert_u64("1MiB", 1, 1048576);
	assert_u64("2GiB", 1, 2147483648ULL);
	assert_u64("2G", 1, 2147483648ULL);
	assert_u64("1T", 1, 1099511627776ULL);
	assert_u64("1TiB", 1, 1099511627776ULL);
	assert_u64("0K", 1, 0);
	assert_u64("123", 1, 123);
	/* 2^24 - 1 tebibytes is the largest that fits in 64 bits. */
	assert_u64("16777215T", 1, UINT64_MAX - 1099511627775ULL);
	assert_u64_rejected("16777216T", 1);
	assert_u64("17179869183G", 1, UINT64_MAX - 1073741823ULL);
	assert_u64_rejected("17179869184G", 1);
	assert_u64_rejected("K", 1);
	assert_u64_rejected("1X", 1);
	assert_u64_rejected("1Ki", 1);
	assert_u64_rejected("1KiBx", 1);
	assert_u64_rejected("1iB", 1);
	assert_u64_rejected("1KK", 1);
	assert_u64_rejected("1 K", 1);
	assert_u64_rejected("-1K", 1);
	assert_u64_rejected("1.5M", 1);
}

static void test_parse_u64_range(void **state)
{
	uint64_t value = 99;

	(void)state;
	assert_int_equal(ark_cli_parse_u64("1", 1, 4, 0, &value), 0);
	assert_int_equal(value, 1);
	assert_int_equal(ark_cli_parse_u64("4", 1, 4, 0, &value), 0);
	assert_int_equal(value, 4);
	assert_int_equal(ark_cli_parse_u64("0", 1, 4, 0, &value), -1);
	assert_int_equal(ark_cli_parse_u64("5", 1, 4, 0, &value), -1);
	assert_int_equal(value, 4);
	/* The range applies after the suffix. */
	assert_int_equal(ark_cli_parse_u64("1K", 0, 1023, 1, &value), -1);
	assert_int_equal(ark_cli_parse_u64("1K", 0, 1024, 1, &value), 0);
	assert_int_equal(value, 1024);
}

static void assert_int_parse(const char *text, int min, int max,
			     int expected)
{
	int value = 12345;

	if (ark_cli_parse_int(text, min, max, &value) != 0)
		fail_msg("rejected \"%s\"", text);
	assert_int_equal(value, expected);
}

static void assert_int_rejected(const char *text, int min, int max)
{
	int value = 12345;

	if (ark_cli_parse_int(text, min, max, &value) != -1)
		fail_msg("accepted \"%s\" in [%d, %d]", text, min, max);
	assert_int_equal(value, 12345);
}

static void test_parse_int(void **state)
{
	(void)state;
	assert_int_parse("0", 0, 10, 0);
	assert_int_parse("10", 0, 10, 10);
	assert_int_parse("19", 1, 19, 19);
	assert_int_parse("-5", -10, 10, -5);
	assert_int_parse("2147483647", INT_MIN, INT_MAX, INT_MAX);
	assert_int_parse("-2147483648", INT_MIN, INT_MAX, INT_MIN);
	assert_int_rejected("2147483648", INT_MIN, INT_MAX);
	assert_int_rejected("-2147483649", INT_MIN, INT_MAX);
	assert_int_rejected("99999999999999999999999", INT_MIN, INT_MAX);
	assert_int_rejected("11", 0, 10);
	assert_int_rejected("-1", 0, 10);
	assert_int_rejected("20", 1, 19);
	assert_int_rejected("0", 1, 19);
	assert_int_rejected("", 0, 10);
	assert_int_rejected(NULL, 0, 10);
	assert_int_rejected("-", -10, 10);
	assert_int_rejected("+1", -10, 10);
	assert_int_rejected(" 1", 0, 10);
	assert_int_rejected("1 ", 0, 10);
	assert_int_rejected("1e3", 0, 10000);
	assert_int_rejected("4K", 0, 10000);
	assert_int_rejected("--1", -10, 10);
}

static void test_print_version(void **state)
{
	char out[4096], expected[256];
	FILE *file;
	size_t got;

	(void)state;
	file = tmpfile();
	assert_non_null(file);
	ark_cli_print_version(file, "ark-snapshot");
	rewind(file);
	got = fread(out, 1, sizeof(out) - 1, file);
	out[got] = '\0';
	fclose(file);

	assert_memory_equal(out, "ark-snapshot (ark) 0.1.0\nsqlite ", 32);
	snprintf(expected, sizeof(expected), "\nsqlite %s\n",
		 sqlite3_libversion());
	assert_non_null(strstr(out, expected));
	snprintf(expected, sizeof(expected), "\nzstd %s\n",
		 ZSTD_versionString());
	assert_non_null(strstr(out, expected));
	assert_non_null(strstr(out, "\nlibarchive 3."));
	assert_null(strstr(out, "libarchive libarchive"));
	/* Compile-time header version: runtime library must match it. */
	snprintf(expected, sizeof(expected), "\nxxhash %d.%d.%d\n",
		 XXH_VERSION_MAJOR, XXH_VERSION_MINOR, XXH_VERSION_RELEASE);
	assert_non_null(strstr(out, expected));
	assert_int_equal(out[strlen(out) - 1], '\n');
}

static void test_report(void **state)
{
	struct unit_capture capture;
	struct ark_error err;
	char out[2048];

	(void)state;
	ark_log_set_program("ark-test");
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, ENOENT, "cannot open '%s'", "x.db");
	unit_capture_begin(&capture);
	assert_int_equal(ark_cli_report(&err), 3);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "ark-test: error: cannot open 'x.db': No "
				 "such file or directory\n");

	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_INTERRUPTED, 0, "interrupted by signal");
	unit_capture_begin(&capture);
	assert_int_equal(ark_cli_report(&err), 130);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "ark-test: error: interrupted by signal\n");

	/* No message: the code's name. */
	ark_error_clear(&err);
	err.code = ARK_ERR_LOCKED;
	unit_capture_begin(&capture);
	assert_int_equal(ark_cli_report(&err), 8);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "ark-test: error: locked\n");

	/* Nothing to report. */
	ark_error_clear(&err);
	unit_capture_begin(&capture);
	assert_int_equal(ark_cli_report(&err), 0);
	assert_int_equal(ark_cli_report(NULL), 0);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "");
}

/* Children: stdout redirected, then closed; exit 0 when as expected. */
static int child_close_stdout_full(void *arg)
{
	struct ark_error err;
	int fd = open("/dev/full", O_WRONLY);

	(void)arg;
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		return 90;
	fputs("x", stdout); /* buffered: the failure shows at the flush */
	ark_error_clear(&err);
	if (ark_cli_close_stdout(&err) != ARK_ERR_WRITE)
		return 1;
	if (err.code != ARK_ERR_WRITE || err.sys_errno != ENOSPC)
		return 2;
	if (strcmp(err.msg, "cannot write standard output: No space left "
			    "on device") != 0)
		return 3;
	return 0;
}

static int child_close_stdout_ok(void *arg)
{
	struct ark_error err;
	int fd = open("/dev/null", O_WRONLY);

	(void)arg;
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		return 90;
	fputs("hello\n", stdout);
	ark_error_clear(&err);
	if (ark_cli_close_stdout(&err) != 0 || err.code != ARK_OK)
		return 1;
	return 0;
}

static int child_close_stdout_already_closed(void *arg)
{
	struct ark_error err;

	(void)arg;
	close(STDOUT_FILENO);
	/* Nothing written: a closed stdout is not an error. */
	ark_error_clear(&err);
	if (ark_cli_close_stdout(&err) != 0)
		return 1;
	return 0;
}

static int child_close_stdout_closed_with_output(void *arg)
{
	struct ark_error err;

	(void)arg;
	close(STDOUT_FILENO);
	fputs("lost", stdout);
	ark_error_clear(&err);
	if (ark_cli_close_stdout(&err) != ARK_ERR_WRITE)
		return 1;
	if (strncmp(err.msg, "cannot write standard output: ", 30) != 0)
		return 2;
	return 0;
}

static void test_close_stdout(void **state)
{
	(void)state;
	assert_int_equal(unit_run_in_child(child_close_stdout_full, NULL), 0);
	assert_int_equal(unit_run_in_child(child_close_stdout_ok, NULL), 0);
	assert_int_equal(
		unit_run_in_child(child_close_stdout_already_closed, NULL), 0);
	assert_int_equal(
		unit_run_in_child(child_close_stdout_closed_with_output, NULL),
		0);
}

static void test_common_option(void **state)
{
	struct ark_cli_common common = { 0 };

	(void)state;
	ark_log_set_level(ARK_LOG_WARN);
	assert_int_equal(ark_cli_common_option('J', "t", "", &common),
			 ARK_CLI_CONTINUE);
	assert_int_equal(common.json, 1);
	assert_int_equal(ark_cli_progress_wanted(&common), 0);
	common.json = 0;
	assert_int_equal(ark_cli_progress_wanted(&common), 1);
	assert_int_equal(ark_cli_common_option('q', "t", "", &common),
			 ARK_CLI_CONTINUE);
	assert_int_equal(common.quiet, 1);
	assert_int_equal(ark_log_get_level(), ARK_LOG_ERROR);
	assert_int_equal(ark_cli_progress_wanted(&common), 0);
	assert_int_equal(ark_cli_common_option('v', "t", "", &common),
			 ARK_CLI_CONTINUE);
	assert_int_equal(ark_log_get_level(), ARK_LOG_DEBUG);
	/* --help prints the usage given (empty here) and ends parsing: 0 */
	assert_int_equal(ark_cli_common_option('h', "t", "", &common), 0);
	/* an unknown option ends parsing with the usage exit code */
	assert_int_equal(ark_cli_common_option('?', "t", "", &common), 2);
	ark_log_set_level(ARK_LOG_WARN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_plain),
		cmocka_unit_test(test_parse_u64_suffixes),
		cmocka_unit_test(test_parse_u64_range),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_print_version),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_common_option),
		cmocka_unit_test(test_close_stdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
