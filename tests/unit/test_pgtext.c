/*
 * test_pgtext.c - ark_pgtext_append case by case: the exact text for each
 * accepted value, the exact reason (and byte) for each refused one, the
 * COPY escaping, the shapes.  tests/unit/test_pgtext_server.c checks the
 * same texts in bulk against a real PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <sqlite3.h>

#include "unit_helpers.h"

#include "ark/buf.h"
#include "ark/pgtext.h"

#define NONE (-1)

static struct ark_pgtype_spec spec(enum ark_pgtype type)
{
	struct ark_pgtype_spec s = {type, NONE, NONE, NONE};

	return s;
}

static struct ark_pgtype_spec spec_length(enum ark_pgtype type, int32_t n)
{
	struct ark_pgtype_spec s = {type, n, NONE, NONE};

	return s;
}

static struct ark_pgtype_spec spec_numeric(int32_t p, int32_t s)
{
	struct ark_pgtype_spec t = {ARK_PGTYPE_NUMERIC, NONE, p, s};

	return t;
}

static struct ark_sqlvalue v_null(void)
{
	struct ark_sqlvalue v = {SQLITE_NULL, 0, 0, NULL, 0};

	return v;
}

static struct ark_sqlvalue v_int(int64_t i)
{
	struct ark_sqlvalue v = {SQLITE_INTEGER, i, 0, NULL, 0};

	return v;
}

static struct ark_sqlvalue v_real(double x)
{
	struct ark_sqlvalue v = {SQLITE_FLOAT, 0, x, NULL, 0};

	return v;
}

static struct ark_sqlvalue v_textn(const char *s, size_t n)
{
	struct ark_sqlvalue v = {SQLITE_TEXT, 0, 0, (const unsigned char *)s,
				 n};

	return v;
}

static struct ark_sqlvalue v_text(const char *s)
{
	return v_textn(s, strlen(s));
}

static struct ark_sqlvalue v_blob(const void *b, size_t n)
{
	struct ark_sqlvalue v = {SQLITE_BLOB, 0, 0, b, n};

	return v;
}

static const struct ark_pgtext_rules no_rules = {ARK_DATE_NUMBERS_REFUSE, 0};

/* value as type gives exactly expected. */
static void ok_rules(struct ark_sqlvalue v, struct ark_pgtype_spec t,
		     const struct ark_pgtext_rules *rules, const char *expected)
{
	struct ark_buf out = ARK_BUF_INIT;
	const char *reason = "unset";
	int64_t offset = 99;

	ark_buf_append_str(&out, "<");
	if (ark_pgtext_append_at(&out, &v, &t, rules, &reason, &offset) != 0)
		fail_msg("refused (%s) where \"%s\" was expected", reason,
			 expected);
	assert_null(reason);
	assert_int_equal(offset, -1);
	assert_false(ark_buf_failed(&out));
	assert_string_equal(out.data + 1, expected);
	ark_buf_free(&out);
}

static void ok(struct ark_sqlvalue v, struct ark_pgtype_spec t,
	       const char *expected)
{
	ok_rules(v, t, &no_rules, expected);
}

/* value as type is refused with exactly reason (and offset); out keeps
 * what it held. */
static void no_at_rules(struct ark_sqlvalue v, struct ark_pgtype_spec t,
			const struct ark_pgtext_rules *rules,
			const char *expected, int64_t expected_offset)
{
	struct ark_buf out = ARK_BUF_INIT;
	const char *reason = NULL;
	int64_t offset = 99;

	ark_buf_append_str(&out, "kept");
	if (ark_pgtext_append_at(&out, &v, &t, rules, &reason, &offset) == 0)
		fail_msg("accepted as \"%s\" where \"%s\" was expected",
			 out.data + 4, expected);
	assert_non_null(reason);
	assert_string_equal(reason, expected);
	assert_int_equal(offset, expected_offset);
	assert_int_equal(out.len, 4);
	assert_string_equal(out.data, "kept");
	ark_buf_free(&out);
}

static void no(struct ark_sqlvalue v, struct ark_pgtype_spec t,
	       const char *expected)
{
	no_at_rules(v, t, &no_rules, expected, -1);
}

static void no_at(struct ark_sqlvalue v, struct ark_pgtype_spec t,
		  const char *expected, int64_t offset)
{
	no_at_rules(v, t, &no_rules, expected, offset);
}

#define R_BLOB "a blob in a column that is not bytea"

static void test_null_every_type(void **state)
{
	int type;

	(void)state;
	for (type = ARK_PGTYPE_BOOL; type <= ARK_PGTYPE_UUID; type++)
		ok(v_null(), spec((enum ark_pgtype)type), "\\N");
	/* rules may be NULL */
	{
		struct ark_buf out = ARK_BUF_INIT;
		struct ark_sqlvalue v = v_int(5);
		struct ark_pgtype_spec t = spec(ARK_PGTYPE_INT8);
		const char *reason;

		assert_int_equal(ark_pgtext_append(&out, &v, &t, NULL, &reason),
				 0);
		assert_string_equal(out.data, "5");
		ark_buf_free(&out);
	}
}

