/*
 * pgbackup.c - ark-pg-backup: a live database into a repository
 * (ark/pgbackup.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/archive_name.h"
#include "ark/buf.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/pg.h"
#include "ark/pgarchive.h"
#include "ark/pgbackup.h"
#include "ark/pgsnapshot.h"
#include "ark/pool.h"
#include "ark/text.h"
#include "ark/verify.h"
#include "pg/pgdump_internal.h"

#define APPLICATION "ark-pg-backup"
/* pre-data or post-data SQL held in memory (ark-restore reads 256 MiB) */
#define SCHEMA_SQL_MAX (192u * 1024u * 1024u)
#define STEM_MAX 128
#define JOBS_MAX 256
/*
 * A role's or database's timeouts must not end a backup midway (as
 * pg_dump does): the exporting transaction stays idle while the workers
 * copy, and a large table's COPY is one long statement.
 */
#define NO_TIMEOUTS                                                        \
	"SET statement_timeout = 0; SET lock_timeout = 0; "                \
	"SET idle_in_transaction_session_timeout = 0"

struct table {
	char *schema;
	char *name;
	struct ark_pgarchive_column *columns;
	size_t column_count;
	struct backup *b;
	uint64_t rows;
};

struct slot {
	struct ark_pg *pg;
	int busy;
};

struct backup {
	const struct ark_pgbackup_options *options;
	struct ark_pgbackup_result *result;
	const char *conninfo;
	struct ark_pg *pg; /* holds the exported snapshot */
	char snapshot[ARK_PGSNAPSHOT_ID_MAX];
	struct ark_pgdump dump;
	struct ark_pgarchive *archive;
	struct table *tables;
	size_t table_count;
	struct ark_buf setvals;  /* SELECT pg_catalog.setval(...); lines */
	struct ark_buf pre_sql;
	struct ark_buf lo_sql;   /* the large objects' data */
	struct ark_buf post_sql;
	pthread_mutex_t mutex;
	struct slot slots[JOBS_MAX];
	char stem[STEM_MAX];
	char dir[4096];
	int64_t name_ms;
};

void ark_pgbackup_options_init(struct ark_pgbackup_options *options)
{
	memset(options, 0, sizeof(*options));
	options->jobs = 2;
	options->level = 3;
	options->large_objects = 1;
}

static int oom(struct ark_error *err)
{
	return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
}

static int64_t clock_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- the repository ---- */

/*
 * The archives' name stem: the database name, bytes other than ASCII
 * letters, digits, '_', '-' and '.' (and a leading '.') as '_', cut to
 * 100 bytes; "postgres" for an empty name.
 */
