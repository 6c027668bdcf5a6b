/*
 * compare.c - prove that two databases hold the same rows (ark/compare.h).
 *
 * The run: open both sides (a SQLite file, a sqlite archive's image in a
 * private temporary, a PostgreSQL connection, a pg archive's manifest),
 * pair their tables by name, decide per table the columns compared (in
 * one order for both sides), the types a SQLite side's values are
 * converted to and the key used to name differing rows; then digest every
 * side of every table, one job per (table, side), on `jobs` threads each
 * with its own SQLite connection (on a private consistent copy) and its
 * own PostgreSQL connection; then narrow every table whose digests differ
 * (see the header for the method).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <xxhash.h>

#include "ark/archive.h"
#include "ark/buf.h"
#include "ark/compare.h"
#include "ark/digest.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/manifest.h"
#include "ark/pg.h"
#include "ark/pgarchive.h"
#include "ark/pgtext.h"
#include "ark/plan.h"
#include "ark/profile.h"
#include "ark/progress.h"
#include "ark/rows.h"
#include "ark/sqlite_archive.h"
#include "ark/sqlite_schema.h"
#include "ark/sqlite_source.h"
#include "ark/text.h"
#include "ark/zio.h"

/*
 * Rows held per side in one narrowing partition (16 bytes each): 2M rows
 * keep both sides' lists at 64 MiB; a larger table is narrowed in
 * several partitions, one scan of both sides each.
 */
#define PARTITION_ROWS (2u * 1024u * 1024u)
/* Bytes of a value shown in a difference before it is cut. */
#define PREVIEW_BYTES 60
#define MAX_THREADS 64

enum side_type { SIDE_SQLITE, SIDE_PG, SIDE_PGARCHIVE };

/* A table of a PostgreSQL-like side (a live database or a pg archive). */
struct pg_table {
	char *name;
	size_t ncolumns;
	char **columns;
	char **types;               /* format_type() text */
	int *not_null;
	int *pk;                    /* position in the primary key, 0: none */
	size_t member;              /* pg archive: the member's index */
	struct ark_digest digest;   /* pg archive: the manifest's digest */
};

struct side {
	const char *label;          /* "SOURCE" or "TARGET" */
	const char *arg;
	enum side_type type;
	/* SQLite (a file, or a sqlite archive's image) */
	struct ark_sqlite_archive_image *image;
	struct ark_sqlite_source *source;
	sqlite3 *db;
	struct ark_sqlite_schema *schema;
	struct ark_profile *profile;
	struct ark_plan *plan;
	struct ark_sqlite_source_copy *copy;
	/* PostgreSQL */
	const char *conninfo;       /* NULL: DATABASE_URL or PG* */
	struct ark_pg *pg;          /* holds the exported snapshot open */
	char snapshot[64];          /* pg_export_snapshot(), or "" */
	/* PostgreSQL-like: the tables, sorted bytewise by name */
	size_t ntables;
	struct pg_table *tables;
	/* pg archive */
	struct ark_archive_reader *reader;
	pthread_mutex_t reader_lock;
	int reader_lock_ready;
};

struct pair {
	struct ark_compare_table *out;
	int present[2];
	/* SQLite sides: the table and its plan, columns in compared order */
	const struct ark_sqlite_table *st[2];
	struct ark_plan_table pt[2];
	struct ark_plan_column *plan_columns[2];
	/* PostgreSQL-like sides */
	struct pg_table *pgt[2];
	size_t ncolumns;            /* compared columns */
	const char **names[2];      /* each side's name of each column */
	const char **shown;         /* the names a difference shows */
	size_t nkeys;
	size_t *keys;               /* compared positions of the key */
	int comparable;             /* same columns: a side's digest and
				       rows can be set against the other's */
	struct ark_buf problem;
};

struct compare {
	const struct ark_compare_options *options;
	struct ark_compare_result *result;
	struct ark_pgtext_rules rules;
	const char *schema_name;
	struct side sides[2];
	size_t npairs;
	struct pair *pairs;
	struct ark_progress *progress;
	/* the jobs, shared with the workers */
	size_t njobs;
	struct job { size_t pair; int side; } *jobs; /* side -1: narrow */
	size_t next_job;
	pthread_mutex_t mutex;
	atomic_int failed;
	_Atomic uint64_t rows_done;
	int worker_code;
	struct ark_error worker_err;
};

struct worker {
	struct compare *c;
	sqlite3 *db[2];
	int own_db[2];
	struct ark_pg *pg[2];
	struct ark_buf buf;
	struct ark_buf scratch;
	struct ark_error err;
};

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int out_of_memory(struct ark_error *err)
{
	return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
}

/* ---- what an argument is ---- */

enum ark_compare_kind ark_compare_argument_kind(const char *arg)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat st;
	ssize_t got;
	int fd;

	if (strncmp(arg, "postgres://", 11) == 0 ||
	    strncmp(arg, "postgresql://", 13) == 0)
		return ARK_COMPARE_POSTGRESQL;
	if (arg[0] != '\0' && stat(arg, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return ARK_COMPARE_ARCHIVE;
		if (st.st_size == 0)
			return ARK_COMPARE_SQLITE;
		fd = open(arg, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ARK_COMPARE_ARCHIVE;
		got = read(fd, head, sizeof(head));
		close(fd);
		if (got == (ssize_t)sizeof(head) &&
		    memcmp(head, magic, sizeof(magic)) == 0)
			return ARK_COMPARE_SQLITE;
		return ARK_COMPARE_ARCHIVE;
	}
	if (arg[0] == '\0' || strchr(arg, '='))
		return ARK_COMPARE_POSTGRESQL;
	return ARK_COMPARE_ARCHIVE;
}

void ark_compare_options_init(struct ark_compare_options *options)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(options, 0, sizeof(*options));
	options->schema = "public";
	options->jobs = cpus > 0 ? (int)(cpus > MAX_THREADS ? MAX_THREADS
							     : cpus)
				 : 1;
	options->max_diffs = 10;
	options->busy_timeout_ms = 10000;
}

/* ---- PostgreSQL-like sides: their tables ---- */

static void pg_table_free(struct pg_table *t)
{
	for (size_t i = 0; i < t->ncolumns; i++) {
		free(t->columns[i]);
		free(t->types[i]);
	}
	free(t->columns);
	free(t->types);
	free(t->not_null);
	free(t->pk);
	free(t->name);
}

/* Add a table (name copied); its columns follow with add_column. */
static struct pg_table *add_table(struct side *side, const char *name)
{
	struct pg_table *grown, *t;

