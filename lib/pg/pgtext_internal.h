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

#endif
