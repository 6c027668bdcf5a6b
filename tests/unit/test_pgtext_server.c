/*
 * test_pgtext_server.c - ark_pgtext_append against a real PostgreSQL (the
 * one tests/with-pg starts), in bulk: PostgreSQL is the judge of what it
 * prints.  For each family of values, every value ark accepts goes into a
 * table with (a) a text PostgreSQL reads as the source value and (b) ark's
 * text; then
 *   COPY (SELECT id, src::T ...) TO STDOUT   must equal ark's lines, and
 *   COPY (SELECT id, ours::T ...) TO STDOUT  too (ark's text reads back
 *                                             as itself),
 * byte for byte.  Values ark refuses are checked to be ones PostgreSQL
 * would change or reject.  Connects with libpq directly (PQconnectdb("")
 * takes PGHOST etc.); no server is a failure, never a skip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <float.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>

#include "unit_helpers.h"

#include "ark/buf.h"
#include "ark/pgtext.h"

static PGconn *conn;

static void exec_ok(const char *sql)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
}

static int setup(void **state)
{
	(void)state;
	if (getenv("PGHOST") == NULL)
		fail_msg("PGHOST is not set: run under tests/with-pg");
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("cannot connect: %s", PQerrorMessage(conn));
	/* the session settings of ark/pg.h */
	exec_ok("SET client_encoding = 'UTF8'; SET DateStyle = 'ISO';"
		"SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC';"
		"SET extra_float_digits = 3; SET bytea_output = 'hex';"
		"SET standard_conforming_strings = on;"
		"SET client_min_messages = warning");
	/* the value as typ's output function prints it (format's %s: a
	 * cast to text would drop char(n)'s padding), NULL when typ's input
	 * function refuses it */
	exec_ok("CREATE OR REPLACE FUNCTION pg_temp.try_cast(t text, typ text)"
		" RETURNS text LANGUAGE plpgsql AS $$ DECLARE r text; BEGIN"
		" EXECUTE format('SELECT format(''%%s'', $1::%s)', typ)"
		" INTO r USING t;"
		" RETURN r; EXCEPTION WHEN others THEN RETURN NULL; END $$");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	conn = NULL;
	return 0;
}

static void copy_in(const char *sql, const struct ark_buf *data)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	if (PQputCopyData(conn, data->data ? data->data : "",
			  (int)data->len) != 1 ||
	    PQputCopyEnd(conn, NULL) != 1)
		fail_msg("COPY data: %s", PQerrorMessage(conn));
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

