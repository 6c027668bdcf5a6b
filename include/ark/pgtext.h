/*
 * ark/pgtext.h - a SQLite value as PostgreSQL prints it (lib/pg/pgtext.c).
 *
 * The heart of "never lose a value": for a value read from SQLite and a
 * target PostgreSQL type, either the exact text PostgreSQL itself would
 * print for the value it stores (COPY text format, escaped, under the
 * session settings of ark/pg.h), or a refusal with the reason.  What
 * ark-transfer sends to COPY FROM is this text, so
 *   - PostgreSQL stores exactly this value (its input function reads back
 *     what its output function printed), and
 *   - the row lines are the canonical encoding of the digest
 *     (ark/digest.h): the SQLite side and PostgreSQL's COPY TO output are
 *     equal byte for byte exactly when the target holds what the source
 *     held under the mapping (docs/type-mapping.md, docs/digest.md).
 * A conversion that PostgreSQL would round, truncate, pad or normalise in
 * a way that changes the value is refused, never carried.
 */
#ifndef ARK_PGTEXT_H
#define ARK_PGTEXT_H

#include <stddef.h>
#include <stdint.h>

#include "ark/buf.h"

enum ark_pgtype {
	ARK_PGTYPE_BOOL,
	ARK_PGTYPE_INT2,
	ARK_PGTYPE_INT4,
	ARK_PGTYPE_INT8,
	ARK_PGTYPE_FLOAT4,
	ARK_PGTYPE_FLOAT8,
	ARK_PGTYPE_NUMERIC,     /* precision/scale, or -1/-1 unconstrained */
	ARK_PGTYPE_TEXT,
	ARK_PGTYPE_VARCHAR,     /* length n, or -1 */
	ARK_PGTYPE_BPCHAR,      /* char(n): only into existing tables */
	ARK_PGTYPE_BYTEA,
	ARK_PGTYPE_DATE,
	ARK_PGTYPE_TIMESTAMP,   /* without time zone */
	ARK_PGTYPE_TIMESTAMPTZ,
	ARK_PGTYPE_JSON,
	ARK_PGTYPE_JSONB,
	ARK_PGTYPE_UUID,
};

struct ark_pgtype_spec {
	enum ark_pgtype type;
	int32_t length;    /* varchar(n)/char(n); -1 when none */
	int32_t precision; /* numeric(p,s); -1 when unconstrained */
	int32_t scale;     /* numeric(p,s); -1 when unconstrained */
};

/* How numbers stored in a date/timestamp column are read. */
enum ark_date_numbers {
	ARK_DATE_NUMBERS_REFUSE = 0, /* default: a number is not a date */
	ARK_DATE_NUMBERS_UNIXEPOCH,     /* seconds since 1970-01-01 UTC */
	ARK_DATE_NUMBERS_UNIXEPOCH_MS,  /* milliseconds since 1970 */
	ARK_DATE_NUMBERS_JULIANDAY,     /* SQLite's julianday() numbers */
};

struct ark_pgtext_rules {
	enum ark_date_numbers date_numbers;
	/*
	 * timestamptz: read a date-time without a zone as UTC (what SQLite's
	 * own date functions do with it).  Off by default: a column whose
	 * values mostly carry zones refuses the ones that do not
	 * (docs/type-mapping.md); --data-only into an existing timestamptz
	 * column (Django's DateTimeField) turns it on.
	 */
	int unzoned_as_utc;
};

/*
 * A value as SQLite returns it: storage class (SQLITE_INTEGER, _FLOAT,
 * _TEXT, _BLOB, _NULL from sqlite3.h) and its content.  For TEXT and BLOB,
 * bytes/len are the stored bytes (TEXT is not checked by SQLite: it may
 * hold invalid UTF-8 and NULs).
 */
struct ark_sqlvalue {
	int storage;
	int64_t integer;
	double real;
	const unsigned char *bytes;
	size_t len;
};

