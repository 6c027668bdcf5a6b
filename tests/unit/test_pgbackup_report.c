/*
 * test_pgbackup_report.c - ark-pg-backup's --metrics file
 * (ark/pgbackup_report.h): exact text on success and on failure, the
 * label escaped as Prometheus reads it, the last success carried over a
 * failure, mode 0644; and the text report's escaping of hostile names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/pgbackup_report.h"

static const char success_text[] =
	"# HELP ark_pg_backup_last_run_timestamp_seconds When the last run ended (unix time).\n"
	"# TYPE ark_pg_backup_last_run_timestamp_seconds gauge\n"
	"ark_pg_backup_last_run_timestamp_seconds{database=\"a\\\"b\\\\c\\nd\"} 1764460800.250\n"
	"# HELP ark_pg_backup_exit_status The last run's exit status (0: success; docs/exit-codes.md).\n"
	"# TYPE ark_pg_backup_exit_status gauge\n"
	"ark_pg_backup_exit_status{database=\"a\\\"b\\\\c\\nd\"} 0\n"
	"# HELP ark_pg_backup_last_success_timestamp_seconds When the last successful run ended (unix time).\n"
	"# TYPE ark_pg_backup_last_success_timestamp_seconds gauge\n"
	"ark_pg_backup_last_success_timestamp_seconds{database=\"a\\\"b\\\\c\\nd\"} 1764460800.250\n"
	"# HELP ark_pg_backup_duration_seconds How long the last run took.\n"
	"# TYPE ark_pg_backup_duration_seconds gauge\n"
	"ark_pg_backup_duration_seconds{database=\"a\\\"b\\\\c\\nd\"} 12.500\n"
	"# HELP ark_pg_backup_bytes Size of the last archive written.\n"
	"# TYPE ark_pg_backup_bytes gauge\n"
	"ark_pg_backup_bytes{database=\"a\\\"b\\\\c\\nd\"} 123456789\n"
	"# HELP ark_pg_backup_tables Tables in the last archive.\n"
	"# TYPE ark_pg_backup_tables gauge\n"
	"ark_pg_backup_tables{database=\"a\\\"b\\\\c\\nd\"} 7\n"
	"# HELP ark_pg_backup_rows Rows in the last archive.\n"
	"# TYPE ark_pg_backup_rows gauge\n"
	"ark_pg_backup_rows{database=\"a\\\"b\\\\c\\nd\"} 1000000\n";

static const char failure_text[] =
	"# HELP ark_pg_backup_last_run_timestamp_seconds When the last run ended (unix time).\n"
	"# TYPE ark_pg_backup_last_run_timestamp_seconds gauge\n"
	"ark_pg_backup_last_run_timestamp_seconds{database=\"a\\\"b\\\\c\\nd\"} 1764547200.000\n"
	"# HELP ark_pg_backup_exit_status The last run's exit status (0: success; docs/exit-codes.md).\n"
	"# TYPE ark_pg_backup_exit_status gauge\n"
	"ark_pg_backup_exit_status{database=\"a\\\"b\\\\c\\nd\"} 13\n"
	"# HELP ark_pg_backup_last_failure_timestamp_seconds When the last failed run ended (unix time).\n"
	"# TYPE ark_pg_backup_last_failure_timestamp_seconds gauge\n"
	"ark_pg_backup_last_failure_timestamp_seconds{database=\"a\\\"b\\\\c\\nd\"} 1764547200.000\n"
	"# HELP ark_pg_backup_last_success_timestamp_seconds When the last successful run ended (unix time).\n"
	"# TYPE ark_pg_backup_last_success_timestamp_seconds gauge\n"
	"ark_pg_backup_last_success_timestamp_seconds{database=\"a\\\"b\\\\c\\nd\"} 1764460800.250\n"
	"# HELP ark_pg_backup_duration_seconds How long the last run took.\n"
	"# TYPE ark_pg_backup_duration_seconds gauge\n"
	"ark_pg_backup_duration_seconds{database=\"a\\\"b\\\\c\\nd\"} 0.500\n";

static void test_metrics_success_then_failure(void **state)
{
	struct ark_pgbackup_result result = { 0 };
	struct ark_error err = { 0 };
	char dir[256], path[512], text[8192];
	struct stat st;

	(void)state;
	unit_make_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ark.prom", dir);
	snprintf(result.database, sizeof(result.database), "a\"b\\c\nd");
	result.seconds = 12.5;
	result.bytes = 123456789;
	result.tables = 7;
	result.rows = 1000000;
	assert_int_equal(ark_report_pgbackup_metrics(path, &result, 0,
						     1764460800.25, &err), 0);
	assert_true(unit_read_file(path, text, sizeof(text)) > 0);
	assert_string_equal(text, success_text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* a failure a day later keeps the success's time */
	result.seconds = 0.5;
	assert_int_equal(ark_report_pgbackup_metrics(path, &result,
						     ARK_ERR_PG_QUERY,
						     1764547200.0, &err), 0);
	assert_true(unit_read_file(path, text, sizeof(text)) > 0);
	assert_string_equal(text, failure_text);
	/* only the file: no temporary left */
	assert_int_equal(unit_count_entries(dir), 1);
	unit_remove_tree(dir);
}

