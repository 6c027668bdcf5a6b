/*
 * ark-snapshot - consistent snapshot of a live SQLite database into a
 * verifiable archive.  Options are parsed here; the work is
 * ark_snapshot_run() in lib/sqlite/snapshot.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ark/cli.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/snapshot.h"

static const char usage[] =
	"Usage: ark-snapshot [OPTION]... DATABASE\n"
	"Take a consistent snapshot of a live SQLite database into a\n"
	"compressed, hashed archive <stem>-<YYYYMMDDTHHMMSS.mmmZ>.ark (UTC,\n"
	"to the millisecond, so names sort in creation order).  In WAL\n"
	"mode other processes keep reading and writing; in rollback-journal\n"
	"mode they can read, and writers wait until the snapshot ends (as for\n"
	"any SQLite reader).  The database is opened read-only and never\n"
	"written (a hot journal is refused, not rolled back).  An existing\n"
	"file is never overwritten.\n\n"
	"  -o, --output=DIR|FILE  where to write (default: current directory;\n"
	"                         DIR/ must exist)\n"
	"  -c, --check            run PRAGMA integrity_check and count each\n"
	"                         table's rows inside the snapshot\n"
	"  -l, --level=N          zstd level 1-19 (default 3)\n"
	"  -T, --threads=N        zstd worker threads (default: CPUs; 0 = none)\n"
	"      --busy-timeout=MS  wait for locks this long (default 10000)\n"
	"      --json             print the result as one JSON object\n"
	"  -q, --quiet            print nothing but errors (for cron)\n"
	"  -v, --verbose          more detail on stderr\n"
	"  -h, --help             show this help and exit\n"
	"  -V, --version          show version and exit\n";

static const struct ark_cli_exit exits[] = {
	{ ARK_OK, "the archive is written" },
	{ ARK_ERR_INTERNAL, NULL },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_READ, "the database cannot be read" },
	{ ARK_ERR_WRITE, "the archive cannot be written (disk full...)" },
	{ ARK_ERR_SOURCE, NULL },
	{ ARK_ERR_REFUSED, "the output file already exists" },
	{ ARK_ERR_INTEGRITY, "--check found problems (archive written)" },
	{ ARK_ERR_INTERRUPTED, NULL },
};

static const struct ark_cli_tool tool = {
	"ark-snapshot", usage, exits, ARK_CLI_ARRAY_LEN(exits),
	"See ark-snapshot(1).\n",
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "check", no_argument, NULL, 'c' },
		{ "level", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 'T' },
		{ "busy-timeout", required_argument, NULL, 'B' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_snapshot_options options;
	struct ark_snapshot_result result;
	struct ark_error err;
	struct ark_cli_common common = { .tool = &tool };
	json_t *fields;
	int opt;
	int rc;

	ark_log_set_program("ark-snapshot");
	/* Before any output: a closed stdout must be exit 5, not SIGPIPE. */
	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	ark_snapshot_options_init(&options);
	while ((opt = ark_cli_getopt(&common, argc, argv, "o:cl:T:",
				     longopts)) != -1) {
		switch (opt) {
		case 'o': options.output = optarg; break;
		case 'c': options.check = 1; break;
		case 'l':
			if (ark_cli_parse_int(optarg, 1, 19, &options.level))
				return ark_cli_usage_error(&common, "--level takes 1 to 19");
			break;
		case 'T':
			if (ark_cli_parse_int(optarg, 0, 256, &options.threads))
				return ark_cli_usage_error(&common, "--threads takes 0 to 256");
			break;
		case 'B':
			if (ark_cli_parse_int(optarg, 0, 86400000,
					      &options.busy_timeout_ms))
				return ark_cli_usage_error(&common, "--busy-timeout takes milliseconds");
			break;
		default:
			rc = ark_cli_common_option(opt, &common);
			if (rc != ARK_CLI_CONTINUE)
				return rc;
		}
	}
	if (argc - optind != 1)
		return ark_cli_usage_error(&common, "expected one DATABASE");
	options.db_path = argv[optind];
	options.progress = ark_cli_progress_wanted(&common);
	rc = ark_snapshot_run(&options, &result, &err);
	/* With --check finding problems the archive is written: report it. */
	if ((rc == 0 || rc == ARK_ERR_INTEGRITY) && !common.quiet &&
	    !common.json)
		ark_report_snapshot(stdout, &result);
	fields = rc == 0 || rc == ARK_ERR_INTEGRITY
			 ? ark_report_snapshot_json(&result)
			 : json_pack("{s:o}", "database",
				     ark_text_json_string(options.db_path));
	ark_snapshot_result_free(&result);
	return ark_cli_finish(&common, rc, &err, fields);
}
