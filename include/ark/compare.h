/*
 * ark/compare.h - prove that two databases hold the same rows
 * (lib/pg/compare.c; the tool is `ark-checksum-verify SOURCE TARGET`).
 *
 * Each side is a SQLite database file, a PostgreSQL database (libpq
 * conninfo or URI), or an ark archive: a `sqlite` archive (its image,
 * verified as it is decompressed into a private temporary, read as
 * SQLite) or a `pg` archive (its tables' row counts and content digests
 * from the manifest; with deep, recomputed from the members).
 *
 * Tables are paired by name under ark-transfer's identifier rules (a
 * SQLite table by the name ark-transfer plans for it, ark/plan.h), and
 * every row of every table is reduced to its canonical COPY text line
 * (docs/digest.md): on a SQLite side the values are converted to the
 * types of the other side's columns (ark_plan_map_existing), so that a
 * database loaded by ark-transfer, or by --data-only into a framework's
 * schema, compares equal.  SQLite against SQLite uses the source's plan
 * on both sides.  Per table: row count and digest on both sides, tables
 * in parallel, each side's scan in its own job.  Each side is read as of
 * one moment: a SQLite side in one read transaction (workers on a
 * private copy made inside it), a PostgreSQL side in one REPEATABLE READ
 * snapshot exported by the main connection and adopted by every worker.
 *
 * A table whose digests differ is narrowed down: both sides are scanned
 * again, each row reduced to a 64-bit hash of its key (primary key or a
 * NOT NULL unique key; without one, the whole line) and of its line, the
 * two lists sorted and merged in memory (16 bytes a row, in as many
 * partitions of at most 2M rows as the table needs), and the rows of up
 * to max_diffs differing keys fetched by a last scan.  No ORDER BY on
 * either side, so it needs no index and no agreement between SQLite's
 * and PostgreSQL's orderings, and it works on `pg` archive members too.
 */
#ifndef ARK_COMPARE_H
#define ARK_COMPARE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ark/digest.h"
#include "ark/error.h"
#include "ark/pgtext.h"

/* What an argument names (ark_compare_argument_kind). */
enum ark_compare_kind {
	ARK_COMPARE_SQLITE,      /* a SQLite database file */
	ARK_COMPARE_POSTGRESQL,  /* a conninfo or URI */
	ARK_COMPARE_ARCHIVE,     /* a file that is taken for an ark archive */
};

/*
 * How an argument is told apart, without connecting or opening anything
 * beyond the file's first 16 bytes (docs/man/ark-checksum-verify.1):
 *  1. "postgres://..." or "postgresql://..."   PostgreSQL;
 *  2. an existing file starting with "SQLite format 3\0" (or empty)
 *     SQLite; any other existing file (or a directory)  an archive;
 *  3. an empty string, or a name that is no file and contains '='
 *     PostgreSQL (a conninfo; "" is the default connection:
 *     DATABASE_URL, else the PG* variables);
 *  4. anything else  an archive (reading it then fails: no such file).
 */
enum ark_compare_kind ark_compare_argument_kind(const char *arg);

struct ark_compare_options {
	const char *source;
	const char *target;
	const char *schema;          /* PostgreSQL schema; default "public" */
	int jobs;                    /* scans at once; 0: CPUs */
	int keep_case;               /* as ark-transfer --keep-case */
	enum ark_date_numbers date_numbers; /* as ark-transfer */
	int deep;                    /* pg archives: recompute the digests */
	size_t max_diffs;            /* differing rows shown per table */
	int busy_timeout_ms;         /* SQLite sources' locks */
	const char *tmpdir;          /* private copies; NULL: $TMPDIR, /tmp */
	int progress;                /* draw progress on a terminal */
	size_t partition_rows;       /* rows per narrowing partition; 0: the
					default (2M); tests make it small */
};

enum ark_compare_diff_kind {
	ARK_COMPARE_CHANGED,  /* the key on both sides, other values */
	ARK_COMPARE_MISSING,  /* in SOURCE only (or more copies there) */
	ARK_COMPARE_EXTRA,    /* in TARGET only (or more copies there) */
};

struct ark_compare_column_diff {
	char *name;
	char *source;   /* the canonical text, escaped for showing */
	char *target;
};

struct ark_compare_diff {
	enum ark_compare_diff_kind kind;
	char *key;        /* "id=17, code='x'"; NULL without a key */
	char *row;        /* without a key: the line, escaped; else NULL */
	uint64_t source_copies;  /* without a key: copies on each side */
	uint64_t target_copies;
	size_t ncolumns;  /* CHANGED: the columns that differ */
	struct ark_compare_column_diff *columns;
};

enum ark_compare_status {
	ARK_COMPARE_EQUAL,
	ARK_COMPARE_DIFFERENT,
	ARK_COMPARE_ONLY_SOURCE,
	ARK_COMPARE_ONLY_TARGET,
};

struct ark_compare_table {
	char *name;                  /* the paired name */
	enum ark_compare_status status;
	int has_source, has_target;
	struct ark_digest source_digest; /* rows and sum */
	struct ark_digest target_digest;
	int source_digested, target_digested;
	char *problem;               /* why it cannot be equal beyond the
					rows (columns on one side only, a
					value that does not convert), or
					NULL */
	char *key;                   /* key columns "a, b", NULL: none */
	int narrowed;                /* differences were looked for */
	uint64_t changed, missing, extra; /* counted while narrowing */
	size_t ndiffs;
	struct ark_compare_diff *diffs;  /* the first max_diffs */
};

struct ark_compare_result {
	char *source;       /* as shown: the path, or conninfo sans password */
	char *target;
	const char *source_kind; /* "sqlite", "sqlite archive", "postgresql",
				    "pg archive" */
	const char *target_kind;
	size_t ntables;
	struct ark_compare_table *tables; /* sorted bytewise by name */
	size_t equal, different, only_source, only_target;
	uint64_t source_rows, target_rows;
	int compared;       /* every table was compared (no other error) */
	double seconds;
};

void ark_compare_options_init(struct ark_compare_options *options);

/*
 * Compare.  0 when every table is on both sides with equal row counts
 * and digests; ARK_ERR_MISMATCH otherwise (result says where), with a
 * one-line summary in err.  Other errors: ARK_ERR_PG_CONNECT/AUTH/QUERY,
 * ARK_ERR_READ/SOURCE (a SQLite side), ARK_ERR_READ/CORRUPT/UNSUPPORTED
 * (an archive), ARK_ERR_WRITE (a private copy), ARK_ERR_INTERRUPTED.
 * result is filled as far as the run got.
 */
int ark_compare_run(const struct ark_compare_options *options,
		    struct ark_compare_result *result, struct ark_error *err);
void ark_compare_result_free(struct ark_compare_result *result);

/*
 * The comparison for people (lib/front/compare_report.c): a line per
 * table (name, rows on each side, equal/DIFFERENT/only in ...), the
 * differences found, and a summary line.  Every name and value escaped.
 */
void ark_compare_report(FILE *out, const struct ark_compare_result *result);
/* The same as JSON fields; new reference. */
json_t *ark_compare_report_json(const struct ark_compare_result *result);

#endif