/*
 * Append the canonical COPY text of value as type to out (NULL appends
 * \N).  0, or -1 with *reason set to a static one-line reason that a
 * message can quote after the table, row and column ("text that is not
 * an integer", "invalid UTF-8", ...; docs/digest.md lists every one).
 * On -1, out is unchanged.  rules may be NULL (the defaults).
 */
int ark_pgtext_append(struct ark_buf *out, const struct ark_sqlvalue *value,
		      const struct ark_pgtype_spec *type,
		      const struct ark_pgtext_rules *rules, const char **reason);
/*
 * The same, and where the reason lies: *reason_offset is the 0-based byte
 * of the value a refusal points at ("invalid UTF-8", "NUL byte", "invalid
 * JSON"...), or -1 when it points at no byte.  reason_offset may be NULL.
 */
int ark_pgtext_append_at(struct ark_buf *out,
			 const struct ark_sqlvalue *value,
			 const struct ark_pgtype_spec *type,
			 const struct ark_pgtext_rules *rules,
			 const char **reason, int64_t *reason_offset);
/* The reason as a message says it: "invalid UTF-8 at byte 7" when offset
 * is not -1, else the reason alone. */
void ark_pgtext_append_reason(struct ark_buf *out, const char *reason,
			      int64_t reason_offset);

/* Append the type as SQL: "bigint", "numeric(10,2)", "varchar(40)". */
void ark_pgtype_append_sql(struct ark_buf *out,
			   const struct ark_pgtype_spec *type);
/*
 * Read a type as PostgreSQL's format_type() prints it ("character
 * varying(40)", "timestamp with time zone", "numeric(10,2)", "integer"):
 * 0, or -1 when ark cannot convert into that type.
 */
int ark_pgtype_parse(const char *format_type, struct ark_pgtype_spec *type);

/*
 * What a TEXT value looks like, for profiling a column before its type is
 * planned: a bit set of ARK_SHAPE_*.
 */
enum {
	ARK_SHAPE_UTF8 = 1 << 0,        /* valid UTF-8, no NUL */
	ARK_SHAPE_INTEGER = 1 << 1,     /* a decimal int64 as SQLite writes one */
	ARK_SHAPE_NUMBER = 1 << 2,      /* a decimal number */
	ARK_SHAPE_BOOL = 1 << 3,        /* true/false/t/f (any case) */
	ARK_SHAPE_DATE = 1 << 4,        /* YYYY-MM-DD alone, a real calendar
					   date in 0001-9999 */
	ARK_SHAPE_TIMESTAMP = 1 << 5,   /* a SQLite date-time without zone
					   that timestamp carries (a date
					   alone too) */
	ARK_SHAPE_TIMESTAMPTZ = 1 << 6, /* a SQLite date-time with Z/+HH:MM
					   (before any conversion to UTC) */
	ARK_SHAPE_JSON = 1 << 7,        /* valid JSON (any top-level value) */
	ARK_SHAPE_JSON_DUPKEYS = 1 << 8, /* JSON with a duplicated object key */
	ARK_SHAPE_UUID = 1 << 9,        /* 8-4-4-4-12 or 32 hex digits,
					   any case */
};
/* Text that is not valid UTF-8 or holds a NUL has no shape at all (0). */
unsigned ark_pgtext_shape(const unsigned char *bytes, size_t len);
/* The same, testing only the shapes in wanted (ARK_SHAPE_UTF8 always):
 * the profile asks each column only what its plan can use. */
unsigned ark_pgtext_shape_some(const unsigned char *bytes, size_t len,
			       unsigned wanted);

/* Append text escaped for COPY text format: backslash and \b \f \n \r
 * \t \v escaped, every other byte as it is (as PostgreSQL's COPY TO). */
void ark_pgtext_append_escaped(struct ark_buf *out, const void *bytes,
			       size_t len);

#endif