static void make_stem(const char *database, char *out, size_t room)
{
	size_t i, n = 0;

	for (i = 0; database[i] && n < 100 && n + 1 < room; i++) {
		unsigned char c = (unsigned char)database[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '-' ||
			 (c == '.' && n > 0);

		out[n++] = ok ? (char)c : '_';
	}
	out[n] = '\0';
	if (n == 0)
		snprintf(out, room, "postgres");
}

static int format_name(const struct backup *b, int64_t ms, char *out,
		       size_t room)
{
	char stamp[17];
	int len;

	ark_fsio_utc_stamp(stamp, ms / 1000);
	len = snprintf(out, room, "%s/%s-%.15s.%03dZ.ark", b->dir, b->stem,
		       stamp, (int)(ms % 1000));
	return len < 0 || (size_t)len >= room ? -1 : 0;
}

/* The archive writer's hook for a name taken at rename time. */
static int next_name(void *ctx, char *path, size_t room)
{
	struct backup *b = ctx;

	b->name_ms++;
	return format_name(b, b->name_ms, path, room);
}

static struct ark_retention_entry *add_entry(struct ark_pgbackup_result *res,
					     const char *name)
{
	return ark_retention_entry_add(&res->entries, &res->entry_count, name);
}

/*
 * Temporaries of an archive of this repository: ".<stem>-<stamp>.ark"
 * followed by ".ark-tmp-XXXXXX" (the archive) or
 * ".spool.ark-tmp-XXXXXX" and the like (a named spool).
 */
static int is_leftover(const char *name, const char *stem)
{
	size_t stem_len = strlen(stem);

	return name[0] == '.' && strncmp(name + 1, stem, stem_len) == 0 &&
	       name[1 + stem_len] == '-' && strstr(name, ".ark-tmp-") != NULL;
}

/* With the lock held no run is alive: a temporary is a dead run's. */
static int remove_leftovers(struct backup *b, struct ark_error *err)
{
	DIR *dir = opendir(b->dir);
	struct dirent *de;
	char path[4096 + 512];

	if (!dir)
		return ark_error_set(err, ARK_ERR_WRITE, errno,
				     "cannot list '%s'", b->dir);
	while ((de = readdir(dir)) != NULL) {
		struct ark_retention_entry *e;

		if (!is_leftover(de->d_name, b->stem))
			continue;
		snprintf(path, sizeof(path), "%s/%s", b->dir, de->d_name);
		if (!(e = add_entry(b->result, de->d_name))) {
			closedir(dir);
			return oom(err);
		}
		e->fate = ARK_PGBACKUP_LEFTOVER;
		if (unlink(path) != 0) {
			e->fate = ARK_PGBACKUP_REMOVE_FAILED;
			snprintf(e->detail, sizeof(e->detail), "%s",
				 strerror(errno));
		}
	}
	closedir(dir);
	return 0;
}

/* Does the archive at path open as a pg archive of this database? */
static int check_archive(struct backup *b, const char *path, char *why,
			 size_t room)
{
	struct ark_archive_reader *reader = NULL;
	struct ark_error err = { 0 };
	const struct ark_manifest *m;
	json_t *source, *database;
	int rc = 0;

	why[0] = '\0';
	if (ark_archive_reader_open(path, &reader, &err) != 0) {
		size_t n = strnlen(err.msg, room - 1);

		memcpy(why, err.msg, n);
		why[n] = '\0';
		return -1;
	}
	m = ark_archive_reader_manifest(reader);
	source = json_object_get(m->root, "source");
	database = json_object_get(source, "database");
	if (strcmp(m->kind, "pg") != 0) {
		snprintf(why, room, "an archive of kind \"%s\"", m->kind);
		rc = -1;
	} else if (!json_is_string(database) ||
		   strcmp(json_string_value(database),
			  b->result->database) != 0) {
		rc = 1; /* another database's of the same stem: not ours */
	}
	ark_archive_reader_free(reader);
	return rc;
}

/*
 * Retention over the archives of this database in the repository (the
 * new one included): bad ones are reported and left, the rest kept or
 * removed by the policy; the new archive is always kept.
 */
static int apply_retention(struct backup *b, struct ark_error *err)
{
	const struct ark_pgbackup_options *o = b->options;
	struct ark_pgbackup_result *res = b->result;
	const char *new_name = strrchr(res->archive, '/') + 1;
	DIR *dir = opendir(b->dir);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0, i, first;
	char path[4096 + 512];
	int rc = 0;

	if (!dir)
		return ark_error_set(err, ARK_ERR_WRITE, errno,
				     "cannot list '%s'", b->dir);
	while ((de = readdir(dir)) != NULL) {
		char **grown;
		int64_t ms;

		if (ark_archive_name_parse(de->d_name, b->stem, &ms) != 0)
			continue;
		grown = realloc(names, (count + 1) * sizeof(*names));
		if (!grown || !(grown[count] = strdup(de->d_name))) {
			names = grown ? grown : names;
			rc = oom(err);
			goto cleanup;
		}
		names = grown;
		count++;
	}
	qsort(names, count, sizeof(*names), ark_retention_compare_names);
	first = res->entry_count;
	for (i = 0; i < count; i++) {
		struct ark_retention_entry *e;
		char why[512];
		int check;

		snprintf(path, sizeof(path), "%s/%s", b->dir, names[i]);
		check = strcmp(names[i], new_name) == 0
				? 0
				: check_archive(b, path, why, sizeof(why));
		if (check > 0)
			continue;
		if (!(e = add_entry(res, names[i]))) {
			rc = oom(err);
			goto cleanup;
		}
		(void)ark_archive_name_parse(names[i], b->stem, &e->time_ms);
		if (check < 0) {
			e->fate = ARK_PGBACKUP_BAD;
			snprintf(e->detail, sizeof(e->detail), "%s", why);
		}
	}
	if (!ark_retention_active(&o->retention))
		goto cleanup; /* all kept: nothing to decide */
	if (ark_retention_judge(res->entries + first, res->entry_count - first,
				&o->retention, new_name) != 0) {
		rc = oom(err);
		goto cleanup;
	}
	res->retention_applied = 1;
	for (i = first; i < res->entry_count; i++) {
		struct ark_retention_entry *e = &res->entries[i];

		if (e->fate != ARK_PGBACKUP_KEPT || e->reasons)
			continue;
		if (o->prune_dry_run) {
			e->fate = ARK_PGBACKUP_WOULD_REMOVE;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", b->dir, e->name);
		if (unlink(path) == 0) {
			e->fate = ARK_PGBACKUP_REMOVED;
		} else {
			e->fate = ARK_PGBACKUP_REMOVE_FAILED;
			snprintf(e->detail, sizeof(e->detail), "%s",
				 strerror(errno));
		}
	}
	if (!o->prune_dry_run)
		(void)ark_fsio_fsync_dir_of(res->archive, NULL);
cleanup:
	if (dir)
		closedir(dir);
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- the database ---- */

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->column_count; i++) {
		free((void *)(uintptr_t)t->columns[i].name);
		free((void *)(uintptr_t)t->columns[i].type);
	}
	free(t->columns);
	free(t->schema);
	free(t->name);
}

static int add_skip(struct backup *b, const char *schema, const char *name,
		    const char *why, struct ark_error *err)
{
	struct ark_pgbackup_result *res = b->result;
	struct ark_pgbackup_skip *s;

	s = realloc(res->skipped, (res->skipped_count + 1) * sizeof(*s));
	if (!s)
		return oom(err);
	res->skipped = s;
	s = &s[res->skipped_count++];
	snprintf(s->schema, sizeof(s->schema), "%s", schema);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->why = why;
	ark_log(ARK_LOG_WARN, "table \"%s\".\"%s\" not backed up: %s",
		s->schema, s->name, why);
	return 0;
}

/*
 * The tables whose rows the archive holds, largest first, and their
 * columns (COPY order, generated columns left out: COPY cannot load
 * them); schemas named pg_* and information_schema are the system's.
 */
static int list_tables(struct backup *b, struct ark_error *err)
{
	struct ark_pg_result *res = NULL, *cols = NULL;
	int rows, r, c = 0, ncols, rc;

	rc = ark_pg_query(b->pg,
		"SELECT c.oid, n.nspname, c.relname, c.relpersistence, "
		"EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid "
		"= 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = "
		"c.oid AND d.deptype = 'e') "
		"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
		"ON n.oid = c.relnamespace "
		"WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' "
		"AND n.nspname !~ '^pg_' "
		"ORDER BY pg_catalog.pg_relation_size(c.oid) + "
		"coalesce(pg_catalog.pg_relation_size(nullif(c.reltoastrelid, "
		"0)), 0) DESC, c.oid",
		0, NULL, &res, err);
	if (rc == 0)
		rc = ark_pg_query(b->pg,
			"SELECT a.attrelid, a.attname, pg_catalog.format_type("
			"a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute "
			"a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
			"JOIN pg_catalog.pg_namespace n ON n.oid = "
			"c.relnamespace WHERE c.relkind = 'r' AND n.nspname <> "
			"'information_schema' AND n.nspname !~ '^pg_' AND "
			"a.attnum > 0 AND NOT a.attisdropped AND "
			"a.attgenerated = '' ORDER BY a.attrelid::pg_catalog."
			"int8, a.attnum", 0, NULL, &cols, err);
	if (rc)
		goto cleanup;
	rows = ark_pg_result_rows(res);
	ncols = ark_pg_result_rows(cols);
	b->tables = calloc((size_t)rows + 1, sizeof(*b->tables));
	if (!b->tables) {
		rc = oom(err);
		goto cleanup;
	}
	for (r = 0; r < rows; r++) {
		const char *oid = ark_pg_result_value(res, r, 0);
		const char *schema = ark_pg_result_value(res, r, 1);
		const char *name = ark_pg_result_value(res, r, 2);
		struct table *t;
		int lo = 0, hi = ncols;

		if (strcmp(ark_pg_result_value(res, r, 4), "t") == 0) {
			if ((rc = add_skip(b, schema, name,
					   "it belongs to an extension "
					   "(CREATE EXTENSION makes it)", err)))
				goto cleanup;
			continue;
		}
		if (b->result->standby &&
		    ark_pg_result_value(res, r, 3)[0] == 'u') {
			if ((rc = add_skip(b, schema, name,
					   "unlogged: a standby does not "
					   "have its rows", err)))
				goto cleanup;
			continue;
		}
		t = &b->tables[b->table_count++];
		t->b = b;
		t->schema = strdup(schema);
		t->name = strdup(name);
		if (!t->schema || !t->name) {
			rc = oom(err);
			goto cleanup;
		}
		/* the columns are ordered by oid: find this table's */
		while (lo < hi) {
			int mid = lo + (hi - lo) / 2;

			if (strtoull(ark_pg_result_value(cols, mid, 0), NULL,
				     10) < strtoull(oid, NULL, 10))
				lo = mid + 1;
			else
				hi = mid;
		}
		for (c = lo; c < ncols && strcmp(ark_pg_result_value(cols, c,
					   0), oid) == 0; c++)
			;
		t->columns = calloc((size_t)(c - lo) + 1,
				    sizeof(*t->columns));
		if (!t->columns) {
			rc = oom(err);
			goto cleanup;
		}
		for (int k = lo; k < c; k++) {
			struct ark_pgarchive_column *col =
				&t->columns[t->column_count++];

			col->name = strdup(ark_pg_result_value(cols, k, 1));
			col->type = strdup(ark_pg_result_value(cols, k, 2));
			if (!col->name || !col->type) {
				rc = oom(err);
				goto cleanup;
			}
		}
	}
cleanup:
	ark_pg_result_free(res);
	ark_pg_result_free(cols);
	return rc;
}

/*
 * Every sequence's position as a setval() call, as pg_dump's data
 * section has them (read here because ark takes the tables' data from
 * COPY, not from pg_dump).  Like pg_dump, the value is the one read
 * now: sequences are not transactional.
 */
static int read_sequences(struct backup *b, struct ark_error *err)
{
	struct ark_pg_result *res = NULL, *value = NULL;
	struct ark_buf sql = ARK_BUF_INIT, name = ARK_BUF_INIT;
	int rc;

	rc = ark_pg_query(b->pg,
		"SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
		"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		"WHERE c.relkind = 'S' AND n.nspname <> 'information_schema' "
		"AND n.nspname !~ '^pg_' AND NOT EXISTS (SELECT FROM "
		"pg_catalog.pg_depend d WHERE d.classid = 'pg_catalog."
		"pg_class'::pg_catalog.regclass AND d.objid = c.oid AND "
		"d.deptype = 'e') ORDER BY n.nspname COLLATE \"C\", "
		"c.relname COLLATE \"C\"", 0, NULL, &res, err);
	for (int r = 0; rc == 0 && r < ark_pg_result_rows(res); r++) {
		ark_buf_reset(&name);
		ark_pg_append_qualified(&name, ark_pg_result_value(res, r, 0),
					ark_pg_result_value(res, r, 1));
		ark_buf_reset(&sql);
		ark_buf_append_str(&sql, "SELECT last_value, is_called FROM ");
		ark_buf_append_str(&sql, name.data);
		if (ark_buf_failed(&sql) || ark_buf_failed(&name)) {
			rc = oom(err);
			break;
		}
		ark_pg_result_free(value);
		value = NULL;
		if ((rc = ark_pg_query(b->pg, sql.data, 0, NULL, &value, err)))
			break;
		if (ark_pg_result_rows(value) != 1)
			continue;
		ark_buf_append_str(&b->setvals, "SELECT pg_catalog.setval(");
		ark_pg_append_literal(&b->setvals, name.data);
		ark_buf_appendf(&b->setvals, ", %s, %s);\n",
				ark_pg_result_value(value, 0, 0),
				strcmp(ark_pg_result_value(value, 0, 1), "t")
						== 0
					? "true"
					: "false");
		b->result->sequences++;
	}
	if (rc == 0 && ark_buf_failed(&b->setvals))
		rc = oom(err);
	ark_pg_result_free(res);
	ark_pg_result_free(value);
	ark_buf_free(&sql);
	ark_buf_free(&name);
	return rc;
}

static int read_server(struct backup *b, struct ark_error *err)
{
	struct ark_buf value = ARK_BUF_INIT;
	int is_null = 0, rc;

	rc = ark_pg_query_value(b->pg, "SELECT pg_catalog.pg_is_in_recovery()",
				0, NULL, &value, &is_null, err);
	if (rc == 0)
		b->result->standby = strcmp(value.data, "t") == 0;
	ark_buf_reset(&value);
	if (rc == 0)
		rc = ark_pg_query_value(b->pg, "SELECT count(*) FROM "
					"pg_catalog.pg_largeobject_metadata",
					0, NULL, &value, &is_null, err);
	if (rc == 0)
		b->result->large_objects = strtoull(value.data, NULL, 10);
	ark_buf_free(&value);
	return rc;
}

/* ---- the jobs ---- */

static int slot_take(struct backup *b, struct slot **out,
		     struct ark_error *err)
{
	struct slot *slot = NULL;
	int rc = 0;

	pthread_mutex_lock(&b->mutex);
	for (int i = 0; i < JOBS_MAX && !slot; i++)
		if (!b->slots[i].busy && (b->slots[i].pg || i == JOBS_MAX - 1 ||
					  !b->slots[i + 1].pg))
			slot = &b->slots[i];
	if (slot)
		slot->busy = 1;
	pthread_mutex_unlock(&b->mutex);
	if (!slot)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "no free connection slot");
	if (!slot->pg) {
		rc = ark_pg_connect(b->conninfo, APPLICATION, &slot->pg, err);
		/* row_security off: a policy that would hide rows is an
		 * error, not a silently partial backup (as pg_dump) */
		if (rc == 0 && (rc = ark_pg_exec(slot->pg, NO_TIMEOUTS,
						 err)) == 0 &&
		    (rc = ark_pgsnapshot_import(slot->pg, b->snapshot, err)) ==
			    0)
			rc = ark_pg_exec(slot->pg, "SET row_security = off",
					 err);
		if (rc) {
			ark_pg_free(slot->pg);
			slot->pg = NULL;
		}
	}
	if (rc) {
		pthread_mutex_lock(&b->mutex);
		slot->busy = 0;
		pthread_mutex_unlock(&b->mutex);
		return rc;
	}
	*out = slot;
	return 0;
}

