/*
 * ark-restore - an archive back to a database file.  The work is
 * ark_restore_run() in lib/sqlite/restore.c.
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
	"  -V, --version      show version and exit\n";

static const struct ark_cli_exit exits[] = {
	{ ARK_OK, "restored" },
	{ ARK_ERR_INTERNAL, NULL },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_READ, "the archive cannot be read, or is too new" },
	{ ARK_ERR_CORRUPT, "the archive is damaged or unsafe" },
	{ ARK_ERR_WRITE, "TARGET cannot be written (disk full...)" },
	{ ARK_ERR_REFUSED, "TARGET exists or is in use (without --force)" },
	{ ARK_ERR_LOCKED, "another ark-restore to TARGET is running" },
	{ ARK_ERR_INTEGRITY, "the archived database fails its check" },
	{ ARK_ERR_DAMAGED_RESTORED, "restored as asked, but it fails its "
				    "check" },
	{ ARK_ERR_INTERRUPTED, NULL },
};

static const struct ark_cli_tool tool = {
	"ark-restore", usage, exits, ARK_CLI_ARRAY_LEN(exits),
	"TARGET is replaced only after every check passed; on a failure\n"
	"before that it is left as it was.  See ark-restore(1).\n",
};

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
	struct ark_cli_common common = { .tool = &tool };
	int opt, rc, restored;

	ark_log_set_program("ark-restore");
	/* Before any output: a closed stdout must be exit 5, not SIGPIPE. */
	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	while ((opt = ark_cli_getopt(&common, argc, argv, "f", longopts)) !=
	       -1) {
		switch (opt) {
		case 'f': options.force = 1; break;
		case 'F': options.full_check = 1; break;
		case 'D': options.allow_damaged = 1; break;
		default:
			rc = ark_cli_common_option(opt, &common);
			if (rc != ARK_CLI_CONTINUE)
				return rc;
		}
	}
	if (argc - optind != 2)
		return ark_cli_usage_error(&common, "expected ARCHIVE and TARGET");
	options.archive = argv[optind];
	options.target = argv[optind + 1];
	options.progress = ark_cli_progress_wanted(&common);
	rc = ark_restore_run(&options, &result, &err);
	restored = rc == 0 || rc == ARK_ERR_DAMAGED_RESTORED;
	if (restored && !common.quiet && !common.json)
		ark_report_restore(stdout, &result);
	return ark_cli_finish(&common, rc, &err,
			      ark_report_restore_json(options.archive,
						      options.target,
						      restored ? &result
							       : NULL));
}
