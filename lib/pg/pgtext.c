/*
 * pgtext.c - a SQLite value as PostgreSQL prints it (ark/pgtext.h,
 * docs/digest.md).
 *
 * Every conversion here either writes the exact text PostgreSQL's output
 * function prints for the value it would store, or refuses with a static
 * reason.  The rule that decides between the two: PostgreSQL's input
 * function must store exactly the source value; anything it would round,
 * truncate, pad or normalise in a way that changes the value is refused.
 * tests/unit/test_pgtext_server.c checks the texts against a real server.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ark/pgtext.h"
#include "pg/pgtext_internal.h"

/* The reasons (docs/digest.md lists them per type). */
#define R_BLOB_NOT_BYTEA "a blob in a column that is not bytea"
#define R_TEXT_NOT_INTEGER "text that is not an integer as PostgreSQL prints it"
#define R_RANGE_INT2 "out of range for smallint"
#define R_RANGE_INT4 "out of range for integer"
#define R_RANGE_INT8 "out of range for bigint"
#define R_REAL_FRACTION "a real with a fraction in an integer column"
#define R_NEGATIVE_ZERO "negative zero (-0.0) would lose its sign"
#define R_INFINITE "an infinite real"
#define R_NAN "NaN"
#define R_INT_NOT_EXACT_FLOAT8 "an integer that double precision cannot hold exactly"
#define R_NOT_EXACT_FLOAT4 "a number that real (float4) cannot hold exactly"
#define R_TEXT_NOT_FLOAT "text that is not a float as PostgreSQL prints it"
#define R_TEXT_NOT_DECIMAL "text that is not a decimal number as PostgreSQL prints it"
#define R_NUMERIC_SCALE "more fraction digits than the column's scale"
#define R_NUMERIC_PRECISION "more digits than the column's precision"
#define R_NUMERIC_RANGE "out of range for numeric"
#define R_INVALID_UTF8 "invalid UTF-8"
#define R_NUL "NUL byte"
#define R_TOO_LONG "longer than the column's length"
#define R_BPCHAR_SHORT "shorter than the column's char(n) length (PostgreSQL would pad it with spaces)"
#define R_BOOL_INTEGER "an integer other than 0 or 1 in a boolean column"
#define R_BOOL_REAL "a real in a boolean column"
#define R_BOOL_TEXT "text other than true/false/t/f in a boolean column"
#define R_NOT_DATETIME "not a date or date-time SQLite reads"
#define R_TIME_ONLY "a time of day without a date"
#define R_NOT_CALENDAR "not a calendar date"
#define R_YEAR_RANGE "year outside 0001-9999"
#define R_TIME_RANGE "time of day out of range"
#define R_FRACTION "more than 6 fraction digits of a second"
#define R_ZONE_RANGE "time zone offset out of range"
#define R_TIME_IN_DATE "a time of day in a date column"
#define R_ZONE_IN_NAIVE "a time zone in a column without time zone"
#define R_NO_ZONE "no time zone in a timestamptz column"
#define R_NUMBER_IN_DATE "a number in a date/time column"
#define R_NOT_UUID "not a UUID"
#define R_BLOB_NOT_UUID "a blob that is not 16 bytes in a uuid column"
#define R_UNKNOWN_TYPE "a type ark cannot convert into"

struct refusal {
	const char *reason;
	int64_t offset;
};

static int refuse(struct refusal *refusal, const char *reason, int64_t offset)
{
	refusal->reason = reason;
	refusal->offset = offset;
	return -1;
}

/* ---- COPY text escaping ---- */

void ark_pgtext_append_escaped(struct ark_buf *out, const void *bytes,
			       size_t len)
{
	const unsigned char *p = bytes;
	size_t run = 0, i;

	for (i = 0; i < len; i++) {
		const char *escape;

		switch (p[i]) {
		case '\\': escape = "\\\\"; break;
		case '\b': escape = "\\b"; break;
		case '\f': escape = "\\f"; break;
		case '\n': escape = "\\n"; break;
		case '\r': escape = "\\r"; break;
		case '\t': escape = "\\t"; break;
		case '\v': escape = "\\v"; break;
		default: continue;
		}
		ark_buf_append(out, p + run, i - run);
		ark_buf_append(out, escape, 2);
		run = i + 1;
	}
	ark_buf_append(out, p + run, len - run);
}

/* ---- UTF-8 (the sequences PostgreSQL's pg_utf8_islegal accepts) ---- */