static void test_bool(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_BOOL);
	unsigned char blob[1] = {1};

	(void)state;
	ok(v_int(0), t, "f");
	ok(v_int(1), t, "t");
	ok(v_text("TRUE"), t, "t");
	ok(v_text("true"), t, "t");
	ok(v_text("T"), t, "t");
	ok(v_text("False"), t, "f");
	ok(v_text("f"), t, "f");
	no(v_int(2), t, "an integer other than 0 or 1 in a boolean column");
	no(v_int(-1), t, "an integer other than 0 or 1 in a boolean column");
	no(v_real(1.0), t, "a real in a boolean column");
	no(v_text("yes"), t,
	   "text other than true/false/t/f in a boolean column");
	no(v_text("1"), t, "text other than true/false/t/f in a boolean column");
	no(v_text(" true"), t,
	   "text other than true/false/t/f in a boolean column");
	no(v_blob(blob, 1), t, R_BLOB);
}

static void test_integers(void **state)
{
	struct ark_pgtype_spec i2 = spec(ARK_PGTYPE_INT2);
	struct ark_pgtype_spec i4 = spec(ARK_PGTYPE_INT4);
	struct ark_pgtype_spec i8 = spec(ARK_PGTYPE_INT8);

	(void)state;
	ok(v_int(INT64_MAX), i8, "9223372036854775807");
	ok(v_int(INT64_MIN), i8, "-9223372036854775808");
	ok(v_int(0), i8, "0");
	ok(v_int(32767), i2, "32767");
	ok(v_int(-32768), i2, "-32768");
	no(v_int(32768), i2, "out of range for smallint");
	no(v_int(-32769), i2, "out of range for smallint");
	ok(v_int(2147483647), i4, "2147483647");
	no(v_int(2147483648), i4, "out of range for integer");
	no(v_int(INT64_MIN), i4, "out of range for integer");
	/* reals: only whole numbers in range */
	ok(v_real(3.0), i8, "3");
	ok(v_real(-9223372036854775808.0), i8, "-9223372036854775808");
	no(v_real(9223372036854775808.0), i8, "out of range for bigint");
	no(v_real(3.5), i8, "a real with a fraction in an integer column");
	no(v_real(-0.0), i8, "negative zero (-0.0) would lose its sign");
	ok(v_real(0.0), i8, "0");
	no(v_real(INFINITY), i8, "an infinite real");
	no(v_real(40000.0), i2, "out of range for smallint");
	/* text: only an integer as PostgreSQL prints it */
	ok(v_text("-42"), i8, "-42");
	ok(v_text("9223372036854775807"), i8, "9223372036854775807");
	ok(v_text("-9223372036854775808"), i8, "-9223372036854775808");
	no(v_text("9223372036854775808"), i8, "out of range for bigint");
	no(v_text("99999"), i2, "out of range for smallint");
	no(v_text("007"), i8,
	   "text that is not an integer as PostgreSQL prints it");
	no(v_text("+7"), i8,
	   "text that is not an integer as PostgreSQL prints it");
	no(v_text("-0"), i8,
	   "text that is not an integer as PostgreSQL prints it");
	no(v_text(" 7"), i8,
	   "text that is not an integer as PostgreSQL prints it");
	no(v_text("7.0"), i8,
	   "text that is not an integer as PostgreSQL prints it");
	no(v_text(""), i8,
	   "text that is not an integer as PostgreSQL prints it");
	no(v_blob("x", 1), i8, R_BLOB);
}

static void test_float8(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_FLOAT8);

	(void)state;
	ok(v_real(1.5), t, "1.5");
	ok(v_real(0.1), t, "0.1");
	ok(v_real(1.0 / 3), t, "0.3333333333333333");
	ok(v_real(0.1 + 0.2), t, "0.30000000000000004");
	ok(v_real(1e100), t, "1e+100");
	ok(v_real(1e15), t, "1e+15");
	ok(v_real(123456789012345.0), t, "123456789012345");
	ok(v_real(1e14), t, "100000000000000");
	ok(v_real(0.0001), t, "0.0001");
	ok(v_real(0.00001), t, "1e-05");
	ok(v_real(-2.5e-300), t, "-2.5e-300");
	ok(v_real(5e-324), t, "5e-324");
	ok(v_real(DBL_MAX), t, "1.7976931348623157e+308");
	ok(v_real(0.0), t, "0");
	ok(v_real(-0.0), t, "-0");
	ok(v_real(INFINITY), t, "Infinity");
	ok(v_real(-INFINITY), t, "-Infinity");
	/* the bound excluded: 31722300588172752 (ulp 4) is not printed as
	 * ...750, which is exactly halfway to the next double down */
	ok(v_real(31722300588172752.0), t, "3.1722300588172752e+16");
	/* integers: exact ones only */
	ok(v_int(9007199254740992), t, "9.007199254740992e+15");
	ok(v_int(900719925474099), t, "900719925474099");
	ok(v_int(-42), t, "-42");
	ok(v_int(INT64_MIN), t, "-9.223372036854776e+18");
	no(v_int(9007199254740993), t,
	   "an integer that double precision cannot hold exactly");
	no(v_int(INT64_MAX), t,
	   "an integer that double precision cannot hold exactly");
	/* text: only a float as PostgreSQL prints it */
	ok(v_text("1.5"), t, "1.5");
	ok(v_text("-Infinity"), t, "-Infinity");
	ok(v_text("NaN"), t, "NaN");
	ok(v_text("1e+100"), t, "1e+100");
	no(v_text("1.50"), t, "text that is not a float as PostgreSQL prints it");
	no(v_text("1e100"), t, "text that is not a float as PostgreSQL prints it");
	no(v_text("0.1x"), t, "text that is not a float as PostgreSQL prints it");
	no(v_text("inf"), t, "text that is not a float as PostgreSQL prints it");
	no(v_text(""), t, "text that is not a float as PostgreSQL prints it");
	no(v_blob("x", 1), t, R_BLOB);
}