	grown = realloc(side->tables, (side->ntables + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	side->tables = grown;
	t = &side->tables[side->ntables];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	if (!t->name)
		return NULL;
	side->ntables++;
	ark_digest_init(&t->digest);
	return t;
}

static int add_column(struct pg_table *t, const char *name, const char *type,
		      int not_null, int pk)
{
	size_t n = t->ncolumns + 1;
	char **columns = realloc(t->columns, n * sizeof(*columns));

	if (!columns)
		return -1;
	t->columns = columns;
	columns = realloc(t->types, n * sizeof(*columns));
	if (!columns)
		return -1;
	t->types = columns;
	int *flags = realloc(t->not_null, n * sizeof(*flags));
	if (!flags)
		return -1;
	t->not_null = flags;
	flags = realloc(t->pk, n * sizeof(*flags));
	if (!flags)
		return -1;
	t->pk = flags;
	t->columns[t->ncolumns] = strdup(name);
	t->types[t->ncolumns] = strdup(type);
	t->not_null[t->ncolumns] = not_null;
	t->pk[t->ncolumns] = pk;
	t->ncolumns = n;
	if (!t->columns[n - 1] || !t->types[n - 1])
		return -1;
	return 0;
}

static int compare_table_names(const void *a, const void *b)
{
	return strcmp(((const struct pg_table *)a)->name,
		      ((const struct pg_table *)b)->name);
}

/* The ordinary and partitioned tables of the schema, with their columns
 * and primary keys (partitions are read through their parent). */
static int read_pg_catalog(struct compare *c, struct side *side,
			   struct ark_error *err)
{
	const char *params[1] = { c->schema_name };
	struct ark_pg_result *res = NULL;
	struct pg_table *t = NULL;
	int r, rc;

	rc = ark_pg_query(side->pg,
		"SELECT c.relname, a.attname, "
		"format_type(a.atttypid, a.atttypmod), a.attnotnull::int, "
		"coalesce((SELECT k.n FROM pg_catalog.pg_index i, "
		"unnest(i.indkey::int2[]) WITH ORDINALITY k(att, n) "
		"WHERE i.indrelid = c.oid AND i.indisprimary "
		"AND k.att = a.attnum), 0) "
		"FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
		"AND a.attnum > 0 AND NOT a.attisdropped "
		"WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') "
		"AND NOT c.relispartition "
		"ORDER BY c.relname COLLATE \"C\", a.attnum",
		1, params, &res, err);
	if (rc)
		goto cleanup;
	for (r = 0; r < ark_pg_result_rows(res); r++) {
		const char *name = ark_pg_result_value(res, r, 0);

		if (!t || strcmp(t->name, name) != 0) {
			if (!(t = add_table(side, name))) {
				rc = out_of_memory(err);
				goto cleanup;
			}
		}
		if (ark_pg_result_value(res, r, 1) == NULL)
			continue; /* a table without columns */
		if (add_column(t, ark_pg_result_value(res, r, 1),
			       ark_pg_result_value(res, r, 2),
			       atoi(ark_pg_result_value(res, r, 3)),
			       atoi(ark_pg_result_value(res, r, 4))) != 0) {
			rc = out_of_memory(err);
			goto cleanup;
		}
	}
	/* "C" order is bytewise: already sorted */
cleanup:
	ark_pg_result_free(res);
	return rc;
}

/* A pg archive's tables in the schema, from its manifest. */
static int read_archive_catalog(struct compare *c, struct side *side,
				struct ark_error *err)
{
	const struct ark_manifest *m = ark_archive_reader_manifest(side->reader);
	json_t *members = json_object_get(m->root, "members");
	size_t i, j;

	for (i = 0; i < m->member_count; i++) {
		const struct ark_member_info *member = &m->members[i];
		json_t *object = json_array_get(members, i);
		json_t *table = json_object_get(object, "table");
		json_t *columns = json_object_get(table, "columns");
		const char *schema, *name;
		struct pg_table *t;

		if (!member->has_digest || !table)
			continue;
		schema = json_string_value(json_object_get(table, "schema"));
		name = json_string_value(json_object_get(table, "name"));
		if (!schema || !name ||
		    strcmp(json_string_value(json_object_get(object, "path"))
				   ? json_string_value(
					     json_object_get(object, "path"))
				   : "",
			   member->path) != 0)
			return ark_error_set(err, ARK_ERR_CORRUPT, 0,
					     "%s: manifest member %zu has no "
					     "table name", side->arg, i);
		if (strcmp(schema, c->schema_name) != 0)
			continue;
		if (!(t = add_table(side, name)))
			return out_of_memory(err);
		t->member = i;
		t->digest = member->content_digest;
		for (j = 0; j < json_array_size(columns); j++) {
			json_t *col = json_array_get(columns, j);
			const char *cname =
				json_string_value(json_object_get(col, "name"));
			const char *ctype =
				json_string_value(json_object_get(col, "type"));

			if (!cname || !ctype)
				return ark_error_set(err, ARK_ERR_CORRUPT, 0,
						     "%s: manifest member %zu: "
						     "a column without name or "
						     "type", side->arg, i);
			if (add_column(t, cname, ctype, 0, 0) != 0)
				return out_of_memory(err);
		}
	}
	if (side->ntables)
		qsort(side->tables, side->ntables, sizeof(*side->tables),
		      compare_table_names);
	for (i = 1; i < side->ntables; i++)
		if (strcmp(side->tables[i - 1].name, side->tables[i].name) == 0)
			return ark_error_set(err, ARK_ERR_CORRUPT, 0,
					     "%s: the archive holds table "
					     "\"%s\".\"%s\" twice", side->arg,
					     c->schema_name,
					     side->tables[i].name);
	return 0;
}

/* ---- opening a side ---- */

/*
 * One view of a live database for every worker and every scan: the main
 * connection opens a REPEATABLE READ transaction and exports its
 * snapshot, which each worker's transaction adopts (as pg_dump -j does).
 * So the tables are compared as of one moment, and the narrowing reads
 * exactly the rows the digests read, while the application writes on.
 * A server that cannot export one (a standby before PostgreSQL 10...)
 * is read without: each table then as of its own scan, with a warning.
 */
static int export_snapshot(struct side *side, struct ark_error *err)
{
	struct ark_buf out = ARK_BUF_INIT;
	struct ark_error why = { 0 };
	int is_null = 0, rc;

	if ((rc = ark_pg_exec(side->pg, "BEGIN ISOLATION LEVEL REPEATABLE "
				       "READ READ ONLY", err)))
		return rc;
	rc = ark_pg_query_value(side->pg, "SELECT pg_export_snapshot()", 0,
				NULL, &out, &is_null, &why);
	if (rc == 0 && !is_null && out.len < sizeof(side->snapshot)) {
		memcpy(side->snapshot, out.data, out.len + 1);
	} else {
		ark_log(ARK_LOG_WARN, "%s: no snapshot shared by the workers "
			"(%s); each table is read as of its own scan",
			side->label, rc ? why.msg : "no snapshot id");
		rc = ark_pg_exec(side->pg, "ROLLBACK", err);
	}
	ark_buf_free(&out);
	return rc;
}

/* A sqlite archive: verified, its image in a private temporary
 * (ark/sqlite_archive.h), then read as a SQLite source. */
static int open_sqlite_archive(struct compare *c, struct side *side,
			       struct ark_error *err)
{
	int rc;

	rc = ark_sqlite_archive_image_from_reader(side->reader, side->arg,
						  c->options->tmpdir,
						  c->progress, &side->image,
						  err);
	ark_archive_reader_free(side->reader);
	side->reader = NULL;
	if (rc)
		return rc;
	return ark_sqlite_source_open(ark_sqlite_archive_image_path(side->image),
				      c->options->busy_timeout_ms,
				      &side->source, err);
}

static int open_side(struct compare *c, struct side *side, const char **kind,
		     char **shown, struct ark_error *err)
{
	struct ark_buf text = ARK_BUF_INIT;
	const struct ark_manifest *m;
	int rc = 0;

	switch (ark_compare_argument_kind(side->arg)) {
	case ARK_COMPARE_SQLITE:
		side->type = SIDE_SQLITE;
		*kind = "sqlite";
		rc = ark_sqlite_source_open(side->arg,
					    c->options->busy_timeout_ms,
					    &side->source, err);
		break;
	case ARK_COMPARE_POSTGRESQL:
		side->type = SIDE_PG;
		*kind = "postgresql";
		side->conninfo = side->arg[0] ? side->arg : NULL;
		rc = ark_pg_connect(side->conninfo, "ark-checksum-verify",
				    &side->pg, err);
		if (rc == 0) {
			*shown = strdup(ark_pg_safe_conninfo(side->pg));
			rc = export_snapshot(side, err);
		}
		if (rc == 0)
			rc = read_pg_catalog(c, side, err);
		break;
	case ARK_COMPARE_ARCHIVE:
		if ((rc = ark_archive_reader_open(side->arg, &side->reader,
						  err)))
			break;
		m = ark_archive_reader_manifest(side->reader);
		if (strcmp(m->kind, "sqlite") == 0) {
			side->type = SIDE_SQLITE;
			*kind = "sqlite archive";
			rc = open_sqlite_archive(c, side, err);
		} else if (strcmp(m->kind, "pg") == 0) {
			side->type = SIDE_PGARCHIVE;
			*kind = "pg archive";
			pthread_mutex_init(&side->reader_lock, NULL);
			side->reader_lock_ready = 1;
			rc = read_archive_catalog(c, side, err);
		} else {
			rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
					   "%s: archives of kind \"%s\" cannot "
					   "be compared", side->arg, m->kind);
		}
		break;
	}
	if (!*shown) {
		/* never a password, even when the connection failed */
		if (side->type == SIDE_PG)
			ark_pg_scrub_conninfo(side->arg, &text);
		else
			ark_buf_append_str(&text, side->arg);
		ark_buf_append_str(&text, "");
		*shown = ark_buf_take(&text);
	}
	ark_buf_free(&text);
	if (rc == 0 && side->type == SIDE_SQLITE) {
		side->db = ark_sqlite_source_db(side->source);
		rc = ark_sqlite_schema_read(side->db, &side->schema, err);
	}
	return rc;
}

static void close_side(struct side *side)
{
	size_t i;

	ark_pg_free(side->pg);
	for (i = 0; i < side->ntables; i++)
		pg_table_free(&side->tables[i]);
	free(side->tables);
	ark_sqlite_source_copy_free(side->copy);
	ark_plan_free(side->plan);
	ark_profile_free(side->profile);
	ark_sqlite_schema_free(side->schema);
	ark_sqlite_source_close(side->source);
	ark_sqlite_archive_image_free(side->image);
	ark_archive_reader_free(side->reader);
	if (side->reader_lock_ready)
		pthread_mutex_destroy(&side->reader_lock);
}

/* ---- plans: a SQLite side's names and types ---- */

static int make_plan(struct compare *c, struct side *side, int profile,
		     struct ark_error *err)
{
	struct ark_plan_options options;
	int rc;

