/*
 * pgbackup_report.c - ark-pg-backup's result as text, JSON and metrics
 * (ark/pgbackup_report.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ark/buf.h"
#include "ark/fsio.h"
#include "ark/pgbackup_report.h"
#include "ark/report.h"
#include "ark/retention.h"
#include "ark/text.h"

/* How a report names one owner's fates (ark/retention.h's entries). */
struct fates {
	const char *const *names; /* by fate */
	size_t count;
	int left_in_place;        /* the fate whose lines say so */
};

static const char *const repository_fate_names[] = {
	[ARK_PGBACKUP_KEPT] = "kept",
	[ARK_PGBACKUP_REMOVED] = "removed",
	[ARK_PGBACKUP_WOULD_REMOVE] = "would remove",
	[ARK_PGBACKUP_BAD] = "bad archive",
	[ARK_PGBACKUP_LEFTOVER] = "removed leftover",
	[ARK_PGBACKUP_REMOVE_FAILED] = "cannot remove",
};

static const struct fates repository_fates = {
	repository_fate_names,
	sizeof(repository_fate_names) / sizeof(repository_fate_names[0]),
	ARK_PGBACKUP_BAD,
};

static const char *const offsite_fate_names[] = {
	[ARK_OFFSITE_KEPT] = "kept",
	[ARK_OFFSITE_REMOVED] = "removed",
	[ARK_OFFSITE_WOULD_REMOVE] = "would remove",
	[ARK_OFFSITE_PARTIAL] = "partial copy",
	[ARK_OFFSITE_REMOVE_FAILED] = "cannot remove",
};

static const struct fates offsite_fates = {
	offsite_fate_names,
	sizeof(offsite_fate_names) / sizeof(offsite_fate_names[0]),
	ARK_OFFSITE_PARTIAL,
};

static const char *fate_name(const struct fates *fates, int fate)
{
	if (fate < 0 || (size_t)fate >= fates->count || !fates->names[fate])
		return "?";
	return fates->names[fate];
}

/*
 * One line per entry: "PREFIXFATE: NAME (kept by)[: detail]", with
 * " (left in place)" for the fate that is.
 */
static void put_entries(FILE *out, const char *prefix,
			const struct ark_retention_entry *entries,
			size_t count, const struct fates *fates)
{
	for (size_t i = 0; i < count; i++) {
		const struct ark_retention_entry *e = &entries[i];
		char reasons[64];

		fprintf(out, "%s%s: ", prefix, fate_name(fates, e->fate));
		ark_text_put_escaped(out, e->name);
		if (e->fate == ARK_RETENTION_KEPT && e->reasons) {
			ark_retention_describe(e->reasons, reasons,
					       sizeof(reasons));
			fprintf(out, " (%s)", reasons);
		}
		if (e->detail[0]) {
			fputs(": ", out);
			ark_text_put_escaped(out, e->detail);
		}
		if (e->fate == fates->left_in_place)
			fputs(" (left in place)", out);
		fputc('\n', out);
	}
}

/* The entries as a JSON array (name, fate, kept_by, detail); NULL when
 * out of memory. */
static json_t *entries_json(const struct ark_retention_entry *entries,
			    size_t count, const struct fates *fates)
{
	json_t *array = json_array();

	for (size_t i = 0; array && i < count; i++) {
		const struct ark_retention_entry *e = &entries[i];
		char reasons[64];
		json_t *entry;

		ark_retention_describe(e->reasons, reasons, sizeof(reasons));
		entry = json_pack("{s:o, s:s}", "name",
				  ark_text_json_string(e->name), "fate",
				  fate_name(fates, e->fate));
		if (entry && reasons[0])
			json_object_set_new(entry, "kept_by",
					    json_string(reasons));
		if (entry && e->detail[0])
			json_object_set_new(entry, "detail",
					    ark_text_json_string(e->detail));
		json_array_append_new(array, entry);
	}
	return array;
}

void ark_report_pgbackup_repository(FILE *out,
				    const struct ark_pgbackup_result *result)
{
	put_entries(out, "", result->entries, result->entry_count,
		    &repository_fates);
}

void ark_report_pgbackup(FILE *out, const struct ark_pgbackup_result *result)
{
	fputs("backup: ", out);
	ark_text_put_escaped(out, result->archive);
	fprintf(out, " (%" PRIu64 " bytes, %zu tables, %" PRIu64 " rows, "
		"%zu sequences, %" PRIu64 " large objects%s) in %.1f s\n",
		result->bytes, result->tables, result->rows,
		result->sequences, result->large_objects,
		result->large_objects && !result->large_objects_included
			? " NOT backed up"
			: "",
		result->seconds);
	fputs("database \"", out);
	ark_text_put_escaped(out, result->database);
	fputs("\" (", out);
	ark_text_put_escaped(out, result->conninfo);
	fprintf(out, "), PostgreSQL %d.%d%s, pg_dump %d (", 
		result->server_version / 10000, result->server_version % 10000,
		result->standby ? " standby" : "", result->pg_dump_major);
	ark_text_put_escaped(out, result->pg_dump);
	fputs(")\n", out);
	for (size_t i = 0; i < result->skipped_count; i++) {
		fputs("not backed up: table \"", out);
		ark_text_put_escaped(out, result->skipped[i].schema);
		fputs("\".\"", out);
		ark_text_put_escaped(out, result->skipped[i].name);
		fprintf(out, "\": %s\n", result->skipped[i].why);
	}
	ark_report_pgbackup_repository(out, result);
}