static void test_metrics_first_failure_has_no_success(void **state)
{
	struct ark_pgbackup_result result = { 0 };
	struct ark_error err = { 0 };
	char dir[256], path[512], text[8192];

	(void)state;
	unit_make_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ark.prom", dir);
	assert_int_equal(ark_report_pgbackup_metrics(path, &result,
						     ARK_ERR_LOCKED, 5.0, &err),
			 0);
	assert_true(unit_read_file(path, text, sizeof(text)) > 0);
	assert_null(strstr(text, "last_success"));
	assert_non_null(strstr(text, "ark_pg_backup_exit_status{database=\"\"} 8\n"));
	/* a directory that does not exist: ARK_ERR_WRITE */
	snprintf(path, sizeof(path), "%s/no/ark.prom", dir);
	assert_int_equal(ark_report_pgbackup_metrics(path, &result, 0, 5.0,
						     &err),
			 ARK_ERR_WRITE);
	unit_remove_tree(dir);
}

static void test_text_report_escapes_names(void **state)
{
	struct ark_pgbackup_result result = { 0 };
	struct ark_retention_entry entry = { 0 };
	struct ark_pgbackup_skip skip = { "s\nx", "t\tq", "why" };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	snprintf(result.archive, sizeof(result.archive), "r/a\nb.ark");
	snprintf(result.database, sizeof(result.database), "a\nb");
	snprintf(entry.name, sizeof(entry.name), "a\nb.ark");
	entry.reasons = 1;
	result.entries = &entry;
	result.entry_count = 1;
	result.skipped = &skip;
	result.skipped_count = 1;
	result.server_version = 150004;
	result.pg_dump_major = 15;
	ark_report_pgbackup(out, &result);
	fclose(out);
	assert_string_equal(text,
		"backup: r/a\\nb.ark (0 bytes, 0 tables, 0 rows, 0 sequences, 0 large objects) in 0.0 s\n"
		"database \"a\\nb\" (), PostgreSQL 15.4, pg_dump 15 ()\n"
		"not backed up: table \"s\\nx\".\"t\\tq\": why\n"
		"kept: a\\nb.ark (newest)\n");
	free(text);
}

/* One entry of each fate for the repository and the remote: each owner's
 * names, " (left in place)" only for its own fate, exact text and JSON. */