static void copy_out(const char *sql, struct ark_buf *out)
{
	PGresult *res = PQexec(conn, sql);
	char *row;
	int n;

	if (PQresultStatus(res) != PGRES_COPY_OUT)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	while ((n = PQgetCopyData(conn, &row, 0)) > 0) {
		ark_buf_append(out, row, (size_t)n);
		PQfreemem(row);
	}
	res = PQgetResult(conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

static int64_t query_int(const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int64_t v;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

/* ---- a bulk of accepted values ---- */

struct bulk {
	struct ark_buf rows;     /* COPY text: id, src, ours */
	struct ark_buf expected; /* id \t ours \n */
	int count;
};

static void bulk_init(struct bulk *b)
{
	ark_buf_init(&b->rows);
	ark_buf_init(&b->expected);
	b->count = 0;
}

static void bulk_free(struct bulk *b)
{
	ark_buf_free(&b->rows);
	ark_buf_free(&b->expected);
}

/* src: what PostgreSQL reads as the source value (raw, not escaped);
 * ours: ark's COPY text (already escaped). */
static void bulk_add(struct bulk *b, const char *src, size_t src_len,
		     const char *ours, size_t ours_len)
{
	b->count++;
	ark_buf_appendf(&b->rows, "%d\t", b->count);
	ark_pgtext_append_escaped(&b->rows, src, src_len);
	ark_buf_append_char(&b->rows, '\t');
	ark_buf_append(&b->rows, ours, ours_len);
	ark_buf_append_char(&b->rows, '\n');
	ark_buf_appendf(&b->expected, "%d\t", b->count);
	ark_buf_append(&b->expected, ours, ours_len);
	ark_buf_append_char(&b->expected, '\n');
}

/* The first lines where got and expected differ, then fail. */
static void assert_same_lines(const char *what, const struct ark_buf *got,
			      const struct ark_buf *expected)
{
	const char *g = got->data ? got->data : "";
	const char *e = expected->data ? expected->data : "";
	int shown = 0, line = 0;

	if (got->len == expected->len && memcmp(g, e, got->len) == 0)
		return;
	while (*g != '\0' || *e != '\0') {
		const char *gn = strchr(g, '\n'), *en = strchr(e, '\n');
		size_t gl = gn ? (size_t)(gn - g) : strlen(g);
		size_t el = en ? (size_t)(en - e) : strlen(e);

		line++;
		if (gl != el || memcmp(g, e, gl) != 0) {
			print_error("%s line %d: server \"%.*s\" ark \"%.*s\"\n",
				    what, line, (int)gl, g, (int)el, e);
			if (++shown == 20)
				break;
		}
		g = gn ? gn + 1 : g + gl;
		e = en ? en + 1 : e + el;
	}
	fail_msg("%s: the server prints %d+ values differently", what,
		 shown);
}

/* Load the bulk and compare src::T and ours::T with ark's text. */
static void bulk_check(struct bulk *b, const char *type)
{
	struct ark_buf got = ARK_BUF_INIT;
	char sql[512];

	assert_false(ark_buf_failed(&b->rows));
	exec_ok("DROP TABLE IF EXISTS pg_temp.bulk");
	exec_ok("CREATE TEMP TABLE bulk (id int, src text, ours text)");
	copy_in("COPY bulk FROM STDIN", &b->rows);
	snprintf(sql, sizeof(sql),
		 "COPY (SELECT id, src::%s FROM bulk ORDER BY id) TO STDOUT",
		 type);
	copy_out(sql, &got);
	assert_same_lines(sql, &got, &b->expected);
	ark_buf_reset(&got);
	snprintf(sql, sizeof(sql),
		 "COPY (SELECT id, ours::%s FROM bulk ORDER BY id) TO STDOUT",
		 type);
	copy_out(sql, &got);
	assert_same_lines(sql, &got, &b->expected);
	ark_buf_free(&got);
}

/* ---- values ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static int convert(struct ark_buf *out, const struct ark_sqlvalue *v,
		   enum ark_pgtype type, int32_t length, int32_t precision,
		   int32_t scale, const struct ark_pgtext_rules *rules,
		   const char **reason)
{
	struct ark_pgtype_spec spec = {type, length, precision, scale};

	ark_buf_reset(out);
	return ark_pgtext_append(out, v, &spec, rules, reason);
}

static struct ark_sqlvalue real_value(double x)
{
	struct ark_sqlvalue v = {SQLITE_FLOAT, 0, x, NULL, 0};

	return v;
}

static struct ark_sqlvalue integer_value(int64_t i)
{
	struct ark_sqlvalue v = {SQLITE_INTEGER, i, 0, NULL, 0};

	return v;
}

static struct ark_sqlvalue text_value(const char *s, size_t len)
{
	struct ark_sqlvalue v = {SQLITE_TEXT, 0, 0,
				 (const unsigned char *)s, len};

	return v;
}

static void double_source(double x, char *src, size_t room)
{
	if (isinf(x))
		snprintf(src, room, "%s", x < 0 ? "-Infinity" : "Infinity");
	else
		snprintf(src, room, "%.17g", x);
}

static void add_float8(struct bulk *b, struct ark_buf *ours, double x)
{
	struct ark_sqlvalue v = real_value(x);
	const char *reason;
	char src[64];

	if (isnan(x))
		return;
	assert_int_equal(convert(ours, &v, ARK_PGTYPE_FLOAT8, -1, -1, -1,
				 NULL, &reason),
			 0);
	double_source(x, src, sizeof(src));
	bulk_add(b, src, strlen(src), ours->data, ours->len);
}

/* 200k doubles: random bit patterns, small integers, powers of ten and
 * their neighbours, subnormals, values around the fixed/exponent
 * thresholds (1e-4, 1e15), powers of two. */
static void test_float8_bulk(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT;
	int i, e;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 120000; i++) {
		uint64_t bits = rnd();
		double x;

		memcpy(&x, &bits, sizeof(x));
		add_float8(&b, &ours, x);
	}
	for (i = 0; i < 80000; i++) {
		/* random significands between 1e-4 and 1e37, where ark
		 * computes the digits by integer arithmetic */
		uint64_t bits = (rnd() & 0x000fffffffffffffull) |
				(uint64_t)(1023 - 14 + rnd() % 138) << 52;
		double x;

		memcpy(&x, &bits, sizeof(x));
		add_float8(&b, &ours, i % 2 ? x : -x);
	}
	for (i = -3000; i <= 3000; i++)
		add_float8(&b, &ours, (double)i);
	for (e = -325; e <= 308; e++) {
		double p = pow(10, e);
		char text[32];

		snprintf(text, sizeof(text), "1e%d", e);
		p = strtod(text, NULL);
		add_float8(&b, &ours, p);
		add_float8(&b, &ours, -p);
		add_float8(&b, &ours, nextafter(p, 0));
		add_float8(&b, &ours, nextafter(p, INFINITY));
		add_float8(&b, &ours, p * 1.5);
		add_float8(&b, &ours, p * 9.999999999999999);
		add_float8(&b, &ours, p * 1.2345678901234567);
	}
	for (e = -1074; e <= 1023; e++) {
		double p = ldexp(1, e);

		add_float8(&b, &ours, p);
		add_float8(&b, &ours, nextafter(p, 0));
		add_float8(&b, &ours, nextafter(p, INFINITY));
		add_float8(&b, &ours, -p * 3);
	}
	for (i = 0; i < 20000; i++) {
		/* subnormals */
		uint64_t bits = rnd() & 0x000fffffffffffffull;
		double x;

		memcpy(&x, &bits, sizeof(x));
		add_float8(&b, &ours, x);
	}
	for (i = 0; i < 20000; i++) {
		/* around the thresholds: 1e-5 .. 1e-3 and 1e14 .. 1e16 */
		double u = (double)(rnd() >> 11) / 9007199254740992.0;

		add_float8(&b, &ours, pow(10, -5 + 2 * u));
		add_float8(&b, &ours, pow(10, 14 + 2 * u));
	}
	for (i = 0; i < 10000; i++) {
		/* short decimals: k / 10^d */
		double x = (double)(int64_t)(rnd() % 2000001 - 1000000) /
			   pow(10, (double)(rnd() % 8));

		add_float8(&b, &ours, x);
	}
	add_float8(&b, &ours, INFINITY);
	add_float8(&b, &ours, -INFINITY);
	add_float8(&b, &ours, 0.0);
	add_float8(&b, &ours, -0.0);
	add_float8(&b, &ours, DBL_MAX);
	add_float8(&b, &ours, DBL_MIN);
	add_float8(&b, &ours, DBL_TRUE_MIN);
	assert_true(b.count >= 280000);
	bulk_check(&b, "float8");
	bulk_free(&b);
	ark_buf_free(&ours);
}

/* Integers into float8: exact ones printed as float8 prints them; the
 * refused ones are those float8 rounds. */
static void test_float8_integers(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT;
	const char *reason;
	int i, refused = 0;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 20000; i++) {
		int64_t n = (int64_t)(rnd() >> (rnd() % 64));
		struct ark_sqlvalue v = integer_value(i % 2 ? -n : n);
		char src[32];

		snprintf(src, sizeof(src), "%" PRId64, v.integer);
		if (convert(&ours, &v, ARK_PGTYPE_FLOAT8, -1, -1, -1, NULL,
			    &reason) != 0) {
			char sql[160];

			assert_string_equal(
				reason,
				"an integer that double precision cannot hold exactly");
			refused++;
			/* float8 rounds it: back in numeric it differs */
			snprintf(sql, sizeof(sql),
				 "SELECT ('%s'::float8::numeric <> '%s'::numeric)::int",
				 src, src);
			if (refused < 50)
				assert_int_equal(query_int(sql), 1);
			continue;
		}
		bulk_add(&b, src, strlen(src), ours.data, ours.len);
	}
	assert_true(refused > 1000);
	bulk_check(&b, "float8");
	bulk_free(&b);
	ark_buf_free(&ours);
}

static void test_float4_bulk(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT;
	const char *reason;
	int i, e;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 100000 + 300; i++) {
		uint32_t bits = (uint32_t)rnd();
		float f;
		struct ark_sqlvalue v;
		char src[64];

		if (i < 50000) /* mostly between 1e-4 and 1e37 */
			bits = (bits & 0x807fffffu) |
			       (uint32_t)(127 - 14 + rnd() % 138) << 23;
		if (i >= 100000) {
			e = i - 100000 - 150;
			f = (float)ldexp(1, e);
			if (e % 3 == 0)
				f = strtof("1e1", NULL) * (float)e;
		} else {
			memcpy(&f, &bits, sizeof(f));
		}
		if (isnan(f))
			continue;
		v = real_value((double)f);
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_FLOAT4, -1, -1,
					 -1, NULL, &reason),
				 0);
		double_source((double)f, src, sizeof(src));
		if (!isinf(f))
			snprintf(src, sizeof(src), "%.9g", (double)f);
		bulk_add(&b, src, strlen(src), ours.data, ours.len);
	}
	bulk_check(&b, "float4");
	bulk_free(&b);
	ark_buf_free(&ours);
}