static void slot_give(struct backup *b, struct slot *slot)
{
	pthread_mutex_lock(&b->mutex);
	slot->busy = 0;
	pthread_mutex_unlock(&b->mutex);
}

struct copy_ctx {
	struct ark_pool_job *job;
	struct ark_pgarchive_table *member;
};

static int copy_sink(void *context, const char *data, size_t len,
		     struct ark_error *err)
{
	struct copy_ctx *ctx = context;
	int rc;

	if ((rc = ark_pool_job_check(ctx->job, err)))
		return rc;
	return ark_pgarchive_table_write(ctx->member, data, len, err);
}

static int table_job(struct ark_pool_job *job, void *arg,
		     struct ark_error *err)
{
	struct table *t = arg;
	struct backup *b = t->b;
	struct ark_pgarchive_table_info info = {
		t->schema, t->name, t->columns, t->column_count,
	};
	struct copy_ctx ctx = { job, NULL };
	struct ark_buf sql = ARK_BUF_INIT;
	struct ark_digest digest;
	struct slot *slot = NULL;
	char shown[2][256];
	int rc;

	if ((rc = slot_take(b, &slot, err)))
		goto cleanup;
	/* COPY t TO: the table's own rows (not an inheritance child's) */
	ark_buf_append_str(&sql, "COPY ");
	ark_pg_append_qualified(&sql, t->schema, t->name);
	if (t->column_count) {
		ark_buf_append_str(&sql, " (");
		for (size_t i = 0; i < t->column_count; i++) {
			if (i)
				ark_buf_append_str(&sql, ", ");
			ark_pg_append_ident(&sql, t->columns[i].name);
		}
		ark_buf_append_char(&sql, ')');
	}
	ark_buf_append_str(&sql, " TO STDOUT");
	if (ark_buf_failed(&sql)) {
		rc = oom(err);
		goto cleanup;
	}
	if ((rc = ark_pgarchive_table_begin(b->archive, &info,
					    ark_pool_job_zstd_threads(job),
					    &ctx.member, err)))
		goto cleanup;
	if ((rc = ark_pg_copy_out(slot->pg, sql.data, copy_sink, &ctx, err)))
		goto cleanup;
	rc = ark_pgarchive_table_end(ctx.member, NULL, &digest, err);
	ctx.member = NULL;
	if (rc == 0)
		t->rows = digest.rows;
cleanup:
	ark_pgarchive_table_free(ctx.member);
	if (slot)
		slot_give(b, slot);
	if (rc && rc != ARK_ERR_INTERRUPTED) {
		ark_text_escape(t->schema, shown[0], sizeof(shown[0]));
		ark_text_escape(t->name, shown[1], sizeof(shown[1]));
		ark_error_prefix(err, "table \"%s\".\"%s\"", shown[0],
				 shown[1]);
	}
	ark_buf_free(&sql);
	return rc;
}

