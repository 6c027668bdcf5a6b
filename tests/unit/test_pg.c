/*
 * test_pg.c - the PostgreSQL connection module against a real server.
 *
 * Runs beside the throwaway server of tests/with-pg (PGHOST, PGPORT,
 * PGUSER, PGDATABASE, ARK_TEST_PGPASSWORD for 127.0.0.1); without it
 * every test fails.  Servers that misbehave in ways a real one will not
 * (too old, never answering) are played by small fakes on a Unix socket.
 * Checks that raise signals run in a forked child.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/buf.h"
#include "ark/digest.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/pg.h"

#include <libpq-fe.h>

/* ---- helpers ---- */

static const char *env_or_fail(const char *name)
{
	const char *value = getenv(name);

	if (value == NULL || value[0] == '\0')
		fail_msg("%s is not set: run under tests/with-pg", name);
	return value;
}

static double now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Connect with libpq's defaults (the with-pg socket). */
static struct ark_pg *connect_default(void)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;

	env_or_fail("PGHOST");
	if (ark_pg_connect(NULL, "ark-test", &pg, &err) != 0)
		fail_msg("connect: %s", err.msg);
	return pg;
}

static void exec_ok(struct ark_pg *pg, const char *sql)
{
	struct ark_error err = {0};

	if (ark_pg_exec(pg, sql, &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
}

/* The one value of sql, into a static buffer. */
static const char *value_of(struct ark_pg *pg, const char *sql, int nparams,
			    const char *const *params)
{
	static char text[4096];
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error err = {0};
	int is_null = 0;

	if (ark_pg_query_value(pg, sql, nparams, params, &out, &is_null,
			       &err) != 0)
		fail_msg("%s: %s", sql, err.msg);
	snprintf(text, sizeof(text), "%s", is_null ? "(null)" : out.data);
	ark_buf_free(&out);
	return text;
}

/* Environment changes undone by every test's teardown. */
static const char *const touched_env[] = {
	"DATABASE_URL", "PGPASSWORD", "PGPASSFILE", "PGCONNECT_TIMEOUT",
	"PGAPPNAME", "PGSERVICE", "PGSERVICEFILE"};

static int setup_env(void **state)
{
	static char passfile[PATH_MAX];

	(void)state;
	env_or_fail("PGHOST");
	for (size_t i = 0; i < sizeof(touched_env) / sizeof(touched_env[0]);
	     i++)
		unsetenv(touched_env[i]);
	/* No ~/.pgpass of the machine may answer for a test. */
	snprintf(passfile, sizeof(passfile), "/nonexistent/ark-test-pgpass");
	setenv("PGPASSFILE", passfile, 1);
	ark_log_set_program("ark-test");
	ark_log_set_level(ARK_LOG_WARN);
	return 0;
}

static int teardown_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(touched_env) / sizeof(touched_env[0]);
	     i++)
		unsetenv(touched_env[i]);
	return 0;
}

#define PG_TEST(name) cmocka_unit_test_setup_teardown(name, setup_env, teardown_env)

/* ---- connecting ---- */

static void test_connect_socket_defaults(void **state)
{
	char expected[PATH_MAX + 200];
	struct ark_pg *pg;

	(void)state;
	pg = connect_default();
	snprintf(expected, sizeof(expected),
		 "host=%s port=%s dbname=postgres user=postgres",
		 getenv("PGHOST"), getenv("PGPORT"));
	assert_string_equal(ark_pg_safe_conninfo(pg), expected);
	assert_string_equal(ark_pg_database(pg), "postgres");
	assert_true(ark_pg_server_version(pg) >= 120000);
	assert_non_null(ark_pg_conn(pg));
	assert_string_equal(value_of(pg, "SELECT current_setting('application_name')", 0, NULL),
			    "ark-test");
	ark_pg_free(pg);
	ark_pg_free(NULL);
}

static void test_session_settings(void **state)
{
	static const char *const expected[][2] = {
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"IntervalStyle", "postgres"},
		{"TimeZone", "UTC"},
		{"extra_float_digits", "3"},
		{"bytea_output", "hex"},
		{"standard_conforming_strings", "on"},
		{"search_path", "\"\""},
	};
	struct ark_pg *pg = connect_default();
	char sql[128];

	(void)state;
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		snprintf(sql, sizeof(sql), "SHOW %s", expected[i][0]);
		assert_string_equal(value_of(pg, sql, 0, NULL), expected[i][1]);
	}
	/* What the settings are for: values print the same everywhere. */
	assert_string_equal(value_of(pg, "SELECT '2024-02-29 13:14:15+05'::timestamptz::text", 0, NULL),
			    "2024-02-29 08:14:15+00");
	assert_string_equal(value_of(pg, "SELECT 0.1::float8::text", 0, NULL),
			    "0.1");
	assert_string_equal(value_of(pg, "SELECT '\\xDEADbeef'::bytea::text", 0, NULL),
			    "\\xdeadbeef");
	ark_pg_free(pg);
}

static void test_application_name_user_wins(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;

	(void)state;
	assert_int_equal(ark_pg_connect("application_name=mine", "ark-test",
					&pg, &err), 0);
	assert_string_equal(value_of(pg, "SHOW application_name", 0, NULL),
			    "mine");
	ark_pg_free(pg);
	setenv("PGAPPNAME", "from-env", 1);
	assert_int_equal(ark_pg_connect(NULL, "ark-test", &pg, &err), 0);
	assert_string_equal(value_of(pg, "SHOW application_name", 0, NULL),
			    "from-env");
	ark_pg_free(pg);
}

/* "host=127.0.0.1 port=P" plus more. */
static void tcp_conninfo(char *out, size_t size, const char *more)
{
	snprintf(out, size, "host=127.0.0.1 port=%s%s%s",
		 env_or_fail("PGPORT"), more[0] ? " " : "", more);
}

static void test_connect_tcp_pgpassword(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	char conninfo[256];

	(void)state;
	tcp_conninfo(conninfo, sizeof(conninfo), "dbname=postgres");
	setenv("PGPASSWORD", env_or_fail("ARK_TEST_PGPASSWORD"), 1);
	assert_int_equal(ark_pg_connect(conninfo, "ark-test", &pg, &err), 0);
	assert_string_equal(ark_pg_safe_conninfo(pg), conninfo);
	assert_string_equal(value_of(pg, "SELECT 1", 0, NULL), "1");
	ark_pg_free(pg);
}

static void test_connect_tcp_no_password(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	char conninfo[256];
	char expected[512];

	(void)state;
	tcp_conninfo(conninfo, sizeof(conninfo), "");
	assert_int_equal(ark_pg_connect(conninfo, "ark-test", &pg, &err),
			 ARK_ERR_PG_AUTH);
	assert_null(pg);
	snprintf(expected, sizeof(expected),
		 "cannot connect to \"%s\": connection to server at \"127.0.0.1\", port %s failed: fe_sendauth: no password supplied",
		 conninfo, getenv("PGPORT"));
	assert_string_equal(err.msg, expected);
}

