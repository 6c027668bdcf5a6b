/*
 * pgarchive_writer - write a `pg` archive from generated tables, the way
 * ark-transfer does: one pool job per table (ark/pool.h), COPY text
 * streamed through ark/pgarchive.h.
 *
 *   pgarchive_writer OUT.ark [--tables N] [--rows N] [--jobs N]
 *                            [--hostile-names] [--partial-row]
 *                            [--wrong-digest] [--big-rows]
 *
 * Table t (1-based) is "s"."table_t" with columns id bigint, label text,
 * note text; row i is "i\tlabel-t-i\t\N" (every third row's note is
 * "tab\there" escaped as COPY text).  --hostile-names gives the tables
 * and columns names with quotes, newlines, tabs, backslashes, UTF-8 and
 * 63 bytes.  --partial-row leaves the last table's text without its
 * final newline, --wrong-digest passes table_end() a digest that does
 * not match: both must fail.  --big-rows makes each label 100 KB.
 * Prints "path=<final path>" then one "table=<n> <digest>" per table.
 * Exit 0, or the error's exit code with "pgarchive_writer: <message>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ark/error.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/pgarchive.h"
#include "ark/pool.h"

struct options {
	int tables;
	long rows;
	int jobs;
	int hostile;
	int partial;
	int wrong_digest;
	int big;
};

struct table_job {
	struct ark_pgarchive *archive;
	const struct options *options;
	int number;
	char schema[64];
	char name[64];
	struct ark_digest digest;
};

static const char *const hostile_names[] = {
	"quote\"d", "new\nline", "tab\tand\\back", "ünïcødé 表",
	/* 63 bytes */
	"a23456789b23456789c23456789d23456789e23456789f23456789g23456789",
	"SELECT", "",
};

static int table_job_run(struct ark_pool_job *job, void *arg,
			 struct ark_error *err)
{
	struct table_job *tj = arg;
	const struct options *options = tj->options;
	struct ark_pgarchive_column columns[3] = {
		{ "id", "bigint" }, { "label", "text" },
		{ "note", "character varying(20)" },
	};
	struct ark_pgarchive_table_info info = { tj->schema, tj->name, columns,
						 3 };
	struct ark_pgarchive_table *table = NULL;
	struct ark_digest expected;
	char *line = NULL;
	size_t room = options->big ? 200000 : 256;
	int rc;

	if (options->hostile) {
		columns[1].name = "la\"bel\n";
		columns[2].name = "ноте";
	}
	ark_digest_init(&expected);
	line = malloc(room);
	if (!line)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = ark_pgarchive_table_begin(tj->archive, &info,
				       ark_pool_job_zstd_threads(job), &table,
				       err);
	for (long i = 1; !rc && i <= options->rows; i++) {
		int len;

		if (options->big) {
			len = snprintf(line, room, "%ld\t", i);
			memset(line + len, 'a' + (int)(i % 26), 100000);
			len += 100000;
			len += snprintf(line + len, room - (size_t)len,
					"\t\\N\n");
		} else
			len = snprintf(line, room, "%ld\tlabel-%d-%ld\t%s\n",
				       i, tj->number, i,
				       i % 3 ? "\\N" : "tab\\there");
		ark_digest_add_row(&expected, line, (size_t)len - 1);
		if (options->partial && tj->number == options->tables &&
		    i == options->rows)
			len--;
		rc = ark_pgarchive_table_write(table, line, (size_t)len, err);
		if (!rc && i % 1024 == 0)
			rc = ark_pool_job_check(job, err);
	}
	if (!rc) {
		if (options->wrong_digest)
			expected.rows++;
		rc = ark_pgarchive_table_end(table, &expected, &tj->digest,
					     err);
		table = NULL;
	}
	ark_pgarchive_table_free(table);
	free(line);
	return rc;
}

static int run(const char *out, const struct options *options,
	       struct ark_error *err)
{
	struct ark_archive_writer_options writer_options = {
		.tool = "pgarchive_writer", .level = 3,
		.created_unix = 1764460800,
	};
	struct ark_archive_summary summary;
	struct ark_pgarchive *archive = NULL;
	struct ark_pool *pool = NULL;
	struct table_job *jobs = NULL;
	const char *pre = "CREATE SCHEMA s;\n";
	const char *post = "ALTER TABLE s.table_1 ADD PRIMARY KEY (id);\n";
	char digest[ARK_DIGEST_TEXT_MAX];
	int rc;

	jobs = calloc((size_t)options->tables + 1, sizeof(*jobs));
	if (!jobs)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = ark_pgarchive_open(out, &writer_options,
				json_pack("{s:s, s:s, s:s}", "type", "sqlite",
					  "path", "/srv/app.db",
					  "sqlite_version", "3.40.1"),
				&archive, err);
	if (rc)
		goto cleanup;
	if ((rc = ark_pool_new(options->jobs, &pool, err)) ||
	    (rc = ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_PRE_DATA, pre,
					  strlen(pre), err)))
		goto cleanup;
	for (int t = 1; t <= options->tables; t++) {
		struct table_job *tj = &jobs[t];
		size_t count = sizeof(hostile_names) / sizeof(hostile_names[0]);

		tj->archive = archive;
		tj->options = options;
		tj->number = t;
		snprintf(tj->schema, sizeof(tj->schema), "s");
		if (options->hostile && (size_t)t <= count &&
		    hostile_names[t - 1][0])
			snprintf(tj->name, sizeof(tj->name), "%s",
				 hostile_names[t - 1]);
		else
			snprintf(tj->name, sizeof(tj->name), "table_%d", t);
		if ((rc = ark_pool_submit(pool, table_job_run, tj, err)))
			goto cleanup;
	}
	if ((rc = ark_pool_wait(pool, err)) ||
	    (rc = ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_POST_DATA,
					  post, strlen(post), err)) ||
	    (rc = ark_pgarchive_finish(archive, &summary, err)))
		goto cleanup;
	printf("path=%s\n", summary.path);
	for (int t = 1; t <= options->tables; t++) {
		ark_digest_format(&jobs[t].digest, digest);
		printf("table=%d %s\n", t, digest);
	}
cleanup:
	ark_pool_free(pool);
	ark_pgarchive_free(archive);
	free(jobs);
	return rc;
}

int main(int argc, char **argv)
{
	struct options options = { 3, 100, 2, 0, 0, 0, 0 };
	struct ark_error err = { 0 };
	const char *out = NULL;
	int rc;

	ark_log_set_program("pgarchive_writer");
	ark_fsio_install_signal_handlers();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tables") == 0 && i + 1 < argc)
			options.tables = atoi(argv[++i]);
		else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
			options.rows = atol(argv[++i]);
		else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
			options.jobs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--hostile-names") == 0)
			options.hostile = 1;
		else if (strcmp(argv[i], "--partial-row") == 0)
			options.partial = 1;
		else if (strcmp(argv[i], "--wrong-digest") == 0)
			options.wrong_digest = 1;
		else if (strcmp(argv[i], "--big-rows") == 0)
			options.big = 1;
		else if (!out && argv[i][0] != '-')
			out = argv[i];
		else {
			fprintf(stderr, "pgarchive_writer: bad argument '%s'\n",
				argv[i]);
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: pgarchive_writer OUT.ark [options]\n");
		return 2;
	}
	rc = run(out, &options, &err);
	if (rc) {
		fprintf(stderr, "pgarchive_writer: %s\n", err.msg);
		return ark_error_exit_code(rc);
	}
	return fclose(stdout) == 0 ? 0 : 1;
}