/* numeric(p,s) from integers and reals: the accepted values print as
 * PostgreSQL prints them and read back as the same number; the refused
 * ones are rounded or rejected by PostgreSQL. */
static void test_numeric_bulk(void **state)
{
	static const struct {
		int32_t precision, scale;
		const char *sql;
	} types[] = {
		{10, 2, "numeric(10,2)"},
		{5, 0, "numeric(5,0)"},
		{20, 10, "numeric(20,10)"},
		{38, 6, "numeric(38,6)"},
		{4, 4, "numeric(4,4)"},
		{-1, -1, "numeric"},
	};
	struct ark_buf ours = ARK_BUF_INIT, full = ARK_BUF_INIT;
	struct ark_buf refused = ARK_BUF_INIT;
	size_t t;

	(void)state;
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct bulk b;
		int i, nrefused = 0;
		char sql[512];

		bulk_init(&b);
		ark_buf_reset(&refused);
		for (i = 0; i < 30000; i++) {
			struct ark_sqlvalue v;
			const char *reason;
			char src[64];
			double x;

			switch (i % 4) {
			case 0:
				v = integer_value(
					(int64_t)(rnd() >> (rnd() % 64)) *
					(i % 8 ? 1 : -1));
				snprintf(src, sizeof(src), "%" PRId64,
					 v.integer);
				break;
			case 1:
				x = (double)(int64_t)(rnd() % 20000001 -
						      10000000) /
				    pow(10, (double)(rnd() % 9));
				v = real_value(x);
				break;
			case 2: {
				uint64_t bits = rnd();

				memcpy(&x, &bits, sizeof(x));
				if (!isfinite(x) || fabs(x) > 1e300)
					x = 1.5;
				v = real_value(x);
				break;
			}
			default:
				x = (double)(rnd() % 100000) / 1024.0;
				v = real_value(x);
				break;
			}
			if (v.storage == SQLITE_FLOAT) /* always with an e */
				snprintf(src, sizeof(src), "%.16e", v.real);
			if (v.storage == SQLITE_FLOAT && v.real == 0)
				continue;
			if (convert(&ours, &v, ARK_PGTYPE_NUMERIC, -1,
				    types[t].precision, types[t].scale, NULL,
				    &reason) != 0) {
				/* the exact decimal (unconstrained) */
				assert_int_equal(
					convert(&full, &v, ARK_PGTYPE_NUMERIC,
						-1, -1, -1, NULL, &reason),
					0);
				nrefused++;
				ark_buf_appendf(&refused, "%d\t", nrefused);
				ark_buf_append(&refused, full.data, full.len);
				ark_buf_append_char(&refused, '\n');
				continue;
			}
			bulk_add(&b, src, strlen(src), ours.data, ours.len);
		}
		/* src is the exact value of the source; PostgreSQL prints
		 * ours for ours, and ours is the same number as src */
		exec_ok("DROP TABLE IF EXISTS pg_temp.bulk");
		exec_ok("CREATE TEMP TABLE bulk (id int, src text, ours text)");
		copy_in("COPY bulk FROM STDIN", &b.rows);
		{
			struct ark_buf got = ARK_BUF_INIT;

			snprintf(sql, sizeof(sql),
				 "COPY (SELECT id, ours::%s FROM bulk ORDER BY id) TO STDOUT",
				 types[t].sql);
			copy_out(sql, &got);
			assert_same_lines(sql, &got, &b.expected);
			ark_buf_free(&got);
		}
		/* a REAL's decimal reads back as the same double (numeric
		 * to float8 is correctly rounded); an integer is equal */
#define CHANGED                                                           \
	" FROM bulk WHERE CASE WHEN src ~ '^-?[0-9]+$'"                      \
	" THEN ours::numeric <> src::numeric"                                \
	" ELSE ours::numeric::float8 <> src::float8 END"
		if (query_int("SELECT count(*)" CHANGED) != 0) {
			PGresult *res =
				PQexec(conn, "SELECT src, ours" CHANGED " LIMIT 5");


			for (i = 0; i < PQntuples(res); i++)
				print_error("%s: %s became %s\n", types[t].sql,
					    PQgetvalue(res, i, 0),
					    PQgetvalue(res, i, 1));
			PQclear(res);
			fail_msg("%s: values changed", types[t].sql);
		}
#undef CHANGED
		/* each refused value: PostgreSQL rejects it or stores
		 * another number */
		exec_ok("DROP TABLE IF EXISTS pg_temp.refused");
		exec_ok("CREATE TEMP TABLE refused (id int, exact text)");
		copy_in("COPY refused FROM STDIN", &refused);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM refused WHERE"
			 " pg_temp.try_cast(exact, '%s')::numeric = exact::numeric",
			 types[t].sql);
		assert_int_equal(query_int(sql), 0);
		if (types[t].precision > 0)
			assert_true(nrefused > 100);
		bulk_free(&b);
	}
	ark_buf_free(&ours);
	ark_buf_free(&full);
	ark_buf_free(&refused);
}

