/*
 * test_offsite.c - the pure parts of the offsite copy (ark/offsite.h):
 * the command's argv, the remote's names, option checks; the archive
 * names it shares with the repository (ark/archive_name.h); and running
 * a program without a shell (ark/proc.h): argv passed literally, exit
 * status, standard error's line worth showing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/archive_name.h"
#include "ark/offsite.h"
#include "ark/proc.h"

static void assert_argv(const char *command, const char *archive,
			const char *const *want)
{
	struct ark_error err = { 0 };
	char **argv = NULL;
	size_t i;

	assert_int_equal(ark_offsite_command_argv(command, archive, &argv,
						  &err), 0);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
	ark_offsite_argv_free(argv);
}

static void test_command_argv(void **state)
{
	const char *archive = "/var/b $(x)/app-20260105T100000.000Z.ark";
	const char *const simple[] = { "aws", "s3", "cp", archive,
				       "s3://bucket/db/", NULL };
	struct ark_error err = { 0 };
	char **argv = (char **)1;

	(void)state;
	assert_argv("aws s3 cp {} s3://bucket/db/", archive, simple);
	assert_argv("  \tcp  --\t{}  remote/{name}.copy {x} {name   x{}y ",
		    archive,
		    (const char *const[]){
			    "cp", "--", archive,
			    "remote/app-20260105T100000.000Z.ark.copy", "{x}",
			    "{name",
			    "x/var/b $(x)/app-20260105T100000.000Z.arky",
			    NULL });
	assert_int_equal(ark_offsite_command_argv(" \t ", archive, &argv,
						  &err),
			 ARK_ERR_USAGE);
	assert_null(argv);
	assert_string_equal(err.msg, "--copy-to-command is empty");
	ark_offsite_argv_free(NULL);
}

static void test_join(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(ark_offsite_join("offsite:db", "a.ark", out,
					  sizeof(out)), 0);
	assert_string_equal(out, "offsite:db/a.ark");
	assert_int_equal(ark_offsite_join("offsite:db/", "a.ark", out,
					  sizeof(out)), 0);
	assert_string_equal(out, "offsite:db/a.ark");
	assert_int_equal(ark_offsite_join("offsite:", "a.ark", out,
					  sizeof(out)), 0);
	assert_string_equal(out, "offsite:a.ark");
	assert_int_equal(ark_offsite_join("/srv/copies", "a.ark", out,
					  sizeof(out)), 0);
	assert_string_equal(out, "/srv/copies/a.ark");
	assert_int_equal(ark_offsite_join("offsite:db", "a.ark", out, 16),
			 -1);
}

static void check_options(const char *copy_to, const char *command,
			  int want, const char *message)
{
	struct ark_offsite_options o = { .copy_to = copy_to,
					 .command = command };
	struct ark_error err = { 0 };

	assert_int_equal(ark_offsite_check_options(&o, &err), want);
	assert_string_equal(err.msg, message);
}

static void test_check_options(void **state)
{
	(void)state;
	check_options(NULL, NULL, 0, "");
	check_options("rclone:offsite:db", NULL, 0, "");
	check_options("rclone:/srv/copies", NULL, 0, "");
	check_options(NULL, "aws s3 cp {} s3://b/", 0, "");
	check_options("offsite:db", NULL, ARK_ERR_USAGE,
		      "--copy-to takes rclone:REMOTE:PATH");
	check_options("rclone:", NULL, ARK_ERR_USAGE,
		      "--copy-to takes rclone:REMOTE:PATH");
	check_options("rclone:--config=/x", NULL, ARK_ERR_USAGE,
		      "--copy-to: the rclone target must not start with '-'");
	check_options("rclone:a:b", "cp {} x", ARK_ERR_USAGE,
		      "--copy-to and --copy-to-command exclude each other");
	check_options(NULL, "cp {name} x", ARK_ERR_USAGE,
		      "--copy-to-command must hold {} (the archive's path)");
	check_options(NULL, "", ARK_ERR_USAGE, "--copy-to-command is empty");
}

static void test_archive_name_parse(void **state)
{
	int64_t ms = 7;

	(void)state;
	assert_int_equal(ark_archive_name_parse(
				 "app-20260105T100000.123Z.ark", "app", &ms),
			 0);
	assert_true(ms == 1767607200123LL);
	ms = 7;
	assert_int_equal(ark_archive_name_parse(
				 "app-20260105T100000.123Z.ark.partial", "app",
				 &ms),
			 -1);
	assert_int_equal(ark_archive_name_parse(
				 "app2-20260105T100000.123Z.ark", "app", &ms),
			 -1);
	assert_int_equal(ark_archive_name_parse(
				 "ap-20260105T100000.123Z.ark", "app", &ms),
			 -1);
	assert_int_equal(ark_archive_name_parse(
				 "app-20261305T100000.123Z.ark", "app", &ms),
			 -1);
	assert_int_equal(ark_archive_name_parse(
				 "app-20260105T240000.123Z.ark", "app", &ms),
			 -1);
	assert_int_equal(ark_archive_name_parse(
				 "app-2026010xT100000.123Z.ark", "app", &ms),
			 -1);
	assert_int_equal(ark_archive_name_parse(
				 "app-20260105T100000.123Z.arc", "app", &ms),
			 -1);
	assert_true(ms == 7);
	assert_int_equal(strlen("-20260105T100000.123Z.ark"),
			 ARK_ARCHIVE_NAME_SUFFIX_LEN);
}

static void first_line(const char *text, const char *want)
{
	char out[128];

	ark_proc_first_error_line(text, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_first_error_line(void **state)
{
	(void)state;
	first_line("", "");
	first_line("\n\n  \n", "");
	first_line("2026/11/30 15:19:34 NOTICE: Config file \"/x\" not found "
		   "- using defaults\n2026/11/30 15:19:34 Failed to create "
		   "file system for destination \"b:x/\": didn't find section "
		   "in config file\n",
		   "Failed to create file system for destination \"b:x/\": "
		   "didn't find section in config file");
	first_line("2026/11/30 15:20:56 NOTICE: x\n2026/11/30 15:20:56 ERROR "
		   ": a.ark: md5 differ\nFailed to check\n",
		   "ERROR : a.ark: md5 differ");
	/* only chatter: its first line */
	first_line("2026/11/30 15:20:56 NOTICE: only this\n", "NOTICE: only this");
	/* another program's: as it is, control characters escaped */
	first_line("\r\n  upload failed:\tbucket \x1b[31mgone\r\nsecond\n",
		   "upload failed:\\tbucket \\x1b[31mgone");
	first_line("no newline at the end", "no newline at the end");
}