/*
 * pg_dump runs in threads of its own, outside the pool's budget: they
 * mostly wait for the child (whose CPU is the server's catalog queries
 * and its own start), and in the pool they held both threads of -j 2
 * for their first second or two while the largest table waited: a
 * 380 MB database (pgbench -s 20 and a 300k-row text/jsonb/bytea table)
 * took 6.0 s that way, 4.9 s this way (pg_dump -Fc: 8.3 s; COPY of the
 * largest table alone through psql: 3.2 s), on 2 shared cores.
 */
struct dump_thread {
	struct backup *b;
	struct ark_pool *pool;
	int pre;
	int rc;
	struct ark_error err;
};

static int run_dump(struct backup *b, int pre, struct ark_error *err)
{
	char snapshot[ARK_PGSNAPSHOT_ID_MAX + 16];
	const char *pre_args[] = { snapshot, "--section=pre-data", NULL, NULL };
	const char *post_args[] = { snapshot, "--section=post-data", NULL };
	const char *lo_args[] = { snapshot, "--section=data",
				  "--exclude-table-data=*.*", NULL };
	int rc;

	snprintf(snapshot, sizeof(snapshot), "--snapshot=%s", b->snapshot);
	if (pre) {
		if (!b->options->large_objects)
			pre_args[2] = "--no-blobs";
		return ark_pgdump_run(&b->dump, b->conninfo, pre_args,
				      "pre-data", &b->pre_sql, SCHEMA_SQL_MAX,
				      err);
	}
	if (b->options->large_objects && b->result->large_objects > 0) {
		if ((rc = ark_pgdump_run(&b->dump, b->conninfo, lo_args,
					 "large objects", &b->lo_sql,
					 ARK_PGBACKUP_LARGE_OBJECTS_MAX, err)))
			return rc;
		/* only large objects: table data would be in the archive
		 * twice, and is not SQL ark-restore runs */
		if (strstr(b->lo_sql.data ? b->lo_sql.data : "", "\nCOPY "))
			return ark_error_set(err, ARK_ERR_INTERNAL, 0,
					     "pg_dump's data section holds "
					     "table data despite "
					     "--exclude-table-data");
	}
	return ark_pgdump_run(&b->dump, b->conninfo, post_args, "post-data",
			      &b->post_sql, SCHEMA_SQL_MAX, err);
}

