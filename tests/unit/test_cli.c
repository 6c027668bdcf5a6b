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

static const char test_usage[] = "Usage: t [OPTION]... X\n";
static const struct ark_cli_exit test_exits[] = {
	{ ARK_OK, "done" },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_UNSUPPORTED, "too new" }, /* exit 3, its own name */
	{ ARK_ERR_DAMAGED_RESTORED, NULL },
	{ ARK_ERR_INTERRUPTED, NULL },
	{ 12345, "not in the catalogue: left out" },
};
static const struct ark_cli_tool test_tool = {
	"t", test_usage, test_exits, ARK_CLI_ARRAY_LEN(test_exits),
	"See t(1).\n",
};

static void test_common_option(void **state)
{
	struct ark_cli_common common = { .tool = &test_tool };

	(void)state;
	ark_log_set_level(ARK_LOG_WARN);
	assert_int_equal(ark_cli_common_option('J', &common),
			 ARK_CLI_CONTINUE);
	assert_int_equal(common.json, 1);
	assert_int_equal(ark_cli_progress_wanted(&common), 0);
	common.json = 0;
	assert_int_equal(ark_cli_progress_wanted(&common), 1);
	assert_int_equal(ark_cli_common_option('q', &common),
			 ARK_CLI_CONTINUE);
	assert_int_equal(common.quiet, 1);
	assert_int_equal(ark_log_get_level(), ARK_LOG_ERROR);
	assert_int_equal(ark_cli_progress_wanted(&common), 0);
	assert_int_equal(ark_cli_common_option('v', &common),
			 ARK_CLI_CONTINUE);
	assert_int_equal(ark_log_get_level(), ARK_LOG_DEBUG);
	ark_log_set_level(ARK_LOG_WARN);
}

static char *read_text(FILE *file)
{
	fflush(file);
	return unit_read_stream(file, NULL);
}

static void test_help_exit_status(void **state)
{
	FILE *out = tmpfile();
	char *text;

	(void)state;
	assert_non_null(out);
	ark_cli_print_help(out, &test_tool);
	text = read_text(out);
	/* generated from the catalogue: code, short name, meaning */
	assert_string_equal(text,
			    "Usage: t [OPTION]... X\n"
			    "\n"
			    "Exit status:\n"
			    "  0    ok: done\n"
			    "  2    usage: bad option or argument\n"
			    "  3    unsupported: too new\n"
			    "  10   restored damaged: restored as asked, but "
			    "the database fails its integrity check\n"
			    "  130  interrupted: stopped by SIGINT, SIGTERM or "
			    "SIGHUP\n"
			    "\n"
			    "See t(1).\n");
	free(text);
}

/* Parse argv (NULL-terminated) with ark_cli_getopt from the start. */
static int parse(struct ark_cli_common *common, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'c' },
		{ "busy-timeout", required_argument, NULL, 'B' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int argc = 0;
	int opt;

	while (argv[argc])
		argc++;
	optind = 0; /* glibc: start over */
	common->bad_option[0] = '\0';
	while ((opt = ark_cli_getopt(common, argc, argv, "o:c",
				     longopts)) != -1) {
		if (opt == '?')
			return '?';
		if (opt == 'J')
			ark_cli_common_option(opt, common);
	}
	return 0;
}

static void assert_bad_option(char **argv, const char *expected)
{
	struct ark_cli_common common = { .tool = &test_tool };
	struct unit_capture capture;
	char logged[512];

	unit_capture_begin(&capture);
	assert_int_equal(parse(&common, argv), '?');
	unit_capture_end(&capture, logged, sizeof(logged));
	/* getopt printed nothing of its own */
	assert_string_equal(logged, "");
	assert_string_equal(common.bad_option, expected);
}

static void test_getopt_bad_options(void **state)
{
	struct ark_cli_common common = { .tool = &test_tool };

	(void)state;
	assert_bad_option((char *[]){ "t", "--no-such", "x", NULL },
			  "unknown option '--no-such'");
	assert_bad_option((char *[]){ "t", "--no-such=1", NULL },
			  "unknown option '--no-such'");
	assert_bad_option((char *[]){ "t", "-Z", "x", NULL },
			  "unknown option '-Z'");
	assert_bad_option((char *[]){ "t", "-cZ", NULL },
			  "unknown option '-Z'");
	/* inside a group, after a long option: still the letter */
	assert_bad_option((char *[]){ "t", "--check", "-Zc", NULL },
			  "unknown option '-Z'");
	assert_bad_option((char *[]){ "t", "--json", "-cJ", NULL },
			  "unknown option '-J'");
	assert_bad_option((char *[]){ "t", "x", "-o", NULL },
			  "option '-o' needs an argument");
	assert_bad_option((char *[]){ "t", "--output", NULL },
			  "option '--output' needs an argument");
	assert_bad_option((char *[]){ "t", "--busy", NULL },
			  "option '--busy-timeout' needs an argument");
	assert_bad_option((char *[]){ "t", "--json=yes", NULL },
			  "option '--json' takes no argument");
	assert_bad_option((char *[]){ "t", "--ver", NULL },
			  "option '--ver' is ambiguous");
	/* good ones */
	assert_int_equal(parse(&common, (char *[]){ "t", "-c", "-ofile",
						    "--busy=5", "--json",
						    "x", NULL }),
			 0);
	assert_int_equal(common.json, 1);
}