/* Length of the valid sequence at p (of at most left bytes), 0 if none. */
static size_t utf8_sequence(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* 0 with *chars counted, or -1 with the refusal at the bad byte. */
static int utf8_check(const unsigned char *p, size_t len, uint64_t *chars,
		      struct refusal *refusal)
{
	uint64_t count = 0;
	size_t i = 0;

	while (i < len) {
		size_t n;

		/* ASCII without NUL, 8 bytes at a time */
		while (len - i >= 8) {
			uint64_t word;

			memcpy(&word, p + i, sizeof(word));
			if ((word & 0x8080808080808080ull) != 0 ||
			    ((word - 0x0101010101010101ull) & ~word &
			     0x8080808080808080ull) != 0)
				break;
			i += 8;
			count += 8;
		}
		if (i >= len)
			break;
		if (p[i] == 0)
			return refuse(refusal, R_NUL, (int64_t)i);
		if (p[i] < 0x80) {
			i++;
			count++;
			continue;
		}
		n = utf8_sequence(p + i, len - i);
		if (n == 0)
			return refuse(refusal, R_INVALID_UTF8, (int64_t)i);
		i += n;
		count++;
	}
	if (chars != NULL)
		*chars = count;
	return 0;
}

/* ---- decimals ---- */

void ark_pgtext_append_plain_decimal(struct ark_buf *out, int negative,
				     const char *digits, size_t ndigits,
				     int64_t point, int64_t dscale)
{
	int64_t i;

	while (ndigits > 0 && digits[0] == '0') {
		digits++;
		ndigits--;
		point--;
	}
	if (ndigits == 0)
		negative = 0;
	if (negative)
		ark_buf_append_char(out, '-');
	if (point <= 0 || ndigits == 0) {
		ark_buf_append_char(out, '0');
	} else {
		if ((size_t)point <= ndigits) {
			ark_buf_append(out, digits, (size_t)point);
		} else {
			ark_buf_append(out, digits, ndigits);
			for (i = (int64_t)ndigits; i < point; i++)
				ark_buf_append_char(out, '0');
		}
	}
	if (dscale <= 0)
		return;
	ark_buf_append_char(out, '.');
	for (i = 0; i < dscale; i++) {
		int64_t at = point + i;

		ark_buf_append_char(out, at >= 0 && (size_t)at < ndigits &&
						 ndigits > 0
					 ? digits[at]
					 : '0');
	}
}

/* A decimal value: significant digits (no leading or trailing zeros, or
 * none for zero), point as in ark_pgtext_append_plain_decimal. */
struct decimal {
	int negative;
	char digits[24];
	size_t ndigits;
	int64_t point;
	int64_t written_scale; /* fraction digits as written (text) */
};

static void decimal_from_integer(int64_t v, struct decimal *d)
{
	char text[24];
	uint64_t magnitude = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int n = snprintf(text, sizeof(text), "%" PRIu64, magnitude);

	d->negative = v < 0;
	memcpy(d->digits, text, (size_t)n);
	d->ndigits = (size_t)n;
	d->point = n;
	d->written_scale = 0;
	while (d->ndigits > 0 && d->digits[d->ndigits - 1] == '0')
		d->ndigits--;
	if (v == 0)
		d->point = 0;
}

static void decimal_from_double(double x, struct decimal *d)
{
	struct ark_shortest s;

	d->negative = signbit(x) != 0;
	d->written_scale = 0;
	if (x == 0) {
		d->ndigits = 0;
		d->point = 0;
		return;
	}
	ark_pgtext_shortest_digits(fabs(x), 0, &s);
	memcpy(d->digits, s.digits, (size_t)s.ndigits);
	d->ndigits = (size_t)s.ndigits;
	d->point = s.exponent + 1;
	if ((int64_t)d->ndigits > d->point)
		d->written_scale = (int64_t)d->ndigits - d->point;
}

/* Fraction digits that are not zero. */
static int64_t decimal_fraction_digits(const struct decimal *d)
{
	int64_t f = (int64_t)d->ndigits - d->point;

	return f > 0 ? f : 0;
}

/*
 * value as numeric(p,s) (or unconstrained numeric when p is -1): refuse
 * what would be rounded or overflow, print with the column's scale.
 */
static int append_decimal_numeric(struct ark_buf *out, const struct decimal *d,
				  const struct ark_pgtype_spec *type,
				  struct refusal *refusal)
{
	int64_t dscale;

	if (type->precision > 0) {
		/* numeric(p) is numeric(p,0); PostgreSQL 15's negative
		 * scales other than -1 (which the spec uses for "none")
		 * round to tens, hundreds...: the digits below must be 0 */
		int32_t scale = type->scale == -1 ? 0 : type->scale;

		if (d->ndigits > 0 &&
		    (int64_t)d->ndigits - d->point > (int64_t)scale)
			return refuse(refusal, R_NUMERIC_SCALE, -1);
		if (d->ndigits > 0 &&
		    d->point > (int64_t)type->precision - scale)
			return refuse(refusal, R_NUMERIC_PRECISION, -1);
		dscale = scale > 0 ? scale : 0;
	} else {
		if (d->point > 131072)
			return refuse(refusal, R_NUMERIC_RANGE, -1);
		dscale = d->written_scale;
		if (dscale < decimal_fraction_digits(d))
			dscale = decimal_fraction_digits(d);
		if (dscale > 16383)
			return refuse(refusal, R_NUMERIC_RANGE, -1);
	}
	ark_pgtext_append_plain_decimal(out, d->negative, d->digits, d->ndigits,
					d->point, dscale);
	return 0;
}

/*
 * Text as numeric: -?(0|[1-9][0-9]*)(\.[0-9]+)? as numeric prints it
 * (no "+", no leading zeros, no exponent, not -0).  With a scale, extra
 * fraction digits are allowed when they are zeros (the value is the
 * same); fewer are padded.
 */
static int append_text_numeric(struct ark_buf *out, const unsigned char *p,
			       size_t len, const struct ark_pgtype_spec *type,
			       struct refusal *refusal)
{
	size_t i = 0, int_start, int_len, frac_len = 0, frac_start = 0;
	size_t significant_frac;
	int negative = 0, all_zero = 1;
	int64_t dscale;

	if (i < len && p[i] == '-') {
		negative = 1;
		i++;
	}
	int_start = i;
	while (i < len && p[i] >= '0' && p[i] <= '9')
		i++;
	int_len = i - int_start;
	if (int_len == 0 || (int_len > 1 && p[int_start] == '0'))
		return refuse(refusal, R_TEXT_NOT_DECIMAL, -1);
	if (i < len && p[i] == '.') {
		i++;
		frac_start = i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		frac_len = i - frac_start;
		if (frac_len == 0)
			return refuse(refusal, R_TEXT_NOT_DECIMAL, -1);
	}
	if (i != len)
		return refuse(refusal, R_TEXT_NOT_DECIMAL, -1);
	for (i = int_start; i < int_start + int_len; i++)
		if (p[i] != '0')
			all_zero = 0;
	for (i = frac_start; i < frac_start + frac_len; i++)
		if (p[i] != '0')
			all_zero = 0;
	if (negative && all_zero)
		return refuse(refusal, R_NEGATIVE_ZERO, -1);
	significant_frac = frac_len;
	while (significant_frac > 0 &&
	       p[frac_start + significant_frac - 1] == '0')
		significant_frac--;
	if (type->precision > 0) {
		int32_t scale = type->scale == -1 ? 0 : type->scale;
		size_t int_digits = (int_len == 1 && p[int_start] == '0')
					    ? 0
					    : int_len;

		if ((int64_t)significant_frac > scale)
			return refuse(refusal, R_NUMERIC_SCALE, -1);
		if (scale < 0) {
			/* numeric(p,-k): the last k integer digits must be
			 * zeros */
			for (i = 0; i < (size_t)-scale && i < int_digits; i++)
				if (p[int_start + int_digits - 1 - i] != '0')
					return refuse(refusal,
						      R_NUMERIC_SCALE, -1);
		}
		if (!all_zero) {
			int64_t point = (int64_t)int_digits;

			if (int_digits == 0) {
				for (i = frac_start; p[i] == '0'; i++)
					point--;
			}
			if (point > (int64_t)type->precision - scale)
				return refuse(refusal, R_NUMERIC_PRECISION,
					      -1);
		}
		dscale = scale > 0 ? scale : 0;
	} else {
		if (int_len > 131072 || frac_len > 16383)
			return refuse(refusal, R_NUMERIC_RANGE, -1);
		dscale = (int64_t)frac_len;
	}
	if (negative)
		ark_buf_append_char(out, '-');
	ark_buf_append(out, p + int_start, int_len);
	if (dscale > 0) {
		int64_t k;

		ark_buf_append_char(out, '.');
		for (k = 0; k < dscale; k++)
			ark_buf_append_char(out, (size_t)k < frac_len
							 ? (char)p[frac_start + (size_t)k]
							 : '0');
	}
	return 0;
}

/* ---- integers ---- */

/* A text that is exactly an int64 as PostgreSQL prints one. */
static int parse_canonical_integer(const unsigned char *p, size_t len,
				   int64_t *value)
{
	size_t i = 0;
	int negative = 0;
	uint64_t magnitude = 0, limit;

	if (len > 0 && p[0] == '-') {
		negative = 1;
		i = 1;
	}
	if (i == len || (p[i] == '0' && (len - i > 1 || negative)))
		return -1;
	limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		unsigned digit;

		if (p[i] < '0' || p[i] > '9')
			return -1;
		digit = (unsigned)(p[i] - '0');
		if (magnitude > (limit - digit) / 10)
			return -2;
		magnitude = magnitude * 10 + digit;
	}
	*value = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	if (negative && magnitude == (uint64_t)INT64_MAX + 1)
		*value = INT64_MIN;
	return 0;
}