static void test_float4(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_FLOAT4);

	(void)state;
	ok(v_real(1.5), t, "1.5");
	ok(v_real((double)0.1f), t, "0.1");
	ok(v_real(1e6), t, "1e+06");
	ok(v_real(100000.0), t, "100000");
	ok(v_real(0.00001f), t, "1e-05");
	ok(v_real(-0.0), t, "-0");
	ok(v_real(INFINITY), t, "Infinity");
	ok(v_int(16777216), t, "1.6777216e+07");
	no(v_real(0.1), t, "a number that real (float4) cannot hold exactly");
	no(v_int(16777217), t,
	   "a number that real (float4) cannot hold exactly");
}

static void test_numeric(void **state)
{
	struct ark_pgtype_spec n10_2 = spec_numeric(10, 2);
	struct ark_pgtype_spec n4_4 = spec_numeric(4, 4);
	struct ark_pgtype_spec n5 = spec_numeric(5, NONE);
	struct ark_pgtype_spec n5_m2 = spec_numeric(5, -2);
	struct ark_pgtype_spec n = spec_numeric(NONE, NONE);
	char big[120];

	(void)state;
	ok(v_int(5), n10_2, "5.00");
	ok(v_int(-12345678), n10_2, "-12345678.00");
	no(v_int(123456789), n10_2, "more digits than the column's precision");
	ok(v_real(1.5), n10_2, "1.50");
	ok(v_real(-0.01), n10_2, "-0.01");
	ok(v_real(0.0), n10_2, "0.00");
	no(v_real(0.125), n10_2, "more fraction digits than the column's scale");
	no(v_real(0.1 + 0.2), n10_2,
	   "more fraction digits than the column's scale");
	no(v_real(-0.0), n10_2, "negative zero (-0.0) would lose its sign");
	no(v_real(INFINITY), n10_2, "an infinite real");
	no(v_real(1e10), n10_2, "more digits than the column's precision");
	ok(v_real(0.5), n4_4, "0.5000");
	ok(v_real(0.0001), n4_4, "0.0001");
	no(v_int(1), n4_4, "more digits than the column's precision");
	ok(v_int(99999), n5, "99999");
	no(v_int(100000), n5, "more digits than the column's precision");
	no(v_real(1.5), n5, "more fraction digits than the column's scale");
	ok(v_int(1200), n5_m2, "1200");
	no(v_int(1230), n5_m2, "more fraction digits than the column's scale");
	/* unconstrained: the shortest decimal, no exponent */
	ok(v_real(0.1), n, "0.1");
	ok(v_real(1.5e-7), n, "0.00000015");
	ok(v_real(-2.5), n, "-2.5");
	ok(v_int(INT64_MIN), n, "-9223372036854775808");
	memcpy(big, "1", 1);
	memset(big + 1, '0', 100);
	big[101] = '\0';
	ok(v_real(1e100), n, big);
	/* text: a decimal as numeric prints it */
	ok(v_text("1.5"), n10_2, "1.50");
	ok(v_text("1.500"), n10_2, "1.50");
	ok(v_text("-0.5"), n10_2, "-0.50");
	ok(v_text("12345678"), n10_2, "12345678.00");
	no(v_text("123456789"), n10_2, "more digits than the column's precision");
	no(v_text("1.505"), n10_2, "more fraction digits than the column's scale");
	ok(v_text("1.50"), n, "1.50");
	ok(v_text("0"), n, "0");
	no(v_text("-0.00"), n, "negative zero (-0.0) would lose its sign");
	no(v_text("01.5"), n,
	   "text that is not a decimal number as PostgreSQL prints it");
	no(v_text("+1"), n,
	   "text that is not a decimal number as PostgreSQL prints it");
	no(v_text(".5"), n,
	   "text that is not a decimal number as PostgreSQL prints it");
	no(v_text("5."), n,
	   "text that is not a decimal number as PostgreSQL prints it");
	no(v_text("1e5"), n,
	   "text that is not a decimal number as PostgreSQL prints it");
	no(v_text("NaN"), n,
	   "text that is not a decimal number as PostgreSQL prints it");
	no(v_blob("x", 1), n, R_BLOB);
}