static void test_getopt_missing_long_argument_abbreviated(void **state)
{
	(void)state;
	/* an abbreviation is named in full */
	assert_bad_option((char *[]){ "t", "--outp", NULL },
			  "option '--output' needs an argument");
}

/* Children writing stdout to the file named by arg. */
struct child_out {
	const char *path;
	int json;
};

static int redirect_stdout(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		return -1;
	close(fd);
	return 0;
}

static int child_usage_error(void *arg)
{
	const struct child_out *child = arg;
	struct ark_cli_common common = { .tool = &test_tool };

	if (redirect_stdout(child->path))
		return 90;
	common.json = child->json;
	ark_log_set_program("t");
	return ark_cli_usage_error(&common, "expected %s", "X\n");
}

static int child_finish(void *arg)
{
	const struct child_out *child = arg;
	struct ark_cli_common common = { .tool = &test_tool };
	struct ark_error err = { 0 };

	if (redirect_stdout(child->path))
		return 90;
	common.json = child->json;
	ark_log_set_program("t");
	ark_error_set(&err, ARK_ERR_REFUSED, 0, "'a\tb' exists");
	return ark_cli_finish(&common, ARK_ERR_REFUSED, &err,
			      json_pack("{s:s}", "archive", "a\tb"));
}

static int child_finish_ok(void *arg)
{
	const struct child_out *child = arg;
	struct ark_cli_common common = { .tool = &test_tool };
	struct ark_error err = { 0 };

	if (redirect_stdout(child->path))
		return 90;
	common.json = child->json;
	return ark_cli_finish(&common, ARK_OK, &err, NULL);
}

static void run_child(int (*body)(void *), int json, int expected_rc,
		      const char *expected_out, const char *expected_err)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], out[2048], logged[2048];
	struct child_out child = { path, json };
	struct unit_capture capture;

	unit_make_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/out", dir);
	unit_capture_begin(&capture);
	assert_int_equal(unit_run_in_child(body, &child), expected_rc);
	unit_capture_end(&capture, logged, sizeof(logged));
	assert_true(unit_read_file(path, out, sizeof(out)) >= 0);
	assert_string_equal(out, expected_out);
	assert_string_equal(logged, expected_err);
	unit_remove_tree(dir);
}

static void test_usage_error_json(void **state)
{
	(void)state;
	run_child(child_usage_error, 0, 2, "",
		  "t: error: expected X\\n\n"
		  "Try 't --help' for more information.\n");
	run_child(child_usage_error, 1, 2,
		  "{\"ok\":false,\"exit_code\":2,\"error\":\"usage\","
		  "\"message\":\"expected X\\n\"}\n",
		  "t: error: expected X\\n\n"
		  "Try 't --help' for more information.\n");
}

static void test_finish(void **state)
{
	(void)state;
	run_child(child_finish, 0, 7, "", "t: error: 'a\\tb' exists\n");
	run_child(child_finish, 1, 7,
		  "{\"ok\":false,\"exit_code\":7,\"error\":\"refused\","
		  "\"message\":\"'a\\tb' exists\",\"archive\":\"a\\tb\"}\n",
		  "t: error: 'a\\tb' exists\n");
	run_child(child_finish_ok, 1, 0, "{\"ok\":true,\"exit_code\":0}\n",
		  "");
	run_child(child_finish_ok, 0, 0, "", "");
}

static void test_report_escapes(void **state)
{
	struct unit_capture capture;
	struct ark_error err;
	char out[2048];

	(void)state;
	ark_log_set_program("ark-test");
	ark_error_clear(&err);
	ark_error_set(&err, ARK_ERR_READ, ENOENT, "cannot open '%s'",
		      "a\nark-test: error: forged\x1b[2J");
	unit_capture_begin(&capture);
	assert_int_equal(ark_cli_report(&err), 3);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "ark-test: error: cannot open 'a\\nark-test: "
				 "error: forged\\x1b[2J': No such file or "
				 "directory\n");
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
		cmocka_unit_test(test_help_exit_status),
		cmocka_unit_test(test_getopt_bad_options),
		cmocka_unit_test(test_getopt_missing_long_argument_abbreviated),
		cmocka_unit_test(test_usage_error_json),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_report_escapes),
		cmocka_unit_test(test_close_stdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