static int append_integer(struct ark_buf *out, const struct ark_sqlvalue *v,
			  enum ark_pgtype type, struct refusal *refusal)
{
	int64_t value, min, max;
	const char *range;
	int rc;

	switch (type) {
	case ARK_PGTYPE_INT2:
		min = INT16_MIN, max = INT16_MAX, range = R_RANGE_INT2;
		break;
	case ARK_PGTYPE_INT4:
		min = INT32_MIN, max = INT32_MAX, range = R_RANGE_INT4;
		break;
	default:
		min = INT64_MIN, max = INT64_MAX, range = R_RANGE_INT8;
		break;
	}
	switch (v->storage) {
	case SQLITE_INTEGER:
		value = v->integer;
		break;
	case SQLITE_FLOAT:
		if (isnan(v->real))
			return refuse(refusal, R_NAN, -1);
		if (isinf(v->real))
			return refuse(refusal, R_INFINITE, -1);
		if (v->real != floor(v->real))
			return refuse(refusal, R_REAL_FRACTION, -1);
		if (v->real == 0 && signbit(v->real))
			return refuse(refusal, R_NEGATIVE_ZERO, -1);
		if (v->real < -9223372036854775808.0 ||
		    v->real >= 9223372036854775808.0)
			return refuse(refusal, range, -1);
		value = (int64_t)v->real;
		break;
	case SQLITE_TEXT:
		rc = parse_canonical_integer(v->bytes, v->len, &value);
		if (rc == -2)
			return refuse(refusal, range, -1);
		if (rc != 0)
			return refuse(refusal, R_TEXT_NOT_INTEGER, -1);
		break;
	default:
		return refuse(refusal, R_BLOB_NOT_BYTEA, -1);
	}
	if (value < min || value > max)
		return refuse(refusal, range, -1);
	ark_buf_appendf(out, "%" PRId64, value);
	return 0;
}

/* ---- floats ---- */

static int integer_exact_double(int64_t i, double *out)
{
	double d = (double)i;

	if (d >= 9223372036854775808.0 || (int64_t)d != i)
		return 0;
	*out = d;
	return 1;
}

static int append_float_value(struct ark_buf *out,
			      const struct ark_sqlvalue *v, int single,
			      struct refusal *refusal)
{
	double x;

	switch (v->storage) {
	case SQLITE_INTEGER:
		if (!integer_exact_double(v->integer, &x))
			return refuse(refusal,
				      single ? R_NOT_EXACT_FLOAT4
					     : R_INT_NOT_EXACT_FLOAT8,
				      -1);
		break;
	case SQLITE_FLOAT:
		x = v->real;
		break;
	case SQLITE_TEXT: {
		char text[64];
		char *end;
		struct ark_buf canonical = ARK_BUF_INIT;
		int same;

		if (v->len == 0 || v->len >= sizeof(text))
			return refuse(refusal, R_TEXT_NOT_FLOAT, -1);
		memcpy(text, v->bytes, v->len);
		text[v->len] = '\0';
		if (memchr(text, '\0', v->len) != NULL)
			return refuse(refusal, R_TEXT_NOT_FLOAT, -1);
		x = single ? (double)strtof(text, &end) : strtod(text, &end);
		if (*end != '\0')
			return refuse(refusal, R_TEXT_NOT_FLOAT, -1);
		ark_pgtext_append_float(&canonical, x, single);
		same = !canonical.failed && canonical.len == v->len &&
		       memcmp(canonical.data, text, v->len) == 0;
		ark_buf_free(&canonical);
		if (!same)
			return refuse(refusal, R_TEXT_NOT_FLOAT, -1);
		break;
	}
	default:
		return refuse(refusal, R_BLOB_NOT_BYTEA, -1);
	}
	if (single && !isnan(x) && (double)(float)x != x)
		return refuse(refusal, R_NOT_EXACT_FLOAT4, -1);
	ark_pgtext_append_float(out, x, single);
	return 0;
}