static void test_connect_pgpass(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 16], line[256], conninfo[256];
	char warning[1024];
	struct unit_capture capture;

	(void)state;
	unit_make_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/pgpass", dir);
	snprintf(line, sizeof(line), "127.0.0.1:%s:*:postgres:%s\n",
		 env_or_fail("PGPORT"), env_or_fail("ARK_TEST_PGPASSWORD"));
	unit_write_file(path, line);
	assert_int_equal(chmod(path, 0600), 0);
	setenv("PGPASSFILE", path, 1);
	tcp_conninfo(conninfo, sizeof(conninfo), "");
	assert_int_equal(ark_pg_connect(conninfo, "ark-test", &pg, &err), 0);
	ark_pg_free(pg);

	/* libpq ignores a .pgpass others can read, and says so on stderr
	 * itself (libpq's own fprintf, not ark's). */
	assert_int_equal(chmod(path, 0644), 0);
	unit_capture_begin(&capture);
	assert_int_equal(ark_pg_connect(conninfo, "ark-test", &pg, &err),
			 ARK_ERR_PG_AUTH);
	unit_capture_end(&capture, warning, sizeof(warning));
	assert_null(pg);
	assert_non_null(strstr(warning, "has group or world access"));
	unit_remove_tree(dir);
}

static void test_connect_database_url(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	char url[512], expected[512];
	const char *password = env_or_fail("ARK_TEST_PGPASSWORD");

	(void)state;
	snprintf(url, sizeof(url), "postgresql://postgres:%s@127.0.0.1:%s/postgres?application_name=from-url",
		 password, env_or_fail("PGPORT"));
	setenv("DATABASE_URL", url, 1);
	assert_int_equal(ark_pg_connect(NULL, "ark-test", &pg, &err), 0);
	snprintf(expected, sizeof(expected),
		 "postgresql://postgres@127.0.0.1:%s/postgres?application_name=from-url",
		 getenv("PGPORT"));
	assert_string_equal(ark_pg_safe_conninfo(pg), expected);
	assert_null(strstr(ark_pg_safe_conninfo(pg), password));
	assert_string_equal(value_of(pg, "SHOW application_name", 0, NULL),
			    "from-url");
	ark_pg_free(pg);

	/* An explicit conninfo wins over DATABASE_URL; empty is unset. */
	setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", 1);
	assert_int_equal(ark_pg_connect("dbname=postgres", "ark-test", &pg,
					&err), 0);
	ark_pg_free(pg);
	setenv("DATABASE_URL", "", 1);
	assert_int_equal(ark_pg_connect(NULL, "ark-test", &pg, &err), 0);
	assert_string_equal(ark_pg_database(pg), "postgres");
	ark_pg_free(pg);
}

static void test_wrong_password_never_shown(void **state)
{
	char conninfo[4][512], expected[1024];
	const char *port = env_or_fail("PGPORT");

	(void)state;
	snprintf(conninfo[0], sizeof(conninfo[0]),
		 "postgresql://postgres:Wr0ngSecret%%21@127.0.0.1:%s/postgres", port);
	snprintf(conninfo[1], sizeof(conninfo[1]),
		 "host=127.0.0.1 port=%s password='Wr0ngSecret!'", port);
	snprintf(conninfo[2], sizeof(conninfo[2]),
		 "host=127.0.0.1 port=%s password=Wr0ngSecret!", port);
	snprintf(conninfo[3], sizeof(conninfo[3]),
		 "postgresql://postgres@127.0.0.1:%s/postgres?password=Wr0ngSecret%%21", port);
	for (size_t i = 0; i < 4; i++) {
		struct ark_error err = {0};
		struct ark_pg *pg = NULL;
		struct ark_buf safe = ARK_BUF_INIT;

		assert_int_equal(ark_pg_connect(conninfo[i], "ark-test", &pg,
						&err), ARK_ERR_PG_AUTH);
		assert_null(pg);
		ark_pg_scrub_conninfo(conninfo[i], &safe);
		snprintf(expected, sizeof(expected),
			 "cannot connect to \"%s\": connection to server at \"127.0.0.1\", port %s failed: FATAL: password authentication failed for user \"postgres\"",
			 safe.data, getenv("PGPORT"));
		assert_string_equal(err.msg, expected);
		assert_null(strstr(err.msg, "Wr0ng"));
		ark_buf_free(&safe);
	}
}

