/*
 * ark/retention.h - which archives a repository keeps (ark-pg-backup
 * --keep-last/-daily/-weekly/-monthly, docs/repository.md).
 *
 * Grandfather-father-son as restic defines it: the archives are taken
 * newest first; a rule "keep N per period" keeps an archive when it is the
 * newest of its period (UTC day; ISO week, Monday to Sunday; calendar
 * month) and fewer than N periods have been kept by that rule so far.
 * --keep-last N keeps the N newest.  The rules are counted independently
 * (an archive kept by one rule also counts for the others), an archive
 * is kept when any rule keeps it, periods without an archive do not
 * count, and the newest archive is always kept.
 */
#ifndef ARK_RETENTION_H
#define ARK_RETENTION_H

#include <stddef.h>
#include <stdint.h>

struct ark_retention_policy {
	int keep_last;    /* 0: rule off */
	int keep_daily;
	int keep_weekly;
	int keep_monthly;
};

/* Why an archive is kept: bits of ark_retention_apply()'s reasons. */
enum ark_retention_reason {
	ARK_RETAIN_NEWEST = 1,
	ARK_RETAIN_LAST = 2,
	ARK_RETAIN_DAILY = 4,
	ARK_RETAIN_WEEKLY = 8,
	ARK_RETAIN_MONTHLY = 16,
};

/* Whether any rule is on (with none, nothing is ever removed). */
int ark_retention_active(const struct ark_retention_policy *policy);

/*
 * times_ms[i]: archive i's time (unix milliseconds, UTC), any order; two
 * archives of one time are ordered by index (the higher the newer, as
 * names sorted bytewise are).  reasons[i] receives the ARK_RETAIN_* bits
 * that keep archive i, 0 for an archive to remove.  n may be 0.
 * 0, or -1 when out of memory (reasons then untouched).
 */
int ark_retention_apply(const int64_t *times_ms, size_t n,
			const struct ark_retention_policy *policy,
			unsigned *reasons);

/* "daily, weekly" and the like for reasons, into out (room bytes). */
void ark_retention_describe(unsigned reasons, char *out, size_t room);

/* An entry's fate that retention decides on: every owner's enum of fates
 * (ark_pgbackup_fate, ark_offsite_fate) gives it this value. */
#define ARK_RETENTION_KEPT 0

/*
 * One file retention saw: an archive of a repository (ark/pgbackup.h) or
 * of an offsite copy's remote (ark/offsite.h).  fate is a value of the
 * owner's enum of fates, named by the owner's report.
 */
struct ark_retention_entry {
	char name[512];   /* file name in the repository or remote */
	int64_t time_ms;  /* from the name; 0 when it has none (a leftover) */
	int fate;         /* the owner's enum; ARK_RETENTION_KEPT: kept */
	unsigned reasons; /* ARK_RETAIN_* bits when kept */
	char detail[512]; /* why it is bad, or the removal's error */
};

/*
 * Append an entry for name (fate ARK_RETENTION_KEPT, the rest zero) to
 * the array *entries of *count entries; the new entry, or NULL when out
 * of memory (the array then unchanged).
 */
struct ark_retention_entry *
ark_retention_entry_add(struct ark_retention_entry **entries, size_t *count,
			const char *name);

/* qsort's comparison of two (const) char * elements, bytewise. */
int ark_retention_compare_names(const void *a, const void *b);

/*
 * Run the policy over the entries of fate ARK_RETENTION_KEPT (in name
 * order: of one time, the later is the newer): each one's reasons set,
 * 0 for one to remove; the entry named newest (the archive just written)
 * is kept even when older ones look newer (the clock went back).  The
 * other entries are left alone.  0, or -1 when out of memory (nothing
 * set).
 */
int ark_retention_judge(struct ark_retention_entry *entries, size_t n,
			const struct ark_retention_policy *policy,
			const char *newest);

#endif
