/*
 * pg/sqlscript_internal.h - a SQL script (an archive's pre-data or
 * post-data) cut into statements, for ark-restore (lib/pg/pgrestore.c).
 *
 * The cutter knows what PostgreSQL's lexer knows about where a statement
 * ends: a ';' outside quotes ('...', E'...' with backslash escapes,
 * "..."), dollar quotes ($$...$$, $tag$...$tag$), comments (-- to the
 * end of the line, nested slash-star), and parentheses (CREATE RULE ...
 * DO (a; b)).  It does not know SQL-standard function bodies (BEGIN
 * ATOMIC ... END): a script holding one is cut inside it, so the pieces
 * are only ever run again as one text, in order (the restore does: only
 * the statements classified below are taken out of order).
 *
 * Each statement is classified by its first words:
 *   SESSION   SET ... (not SET TRANSACTION/CONSTRAINTS/LOCAL) and
 *             SELECT pg_catalog.set_config(...): session settings,
 *             replayed on every connection that runs later statements;
 *   PARALLEL  CREATE [UNIQUE] INDEX (not CONCURRENTLY) and ALTER TABLE
 *             [ONLY] T ADD CONSTRAINT C PRIMARY KEY|UNIQUE|CHECK|EXCLUDE
 *             (not USING INDEX): one table each, independent of each
 *             other, safe to run at once (each takes one table lock, so
 *             two on one table wait rather than deadlock);
 *   OTHER     everything else (foreign keys, triggers, rules, comments,
 *             ATTACH PARTITION, ...), run after the parallel ones, in
 *             script order.
 */
#ifndef ARK_PG_SQLSCRIPT_INTERNAL_H
#define ARK_PG_SQLSCRIPT_INTERNAL_H

#include <stddef.h>

#include "ark/buf.h"

enum ark_sqlscript_class {
	ARK_SQLSCRIPT_OTHER = 0,
	ARK_SQLSCRIPT_SESSION,
	ARK_SQLSCRIPT_PARALLEL,
};

struct ark_sqlscript_statement {
	size_t offset; /* first byte of the statement (after blanks and
			  comments before it) */
	size_t len;    /* through its ';' (or the script's end) */
	enum ark_sqlscript_class class;
	size_t session_before; /* SESSION statements before this one */
};

struct ark_sqlscript {
	const char *text; /* not owned */
	size_t text_len;
	struct ark_sqlscript_statement *statements;
	size_t count;
};

/* Cut text (len bytes, not necessarily NUL-terminated) into statements.
 * 0, or -1 when out of memory.  A script of blanks and comments has 0
 * statements. */
int ark_sqlscript_split(const char *text, size_t len,
			struct ark_sqlscript *out);
void ark_sqlscript_free(struct ark_sqlscript *script);

/*
 * The names of the schemas a script creates (CREATE SCHEMA [IF NOT
 * EXISTS] name ...), each appended to out followed by a NUL byte, as
 * PostgreSQL reads the name (quotes removed, "" undoubled, unquoted
 * ASCII letters folded to lower case).  Returns how many.
 */
size_t ark_sqlscript_created_schemas(const struct ark_sqlscript *script,
				     struct ark_buf *out);

/*
 * --clean: a DROP ... IF EXISTS ... CASCADE for each object the script
 * creates with CREATE [OR REPLACE] SCHEMA, TABLE, FOREIGN TABLE, VIEW,
 * MATERIALIZED VIEW, SEQUENCE, TYPE, DOMAIN, FUNCTION or PROCEDURE
 * (functions by name alone: DROP FUNCTION IF EXISTS name), in the
 * reverse order of creation, each followed by a newline; objects inside
 * a schema the script creates go with that schema.  The names are the
 * script's own text.  Returns how many.
 */
size_t ark_sqlscript_drops(const struct ark_sqlscript *script,
			   struct ark_buf *out);

#endif