static void test_libpq_echo_is_redacted(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;

	(void)state;
	/* libpq quotes the bad token, i.e. the password, in its message. */
	assert_int_equal(ark_pg_connect("postgresql://u:Sec%zzret@127.0.0.1:1/db",
					"ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	assert_string_equal(err.msg,
			    "cannot connect to \"postgresql://u@127.0.0.1:1/db\": invalid percent-encoded token: \"***\"");
	/* A raw '@' in the password: libpq takes its tail for the host. */
	ark_error_clear(&err);
	assert_int_equal(ark_pg_connect("postgresql://u:Wr0ng@Secret@127.0.0.1:1/db",
					"ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	/* (the resolver's own words follow, and vary) */
	assert_true(strncmp(err.msg, "cannot connect to \"postgresql://u@127.0.0.1:1/db\": could not translate host name \"***@127.0.0.1\" to address: ",
			    109) == 0);
	assert_null(strstr(err.msg, "Secret"));
	/* A scheme libpq does not know would be read as a database name,
	 * password and all: refused before libpq sees it. */
	ark_error_clear(&err);
	assert_int_equal(ark_pg_connect("postgresql+psycopg2://u:Secret@h/db",
					"ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	assert_string_equal(err.msg,
			    "cannot connect to \"postgresql+psycopg2://u@h/db\": unsupported URI scheme \"postgresql+psycopg2\" (libpq takes postgresql:// or postgres://)");
	ark_error_clear(&err);
	assert_int_equal(ark_pg_connect("host=x password='Sekr1t",
					"ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	assert_null(strstr(err.msg, "Sekr1t"));
	assert_string_equal(err.msg,
			    "cannot connect to \"host=x ...\": unterminated quoted string in connection info string");
}

static void test_scrub_conninfo(void **state)
{
	static const char *const cases[][2] = {
		{"host=h password=s3cret dbname=d", "host=h dbname=d"},
		{"  host = h   password = 's 3\\'c'  user=u",
		 "host=h user=u"},
		{"password=x", ""},
		{"sslpassword=x sslmode=require", "sslmode=require"},
		{"dbname='my db' password=p", "dbname='my db'"},
		{"postgresql://u:pw@h:5/d", "postgresql://u@h:5/d"},
		{"postgres://u:p%40w@h/d?sslmode=disable&password=x",
		 "postgres://u@h/d?sslmode=disable"},
		{"postgresql://u@h/d?pass%77ord=x&a=b", "postgresql://u@h/d?a=b"},
		{"postgresql://h/d", "postgresql://h/d"},
		{"postgresql://:pw@h/d", "postgresql://@h/d"},
		{"postgresql://u:pw@/d?host=/tmp", "postgresql://u@/d?host=/tmp"},
		{"postgresql://u:a:b@h", "postgresql://u@h"},
		{"postgresql://u:p@ss@h/d@x", "postgresql://u@h/d@x"},
		{"postgresql://u:p?w@h/d", "postgresql://u@h/d"},
		{"dbname=postgresql://u:pw@h/d user=x",
		 "dbname=postgresql://u@h/d user=x"},
		{"mydb", "mydb"},
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ark_buf out = ARK_BUF_INIT;

		ark_pg_scrub_conninfo(cases[i][0], &out);
		assert_string_equal(out.data ? out.data : "", cases[i][1]);
		ark_buf_free(&out);
	}
}

static void test_unreachable_port(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;

	(void)state;
	assert_int_equal(ark_pg_connect("host=127.0.0.1 port=1", "ark-test",
					&pg, &err), ARK_ERR_PG_CONNECT);
	assert_null(pg);
	assert_string_equal(err.msg,
			    "cannot connect to \"host=127.0.0.1 port=1\": connection to server at \"127.0.0.1\", port 1 failed: Connection refused Is the server running on that host and accepting TCP/IP connections?");
}

static void test_newline_in_conninfo(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;

	(void)state;
	assert_int_equal(ark_pg_connect("host=127.0.0.1 port=1 application_name='a\nb'",
					"ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	assert_null(strchr(err.msg, '\n'));
	assert_non_null(strstr(err.msg,
			       "cannot connect to \"host=127.0.0.1 port=1 application_name='a\\nb'\": "));
}

static void test_bad_conninfo(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;

	(void)state;
	assert_int_equal(ark_pg_connect("host=x nonsense=1", "ark-test", &pg,
					&err), ARK_ERR_PG_CONNECT);
	assert_string_equal(err.msg,
			    "cannot connect to \"host=x nonsense=1\": invalid connection option \"nonsense\"");
	ark_error_clear(&err);
	assert_int_equal(ark_pg_connect("connect_timeout=soon", "ark-test",
					&pg, &err), ARK_ERR_PG_CONNECT);
	assert_string_equal(err.msg,
			    "cannot connect to \"connect_timeout=soon\": connect_timeout is not a whole number of seconds");
}

static void test_missing_database_and_role(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;

	(void)state;
	assert_int_equal(ark_pg_connect("dbname=nosuchdb", "ark-test", &pg,
					&err), ARK_ERR_PG_CONNECT);
	assert_non_null(strstr(err.msg,
			       "FATAL: database \"nosuchdb\" does not exist"));
	ark_error_clear(&err);
	assert_int_equal(ark_pg_connect("user=nosuchrole", "ark-test", &pg,
					&err), ARK_ERR_PG_AUTH);
	assert_non_null(strstr(err.msg,
			       "FATAL: role \"nosuchrole\" does not exist"));
}

/* ---- fake servers on a Unix socket ---- */

struct fake_server {
	char dir[PATH_MAX];
	int port;
	int listen_fd;
	int answer; /* 0: never accept; 1: speak as PostgreSQL 11.5 */
	pthread_t thread;
};

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One protocol message: type byte, length, body. */
static size_t put_message(unsigned char *out, char type, const void *body,
			  size_t len)
{
	out[0] = (unsigned char)type;
	put_u32(out + 1, (uint32_t)(len + 4));
	memcpy(out + 5, body, len);
	return len + 5;
}

static void *fake_server_main(void *arg)
{
	struct fake_server *server = arg;
	unsigned char reply[512], body[64], in[1024];
	size_t len = 0;
	int fd = accept(server->listen_fd, NULL, NULL);

	if (fd < 0)
		return NULL;
	/* The startup packet; then AuthenticationOk, the version, a key,
	 * ReadyForQuery. */
	(void)read(fd, in, sizeof(in));
	put_u32(body, 0);
	len += put_message(reply + len, 'R', body, 4);
	len += put_message(reply + len, 'S', "server_version\0" "11.5\0", 20);
	len += put_message(reply + len, 'S', "client_encoding\0" "UTF8\0", 21);
	put_u32(body, 4242);
	put_u32(body + 4, 17);
	len += put_message(reply + len, 'K', body, 8);
	len += put_message(reply + len, 'Z', "I", 1);
	(void)write(fd, reply, len);
	while (read(fd, in, sizeof(in)) > 0)
		;
	close(fd);
	return NULL;
}

static void fake_server_start(struct fake_server *server, int answer)
{
	struct sockaddr_un address;

	unit_make_temp_dir(server->dir, sizeof(server->dir));
	server->port = 5999;
	server->answer = answer;
	memset(&address, 0, sizeof(address));
	address.sun_family = AF_UNIX;
	snprintf(address.sun_path, sizeof(address.sun_path),
		 "%.80s/.s.PGSQL.%d", server->dir, server->port);
	server->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(server->listen_fd >= 0);
	assert_int_equal(bind(server->listen_fd, (struct sockaddr *)&address,
			      sizeof(address)), 0);
	assert_int_equal(listen(server->listen_fd, 4), 0);
	if (answer)
		assert_int_equal(pthread_create(&server->thread, NULL,
						fake_server_main, server), 0);
}

static void fake_server_stop(struct fake_server *server)
{
	if (server->answer)
		pthread_join(server->thread, NULL);
	close(server->listen_fd);
	unit_remove_tree(server->dir);
}

static void test_old_server_refused(void **state)
{
	struct fake_server server;
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	char conninfo[PATH_MAX + 64], expected[PATH_MAX + 256];

	(void)state;
	fake_server_start(&server, 1);
	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d user=u dbname=d",
		 server.dir, server.port);
	assert_int_equal(ark_pg_connect(conninfo, "ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	assert_null(pg);
	snprintf(expected, sizeof(expected),
		 "cannot use \"%s\": the server runs PostgreSQL 11.5; ark needs PostgreSQL 12 or later",
		 conninfo);
	assert_string_equal(err.msg, expected);
	fake_server_stop(&server);
}

static void test_connect_timeout(void **state)
{
	struct fake_server server;
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	char conninfo[PATH_MAX + 64], expected[PATH_MAX + 256];
	double start, elapsed;

	(void)state;
	fake_server_start(&server, 0);
	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d connect_timeout=2",
		 server.dir, server.port);
	start = now_seconds();
	assert_int_equal(ark_pg_connect(conninfo, "ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	elapsed = now_seconds() - start;
	snprintf(expected, sizeof(expected),
		 "cannot connect to \"%s\": timeout expired after 2 s",
		 conninfo);
	assert_string_equal(err.msg, expected);
	assert_true(elapsed >= 1.9 && elapsed < 3.5);

	/* PGCONNECT_TIMEOUT is honoured too (1 counts as 2, as in libpq). */
	snprintf(conninfo, sizeof(conninfo), "host=%s port=%d", server.dir,
		 server.port);
	setenv("PGCONNECT_TIMEOUT", "1", 1);
	ark_error_clear(&err);
	start = now_seconds();
	assert_int_equal(ark_pg_connect(conninfo, "ark-test", &pg, &err),
			 ARK_ERR_PG_CONNECT);
	elapsed = now_seconds() - start;
	assert_non_null(strstr(err.msg, ": timeout expired after 2 s"));
	assert_true(elapsed >= 1.9 && elapsed < 3.5);
	unsetenv("PGCONNECT_TIMEOUT");

	/* ... and a service file's. */
	{
		char path[PATH_MAX + 16], text[PATH_MAX + 128];

		snprintf(path, sizeof(path), "%.200s/services", server.dir);
		snprintf(text, sizeof(text),
			 "[slow]\nhost=%.200s\nport=%d\nconnect_timeout=3\n",
			 server.dir, server.port);
		unit_write_file(path, text);
		setenv("PGSERVICEFILE", path, 1);
		ark_error_clear(&err);
		start = now_seconds();
		assert_int_equal(ark_pg_connect("service=slow", "ark-test",
						&pg, &err),
				 ARK_ERR_PG_CONNECT);
		elapsed = now_seconds() - start;
		unsetenv("PGSERVICEFILE");
		assert_string_equal(err.msg,
				    "cannot connect to \"service=slow\": timeout expired after 3 s");
		assert_true(elapsed >= 2.9 && elapsed < 4.5);
	}
	fake_server_stop(&server);
}

static void test_connect_service_file(void **state)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	char dir[PATH_MAX], path[PATH_MAX + 16], text[PATH_MAX + 256];

	(void)state;
	unit_make_temp_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/services", dir);
	snprintf(text, sizeof(text),
		 "[arktest]\nhost=127.0.0.1\nport=%s\ndbname=template1\nuser=postgres\npassword=%s\n",
		 env_or_fail("PGPORT"), env_or_fail("ARK_TEST_PGPASSWORD"));
	unit_write_file(path, text);
	setenv("PGSERVICEFILE", path, 1);
	assert_int_equal(ark_pg_connect("service=arktest", "ark-test", &pg,
					&err), 0);
	assert_string_equal(ark_pg_database(pg), "template1");
	assert_string_equal(ark_pg_safe_conninfo(pg), "service=arktest");
	assert_string_equal(value_of(pg, "SELECT inet_server_addr()::text", 0, NULL),
			    "127.0.0.1/32");
	ark_pg_free(pg);
	/* PGSERVICE names it too. */
	setenv("PGSERVICE", "arktest", 1);
	assert_int_equal(ark_pg_connect(NULL, "ark-test", &pg, &err), 0);
	assert_string_equal(ark_pg_database(pg), "template1");
	ark_pg_free(pg);
	unsetenv("PGSERVICE");
	unsetenv("PGSERVICEFILE");
	unit_remove_tree(dir);
}

/* ---- statements ---- */

static void test_query_errors(void **state)
{
	struct ark_pg *pg = connect_default();
	struct ark_error err = {0};
	char expected[PATH_MAX + 512];

	(void)state;
	assert_int_equal(ark_pg_exec(pg, "SELEC 1", &err), ARK_ERR_PG_QUERY);
	snprintf(expected, sizeof(expected),
		 "server \"%s\": syntax error at or near \"SELEC\" (SQLSTATE 42601)",
		 ark_pg_safe_conninfo(pg));
	assert_string_equal(err.msg, expected);

	/* DETAIL is kept; names in messages cannot forge a line. */
	exec_ok(pg, "CREATE TEMP TABLE \"dup\nkey\" (k text PRIMARY KEY); "
		    "INSERT INTO pg_temp.\"dup\nkey\" VALUES ('a\nb')");
	ark_error_clear(&err);
	assert_int_equal(ark_pg_exec(pg, "INSERT INTO pg_temp.\"dup\nkey\" VALUES ('a\nb')", &err),
			 ARK_ERR_PG_QUERY);
	snprintf(expected, sizeof(expected),
		 "server \"%s\": duplicate key value violates unique constraint \"dup\\nkey_pkey\"; Key (k)=(a\\nb) already exists. (SQLSTATE 23505)",
		 ark_pg_safe_conninfo(pg));
	assert_string_equal(err.msg, expected);

	/* Several statements: the first error stops and is reported. */
	ark_error_clear(&err);
	assert_int_equal(ark_pg_exec(pg, "SELECT 1; SELECT 1/0; SELECT 2", &err),
			 ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "division by zero (SQLSTATE 22012)"));
	ark_error_clear(&err);
	assert_int_equal(ark_pg_execf(pg, &err, "SELECT %d/%d", 1, 0),
			 ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "division by zero (SQLSTATE 22012)"));
	/* The connection is still good. */
	assert_string_equal(value_of(pg, "SELECT 41 + 1", 0, NULL), "42");
	ark_error_clear(&err);
	assert_int_equal(ark_pg_execf(pg, &err, "CREATE TEMP TABLE t%d (x int)", 7), 0);
	ark_pg_free(pg);
}

static void test_query_params_hostile(void **state)
{
	static const char *const values[] = {
		"", "'", "''; DROP TABLE x; --", "\\", "back\\slash\\'",
		"new\nline\r\ttab", "ünïcödé ✓ 𝄞", "$1", "\"quoted\"",
		"E'\\x00'",
	};
	struct ark_pg *pg = connect_default();
	struct ark_pg_result *result = NULL;
	struct ark_error err = {0};
	struct ark_buf out = ARK_BUF_INIT;
	const char *params[2];
	int is_null = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		params[0] = values[i];
		params[1] = NULL;
		assert_int_equal(ark_pg_query(pg, "SELECT $1::text, $2::text IS NULL, length($1)",
					      2, params, &result, &err), 0);
		assert_int_equal(ark_pg_result_rows(result), 1);
		assert_int_equal(ark_pg_result_columns(result), 3);
		assert_string_equal(ark_pg_result_value(result, 0, 0), values[i]);
		assert_string_equal(ark_pg_result_value(result, 0, 1), "t");
		assert_null(ark_pg_result_value(result, 0, 5));
		assert_null(ark_pg_result_value(result, 1, 0));
		ark_pg_result_free(result);
		result = NULL;
	}
	ark_pg_result_free(NULL);

	assert_int_equal(ark_pg_query_value(pg, "SELECT NULL::text", 0, NULL,
					    &out, &is_null, &err), 0);
	assert_int_equal(is_null, 1);
	assert_string_equal(out.data, "");
	assert_int_equal(ark_pg_query_value(pg, "SELECT g FROM generate_series(1, 2) g",
					    0, NULL, &out, &is_null, &err),
			 ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "\": expected one value, the query returned 2 rows of 1 columns"));
	ark_buf_free(&out);
	ark_pg_free(pg);
}

static void test_quoting(void **state)
{
	static const char *const names[] = {
		"plain", "Mixed Case", "select", "a\"b", "\"", "\"\"",
		"back\\slash", "new\nline", "tab\there", "ünïcödé ✓",
		"'single'", "x;DROP TABLE y",
	};
	struct ark_pg *pg = connect_default();
	struct ark_buf sql = ARK_BUF_INIT;
	struct ark_error err = {0};

	(void)state;
	ark_pg_append_ident(&sql, "a\"b");
	assert_string_equal(sql.data, "\"a\"\"b\"");
	ark_buf_reset(&sql);
	ark_pg_append_ident(&sql, "");
	assert_string_equal(sql.data, "\"\"");
	ark_buf_reset(&sql);
	ark_pg_append_qualified(&sql, "my schema", "t\"1");
	assert_string_equal(sql.data, "\"my schema\".\"t\"\"1\"");
	ark_buf_reset(&sql);
	ark_pg_append_literal(&sql, "it's a \\ test\n");
	assert_string_equal(sql.data, "E'it''s a \\\\ test\n'");
	ark_buf_reset(&sql);
	ark_pg_append_literal(&sql, "");
	assert_string_equal(sql.data, "E''");

	/* PostgreSQL reads every name and literal back exactly. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *params[1] = {names[i]};

		ark_buf_reset(&sql);
		ark_buf_append_str(&sql, "CREATE TEMP TABLE ");
		ark_pg_append_ident(&sql, names[i]);
		ark_buf_append_str(&sql, " (");
		ark_pg_append_ident(&sql, names[i]);
		ark_buf_append_str(&sql, " text DEFAULT ");
		ark_pg_append_literal(&sql, names[i]);
		ark_buf_append_str(&sql, ")");
		exec_ok(pg, sql.data);
		assert_string_equal(value_of(pg, "SELECT count(*) FROM pg_catalog.pg_attribute a "
					     "JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
					     "WHERE c.relname = $1 AND a.attname = $1 "
					     "AND c.relpersistence = 't'", 1, params),
				    "1");
		ark_buf_reset(&sql);
		ark_buf_append_str(&sql, "SELECT ");
		ark_pg_append_literal(&sql, names[i]);
		ark_buf_append_str(&sql, " = $1");
		assert_string_equal(value_of(pg, sql.data, 1, params), "t");
	}
	/* The empty name quotes to "", which PostgreSQL refuses. */
	ark_buf_reset(&sql);
	ark_buf_append_str(&sql, "CREATE TEMP TABLE ");
	ark_pg_append_ident(&sql, "");
	ark_buf_append_str(&sql, " (x int)");
	assert_int_equal(ark_pg_exec(pg, sql.data, &err), ARK_ERR_PG_QUERY);
	if (strstr(err.msg, "zero-length delimited identifier at or near \"\"\"\" (SQLSTATE 42601)") == NULL)
		fail_msg("%s", err.msg);
	ark_buf_free(&sql);
	ark_pg_free(pg);
}

static void test_notices_logged(void **state)
{
	struct ark_pg *pg = connect_default();
	struct unit_capture capture;
	char text[4096], expected[4096];

	(void)state;
	unit_capture_begin(&capture);
	exec_ok(pg, "DO $$ BEGIN RAISE NOTICE 'hello'; RAISE WARNING 'care\nful'; END $$");
	unit_capture_end(&capture, text, sizeof(text));
	snprintf(expected, sizeof(expected),
		 "ark-test: warning: server \"%s\": WARNING: care\\nful\n",
		 ark_pg_safe_conninfo(pg));
	assert_string_equal(text, expected);

	ark_log_set_level(ARK_LOG_DEBUG);
	unit_capture_begin(&capture);
	exec_ok(pg, "DO $$ BEGIN RAISE NOTICE 'hello'; END $$");
	unit_capture_end(&capture, text, sizeof(text));
	snprintf(expected, sizeof(expected),
		 "ark-test: debug: server \"%s\": NOTICE: hello\n",
		 ark_pg_safe_conninfo(pg));
	assert_string_equal(text, expected);
	ark_log_set_level(ARK_LOG_WARN);
	ark_pg_free(pg);
}

/* ---- COPY ---- */

struct digest_sink {
	struct ark_digest_stream stream;
	size_t calls;
	size_t max_len;
	int partial_rows; /* a call that did not end with a whole row */
	size_t fail_after; /* calls before the sink fails, 0: never */
	struct ark_pg *killer; /* terminates victim_pid on the first call */
	const char *victim_pid;
};

static int digest_sink_write(void *context, const char *data, size_t len,
			     struct ark_error *err)
{
	struct digest_sink *sink = context;

	sink->calls++;
	if (len > sink->max_len)
		sink->max_len = len;
	if (len == 0 || data[len - 1] != '\n')
		sink->partial_rows = 1;
	if (sink->killer != NULL && sink->calls == 1) {
		const char *params[1] = {sink->victim_pid};

		assert_string_equal(value_of(sink->killer, "SELECT pg_catalog.pg_terminate_backend($1::int, 10000)",
					     1, params), "t");
	}
	if (sink->fail_after != 0 && sink->calls >= sink->fail_after)
		return ark_error_set(err, ARK_ERR_WRITE, 0, "test sink full");
	ark_digest_stream_feed(&sink->stream, data, len);
	return 0;
}

static void test_copy_roundtrip_digest(void **state)
{
	struct ark_pg *pg = connect_default();
	struct ark_error err = {0};
	struct ark_digest sent;
	struct digest_sink sink;
	struct ark_buf chunk = ARK_BUF_INIT;
	char line[256];
	uint64_t rows = 0;
	const int count = 100000;

	(void)state;
	exec_ok(pg, "CREATE TEMP TABLE c (id bigint, t text, f float8, b bytea)");
	ark_digest_init(&sent);
	assert_int_equal(ark_pg_copy_in_begin(pg, "COPY pg_temp.c FROM STDIN", &err), 0);
	for (int i = 0; i < count; i++) {
		/* Canonical COPY text: escapes, NULL, floats as PG prints. */
		int len = snprintf(line, sizeof(line),
				   "%d\tr%d a\\tb\\\\c\\nd é\t%s\t%s", i, i,
				   i % 7 == 0 ? "\\N" : (i % 2 ? "1.5" : "-1e+100"),
				   i % 5 == 0 ? "\\\\x" : "\\\\x00ff");
		ark_digest_add_row(&sent, line, (size_t)len);
		ark_buf_append(&chunk, line, (size_t)len);
		ark_buf_append_char(&chunk, '\n');
		if (chunk.len > 10000 || i == count - 1) {
			assert_int_equal(ark_pg_copy_in_put(pg, chunk.data, chunk.len, &err), 0);
			ark_buf_reset(&chunk);
		}
	}
	assert_int_equal(ark_pg_copy_in_end(pg, &rows, &err), 0);
	assert_int_equal(rows, (uint64_t)count);
	ark_buf_free(&chunk);

	memset(&sink, 0, sizeof(sink));
	assert_int_equal(ark_digest_stream_begin(&sink.stream, &err), 0);
	assert_int_equal(ark_pg_copy_out(pg, "COPY pg_temp.c TO STDOUT",
					 digest_sink_write, &sink, &err), 0);
	assert_int_equal(ark_digest_stream_end(&sink.stream, "COPY", &err), 0);
	assert_true(ark_digest_equal(&sink.stream.digest, &sent));
	assert_int_equal(sink.stream.digest.rows, (uint64_t)count);
	/* Batched: whole rows, about 64 KiB a call, not a call per row. */
	assert_int_equal(sink.partial_rows, 0);
	assert_true(sink.max_len <= 64 * 1024 + 256);
	assert_true(sink.calls < 200);
	/* A single changed value changes the digest. */
	exec_ok(pg, "UPDATE pg_temp.c SET t = t || 'x' WHERE id = 4242");
	memset(&sink, 0, sizeof(sink));
	assert_int_equal(ark_digest_stream_begin(&sink.stream, &err), 0);
	assert_int_equal(ark_pg_copy_out(pg, "COPY pg_temp.c TO STDOUT",
					 digest_sink_write, &sink, &err), 0);
	assert_int_equal(ark_digest_stream_end(&sink.stream, "COPY", &err), 0);
	assert_false(ark_digest_equal(&sink.stream.digest, &sent));
	ark_pg_free(pg);
}

static void test_copy_in_errors(void **state)
{
	struct ark_pg *pg = connect_default();
	struct ark_error err = {0};
	char expected[PATH_MAX + 512];
	uint64_t rows = 7;

	(void)state;
	exec_ok(pg, "CREATE TEMP TABLE ci (id bigint)");
	/* Bad data: the server's error, at the end. */
	assert_int_equal(ark_pg_copy_in_begin(pg, "COPY pg_temp.ci FROM STDIN", &err), 0);
	assert_int_equal(ark_pg_copy_in_put(pg, "1\nx\n", 4, &err), 0);
	assert_int_equal(ark_pg_copy_in_end(pg, &rows, &err), ARK_ERR_PG_QUERY);
	assert_int_equal(rows, 0);
	snprintf(expected, sizeof(expected),
		 "server \"%s\": invalid input syntax for type bigint: \"x\" (SQLSTATE 22P02)",
		 ark_pg_safe_conninfo(pg));
	assert_string_equal(err.msg, expected);

	/* Abort: nothing kept, the connection goes on. */
	ark_error_clear(&err);
	assert_int_equal(ark_pg_copy_in_begin(pg, "COPY pg_temp.ci FROM STDIN", &err), 0);
	assert_int_equal(ark_pg_copy_in_put(pg, "1\n2\n", 4, &err), 0);
	/* No statement may cut into a COPY. */
	assert_int_equal(ark_pg_exec(pg, "SELECT 1", &err), ARK_ERR_INTERNAL);
	ark_pg_copy_in_abort(pg, "source failed");
	ark_pg_copy_in_abort(pg, "twice is harmless");
	assert_string_equal(value_of(pg, "SELECT count(*) FROM pg_temp.ci", 0, NULL), "0");

	/* Not a COPY FROM STDIN; a COPY into a missing table. */
	ark_error_clear(&err);
	assert_int_equal(ark_pg_copy_in_begin(pg, "SELECT 1", &err), ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "\": the statement is not a COPY FROM STDIN"));
	ark_error_clear(&err);
	assert_int_equal(ark_pg_copy_in_begin(pg, "COPY pg_temp.nope FROM STDIN", &err),
			 ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "relation \"pg_temp.nope\" does not exist (SQLSTATE 42P01)"));
	ark_error_clear(&err);
	assert_int_equal(ark_pg_copy_in_put(pg, "1\n", 2, &err), ARK_ERR_INTERNAL);
	ark_error_clear(&err);
	assert_int_equal(ark_pg_copy_in_end(pg, &rows, &err), ARK_ERR_INTERNAL);
	/* COPY where a plain statement was expected. */
	ark_error_clear(&err);
	assert_int_equal(ark_pg_exec(pg, "COPY pg_temp.ci FROM STDIN", &err),
			 ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "a statement started a COPY FROM STDIN where none was expected"));
	ark_error_clear(&err);
	assert_int_equal(ark_pg_exec(pg, "COPY (SELECT 1) TO STDOUT", &err),
			 ARK_ERR_PG_QUERY);
	assert_string_equal(value_of(pg, "SELECT 'still usable'", 0, NULL), "still usable");
	ark_pg_free(pg);
}

static void test_copy_out_sink_failure(void **state)
{
	struct ark_pg *pg = connect_default();
	struct ark_error err = {0};
	struct digest_sink sink;
	double start;

	(void)state;
	memset(&sink, 0, sizeof(sink));
	sink.fail_after = 3;
	assert_int_equal(ark_digest_stream_begin(&sink.stream, &err), 0);
	start = now_seconds();
	/* Half a billion rows: only a cancel makes this quick. */
	assert_int_equal(ark_pg_copy_out(pg, "COPY (SELECT generate_series(1, 500000000)) TO STDOUT",
					 digest_sink_write, &sink, &err),
			 ARK_ERR_WRITE);
	assert_true(now_seconds() - start < 5.0);
	assert_string_equal(err.msg, "test sink full");
	assert_int_equal(sink.calls, 3);
	ark_digest_stream_abandon(&sink.stream);
	assert_string_equal(value_of(pg, "SELECT 'still usable'", 0, NULL), "still usable");

	ark_error_clear(&err);
	assert_int_equal(ark_pg_copy_out(pg, "COPY (SELECT 1/0) TO STDOUT",
					 digest_sink_write, &sink, &err),
			 ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "division by zero (SQLSTATE 22012)"));
	ark_pg_free(pg);
}

static void test_killed_mid_copy_out(void **state)
{
	struct ark_pg *pg = connect_default();
	struct ark_pg *killer = connect_default();
	struct ark_error err = {0};
	struct digest_sink sink;
	char pid[32];

	(void)state;
	snprintf(pid, sizeof(pid), "%.20s", value_of(pg, "SELECT pg_catalog.pg_backend_pid()", 0, NULL));
	memset(&sink, 0, sizeof(sink));
	sink.killer = killer;
	sink.victim_pid = pid;
	assert_int_equal(ark_digest_stream_begin(&sink.stream, &err), 0);
	assert_int_equal(ark_pg_copy_out(pg, "COPY (SELECT generate_series(1, 50000000), repeat('x', 100)) TO STDOUT",
					 digest_sink_write, &sink, &err),
			 ARK_ERR_PG_QUERY);
	ark_digest_stream_abandon(&sink.stream);
	assert_non_null(strstr(err.msg, "\": connection lost: "));
	/* The connection stays dead, and says so. */
	ark_error_clear(&err);
	assert_int_equal(ark_pg_exec(pg, "SELECT 1", &err), ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "\": connection lost: "));
	ark_pg_free(pg);
	ark_pg_free(killer);
}

