/*
 * test_pgdump.c - pg_dump found and run (pg/pgdump_internal.h) against
 * stand-in programs: what reaches its argv and environment (the
 * conninfo's password only in PGPASSWORD), its output replacing the
 * buffer's, its failures' exact messages, and one that writes without end
 * stopped at the limit (without the stop these tests would never end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/buf.h"
#include "ark/error.h"
#include "pg/pgdump_internal.h"

static char dir[256];

/* An executable sh script DIR/name with body; its path into dump. */
static void stand_in(const char *name, const char *body,
		     struct ark_pgdump *dump)
{
	char text[8192];

	memset(dump, 0, sizeof(*dump));
	snprintf(dump->path, sizeof(dump->path), "%s/%s", dir, name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	unit_write_file(dump->path, text);
	assert_int_equal(chmod(dump->path, 0755), 0);
	dump->major = 15;
}

static void test_argv_environment_and_output(void **state)
{
	struct ark_pgdump dump;
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error err = { 0 };
	const char *args[] = { "--section=pre-data", "a b", NULL };
	char want[8192];

	(void)state;
	stand_in("spy", "for a; do printf '[%s]' \"$a\"; done; "
			"printf '\\nPGPASSWORD=%s\\n' \"${PGPASSWORD-unset}\"",
		 &dump);
	ark_buf_append_str(&out, "what the buffer held");
	/* the password of the conninfo: in the environment, not on argv,
	 * in place of the caller's PGPASSWORD */
	assert_int_equal(setenv("PGPASSWORD", "outer", 1), 0);
	assert_int_equal(ark_pgdump_run(&dump,
					"host=/nowhere dbname=d password=s3cr'et",
					args, "pre-data", &out, 1 << 20, &err),
			 0);
	snprintf(want, sizeof(want),
		 "[--no-password][-d][host=/nowhere dbname=d]"
		 "[--section=pre-data][a b]\nPGPASSWORD=s3cr'et\n");
	assert_string_equal(out.data, want);
	assert_int_equal(out.len, strlen(want));
	/* no password in the conninfo: the caller's PGPASSWORD as it is */
	assert_int_equal(ark_pgdump_run(&dump, "dbname=d", args, "pre-data",
					&out, 1 << 20, &err),
			 0);
	snprintf(want, sizeof(want),
		 "[--no-password][-d][dbname=d][--section=pre-data][a b]\n"
		 "PGPASSWORD=outer\n");
	assert_string_equal(out.data, want);
	/* no conninfo and no DATABASE_URL: no -d, libpq's PG* decide */
	assert_int_equal(unsetenv("PGPASSWORD"), 0);
	assert_int_equal(unsetenv("DATABASE_URL"), 0);
	assert_int_equal(ark_pgdump_run(&dump, NULL, args, "pre-data", &out,
					1 << 20, &err),
			 0);
	snprintf(want, sizeof(want),
		 "[--no-password][--section=pre-data][a b]\n"
		 "PGPASSWORD=unset\n");
	assert_string_equal(out.data, want);
	ark_buf_free(&out);
}

/* Running the stand-in fails with code and message; out untouched. */
static void expect_failure(const struct ark_pgdump *dump, const char *what,
			   int code, const char *message)
{
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error err = { 0 };
	const char *args[] = { NULL };

	ark_buf_append_str(&out, "kept");
	assert_int_equal(ark_pgdump_run(dump, "dbname=d", args, what, &out,
					1 << 20, &err),
			 code);
	assert_string_equal(err.msg, message);
	assert_string_equal(out.data, "kept");
	ark_buf_free(&out);
}

static void test_failures(void **state)
{
	struct ark_pgdump dump;
	char want[8192];

	(void)state;
	/* the line that says "error:", escaped */
	stand_in("fails", "echo partial; "
			  "printf 'pg_dump: warning: w\\npg_dump: error: "
			  "no \\033 such\\nmore\\n' >&2; exit 1",
		 &dump);
	expect_failure(&dump, "post-data", ARK_ERR_PG_QUERY,
		       "post-data: pg_dump failed (exit status 1): pg_dump: "
		       "error: no \\x1b such");
	/* no "error:": the first line; nothing at all: "no message" */
	stand_in("fails", "echo 'first line' >&2; echo second >&2; exit 2",
		 &dump);
	expect_failure(&dump, "pre-data", ARK_ERR_PG_QUERY,
		       "pre-data: pg_dump failed (exit status 2): first line");
	stand_in("fails", "kill -9 $$", &dump);
	expect_failure(&dump, "pre-data", ARK_ERR_PG_QUERY,
		       "pre-data: pg_dump failed (exit status 137): no "
		       "message");
	/* more than max: stopped there (it would write forever), refused */
	stand_in("endless", "while :; do echo 'SELECT 1;'; done", &dump);
	expect_failure(&dump, "large objects", ARK_ERR_UNSUPPORTED,
		       "large objects: pg_dump wrote more than 1 MiB; "
		       "ark-pg-backup holds at most that in memory");
	/* gone since it was found: it cannot be started */
	assert_int_equal(remove(dump.path), 0);
	snprintf(want, sizeof(want),
		 "cannot run '%s': No such file or directory", dump.path);
	expect_failure(&dump, "pre-data", ARK_ERR_UNSUPPORTED, want);
}

static void test_find_explicit(void **state)
{
	struct ark_pgdump dump, found;
	struct ark_error err = { 0 };
	char want[8192];

	(void)state;
	stand_in("pg_dump15",
		 "[ \"$1\" = --version ] && echo 'pg_dump (PostgreSQL) 15.18 "
		 "(Debian 15.18-0+deb12u1)'",
		 &dump);
	assert_int_equal(ark_pgdump_find(dump.path, 14, &found, &err), 0);
	assert_string_equal(found.path, dump.path);
	assert_int_equal(found.major, 15);
	assert_int_equal(ark_pgdump_find(dump.path, 16, &found, &err),
			 ARK_ERR_UNSUPPORTED);
	snprintf(want, sizeof(want),
		 "--pg-dump '%s' is pg_dump 15, older than the server "
		 "(PostgreSQL 16): install postgresql-client-16 "
		 "(Debian/Ubuntu; the PGDG repository apt.postgresql.org has "
		 "every version) and pass its pg_dump",
		 dump.path);
	assert_string_equal(err.msg, want);
	/* --version that never ends is stopped: not a pg_dump */
	stand_in("chatty",
		 "while :; do echo 'pg_dump (PostgreSQL) 15.18'; done", &dump);
	ark_error_clear(&err);
	assert_int_equal(ark_pgdump_find(dump.path, 15, &found, &err),
			 ARK_ERR_UNSUPPORTED);
	snprintf(want, sizeof(want),
		 "--pg-dump '%s' is not a pg_dump that runs ('--version' "
		 "gives no PostgreSQL version)",
		 dump.path);
	assert_string_equal(err.msg, want);
	/* a failing --version, however it reads */
	stand_in("failing", "echo 'pg_dump (PostgreSQL) 15.18'; exit 1",
		 &dump);
	ark_error_clear(&err);
	assert_int_equal(ark_pgdump_find(dump.path, 15, &found, &err),
			 ARK_ERR_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_environment_and_output),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_find_explicit),
	};
	int failed;

	unit_make_temp_dir(dir, sizeof(dir));
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	unit_remove_tree(dir);
	return failed;
}
