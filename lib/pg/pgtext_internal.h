/*
 * pgtext_internal.h - what lib/pg/pgtext.c and lib/pg/json.c share.
 */
#ifndef ARK_PG_PGTEXT_INTERNAL_H
#define ARK_PG_PGTEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ark/buf.h"

/* How deep JSON may nest before it is refused (PostgreSQL's own limit is
 * its stack depth; 1000 keeps ark's recursive parser within ~200 KiB). */
#define ARK_JSON_MAX_DEPTH 1000

/* Where a JSON text fails, for the refusal. */
struct ark_json_failure {
	const char *reason;
	int64_t offset;
};

/*
 * Check that text is one JSON value (RFC 8259, the grammar PostgreSQL's
 * json and jsonb types read).  jsonb: the value must also fit jsonb
 * (\u0000 and duplicate keys refused, numbers within numeric's range)
 * and, when canonical is not NULL, its jsonb output text is appended
 * there (not COPY-escaped).  *duplicate_keys (may be NULL) is set when an
 * object repeats a key (only meaningful when jsonb is 0).  0 or -1.
 */
int ark_json_check(const unsigned char *text, size_t len, int jsonb,
		   struct ark_buf *canonical, int *duplicate_keys,
		   struct ark_json_failure *failure);

/*
 * A decimal number: digits (ASCII, no leading zero unless the number is
 * 0 digits long), the decimal point after `point` of them (point may be
 * <= 0 or > ndigits).  Appends the plain text PostgreSQL's numeric prints
 * with dscale fraction digits (dscale >= the fraction digits that are
 * not zero; zero drops the sign).
 */
void ark_pgtext_append_plain_decimal(struct ark_buf *out, int negative,
				     const char *digits, size_t ndigits,
				     int64_t point, int64_t dscale);

/* The shortest round-trip digits of a positive finite value: digits
 * (ASCII, NUL-terminated, no trailing zeros) and the decimal exponent
 * of the first one: 1.5e-7 is "15", -7. */
struct ark_shortest {
	char digits[20];
	int ndigits;
	int exponent;
};
/* single: the value is a float (float4); else a double. */
void ark_pgtext_shortest_digits(double x, int single,
				struct ark_shortest *out);

/* x as float8out (single: float4out) prints it: "1.5", "1e+100", "-0",
 * "Infinity", "NaN". */
void ark_pgtext_append_float(struct ark_buf *out, double x, int single);

#endif