static void test_killed_mid_copy_in(void **state)
{
	struct ark_pg *pg = connect_default();
	struct ark_pg *killer = connect_default();
	struct ark_error err = {0};
	char pid[32], chunk[8192];
	const char *params[1] = {pid};
	uint64_t rows = 0;
	int rc = 0;

	(void)state;
	snprintf(pid, sizeof(pid), "%.20s", value_of(pg, "SELECT pg_catalog.pg_backend_pid()", 0, NULL));
	exec_ok(pg, "CREATE TEMP TABLE k (t text)");
	for (size_t i = 0; i + 1 < sizeof(chunk); i++)
		chunk[i] = i % 64 == 63 ? '\n' : 'y';
	assert_int_equal(ark_pg_copy_in_begin(pg, "COPY pg_temp.k FROM STDIN", &err), 0);
	assert_int_equal(ark_pg_copy_in_put(pg, chunk, sizeof(chunk) - 1, &err), 0);
	assert_string_equal(value_of(killer, "SELECT pg_catalog.pg_terminate_backend($1::int, 10000)",
				     1, params), "t");
	for (int i = 0; i < 2000 && rc == 0; i++)
		rc = ark_pg_copy_in_put(pg, chunk, sizeof(chunk) - 1, &err);
	if (rc == 0)
		rc = ark_pg_copy_in_end(pg, &rows, &err);
	else
		ark_pg_copy_in_abort(pg, "lost");
	assert_int_equal(rc, ARK_ERR_PG_QUERY);
	assert_non_null(strstr(err.msg, "\": connection lost: "));
	ark_pg_free(pg);
	ark_pg_free(killer);
}