/* Every byte 0x01..0x7f and UTF-8 characters of every length, in text:
 * COPY FROM of ark's escaped text stores the original bytes, and COPY TO
 * prints exactly ark's text. */
static void test_text_escaping(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT, got = ARK_BUF_INIT;
	struct ark_buf expected_hex = ARK_BUF_INIT;
	const char *reason;
	char s[64];
	uint32_t i;

	(void)state;
	bulk_init(&b);
	/* 1..0x7f; then every code point up to U+07FF (each two-byte
	 * lead and continuation byte); then every 257th one up to U+10FFFF
	 * (every three- and four-byte lead byte), surrogates left out */
	for (i = 1; i <= 0x10ffff; i += i < 0x800 ? 1 : 257) {
		struct ark_sqlvalue v;
		size_t n = 0, k;
		uint32_t cp = i;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		s[n++] = 'a';
		if (cp < 0x80) {
			s[n++] = (char)cp;
		} else if (cp < 0x800) {
			s[n++] = (char)(0xc0 | cp >> 6);
			s[n++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			s[n++] = (char)(0xe0 | cp >> 12);
			s[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			s[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			s[n++] = (char)(0xf0 | cp >> 18);
			s[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
			s[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
			s[n++] = (char)(0x80 | (cp & 0x3f));
		}
		s[n++] = 'z';
		v = text_value(s, n);
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_TEXT, -1, -1, -1,
					 NULL, &reason),
				 0);
		bulk_add(&b, s, n, ours.data, ours.len);
		ark_buf_appendf(&expected_hex, "%d\t", b.count);
		for (k = 0; k < n; k++)
			ark_buf_appendf(&expected_hex, "%02x",
					(unsigned char)s[k]);
		ark_buf_append_char(&expected_hex, '\n');
	}
	bulk_check(&b, "text");
	copy_out("COPY (SELECT id, encode(convert_to(ours, 'UTF8'), 'hex')"
		 " FROM bulk ORDER BY id) TO STDOUT",
		 &got);
	assert_same_lines("stored bytes", &got, &expected_hex);
	bulk_free(&b);
	ark_buf_free(&ours);
	ark_buf_free(&got);
	ark_buf_free(&expected_hex);
}

/* ark's UTF-8 check is PostgreSQL's: every lead byte 0x80..0xff with
 * every second byte, then the continuation bytes the lead asks for -
 * accepted by ark exactly when the server accepts the text. */
static void test_utf8_verdicts(void **state)
{
	struct ark_buf ours = ARK_BUF_INIT;
	int lead, second, accepted = 0, refused = 0;

	(void)state;
	for (lead = 0x80; lead <= 0xff; lead++) {
		for (second = 1; second <= 0xff; second++) {
			/* as many continuation bytes as the lead asks for */
			int more = lead >= 0xf0 ? 2 : lead >= 0xe0 ? 1 : 0, k;
			char s[8] = {'x', (char)lead, (char)second};
			size_t n = 3;
			const char *params[1] = {s};
			struct ark_sqlvalue v;

			for (k = 0; k < more; k++)
				s[n++] = (char)0x80;
			s[n++] = 'y';
			s[n] = '\0';
			v = text_value(s, n);
			const char *reason;
			int ark_ok, server_ok;
			PGresult *res;

			ark_ok = convert(&ours, &v, ARK_PGTYPE_TEXT, -1, -1, -1,
					 NULL, &reason) == 0;
			res = PQexecParams(conn, "SELECT octet_length($1)", 1,
					   NULL, params, NULL, NULL, 0);
			server_ok = PQresultStatus(res) == PGRES_TUPLES_OK;
			PQclear(res);
			if (ark_ok != server_ok)
				fail_msg("bytes %02x %02x (+80s): ark %s, the"
					 " server %s",
					 lead, second,
					 ark_ok ? "accepts" : "refuses",
					 server_ok ? "accepts" : "refuses");
			if (ark_ok)
				accepted++;
			else
				refused++;
		}
	}
	/* C2-DF: 30 x 64; E0: 32, E1-EC: 12 x 64, ED: 32, EE-EF: 2 x 64;
	 * F0: 48, F1-F3: 3 x 64, F4: 16 */
	assert_int_equal(accepted, 30 * 64 + (32 + 12 * 64 + 32 + 2 * 64) +
					   (48 + 3 * 64 + 16));
	assert_true(refused > 10000);
	ark_buf_free(&ours);
}

/* Random valid text (ASCII controls, backslashes, multi-byte) into
 * text and varchar(n). */
static void test_text_random(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT;
	static const char *pieces[] = {"\\", "\t", "\n", "\r", "\b", "\f",
				       "\v", "\x01", "\x1f", "\x7f", "a",
				       " ", "\\.", "é", "€", "😀", "\\N",
				       "'", "\""};
	const char *reason;
	int i;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 5000; i++) {
		char s[256];
		size_t n = 0;
		int k, count = (int)(rnd() % 20);
		struct ark_sqlvalue v;

		for (k = 0; k < count; k++) {
			const char *piece =
				pieces[rnd() % (sizeof(pieces) /
						sizeof(pieces[0]))];

			memcpy(s + n, piece, strlen(piece));
			n += strlen(piece);
		}
		v = text_value(s, n);
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_TEXT, -1, -1, -1,
					 NULL, &reason),
				 0);
		bulk_add(&b, s, n, ours.data, ours.len);
	}
	bulk_check(&b, "text");
	bulk_free(&b);
	ark_buf_free(&ours);
}

