/*
 * ark/report.h - how the tools present results: human text or one JSON
 * object.  These functions write only to the stream they are given; the
 * rest of the library never prints.
 */
#ifndef ARK_REPORT_H
#define ARK_REPORT_H

#include <stdio.h>

#include "ark/restore.h"
#include "ark/snapshot.h"
#include "ark/verify.h"

/* "<program>: <msg>" and a --help hint on stderr; returns exit code 2. */
int ark_report_usage_error(const char *msg);

/* The snapshot's archive path, size, hash and source, as text or JSON. */
void ark_report_snapshot(FILE *out, const struct ark_snapshot_result *result,
			 int json);

/* One archive's verification outcome: "PATH: OK (...)" or "PATH: FAILED". */
void ark_report_verify(FILE *out, const struct ark_verify_result *result,
		       const struct ark_error *err, int json);

/* What was restored, and where the old file was kept. */
void ark_report_restore(FILE *out, const struct ark_restore_result *result,
			int json);

/* Print a JSON value as one line. */
void ark_report_json(FILE *out, const json_t *value);

#endif