static void test_every_fate_text_and_json(void **state)
{
	struct ark_retention_entry repo[6], remote[5];
	struct ark_pgbackup_result result = { 0 };
	struct ark_offsite_result offsite = { 0 };
	const int repo_fates[6] = { ARK_PGBACKUP_KEPT, ARK_PGBACKUP_REMOVED,
				    ARK_PGBACKUP_WOULD_REMOVE,
				    ARK_PGBACKUP_BAD, ARK_PGBACKUP_LEFTOVER,
				    ARK_PGBACKUP_REMOVE_FAILED };
	const int remote_fates[5] = { ARK_OFFSITE_KEPT, ARK_OFFSITE_REMOVED,
				      ARK_OFFSITE_WOULD_REMOVE,
				      ARK_OFFSITE_PARTIAL,
				      ARK_OFFSITE_REMOVE_FAILED };
	char *text = NULL, *dumped;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	json_t *json;

	(void)state;
	memset(repo, 0, sizeof(repo));
	memset(remote, 0, sizeof(remote));
	for (int i = 0; i < 6; i++) {
		snprintf(repo[i].name, sizeof(repo[i].name), "r%d.ark", i);
		repo[i].fate = repo_fates[i];
	}
	for (int i = 0; i < 5; i++) {
		snprintf(remote[i].name, sizeof(remote[i].name), "o%d.ark", i);
		remote[i].fate = remote_fates[i];
	}
	repo[0].reasons = ARK_RETAIN_NEWEST | ARK_RETAIN_DAILY;
	snprintf(repo[3].detail, sizeof(repo[3].detail), "not \"ark\"\n");
	snprintf(repo[5].detail, sizeof(repo[5].detail), "Permission denied");
	remote[0].reasons = ARK_RETAIN_LAST;
	snprintf(remote[4].detail, sizeof(remote[4].detail), "exited 1");
	result.entries = repo;
	result.entry_count = 6;
	offsite.configured = offsite.rclone = offsite.copied = 1;
	offsite.verified = offsite.hash_checked = 1;
	snprintf(offsite.remote, sizeof(offsite.remote), "r:p/n.ark");
	offsite.entries = remote;
	offsite.entry_count = 5;
	ark_report_pgbackup_repository(out, &result);
	ark_report_offsite(out, &offsite);
	fclose(out);
	assert_string_equal(text,
		"kept: r0.ark (newest, daily)\n"
		"removed: r1.ark\n"
		"would remove: r2.ark\n"
		"bad archive: r3.ark: not \"ark\"\\n (left in place)\n"
		"removed leftover: r4.ark\n"
		"cannot remove: r5.ark: Permission denied\n"
		"offsite: copied to r:p/n.ark (verified: size and hash) in 0.0 s\n"
		"offsite kept: o0.ark (last)\n"
		"offsite removed: o1.ark\n"
		"offsite would remove: o2.ark\n"
		"offsite partial copy: o3.ark (left in place)\n"
		"offsite cannot remove: o4.ark: exited 1\n");
	free(text);
	json = ark_report_pgbackup_json(&result);
	dumped = json_dumps(json_object_get(json, "repository"),
			    JSON_COMPACT);
	assert_string_equal(dumped,
		"[{\"name\":\"r0.ark\",\"fate\":\"kept\",\"kept_by\":\"newest, daily\"},"
		"{\"name\":\"r1.ark\",\"fate\":\"removed\"},"
		"{\"name\":\"r2.ark\",\"fate\":\"would remove\"},"
		"{\"name\":\"r3.ark\",\"fate\":\"bad archive\",\"detail\":\"not \\\"ark\\\"\\n\"},"
		"{\"name\":\"r4.ark\",\"fate\":\"removed leftover\"},"
		"{\"name\":\"r5.ark\",\"fate\":\"cannot remove\",\"detail\":\"Permission denied\"}]");
	free(dumped);
	json_decref(json);
	json = ark_report_offsite_json(&offsite);
	dumped = json_dumps(json_object_get(json, "entries"), JSON_COMPACT);
	assert_string_equal(dumped,
		"[{\"name\":\"o0.ark\",\"fate\":\"kept\",\"kept_by\":\"last\"},"
		"{\"name\":\"o1.ark\",\"fate\":\"removed\"},"
		"{\"name\":\"o2.ark\",\"fate\":\"would remove\"},"
		"{\"name\":\"o3.ark\",\"fate\":\"partial copy\"},"
		"{\"name\":\"o4.ark\",\"fate\":\"cannot remove\",\"detail\":\"exited 1\"}]");
	free(dumped);
	json_decref(json);
	/* a fate no owner has */
	repo[0].fate = 99;
	result.entry_count = 1;
	json = ark_report_pgbackup_json(&result);
	dumped = json_dumps(json_object_get(json, "repository"),
			    JSON_COMPACT);
	assert_string_equal(dumped, "[{\"name\":\"r0.ark\",\"fate\":\"?\","
				    "\"kept_by\":\"newest, daily\"}]");
	free(dumped);
	json_decref(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_success_then_failure),
		cmocka_unit_test(test_metrics_first_failure_has_no_success),
		cmocka_unit_test(test_text_report_escapes_names),
		cmocka_unit_test(test_every_fate_text_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