/* varchar(3) and char(3): what ark accepts is stored as it is; what it
 * refuses PostgreSQL rejects, cuts (trailing spaces) or pads. */
static void test_varchar_char(void **state)
{
	static const char *pieces[] = {"a", " ", "é", "😀", "\\", "\t"};
	static const struct {
		enum ark_pgtype type;
		const char *sql;
	} types[] = {{ARK_PGTYPE_VARCHAR, "varchar(3)"},
		     {ARK_PGTYPE_BPCHAR, "char(3)"}};
	struct ark_buf ours = ARK_BUF_INIT;
	size_t t;

	(void)state;
	for (t = 0; t < 2; t++) {
		struct bulk b;
		int i, refused = 0;

		bulk_init(&b);
		for (i = 0; i < 3000; i++) {
			char s[32];
			size_t n = 0;
			int k, count = (int)(rnd() % 6);
			struct ark_sqlvalue v;
			const char *reason;

			for (k = 0; k < count; k++) {
				const char *piece = pieces[rnd() % 6];

				memcpy(s + n, piece, strlen(piece));
				n += strlen(piece);
			}
			s[n] = '\0';
			v = text_value(s, n);
			if (convert(&ours, &v, types[t].type, 3, -1, -1, NULL,
				    &reason) == 0) {
				bulk_add(&b, s, n, ours.data, ours.len);
				continue;
			}
			refused++;
			if (refused < 200) {
				const char *params[1] = {s};
				char sql[160];
				PGresult *res;

				snprintf(sql, sizeof(sql),
					 "SELECT pg_temp.try_cast($1, '%s')"
					 " IS DISTINCT FROM $1",
					 types[t].sql);
				res = PQexecParams(conn, sql, 1, NULL, params,
						   NULL, NULL, 0);
				assert_int_equal(PQresultStatus(res),
						 PGRES_TUPLES_OK);
				if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
					fail_msg("ark refuses '%s' as %s (%s),"
						 " PostgreSQL keeps it",
						 s, types[t].sql, reason);
				PQclear(res);
			}
		}
		assert_true(refused > 100 && b.count > 100);
		bulk_check(&b, types[t].sql);
		bulk_free(&b);
	}
	ark_buf_free(&ours);
}

/* numeric(p,s) from text: the accepted text is what PostgreSQL prints
 * for it; the refused is rejected or rounded by PostgreSQL. */
static void test_numeric_text(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT;
	int i, refused = 0;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 4000; i++) {
		char s[48];
		int n = 0, k, int_digits = (int)(rnd() % 12),
		    frac_digits = (int)(rnd() % 6);
		struct ark_sqlvalue v;
		const char *reason;

		if (rnd() % 3 == 0)
			s[n++] = '-';
		if (int_digits == 0)
			s[n++] = '0';
		for (k = 0; k < int_digits; k++)
			s[n++] = (char)('0' + (k == 0 ? 1 + rnd() % 9
						      : rnd() % 10));
		if (frac_digits > 0) {
			s[n++] = '.';
			for (k = 0; k < frac_digits; k++)
				s[n++] = (char)('0' + (rnd() % 3 ? rnd() % 10
								 : 0));
		}
		s[n] = '\0';
		v = text_value(s, (size_t)n);
		if (convert(&ours, &v, ARK_PGTYPE_NUMERIC, -1, 10, 2, NULL,
			    &reason) == 0) {
			bulk_add(&b, s, (size_t)n, ours.data, ours.len);
			continue;
		}
		refused++;
		if (refused < 300) {
			const char *params[1] = {s};
			PGresult *res = PQexecParams(
				conn,
				"SELECT pg_temp.try_cast($1, 'numeric(10,2)')::numeric"
				" IS DISTINCT FROM $1::numeric"
				" OR $1 ~ '^-0(\\.0*)?$'",
				1, NULL, params, NULL, NULL, 0);

			assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
			if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
				fail_msg("ark refuses '%s' (%s), PostgreSQL"
					 " keeps it",
					 s, reason);
			PQclear(res);
		}
	}
	assert_true(refused > 300 && b.count > 1000);
	bulk_check(&b, "numeric(10,2)");
	bulk_free(&b);
	ark_buf_free(&ours);
}

static void test_bytea_bulk(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT, src = ARK_BUF_INIT;
	const char *reason;
	int i;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 3000; i++) {
		unsigned char blob[300];
		size_t n = (size_t)(rnd() % sizeof(blob)), k;
		struct ark_sqlvalue v = {SQLITE_BLOB, 0, 0, blob, n};

		for (k = 0; k < n; k++)
			blob[k] = (unsigned char)rnd();
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_BYTEA, -1, -1,
					 -1, NULL, &reason),
				 0);
		/* the source as bytea's own hex input */
		ark_buf_reset(&src);
		ark_buf_append_str(&src, "\\x");
		for (k = 0; k < n; k++)
			ark_buf_appendf(&src, "%02x", blob[k]);
		bulk_add(&b, src.data, src.len, ours.data, ours.len);
	}
	bulk_check(&b, "bytea");
	bulk_free(&b);
	ark_buf_free(&ours);
	ark_buf_free(&src);
}

