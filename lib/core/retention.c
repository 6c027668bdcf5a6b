/*
 * retention.c - grandfather-father-son over archive times (ark/retention.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ark/retention.h"

#define MS_PER_DAY 86400000LL

int ark_retention_active(const struct ark_retention_policy *policy)
{
	return policy->keep_last > 0 || policy->keep_daily > 0 ||
	       policy->keep_weekly > 0 || policy->keep_monthly > 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t day_of(int64_t ms)
{
	return floor_div(ms, MS_PER_DAY);
}

/* Weeks from Monday 1969-12-29 (1970-01-01 was a Thursday): ISO weeks. */
static int64_t week_of(int64_t ms)
{
	return floor_div(day_of(ms) + 3, 7);
}

static int64_t month_of(int64_t ms)
{
	time_t seconds = (time_t)floor_div(ms, 1000);
	struct tm tm;

	if (!gmtime_r(&seconds, &tm))
		return day_of(ms); /* out of range: any distinct value */
	return (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
}

struct entry {
	int64_t ms;
	size_t index;
};

/* Newest first; of one time, the higher index first. */
static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? 1 : -1;
	return x->index < y->index ? 1 : x->index > y->index ? -1 : 0;
}

int ark_retention_apply(const int64_t *times_ms, size_t n,
			const struct ark_retention_policy *policy,
			unsigned *reasons)
{
	static const unsigned bits[4] = { ARK_RETAIN_LAST, ARK_RETAIN_DAILY,
					   ARK_RETAIN_WEEKLY,
					   ARK_RETAIN_MONTHLY };
	int counts[4] = { policy->keep_last, policy->keep_daily,
			  policy->keep_weekly, policy->keep_monthly };
	int64_t last[4] = { 0 };
	int started[4] = { 0 };
	struct entry *order;
	size_t i;
	int r;

	if (n == 0)
		return 0;
	if (!(order = calloc(n, sizeof(*order))))
		return -1;
	for (i = 0; i < n; i++)
		order[i] = (struct entry){ times_ms[i], i };
	qsort(order, n, sizeof(*order), newest_first);
	for (i = 0; i < n; i++)
		reasons[i] = 0;
	reasons[order[0].index] |= ARK_RETAIN_NEWEST;
	for (i = 0; i < n; i++) {
		int64_t ms = order[i].ms;
		int64_t period[4] = { (int64_t)i, day_of(ms), week_of(ms),
				      month_of(ms) };

		for (r = 0; r < 4; r++) {
			if (counts[r] <= 0)
				continue;
			if (started[r] && period[r] == last[r])
				continue;
			started[r] = 1;
			last[r] = period[r];
			counts[r]--;
			reasons[order[i].index] |= bits[r];
		}
	}
	free(order);
	return 0;
}

void ark_retention_describe(unsigned reasons, char *out, size_t room)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ ARK_RETAIN_NEWEST, "newest" }, { ARK_RETAIN_LAST, "last" },
		{ ARK_RETAIN_DAILY, "daily" },   { ARK_RETAIN_WEEKLY, "weekly" },
		{ ARK_RETAIN_MONTHLY, "monthly" },
	};
	size_t used = 0, i;

	if (room == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int len;

		if (!(reasons & names[i].bit))
			continue;
		len = snprintf(out + used, room - used, "%s%s",
			       used ? ", " : "", names[i].name);
		if (len < 0 || (size_t)len >= room - used) {
			out[used] = '\0'; /* whole names only */
			return;
		}
		used += (size_t)len;
	}
}

struct ark_retention_entry *
ark_retention_entry_add(struct ark_retention_entry **entries, size_t *count,
			const char *name)
{
	struct ark_retention_entry *e;

	e = realloc(*entries, (*count + 1) * sizeof(*e));
	if (!e)
		return NULL;
	*entries = e;
	e = &e[(*count)++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

int ark_retention_compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ark_retention_judge(struct ark_retention_entry *entries, size_t n,
			const struct ark_retention_policy *policy,
			const char *newest)
{
	int64_t *times = calloc(n + 1, sizeof(*times));
	unsigned *reasons = calloc(n + 1, sizeof(*reasons));
	size_t good = 0, i;
	int rc = -1;

	if (!times || !reasons)
		goto cleanup;
	for (i = 0; i < n; i++)
		if (entries[i].fate == ARK_RETENTION_KEPT)
			times[good++] = entries[i].time_ms;
	if (ark_retention_apply(times, good, policy, reasons) != 0)
		goto cleanup;
	for (i = 0, good = 0; i < n; i++) {
		struct ark_retention_entry *e = &entries[i];

		if (e->fate != ARK_RETENTION_KEPT)
			continue;
		e->reasons = reasons[good++];
		if (!e->reasons && strcmp(e->name, newest) == 0)
			e->reasons = ARK_RETAIN_NEWEST; /* clock went back */
	}
	rc = 0;
cleanup:
	free(times);
	free(reasons);
	return rc;
}