static void *dump_main(void *arg)
{
	struct dump_thread *d = arg;
	sigset_t all;

	/* the stop signals are for the main thread (ark/fsio.h) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	d->rc = run_dump(d->b, d->pre, &d->err);
	if (d->rc)
		ark_pool_stop(d->pool); /* the tables need not go on */
	return NULL;
}

/* post-data: the large objects' data, the sequences, pg_dump's post-data */
static int write_sql(struct backup *b, struct ark_error *err)
{
	struct ark_buf post = ARK_BUF_INIT;
	int rc;

	if ((rc = ark_pgarchive_write_sql(b->archive, ARK_PGARCHIVE_PRE_DATA,
					  b->pre_sql.data ? b->pre_sql.data
							  : "",
					  b->pre_sql.len, err)))
		return rc;
	ark_buf_append(&post, b->lo_sql.data, b->lo_sql.len);
	if (b->setvals.len) {
		ark_buf_append_str(&post, "\n-- sequences (ark-pg-backup)\n\n");
		ark_buf_append(&post, b->setvals.data, b->setvals.len);
		ark_buf_append_char(&post, '\n');
	}
	ark_buf_append(&post, b->post_sql.data, b->post_sql.len);
	if (ark_buf_failed(&post))
		rc = oom(err);
	else
		rc = ark_pgarchive_write_sql(b->archive,
					     ARK_PGARCHIVE_POST_DATA,
					     post.data ? post.data : "",
					     post.len, err);
	ark_buf_free(&post);
	return rc;
}