/* Date-times in SQLite's formats: PostgreSQL reads the source text
 * itself (TimeZone UTC) and prints ark's text. */
static void test_datetime_bulk(void **state)
{
	struct bulk date, ts, tstz;
	struct ark_buf ours = ARK_BUF_INIT;
	struct ark_pgtext_rules rules = {ARK_DATE_NUMBERS_REFUSE, 0};
	const char *reason;
	int i;

	(void)state;
	bulk_init(&date);
	bulk_init(&ts);
	bulk_init(&tstz);
	for (i = 0; i < 30000; i++) {
		int year = 1 + (int)(rnd() % 9999);
		int month = 1 + (int)(rnd() % 12);
		int day = 1 + (int)(rnd() % 31);
		int hour = (int)(rnd() % 24), minute = (int)(rnd() % 60);
		int second = (int)(rnd() % 60);
		int form = (int)(rnd() % 8);
		char s[96];
		int n;
		struct ark_sqlvalue v;

		if (i % 10 == 0)
			year = 1 + (int)(rnd() % 3);
		if (i % 10 == 1)
			year = 9997 + (int)(rnd() % 3);
		n = snprintf(s, sizeof(s), "%04d-%02d-%02d", year, month,
			     day);
		if (form >= 1) {
			n += snprintf(s + n, sizeof(s) - (size_t)n,
				      "%c%02d:%02d", rnd() % 2 ? 'T' : ' ',
				      hour, minute);
			if (form >= 2)
				n += snprintf(s + n, sizeof(s) - (size_t)n,
					      ":%02d", second);
			if (form >= 3) {
				int digits = 1 + (int)(rnd() % 6), k;

				s[n++] = '.';
				for (k = 0; k < digits; k++)
					s[n++] = (char)('0' + rnd() % 10);
				if (rnd() % 4 == 0)
					for (k = 0; k < 3; k++)
						s[n++] = '0';
				s[n] = '\0';
			}
			if (form >= 5) {
				if (form == 5)
					n += snprintf(s + n,
						      sizeof(s) - (size_t)n,
						      "Z");
				else
					n += snprintf(
						s + n, sizeof(s) - (size_t)n,
						"%c%02d:%02d",
						rnd() % 2 ? '+' : '-',
						(int)(rnd() % 15),
						(int)(rnd() % 60));
			}
		}
		v = text_value(s, (size_t)n);
		if (convert(&ours, &v, ARK_PGTYPE_DATE, -1, -1, -1, &rules,
			    &reason) == 0)
			bulk_add(&date, s, (size_t)n, ours.data, ours.len);
		if (convert(&ours, &v, ARK_PGTYPE_TIMESTAMP, -1, -1, -1,
			    &rules, &reason) == 0)
			bulk_add(&ts, s, (size_t)n, ours.data, ours.len);
		if (convert(&ours, &v, ARK_PGTYPE_TIMESTAMPTZ, -1, -1, -1,
			    &rules, &reason) == 0)
			bulk_add(&tstz, s, (size_t)n, ours.data, ours.len);
		else if (strcmp(reason, "no time zone in a timestamptz column") !=
			 0) {
			/* refused: PostgreSQL rejects it too, or it leaves
			 * 0001-9999 in UTC */
			char sql[1024];

			snprintf(sql, sizeof(sql),
				 "SELECT (pg_temp.try_cast('%s', 'timestamptz') IS NULL"
				 " OR pg_temp.try_cast('%s', 'timestamptz') LIKE '%% BC'"
				 " OR pg_temp.try_cast('%s', 'timestamptz') ~ '^[0-9]{5}')::int",
				 s, s, s);
			if (i % 7 == 0)
				assert_int_equal(query_int(sql), 1);
		}
	}
	assert_true(date.count > 1000 && ts.count > 10000 &&
		    tstz.count > 5000);
	bulk_check(&date, "date");
	bulk_check(&ts, "timestamp");
	bulk_check(&tstz, "timestamptz");
	bulk_free(&date);
	bulk_free(&ts);
	bulk_free(&tstz);
	ark_buf_free(&ours);
}

/* Unix epoch numbers against to_timestamp(). */
static void test_unixepoch(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT;
	struct ark_pgtext_rules rules = {ARK_DATE_NUMBERS_UNIXEPOCH, 0};
	const char *reason;
	int i;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 5000; i++) {
		int64_t s = (int64_t)(rnd() % 253402300800ull) - 62135596800;
		struct ark_sqlvalue v = integer_value(s);
		char src[48];

		if (i % 2) {
			v = real_value((double)s +
				       (double)(rnd() % 1000) / 1000.0);
			snprintf(src, sizeof(src), "%.17g", v.real);
		}
		if (convert(&ours, &v, ARK_PGTYPE_TIMESTAMPTZ, -1, -1, -1,
			    &rules, &reason) != 0)
			continue;
		if (v.storage == SQLITE_INTEGER)
			snprintf(src, sizeof(src), "%" PRId64, s);
		else
			/* the shortest decimal of the double, to the
			 * microsecond */
			snprintf(src, sizeof(src), "%.3f", v.real);
		bulk_add(&b, src, strlen(src), ours.data, ours.len);
	}
	exec_ok("DROP TABLE IF EXISTS pg_temp.bulk");
	exec_ok("CREATE TEMP TABLE bulk (id int, src text, ours text)");
	copy_in("COPY bulk FROM STDIN", &b.rows);
	{
		struct ark_buf got = ARK_BUF_INIT;

		/* whole seconds through to_timestamp, the fraction as an
		 * interval (to_timestamp's float8 would round it) */
		copy_out("COPY (SELECT id, to_timestamp(trunc(src::numeric))"
			 " + (src::numeric - trunc(src::numeric)) * interval '1 s'"
			 " FROM bulk ORDER BY id) TO STDOUT",
			 &got);
		assert_same_lines("to_timestamp", &got, &b.expected);
		ark_buf_free(&got);
	}
	bulk_free(&b);
	ark_buf_free(&ours);
}

