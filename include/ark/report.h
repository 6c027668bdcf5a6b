/*
 * ark/report.h - how the tools present results: human text or one JSON
 * object per line.  These functions write only to the stream they are
 * given; the rest of the library never prints.
 *
 * Text output never carries a raw control character from a path, a
 * member name or a manifest value: ark_report_escape() is the one place
 * that makes a string safe to show, used by the reports, by
 * ark_cli_report() for error lines and by the archive reader for member
 * names in its messages.
 */
#ifndef ARK_REPORT_H
#define ARK_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "ark/manifest.h"
#include "ark/restore.h"
#include "ark/snapshot.h"
#include "ark/verify.h"

/*
 * Copy text to out (room bytes, always NUL-terminated) so that it is safe
 * to show on a terminal or in a log line: control characters (below 0x20,
 * 0x7f and the C1 controls U+0080..U+009F) become \n, \t, \r or \xHH, and
 * bytes that are not valid UTF-8 become \xHH.  Everything else, backslash
 * included, is kept, so escaping an escaped string changes nothing.  An
 * escape is never cut in half; text that does not fit is cut.  Returns out.
 */
const char *ark_report_escape(const char *text, char *out, size_t room);

/* fputs(text) escaped as by ark_report_escape(), never cut. */
void ark_report_put_escaped(FILE *out, const char *text);

/*
 * A JSON string for text: exact when text is valid UTF-8 (JSON escapes
 * control characters itself), else escaped as above.  NULL text gives
 * JSON null.
 */
json_t *ark_report_json_string(const char *text);

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

#endif