static void test_text(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_TEXT);
	struct ark_pgtype_spec v3 = spec_length(ARK_PGTYPE_VARCHAR, 3);
	struct ark_pgtype_spec c3 = spec_length(ARK_PGTYPE_BPCHAR, 3);

	(void)state;
	ok(v_text(""), t, "");
	ok(v_text("a\tb\\c\nd\re\bf\fg\vh"),
	   t, "a\\tb\\\\c\\nd\\re\\bf\\fg\\vh");
	ok(v_text("\\N"), t, "\\\\N");
	ok(v_text("\\."), t, "\\\\.");
	ok(v_text("\x01\x1f\x7f é€😀"), t, "\x01\x1f\x7f é€😀");
	no_at(v_text("ab\xff"), t, "invalid UTF-8", 2);
	no_at(v_textn("a\0b", 3), t, "NUL byte", 1);
	no_at(v_text("\xc0\x80"), t, "invalid UTF-8", 0);      /* overlong */
	no_at(v_text("x\xed\xa0\x80"), t, "invalid UTF-8", 1); /* surrogate */
	no_at(v_text("\xf4\x90\x80\x80"), t, "invalid UTF-8", 0); /* >10FFFF */
	no_at(v_text("ok\xe2\x82"), t, "invalid UTF-8", 2); /* cut short */
	/* numbers as SQLite renders them */
	ok(v_int(-42), t, "-42");
	ok(v_real(1.0), t, "1.0");
	ok(v_real(0.1), t, "0.1");
	ok(v_real(1e100), t, "1.0e+100");
	ok(v_real(0.1 + 0.2), t, "0.30000000000000004");
	ok(v_real(-0.0), t, "-0");
	ok(v_real(INFINITY), t, "Inf");
	no(v_blob("x", 1), t, R_BLOB);
	/* varchar(n) counts characters */
	ok(v_text("abc"), v3, "abc");
	ok(v_text("日本語"), v3, "日本語");
	no(v_text("abcd"), v3, "longer than the column's length");
	no(v_text("ab  "), v3, "longer than the column's length");
	no(v_int(1234), v3, "longer than the column's length");
	ok(v_int(123), v3, "123");
	/* char(n): exactly n */
	ok(v_text("abc"), c3, "abc");
	no(v_text("ab"), c3,
	   "shorter than the column's char(n) length (PostgreSQL would pad it with spaces)");
	no(v_text("abcd"), c3, "longer than the column's length");
}

static void test_bytea(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_BYTEA);
	static const unsigned char bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xff};

	(void)state;
	ok(v_blob(bytes, sizeof(bytes)), t, "\\\\x00017f80ff");
	ok(v_blob("", 0), t, "\\\\x");
	ok(v_text("hi\xff"), t, "\\\\x6869ff");
	ok(v_textn("a\0", 2), t, "\\\\x6100");
	ok(v_int(7), t, "\\\\x37");
	ok(v_real(1.0), t, "\\\\x312e30");
}

static void test_date(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_DATE);
	struct ark_pgtext_rules epoch = {ARK_DATE_NUMBERS_UNIXEPOCH, 0};
	struct ark_pgtext_rules jd = {ARK_DATE_NUMBERS_JULIANDAY, 0};

	(void)state;
	ok(v_text("2024-02-29"), t, "2024-02-29");
	ok(v_text("0001-01-01"), t, "0001-01-01");
	ok(v_text("9999-12-31"), t, "9999-12-31");
	ok(v_text("2024-01-01 00:00:00"), t, "2024-01-01");
	ok(v_text("2024-01-01T00:00"), t, "2024-01-01");
	ok(v_text("2024-01-01 "), t, "2024-01-01");
	no(v_text("2023-02-29"), t, "not a calendar date");
	no(v_text("2024-04-31"), t, "not a calendar date");
	no(v_text("2024-13-01"), t, "not a calendar date");
	no(v_text("2024-00-10"), t, "not a calendar date");
	no(v_text("0000-01-01"), t, "year outside 0001-9999");
	no(v_text("2024-01-01 10:00"), t, "a time of day in a date column");
	no(v_text("10:00"), t, "a time of day without a date");
	no(v_text("10:00:00.5"), t, "a time of day without a date");
	no(v_text("now"), t, "not a date or date-time SQLite reads");
	no(v_text("2024-1-01"), t, "not a date or date-time SQLite reads");
	no(v_text("2024/01/01"), t, "not a date or date-time SQLite reads");
	no(v_text("-2024-01-01"), t, "not a date or date-time SQLite reads");
	no(v_text("2024-01-01Z"), t, "not a date or date-time SQLite reads");
	no(v_text("2024-01-01 00:00Z"), t,
	   "a time zone in a column without time zone");
	no(v_text(""), t, "not a date or date-time SQLite reads");
	no(v_int(19000), t, "a number in a date/time column");
	no(v_real(2460000.5), t, "a number in a date/time column");
	ok_rules(v_int(86400), t, &epoch, "1970-01-02");
	ok_rules(v_int(-86400), t, &epoch, "1969-12-31");
	no_at_rules(v_int(86401), t, &epoch, "a time of day in a date column",
		    -1);
	ok_rules(v_real(2460000.5), t, &jd, "2023-02-25");
	no_at_rules(v_real(2460000.0), t, &jd,
		    "a time of day in a date column", -1);
	no(v_blob("x", 1), t, R_BLOB);
}