static const char *const json_corpus[] = {
	"{}", "[]", "0", "-0", "-0.0", "1.50", "1e2", "1E+2", "1.5e-3",
	"-1.2345e10", "123456789012345678901234567890", "0.000001e-5",
	"1e-20", "2.5E+0", "true", "false", "null", "\"\"", "\"a\\/b\"",
	"\"\\u00e9\\u20ac\"", "\"\\ud83d\\ude00\"", "\"\\u001f\\u007f\"",
	"\"tab\\there\\nline\\r\\b\\f\"", "\"quote\\\"back\\\\\"",
	"{\"b\":1,\"a\":2}", "{\"bb\":1,\"a\":2,\"ccc\":3,\"aa\":4}",
	"{\"ab\":1,\"aa\":2,\"Ab\":3,\"é\":4,\"z\":5}",
	" { \"x\" : [ 1 , 2 , { \"y\" : null } ] } ",
	"[[[[[]]]]]", "{\"a\":{\"b\":{\"c\":{}}}}", "[1,\"2\",[3],{\"4\":5}]",
	"{\"\\u0041\":1,\"B\":2}", "\"日本語\"", "{\"日\":1,\"ab\":2,\"abcd\":3}",
	"[1e400]", "[-1e-400]", "1.0e0", "10e-1", "[0.1, 0.10, 0.100]",
	"{\"\":0}", "{\"a\":\"\\u0000x\"}", "\"\\ud800\"", "\"\\udc00\"",
	"[\"\\ud800\\u0041\"]",
};

static const char *const json_invalid[] = {
	"", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "1e",
	"\"\\x\"", "\"a", "nul", "True", "{\"a\" 1}", "[1 2]", "'a'",
	"{a:1}", "1 2",
	"\"\x01\"", "NaN", "-", "[1]]",
};

static void test_json_corpus(void **state)
{
	struct bulk jb, js;
	struct ark_buf ours = ARK_BUF_INIT;
	const char *reason;
	size_t i;
	char sql[512];

	(void)state;
	bulk_init(&jb);
	bulk_init(&js);
	for (i = 0; i < sizeof(json_corpus) / sizeof(json_corpus[0]); i++) {
		struct ark_sqlvalue v =
			text_value(json_corpus[i], strlen(json_corpus[i]));

		if (convert(&ours, &v, ARK_PGTYPE_JSONB, -1, -1, -1, NULL,
			    &reason) == 0)
			bulk_add(&jb, v.bytes != NULL ? json_corpus[i] : "",
				 v.len, ours.data, ours.len);
		else
			assert_true(
				strcmp(reason, "\\u0000 in JSON (jsonb cannot hold it)") == 0 ||
				strcmp(reason, "an unpaired UTF-16 surrogate escape in JSON") == 0);
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_JSON, -1, -1, -1,
					 NULL, &reason),
				 0);
		bulk_add(&js, json_corpus[i], v.len, ours.data, ours.len);
	}
	{
		/* the deepest JSON ark carries (1000 levels) the server
		 * takes too */
		struct ark_buf deep = ARK_BUF_INIT;
		struct ark_sqlvalue v;
		int k;

		for (k = 0; k < 500; k++)
			ark_buf_append_str(&deep, "{\"a\":[");
		for (k = 0; k < 500; k++)
			ark_buf_append_str(&deep, "]}");
		v = text_value(deep.data, deep.len);
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_JSONB, -1, -1, -1,
					 NULL, &reason),
				 0);
		bulk_add(&jb, deep.data, deep.len, ours.data, ours.len);
		ark_buf_free(&deep);
	}
	assert_int_equal(jb.count,
			 (int)(sizeof(json_corpus) / sizeof(json_corpus[0])) -
				 3);
	bulk_check(&jb, "jsonb");
	bulk_check(&js, "json");
	/* what ark calls invalid, PostgreSQL's json and jsonb reject */
	for (i = 0; i < sizeof(json_invalid) / sizeof(json_invalid[0]); i++) {
		struct ark_sqlvalue v =
			text_value(json_invalid[i], strlen(json_invalid[i]));
		const char *params[1] = {json_invalid[i]};
		PGresult *res;

		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_JSONB, -1, -1,
					 -1, NULL, &reason),
				 -1);
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_JSON, -1, -1, -1,
					 NULL, &reason),
				 -1);
		res = PQexecParams(conn,
				   "SELECT pg_temp.try_cast($1, 'json') IS NULL"
				   " AND pg_temp.try_cast($1, 'jsonb') IS NULL",
				   1, NULL, params, NULL, NULL, 0);
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		if (strcmp(PQgetvalue(res, 0, 0), "t") != 0)
			fail_msg("PostgreSQL accepts '%s' as json or jsonb",
				 json_invalid[i]);
		PQclear(res);
	}
	/* duplicate keys: jsonb keeps the last, so ark refuses */
	{
		const char *dup = "{\"a\":1,\"b\":2,\"a\":3}";
		struct ark_sqlvalue v = text_value(dup, strlen(dup));

		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_JSONB, -1, -1,
					 -1, NULL, &reason),
				 -1);
		assert_string_equal(reason,
				    "a duplicate key in a JSON object (jsonb would keep only the last)");
		snprintf(sql, sizeof(sql),
			 "SELECT ('%s'::jsonb::text = '{\"a\": 3, \"b\": 2}')::int",
			 dup);
		assert_int_equal(query_int(sql), 1);
	}
	bulk_free(&jb);
	bulk_free(&js);
	ark_buf_free(&ours);
}