static int run_jobs(struct backup *b, struct ark_error *err)
{
	struct ark_pool *pool = NULL;
	struct dump_thread dumps[2];
	pthread_t threads[2];
	int started[2] = { 0, 0 };
	int rc, pool_rc;
	struct ark_error pool_err = { 0 };

	if ((rc = ark_pool_new(b->options->jobs, &pool, err)))
		return rc;
	for (int i = 0; i < 2; i++) {
		dumps[i] = (struct dump_thread){ b, pool, i == 0, 0, { 0 } };
		if (pthread_create(&threads[i], NULL, dump_main, &dumps[i]))
			dumps[i].rc = ark_error_set(&dumps[i].err,
						    ARK_ERR_INTERNAL, errno,
						    "cannot start a thread");
		else
			started[i] = 1;
	}
	pool_rc = 0;
	for (size_t i = 0; pool_rc == 0 && i < b->table_count; i++)
		pool_rc = ark_pool_submit(pool, table_job, &b->tables[i],
					  &pool_err);
	if (pool_rc == 0)
		pool_rc = ark_pool_wait(pool, &pool_err);
	else
		(void)ark_pool_wait(pool, NULL);
	for (int i = 0; i < 2; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	ark_pool_free(pool);
	/* a pg_dump's failure stopped the pool: it is the cause */
	for (int i = 0; i < 2; i++)
		if (dumps[i].rc) {
			*err = dumps[i].err;
			return dumps[i].rc;
		}
	if (pool_rc)
		*err = pool_err;
	return pool_rc;
}

/* ---- the run ---- */

static int open_archive(struct backup *b, struct ark_error *err)
{
	struct ark_pgbackup_result *res = b->result;
	struct ark_archive_writer_options wopts = {
		.kind = "pg", .tool = APPLICATION, .level = b->options->level,
		.threads = 0, .next_name = next_name, .next_name_ctx = b,
	};
	struct stat st;
	json_t *source;

	b->name_ms = b->options->now_ms ? b->options->now_ms : clock_ms();
	if (format_name(b, b->name_ms, res->archive, sizeof(res->archive)))
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "repository path too long");
	while (lstat(res->archive, &st) == 0)
		if (next_name(b, res->archive, sizeof(res->archive)))
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "repository path too long");
	wopts.created_unix = b->name_ms / 1000;
	res->created_unix = wopts.created_unix;
	source = json_pack("{s:s, s:i, s:s}", "type", "postgresql",
			   "server_version", res->server_version, "database",
			   res->database);
	if (!source)
		return oom(err);
	return ark_pgarchive_open(res->archive, &wopts, source, &b->archive,
				  err);
}