	if (profile &&
	    (rc = ark_profile_scan(side->db, side->schema, &side->profile,
				   err)))
		return rc;
	memset(&options, 0, sizeof(options));
	options.keep_case = c->options->keep_case;
	options.rules = c->rules;
	options.any_width = 1; /* two SQLite sides may be wider than PG */
	return ark_plan_make(side->schema, side->profile, &options,
			     &side->plan, err);
}

/*
 * Point a SQLite side's plan at the other side's tables: their types
 * become the plan's (only columns of a type ark can convert into; the
 * others are left out, and the table's problem says so later).
 */
static int map_plan(struct side *sqlite_side, const struct side *pg_side,
		    struct ark_error *err)
{
	struct ark_pg_existing existing = { 0, NULL };
	struct ark_pgtype_spec spec;
	size_t i, j, n;
	int rc = 0;

	existing.tables = calloc(pg_side->ntables ? pg_side->ntables : 1,
				 sizeof(*existing.tables));
	if (!existing.tables)
		return out_of_memory(err);
	for (i = 0; i < pg_side->ntables; i++) {
		const struct pg_table *t = &pg_side->tables[i];
		struct ark_pg_existing_table *et = &existing.tables[i];

		existing.ntables++;
		et->name = t->name;
		et->columns = calloc(t->ncolumns ? t->ncolumns : 1,
				     sizeof(*et->columns));
		if (!et->columns) {
			rc = out_of_memory(err);
			goto cleanup;
		}
		for (j = n = 0; j < t->ncolumns; j++) {
			if (ark_pgtype_parse(t->types[j], &spec) != 0)
				continue;
			et->columns[n].name = t->columns[j];
			et->columns[n].format_type = t->types[j];
			et->columns[n].not_null = t->not_null[j];
			/* a column missing on the SQLite side is a
			 * difference to report, not a refusal */
			et->columns[n].has_default = 1;
			n++;
		}
		et->ncolumns = n;
	}
	rc = ark_plan_map_existing(sqlite_side->plan, &existing, 1, err);
cleanup:
	for (i = 0; i < existing.ntables; i++)
		free(existing.tables[i].columns);
	free(existing.tables);
	return rc;
}

/* ---- pairing ---- */

static const char *side_table_name(const struct side *side, size_t i)
{
	return side->type == SIDE_SQLITE ? side->plan->tables[i].name
					 : side->tables[i].name;
}

static size_t side_table_count(const struct side *side)
{
	return side->type == SIDE_SQLITE ? side->plan->ntables : side->ntables;
}

/* Plan tables are sorted by source name: an index sorted by plan name. */
static int sort_plan_names(const void *a, const void *b, void *context)
{
	const struct ark_plan *plan = context;

	return strcmp(plan->tables[*(const size_t *)a].name,
		      plan->tables[*(const size_t *)b].name);
}

static size_t *name_order(const struct side *side)
{
	size_t n = side_table_count(side), i;
	size_t *order = malloc((n ? n : 1) * sizeof(*order));

	if (!order)
		return NULL;
	for (i = 0; i < n; i++)
		order[i] = i;
	if (side->type == SIDE_SQLITE)
		qsort_r(order, n, sizeof(*order), sort_plan_names,
			side->plan);
	return order;
}

static void problem(struct pair *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void problem(struct pair *p, const char *fmt, ...)
{
	va_list ap;

	if (p->problem.len)
		ark_buf_append_str(&p->problem, "; ");
	va_start(ap, fmt);
	ark_buf_vappendf(&p->problem, fmt, ap);
	va_end(ap);
}

/* One compared column: position i on each side. */
struct colmap {
	size_t n;
	size_t *at[2]; /* plan column (SQLite) or table column (pg-like) */
};

/*
 * The compared columns of a pair, matched by name, in the order of the
 * reference side (a pg archive's when there is one: its member's lines
 * cannot be reordered for the manifest's digest).
 */
static int match_columns(struct compare *c, struct pair *p,
			 struct colmap *map, struct ark_error *err)
{
	size_t count[2], i, j, k;
	const char *name_i, *name_j;
	unsigned char *used = NULL;
	int ref = 0, other, skipped;

	for (k = 0; k < 2; k++)
		count[k] = c->sides[k].type == SIDE_SQLITE
				   ? p->pt[k].ncolumns
				   : p->pgt[k]->ncolumns;
	if (c->sides[1].type == SIDE_PGARCHIVE &&
	    c->sides[0].type != SIDE_PGARCHIVE)
		ref = 1;
	other = 1 - ref;
	map->n = 0;
	map->at[0] = calloc(count[ref] ? count[ref] : 1, sizeof(size_t));
	map->at[1] = calloc(count[ref] ? count[ref] : 1, sizeof(size_t));
	used = calloc(count[other] ? count[other] : 1, 1);
	if (!map->at[0] || !map->at[1] || !used) {
		free(used);
		return out_of_memory(err);
	}
	for (i = 0; i < count[ref]; i++) {
		skipped = 0;
		if (c->sides[ref].type == SIDE_SQLITE) {
			name_i = p->pt[ref].columns[i].name;
			skipped = p->pt[ref].columns[i].skipped;
		} else {
			name_i = p->pgt[ref]->columns[i];
		}
		for (j = 0; j < count[other]; j++) {
			name_j = c->sides[other].type == SIDE_SQLITE
					 ? p->pt[other].columns[j].name
					 : p->pgt[other]->columns[j];
			if (!used[j] && strcmp(name_i, name_j) == 0)
				break;
		}
		if (j == count[other]) {
			problem(p, "column \"%s\" only in %s", name_i,
				c->sides[ref].label);
			continue;
		}
		used[j] = 1;
		if (c->sides[other].type == SIDE_SQLITE)
			skipped |= p->pt[other].columns[j].skipped;
		if (skipped) {
			/* map_plan left it out: its type is not one a
			 * SQLite value converts into */
			problem(p, "column \"%s\": type %s cannot be "
				"compared", name_i,
				c->sides[ref].type == SIDE_SQLITE
					? p->pgt[other]->types[j]
					: p->pgt[ref]->types[i]);
			continue;
		}
		map->at[ref][map->n] = i;
		map->at[other][map->n] = j;
		map->n++;
	}
	for (j = 0; j < count[other]; j++)
		if (!used[j])
			problem(p, "column \"%s\" only in %s",
				c->sides[other].type == SIDE_SQLITE
					? p->pt[other].columns[j].name
					: p->pgt[other]->columns[j],
				c->sides[other].label);
	free(used);
	return 0;
}

/* The key: a SQLite side's primary key (or a unique key on NOT NULL
 * columns), else a live PostgreSQL side's primary key. */
static void choose_key(struct compare *c, struct pair *p,
		       const struct colmap *map,
		       const struct ark_plan_table *plan_tables[2])
{
	size_t k, u, i, j;

	for (k = 0; k < 2; k++) {
		const struct ark_plan_table *pt = plan_tables[k];

		if (c->sides[k].type != SIDE_SQLITE || !pt)
			continue;
		for (u = 0; u < pt->nuniques; u++) {
			const struct ark_plan_unique *un = &pt->uniques[u];
			int ok = !un->dropped;

			for (i = 0; i < un->ncolumns && ok; i++)
				ok = un->primary ||
				     pt->columns[un->columns[i]].not_null;
			if (!ok)
				continue;
			p->keys = calloc(un->ncolumns, sizeof(*p->keys));
			if (!p->keys)
				return;
			for (i = 0; i < un->ncolumns; i++) {
				for (j = 0; j < map->n; j++)
					if (map->at[k][j] == un->columns[i])
						break;
				if (j == map->n)
					break;
				p->keys[i] = j;
			}
			if (i == un->ncolumns) {
				p->nkeys = un->ncolumns;
				return;
			}
			free(p->keys);
			p->keys = NULL;
		}
		return;
	}
	for (k = 0; k < 2; k++) {
		const struct pg_table *t = p->pgt[k];
		size_t n = 0;

		if (c->sides[k].type != SIDE_PG)
			continue;
		for (i = 0; i < t->ncolumns; i++)
			n += t->pk[i] > 0;
		if (n == 0)
			continue;
		p->keys = calloc(n, sizeof(*p->keys));
		if (!p->keys)
			return;
		for (i = 0; i < t->ncolumns; i++) {
			if (t->pk[i] <= 0 || (size_t)t->pk[i] > n)
				continue;
			for (j = 0; j < map->n; j++)
				if (map->at[k][j] == i)
					break;
			if (j == map->n) {
				free(p->keys);
				p->keys = NULL;
				return;
			}
			p->keys[t->pk[i] - 1] = j;
		}
		p->nkeys = n;
		return;
	}
}

/* Columns of a pair: order, names, types, key. */
static int settle_pair(struct compare *c, struct pair *p,
		       struct ark_error *err)
{
	const struct ark_plan_table *plan_tables[2] = { NULL, NULL };
	struct colmap map = { 0, { NULL, NULL } };
	struct ark_buf key = ARK_BUF_INIT;
	size_t k, i;
	int rc;

	for (k = 0; k < 2; k++)
		if (c->sides[k].type == SIDE_SQLITE)
			plan_tables[k] = &p->pt[k];
	if ((rc = match_columns(c, p, &map, err)))
		goto cleanup;
	/* SQLite sides: the plan's columns in compared order; against
	 * another SQLite side, the first side's types on both */
	for (k = 0; k < 2; k++) {
		if (c->sides[k].type != SIDE_SQLITE)
			continue;
		p->plan_columns[k] = calloc(map.n ? map.n : 1,
					    sizeof(*p->plan_columns[k]));
		if (!p->plan_columns[k]) {
			rc = out_of_memory(err);
			goto cleanup;
		}
		for (i = 0; i < map.n; i++)
			p->plan_columns[k][i] = p->pt[k].columns[map.at[k][i]];
	}
	if (c->sides[0].type == SIDE_SQLITE && c->sides[1].type == SIDE_SQLITE)
		for (i = 0; i < map.n; i++)
			p->plan_columns[1][i].type = p->plan_columns[0][i].type;
	/* the key, while the plan tables still have their own columns */
	choose_key(c, p, &map, plan_tables);
	p->ncolumns = map.n;
	for (k = 0; k < 2; k++) {
		p->names[k] = calloc(map.n ? map.n : 1, sizeof(char *));
		if (!p->names[k]) {
			rc = out_of_memory(err);
			goto cleanup;
		}
		for (i = 0; i < map.n; i++)
			p->names[k][i] = c->sides[k].type == SIDE_SQLITE
				? p->pt[k].columns[map.at[k][i]].name
				: p->pgt[k]->columns[map.at[k][i]];
	}
	for (k = 0; k < 2; k++)
		if (c->sides[k].type == SIDE_SQLITE) {
			p->pt[k].columns = p->plan_columns[k];
			p->pt[k].ncolumns = map.n;
		}
	p->shown = p->names[c->sides[0].type == SIDE_SQLITE ? 1 : 0];
	p->comparable = p->problem.len == 0;
	/* a pg archive's digest covers its member's columns in order */
	for (k = 0; k < 2; k++)
		if (c->sides[k].type == SIDE_PGARCHIVE)
			for (i = 0; i < map.n; i++)
				if (map.at[k][i] != i) {
					problem(p, "columns in another order");
					p->comparable = 0;
					break;
				}
	if (p->nkeys) {
		for (i = 0; i < p->nkeys; i++) {
			if (i)
				ark_buf_append_str(&key, ", ");
			ark_buf_append_str(&key, p->shown[p->keys[i]]);
		}
		p->out->key = ark_buf_take(&key);
	}
	rc = 0;
cleanup:
	free(map.at[0]);
	free(map.at[1]);
	ark_buf_free(&key);
	return rc;
}

/* A table on one side only: all its columns, digested for its rows. */
static int settle_one_side(struct compare *c, struct pair *p, int k,
			   struct ark_error *err)
{
	size_t i, n = c->sides[k].type == SIDE_SQLITE ? p->pt[k].ncolumns
						      : p->pgt[k]->ncolumns;

	p->ncolumns = n;
	p->names[k] = calloc(n ? n : 1, sizeof(char *));
	if (!p->names[k])
		return out_of_memory(err);
	for (i = 0; i < n; i++)
		p->names[k][i] = c->sides[k].type == SIDE_SQLITE
					 ? p->pt[k].columns[i].name
					 : p->pgt[k]->columns[i];
	p->shown = p->names[k];
	return 0;
}

static int make_pairs(struct compare *c, struct ark_error *err)
{
	struct side *a = &c->sides[0], *b = &c->sides[1];
	size_t na = side_table_count(a), nb = side_table_count(b);
	size_t *oa = name_order(a), *ob = name_order(b);
	size_t i = 0, j = 0, n = 0, k;
	int rc = 0;

	c->pairs = calloc(na + nb + 1, sizeof(*c->pairs));
	c->result->tables = calloc(na + nb + 1, sizeof(*c->result->tables));
	if (!oa || !ob || !c->pairs || !c->result->tables) {
		rc = out_of_memory(err);
		goto cleanup;
	}
	while (i < na || j < nb) {
		struct pair *p = &c->pairs[n];
		struct ark_compare_table *t = &c->result->tables[n];
		int cmp;

		if (i == na)
			cmp = 1;
		else if (j == nb)
			cmp = -1;
		else
			cmp = strcmp(side_table_name(a, oa[i]),
				     side_table_name(b, ob[j]));
		p->out = t;
		ark_buf_init(&p->problem);
		p->present[0] = cmp <= 0;
		p->present[1] = cmp >= 0;
		t->name = strdup(cmp <= 0 ? side_table_name(a, oa[i])
					  : side_table_name(b, ob[j]));
		if (!t->name) {
			rc = out_of_memory(err);
			goto cleanup;
		}
		for (k = 0; k < 2; k++) {
			struct side *s = &c->sides[k];
			size_t at;

			ark_digest_init(k ? &t->target_digest
					  : &t->source_digest);
			if (!p->present[k])
				continue;
			/* only now: a side without the table is at its end */
			at = k == 0 ? oa[i] : ob[j];
			if (s->type == SIDE_SQLITE) {
				p->pt[k] = s->plan->tables[at];
				p->st[k] = &s->schema->tables[p->pt[k]
							      .source_index];
			} else {
				p->pgt[k] = &s->tables[at];
			}
		}
		t->has_source = p->present[0];
		t->has_target = p->present[1];
		if (cmp <= 0)
			i++;
		if (cmp >= 0)
			j++;
		n++;
		c->npairs = n;
		c->result->ntables = n;
		if (p->present[0] && p->present[1])
			rc = settle_pair(c, p, err);
		else
			rc = settle_one_side(c, p, p->present[0] ? 0 : 1, err);
		if (rc)
			goto cleanup;
	}
cleanup:
	free(oa);
	free(ob);
	return rc;
}

/* ---- scanning a side: its canonical lines ---- */

typedef int (*line_fn)(void *context, int side, const char *line,
		       size_t len, struct ark_error *err);

/* Lines out of chunks cut anywhere (a pg archive member) or at line
 * ends (SQLite, COPY TO). */
struct splitter {
	int side;
	int digest_on;
	struct ark_digest digest;
	line_fn fn;
	void *context;
	struct ark_buf partial;
	_Atomic uint64_t *progress;
	uint64_t rows;
};

static int split_line(struct splitter *sp, const char *line, size_t len,
		      struct ark_error *err)
{
	if (sp->digest_on)
		ark_digest_add_row(&sp->digest, line, len);
	if (sp->progress && ++sp->rows % 4096 == 0)
		atomic_fetch_add(sp->progress, 4096);
	return sp->fn ? sp->fn(sp->context, sp->side, line, len, err) : 0;
}

static int split_feed(void *context, const char *data, size_t len,
		      struct ark_error *err)
{
	struct splitter *sp = context;
	const char *end = data + len, *nl;
	int rc;

	while (data < end) {
		nl = memchr(data, '\n', (size_t)(end - data));
		if (!nl) {
			ark_buf_append(&sp->partial, data, (size_t)(end - data));
			break;
		}
		if (sp->partial.len) {
			ark_buf_append(&sp->partial, data, (size_t)(nl - data));
			if (ark_buf_failed(&sp->partial))
				return out_of_memory(err);
			rc = split_line(sp, sp->partial.data, sp->partial.len,
					err);
			ark_buf_reset(&sp->partial);
		} else {
			rc = split_line(sp, data, (size_t)(nl - data), err);
		}
		if (rc)
			return rc;
		data = nl + 1;
	}
	if (ark_buf_failed(&sp->partial))
		return out_of_memory(err);
	return 0;
}

static int split_write(void *context, const void *data, size_t len,
		       struct ark_error *err)
{
	return split_feed(context, data, len, err);
}

static int copy_sql(struct compare *c, const struct pair *p, int side,
		    struct ark_buf *sql, struct ark_error *err)
{
	size_t i;

	ark_buf_reset(sql);
	ark_buf_append_str(sql, "COPY (SELECT ");
	for (i = 0; i < p->ncolumns; i++) {
		if (i)
			ark_buf_append_str(sql, ", ");
		ark_pg_append_ident(sql, p->names[side][i]);
	}
	ark_buf_append_str(sql, " FROM ");
	ark_pg_append_qualified(sql, c->schema_name, p->pgt[side]->name);
	ark_buf_append_str(sql, ") TO STDOUT");
	return ark_buf_failed(sql) ? out_of_memory(err) : 0;
}

/*
 * Every line of one side of a pair, to fn (NULL: digest only); the
 * digest of the lines into *digest.
 */
static int scan_side(struct worker *w, struct pair *p, int side, line_fn fn,
		     void *context, struct ark_digest *digest,
		     struct ark_error *err)
{
	struct compare *c = w->c;
	struct side *s = &c->sides[side];
	struct splitter sp = { .side = side, .fn = fn, .context = context,
			       .partial = ARK_BUF_INIT,
			       .progress = fn ? NULL : &c->rows_done };
	int rc = 0;

	ark_digest_init(&sp.digest);
	switch (s->type) {
	case SIDE_SQLITE: {
		struct ark_rows_stream stream = {
			.db = w->db[side], .table = p->st[side],
			.plan = &p->pt[side], .rules = &c->rules,
			.sink = fn ? split_feed : NULL, .sink_context = &sp,
			.progress = fn ? NULL : &c->rows_done,
		};

		sp.progress = NULL;
		rc = ark_rows_stream(&stream, &w->buf, err);
		if (rc == 0)
			*digest = stream.digest;
		break;
	}
	case SIDE_PG:
		sp.digest_on = 1;
		if ((rc = copy_sql(c, p, side, &w->scratch, err)))
			break;
		rc = ark_pg_copy_out(w->pg[side], w->scratch.data, split_feed,
				     &sp, err);
		if (rc == 0)
			*digest = sp.digest;
		break;
	case SIDE_PGARCHIVE:
		sp.digest_on = 1;
		pthread_mutex_lock(&s->reader_lock);
		rc = ark_archive_extract_member(
			s->reader, p->pgt[side]->member,
			(struct ark_sink){ split_write, &sp }, NULL, err);
		pthread_mutex_unlock(&s->reader_lock);
		if (rc == 0 && sp.partial.len)
			rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
					   "%s: table \"%s\": the COPY text "
					   "does not end in a newline",
					   s->arg, p->pgt[side]->name);
		if (rc == 0)
			*digest = sp.digest;
		break;
	}
	if (sp.progress)
		atomic_fetch_add(sp.progress, sp.rows % 4096);
	ark_buf_free(&sp.partial);
	return rc;
}

/* ---- narrowing ---- */

struct entry {
	uint64_t key;   /* hash of the key's fields (the line without a key) */
	uint64_t line;  /* hash of the line */
};

struct selected {
	uint64_t key;
	enum ark_compare_diff_kind kind;
	uint64_t copies[2];
	char *line[2];
	size_t len[2];
};

struct narrow {
	struct compare *c;
	struct pair *p;
	uint64_t parts, part;
	struct entry *entries[2];
	size_t count[2], room[2];
	struct selected *sel;
	size_t nsel;
	struct ark_buf key;
};

/* The byte range of field i of a COPY text line. */
static int field_at(const char *line, size_t len, size_t i,
		    const char **start, size_t *flen)
{
	const char *at = line, *end = line + len, *tab;

	while (i--) {
		tab = memchr(at, '\t', (size_t)(end - at));
		if (!tab)
			return -1;
		at = tab + 1;
	}
	tab = memchr(at, '\t', (size_t)(end - at));
	*start = at;
	*flen = (size_t)((tab ? tab : end) - at);
	return 0;
}

static uint64_t key_hash(struct narrow *n, const char *line, size_t len)
{
	const struct pair *p = n->p;
	const char *f;
	size_t flen, i;

	if (p->nkeys == 0)
		return XXH3_64bits(line, len);
	ark_buf_reset(&n->key);
	for (i = 0; i < p->nkeys; i++) {
		if (i)
			ark_buf_append_char(&n->key, '\t');
		if (field_at(line, len, p->keys[i], &f, &flen) == 0)
			ark_buf_append(&n->key, f, flen);
	}
	return XXH3_64bits(n->key.data ? n->key.data : "", n->key.len);
}

static int collect_line(void *context, int side, const char *line,
			size_t len, struct ark_error *err)
{
	struct narrow *n = context;
	struct entry e;

	e.key = key_hash(n, line, len);
	if (ark_buf_failed(&n->key))
		return out_of_memory(err);
	if (n->parts > 1 && e.key % n->parts != n->part)
		return 0;
	e.line = n->p->nkeys ? XXH3_64bits(line, len) : e.key;
	if (n->count[side] == n->room[side]) {
		size_t room = n->room[side] ? n->room[side] * 2 : 4096;
		struct entry *grown =
			realloc(n->entries[side], room * sizeof(*grown));

		if (!grown)
			return out_of_memory(err);
		n->entries[side] = grown;
		n->room[side] = room;
	}
	n->entries[side][n->count[side]++] = e;
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return 0;
}

static int select_diff(struct narrow *n, uint64_t key,
		       enum ark_compare_diff_kind kind, uint64_t a,
		       uint64_t b)
{
	struct ark_compare_table *t = n->p->out;
	struct selected *s;

	if (kind == ARK_COMPARE_CHANGED)
		t->changed++;
	else if (kind == ARK_COMPARE_MISSING)
		t->missing++;
	else
		t->extra++;
	if (n->nsel >= n->c->options->max_diffs)
		return 0;
	s = &n->sel[n->nsel++];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->kind = kind;
	s->copies[0] = a;
	s->copies[1] = b;
	return 0;
}

/* Merge the two sorted lists of this partition. */
static void merge(struct narrow *n)
{
	const struct entry *ea = n->entries[0], *eb = n->entries[1];
	size_t i = 0, j = 0, i2, j2, x;

	while (i < n->count[0] || j < n->count[1]) {
		uint64_t key;

		if (j == n->count[1] ||
		    (i < n->count[0] && ea[i].key < eb[j].key))
			key = ea[i].key;
		else
			key = eb[j].key;
		for (i2 = i; i2 < n->count[0] && ea[i2].key == key; i2++)
			;
		for (j2 = j; j2 < n->count[1] && eb[j2].key == key; j2++)
			;
		if (i2 == i)
			select_diff(n, key, ARK_COMPARE_EXTRA, 0, j2 - j);
		else if (j2 == j)
			select_diff(n, key, ARK_COMPARE_MISSING, i2 - i, 0);
		else if (n->p->nkeys == 0) {
			if (i2 - i != j2 - j)
				select_diff(n, key,
					    i2 - i > j2 - j ? ARK_COMPARE_MISSING
							    : ARK_COMPARE_EXTRA,
					    i2 - i, j2 - j);
		} else {
			int same = i2 - i == j2 - j;

			for (x = 0; same && x < i2 - i; x++)
				same = ea[i + x].line == eb[j + x].line;
			if (!same)
				select_diff(n, key, ARK_COMPARE_CHANGED,
					    i2 - i, j2 - j);
		}
		i = i2;
		j = j2;
	}
}

static int compare_selected_keys(const void *a, const void *b)
{
	const struct selected *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int fetch_line(void *context, int side, const char *line, size_t len,
		      struct ark_error *err)
{
	struct narrow *n = context;
	struct selected probe, *s;

	probe.key = key_hash(n, line, len);
	s = bsearch(&probe, n->sel, n->nsel, sizeof(*s),
		    compare_selected_keys);
	if (!s || s->line[side])
		return 0;
	s->line[side] = malloc(len + 1);
	if (!s->line[side])
		return out_of_memory(err);
	memcpy(s->line[side], line, len);
	s->line[side][len] = '\0';
	s->len[side] = len;
	return 0;
}

/* -12, 3.25, 1e+100: shown without quotes. */
static int looks_numeric(const char *text, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && text[i] == '-')
		i++;
	for (; i < len && text[i] >= '0' && text[i] <= '9'; i++)
		digits++;
	if (i < len && text[i] == '.')
		for (i++; i < len && text[i] >= '0' && text[i] <= '9'; i++)
			digits++;
	if (digits && i < len && text[i] == 'e') {
		i++;
		if (i < len && (text[i] == '+' || text[i] == '-'))
			i++;
		if (i == len)
			return 0;
		while (i < len && text[i] >= '0' && text[i] <= '9')
			i++;
	}
	return digits > 0 && i == len;
}

/* A value for people: NULL, a bare number, or 'text' cut and escaped. */
static char *preview(const char *field, size_t len)
{
	struct ark_buf raw = ARK_BUF_INIT;
	char *shown;
	size_t cut = len, room;
	int number;

	if (len == 2 && memcmp(field, "\\N", 2) == 0)
		return strdup("NULL");
	number = looks_numeric(field, len);
	if (cut > PREVIEW_BYTES) {
		cut = PREVIEW_BYTES;
		/* on a UTF-8 character boundary */
		while (cut > 0 && ((unsigned char)field[cut] & 0xc0) == 0x80)
			cut--;
	}
	if (!number)
		ark_buf_append_char(&raw, '\'');
	ark_buf_append(&raw, field, cut);
	if (!number)
		ark_buf_append_char(&raw, '\'');
	if (cut < len)
		ark_buf_appendf(&raw, "... (%zu bytes)", len);
	if (ark_buf_failed(&raw)) {
		ark_buf_free(&raw);
		return NULL;
	}
	room = raw.len * 4 + 1;
	shown = malloc(room);
	if (shown)
		ark_text_escape(raw.data, shown, room);
	ark_buf_free(&raw);
	return shown;
}

static char *key_text(const struct pair *p, const char *line, size_t len)
{
	struct ark_buf text = ARK_BUF_INIT;
	const char *f;
	size_t flen, i;
	char *value;

	for (i = 0; i < p->nkeys; i++) {
		if (field_at(line, len, p->keys[i], &f, &flen) != 0)
			f = "", flen = 0;
		value = preview(f, flen);
		ark_buf_appendf(&text, "%s%s=%s", i ? ", " : "",
				p->shown[p->keys[i]], value ? value : "");
		free(value);
	}
	return ark_buf_take(&text);
}

/* A whole row for people: ('a', 2, NULL). */
static char *row_text(const struct pair *p, const char *line, size_t len)
{
	struct ark_buf text = ARK_BUF_INIT;
	const char *f;
	size_t flen, i;
	char *value;

	ark_buf_append_char(&text, '(');
	for (i = 0; i < p->ncolumns; i++) {
		if (field_at(line, len, i, &f, &flen) != 0)
			f = "", flen = 0;
		value = preview(f, flen);
		ark_buf_appendf(&text, "%s%s", i ? ", " : "",
				value ? value : "");
		free(value);
	}
	ark_buf_append_char(&text, ')');
	return ark_buf_take(&text);
}

static int build_diffs(struct narrow *n, struct ark_error *err)
{
	struct ark_compare_table *t = n->p->out;
	const struct pair *p = n->p;
	size_t i, col;

	t->diffs = calloc(n->nsel ? n->nsel : 1, sizeof(*t->diffs));
	if (!t->diffs)
		return out_of_memory(err);
	for (i = 0; i < n->nsel; i++) {
		struct selected *s = &n->sel[i];
		struct ark_compare_diff *d = &t->diffs[t->ndiffs];
		int from = s->line[0] ? 0 : 1;

		if (!s->line[from])
			continue; /* changed under our feet */
		t->ndiffs++;
		d->kind = s->kind;
		d->source_copies = s->copies[0];
		d->target_copies = s->copies[1];
		if (p->nkeys == 0) {
			d->row = row_text(p, s->line[from], s->len[from]);
			continue;
		}
		d->key = key_text(p, s->line[from], s->len[from]);
		if (s->kind != ARK_COMPARE_CHANGED || !s->line[1] ||
		    !s->line[0])
			continue;
		d->columns = calloc(p->ncolumns ? p->ncolumns : 1,
				    sizeof(*d->columns));
		if (!d->columns)
			return out_of_memory(err);
		for (col = 0; col < p->ncolumns; col++) {
			const char *fa = "", *fb = "";
			size_t la = 0, lb = 0;
			struct ark_compare_column_diff *cd;

			field_at(s->line[0], s->len[0], col, &fa, &la);
			field_at(s->line[1], s->len[1], col, &fb, &lb);
			if (la == lb && memcmp(fa, fb, la) == 0)
				continue;
			cd = &d->columns[d->ncolumns++];
			cd->name = strdup(p->shown[col]);
			cd->source = preview(fa, la);
			cd->target = preview(fb, lb);
		}
	}
	return 0;
}

/* Display order: by key values, numbers as numbers. */
static int compare_diffs(const void *a, const void *b)
{
	const struct ark_compare_diff *x = a, *y = b;
	const char *kx = x->key ? x->key : x->row ? x->row : "";
	const char *ky = y->key ? y->key : y->row ? y->row : "";

	return strverscmp(kx, ky);
}

static int narrow_table(struct worker *w, struct pair *p,
			struct ark_error *err)
{
	struct narrow n = { .c = w->c, .p = p, .key = ARK_BUF_INIT };
	struct ark_digest ignored;
	uint64_t rows = p->out->source_digest.rows;
	size_t i;
	int k, rc = 0;