struct terminate_later {
	struct ark_pg *killer;
	char pid[32];
};

static void *terminate_soon(void *arg)
{
	struct terminate_later *later = arg;
	struct timespec pause_time = {0, 300 * 1000000};
	const char *params[1] = {later->pid};

	nanosleep(&pause_time, NULL);
	(void)value_of(later->killer, "SELECT pg_catalog.pg_terminate_backend($1::int, 10000)",
		       1, params);
	return NULL;
}

static void test_killed_mid_statement(void **state)
{
	struct ark_pg *pg = connect_default();
	struct terminate_later later;
	struct ark_error err = {0};
	char expected[PATH_MAX + 256];
	pthread_t thread;

	(void)state;
	later.killer = connect_default();
	snprintf(later.pid, sizeof(later.pid), "%.20s",
		 value_of(pg, "SELECT pg_catalog.pg_backend_pid()", 0, NULL));
	assert_int_equal(pthread_create(&thread, NULL, terminate_soon, &later), 0);
	assert_int_equal(ark_pg_exec(pg, "SELECT pg_catalog.pg_sleep(30)", &err),
			 ARK_ERR_PG_QUERY);
	pthread_join(thread, NULL);
	snprintf(expected, sizeof(expected),
		 "server \"%s\": connection lost: terminating connection due to administrator command (SQLSTATE 57P01)",
		 ark_pg_safe_conninfo(pg));
	assert_string_equal(err.msg, expected);
	ark_pg_free(later.killer);
	ark_pg_free(pg);
}