static void test_timestamp(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_TIMESTAMP);
	struct ark_pgtext_rules epoch = {ARK_DATE_NUMBERS_UNIXEPOCH, 0};
	struct ark_pgtext_rules ms = {ARK_DATE_NUMBERS_UNIXEPOCH_MS, 0};

	(void)state;
	ok(v_text("2024-01-02"), t, "2024-01-02 00:00:00");
	ok(v_text("2024-01-02 03:04"), t, "2024-01-02 03:04:00");
	ok(v_text("2024-01-02T03:04:05"), t, "2024-01-02 03:04:05");
	ok(v_text("2024-01-02 03:04:05.1"), t, "2024-01-02 03:04:05.1");
	ok(v_text("2024-01-02 03:04:05.120"), t, "2024-01-02 03:04:05.12");
	ok(v_text("2024-01-02 03:04:05.123456"), t,
	   "2024-01-02 03:04:05.123456");
	ok(v_text("2024-01-02 03:04:05.123456000"), t,
	   "2024-01-02 03:04:05.123456");
	ok(v_text("2024-01-02 03:04:05.000"), t, "2024-01-02 03:04:05");
	ok(v_text("2024-01-02 03:04:05  "), t, "2024-01-02 03:04:05");
	no(v_text("2024-01-02 03:04:05.1234567"), t,
	   "more than 6 fraction digits of a second");
	no(v_text("2024-01-02 24:00:00"), t, "time of day out of range");
	no(v_text("2024-01-02 23:60"), t, "time of day out of range");
	no(v_text("2024-01-02 23:59:60"), t, "time of day out of range");
	no(v_text("2024-01-02 3:04"), t, "not a date or date-time SQLite reads");
	no(v_text("2024-01-02  03:04"), t,
	   "not a date or date-time SQLite reads");
	no(v_text("2024-01-02 03:04:05."), t,
	   "not a date or date-time SQLite reads");
	no(v_text("2024-01-02t03:04"), t, "not a date or date-time SQLite reads");
	no(v_text("2024-01-02 03:04:05Z"), t,
	   "a time zone in a column without time zone");
	no(v_text("2024-01-02 03:04:05+01:00"), t,
	   "a time zone in a column without time zone");
	no(v_int(0), t, "a number in a date/time column");
	ok_rules(v_int(0), t, &epoch, "1970-01-01 00:00:00");
	ok_rules(v_int(1700000000), t, &epoch, "2023-11-14 22:13:20");
	ok_rules(v_real(1700000000.25), t, &epoch, "2023-11-14 22:13:20.25");
	ok_rules(v_int(-62135596800), t, &epoch, "0001-01-01 00:00:00");
	no_at_rules(v_int(-62135596801), t, &epoch, "year outside 0001-9999",
		    -1);
	no_at_rules(v_int(253402300800), t, &epoch, "year outside 0001-9999",
		    -1);
	no_at_rules(v_real(0.1234567), t, &epoch,
		    "more than 6 fraction digits of a second", -1);
	no_at_rules(v_real(INFINITY), t, &epoch, "an infinite real", -1);
	ok_rules(v_int(1700000000123), t, &ms, "2023-11-14 22:13:20.123");
	ok_rules(v_real(1700000000123.5), t, &ms,
		 "2023-11-14 22:13:20.1235");
}

static void test_timestamptz(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_TIMESTAMPTZ);
	struct ark_pgtext_rules utc = {ARK_DATE_NUMBERS_REFUSE, 1};
	struct ark_pgtext_rules epoch = {ARK_DATE_NUMBERS_UNIXEPOCH, 0};

	(void)state;
	ok(v_text("2024-01-02 03:04:05Z"), t, "2024-01-02 03:04:05+00");
	ok(v_text("2024-01-02T03:04:05.5z"), t, "2024-01-02 03:04:05.5+00");
	ok(v_text("2024-01-02 03:04:05+02:00"), t, "2024-01-02 01:04:05+00");
	ok(v_text("2024-01-02 03:04:05 -05:30"), t, "2024-01-02 08:34:05+00");
	ok(v_text("2024-01-01 00:30+01:00"), t, "2023-12-31 23:30:00+00");
	ok(v_text("2024-02-28 23:30-01:00"), t, "2024-02-29 00:30:00+00");
	ok(v_text("9999-12-31 23:00-00:59"), t, "9999-12-31 23:59:00+00");
	no(v_text("9999-12-31 23:30-01:00"), t, "year outside 0001-9999");
	no(v_text("0001-01-01 00:30+01:00"), t, "year outside 0001-9999");
	no(v_text("2024-01-02 03:04:05+15:00"), t,
	   "time zone offset out of range");
	no(v_text("2024-01-02 03:04:05+01:60"), t,
	   "time zone offset out of range");
	no(v_text("2024-01-02 03:04:05+0100"), t,
	   "not a date or date-time SQLite reads");
	no(v_text("2024-01-02 03:04:05"), t,
	   "no time zone in a timestamptz column");
	no(v_text("2024-01-02"), t, "no time zone in a timestamptz column");
	ok_rules(v_text("2024-01-02 03:04:05"), t, &utc,
		 "2024-01-02 03:04:05+00");
	ok_rules(v_text("2024-01-02"), t, &utc, "2024-01-02 00:00:00+00");
	ok_rules(v_int(1700000000), t, &epoch, "2023-11-14 22:13:20+00");
}