/* Random JSON documents: nesting, keys of equal length, escapes,
 * numbers in every notation. */
static void random_json(struct ark_buf *out, int depth)
{
	static const char *strings[] = {"a", "b", "ab", "ba", "aa", "é",
					"\\u00e9", "\\n", "\\\"", "\\\\",
					"\\/", "\\ud83d\\ude00", "x y",
					"\\u0001", "日本", "zz", "A", "B"};
	static const char *numbers[] = {"0", "-0", "1", "-1.50", "1e5",
					"2E-3", "0.0", "123.456e2",
					"9007199254740993", "-0.000e10",
					"1.0E+1", "5e-1"};
	int kind = (int)(rnd() % (depth > 4 ? 4 : 6)), n, i;

	switch (kind) {
	case 0:
		ark_buf_append_str(out, numbers[rnd() % 12]);
		break;
	case 1:
		ark_buf_appendf(out, "\"%s%s\"", strings[rnd() % 18],
				strings[rnd() % 18]);
		break;
	case 2:
		ark_buf_append_str(out, rnd() % 2 ? "true" : "null");
		break;
	case 3:
		ark_buf_append_str(out, "false");
		break;
	case 4:
		n = (int)(rnd() % 5);
		ark_buf_append_str(out, "[ ");
		for (i = 0; i < n; i++) {
			if (i)
				ark_buf_append_str(out, ",\n");
			random_json(out, depth + 1);
		}
		ark_buf_append_char(out, ']');
		break;
	default:
		n = (int)(rnd() % 6);
		ark_buf_append_char(out, '{');
		for (i = 0; i < n; i++) {
			if (i)
				ark_buf_append_char(out, ',');
			/* unique keys: a counter in front */
			ark_buf_appendf(out, "\"%s%d\"\t:", strings[rnd() % 18],
					i);
			random_json(out, depth + 1);
		}
		ark_buf_append_char(out, '}');
		break;
	}
}

static void test_json_random(void **state)
{
	struct bulk b;
	struct ark_buf ours = ARK_BUF_INIT, doc = ARK_BUF_INIT;
	const char *reason;
	int i;

	(void)state;
	bulk_init(&b);
	for (i = 0; i < 5000; i++) {
		struct ark_sqlvalue v;

		ark_buf_reset(&doc);
		random_json(&doc, 0);
		v = text_value(doc.data, doc.len);
		if (convert(&ours, &v, ARK_PGTYPE_JSONB, -1, -1, -1, NULL,
			    &reason) != 0)
			fail_msg("refused %s: %s", doc.data, reason);
		bulk_add(&b, doc.data, doc.len, ours.data, ours.len);
	}
	bulk_check(&b, "jsonb");
	bulk_free(&b);
	ark_buf_free(&ours);
	ark_buf_free(&doc);
}

static void test_uuid_bool_integers(void **state)
{
	struct bulk u, i2, i4;
	struct ark_buf ours = ARK_BUF_INIT;
	const char *reason;
	int i;

	(void)state;
	bulk_init(&u);
	bulk_init(&i2);
	bulk_init(&i4);
	for (i = 0; i < 2000; i++) {
		char s[40];
		uint64_t a = rnd(), c = rnd();
		struct ark_sqlvalue v;
		int64_t n = (int64_t)(rnd() >> (rnd() % 64)) * (i % 2 ? 1 : -1);

		snprintf(s, sizeof(s), i % 2 ? "%08X-%04X-%04X-%04X-%012" PRIX64
					     : "%08x-%04x-%04x-%04x-%012" PRIx64,
			 (unsigned)(a >> 32), (unsigned)(a >> 16 & 0xffff),
			 (unsigned)(a & 0xffff), (unsigned)(c >> 48),
			 (uint64_t)(c & 0xffffffffffffull));
		v = text_value(s, strlen(s));
		assert_int_equal(convert(&ours, &v, ARK_PGTYPE_UUID, -1, -1, -1,
					 NULL, &reason),
				 0);
		bulk_add(&u, s, strlen(s), ours.data, ours.len);
		v = integer_value(n % 100000);
		snprintf(s, sizeof(s), "%" PRId64, v.integer);
		if (convert(&ours, &v, ARK_PGTYPE_INT2, -1, -1, -1, NULL,
			    &reason) == 0)
			bulk_add(&i2, s, strlen(s), ours.data, ours.len);
		else
			assert_true(v.integer < -32768 || v.integer > 32767);
		v = integer_value(n);
		snprintf(s, sizeof(s), "%" PRId64, v.integer);
		if (convert(&ours, &v, ARK_PGTYPE_INT4, -1, -1, -1, NULL,
			    &reason) == 0)
			bulk_add(&i4, s, strlen(s), ours.data, ours.len);
		else
			assert_string_equal(reason, "out of range for integer");
	}
	bulk_check(&u, "uuid");
	bulk_check(&i2, "int2");
	bulk_check(&i4, "int4");
	bulk_free(&u);
	bulk_free(&i2);
	bulk_free(&i4);
	ark_buf_free(&ours);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_float8_bulk),
		cmocka_unit_test(test_float8_integers),
		cmocka_unit_test(test_float4_bulk),
		cmocka_unit_test(test_numeric_bulk),
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_utf8_verdicts),
		cmocka_unit_test(test_text_random),
		cmocka_unit_test(test_varchar_char),
		cmocka_unit_test(test_numeric_text),
		cmocka_unit_test(test_bytea_bulk),
		cmocka_unit_test(test_datetime_bulk),
		cmocka_unit_test(test_unixepoch),
		cmocka_unit_test(test_json_corpus),
		cmocka_unit_test(test_json_random),
		cmocka_unit_test(test_uuid_bool_integers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