/* ---- cancellation ---- */

static atomic_int churn_done;
static atomic_int churn_failed;

static void *churn_connections(void *arg)
{
	(void)arg;
	for (int i = 0; i < 15; i++) {
		struct ark_error err = {0};
		struct ark_pg *pg = NULL;

		/* The session setup may be what a cancel hits. */
		if (ark_pg_connect(NULL, "ark-churn", &pg, &err) != 0 &&
		    strstr(err.msg, "(SQLSTATE 57014)") == NULL) {
			fprintf(stderr, "churn: %s\n", err.msg);
			atomic_fetch_add(&churn_failed, 1);
		}
		ark_pg_free(pg);
	}
	atomic_fetch_add(&churn_done, 1);
	return NULL;
}

/* Connections come and go while cancels walk the registry (ASan would
 * see a PGcancel used after its free). */
static void test_registry_churn(void **state)
{
	pthread_t threads[3];

	(void)state;
	atomic_store(&churn_done, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&threads[i], NULL,
						churn_connections, NULL), 0);
	while (atomic_load(&churn_done) < 3)
		ark_pg_cancel_all();
	for (int i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(atomic_load(&churn_failed), 0);
}

static void *cancel_soon(void *arg)
{
	struct timespec pause_time = {0, 300 * 1000000};

	(void)arg;
	nanosleep(&pause_time, NULL);
	ark_pg_cancel_all();
	return NULL;
}

