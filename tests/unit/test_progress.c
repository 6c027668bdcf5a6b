/*
 * test_progress.c - the progress line: silent unless enabled and stderr is
 * a terminal.  A pseudo-terminal stands in for the user's terminal, so the
 * test sees exactly what would be drawn.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>
#include <time.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/progress.h"

/* stderr on the slave side of a pty; what is drawn is read from master. */
struct pty_stderr {
	int master;
	int saved_stderr;
};

static int pty_begin(struct pty_stderr *pty)
{
	struct termios mode;
	int slave;

	pty->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (pty->master < 0)
		return -1;
	if (grantpt(pty->master) != 0 || unlockpt(pty->master) != 0)
		goto fail;
	slave = open(ptsname(pty->master), O_RDWR | O_NOCTTY);
	if (slave < 0)
		goto fail;
	/* Raw: bytes arrive as written, no "\n" -> "\r\n". */
	if (tcgetattr(slave, &mode) == 0) {
		cfmakeraw(&mode);
		tcsetattr(slave, TCSANOW, &mode);
	}
	fflush(stderr);
	pty->saved_stderr = dup(STDERR_FILENO);
	dup2(slave, STDERR_FILENO);
	close(slave);
	return 0;
fail:
	close(pty->master);
	return -1;
}

/* Restore stderr and return what was drawn (NUL-terminated). */
static size_t pty_end(struct pty_stderr *pty, char *buf, size_t size)
{
	size_t len = 0;
	struct pollfd poll_fd = {pty->master, POLLIN, 0};

	fflush(stderr);
	dup2(pty->saved_stderr, STDERR_FILENO);
	close(pty->saved_stderr);
	while (len + 1 < size && poll(&poll_fd, 1, 100) > 0) {
		ssize_t got = read(pty->master, buf + len, size - 1 - len);

		if (got <= 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	close(pty->master);
	return len;
}

static void sleep_ms(long ms)
{
	struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static size_t count_char(const char *text, char c)
{
	size_t count = 0;

	for (; *text != '\0'; text++)
		if (*text == c)
			count++;
	return count;
}

static void test_enabled_on_terminal_draws(void **state)
{
	struct ark_progress *progress;
	struct pty_stderr pty;
	char drawn[4096];

	(void)state;
	if (pty_begin(&pty) != 0)
		skip();
	progress = ark_progress_new("snapshot", 1024 * 1024, 1);
	ark_progress_update(progress, 512 * 1024);
	ark_progress_free(progress);
	pty_end(&pty, drawn, sizeof(drawn));

	assert_memory_equal(drawn, "\rsnapshot 50% 512.0 KiB ", 24);
	assert_non_null(strstr(drawn, "/s\033[K"));
	/* free clears the line last. */
	assert_non_null(strstr(drawn, "\r\033[K"));
	assert_string_equal(drawn + strlen(drawn) - 4, "\r\033[K");
}

static void test_disabled_on_terminal_is_silent(void **state)
{
	struct ark_progress *progress;
	struct pty_stderr pty;
	char drawn[4096];

	(void)state;
	if (pty_begin(&pty) != 0)
		skip();
	progress = ark_progress_new("snapshot", 100, 0);
	assert_non_null(progress);
	ark_progress_update(progress, 10);
	sleep_ms(120);
	ark_progress_update(progress, 100);
	ark_progress_free(progress);
	assert_int_equal(pty_end(&pty, drawn, sizeof(drawn)), 0);
}

static void test_enabled_without_terminal_is_silent(void **state)
{
	struct ark_progress *progress;
	struct unit_capture capture;
	char out[1024];

	(void)state;
	unit_capture_begin(&capture); /* stderr is a plain file now */
	progress = ark_progress_new("verify", 0, 1);
	assert_non_null(progress);
	ark_progress_update(progress, 1);
	ark_progress_free(progress);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_redraws_at_most_every_100ms(void **state)
{
	struct ark_progress *progress;
	struct pty_stderr pty;
	char drawn[8192];
	long burst_start, burst_ms;
	int i;

	(void)state;
	if (pty_begin(&pty) != 0)
		skip();
	progress = ark_progress_new("x", 0, 1);
	burst_start = now_ms();
	for (i = 0; i < 50; i++)
		ark_progress_update(progress, (uint64_t)i * 1000);
	burst_ms = now_ms() - burst_start;
	sleep_ms(150);
	ark_progress_update(progress, 2u * 1024 * 1024 * 1024);
	ark_progress_free(progress);
	pty_end(&pty, drawn, sizeof(drawn));

	/*
	 * One draw for the burst, one after the pause, one clear.  (A machine
	 * so loaded that the burst took 100 ms may draw it twice.)
	 */
	if (burst_ms < 90)
		assert_int_equal(count_char(drawn, '\r'), 3);
	else
		assert_in_range(count_char(drawn, '\r'), 3, 4);
	/* Unknown total: no percentage. */
	assert_memory_equal(drawn, "\rx 0 B ", 7);
	assert_non_null(strstr(drawn, "\rx 2.0 GiB "));
	assert_null(strchr(drawn, '%'));
}

static void test_phases_each_drawn_at_once(void **state)
{
	struct ark_progress *progress;
	struct pty_stderr pty;
	char drawn[4096];
	const char *second, *third, *last;

	(void)state;
	if (pty_begin(&pty) != 0)
		skip();
	progress = ark_progress_new("1/3: hashes", 1024, 1);
	ark_progress_update(progress, 1024);
	/* at once, though less than 100 ms passed since the last draw */
	ark_progress_phase(progress, "2/3: decompress", 2048, NULL);
	ark_progress_update(progress, 1024);
	sleep_ms(120);
	ark_progress_update(progress, 2048);
	ark_progress_phase(progress, "3/3: check", 0, "pages read");
	sleep_ms(120);
	ark_progress_update(progress, 300);
	sleep_ms(120);
	ark_progress_update(progress, 300);
	ark_progress_free(progress);
	pty_end(&pty, drawn, sizeof(drawn));

	assert_memory_equal(drawn, "\r1/3: hashes 100% 1.0 KiB ", 26);
	second = strstr(drawn, "\r2/3: decompress 0% 0 B ");
	assert_non_null(second);
	assert_non_null(strstr(second, "\r2/3: decompress 100% 2.0 KiB "));
	/* a phase whose end is unknown: count, unit, elapsed, a spinner */
	third = strstr(second, "\r3/3: check | 0 pages read, 0.0 s\033[K");
	assert_non_null(third);
	assert_non_null(strstr(third, "\r3/3: check / 300 pages read, 0."));
	last = strstr(third, "\r3/3: check - 300 pages read, 0.");
	assert_non_null(last);
	assert_null(strchr(third, '%'));
	assert_string_equal(drawn + strlen(drawn) - 4, "\r\033[K");
}

static void test_phases_silent_without_terminal(void **state)
{
	struct ark_progress *progress;
	struct unit_capture capture;
	char out[1024];

	(void)state;
	unit_capture_begin(&capture);
	progress = ark_progress_new("a", 10, 1);
	ark_progress_phase(progress, "b", 0, "pages read");
	ark_progress_update(progress, 5);
	ark_progress_free(progress);
	unit_capture_end(&capture, out, sizeof(out));
	assert_string_equal(out, "");
	ark_progress_phase(NULL, "c", 0, NULL);
}

static void test_null_is_noop(void **state)
{
	(void)state;
	ark_progress_update(NULL, 5);
	ark_progress_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enabled_on_terminal_draws),
		cmocka_unit_test(test_disabled_on_terminal_is_silent),
		cmocka_unit_test(test_enabled_without_terminal_is_silent),
		cmocka_unit_test(test_redraws_at_most_every_100ms),
		cmocka_unit_test(test_null_is_noop),
		cmocka_unit_test(test_phases_each_drawn_at_once),
		cmocka_unit_test(test_phases_silent_without_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