	if (p->out->target_digest.rows > rows)
		rows = p->out->target_digest.rows;
	n.parts = rows / (w->c->options->partition_rows
				  ? w->c->options->partition_rows
				  : PARTITION_ROWS) + 1;
	n.sel = calloc(w->c->options->max_diffs + 1, sizeof(*n.sel));
	if (!n.sel)
		return out_of_memory(err);
	for (n.part = 0; n.part < n.parts; n.part++) {
		for (k = 0; k < 2; k++) {
			n.count[k] = 0;
			if ((rc = scan_side(w, p, k, collect_line, &n,
					    &ignored, err)))
				goto cleanup;
			if (n.count[k])
				qsort(n.entries[k], n.count[k],
				      sizeof(struct entry), compare_entries);
		}
		merge(&n);
	}
	for (k = 0; k < 2; k++) {
		free(n.entries[k]);
		n.entries[k] = NULL;
	}
	p->out->narrowed = 1;
	if (n.nsel) {
		qsort(n.sel, n.nsel, sizeof(*n.sel), compare_selected_keys);
		for (k = 0; k < 2; k++)
			if ((rc = scan_side(w, p, k, fetch_line, &n, &ignored,
					    err)))
				goto cleanup;
		if ((rc = build_diffs(&n, err)))
			goto cleanup;
		qsort(p->out->diffs, p->out->ndiffs, sizeof(*p->out->diffs),
		      compare_diffs);
	}
cleanup:
	for (k = 0; k < 2; k++)
		free(n.entries[k]);
	for (i = 0; i < n.nsel; i++) {
		free(n.sel[i].line[0]);
		free(n.sel[i].line[1]);
	}
	free(n.sel);
	ark_buf_free(&n.key);
	return rc;
}

/* ---- workers ---- */

static int worker_failed(struct worker *w, int rc)
{
	struct compare *c = w->c;

	pthread_mutex_lock(&c->mutex);
	if (!c->worker_code) {
		c->worker_code = rc;
		c->worker_err = w->err;
	}
	pthread_mutex_unlock(&c->mutex);
	atomic_store(&c->failed, 1);
	return rc;
}

static int worker_side(struct worker *w, int side, struct ark_error *err)
{
	struct side *s = &w->c->sides[side];
	int rc;

	if (s->type == SIDE_SQLITE && !w->db[side]) {
		if (s->copy) {
			if ((rc = ark_sqlite_source_copy_open(s->copy,
							      &w->db[side],
							      err)))
				return rc;
			w->own_db[side] = 1;
		} else {
			w->db[side] = s->db;
		}
	}
	if (s->type == SIDE_PG && !w->pg[side]) {
		if ((rc = ark_pg_connect(s->conninfo, "ark-checksum-verify",
					 &w->pg[side], err)))
			return rc;
		if (s->snapshot[0]) {
			ark_buf_reset(&w->scratch);
			ark_buf_append_str(&w->scratch,
					   "BEGIN ISOLATION LEVEL REPEATABLE "
					   "READ READ ONLY; SET TRANSACTION "
					   "SNAPSHOT ");
			ark_pg_append_literal(&w->scratch, s->snapshot);
			if (ark_buf_failed(&w->scratch))
				return out_of_memory(err);
			return ark_pg_exec(w->pg[side], w->scratch.data, err);
		}
	}
	return 0;
}

/* A side of a table that the other side's values cannot match (a value
 * that does not convert to its column's type): the table differs. */
static int side_failed(struct compare *c, struct pair *p, int side,
		       struct ark_error *err)
{
	pthread_mutex_lock(&c->mutex);
	problem(p, "%s: %s", c->sides[side].label, err->msg);
	p->comparable = 0;
	pthread_mutex_unlock(&c->mutex);
	ark_error_clear(err);
	return 0;
}

static int run_job(struct worker *w, const struct job *job,
		   struct ark_error *err)
{
	struct compare *c = w->c;
	struct pair *p = &c->pairs[job->pair];
	struct ark_digest digest;
	int k, rc;

