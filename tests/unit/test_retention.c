/*
 * test_retention.c - grandfather-father-son (ark/retention.h): exact
 * cases at crafted times, and random histories against a model written
 * the other way round (per rule: the periods that have an archive, newest
 * first, the first N of them, the newest archive of each).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/retention.h"

#define DAY 86400000LL
#define HOUR 3600000LL
/* 2026-01-05 00:00:00 UTC, a Monday */
#define MONDAY 1767571200000LL

static void test_none_active(void **state)
{
	struct ark_retention_policy p = { 0, 0, 0, 0 };

	(void)state;
	assert_false(ark_retention_active(&p));
	p.keep_weekly = 1;
	assert_true(ark_retention_active(&p));
}

static void test_newest_always_kept(void **state)
{
	struct ark_retention_policy p = { 0, 0, 0, 0 };
	int64_t t[3] = { MONDAY, MONDAY + DAY, MONDAY - DAY };
	unsigned r[3];

	(void)state;
	assert_int_equal(ark_retention_apply(t, 3, &p, r), 0);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], ARK_RETAIN_NEWEST);
	assert_int_equal(r[2], 0);
	assert_int_equal(ark_retention_apply(t, 0, &p, r), 0);
}

static void test_keep_last(void **state)
{
	struct ark_retention_policy p = { 2, 0, 0, 0 };
	int64_t t[4] = { MONDAY, MONDAY, MONDAY + 1, MONDAY - 1 };
	unsigned r[4];

	(void)state;
	assert_int_equal(ark_retention_apply(t, 4, &p, r), 0);
	assert_int_equal(r[2], ARK_RETAIN_NEWEST | ARK_RETAIN_LAST);
	/* of two archives of one time, the higher index is the newer */
	assert_int_equal(r[1], ARK_RETAIN_LAST);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[3], 0);
}

static void test_daily_newest_of_each_day(void **state)
{
	/* three a day for five days, keep 3 days */
	struct ark_retention_policy p = { 0, 3, 0, 0 };
	int64_t t[15];
	unsigned r[15];
	size_t i;

	(void)state;
	for (i = 0; i < 15; i++)
		t[i] = MONDAY + (int64_t)(i / 3) * DAY + (int64_t)(i % 3) * HOUR;
	assert_int_equal(ark_retention_apply(t, 15, &p, r), 0);
	for (i = 0; i < 15; i++) {
		unsigned want = 0;

		if (i == 14)
			want = ARK_RETAIN_NEWEST | ARK_RETAIN_DAILY;
		else if (i == 11 || i == 8)
			want = ARK_RETAIN_DAILY;
		assert_int_equal(r[i], want);
	}
}

static void test_days_without_archives_do_not_count(void **state)
{
	/* days 0, 1, 10, 30: keep-daily 3 keeps 30, 10, 1 */
	struct ark_retention_policy p = { 0, 3, 0, 0 };
	int64_t t[4] = { MONDAY, MONDAY + DAY, MONDAY + 10 * DAY,
			 MONDAY + 30 * DAY };
	unsigned r[4];

	(void)state;
	assert_int_equal(ark_retention_apply(t, 4, &p, r), 0);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], ARK_RETAIN_DAILY);
	assert_int_equal(r[2], ARK_RETAIN_DAILY);
	assert_int_equal(r[3], ARK_RETAIN_NEWEST | ARK_RETAIN_DAILY);
}

static void test_weeks_start_on_monday_utc(void **state)
{
	/* Sunday 23:59:59.999 and Monday 00:00 are two ISO weeks; Monday
	 * and the next Sunday one */
	struct ark_retention_policy p = { 0, 0, 5, 0 };
	int64_t t[4] = { MONDAY - 1, MONDAY, MONDAY + 6 * DAY + 23 * HOUR,
			 MONDAY - 6 * DAY };
	unsigned r[4];

	(void)state;
	assert_int_equal(ark_retention_apply(t, 4, &p, r), 0);
	assert_int_equal(r[0], ARK_RETAIN_WEEKLY); /* newest of its week */
	assert_int_equal(r[3], 0);                 /* same week, older */
	assert_int_equal(r[1], 0);                 /* same week as t[2] */
	assert_int_equal(r[2], ARK_RETAIN_NEWEST | ARK_RETAIN_WEEKLY);
}

static void test_monthly_calendar_months(void **state)
{
	/* 2026-01-31 23:00, 2026-02-01 00:00, 2026-02-28 12:00,
	 * 2025-12-15: keep 2 months */
	struct ark_retention_policy p = { 0, 0, 0, 2 };
	int64_t jan31 = MONDAY + 26 * DAY + 23 * HOUR;
	int64_t t[4] = { jan31, jan31 + HOUR, jan31 + HOUR + 27 * DAY + 12 * HOUR,
			 MONDAY - 21 * DAY };
	unsigned r[4];

	(void)state;
	assert_int_equal(ark_retention_apply(t, 4, &p, r), 0);
	assert_int_equal(r[0], ARK_RETAIN_MONTHLY);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2], ARK_RETAIN_NEWEST | ARK_RETAIN_MONTHLY);
	assert_int_equal(r[3], 0);
}