static void test_cancel_all_from_thread(void **state)
{
	struct ark_pg *pg = connect_default();
	struct ark_pg *idle = connect_default();
	struct ark_error err = {0};
	char expected[PATH_MAX + 256];
	pthread_t thread;
	double start, elapsed;

	(void)state;
	start = now_seconds();
	assert_int_equal(pthread_create(&thread, NULL, cancel_soon, NULL), 0);
	assert_int_equal(ark_pg_exec(pg, "SELECT pg_catalog.pg_sleep(30)", &err),
			 ARK_ERR_PG_QUERY);
	elapsed = now_seconds() - start;
	pthread_join(thread, NULL);
	assert_true(elapsed < 2.0);
	/* No stop signal: a plain server error, the connection goes on. */
	snprintf(expected, sizeof(expected),
		 "server \"%s\": canceling statement due to user request (SQLSTATE 57014)",
		 ark_pg_safe_conninfo(pg));
	assert_string_equal(err.msg, expected);
	assert_string_equal(value_of(pg, "SELECT 1", 0, NULL), "1");
	assert_string_equal(value_of(idle, "SELECT 2", 0, NULL), "2");
	ark_pg_free(idle);
	ark_pg_free(pg);
}

static void *sigint_soon(void *arg)
{
	struct timespec pause_time = {0, 300 * 1000000};

	(void)arg;
	nanosleep(&pause_time, NULL);
	kill(getpid(), SIGINT);
	return NULL;
}

