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
	"TARGET, checked (hashes, and PRAGMA quick_check unless the archive\n"
	"records a passing integrity_check), fsynced and renamed into place\n"
	"atomically.  TARGET is locked (.NAME.ark-lock beside it) meanwhile.\n\n"
	"  -f, --force        replace an existing TARGET, even one another\n"
	"                     process has open; the old file (and its -wal,\n"
	"                     -shm, -journal) is kept as\n"
	"                     TARGET.pre-restore-<YYYYMMDDTHHMMSSZ>[.N]\n"
	"      --full-check   run PRAGMA integrity_check on the restored\n"
	"                     database (slow: O(N log N)) instead\n"
	"      --allow-damaged  restore a database that fails its check\n"
	"                     anyway, with a warning; exit status 10\n"
	"      --json         print the result as one JSON object\n"
	"  -q, --quiet        only errors on stderr\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show version and exit\n\n"
	"Exit status: 0 restored, 2 usage, 3 cannot read, 4 archive corrupt or\n"
	"unsafe, 5 cannot write (disk full...), 7 TARGET exists or is in use\n"
	"(without --force), 8 another restore of TARGET is running, 9 the\n"
	"database fails its check (nothing written), 10 restored with\n"
	"--allow-damaged though it fails its check, 130 interrupted.\n"
	"TARGET is replaced only after every check passed; on a failure\n"
	"before that it is left as it was.\n"
	"See ark-restore(1).\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "full-check", no_argument, NULL, 'F' },
		{ "allow-damaged", no_argument, NULL, 'D' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_restore_options options = { 0 };
	struct ark_restore_result result;
	struct ark_error err;
	struct ark_cli_common common = { 0 };
	int opt, rc;

	ark_log_set_program("ark-restore");
	ark_error_clear(&err);
	while ((opt = getopt_long(argc, argv, "f" ARK_CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': options.force = 1; break;
		case 'F': options.full_check = 1; break;
		case 'D': options.allow_damaged = 1; break;
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
	ark_fsio_install_signal_handlers();
	rc = ark_restore_run(&options, &result, &err);
	/* Restored despite damage (--allow-damaged): result, then exit 10. */
	if ((rc == 0 || rc == ARK_ERR_DAMAGED_RESTORED) &&
	    (!common.quiet || common.json))
		ark_report_restore(stdout, &result, common.json);
	if (rc == 0 || rc == ARK_ERR_DAMAGED_RESTORED) {
		struct ark_error out_err;

		ark_error_clear(&out_err);
		if (ark_cli_close_stdout(&out_err))
			return ark_cli_report(&out_err);
	}
	return rc ? ark_cli_report(&err) : 0;
}