static int backup(struct backup *b, struct ark_error *err)
{
	const struct ark_pgbackup_options *o = b->options;
	struct ark_pgbackup_result *res = b->result;
	struct ark_archive_summary summary;
	struct ark_verify_options vopts = { 0 };
	struct ark_verify_result vres;
	char shown[512];
	int rc;

	if ((rc = ark_pg_connect(b->conninfo, APPLICATION, &b->pg, err)) ||
	    (rc = ark_pg_exec(b->pg, NO_TIMEOUTS, err)))
		return rc;
	snprintf(res->conninfo, sizeof(res->conninfo), "%s",
		 ark_pg_safe_conninfo(b->pg));
	snprintf(res->database, sizeof(res->database), "%s",
		 ark_pg_database(b->pg));
	res->server_version = ark_pg_server_version(b->pg);
	if ((rc = ark_pgdump_find(o->pg_dump, res->server_version / 10000,
				  &b->dump, err)))
		return rc;
	snprintf(res->pg_dump, sizeof(res->pg_dump), "%s", b->dump.path);
	res->pg_dump_major = b->dump.major;
	make_stem(res->database, b->stem, sizeof(b->stem));
	if ((rc = remove_leftovers(b, err)))
		return rc;
	if ((rc = ark_pgsnapshot_export(b->pg, b->snapshot, err))) {
		ark_error_prefix(err, "cannot export a snapshot");
		return rc;
	}
	if ((rc = read_server(b, err)) || (rc = list_tables(b, err)) ||
	    (rc = read_sequences(b, err)))
		return rc;
	res->large_objects_included =
		o->large_objects && res->large_objects > 0;
	if ((rc = open_archive(b, err)) || (rc = run_jobs(b, err)) ||
	    (rc = write_sql(b, err)))
		return rc;
	for (size_t i = 0; i < b->table_count; i++)
		res->rows += b->tables[i].rows;
	res->tables = b->table_count;
	/* freed by the caller's cleanup, finished or not */
	rc = ark_pgarchive_finish(b->archive, &summary, err);
	if (rc)
		return rc;
	(void)ark_pg_exec(b->pg, "COMMIT", NULL);
	snprintf(res->archive, sizeof(res->archive), "%s", summary.path);
	res->written = 1;
	res->bytes = summary.size;
	res->raw_bytes = summary.raw_bytes;
	if ((rc = ark_verify_run(res->archive, &vopts, &vres, err))) {
		ark_text_escape(res->archive, shown, sizeof(shown));
		ark_error_prefix(err, "the new archive fails verification "
				      "(left in place, retention not applied)");
		return rc;
	}
	res->verified = 1;
	if ((rc = apply_retention(b, err)) || !o->after)
		return rc;
	return o->after(o->after_context, res, err);
}

