/*
 * ark/report.h - how the tools present results: human text or one JSON
 * object per line.  These functions write only to the stream they are
 * given; the rest of the library never prints.
 *
 * Text output never carries a raw control character from a path, a
 * member name or a manifest value: everything shown goes through
 * ark_text_escape() (ark/text.h).
 */
#ifndef ARK_REPORT_H
#define ARK_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "ark/manifest.h"
#include "ark/text.h"
#include "ark/restore.h"
#include "ark/snapshot.h"
#include "ark/transfer.h"
#include "ark/verify.h"

/*
 * "<program>: error: <msg>" and a --help hint on stderr; returns exit
 * code 2.  NULL msg: the hint only.  Tools use ark_cli_usage_error(),
 * which also prints the JSON object with --json.
 */
int ark_report_usage_error(const char *msg);

/*
 * The outcome of a run as a JSON object: "ok", "exit_code" and, when it
 * failed, "error" (the code's short name) and "message", followed by
 * fields' members (fields is consumed; NULL for none).  code is the
 * ARK_* code of the run; err (may be NULL) supplies the message.
 */
json_t *ark_report_outcome(int code, const struct ark_error *err,
			   json_t *fields);

/* The snapshot's archive path, size, hash and database, as text. */
void ark_report_snapshot(FILE *out, const struct ark_snapshot_result *result);
/* The same as JSON fields (created time included); new reference. */
json_t *ark_report_snapshot_json(const struct ark_snapshot_result *result);

/* One archive's verification outcome: "PATH: OK (...)" or "PATH: FAILED". */
void ark_report_verify(FILE *out, const struct ark_verify_result *result,
		       const struct ark_error *err);
/* The same as JSON fields, without the outcome keys; new reference. */
json_t *ark_report_verify_json(const struct ark_verify_result *result);

/* What was restored, and where the old file was kept. */
void ark_report_restore(FILE *out, const struct ark_restore_result *result);
/*
 * JSON fields for a restore of archive to target; result is NULL when the
 * restore failed (only the archive and target are known then).
 */
json_t *ark_report_restore_json(const char *archive, const char *target,
				const struct ark_restore_result *result);

/* A pg archive restored into PostgreSQL: per table rows and digests. */
void ark_report_pgrestore(FILE *out, const struct ark_pgrestore_result *result);
/*
 * After a failed restore that wrote to the target, what the target holds
 * now (steps applied, tables loaded), as "<program>: ..." lines.
 */
void ark_report_pgrestore_state(FILE *out, const char *program,
				const struct ark_pgrestore_result *result);
/* The same as JSON fields (also after a failure); new reference. */
json_t *ark_report_pgrestore_json(const struct ark_pgrestore_result *result);

/*
 * ark-checksum-verify --list: the manifest of the archive at path for a
 * person (kind, format, creation, tool, source identity, members with
 * sizes and hashes), every string escaped: manifest values are untrusted.
 */
void ark_report_manifest(FILE *out, const char *path,
			 const struct ark_manifest *manifest);
/* The same as JSON fields: "archive", "data_verified", "manifest". */
json_t *ark_report_manifest_json(const char *path,
				 const struct ark_manifest *manifest);

/* "YYYY-MM-DDTHH:MM:SSZ" for unix seconds; "" when out of range. */
void ark_report_utc(int64_t unix_seconds, char out[32]);

/* Print a JSON value as one line (durations are rounded beforehand). */
void ark_report_json(FILE *out, const json_t *value);

/*
 * One value or row ark-transfer cannot carry, as one line:
 * "refused: table "t", rowid 17, column "c": <reason>: <value>".
 */
void ark_report_refusal(FILE *out, const struct ark_transfer_refusal *refusal);
/* The transfer's summary: per table rows read, loaded, converted,
 * refused and whether the digests match, then the totals and times. */
void ark_report_transfer(FILE *out, const struct ark_transfer_result *result);
/* The same as JSON fields; new reference. */
json_t *ark_report_transfer_json(const struct ark_transfer_result *result);

#endif
