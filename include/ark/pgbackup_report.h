/*
 * ark/pgbackup_report.h - ark-pg-backup's result for people (text), for
 * machines (--json) and for monitoring (--metrics: a Prometheus
 * textfile-collector file).  Names come from the database: escaped.
 */
#ifndef ARK_PGBACKUP_REPORT_H
#define ARK_PGBACKUP_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "ark/error.h"
#include "ark/offsite.h"
#include "ark/pgbackup.h"

/* The archive written, what it holds, and the repository's fate lines. */
void ark_report_pgbackup(FILE *out, const struct ark_pgbackup_result *result);
/* The repository lines alone (also after a failure, e.g. a bad archive
 * seen before it); "kept: ...", "removed: ...", ... */
void ark_report_pgbackup_repository(FILE *out,
				    const struct ark_pgbackup_result *result);
/* The same as JSON fields; new reference. */
json_t *ark_report_pgbackup_json(const struct ark_pgbackup_result *result);

/*
 * Write the metrics file at path atomically (0644: a collector reads
 * it): the run's exit status, its end time, and on success the archive's
 * figures and ark_pg_backup_last_success_timestamp_seconds; a failed run
 * carries the last success time of the file it replaces forward.  Every
 * sample is labelled database="..." (escaped as Prometheus wants).
 * code is the run's ARK_* result; now_unix its end.
 */
int ark_report_pgbackup_metrics(const char *path,
				const struct ark_pgbackup_result *result,
				int code, double now_unix,
				struct ark_error *err);
/*
 * The same, with the offsite copy's outcome when one was asked for
 * (offsite NULL or not configured: none): ark_pg_backup_offsite_success,
 * 1 when this run's archive was copied (and, with rclone, found equal
 * remotely), else 0.
 */
int ark_report_pgbackup_metrics_offsite(
	const char *path, const struct ark_pgbackup_result *result,
	const struct ark_offsite_result *offsite, int code, double now_unix,
	struct ark_error *err);

/* --copy-to: "offsite: copied to REMOTE (verified ...)" and the remote's
 * fate lines ("offsite removed: NAME", ...); nothing when not configured. */
void ark_report_offsite(FILE *out, const struct ark_offsite_result *offsite);
/* The same as the "offsite" object of --json; new reference. */
json_t *ark_report_offsite_json(const struct ark_offsite_result *offsite);

#endif