json_t *ark_report_pgbackup_json(const struct ark_pgbackup_result *result)
{
	json_t *root = json_object(),
	       *entries = entries_json(result->entries, result->entry_count,
				       &repository_fates),
	       *skipped = json_array();
	char created[32];

	if (!root || !entries || !skipped) {
		json_decref(root);
		json_decref(entries);
		json_decref(skipped);
		return NULL;
	}
	for (size_t i = 0; i < result->skipped_count; i++)
		json_array_append_new(
			skipped,
			json_pack("{s:o, s:o, s:s}", "schema",
				  ark_text_json_string(result->skipped[i].schema),
				  "table",
				  ark_text_json_string(result->skipped[i].name),
				  "reason", result->skipped[i].why));
	if (result->written) {
		ark_report_utc(result->created_unix, created);
		json_object_set_new(root, "archive",
				    ark_text_json_string(result->archive));
		json_object_set_new(root, "created", json_string(created));
		json_object_set_new(root, "bytes",
				    json_integer((json_int_t)result->bytes));
		json_object_set_new(root, "raw_bytes",
				    json_integer((json_int_t)result->raw_bytes));
		json_object_set_new(root, "verified",
				    json_boolean(result->verified));
	}
	if (result->database[0]) {
		json_object_set_new(root, "database",
				    ark_text_json_string(result->database));
		json_object_set_new(root, "server_version",
				    json_integer(result->server_version));
		json_object_set_new(root, "standby",
				    json_boolean(result->standby));
	}
	if (result->pg_dump[0])
		json_object_set_new(root, "pg_dump",
				    ark_text_json_string(result->pg_dump));
	json_object_set_new(root, "tables",
			    json_integer((json_int_t)result->tables));
	json_object_set_new(root, "rows", json_integer((json_int_t)result->rows));
	json_object_set_new(root, "sequences",
			    json_integer((json_int_t)result->sequences));
	json_object_set_new(root, "large_objects",
			    json_integer((json_int_t)result->large_objects));
	json_object_set_new(root, "large_objects_included",
			    json_boolean(result->large_objects_included));
	json_object_set_new(root, "seconds",
			    json_real((double)(int64_t)(result->seconds * 1000) /
				      1000.0));
	json_object_set_new(root, "not_backed_up", skipped);
	json_object_set_new(root, "retention_applied",
			    json_boolean(result->retention_applied));
	json_object_set_new(root, "repository", entries);
	return root;
}

/* ---- the offsite copy ---- */

static int offsite_ok(const struct ark_offsite_result *offsite)
{
	return offsite->copied && (!offsite->rclone || offsite->verified);
}

void ark_report_offsite(FILE *out, const struct ark_offsite_result *offsite)
{
	if (!offsite->configured)
		return;
	if (!offsite->copied) {
		fputs("offsite: NOT copied to ", out);
		ark_text_put_escaped(out, offsite->target);
		fputc('\n', out);
	} else if (offsite->rclone) {
		fputs("offsite: copied to ", out);
		ark_text_put_escaped(out, offsite->remote);
		fputs(!offsite->verified ? " (NOT verified)"
		      : offsite->hash_checked
			      ? " (verified: size and hash)"
			      : " (verified: size only, no hash both sides "
				"have)",
		      out);
		fprintf(out, " in %.1f s\n", offsite->seconds);
	} else {
		fputs("offsite: copied by ", out);
		ark_text_put_escaped(out, offsite->program);
		fprintf(out, " (exit status 0) in %.1f s; no remote retention "
			"(a command cannot list the remote)\n",
			offsite->seconds);
	}
	put_entries(out, "offsite ", offsite->entries, offsite->entry_count,
		    &offsite_fates);
}