	if (job->side >= 0) {
		if ((rc = worker_side(w, job->side, err)))
			return rc;
		rc = scan_side(w, p, job->side, NULL, NULL, &digest, err);
		if (rc == ARK_ERR_UNCONVERTIBLE)
			return side_failed(c, p, job->side, err);
		if (rc) {
			if (rc != ARK_ERR_INTERRUPTED)
				ark_error_prefix(err, "%s, table \"%s\"",
						 c->sides[job->side].label,
						 p->out->name);
			return rc;
		}
		if (job->side == 0) {
			p->out->source_digest = digest;
			p->out->source_digested = 1;
		} else {
			p->out->target_digest = digest;
			p->out->target_digested = 1;
		}
		return 0;
	}
	for (k = 0; k < 2; k++)
		if ((rc = worker_side(w, k, err)))
			return rc;
	rc = narrow_table(w, p, err);
	if (rc == ARK_ERR_UNCONVERTIBLE)
		return side_failed(c, p, 0, err);
	if (rc && rc != ARK_ERR_INTERRUPTED)
		ark_error_prefix(err, "narrowing table \"%s\"", p->out->name);
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker w = { .c = arg, .buf = ARK_BUF_INIT,
			    .scratch = ARK_BUF_INIT };
	struct compare *c = w.c;
	size_t next;
	int k, rc;