static void test_proc_run(void **state)
{
	struct ark_proc_output out = { 0 };
	struct ark_error err = { 0 };
	char path[4096];
	const char *argv[] = { "sh", "-c",
			       "printf '[%s]' \"$@\"; echo 'oops: no' >&2; "
			       "cat; exit 3",
			       "sh", "a b", "$(touch x)", "", NULL };

	(void)state;
	assert_int_equal(ark_proc_find("sh", path, sizeof(path)), 0);
	assert_int_equal(ark_proc_run(path, argv, 1024, NULL, &out, &err), 0);
	/* the arguments as given; stdin is /dev/null (cat ends at once) */
	assert_string_equal(out.out.data, "[a b][$(touch x)][]");
	assert_int_equal(out.out_over, 0);
	assert_string_equal(out.errtext.data, "oops: no\n");
	assert_int_equal(out.status, 3);
	assert_int_equal(access("x", F_OK), -1);
	/* more output than kept: cut, flagged, the child still reaped */
	argv[2] = "printf 0123456789";
	argv[4] = NULL;
	assert_int_equal(ark_proc_run(path, argv, 4, NULL, &out, &err), 0);
	assert_string_equal(out.out.data, "0123");
	assert_int_equal(out.out_over, 1);
	assert_int_equal(out.status, 0);
	argv[2] = "kill -9 $$";
	assert_int_equal(ark_proc_run(path, argv, 4, NULL, &out, &err), 0);
	assert_int_equal(out.status, 128 + 9);
	/* an environment of the caller's choosing, nothing of its own */
	{
		const char *env[] = { "ARK_X=a b", "PGPASSWORD=s$t", NULL };
		const struct ark_proc_options options = { .envp = env };

		argv[2] = "printf '%s|%s|%s' \"$ARK_X\" \"$PGPASSWORD\" "
			  "\"${HOME-none}\"";
		assert_int_equal(ark_proc_run(path, argv, 1024, &options,
					      &out, &err),
				 0);
		assert_string_equal(out.out.data, "a b|s$t|none");
		assert_int_equal(out.started, 1);
	}
	/* stop_when_over: a program writing without end is stopped at the
	 * limit (without it this would never return) */
	{
		const struct ark_proc_options options = { .stop_when_over = 1 };

		argv[2] = "echo started >&2; while :; do echo 0123456789; done";
		assert_int_equal(ark_proc_run(path, argv, 100000, &options,
					      &out, &err),
				 0);
		assert_int_equal(out.out.len, 100000);
		assert_memory_equal(out.out.data, "0123456789\n0123", 15);
		assert_int_equal(out.out.data[out.out.len], '\0');
		assert_int_equal(out.out_over, 1);
		assert_int_equal(out.status, 128 + 15);
		/* under the limit: as without it */
		argv[2] = "printf 0123; exit 2";
		assert_int_equal(ark_proc_run(path, argv, 4, &options, &out,
					      &err),
				 0);
		assert_string_equal(out.out.data, "0123");
		assert_int_equal(out.out_over, 0);
		assert_int_equal(out.status, 2);
	}
	/* a program that cannot be started */
	argv[0] = "/nonexistent/program";
	assert_int_equal(ark_proc_run("/nonexistent/program", argv, 4, NULL,
				      &out, &err),
			 ARK_ERR_INTERNAL);
	assert_string_equal(err.msg, "cannot run '/nonexistent/program': "
				     "No such file or directory");
	assert_int_equal(err.sys_errno, ENOENT);
	assert_int_equal(out.started, 0);
	assert_int_equal(out.status, -1);
	ark_error_clear(&err);
	ark_proc_output_free(&out);
	/* not found: by name in PATH, by a path */
	assert_int_equal(ark_proc_find("no-such-program-ark", path,
				       sizeof(path)),
			 -1);
	assert_int_equal(ark_proc_find("/nonexistent/rclone", path,
				       sizeof(path)),
			 -1);
	assert_int_equal(ark_proc_find("/", path, sizeof(path)), -1);
}

