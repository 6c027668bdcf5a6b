/*
 * ark/sqlite_schema.h - what a SQLite database holds, read for a transfer
 * (lib/sqlite/schema.c).
 *
 * Read from sqlite_schema and the table_xinfo, index_list, index_xinfo
 * and foreign_key_list pragmas, plus what only the CREATE statement says
 * (CHECK constraints, AUTOINCREMENT, the text of DEFAULT and generated
 * expressions).  Names are kept exactly as SQLite stores them (any bytes
 * but NUL).  Internal tables (sqlite_*) are not listed as tables;
 * sqlite_sequence's values are attached to their tables.  Text taken from
 * a CREATE statement (CHECK, generated and index expressions, WHERE) runs
 * from the expression's first token to its last, exactly as written:
 * comments inside are kept, comments around it are not.
 */
#ifndef ARK_SQLITE_SCHEMA_H
#define ARK_SQLITE_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ark/error.h"

enum ark_sqlite_affinity {
	ARK_AFFINITY_BLOB,    /* no declared type, or BLOB: no affinity */
	ARK_AFFINITY_TEXT,
	ARK_AFFINITY_NUMERIC,
	ARK_AFFINITY_INTEGER,
	ARK_AFFINITY_REAL,
};

enum ark_sqlite_generated {
	ARK_GENERATED_NONE,
	ARK_GENERATED_VIRTUAL,
	ARK_GENERATED_STORED,
};

struct ark_sqlite_column {
	char *name;
	char *declared_type;   /* "" when none, as written ("NVARCHAR(160)") */
	enum ark_sqlite_affinity affinity; /* SQLite's rules, section 3.1 */
	int not_null;
	char *default_sql;     /* the DEFAULT expression's text, or NULL */
	int pk_position;       /* 1-based place in the PRIMARY KEY, 0 if not */
	enum ark_sqlite_generated generated;
	char *generated_sql;   /* the AS (...) expression, or NULL */
	char *collation;       /* the last COLLATE declared, or NULL (none
				  or BINARY) */
};

struct ark_sqlite_index_column {
	char *name;            /* NULL for an expression */
	char *expression_sql;  /* the expression's text, or NULL; a COLLATE
				  in it is kept (SQLite reads it as part of
				  the expression), ASC/DESC is not */
	char *collation;       /* "BINARY", "NOCASE", "RTRIM", ... */
	int descending;
};

struct ark_sqlite_index {
	char *name;            /* sqlite_autoindex_* for implicit ones */
	int unique;
	char origin;           /* 'c' CREATE INDEX, 'u' UNIQUE, 'p' PRIMARY KEY */
	int partial;
	char *where_sql;       /* the WHERE of a partial index, or NULL */
	char *sql;             /* CREATE INDEX text, NULL for implicit ones */
	size_t ncolumns;
	struct ark_sqlite_index_column *columns;
};

struct ark_sqlite_foreign_key {
	char *ref_table;
	size_t ncolumns;
	char **from;           /* columns of this table */
	char **to;             /* referenced columns; an entry is NULL when
				  the clause names none (the parent's key) */
	char *on_update;       /* "NO ACTION", "CASCADE", ... */
	char *on_delete;
	int deferrable;        /* DEFERRABLE INITIALLY DEFERRED */
};

struct ark_sqlite_check {
	char *name;            /* CONSTRAINT name, or NULL */
	char *column;          /* the column of a column constraint, or NULL */
	char *expression_sql;  /* the text inside CHECK( ... ) */
};

struct ark_sqlite_table {
	char *name;
	char *sql;             /* the CREATE TABLE statement */
	int without_rowid;
	int strict;
	int autoincrement;
	int has_sequence;      /* a row in sqlite_sequence */
	int64_t sequence;      /* its seq (the highest, should there be
				  several rows) */
	int rowid_alias;       /* index of the INTEGER PRIMARY KEY column, -1 */
	size_t ncolumns;
	struct ark_sqlite_column *columns;
	size_t nindexes;       /* in creation (sqlite_schema) order */
	struct ark_sqlite_index *indexes;
	size_t nforeign_keys;  /* in declaration order */
	struct ark_sqlite_foreign_key *foreign_keys;
	size_t nchecks;        /* in the order the statement shows them */
	struct ark_sqlite_check *checks;
};

/* A view or a trigger: kept as text, to report and translate if exact. */
struct ark_sqlite_object {
	char *name;
	char *table;           /* a trigger's table, NULL for views */
	char *sql;
};

struct ark_sqlite_schema {
	size_t ntables;
	struct ark_sqlite_table *tables;   /* in sqlite_schema order */
	size_t nviews;
	struct ark_sqlite_object *views;
	size_t ntriggers;
	struct ark_sqlite_object *triggers;
	size_t nvirtual;                   /* virtual tables (FTS...), listed */
	struct ark_sqlite_object *virtual_tables;
	size_t nshadow;                    /* the tables a virtual table keeps
					      its data in (FTS5's t_data...),
					      listed, not in tables */
	struct ark_sqlite_object *shadow_tables;
};

/*
 * Read the schema of the "main" database of db (inside the caller's read
 * transaction).  ARK_ERR_SOURCE when SQLite fails or the schema cannot be
 * understood (the message names the table); ARK_ERR_INTERNAL when out of
 * memory.
 */
int ark_sqlite_schema_read(sqlite3 *db, struct ark_sqlite_schema **out,
			   struct ark_error *err);
void ark_sqlite_schema_free(struct ark_sqlite_schema *schema); /* NULL ok */

/* The table named exactly name, or NULL. */
const struct ark_sqlite_table *
ark_sqlite_schema_table(const struct ark_sqlite_schema *schema,
			const char *name);

#endif
