/*
 * ark-restore - an archive back to a database file.  The work is
 * ark_restore_run() in lib/restore.c.
 */
#include <getopt.h>
#include <stdio.h>

#include "ark/cli.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/restore.h"

static const char usage[] =
	"Usage: ark-restore [OPTION]... ARCHIVE TARGET\n"
	"Restore a SQLite archive to the database file TARGET.  The archive is\n"
	"verified before anything is written; the database is written beside\n"
	"TARGET, checked (hashes and PRAGMA integrity_check), fsynced and\n"
	"renamed into place atomically.\n\n"
	"  -f, --force        replace an existing TARGET, even one another\n"
	"                     process has open; the old file (and its -wal,\n"
	"                     -shm, -journal) is kept as\n"
	"                     TARGET.pre-restore-<YYYYMMDDTHHMMSSZ>\n"
	"      --json         print the result as one JSON object\n"
	"  -q, --quiet        only errors on stderr\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show version and exit\n\n"
	"Exit status: 0 restored, 2 usage, 3 cannot read, 4 archive corrupt or\n"
	"unsafe, 5 cannot write (disk full...), 7 TARGET exists or is in use\n"
	"(without --force), 9 restored image fails integrity_check,\n"
	"130 interrupted.  TARGET is replaced only after every check passed;\n"
	"on a failure before that it is left as it was.\n"
	"See ark-restore(1).\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_restore_options options = { 0 };
	struct ark_restore_result result;
	struct ark_error err;
	struct ark_cli_common common = { 0 };
	int opt, rc;

	ark_log_set_program("ark-restore");
	/* Before any output: a closed stdout must be exit 5, not SIGPIPE. */
	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	while ((opt = getopt_long(argc, argv, "f" ARK_CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': options.force = 1; break;
		default:
			rc = ark_cli_common_option(opt, "ark-restore", usage,
						   &common);
			if (rc != ARK_CLI_CONTINUE)
				return rc;
		}
	}
	if (argc - optind != 2)
		return ark_report_usage_error("expected ARCHIVE and TARGET");
	options.archive = argv[optind];
	options.target = argv[optind + 1];
	options.progress = ark_cli_progress_wanted(&common);
	rc = ark_restore_run(&options, &result, &err);
	if (rc == 0 && (!common.quiet || common.json))
		ark_report_restore(stdout, &result, common.json);
	if (rc == 0)
		rc = ark_cli_close_stdout(&err);
	return rc ? ark_cli_report(&err) : 0;
}