/* An rclone whose lsjson never ends: stopped at the listing's limit, the
 * run fails saying so (not with the status of the SIGTERM). */
static void test_endless_listing_stopped(void **state)
{
	struct ark_offsite_options options = { 0 };
	struct ark_offsite_result result;
	struct ark_error err = { 0 };
	char dir[256], rclone[512], archive[512];

	(void)state;
	unit_make_temp_dir(dir, sizeof(dir));
	snprintf(rclone, sizeof(rclone), "%s/rclone", dir);
	snprintf(archive, sizeof(archive), "%s/db-20260105T100000.000Z.ark",
		 dir);
	unit_write_file(rclone, "#!/bin/sh\n"
				"[ \"$1\" = lsjson ] && exec cat /dev/zero\n"
				"exit 0\n");
	assert_int_equal(chmod(rclone, 0755), 0);
	unit_write_file(archive, "x");
	options.copy_to = "rclone:remote:path";
	options.rclone = rclone;
	options.retention.keep_last = 1;
	assert_int_equal(ark_offsite_run(&options, archive, &result, &err),
			 ARK_ERR_OFFSITE);
	assert_string_equal(err.msg, "rclone lsjson: the listing of the "
				     "remote is larger than 64 MiB");
	assert_true(result.copied);
	assert_true(result.verified);
	assert_false(result.retention_applied);
	ark_offsite_result_free(&result);
	unit_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_argv),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_check_options),
		cmocka_unit_test(test_archive_name_parse),
		cmocka_unit_test(test_first_error_line),
		cmocka_unit_test(test_proc_run),
		cmocka_unit_test(test_endless_listing_stopped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