/* ---- numbers as SQLite renders them as text ---- */

/*
 * A REAL as sqlite3_column_text() renders it ("%!.15g": 1.0, 0.1,
 * 1.0e+100, Inf), when that reads back as the same double; else the
 * shortest round-trip form as float8 prints it.
 */
static void append_sqlite_real_text(struct ark_buf *out, double x)
{
	char text[64];

	sqlite3_snprintf((int)sizeof(text), text, "%!.15g", x);
	if (strtod(text, NULL) == x && !(x == 0 && signbit(x))) {
		ark_buf_append_str(out, text);
		return;
	}
	ark_pgtext_append_float(out, x, 0);
}

/* ---- text ---- */

static int append_text(struct ark_buf *out, const struct ark_sqlvalue *v,
		       const struct ark_pgtype_spec *type,
		       struct refusal *refusal)
{
	uint64_t chars;
	size_t start = out->len;

	switch (v->storage) {
	case SQLITE_TEXT:
		if (utf8_check(v->bytes, v->len, &chars, refusal) != 0)
			return -1;
		if (type->length >= 0 && chars > (uint64_t)type->length)
			return refuse(refusal, R_TOO_LONG, -1);
		if (type->type == ARK_PGTYPE_BPCHAR && type->length >= 0 &&
		    chars < (uint64_t)type->length)
			return refuse(refusal, R_BPCHAR_SHORT, -1);
		ark_pgtext_append_escaped(out, v->bytes, v->len);
		return 0;
	case SQLITE_INTEGER:
		ark_buf_appendf(out, "%" PRId64, v->integer);
		break;
	case SQLITE_FLOAT:
		append_sqlite_real_text(out, v->real);
		break;
	default:
		return refuse(refusal, R_BLOB_NOT_BYTEA, -1);
	}
	/* a number's text is ASCII: one character per byte */
	chars = out->len - start;
	if ((type->length >= 0 && chars > (uint64_t)type->length) ||
	    (type->type == ARK_PGTYPE_BPCHAR && type->length >= 0 &&
	     chars < (uint64_t)type->length)) {
		ark_buf_truncate(out, start);
		return refuse(refusal, chars > (uint64_t)type->length
					       ? R_TOO_LONG
					       : R_BPCHAR_SHORT,
			      -1);
	}
	return 0;
}

/* ---- bytea ---- */

static void append_hex_bytea(struct ark_buf *out, const unsigned char *p,
			     size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char chunk[256];
	size_t i, k = 0;

	ark_buf_append_str(out, "\\\\x");
	for (i = 0; i < len; i++) {
		chunk[k++] = hex[p[i] >> 4];
		chunk[k++] = hex[p[i] & 15];
		if (k == sizeof(chunk)) {
			ark_buf_append(out, chunk, k);
			k = 0;
		}
	}
	ark_buf_append(out, chunk, k);
}

static int append_bytea(struct ark_buf *out, const struct ark_sqlvalue *v)
{
	struct ark_buf text = ARK_BUF_INIT;

	switch (v->storage) {
	case SQLITE_BLOB:
	case SQLITE_TEXT:
		append_hex_bytea(out, v->bytes, v->len);
		return 0;
	case SQLITE_INTEGER:
		ark_buf_appendf(&text, "%" PRId64, v->integer);
		break;
	default:
		append_sqlite_real_text(&text, v->real);
		break;
	}
	if (ark_buf_failed(&text)) {
		/* the caller sees the failure on out */
		out->failed = 1;
		ark_buf_free(&text);
		return 0;
	}
	append_hex_bytea(out, (const unsigned char *)text.data, text.len);
	ark_buf_free(&text);
	return 0;
}

/* ---- boolean ---- */

static int ascii_equal_nocase(const unsigned char *p, size_t len,
			      const char *word)
{
	size_t i;

	if (strlen(word) != len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)word[i])
			return 0;
	}
	return 1;
}

/* 1 true, 0 false, -1 not a boolean word. */
static int bool_word(const unsigned char *p, size_t len)
{
	if (ascii_equal_nocase(p, len, "true") ||
	    ascii_equal_nocase(p, len, "t"))
		return 1;
	if (ascii_equal_nocase(p, len, "false") ||
	    ascii_equal_nocase(p, len, "f"))
		return 0;
	return -1;
}

static int append_bool(struct ark_buf *out, const struct ark_sqlvalue *v,
		       struct refusal *refusal)
{
	int truth;

	switch (v->storage) {
	case SQLITE_INTEGER:
		if (v->integer != 0 && v->integer != 1)
			return refuse(refusal, R_BOOL_INTEGER, -1);
		truth = v->integer == 1;
		break;
	case SQLITE_FLOAT:
		return refuse(refusal, R_BOOL_REAL, -1);
	case SQLITE_TEXT:
		truth = bool_word(v->bytes, v->len);
		if (truth < 0)
			return refuse(refusal, R_BOOL_TEXT, -1);
		break;
	default:
		return refuse(refusal, R_BLOB_NOT_BYTEA, -1);
	}
	ark_buf_append_char(out, truth ? 't' : 'f');
	return 0;
}