static void test_rules_combine(void **state)
{
	/* daily 2 + weekly 2 + monthly 2 over 60 days, one a day at noon */
	struct ark_retention_policy p = { 1, 2, 2, 2 };
	int64_t t[60];
	unsigned r[60];
	size_t i, kept = 0;

	(void)state;
	for (i = 0; i < 60; i++)
		t[i] = MONDAY + (int64_t)i * DAY + 12 * HOUR;
	assert_int_equal(ark_retention_apply(t, 60, &p, r), 0);
	for (i = 0; i < 60; i++)
		kept += r[i] != 0;
	/* day 59 (Thu 2026-03-05): every rule; day 58: daily; day 55
	 * (Sun 03-01, the week before): weekly; day 54 (Sat 02-28, the
	 * month before): monthly */
	assert_int_equal(r[59], ARK_RETAIN_NEWEST | ARK_RETAIN_LAST |
					ARK_RETAIN_DAILY | ARK_RETAIN_WEEKLY |
					ARK_RETAIN_MONTHLY);
	assert_int_equal(r[58], ARK_RETAIN_DAILY);
	assert_int_equal(r[55], ARK_RETAIN_WEEKLY);
	assert_int_equal(r[54], ARK_RETAIN_MONTHLY);
	assert_int_equal(kept, 4);
}

/* ---- the model ---- */

static int64_t model_period(int rule, int64_t ms, size_t index)
{
	int64_t day = ms >= 0 ? ms / DAY : -((-ms + DAY - 1) / DAY);
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	switch (rule) {
	case 0: return (int64_t)index;
	case 1: return day;
	case 2: return (day + 3 - ((day + 3) % 7 + 7) % 7) / 7;
	default:
		gmtime_r(&s, &tm);
		return (tm.tm_year + 1900) * 12 + tm.tm_mon;
	}
}

/* Is j newer than i (time, then index)? */
static int newer(const int64_t *t, size_t j, size_t i)
{
	return t[j] > t[i] || (t[j] == t[i] && j > i);
}

static void model(const int64_t *t, size_t n, const int *counts,
		  unsigned *out)
{
	static const unsigned bits[4] = { ARK_RETAIN_LAST, ARK_RETAIN_DAILY,
					   ARK_RETAIN_WEEKLY,
					   ARK_RETAIN_MONTHLY };

	for (size_t i = 0; i < n; i++) {
		size_t newer_count = 0;

		out[i] = 0;
		for (size_t j = 0; j < n; j++)
			newer_count += newer(t, j, i);
		if (newer_count == 0)
			out[i] |= ARK_RETAIN_NEWEST;
	}
	for (int r = 0; r < 4; r++) {
		/* i is the newest of its period, and fewer than counts[r]
		 * newer periods have an archive */
		for (size_t i = 0; i < n; i++) {
			int64_t pi = model_period(r, t[i], i);
			int newest = 1;
			size_t periods_after = 0;

			for (size_t j = 0; j < n && newest; j++)
				if (j != i && newer(t, j, i) &&
				    model_period(r, t[j], j) == pi)
					newest = 0;
			if (!newest)
				continue;
			for (size_t j = 0; j < n; j++) {
				int64_t pj = model_period(r, t[j], j);
				int first = 1;

				if (!newer(t, j, i) || pj == pi)
					continue;
				/* count each newer period once: at its
				 * newest archive */
				for (size_t k = 0; k < n && first; k++)
					if (k != j && newer(t, k, j) &&
					    model_period(r, t[k], k) == pj)
						first = 0;
				periods_after += first;
			}
			if ((int)periods_after < counts[r])
				out[i] |= bits[r];
		}
	}
}

static void test_random_histories_match_the_model(void **state)
{
	unsigned seed = 12345;
	int64_t t[40];
	unsigned got[40], want[40];

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 40) + 1;
		int counts[4];
		struct ark_retention_policy p;
		int64_t span = (rand_r(&seed) % 3) == 0 ? 3 * DAY : 400 * DAY;

		for (int r = 0; r < 4; r++)
			counts[r] = rand_r(&seed) % 5;
		p = (struct ark_retention_policy){ counts[0], counts[1],
						   counts[2], counts[3] };
		for (size_t i = 0; i < n; i++)
			t[i] = MONDAY + (int64_t)((uint64_t)rand_r(&seed) *
						  (uint64_t)rand_r(&seed) %
						  (uint64_t)span);
		if (n > 2)
			t[1] = t[0]; /* a tie */
		assert_int_equal(ark_retention_apply(t, n, &p, got), 0);
		model(t, n, counts, want);
		for (size_t i = 0; i < n; i++)
			if (got[i] != want[i])
				fail_msg("round %d, archive %zu: %u, model %u",
					 round, i, got[i], want[i]);
	}
}