/* Julian day numbers as SQLite itself reads them (to the millisecond). */
static void test_julianday_as_sqlite(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_TIMESTAMP);
	struct ark_pgtext_rules jd = {ARK_DATE_NUMBERS_JULIANDAY, 0};
	struct ark_buf out = ARK_BUF_INIT;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	uint64_t seed = 12345;
	int i;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT strftime('%Y-%m-%d %H:%M:%f', ?)",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	for (i = 0; i < 2000; i++) {
		double r;
		struct ark_sqlvalue v;
		const char *reason, *text;
		char expected[40];
		size_t n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		r = 1721425.5 + (double)(seed >> 11) / 9007199254740992.0 *
					(5373484.0 - 1721426.0);
		if (i % 3 == 0)
			r = floor(r) + 0.5;
		v = v_real(r);
		sqlite3_bind_double(stmt, 1, r);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		text = (const char *)sqlite3_column_text(stmt, 0);
		snprintf(expected, sizeof(expected), "%s", text);
		sqlite3_reset(stmt);
		/* SQLite prints .SSS; PostgreSQL trims the zeros */
		n = strlen(expected);
		while (expected[n - 1] == '0')
			expected[--n] = '\0';
		if (expected[n - 1] == '.')
			expected[--n] = '\0';
		ark_buf_reset(&out);
		assert_int_equal(ark_pgtext_append(&out, &v, &(struct ark_pgtype_spec){t.type, -1, -1, -1}, &jd, &reason), 0);
		assert_string_equal(out.data, expected);
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	ark_buf_free(&out);
	no_at_rules(v_real(-1), t, &jd, "year outside 0001-9999", -1);
	no_at_rules(v_real(1721424.5), t, &jd, "year outside 0001-9999", -1);
}

/* Date-times ark accepts are the instants SQLite's own strftime() reads
 * from the same text; texts SQLite cannot read are refused. */
static void test_datetimes_as_sqlite(void **state)
{
	static const char *const seps[] = {" ", "T", "t", "  ", ""};
	static const char *const zones[] = {"", "Z", "z", "+01:00", "-05:30",
					    " +14:00", "+15:00", "+0100", " "};
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_TIMESTAMPTZ);
	struct ark_pgtext_rules utc = {ARK_DATE_NUMBERS_REFUSE, 1};
	struct ark_buf out = ARK_BUF_INIT;
	sqlite3 *db;
	sqlite3_stmt *stmt;
	uint64_t seed = 7;
	int i, accepted = 0;

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT strftime('%Y-%m-%d %H:%M:%f', ?)",
					    -1, &stmt, NULL),
			 SQLITE_OK);
	for (i = 0; i < 20000; i++) {
		char text[80];
		const char *reason, *sqlite_text;
		struct ark_sqlvalue v;
		int n, form;

		unsigned r[10];
		int k;

		for (k = 0; k < 10; k++) {
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			r[k] = (unsigned)(seed >> 33);
		}
		form = (int)(r[0] % 5);
		n = snprintf(text, sizeof(text), "%04u-%02u-%02u", r[1] % 10000,
			     r[2] % 14, r[3] % 33);
		if (form >= 1)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      "%s%02u:%02u", seps[r[4] % 5], r[5] % 26,
				      r[6] % 62);
		if (form >= 2)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      ":%02u", r[7] % 62);
		if (form >= 3)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      ".%0*u", (int)(1 + r[8] % 3), r[8] % 1000);
		if (form >= 1)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "%s",
				      zones[r[9] % 9]);
		v = v_textn(text, (size_t)n);
		sqlite3_bind_text(stmt, 1, text, n, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		sqlite_text = (const char *)sqlite3_column_text(stmt, 0);
		ark_buf_reset(&out);
		if (ark_pgtext_append(&out, &v, &t, &utc, &reason) == 0) {
			char expected[40];
			size_t len;

			if (sqlite_text == NULL)
				fail_msg("'%s': ark reads %s, SQLite nothing",
					 text, out.data);
			snprintf(expected, sizeof(expected), "%s", sqlite_text);
			len = strlen(expected);
			while (expected[len - 1] == '0')
				expected[--len] = '\0';
			if (expected[len - 1] == '.')
				expected[--len] = '\0';
			strcat(expected, "+00");
			if (strcmp(out.data, expected) != 0)
				fail_msg("'%s': ark %s, SQLite %s", text,
					 out.data, expected);
			accepted++;
		}
		sqlite3_reset(stmt);
	}
	assert_true(accepted > 1000);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	ark_buf_free(&out);
}

static void test_jsonb(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_JSONB);
	struct ark_buf deep = ARK_BUF_INIT;
	int i;

	(void)state;
	ok(v_text("{\"b\":1,\"a\":[1,2,{}],\"aa\":null}"), t,
	   "{\"a\": [1, 2, {}], \"b\": 1, \"aa\": null}");
	ok(v_text(" [ ] "), t, "[]");
	ok(v_text("\"\\u00e9\\n\\/\\u001F\""), t, "\"é\\\\n/\\\\u001f\"");
	ok(v_text("[1e2, 1.50, -0, -0.0, 1.5e-3, 2E+1, 0.1e1]"), t,
	   "[100, 1.50, 0, 0.0, 0.0015, 20, 1]");
	ok(v_text("\"\\ud83d\\ude00\""), t, "\"😀\"");
	ok(v_text("{\"k\":\"tab\\there\"}"), t, "{\"k\": \"tab\\\\there\"}");
	ok(v_text("true"), t, "true");
	ok(v_int(5), t, "5");
	ok(v_real(1.5), t, "1.5");
	ok(v_real(1e20), t, "100000000000000000000");
	no(v_real(-0.0), t, "negative zero (-0.0) would lose its sign");
	no(v_real(INFINITY), t, "an infinite real");
	no_at(v_text("{\"a\":1,\"b\":2,\"a\":3}"), t,
	      "a duplicate key in a JSON object (jsonb would keep only the last)",
	      0);
	no_at(v_text("[0, {\"x\":{\"y\":1,\"y\":1}}]"), t,
	      "a duplicate key in a JSON object (jsonb would keep only the last)",
	      9);
	no_at(v_text("{\"\\u0061\":1,\"a\":2}"), t,
	      "a duplicate key in a JSON object (jsonb would keep only the last)",
	      0);
	no_at(v_text("[1,"), t, "invalid JSON", 3);
	no_at(v_text("[1,]"), t, "invalid JSON", 3);
	no_at(v_text("{\"a\" 1}"), t, "invalid JSON", 5);
	no_at(v_text("01"), t, "invalid JSON", 1);
	no_at(v_text("\"\\u0000\""), t, "\\u0000 in JSON (jsonb cannot hold it)",
	      1);
	no_at(v_text("\"x\\ud800\""), t,
	      "an unpaired UTF-16 surrogate escape in JSON", 2);
	no_at(v_text("1e-16384"), t, "a JSON number out of numeric's range",
	      0);
	no_at(v_text("[\xff]"), t, "invalid UTF-8", 1);
	no(v_blob("{}", 2), t, R_BLOB);
	/* nesting: 1000 levels are fine, 1001 are not */
	for (i = 0; i < 1000; i++)
		ark_buf_append_char(&deep, '[');
	for (i = 0; i < 1000; i++)
		ark_buf_append_char(&deep, ']');
	ok(v_textn(deep.data, deep.len), t, deep.data);
	ark_buf_reset(&deep);
	for (i = 0; i < 1001; i++)
		ark_buf_append_str(&deep, "{\"a\":");
	no_at(v_textn(deep.data, deep.len), t,
	      "JSON nested deeper than 1000 levels", 5000);
	ark_buf_free(&deep);
}

