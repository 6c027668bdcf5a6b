/*
 * ark-checksum-verify - prove archives intact.  The work is
 * ark_verify_run() in lib/verify.c.
 */
#include <getopt.h>
#include <stdio.h>

#include "ark/cli.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/verify.h"

static const char usage[] =
	"Usage: ark-checksum-verify [OPTION]... ARCHIVE...\n"
	"Check every hash of every member and of the manifest of each ark\n"
	"archive, and that no member is missing, extra, reordered or\n"
	"truncated.  Prints one line per archive: \"PATH: OK (...)\" or\n"
	"\"PATH: FAILED (...)\", with the first problem on stderr.\n\n"
	"  -d, --deep         also decompress every member, check the raw\n"
	"                     hashes, and run PRAGMA quick_check on a SQLite\n"
	"                     image (needs its size free in $TMPDIR), unless\n"
	"                     the archive records a passing integrity_check\n"
	"      --full-check   with --deep: PRAGMA integrity_check instead\n"
	"      --json         one JSON object per archive on stdout\n"
	"  -q, --quiet        print nothing on stdout; the exit status tells\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show version and exit\n\n"
	"Exit status: 0 all intact, 4 an archive is corrupt or unsafe, 3 an\n"
	"archive cannot be read (and none is corrupt), 9 --deep: the hashes\n"
	"match but the archived database fails its check, 2 usage,\n"
	"130 interrupted.  See ark-checksum-verify(1).\n";

/* The exit status for several archives: corrupt beats unreadable. */
static int worse(int current, int code)
{
	if (current == 0 || code == 4 || (code == 9 && current != 4))
		return code;
	return current;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "full-check", no_argument, NULL, 'F' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_verify_options options = { 0 };
	struct ark_verify_result result;
	struct ark_error err;
	struct ark_cli_common common = { 0 };
	int status = 0, opt, rc;

	ark_log_set_program("ark-checksum-verify");
	while ((opt = getopt_long(argc, argv, "d" ARK_CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': options.deep = 1; break;
		case 'F': options.full_check = 1; break;
		default:
			rc = ark_cli_common_option(opt, "ark-checksum-verify",
						   usage, &common);
			if (rc != ARK_CLI_CONTINUE)
				return rc;
		}
	}
	if (optind >= argc)
		return ark_report_usage_error("expected at least one ARCHIVE");
	options.progress = ark_cli_progress_wanted(&common);
	ark_fsio_install_signal_handlers();
	for (int i = optind; i < argc; i++) {
		ark_error_clear(&err);
		rc = ark_verify_run(argv[i], &options, &result, &err);

		if (rc == ARK_ERR_INTERRUPTED)
			return ark_cli_report(&err);
		if (!common.quiet || common.json)
			ark_report_verify(stdout, &result, &err, common.json);
		if (rc)
			status = worse(status, ark_cli_report(&err));
	}
	ark_error_clear(&err);
	if (ark_cli_close_stdout(&err))
		return ark_cli_report(&err);
	return status;
}