static void test_describe(void **state)
{
	char text[64];

	(void)state;
	ark_retention_describe(ARK_RETAIN_NEWEST | ARK_RETAIN_DAILY |
				       ARK_RETAIN_MONTHLY,
			       text, sizeof(text));
	assert_string_equal(text, "newest, daily, monthly");
	ark_retention_describe(0, text, sizeof(text));
	assert_string_equal(text, "");
	ark_retention_describe(ARK_RETAIN_WEEKLY | ARK_RETAIN_LAST, text, 8);
	assert_string_equal(text, "last");
}

static void test_entries_add_and_sort(void **state)
{
	struct ark_retention_entry *entries = NULL, *e;
	const char *names[] = { "b-2.ark", "a\n.ark", "b-10.ark", "B.ark" };
	char long_name[700];
	size_t count = 0;

	(void)state;
	qsort(names, 4, sizeof(*names), ark_retention_compare_names);
	assert_string_equal(names[0], "B.ark");
	assert_string_equal(names[1], "a\n.ark");
	assert_string_equal(names[2], "b-10.ark");
	assert_string_equal(names[3], "b-2.ark");
	for (size_t i = 0; i < 4; i++) {
		assert_non_null(e = ark_retention_entry_add(&entries, &count,
							    names[i]));
		assert_ptr_equal(e, &entries[i]);
		e->fate = 3;
		e->reasons = ARK_RETAIN_LAST;
		e->time_ms = 7;
		snprintf(e->detail, sizeof(e->detail), "x");
	}
	assert_int_equal(count, 4);
	/* a name longer than the entry holds is cut, NUL-terminated */
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_non_null(e = ark_retention_entry_add(&entries, &count,
						    long_name));
	assert_int_equal(count, 5);
	assert_int_equal(strlen(e->name), sizeof(e->name) - 1);
	/* a new entry starts kept, with nothing else set */
	assert_int_equal(e->fate, ARK_RETENTION_KEPT);
	assert_int_equal(e->reasons, 0);
	assert_int_equal(e->time_ms, 0);
	assert_string_equal(e->detail, "");
	assert_string_equal(entries[3].name, "b-2.ark");
	assert_int_equal(entries[3].fate, 3);
	free(entries);
}

static void test_judge_entries(void **state)
{
	struct ark_retention_policy p = { 1, 0, 0, 0 };
	struct ark_retention_entry *entries = NULL, *e;
	size_t count = 0;

	(void)state;
	/* by name: old (kept), bad (another fate: ignored, though its time
	 * is the newest), a second of one time (the later: newer), new (the
	 * archive just written, its time older than the rest: the clock
	 * went back) */
	e = ark_retention_entry_add(&entries, &count, "a");
	e->time_ms = MONDAY;
	e = ark_retention_entry_add(&entries, &count, "b");
	e->time_ms = MONDAY + 5 * DAY;
	e->fate = 4;
	e = ark_retention_entry_add(&entries, &count, "c");
	e->time_ms = MONDAY + DAY;
	e = ark_retention_entry_add(&entries, &count, "d");
	e->time_ms = MONDAY + DAY;
	e = ark_retention_entry_add(&entries, &count, "e");
	e->time_ms = MONDAY - DAY;
	assert_non_null(entries);
	assert_int_equal(ark_retention_judge(entries, count, &p, "e"), 0);
	assert_int_equal(entries[0].reasons, 0);
	assert_int_equal(entries[1].reasons, 0);
	assert_int_equal(entries[1].fate, 4);
	assert_int_equal(entries[2].reasons, 0);
	assert_int_equal(entries[3].reasons,
			 ARK_RETAIN_NEWEST | ARK_RETAIN_LAST);
	assert_int_equal(entries[4].reasons, ARK_RETAIN_NEWEST);
	/* none kept: nothing to judge */
	for (size_t i = 0; i < count; i++)
		entries[i].fate = 1;
	assert_int_equal(ark_retention_judge(entries, count, &p, "e"), 0);
	assert_int_equal(ark_retention_judge(entries, 0, &p, "e"), 0);
	free(entries);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_active),
		cmocka_unit_test(test_newest_always_kept),
		cmocka_unit_test(test_keep_last),
		cmocka_unit_test(test_daily_newest_of_each_day),
		cmocka_unit_test(test_days_without_archives_do_not_count),
		cmocka_unit_test(test_weeks_start_on_monday_utc),
		cmocka_unit_test(test_monthly_calendar_months),
		cmocka_unit_test(test_rules_combine),
		cmocka_unit_test(test_random_histories_match_the_model),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_entries_add_and_sort),
		cmocka_unit_test(test_judge_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