static void test_json(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_JSON);

	(void)state;
	ok(v_text("{\"b\":1,\n\"a\":2, \"b\":3}"), t,
	   "{\"b\":1,\\n\"a\":2, \"b\":3}");
	ok(v_text("\"\\u0000\""), t, "\"\\\\u0000\"");
	ok(v_text("\"\\ud800\""), t, "\"\\\\ud800\"");
	ok(v_real(1e100), t, "1.0e+100");
	ok(v_int(-3), t, "-3");
	no_at(v_text("{\"a\":}"), t, "invalid JSON", 5);
	no_at(v_text(""), t, "invalid JSON", 0);
}

static void test_uuid(void **state)
{
	struct ark_pgtype_spec t = spec(ARK_PGTYPE_UUID);
	static const unsigned char bytes[16] = {
		0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4,
		0xa7, 0x16, 0x44, 0x66, 0x55, 0x44, 0x00, 0x00};

	(void)state;
	ok(v_text("550E8400-E29B-41D4-A716-446655440000"), t,
	   "550e8400-e29b-41d4-a716-446655440000");
	ok(v_text("550e8400e29b41d4a716446655440000"), t,
	   "550e8400-e29b-41d4-a716-446655440000");
	ok(v_blob(bytes, 16), t, "550e8400-e29b-41d4-a716-446655440000");
	no(v_blob(bytes, 15), t, "a blob that is not 16 bytes in a uuid column");
	no(v_text("{550e8400-e29b-41d4-a716-446655440000}"), t, "not a UUID");
	no(v_text("550e8400-e29b-41d4-a716-44665544000g"), t, "not a UUID");
	no(v_text("550e8400e-29b-41d4-a716-446655440000"), t, "not a UUID");
	no(v_int(1), t, "not a UUID");
}

static void test_reason_text(void **state)
{
	struct ark_buf out = ARK_BUF_INIT;

	(void)state;
	ark_pgtext_append_reason(&out, "invalid UTF-8", 7);
	assert_string_equal(out.data, "invalid UTF-8 at byte 7");
	ark_buf_reset(&out);
	ark_pgtext_append_reason(&out, "out of range for bigint", -1);
	assert_string_equal(out.data, "out of range for bigint");
	ark_buf_free(&out);
}