json_t *ark_report_offsite_json(const struct ark_offsite_result *offsite)
{
	json_t *root = json_object(),
	       *entries = entries_json(offsite->entries, offsite->entry_count,
				       &offsite_fates);

	if (!root || !entries) {
		json_decref(root);
		json_decref(entries);
		return NULL;
	}
	json_object_set_new(root, "method",
			    json_string(offsite->rclone ? "rclone" : "command"));
	json_object_set_new(root, "target",
			    ark_text_json_string(offsite->target));
	if (offsite->rclone && offsite->remote[0])
		json_object_set_new(root, "remote",
				    ark_text_json_string(offsite->remote));
	if (offsite->program[0])
		json_object_set_new(root, "program",
				    ark_text_json_string(offsite->program));
	json_object_set_new(root, "copied", json_boolean(offsite->copied));
	if (offsite->rclone) {
		json_object_set_new(root, "verified",
				    json_boolean(offsite->verified));
		json_object_set_new(root, "hash_checked",
				    json_boolean(offsite->hash_checked));
	}
	json_object_set_new(root, "retention_applied",
			    json_boolean(offsite->retention_applied));
	json_object_set_new(root, "seconds",
			    json_real((double)(int64_t)(offsite->seconds *
							1000) /
				      1000.0));
	json_object_set_new(root, "entries", entries);
	return root;
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static void append_label(struct ark_buf *out, const char *text)
{
	for (; *text; text++) {
		if (*text == '\\' || *text == '"')
			ark_buf_append_char(out, '\\');
		if (*text == '\n') {
			ark_buf_append_str(out, "\\n");
			continue;
		}
		ark_buf_append_char(out, *text);
	}
}

/* The last success time the file at path recorded, or -1. */
static double previous_success(const char *path)
{
	static const char name[] = "ark_pg_backup_last_success_timestamp_seconds";
	char line[2048];
	double value = -1;
	FILE *in = fopen(path, "r");

	if (!in)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		char *space;

		if (strncmp(line, name, sizeof(name) - 1) != 0 ||
		    (line[sizeof(name) - 1] != '{' &&
		     line[sizeof(name) - 1] != ' '))
			continue;
		if ((space = strrchr(line, ' ')) != NULL)
			value = strtod(space + 1, NULL);
	}
	fclose(in);
	return value;
}

static void metric(struct ark_buf *out, const char *labels, const char *name,
		   const char *help, int decimals, double value)
{
	ark_buf_appendf(out, "# HELP %s %s\n# TYPE %s gauge\n%s%s ", name,
			help, name, name, labels);
	ark_buf_appendf(out, "%.*f", decimals, value);
	ark_buf_append_char(out, '\n');
}

int ark_report_pgbackup_metrics(const char *path,
				const struct ark_pgbackup_result *result,
				int code, double now_unix,
				struct ark_error *err)
{
	return ark_report_pgbackup_metrics_offsite(path, result, NULL, code,
						   now_unix, err);
}

int ark_report_pgbackup_metrics_offsite(
	const char *path, const struct ark_pgbackup_result *result,
	const struct ark_offsite_result *offsite, int code, double now_unix,
	struct ark_error *err)
{
	struct ark_buf text = ARK_BUF_INIT, labels = ARK_BUF_INIT;
	struct ark_atomic_file *file = NULL;
	double success = code == 0 ? now_unix : previous_success(path);
	int rc;

	ark_buf_append_str(&labels, "{database=\"");
	append_label(&labels, result->database);
	ark_buf_append_str(&labels, "\"}");
	metric(&text, labels.data, "ark_pg_backup_last_run_timestamp_seconds",
	       "When the last run ended (unix time).", 3, now_unix);
	metric(&text, labels.data, "ark_pg_backup_exit_status",
	       "The last run's exit status (0: success; "
	       "docs/exit-codes.md).", 0,
	       (double)ark_error_exit_code(code));
	if (code != 0)
		metric(&text, labels.data,
		       "ark_pg_backup_last_failure_timestamp_seconds",
		       "When the last failed run ended (unix time).", 3,
		       now_unix);
	if (success >= 0)
		metric(&text, labels.data,
		       "ark_pg_backup_last_success_timestamp_seconds",
		       "When the last successful run ended (unix time).",
		       3, success);
	metric(&text, labels.data, "ark_pg_backup_duration_seconds",
	       "How long the last run took.", 3, result->seconds);
	if (code == 0) {
		metric(&text, labels.data, "ark_pg_backup_bytes",
		       "Size of the last archive written.", 0,
		       (double)result->bytes);
		metric(&text, labels.data, "ark_pg_backup_tables",
		       "Tables in the last archive.", 0,
		       (double)result->tables);
		metric(&text, labels.data, "ark_pg_backup_rows",
		       "Rows in the last archive.", 0,
		       (double)result->rows);
	}
	if (offsite && offsite->configured)
		metric(&text, labels.data, "ark_pg_backup_offsite_success",
		       "1 when the last run's archive was copied offsite "
		       "(--copy-to, --copy-to-command), else 0.", 0,
		       offsite_ok(offsite) ? 1.0 : 0.0);
	if (ark_buf_failed(&text) || ark_buf_failed(&labels)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_atomic_open(path, &file, err)) ||
	    (rc = ark_fsio_write_all(ark_atomic_fd(file), text.data, text.len,
				     path, err)))
		goto cleanup;
	if (fchmod(ark_atomic_fd(file), 0644) != 0) {
		rc = ark_error_set(err, ARK_ERR_WRITE, errno,
				   "cannot write '%s'", path);
		goto cleanup;
	}
	rc = ark_atomic_commit(file, ARK_COMMIT_REPLACE, err);
cleanup:
	ark_atomic_free(file);
	ark_buf_free(&text);
	ark_buf_free(&labels);
	return rc;
}