int ark_pgbackup_run(const struct ark_pgbackup_options *options,
		     struct ark_pgbackup_result *result,
		     struct ark_error *err)
{
	struct backup b = { .options = options, .result = result,
			    .setvals = ARK_BUF_INIT, .pre_sql = ARK_BUF_INIT,
			    .lo_sql = ARK_BUF_INIT, .post_sql = ARK_BUF_INIT };
	struct timespec started;
	char lock_path[4096 + 64];
	int lock_fd = -1;
	size_t len;
	int rc;

	memset(result, 0, sizeof(*result));
	clock_gettime(CLOCK_MONOTONIC, &started);
	pthread_mutex_init(&b.mutex, NULL);
	b.conninfo = options->conninfo;
	len = strlen(options->repo_dir);
	while (len > 1 && options->repo_dir[len - 1] == '/')
		len--;
	if (len >= sizeof(b.dir) - 600) {
		rc = ark_error_set(err, ARK_ERR_USAGE, 0,
				   "repository path too long");
		goto cleanup;
	}
	memcpy(b.dir, options->repo_dir, len);
	b.dir[len] = '\0';
	if ((rc = ark_fsio_require_dir(b.dir, b.dir, err)))
		goto cleanup;
	snprintf(lock_path, sizeof(lock_path), "%s/%s", b.dir,
		 ARK_PGBACKUP_LOCK_NAME);
	if ((rc = ark_fsio_lock(lock_path, &lock_fd, err))) {
		if (rc == ARK_ERR_LOCKED) {
			char shown[512];

			ark_error_clear(err);
			ark_text_escape(b.dir, shown, sizeof(shown));
			rc = ark_error_set(err, ARK_ERR_LOCKED, 0,
					   "repository '%s' is in use by "
					   "another ark-pg-backup (lock %s "
					   "held); not starting a second run",
					   shown, ARK_PGBACKUP_LOCK_NAME);
		}
		goto cleanup;
	}
	rc = backup(&b, err);
cleanup:
	ark_pgarchive_free(b.archive);
	for (int i = 0; i < JOBS_MAX; i++)
		ark_pg_free(b.slots[i].pg);
	ark_pg_free(b.pg);
	for (size_t i = 0; i < b.table_count; i++)
		table_free(&b.tables[i]);
	free(b.tables);
	ark_buf_free(&b.setvals);
	ark_buf_free(&b.pre_sql);
	ark_buf_free(&b.lo_sql);
	ark_buf_free(&b.post_sql);
	ark_fsio_unlock(lock_fd);
	pthread_mutex_destroy(&b.mutex);
	result->seconds = seconds_since(&started);
	return rc;
}

void ark_pgbackup_result_free(struct ark_pgbackup_result *result)
{
	free(result->skipped);
	free(result->entries);
	result->skipped = NULL;
	result->entries = NULL;
	result->skipped_count = result->entry_count = 0;
}