	ark_error_clear(&w.err);
	for (;;) {
		if (atomic_load(&c->failed) || ark_fsio_interrupted())
			break;
		pthread_mutex_lock(&c->mutex);
		next = c->next_job < c->njobs ? c->next_job++ : SIZE_MAX;
		pthread_mutex_unlock(&c->mutex);
		if (next == SIZE_MAX)
			break;
		if ((rc = run_job(&w, &c->jobs[next], &w.err))) {
			worker_failed(&w, rc);
			break;
		}
	}
	for (k = 0; k < 2; k++) {
		if (w.own_db[k])
			sqlite3_close(w.db[k]);
		ark_pg_free(w.pg[k]);
	}
	ark_buf_free(&w.buf);
	ark_buf_free(&w.scratch);
	return NULL;
}

/* Run the queued jobs on up to jobs threads; first error wins. */
static int run_jobs(struct compare *c, struct ark_error *err)
{
	pthread_t threads[MAX_THREADS];
	size_t nthreads = (size_t)(c->options->jobs > 0 ? c->options->jobs : 1);
	size_t i, started = 0;
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int rc = 0, k;

	if (c->njobs == 0)
		return 0;
	if (nthreads > c->njobs)
		nthreads = c->njobs;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	for (k = 0; k < 2; k++)
		if (!c->sides[k].copy && c->sides[k].type == SIDE_SQLITE &&
		    nthreads > 1)
			nthreads = 1; /* one reader: the main transaction */
	c->next_job = 0;
	atomic_store(&c->failed, 0);
	c->worker_code = 0;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&threads[i], NULL, worker_main, c) != 0) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "cannot start a worker thread");
			atomic_store(&c->failed, 1);
			break;
		}
		started++;
	}
	for (;;) {
		pthread_mutex_lock(&c->mutex);
		int finished = c->next_job >= c->njobs ||
			       atomic_load(&c->failed);
		pthread_mutex_unlock(&c->mutex);
		ark_progress_update(c->progress, atomic_load(&c->rows_done));
		if (finished || ark_fsio_interrupted())
			break;
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (rc == 0 && c->worker_code) {
		*err = c->worker_err;
		rc = c->worker_code;
	}
	if (rc == 0)
		rc = ark_fsio_check_interrupt(err);
	return rc;
}