/* ---- uuid ---- */

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 16 bytes from 8-4-4-4-12 hex (any case) or 32 hex digits. */
static int parse_uuid(const unsigned char *p, size_t len, unsigned char *uuid)
{
	size_t i, k = 0;
	int hyphens = len == 36;

	if (len != 36 && len != 32)
		return -1;
	for (i = 0; i < len; i++) {
		int hi, lo;

		if (hyphens && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (p[i] != '-')
				return -1;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		hi = hex_value(p[i]);
		lo = hex_value(p[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		uuid[k++] = (unsigned char)(hi << 4 | lo);
		i++;
	}
	return k == 16 ? 0 : -1;
}

static void append_uuid_text(struct ark_buf *out, const unsigned char *uuid)
{
	static const char hex[] = "0123456789abcdef";
	char text[37];
	size_t i, k = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			text[k++] = '-';
		text[k++] = hex[uuid[i] >> 4];
		text[k++] = hex[uuid[i] & 15];
	}
	ark_buf_append(out, text, k);
}

static int append_uuid(struct ark_buf *out, const struct ark_sqlvalue *v,
		       struct refusal *refusal)
{
	unsigned char uuid[16];

	if (v->storage == SQLITE_BLOB) {
		if (v->len != 16)
			return refuse(refusal, R_BLOB_NOT_UUID, -1);
		append_uuid_text(out, v->bytes);
		return 0;
	}
	if (v->storage != SQLITE_TEXT || parse_uuid(v->bytes, v->len, uuid))
		return refuse(refusal, R_NOT_UUID, -1);
	append_uuid_text(out, uuid);
	return 0;
}

/* ---- dates and times ---- */

struct when {
	int year, month, day;
	int hour, minute, second;
	int32_t micro;
	int has_time;
	int has_zone;
	int zone_minutes; /* east of UTC */
};

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y += *m <= 2;
}

/* n digits at p[*i] into *value; 0 or -1. */
static int take_digits(const unsigned char *p, size_t len, size_t *i, int n,
		       int *value)
{
	int v = 0, k;

	if (*i + (size_t)n > len)
		return -1;
	for (k = 0; k < n; k++) {
		unsigned char c = p[*i + (size_t)k];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += (size_t)n;
	*value = v;
	return 0;
}

static int is_digit_at(const unsigned char *p, size_t len, size_t i)
{
	return i < len && p[i] >= '0' && p[i] <= '9';
}

/* HH:MM[:SS[.fff...]] at p[*i]. */
static int parse_time(const unsigned char *p, size_t len, size_t *i,
		      struct when *w, struct refusal *refusal)
{
	int digits = 0;

	if (take_digits(p, len, i, 2, &w->hour) || *i >= len ||
	    p[*i] != ':')
		return refuse(refusal, R_NOT_DATETIME, -1);
	(*i)++;
	if (take_digits(p, len, i, 2, &w->minute))
		return refuse(refusal, R_NOT_DATETIME, -1);
	w->second = 0;
	w->micro = 0;
	if (*i < len && p[*i] == ':') {
		(*i)++;
		if (take_digits(p, len, i, 2, &w->second))
			return refuse(refusal, R_NOT_DATETIME, -1);
		if (*i < len && p[*i] == '.' && is_digit_at(p, len, *i + 1)) {
			(*i)++;
			while (is_digit_at(p, len, *i)) {
				if (digits < 6)
					w->micro = w->micro * 10 +
						   (p[*i] - '0');
				else if (p[*i] != '0')
					return refuse(refusal, R_FRACTION,
						      -1);
				digits++;
				(*i)++;
			}
			for (; digits < 6; digits++)
				w->micro *= 10;
		}
	}
	if (w->hour > 23 || w->minute > 59 || w->second > 59)
		return refuse(refusal, R_TIME_RANGE, -1);
	w->has_time = 1;
	return 0;
}

/*
 * SQLite's time values (lang_datefunc.html, formats 1-7 with an optional
 * zone; 8-10, a time alone, and "now" are refused): YYYY-MM-DD, then
 * optionally ' ' or 'T' and HH:MM[:SS[.SSS...]], then optionally spaces
 * and Z or +HH:MM/-HH:MM, then optionally spaces.
 */
static int parse_datetime(const unsigned char *p, size_t len, struct when *w,
			  struct refusal *refusal)
{
	size_t i = 0;

	memset(w, 0, sizeof(*w));
	if (len >= 5 && p[2] == ':' && is_digit_at(p, len, 0) &&
	    is_digit_at(p, len, 1))
		return refuse(refusal, R_TIME_ONLY, -1);
	if (take_digits(p, len, &i, 4, &w->year) || i >= len || p[i] != '-')
		return refuse(refusal, R_NOT_DATETIME, -1);
	i++;
	if (take_digits(p, len, &i, 2, &w->month) || i >= len || p[i] != '-')
		return refuse(refusal, R_NOT_DATETIME, -1);
	i++;
	if (take_digits(p, len, &i, 2, &w->day))
		return refuse(refusal, R_NOT_DATETIME, -1);
	if (i < len && (p[i] == 'T' || p[i] == ' ') &&
	    is_digit_at(p, len, i + 1)) {
		i++;
		if (parse_time(p, len, &i, w, refusal))
			return -1;
	}
	while (i < len && p[i] == ' ')
		i++;
	if (i < len && (p[i] == 'Z' || p[i] == 'z')) {
		w->has_zone = 1;
		i++;
	} else if (i < len && (p[i] == '+' || p[i] == '-')) {
		int sign = p[i] == '-' ? -1 : 1, zh, zm;

		i++;
		if (take_digits(p, len, &i, 2, &zh) || i >= len ||
		    p[i] != ':')
			return refuse(refusal, R_NOT_DATETIME, -1);
		i++;
		if (take_digits(p, len, &i, 2, &zm))
			return refuse(refusal, R_NOT_DATETIME, -1);
		if (zh > 14 || zm > 59)
			return refuse(refusal, R_ZONE_RANGE, -1);
		w->has_zone = 1;
		w->zone_minutes = sign * (zh * 60 + zm);
	}
	while (i < len && p[i] == ' ')
		i++;
	if (i != len)
		return refuse(refusal, R_NOT_DATETIME, -1);
	if (w->has_zone && !w->has_time)
		return refuse(refusal, R_NOT_DATETIME, -1);
	if (w->year < 1)
		return refuse(refusal, R_YEAR_RANGE, -1);
	if (w->month < 1 || w->month > 12 || w->day < 1 ||
	    w->day > days_in_month(w->year, w->month))
		return refuse(refusal, R_NOT_CALENDAR, -1);
	return 0;
}

/* Microseconds since 1970-01-01 00:00 of w's wall time (zone ignored). */
static int64_t when_to_micros(const struct when *w)
{
	int64_t days = days_from_civil(w->year, w->month, w->day);

	return ((days * 86400 + w->hour * 3600 + w->minute * 60 + w->second) *
		1000000) +
	       w->micro;
}

static int when_from_micros(int64_t micros, struct when *w,
			    struct refusal *refusal)
{
	int64_t days = micros / 86400000000LL, rest, year;

	rest = micros % 86400000000LL;
	if (rest < 0) {
		rest += 86400000000LL;
		days--;
	}
	civil_from_days(days, &year, &w->month, &w->day);
	if (year < 1 || year > 9999)
		return refuse(refusal, R_YEAR_RANGE, -1);
	w->year = (int)year;
	w->micro = (int32_t)(rest % 1000000);
	rest /= 1000000;
	w->second = (int)(rest % 60);
	w->minute = (int)(rest / 60 % 60);
	w->hour = (int)(rest / 3600);
	w->has_time = 1;
	return 0;
}

/* Seconds or milliseconds since 1970 of a number, exact to the
 * microsecond (a REAL by its shortest decimal digits), into micros. */
static int number_to_micros(const struct ark_sqlvalue *v, int64_t per_unit,
			    int64_t *micros, struct refusal *refusal)
{
	struct decimal d;
	int64_t whole = 0, frac = 0, i, unit_digits;
	int negative;

	/* per_unit: microseconds per unit, 1000000 (s) or 1000 (ms); the
	 * fraction may have as many digits as reach a microsecond */
	unit_digits = per_unit == 1000000 ? 6 : 3;
	if (v->storage == SQLITE_INTEGER) {
		if (v->integer > INT64_MAX / per_unit ||
		    v->integer < INT64_MIN / per_unit)
			return refuse(refusal, R_YEAR_RANGE, -1);
		*micros = v->integer * per_unit;
		return 0;
	}
	if (isnan(v->real))
		return refuse(refusal, R_NAN, -1);
	if (isinf(v->real))
		return refuse(refusal, R_INFINITE, -1);
	if (fabs(v->real) > 1e15)
		return refuse(refusal, R_YEAR_RANGE, -1);
	decimal_from_double(v->real, &d);
	negative = d.negative;
	if (decimal_fraction_digits(&d) > unit_digits)
		return refuse(refusal, R_FRACTION, -1);
	for (i = 0; i < d.point; i++)
		whole = whole * 10 +
			((size_t)i < d.ndigits ? d.digits[i] - '0' : 0);
	for (i = 0; i < unit_digits; i++) {
		int64_t at = d.point + i;

		frac = frac * 10 + (at >= 0 && (size_t)at < d.ndigits
					    ? d.digits[at] - '0'
					    : 0);
	}
	*micros = whole * per_unit + frac;
	if (negative)
		*micros = -*micros;
	return 0;
}

static int number_to_when(const struct ark_sqlvalue *v,
			  const struct ark_pgtext_rules *rules, struct when *w,
			  struct refusal *refusal)
{
	int64_t micros;

	memset(w, 0, sizeof(*w));
	switch (rules->date_numbers) {
	case ARK_DATE_NUMBERS_UNIXEPOCH:
		if (number_to_micros(v, 1000000, &micros, refusal))
			return -1;
		break;
	case ARK_DATE_NUMBERS_UNIXEPOCH_MS:
		if (number_to_micros(v, 1000, &micros, refusal))
			return -1;
		break;
	case ARK_DATE_NUMBERS_JULIANDAY: {
		/* as SQLite reads a Julian day number: to the millisecond,
		 * iJD = (int64)(r * 86400000.0 + 0.5) */
		double r = v->storage == SQLITE_INTEGER ? (double)v->integer
							: v->real;
		int64_t jd_ms;

		if (isnan(r))
			return refuse(refusal, R_NAN, -1);
		if (!(r >= 0 && r <= 5373484.499999))
			return refuse(refusal, R_YEAR_RANGE, -1);
		jd_ms = (int64_t)(r * 86400000.0 + 0.5);
		micros = (jd_ms - 210866760000000LL) * 1000;
		break;
	}
	default:
		return refuse(refusal, R_NUMBER_IN_DATE, -1);
	}
	if (when_from_micros(micros, w, refusal))
		return -1;
	w->has_zone = 1; /* a number is an instant in UTC */
	w->zone_minutes = 0;
	return 0;
}

static void append_when(struct ark_buf *out, const struct when *w,
			enum ark_pgtype type)
{
	ark_buf_appendf(out, "%04d-%02d-%02d", w->year, w->month, w->day);
	if (type == ARK_PGTYPE_DATE)
		return;
	ark_buf_appendf(out, " %02d:%02d:%02d", w->hour, w->minute,
			w->second);
	if (w->micro != 0) {
		char frac[8];
		int n = 6;

		snprintf(frac, sizeof(frac), "%06d", (int)w->micro);
		while (n > 0 && frac[n - 1] == '0')
			n--;
		ark_buf_append_char(out, '.');
		ark_buf_append(out, frac, (size_t)n);
	}
	if (type == ARK_PGTYPE_TIMESTAMPTZ)
		ark_buf_append_str(out, "+00");
}

static int append_datetime(struct ark_buf *out, const struct ark_sqlvalue *v,
			   enum ark_pgtype type,
			   const struct ark_pgtext_rules *rules,
			   struct refusal *refusal)
{
	struct when w;
	int from_number = 0;

	switch (v->storage) {
	case SQLITE_TEXT:
		if (parse_datetime(v->bytes, v->len, &w, refusal))
			return -1;
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		if (number_to_when(v, rules, &w, refusal))
			return -1;
		from_number = 1;
		break;
	default:
		return refuse(refusal, R_BLOB_NOT_BYTEA, -1);
	}
	if (w.has_zone && !from_number && type != ARK_PGTYPE_TIMESTAMPTZ)
		return refuse(refusal, R_ZONE_IN_NAIVE, -1);
	if (type == ARK_PGTYPE_TIMESTAMPTZ && !w.has_zone &&
	    !rules->unzoned_as_utc)
		return refuse(refusal, R_NO_ZONE, -1);
	if (w.has_zone && w.zone_minutes != 0) {
		int64_t micros = when_to_micros(&w) -
				 (int64_t)w.zone_minutes * 60000000LL;

		if (when_from_micros(micros, &w, refusal))
			return -1;
	}
	if (type == ARK_PGTYPE_DATE &&
	    (w.hour != 0 || w.minute != 0 || w.second != 0 || w.micro != 0))
		return refuse(refusal, R_TIME_IN_DATE, -1);
	append_when(out, &w, type);
	return 0;
}

/* ---- numeric ---- */

static int append_numeric(struct ark_buf *out, const struct ark_sqlvalue *v,
			  const struct ark_pgtype_spec *type,
			  struct refusal *refusal)
{
	struct decimal d;

	switch (v->storage) {
	case SQLITE_INTEGER:
		decimal_from_integer(v->integer, &d);
		break;
	case SQLITE_FLOAT:
		if (isnan(v->real))
			return refuse(refusal, R_NAN, -1);
		if (isinf(v->real))
			return refuse(refusal, R_INFINITE, -1);
		if (v->real == 0 && signbit(v->real))
			return refuse(refusal, R_NEGATIVE_ZERO, -1);
		decimal_from_double(v->real, &d);
		break;
	case SQLITE_TEXT:
		return append_text_numeric(out, v->bytes, v->len, type,
					   refusal);
	default:
		return refuse(refusal, R_BLOB_NOT_BYTEA, -1);
	}
	return append_decimal_numeric(out, &d, type, refusal);
}

/* ---- JSON ---- */

static int append_json(struct ark_buf *out, const struct ark_sqlvalue *v,
		       int jsonb, struct refusal *refusal)
{
	struct ark_json_failure failure = {NULL, -1};
	struct ark_buf canonical = ARK_BUF_INIT;
	struct decimal d;

	switch (v->storage) {
	case SQLITE_INTEGER:
		ark_buf_appendf(out, "%" PRId64, v->integer);
		return 0;
	case SQLITE_FLOAT:
		if (isnan(v->real))
			return refuse(refusal, R_NAN, -1);
		if (isinf(v->real))
			return refuse(refusal, R_INFINITE, -1);
		if (v->real == 0 && signbit(v->real))
			return refuse(refusal, R_NEGATIVE_ZERO, -1);
		if (!jsonb) {
			append_sqlite_real_text(out, v->real);
			return 0;
		}
		decimal_from_double(v->real, &d);
		ark_pgtext_append_plain_decimal(out, d.negative, d.digits,
						d.ndigits, d.point,
						decimal_fraction_digits(&d));
		return 0;
	case SQLITE_TEXT:
		break;
	default:
		return refuse(refusal, R_BLOB_NOT_BYTEA, -1);
	}
	if (utf8_check(v->bytes, v->len, NULL, refusal) != 0)
		return -1;
	if (ark_json_check(v->bytes, v->len, jsonb, jsonb ? &canonical : NULL,
			   NULL, &failure) != 0) {
		ark_buf_free(&canonical);
		return refuse(refusal, failure.reason, failure.offset);
	}
	if (!jsonb) {
		ark_pgtext_append_escaped(out, v->bytes, v->len);
		return 0;
	}
	if (ark_buf_failed(&canonical))
		out->failed = 1;
	else
		ark_pgtext_append_escaped(out, canonical.data, canonical.len);
	ark_buf_free(&canonical);
	return 0;
}

/* ---- the entry points ---- */

int ark_pgtext_append_at(struct ark_buf *out,
			 const struct ark_sqlvalue *value,
			 const struct ark_pgtype_spec *type,
			 const struct ark_pgtext_rules *rules,
			 const char **reason, int64_t *reason_offset)
{
	static const struct ark_pgtext_rules default_rules = {
		ARK_DATE_NUMBERS_REFUSE, 0};
	struct refusal refusal = {NULL, -1};
	size_t start = out->len;
	int rc;

	if (rules == NULL)
		rules = &default_rules;
	if (value->storage == SQLITE_NULL) {
		ark_buf_append_str(out, "\\N");
		rc = 0;
		goto done;
	}
	switch (type->type) {
	case ARK_PGTYPE_BOOL:
		rc = append_bool(out, value, &refusal);
		break;
	case ARK_PGTYPE_INT2:
	case ARK_PGTYPE_INT4:
	case ARK_PGTYPE_INT8:
		rc = append_integer(out, value, type->type, &refusal);
		break;
	case ARK_PGTYPE_FLOAT4:
		rc = append_float_value(out, value, 1, &refusal);
		break;
	case ARK_PGTYPE_FLOAT8:
		rc = append_float_value(out, value, 0, &refusal);
		break;
	case ARK_PGTYPE_NUMERIC:
		rc = append_numeric(out, value, type, &refusal);
		break;
	case ARK_PGTYPE_TEXT:
	case ARK_PGTYPE_VARCHAR:
	case ARK_PGTYPE_BPCHAR:
		rc = append_text(out, value, type, &refusal);
		break;
	case ARK_PGTYPE_BYTEA:
		rc = append_bytea(out, value);
		break;
	case ARK_PGTYPE_DATE:
	case ARK_PGTYPE_TIMESTAMP:
	case ARK_PGTYPE_TIMESTAMPTZ:
		rc = append_datetime(out, value, type->type, rules, &refusal);
		break;
	case ARK_PGTYPE_JSON:
		rc = append_json(out, value, 0, &refusal);
		break;
	case ARK_PGTYPE_JSONB:
		rc = append_json(out, value, 1, &refusal);
		break;
	case ARK_PGTYPE_UUID:
		rc = append_uuid(out, value, &refusal);
		break;
	default:
		rc = refuse(&refusal, R_UNKNOWN_TYPE, -1);
		break;
	}
	if (rc != 0) {
		if (out->len > start)
			ark_buf_truncate(out, start);
		if (reason != NULL)
			*reason = refusal.reason;
		if (reason_offset != NULL)
			*reason_offset = refusal.offset;
		return -1;
	}
done:
	if (reason != NULL)
		*reason = NULL;
	if (reason_offset != NULL)
		*reason_offset = -1;
	return 0;
}

int ark_pgtext_append(struct ark_buf *out, const struct ark_sqlvalue *value,
		      const struct ark_pgtype_spec *type,
		      const struct ark_pgtext_rules *rules, const char **reason)
{
	return ark_pgtext_append_at(out, value, type, rules, reason, NULL);
}

void ark_pgtext_append_reason(struct ark_buf *out, const char *reason,
			      int64_t reason_offset)
{
	ark_buf_append_str(out, reason != NULL ? reason : "refused");
	if (reason_offset >= 0)
		ark_buf_appendf(out, " at byte %" PRId64, reason_offset);
}

/* ---- shapes ---- */

static int is_sqlite_integer_text(const unsigned char *p, size_t len)
{
	int64_t value;

	return parse_canonical_integer(p, len, &value) == 0;
}

/* [+-]?(digits[.digits?]|.digits)([eE][+-]?digits)? */
static int is_number_text(const unsigned char *p, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (p[i] == '+' || p[i] == '-'))
		i++;
	while (is_digit_at(p, len, i)) {
		i++;
		digits++;
	}
	if (i < len && p[i] == '.') {
		i++;
		while (is_digit_at(p, len, i)) {
			i++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		if (!is_digit_at(p, len, i))
			return 0;
		while (is_digit_at(p, len, i))
			i++;
	}
	return i == len;
}

unsigned ark_pgtext_shape_some(const unsigned char *bytes, size_t len,
			       unsigned wanted)
{
	struct refusal refusal;
	struct when w;
	unsigned shape = 0;
	unsigned char uuid[16], first;
	struct ark_json_failure failure;
	int duplicates = 0;
	size_t i;

	if (utf8_check(bytes, len, NULL, &refusal) != 0)
		return 0;
	shape |= ARK_SHAPE_UTF8;
	if (len == 0)
		return shape;
	/* each test only where its first byte can start a match: most text
	 * (names, words) is settled by the first byte */
	first = bytes[0];
	if ((wanted & (ARK_SHAPE_INTEGER | ARK_SHAPE_NUMBER)) &&
	    ((first >= '0' && first <= '9') || first == '-' || first == '+' ||
	     first == '.')) {
		if (is_sqlite_integer_text(bytes, len))
			shape |= ARK_SHAPE_INTEGER;
		if (is_number_text(bytes, len))
			shape |= ARK_SHAPE_NUMBER;
	}
	if ((wanted & ARK_SHAPE_BOOL) && len <= 5 &&
	    bool_word(bytes, len) >= 0)
		shape |= ARK_SHAPE_BOOL;
	if ((wanted & (ARK_SHAPE_DATE | ARK_SHAPE_TIMESTAMP |
		       ARK_SHAPE_TIMESTAMPTZ)) &&
	    len >= 10 && first >= '0' && first <= '9' &&
	    parse_datetime(bytes, len, &w, &refusal) == 0) {
		if (w.has_zone)
			shape |= ARK_SHAPE_TIMESTAMPTZ;
		else
			shape |= ARK_SHAPE_TIMESTAMP;
		if (!w.has_time)
			shape |= ARK_SHAPE_DATE;
	}
	/* JSON not wanted: i = len skips its test */
	i = wanted & (ARK_SHAPE_JSON | ARK_SHAPE_JSON_DUPKEYS) ? 0 : len;
	for (; i < len && (bytes[i] == ' ' || bytes[i] == '\t' ||
			   bytes[i] == '\n' || bytes[i] == '\r');
	     i++)
		;
	if (i < len && strchr("{[\"-0123456789tfn", bytes[i]) != NULL &&
	    ark_json_check(bytes, len, 0, NULL, &duplicates, &failure) == 0) {
		shape |= ARK_SHAPE_JSON;
		if (duplicates)
			shape |= ARK_SHAPE_JSON_DUPKEYS;
	}
	if ((wanted & ARK_SHAPE_UUID) && (len == 32 || len == 36) &&
	    parse_uuid(bytes, len, uuid) == 0)
		shape |= ARK_SHAPE_UUID;
	return shape;
}

unsigned ark_pgtext_shape(const unsigned char *bytes, size_t len)
{
	return ark_pgtext_shape_some(bytes, len, ~0u);
}
