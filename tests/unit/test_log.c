/*
 * test_log.c - level filtering and the line format of the logger.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/log.h"

static int reset_logger(void **state)
{
	(void)state;
	ark_log_set_program("ark-test");
	ark_log_set_level(ARK_LOG_WARN);
	return 0;
}

static void test_default_level_is_warn(void **state)
{
	(void)state;
	/* Runs first: nothing has changed the level yet. */
	assert_int_equal(ark_log_get_level(), ARK_LOG_WARN);
}

static void test_filters_below_threshold(void **state)
{
	struct unit_capture capture;
	char out[1024];

	(void)state;
	unit_capture_begin(&capture);
	ark_log(ARK_LOG_DEBUG, "debug %d", 1);
	ark_log(ARK_LOG_INFO, "info %d", 2);
	ark_log(ARK_LOG_WARN, "warn %d", 3);
	ark_log(ARK_LOG_ERROR, "error %d", 4);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "ark-test: warning: warn 3\n"
				 "ark-test: error: error 4\n");
}

static void test_debug_level_shows_all(void **state)
{
	struct unit_capture capture;
	char out[1024];

	(void)state;
	ark_log_set_level(ARK_LOG_DEBUG);
	assert_int_equal(ark_log_get_level(), ARK_LOG_DEBUG);
	unit_capture_begin(&capture);
	ark_log(ARK_LOG_DEBUG, "d");
	ark_log(ARK_LOG_INFO, "i");
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "ark-test: debug: d\nark-test: i\n");
}

static void test_silent_drops_errors(void **state)
{
	struct unit_capture capture;
	char out[1024];

	(void)state;
	ark_log_set_level(ARK_LOG_SILENT);
	unit_capture_begin(&capture);
	ark_log(ARK_LOG_ERROR, "not shown");
	ark_log(ARK_LOG_SILENT, "never shown");
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_program_name(void **state)
{
	struct unit_capture capture;
	char out[1024];

	(void)state;
	ark_log_set_program("/usr/local/bin/ark-snapshot");
	assert_string_equal(ark_log_program(), "ark-snapshot");
	unit_capture_begin(&capture);
	ark_log(ARK_LOG_ERROR, "boom");
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "ark-snapshot: error: boom\n");

	ark_log_set_program(NULL);
	assert_string_equal(ark_log_program(), "ark");
}

static void test_long_message_is_one_line(void **state)
{
	static char long_text[10000];
	struct unit_capture capture;
	static char out[20000];
	size_t len;

	(void)state;
	memset(long_text, 'z', sizeof(long_text) - 1);
	unit_capture_begin(&capture);
	ark_log(ARK_LOG_WARN, "%s", long_text);
	unit_capture_end(&capture, out, sizeof(out));
	len = strlen(out);
	assert_true(len > 1000);
	assert_true(len < sizeof(long_text));
	assert_int_equal(out[len - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + len - 1);
	assert_memory_equal(out, "ark-test: warning: zzz", 22);
}

static void test_keeps_errno(void **state)
{
	struct unit_capture capture;
	char out[256];

	(void)state;
	unit_capture_begin(&capture);
	errno = ERANGE;
	ark_log(ARK_LOG_ERROR, "x");
	assert_int_equal(errno, ERANGE);
	unit_capture_end(&capture, out, sizeof(out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_level_is_warn),
		cmocka_unit_test_setup(test_filters_below_threshold,
				       reset_logger),
		cmocka_unit_test_setup(test_debug_level_shows_all,
				       reset_logger),
		cmocka_unit_test_setup(test_silent_drops_errors, reset_logger),
		cmocka_unit_test_setup(test_program_name, reset_logger),
		cmocka_unit_test_setup(test_long_message_is_one_line,
				       reset_logger),
		cmocka_unit_test_setup(test_keeps_errno, reset_logger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