static void test_escaping_every_byte(void **state)
{
	struct ark_buf out = ARK_BUF_INIT;
	unsigned char all[256];
	int i;
	size_t k = 0;

	(void)state;
	for (i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	ark_pgtext_append_escaped(&out, all, sizeof(all));
	for (i = 0; i < 256; i++) {
		const char *expected = NULL;

		switch (i) {
		case '\\': expected = "\\\\"; break;
		case '\b': expected = "\\b"; break;
		case '\f': expected = "\\f"; break;
		case '\n': expected = "\\n"; break;
		case '\r': expected = "\\r"; break;
		case '\t': expected = "\\t"; break;
		case '\v': expected = "\\v"; break;
		}
		if (expected != NULL) {
			assert_memory_equal(out.data + k, expected, 2);
			k += 2;
		} else {
			assert_int_equal((unsigned char)out.data[k], i);
			k++;
		}
	}
	assert_int_equal(k, out.len);
	ark_buf_free(&out);
}

static void test_shapes(void **state)
{
#define SHAPE(text) ark_pgtext_shape((const unsigned char *)(text), strlen(text))
	(void)state;
	assert_int_equal(SHAPE(""), ARK_SHAPE_UTF8);
	assert_int_equal(SHAPE("abc"), ARK_SHAPE_UTF8);
	assert_int_equal(SHAPE("42"), ARK_SHAPE_UTF8 | ARK_SHAPE_INTEGER |
					      ARK_SHAPE_NUMBER | ARK_SHAPE_JSON);
	assert_int_equal(SHAPE("-1.5e3"),
			 ARK_SHAPE_UTF8 | ARK_SHAPE_NUMBER | ARK_SHAPE_JSON);
	assert_int_equal(SHAPE("+.5"), ARK_SHAPE_UTF8 | ARK_SHAPE_NUMBER);
	assert_int_equal(SHAPE("007"), ARK_SHAPE_UTF8 | ARK_SHAPE_NUMBER);
	assert_int_equal(SHAPE("99999999999999999999"),
			 ARK_SHAPE_UTF8 | ARK_SHAPE_NUMBER | ARK_SHAPE_JSON);
	assert_int_equal(SHAPE("true"),
			 ARK_SHAPE_UTF8 | ARK_SHAPE_BOOL | ARK_SHAPE_JSON);
	assert_int_equal(SHAPE("F"), ARK_SHAPE_UTF8 | ARK_SHAPE_BOOL);
	assert_int_equal(SHAPE("2024-02-29"), ARK_SHAPE_UTF8 | ARK_SHAPE_DATE |
						      ARK_SHAPE_TIMESTAMP);
	assert_int_equal(SHAPE("2023-02-29"), ARK_SHAPE_UTF8);
	assert_int_equal(SHAPE("2024-02-29 10:00:00"),
			 ARK_SHAPE_UTF8 | ARK_SHAPE_TIMESTAMP);
	assert_int_equal(SHAPE("2024-02-29T10:00Z"),
			 ARK_SHAPE_UTF8 | ARK_SHAPE_TIMESTAMPTZ);
	assert_int_equal(SHAPE("10:00"), ARK_SHAPE_UTF8);
	assert_int_equal(SHAPE("{\"a\":1}"), ARK_SHAPE_UTF8 | ARK_SHAPE_JSON);
	assert_int_equal(SHAPE("{\"a\":1,\"a\":2}"),
			 ARK_SHAPE_UTF8 | ARK_SHAPE_JSON |
				 ARK_SHAPE_JSON_DUPKEYS);
	assert_int_equal(SHAPE("550e8400-e29b-41d4-a716-446655440000"),
			 ARK_SHAPE_UTF8 | ARK_SHAPE_UUID);
	assert_int_equal(SHAPE("a\xff"), 0);
	assert_int_equal(ark_pgtext_shape((const unsigned char *)"1\0", 2), 0);
#undef SHAPE
}

/* Random short inputs of every storage class through every type: never
 * a crash (the ASan build runs this too), a refusal always has a reason
 * and leaves out as it was, an accepted text never holds a raw tab or
 * newline (it cannot forge a column or a row). */
static void test_random_inputs_every_type(void **state)
{
	static const char alphabet[] = "{}[]\":,.-+eE0123456789 tfnrul\\"
				       "TZz:\t\n\x01\xc3\xa9\xff\x80u00d8";
	struct ark_pgtext_rules rules[3] = {
		{ARK_DATE_NUMBERS_REFUSE, 0},
		{ARK_DATE_NUMBERS_UNIXEPOCH_MS, 1},
		{ARK_DATE_NUMBERS_JULIANDAY, 0}};
	struct ark_buf out = ARK_BUF_INIT;
	uint64_t seed = 42;
	int i, type;

	(void)state;
	for (i = 0; i < 30000; i++) {
		char bytes[40];
		size_t n, k;
		struct ark_sqlvalue v;
		double x;
		uint64_t bits;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		n = (size_t)(seed >> 59);
		for (k = 0; k < n; k++) {
			seed = seed * 6364136223846793005ull + 1;
			bytes[k] = alphabet[(seed >> 33) % (sizeof(alphabet) - 1)];
		}
		if (i % 5 == 0 && n >= 10)
			memcpy(bytes, "2024-02-29", 10);
		bits = seed ^ (seed << 21);
		memcpy(&x, &bits, sizeof(x));
		switch (i % 4) {
		case 0: v = v_textn(bytes, n); break;
		case 1: v = v_blob(bytes, n); break;
		case 2: v = v_int((int64_t)bits >> (seed % 64)); break;
		default: v = v_real(isnan(x) ? 1.0 : x); break;
		}
		for (type = ARK_PGTYPE_BOOL; type <= ARK_PGTYPE_UUID; type++) {
			struct ark_pgtype_spec t = {(enum ark_pgtype)type,
						    (int32_t)(i % 7) - 1,
						    (int32_t)(i % 11) - 1,
						    (int32_t)(i % 5) - 1};
			const char *reason = NULL;
			int64_t offset = -2;

			ark_buf_reset(&out);
			ark_buf_append_str(&out, "=");
			if (ark_pgtext_append_at(&out, &v, &t, &rules[i % 3],
						 &reason, &offset) != 0) {
				assert_non_null(reason);
				/* n: the end, where JSON was cut short */
				assert_true(offset >= -1 &&
					    offset <= (int64_t)n);
				assert_int_equal(out.len, 1);
				continue;
			}
			assert_null(memchr(out.data, '\n', out.len));
			assert_null(memchr(out.data, '\t', out.len));
		}
	}
	ark_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_every_type),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_float8),
		cmocka_unit_test(test_float4),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_bytea),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_timestamptz),
		cmocka_unit_test(test_julianday_as_sqlite),
		cmocka_unit_test(test_datetimes_as_sqlite),
		cmocka_unit_test(test_jsonb),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_reason_text),
		cmocka_unit_test(test_escaping_every_byte),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_random_inputs_every_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
