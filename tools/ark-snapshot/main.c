/*
 * ark-snapshot - consistent snapshot of a live SQLite database into a
 * verifiable archive.  Options are parsed here; the work is
 * ark_snapshot_run() in lib/snapshot.c.
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
	"  -V, --version          show version and exit\n\n"
	"Exit status: 0 success, 2 usage, 3 cannot read, 5 cannot write,\n"
	"6 database error, 7 output exists, 9 --check found problems (the\n"
	"archive is still written), 130 interrupted.  See ark-snapshot(1).\n";

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
	struct ark_cli_common common = { 0 };
	int opt;
	int rc;

	ark_log_set_program("ark-snapshot");
	ark_error_clear(&err);
	ark_snapshot_options_init(&options);
	while ((opt = getopt_long(argc, argv, "o:cl:T:" ARK_CLI_COMMON_SHORTOPTS, longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'o': options.output = optarg; break;
		case 'c': options.check = 1; break;
		case 'l':
			if (ark_cli_parse_int(optarg, 1, 19, &options.level))
				return ark_report_usage_error("--level takes 1 to 19");
			break;
		case 'T':
			if (ark_cli_parse_int(optarg, 0, 256, &options.threads))
				return ark_report_usage_error("--threads takes 0 to 256");
			break;
		case 'B':
			if (ark_cli_parse_int(optarg, 0, 86400000,
					      &options.busy_timeout_ms))
				return ark_report_usage_error("--busy-timeout takes milliseconds");
			break;
		default:
			rc = ark_cli_common_option(opt, "ark-snapshot", usage,
						   &common);
			if (rc != ARK_CLI_CONTINUE)
				return rc;
		}
	}
	if (argc - optind != 1)
		return ark_report_usage_error("expected one DATABASE");
	options.db_path = argv[optind];
	options.progress = ark_cli_progress_wanted(&common);
	ark_fsio_install_signal_handlers();
	rc = ark_snapshot_run(&options, &result, &err);
	if ((rc == 0 || rc == ARK_ERR_INTEGRITY) &&
	    (!common.quiet || common.json))
		ark_report_snapshot(stdout, &result, common.json);
	ark_snapshot_result_free(&result);
	if (rc == 0)
		rc = ark_cli_close_stdout(&err);
	return rc ? ark_cli_report(&err) : 0;
}
