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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_success_then_failure),
		cmocka_unit_test(test_metrics_first_failure_has_no_success),
		cmocka_unit_test(test_text_report_escapes_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
