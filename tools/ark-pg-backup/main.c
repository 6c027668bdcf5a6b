/*
 * ark-pg-backup - a consistent logical backup of a live PostgreSQL
 * database into a repository directory, with retention, a lock and
 * metrics, for cron.  Options are parsed here; the work is
 * ark_pgbackup_run() in lib/pg/pgbackup.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ark/cli.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/offsite.h"
#include "ark/pgbackup.h"
#include "ark/pgbackup_report.h"
#include "ark/report.h"
#include "ark/text.h"

static const char usage[] =
	"Usage: ark-pg-backup [OPTION]... [CONNINFO] -o REPO_DIR\n"
	"Back up a live PostgreSQL database, consistently (one snapshot for\n"
	"every table), into REPO_DIR/<database>-<YYYYMMDDTHHMMSS.mmmZ>.ark:\n"
	"the schema from pg_dump, each table's rows by COPY into its own\n"
	"compressed member with its row count and digest.  The new archive\n"
	"is verified, then the --keep-* rules remove old archives of this\n"
	"database.  CONNINFO: a libpq string or URI (default: DATABASE_URL,\n"
	"else PG* variables); passwords through .pgpass, PGPASSFILE,\n"
	"PGPASSWORD or a service file, never on a command line.\n\n"
	"  -o, --output=REPO_DIR  the repository (a directory that exists)\n"
	"  -j, --jobs=N           threads for tables and zstd together\n"
	"                         (default 2, 1-256)\n"
	"  -l, --level=N          zstd level 1-19 (default 3)\n"
	"      --keep-last=N      keep the N newest archives\n"
	"      --keep-daily=N     keep the newest of each of the last N days\n"
	"                         that have one (UTC)\n"
	"      --keep-weekly=N    ... of the last N ISO weeks (UTC)\n"
	"      --keep-monthly=N   ... of the last N months (UTC)\n"
	"      --prune-dry-run    list what the --keep-* rules would remove,\n"
	"                         remove nothing\n"
	"      --pg-dump=PATH     the pg_dump to run (default: the one of the\n"
	"                         server's version in /usr/lib/postgresql/*/bin\n"
	"                         or PATH, else the oldest newer one)\n"
	"      --no-large-objects leave large objects out (reported)\n"
	"      --copy-to=rclone:REMOTE:PATH\n"
	"                         then copy the verified archive there with\n"
	"                         rclone (as NAME.partial, renamed, checked)\n"
	"                         and apply the --keep-* rules there too\n"
	"      --copy-to-command='PROGRAM ARG... {}'\n"
	"                         or run this command (no shell: one argument\n"
	"                         per word, no quoting; {} the archive's\n"
	"                         absolute path, {name} its file name); no\n"
	"                         remote retention\n"
	"      --rclone=PATH      the rclone to run (default: rclone in PATH)\n"
	"      --metrics=FILE     write Prometheus textfile metrics to FILE\n"
	"                         (atomically; on failure too)\n"
	"      --json             print the result as one JSON object\n"
	"  -q, --quiet            print nothing but errors (for cron)\n"
	"  -v, --verbose          more detail on stderr\n"
	"  -h, --help             show this help and exit\n"
	"  -V, --version          show version and exit\n";

static const struct ark_cli_exit exits[] = {
	{ ARK_OK, "the archive is written and verified, retention applied" },
	{ ARK_ERR_INTERNAL, NULL },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_UNSUPPORTED, "no pg_dump as new as the server, or large "
			       "objects over 64 MiB" },
	{ ARK_ERR_CORRUPT, "the new archive fails verification" },
	{ ARK_ERR_WRITE, "the repository cannot be written (disk full...)" },
	{ ARK_ERR_LOCKED, "another ark-pg-backup is using the repository" },
	{ ARK_ERR_PG_CONNECT, NULL },
	{ ARK_ERR_PG_AUTH, NULL },
	{ ARK_ERR_PG_QUERY, "a statement or pg_dump failed, or the "
			    "connection was lost" },
	{ ARK_ERR_OFFSITE, "the archive is written and verified, but "
			   "--copy-to or --copy-to-command failed" },
	{ ARK_ERR_INTERRUPTED, NULL },
};

static const struct ark_cli_tool tool = {
	"ark-pg-backup", usage, exits, ARK_CLI_ARRAY_LEN(exits),
	"See ark-pg-backup(1) and docs/repository.md.\n",
};

struct offsite_job {
	struct ark_offsite_options options;
	struct ark_offsite_result result;
};

/* The pgbackup run's last step, under the repository's lock. */
static int copy_offsite(void *context, const struct ark_pgbackup_result *backup,
			struct ark_error *err)
{
	struct offsite_job *job = context;
	char shown[512];
	int rc = ark_offsite_run(&job->options, backup->archive, &job->result,
				 err);

	if (rc && rc != ARK_ERR_INTERRUPTED)
		ark_error_prefix(err, "offsite copy of '%s' failed (the local "
				      "archive is written and verified)",
				 ark_text_escape(backup->archive, shown,
						 sizeof(shown)));
	return rc;
}