/* ---- the run ---- */

static int queue_digests(struct compare *c, struct ark_error *err)
{
	size_t i;
	int k;

	c->jobs = calloc(c->npairs * 2 + 1, sizeof(*c->jobs));
	if (!c->jobs)
		return out_of_memory(err);
	c->njobs = 0;
	for (i = 0; i < c->npairs; i++) {
		struct pair *p = &c->pairs[i];

		for (k = 0; k < 2; k++) {
			if (!p->present[k])
				continue;
			if (c->sides[k].type == SIDE_PGARCHIVE &&
			    (!c->options->deep || !p->comparable)) {
				/* the manifest's digest, checked when the
				 * archive was opened (the hash of the
				 * manifest); --deep recomputes it */
				if (k == 0) {
					p->out->source_digest =
						p->pgt[k]->digest;
					p->out->source_digested = 1;
				} else {
					p->out->target_digest =
						p->pgt[k]->digest;
					p->out->target_digested = 1;
				}
				continue;
			}
			c->jobs[c->njobs++] = (struct job){ i, k };
		}
	}
	return 0;
}

static void settle_results(struct compare *c)
{
	struct ark_compare_result *r = c->result;
	size_t i;

	r->equal = r->different = r->only_source = r->only_target = 0;
	for (i = 0; i < c->npairs; i++) {
		struct pair *p = &c->pairs[i];
		struct ark_compare_table *t = p->out;

		if (p->problem.len && !t->problem)
			t->problem = strdup(p->problem.data);
		r->source_rows += t->source_digest.rows;
		r->target_rows += t->target_digest.rows;
		if (!p->present[1]) {
			t->status = ARK_COMPARE_ONLY_SOURCE;
			r->only_source++;
		} else if (!p->present[0]) {
			t->status = ARK_COMPARE_ONLY_TARGET;
			r->only_target++;
		} else if (p->problem.len || !t->source_digested ||
			   !t->target_digested ||
			   !ark_digest_equal(&t->source_digest,
					     &t->target_digest)) {
			t->status = ARK_COMPARE_DIFFERENT;
			r->different++;
		} else {
			t->status = ARK_COMPARE_EQUAL;
			r->equal++;
		}
	}
}

