/*
 * ark/profile.h - what the values of each column actually are
 * (lib/pg/profile.c), measured before a type is planned.
 *
 * SQLite stores any value in any column (outside STRICT tables): a column
 * declared INTEGER may hold text, a DATETIME column numbers, a column with
 * no type a mix of everything.  The profile is one scan of every table
 * that counts, per column, the storage classes present (typeof), their
 * ranges and lengths, and the shapes of its text values
 * (ark_pgtext_shape), so the plan (ark/plan.h) can pick a type that holds
 * every value, and say which values no type choice can carry.
 */
#ifndef ARK_PROFILE_H
#define ARK_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ark/error.h"
#include "ark/sqlite_schema.h"

struct ark_column_profile {
	uint64_t nulls, integers, reals, texts, blobs;
	int64_t min_integer, max_integer;      /* over INTEGER values; 0 when
						  there are none */
	double min_real, max_real;             /* over finite REAL values; 0
						  when there are none */
	uint64_t infinities;                   /* REAL +-Inf */
	uint64_t negative_zeros;               /* REAL -0.0 (a REAL-affinity
						  column never holds one:
						  SQLite stores 0.0) */
	uint64_t reals_integral;               /* REAL values with no fraction */
	uint64_t max_text_chars;               /* longest TEXT, in characters
						  (an invalid byte counts as
						  one) */
	uint64_t max_text_bytes;
	uint64_t max_blob_bytes;
	unsigned text_shapes_all;  /* ARK_SHAPE_* bits every TEXT value has
				      (0 when there are no TEXT values) */
	unsigned text_shapes_any;  /* bits at least one TEXT value has */
	uint64_t texts_bool;       /* TEXT values with ARK_SHAPE_BOOL */
};

struct ark_table_profile {
	uint64_t rows;                         /* light: max(rowid) when no
						  column was scanned */
	size_t ncolumns;                       /* as the schema's table */
	struct ark_column_profile *columns;
	int light;                             /* ark_profile_scan_table_light:
						  only the columns of
						  ark_plan_needs_profile()
						  hold counts */
	int64_t max_rowid;                     /* light: max() of the rowid
						  alias, else of _rowid_; 0
						  when none (WITHOUT ROWID) */
};

struct ark_profile {
	size_t ntables;                        /* as the schema */
	struct ark_table_profile *tables;
};

/*
 * Scan every table of schema in db (inside the caller's read
 * transaction).  Generated VIRTUAL columns are profiled too (their values
 * are computed by SQLite).  ARK_ERR_SOURCE when SQLite fails;
 * ARK_ERR_INTERRUPTED when a stop signal arrived.
 */
int ark_profile_scan(sqlite3 *db, const struct ark_sqlite_schema *schema,
		     struct ark_profile **out, struct ark_error *err);
void ark_profile_free(struct ark_profile *profile); /* NULL is a no-op */

/* The same in parts, for scanning tables in parallel (each on its own
 * connection to the same consistent state): an empty profile shaped
 * like schema, then one table at a time. */
int ark_profile_new(const struct ark_sqlite_schema *schema,
		    struct ark_profile **out, struct ark_error *err);
int ark_profile_scan_table(sqlite3 *db, const struct ark_sqlite_schema *schema,
			   struct ark_profile *profile, size_t table,
			   struct ark_error *err);

/*
 * A light profile of one table, for a transfer whose load checks every
 * value anyway (the fused load): only the columns whose planned type
 * depends on their values (ark_plan_needs_profile: no declared type,
 * BOOLEAN, DATETIME/TIMESTAMP, UUID) are read, and max(rowid) (the
 * identity's position); rows is exact when a column was read, else
 * max(rowid).  Anything else that reads a profile (the check phase)
 * needs a full one.
 */
int ark_profile_scan_table_light(sqlite3 *db,
				 const struct ark_sqlite_schema *schema,
				 struct ark_profile *profile, size_t table,
				 struct ark_error *err);

#endif