static int keep_option(struct ark_cli_common *common, const char *name,
		       int *out)
{
	if (ark_cli_parse_int(optarg, 0, 1000000, out))
		return ark_cli_usage_error(common, "--%s takes 0 to 1000000",
					   name);
	return ARK_CLI_CONTINUE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "level", required_argument, NULL, 'l' },
		{ "keep-last", required_argument, NULL, 'L' },
		{ "keep-daily", required_argument, NULL, 'D' },
		{ "keep-weekly", required_argument, NULL, 'W' },
		{ "keep-monthly", required_argument, NULL, 'M' },
		{ "prune-dry-run", no_argument, NULL, 'P' },
		{ "pg-dump", required_argument, NULL, 'd' },
		{ "no-large-objects", no_argument, NULL, 'B' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "copy-to", required_argument, NULL, 'C' },
		{ "copy-to-command", required_argument, NULL, 'X' },
		{ "rclone", required_argument, NULL, 'R' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_pgbackup_options options;
	struct ark_pgbackup_result result = { 0 };
	struct ark_cli_common common = { .tool = &tool };
	struct ark_error err, metrics_err;
	struct offsite_job offsite = { 0 };
	json_t *json;
	const char *metrics = NULL, *now = getenv("ARK_PG_BACKUP_TEST_NOW");
	struct timespec end;
	int opt, rc;

	ark_log_set_program("ark-pg-backup");
	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	ark_error_clear(&metrics_err);
	ark_pgbackup_options_init(&options);
	while ((opt = ark_cli_getopt(&common, argc, argv, "o:j:l:",
				     longopts)) != -1) {
		rc = ARK_CLI_CONTINUE;
		switch (opt) {
		case 'o': options.repo_dir = optarg; break;
		case 'j':
			if (ark_cli_parse_int(optarg, 1, 256, &options.jobs))
				return ark_cli_usage_error(&common, "--jobs takes 1 to 256");
			break;
		case 'l':
			if (ark_cli_parse_int(optarg, 1, 19, &options.level))
				return ark_cli_usage_error(&common, "--level takes 1 to 19");
			break;
		case 'L': rc = keep_option(&common, "keep-last", &options.retention.keep_last); break;
		case 'D': rc = keep_option(&common, "keep-daily", &options.retention.keep_daily); break;
		case 'W': rc = keep_option(&common, "keep-weekly", &options.retention.keep_weekly); break;
		case 'M': rc = keep_option(&common, "keep-monthly", &options.retention.keep_monthly); break;
		case 'P': options.prune_dry_run = 1; break;
		case 'd': options.pg_dump = optarg; break;
		case 'B': options.large_objects = 0; break;
		case 'm': metrics = optarg; break;
		case 'C':
			if (offsite.options.copy_to)
				return ark_cli_usage_error(&common, "--copy-to may be given once");
			offsite.options.copy_to = optarg;
			break;
		case 'X':
			if (offsite.options.command)
				return ark_cli_usage_error(&common, "--copy-to-command may be given once");
			offsite.options.command = optarg;
			break;
		case 'R': offsite.options.rclone = optarg; break;
		default: rc = ark_cli_common_option(opt, &common);
		}
		if (rc != ARK_CLI_CONTINUE)
			return rc;
	}
	if (argc - optind > 1)
		return ark_cli_usage_error(&common, "expected at most one CONNINFO");
	if (!options.repo_dir)
		return ark_cli_usage_error(&common, "-o REPO_DIR is required");
	options.conninfo = argc - optind == 1 ? argv[optind] : NULL;
	if (ark_offsite_check_options(&offsite.options, &err))
		return ark_cli_usage_error(&common, "%s", err.msg);
	if (offsite.options.copy_to || offsite.options.command) {
		/* the run may fail before the copy: --metrics still says
		 * the offsite copy did not succeed (0) */
		ark_offsite_result_init(&offsite.options, &offsite.result);
		offsite.options.retention = options.retention;
		offsite.options.prune_dry_run = options.prune_dry_run;
		options.after = copy_offsite;
		options.after_context = &offsite;
	}
	/* tests only (ark-pg-backup(1), ENVIRONMENT): the archive's time */
	if (now && *now)
		options.now_ms = strtoll(now, NULL, 10) * 1000;
	rc = ark_pgbackup_run(&options, &result, &err);
	if (!common.quiet && !common.json) {
		if (result.verified)
			ark_report_pgbackup(stdout, &result);
		else
			ark_report_pgbackup_repository(stdout, &result);
		ark_report_offsite(stdout, &offsite.result);
	}
	for (size_t i = 0; i < result.entry_count; i++)
		if (result.entries[i].fate == ARK_PGBACKUP_BAD ||
		    result.entries[i].fate == ARK_PGBACKUP_REMOVE_FAILED)
			ark_log(ARK_LOG_WARN, "%s: %s: %s",
				result.entries[i].fate == ARK_PGBACKUP_BAD
					? "bad archive in the repository "
					  "(left in place)"
					: "cannot remove",
				result.entries[i].name, result.entries[i].detail);
	for (size_t i = 0; i < offsite.result.entry_count; i++)
		if (offsite.result.entries[i].fate == ARK_OFFSITE_PARTIAL ||
		    offsite.result.entries[i].fate == ARK_OFFSITE_REMOVE_FAILED)
			ark_log(ARK_LOG_WARN, "offsite: %s: %s%s%s",
				offsite.result.entries[i].fate == ARK_OFFSITE_PARTIAL
					? "a killed copy's partial file "
					  "(left in place)"
					: "cannot remove",
				offsite.result.entries[i].name,
				offsite.result.entries[i].detail[0] ? ": " : "",
				offsite.result.entries[i].detail);
	clock_gettime(CLOCK_REALTIME, &end);
	if (metrics &&
	    ark_report_pgbackup_metrics_offsite(metrics, &result,
						&offsite.result, rc,
					(double)end.tv_sec +
						(double)end.tv_nsec / 1e9,
					&metrics_err) != 0 &&
	    rc == 0) {
		rc = metrics_err.code;
		err = metrics_err;
	}
	json = ark_report_pgbackup_json(&result);
	if (json && offsite.result.configured)
		json_object_set_new(json, "offsite",
				    ark_report_offsite_json(&offsite.result));
	rc = ark_cli_finish(&common, rc, &err, json);
	ark_pgbackup_result_free(&result);
	ark_offsite_result_free(&offsite.result);
	return rc;
}
