/*
 * pg/sqlexpr_internal.h - SQLite expressions translated into PostgreSQL
 * only where PostgreSQL computes exactly what SQLite did (lib/pg/sqlexpr.c).
 *
 * A small tokenizer and a whitelist: column names, numeric and string
 * literals, comparisons, AND/OR/NOT, IN (...), BETWEEN, IS [NOT] NULL,
 * length() of text, abs() of numbers, parentheses.  Anything else (LIKE,
 * GLOB, CASE, casts, arithmetic, other functions, comparisons across
 * numbers and text, columns whose type is neither) is refused with a
 * static reason.  Text ordering comparisons get COLLATE "C": SQLite
 * compares text bytewise, PostgreSQL by the database's collation.
 */
#ifndef ARK_PG_SQLEXPR_INTERNAL_H
#define ARK_PG_SQLEXPR_INTERNAL_H

#include <stddef.h>

#include "ark/buf.h"
#include "ark/pgtext.h"

enum ark_sqlexpr_class {
	ARK_SQLEXPR_REFUSED = 0, /* a column no comparison can be exact on */
	ARK_SQLEXPR_NUMBER,
	ARK_SQLEXPR_TEXT,
	ARK_SQLEXPR_BOOL,
	/* a boolean column stored as 0/1: compared for equality with 0, 1,
	   TRUE or FALSE only (false/true in PostgreSQL) */
	ARK_SQLEXPR_BOOLEAN_COLUMN,
};

/*
 * Resolve a column name as written in the expression (quotes removed):
 * 0 with *pg_name (the PostgreSQL name) and *class, or -1 when there is
 * no such column.
 */
typedef int (*ark_sqlexpr_resolver)(void *context, const char *name,
				    const char **pg_name, int *class);

/* A condition (CHECK, partial index WHERE): 0, or -1 with *reason. */
int ark_sqlexpr_condition(const char *sql, ark_sqlexpr_resolver resolve,
			  void *context, struct ark_buf *out,
			  const char **reason);

/* An index key expression, appended in parentheses: 0, or -1. */
int ark_sqlexpr_index_key(const char *sql, ark_sqlexpr_resolver resolve,
			  void *context, struct ark_buf *out,
			  const char **reason);

/*
 * A column DEFAULT for the planned type: literals, NULL, TRUE/FALSE, blob
 * literals, CURRENT_TIMESTAMP/DATE/TIME and datetime/date/time/strftime/
 * unixepoch of 'now' (SQLite gives UTC): 0 with the PostgreSQL
 * expression appended, or -1 with *reason.
 */
int ark_sqlexpr_default(const char *sql, const struct ark_pgtype_spec *type,
			struct ark_buf *out, const char **reason);

/* Quoting (as ark_pg_append_ident/_literal): "name" with quotes
   doubled; 'text' (E'...' when it holds a backslash). */
void ark_sqlexpr_append_ident(struct ark_buf *out, const char *name);
void ark_sqlexpr_append_literal(struct ark_buf *out, const char *text);

/* Valid UTF-8 without NUL over len bytes: 1 or 0; the character count. */
int ark_sqlexpr_utf8_chars(const char *text, size_t len, size_t *chars);

#endif