/* Child: SIGINT during ark_pg_exec -> ARK_ERR_INTERRUPTED, quickly. */
static int child_sigint_during_exec(void *arg)
{
	struct ark_error err = {0};
	struct ark_pg *pg = NULL;
	pthread_t thread;
	double start;
	int rc;

	(void)arg;
	ark_fsio_install_signal_handlers();
	if (ark_pg_connect(NULL, "ark-sigint-test", &pg, &err) != 0)
		return 10;
	start = now_seconds();
	pthread_create(&thread, NULL, sigint_soon, NULL);
	rc = ark_pg_exec(pg, "SELECT pg_catalog.pg_sleep(30) /* ark-sigint-exec */", &err);
	if (now_seconds() - start > 0.75)
		return 11;
	pthread_join(thread, NULL);
	if (rc != ARK_ERR_INTERRUPTED ||
	    strcmp(err.msg, "interrupted by signal") != 0)
		return 12;
	/* Nothing more is sent once the stop flag is up. */
	ark_error_clear(&err);
	if (ark_pg_exec(pg, "SELECT 1", &err) != ARK_ERR_INTERRUPTED)
		return 13;
	ark_pg_free(pg);
	return 0;
}

struct blocking_query {
	struct ark_pg *pg;
	double elapsed;
	char sqlstate[8];
};

static void *blocking_sleep(void *arg)
{
	struct blocking_query *query = arg;
	sigset_t set;
	double start = now_seconds();
	PGresult *res;

	/* Signals go to the main thread; only the hook can stop this. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	res = PQexec(ark_pg_conn(query->pg), "SELECT pg_catalog.pg_sleep(30)");
	query->elapsed = now_seconds() - start;
	snprintf(query->sqlstate, sizeof(query->sqlstate), "%s",
		 PQresultErrorField(res, PG_DIAG_SQLSTATE)
			 ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "none");
	PQclear(res);
	return NULL;
}

/* Child: the stop signal's hook cancels a statement ark is not waiting
 * for (a worker thread's blocking libpq call). */
static int child_sigint_hook(void *arg)
{
	struct blocking_query query = {0};
	struct ark_error err = {0};
	struct timespec pause_time = {0, 300 * 1000000};
	pthread_t thread;

	(void)arg;
	ark_fsio_install_signal_handlers();
	if (ark_pg_connect(NULL, "ark-sigint-test", &query.pg, &err) != 0)
		return 10;
	pthread_create(&thread, NULL, blocking_sleep, &query);
	nanosleep(&pause_time, NULL);
	raise(SIGINT);
	pthread_join(thread, NULL);
	if (query.elapsed > 0.75)
		return 11;
	if (strcmp(query.sqlstate, "57014") != 0)
		return 12;
	ark_pg_free(query.pg);
	return 0;
}

/* Hangs 5 s, unless the watchdog ends the process first. */
static void hanging_hook(void)
{
	struct timespec pause_time = {5, 0};

	nanosleep(&pause_time, NULL);
}

/* Child: a stop hook that never returns (a cancel request to a server
 * that does not answer) does not keep the watchdog from ending the
 * process. */
static int child_hanging_hook(void *arg)
{
	(void)arg;
	ark_log_set_program("ark-test");
	ark_fsio_install_signal_handlers();
	ark_fsio_set_stop_hook(hanging_hook);
	raise(SIGINT);
	return 0; /* not reached: the watchdog exits 130 */
}

static void test_hanging_hook_watchdog(void **state)
{
	struct unit_capture capture;
	char text[256];
	double start = now_seconds();

	(void)state;
	unit_capture_begin(&capture);
	assert_int_equal(unit_run_in_child(child_hanging_hook, NULL), 130);
	unit_capture_end(&capture, text, sizeof(text));
	assert_string_equal(text, "ark-test: error: interrupted by signal\n");
	assert_true(now_seconds() - start < 2.0);
}

static void test_sigint_cancels(void **state)
{
	struct ark_pg *pg;

	(void)state;
	assert_int_equal(unit_run_in_child(child_sigint_during_exec, NULL), 0);
	assert_int_equal(unit_run_in_child(child_sigint_hook, NULL), 0);
	/* The server stopped too: no sleep of the children is running. */
	pg = connect_default();
	assert_string_equal(value_of(pg, "SELECT count(*) FROM pg_catalog.pg_stat_activity "
				     "WHERE application_name = 'ark-sigint-test' AND state = 'active'",
				     0, NULL), "0");
	ark_pg_free(pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PG_TEST(test_connect_socket_defaults),
		PG_TEST(test_session_settings),
		PG_TEST(test_application_name_user_wins),
		PG_TEST(test_connect_tcp_pgpassword),
		PG_TEST(test_connect_tcp_no_password),
		PG_TEST(test_connect_pgpass),
		PG_TEST(test_connect_database_url),
		PG_TEST(test_wrong_password_never_shown),
		PG_TEST(test_libpq_echo_is_redacted),
		PG_TEST(test_scrub_conninfo),
		PG_TEST(test_unreachable_port),
		PG_TEST(test_newline_in_conninfo),
		PG_TEST(test_bad_conninfo),
		PG_TEST(test_missing_database_and_role),
		PG_TEST(test_old_server_refused),
		PG_TEST(test_connect_timeout),
		PG_TEST(test_connect_service_file),
		PG_TEST(test_query_errors),
		PG_TEST(test_query_params_hostile),
		PG_TEST(test_quoting),
		PG_TEST(test_notices_logged),
		PG_TEST(test_copy_roundtrip_digest),
		PG_TEST(test_copy_in_errors),
		PG_TEST(test_copy_out_sink_failure),
		PG_TEST(test_killed_mid_copy_out),
		PG_TEST(test_killed_mid_copy_in),
		PG_TEST(test_killed_mid_statement),
		PG_TEST(test_cancel_all_from_thread),
		PG_TEST(test_registry_churn),
		PG_TEST(test_hanging_hook_watchdog),
		PG_TEST(test_sigint_cancels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