static int compare_all(struct compare *c, struct ark_error *err)
{
	const struct ark_compare_options *o = c->options;
	struct ark_compare_result *r = c->result;
	size_t i;
	int k, rc;

	c->sides[0].label = "SOURCE";
	c->sides[1].label = "TARGET";
	c->sides[0].arg = o->source;
	c->sides[1].arg = o->target;
	for (k = 0; k < 2; k++)
		if ((rc = open_side(c, &c->sides[k],
				    k ? &r->target_kind : &r->source_kind,
				    k ? &r->target : &r->source, err)))
			return rc;
	/* plans: names for a SQLite side; its types from the other side */
	if (c->sides[0].type == SIDE_SQLITE &&
	    c->sides[1].type == SIDE_SQLITE) {
		if ((rc = make_plan(c, &c->sides[0], 1, err)) ||
		    (rc = make_plan(c, &c->sides[1], 0, err)))
			return rc;
	} else {
		for (k = 0; k < 2; k++) {
			if (c->sides[k].type != SIDE_SQLITE)
				continue;
			if ((rc = make_plan(c, &c->sides[k], 0, err)) ||
			    (rc = map_plan(&c->sides[k], &c->sides[1 - k],
					   err)))
				return rc;
		}
	}
	if ((rc = make_pairs(c, err)) || (rc = queue_digests(c, err)))
		return rc;

	/* private copies for parallel readers */
	if (o->jobs > 1 && c->njobs > 1)
		for (k = 0; k < 2; k++)
			if (c->sides[k].type == SIDE_SQLITE &&
			    (rc = ark_sqlite_source_copy(c->sides[k].source,
							 o->tmpdir,
							 &c->sides[k].copy,
							 err)))
				return rc;
	ark_progress_phase(c->progress, "compare", 0, "rows");
	if ((rc = run_jobs(c, err)))
		return rc;

	/* narrow every table that differs in its rows */
	c->njobs = 0;
	for (i = 0; i < c->npairs; i++) {
		struct pair *p = &c->pairs[i];
		struct ark_compare_table *t = p->out;

		if (!p->present[0] || !p->present[1] || !p->comparable ||
		    !t->source_digested || !t->target_digested ||
		    ark_digest_equal(&t->source_digest, &t->target_digest) ||
		    o->max_diffs == 0)
			continue;
		c->jobs[c->njobs++] = (struct job){ i, -1 };
	}
	ark_progress_phase(c->progress, "narrow down", 0, "rows");
	if ((rc = run_jobs(c, err)))
		return rc;
	settle_results(c);
	r->compared = 1;
	return 0;
}

int ark_compare_run(const struct ark_compare_options *options,
		    struct ark_compare_result *result, struct ark_error *err)
{
	struct compare c;
	struct timespec start;
	size_t i;
	int rc, k;

	memset(result, 0, sizeof(*result));
	memset(&c, 0, sizeof(c));
	clock_gettime(CLOCK_MONOTONIC, &start);
	c.options = options;
	c.result = result;
	c.rules.date_numbers = options->date_numbers;
	/* what --data-only does for an existing timestamptz column: a
	 * date-time without a zone is UTC (ark-transfer refuses such values
	 * in a column it plans as timestamptz, so this changes nothing for
	 * a database it loaded) */
	c.rules.unzoned_as_utc = 1;
	c.schema_name = options->schema && options->schema[0]
				? options->schema
				: "public";
	pthread_mutex_init(&c.mutex, NULL);
	c.progress = ark_progress_new("open", 0, options->progress);

	rc = compare_all(&c, err);
	if (rc == 0 && (result->different || result->only_source ||
			result->only_target))
		rc = ark_error_set(err, ARK_ERR_MISMATCH, 0,
				   "SOURCE and TARGET differ: %zu of %zu "
				   "table%s (%zu different, %zu only in "
				   "SOURCE, %zu only in TARGET)",
				   result->different + result->only_source +
					   result->only_target,
				   result->ntables,
				   result->ntables == 1 ? "" : "s",
				   result->different, result->only_source,
				   result->only_target);

	ark_progress_free(c.progress);
	for (i = 0; i < c.npairs; i++) {
		struct pair *p = &c.pairs[i];

		for (k = 0; k < 2; k++) {
			free(p->plan_columns[k]);
			free(p->names[k]);
		}
		free(p->keys);
		ark_buf_free(&p->problem);
	}
	free(c.pairs);
	free(c.jobs);
	for (k = 0; k < 2; k++)
		close_side(&c.sides[k]);
	pthread_mutex_destroy(&c.mutex);
	result->seconds = seconds_since(&start);
	return rc;
}

void ark_compare_result_free(struct ark_compare_result *result)
{
	size_t i, j, k;

	if (!result)
		return;
	for (i = 0; i < result->ntables; i++) {
		struct ark_compare_table *t = &result->tables[i];

		for (j = 0; j < t->ndiffs; j++) {
			struct ark_compare_diff *d = &t->diffs[j];

			for (k = 0; k < d->ncolumns; k++) {
				free(d->columns[k].name);
				free(d->columns[k].source);
				free(d->columns[k].target);
			}
			free(d->columns);
			free(d->key);
			free(d->row);
		}
		free(t->diffs);
		free(t->name);
		free(t->problem);
		free(t->key);
	}
	free(result->tables);
	free(result->source);
	free(result->target);
	memset(result, 0, sizeof(*result));
}
