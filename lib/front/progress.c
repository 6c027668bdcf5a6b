/*
 * progress.c - "\r<label> 45% 123.4 MiB 210.0 MiB/s" on a terminal stderr.
 *
 * The only drawing outside the logger; it happens only when the caller
 * asked for it and stderr is a terminal, so cron mails and CI logs stay
 * clean.
 */
#include "ark/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_INTERVAL_NS 100000000LL /* redraw at most every 100 ms */
#define PROGRESS_LINE_MAX 256

struct ark_progress {
	char label[64];
	char unit[16];     /* "" for bytes */
	unsigned spin;     /* spinner position, for counted phases */
	uint64_t total;    /* 0 when unknown */
	int active;        /* enabled and stderr is a terminal */
	int drawn;         /* something is on the line */
	int64_t start_ns;
	int64_t last_draw_ns;
};

static int64_t progress_now_ns(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return 0;
	return (int64_t)now.tv_sec * 1000000000LL + (int64_t)now.tv_nsec;
}

/* "123.4 MiB" style, powers of 1024. */
static void progress_format_size(char *out, size_t out_size, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB",
					    "PiB"};
	size_t unit = 0;

	while (bytes >= 1024.0 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024.0;
		unit++;
	}
	if (unit == 0)
		snprintf(out, out_size, "%.0f %s", bytes, units[unit]);
	else
		snprintf(out, out_size, "%.1f %s", bytes, units[unit]);
}

struct ark_progress *ark_progress_new(const char *label, uint64_t total,
				      int enabled)
{
	struct ark_progress *progress;

	progress = calloc(1, sizeof(*progress));
	if (progress == NULL)
		return NULL;
	snprintf(progress->label, sizeof(progress->label), "%s",
		 label != NULL ? label : "");
	progress->total = total;
	progress->active = enabled && isatty(STDERR_FILENO);
	progress->start_ns = progress_now_ns();
	return progress;
}

/* "\r<label> 45% 123.4 MiB 210.0 MiB/s" and an erase to the line's end. */
static void bytes_line(const struct ark_progress *progress, uint64_t done,
		       int64_t elapsed_ns, char *line, size_t size)
{
	char done_text[32], rate_text[32], percent_text[16];
	double rate;

	rate = elapsed_ns > 0 ? (double)done * 1e9 / (double)elapsed_ns : 0.0;
	progress_format_size(done_text, sizeof(done_text), (double)done);
	progress_format_size(rate_text, sizeof(rate_text), rate);
	percent_text[0] = '\0';
	if (progress->total > 0) {
		uint64_t percent = done >= progress->total
					   ? 100
					   : (uint64_t)((double)done * 100.0 /
							(double)progress->total);

		snprintf(percent_text, sizeof(percent_text), " %u%%",
			 (unsigned)percent);
	}
	/* "\033[K" erases what a longer previous line left behind. */
	snprintf(line, size, "\r%s%s %s %s/s\033[K", progress->label,
		 percent_text, done_text, rate_text);
}

void ark_progress_update(struct ark_progress *progress, uint64_t done)
{
	char line[PROGRESS_LINE_MAX];
	int64_t now_ns, elapsed_ns;

	if (progress == NULL || !progress->active)
		return;
	now_ns = progress_now_ns();
	if (progress->drawn &&
	    now_ns - progress->last_draw_ns < PROGRESS_INTERVAL_NS)
		return;

	elapsed_ns = now_ns - progress->start_ns;
	if (progress->unit[0]) {
		static const char spinner[] = "|/-\\";

		/* An end that cannot be known: show that work goes on. */
		snprintf(line, sizeof(line), "\r%s %c %llu %s, %.1f s\033[K",
			 progress->label, spinner[progress->spin++ % 4],
			 (unsigned long long)done, progress->unit,
			 (double)elapsed_ns / 1e9);
	} else {
		bytes_line(progress, done, elapsed_ns, line, sizeof(line));
	}
	fputs(line, stderr);
	fflush(stderr);
	progress->drawn = 1;
	progress->last_draw_ns = now_ns;
}

void ark_progress_phase(struct ark_progress *progress, const char *label,
			uint64_t total, const char *unit)
{
	if (progress == NULL)
		return;
	snprintf(progress->label, sizeof(progress->label), "%s",
		 label != NULL ? label : "");
	snprintf(progress->unit, sizeof(progress->unit), "%s",
		 unit != NULL ? unit : "");
	progress->total = total;
	progress->spin = 0;
	progress->start_ns = progress_now_ns();
	/* Draw the new phase now, whatever the last draw's time. */
	progress->drawn = 0;
	ark_progress_update(progress, 0);
}

void ark_progress_free(struct ark_progress *progress)
{
	if (progress == NULL)
		return;
	if (progress->active && progress->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	free(progress);
}
