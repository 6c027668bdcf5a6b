/*
 * ark-checksum-verify - prove archives intact, or list what one holds.
 * The work is ark_verify_run() and ark_verify_list() in lib/core/verify.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "ark/archive.h"
#include "ark/cli.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/verify.h"

static const char usage[] =
	"Usage: ark-checksum-verify [OPTION]... ARCHIVE...\n"
	"  or:  ark-checksum-verify --list [OPTION]... ARCHIVE...\n"
	"Check every hash of every member and of the manifest of each ark\n"
	"archive, and that no member is missing, extra, reordered or\n"
	"truncated.  Prints one line per archive: \"PATH: OK (...)\" or\n"
	"\"PATH: FAILED (...)\", with the first problem on stderr.\n\n"
	"  -d, --deep         also decompress every member, check the raw\n"
	"                     hashes and a pg archive's table digests, and\n"
	"                     run PRAGMA quick_check on a SQLite image (needs\n"
	"                     its size free in $TMPDIR), unless the archive\n"
	"                     records a passing integrity_check\n"
	"      --full-check   with --deep: PRAGMA integrity_check instead\n"
	"  -l, --list         print each archive's manifest instead: kind,\n"
	"                     creation time, tool, source database, members\n"
	"                     with sizes and hashes; only the structure and\n"
	"                     the manifest's hash are checked, not the data\n"
	"      --json         one JSON object per archive on stdout\n"
	"  -q, --quiet        print nothing on stdout; the exit status tells\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show version and exit\n";

static const struct ark_cli_exit exits[] = {
	{ ARK_OK, "every archive is intact" },
	{ ARK_ERR_INTERNAL, NULL },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_READ, "an archive cannot be read or is too new (none "
			"corrupt)" },
	{ ARK_ERR_CORRUPT, "an archive is damaged, forged or unsafe" },
	{ ARK_ERR_WRITE, "the report or --deep's temporary cannot be "
			 "written" },
	{ ARK_ERR_INTEGRITY, "--deep: the archived database fails its check" },
	{ ARK_ERR_INTERRUPTED, NULL },
};

static const struct ark_cli_tool tool = {
	"ark-checksum-verify", usage, exits, ARK_CLI_ARRAY_LEN(exits),
	"With several archives, the most serious status wins: 4, then 9,\n"
	"then the first other failure.  See ark-checksum-verify(1).\n",
};

/* The exit status for several archives: corrupt beats unreadable. */
static int worse(int current, int code)
{
	if (current == 0 || code == 4 || (code == 9 && current != 4))
		return code;
	return current;
}

/* One archive: verify it (or list it) and report; returns the ARK_* code. */
static int one_archive(const char *path, int list,
		       const struct ark_verify_options *options,
		       const struct ark_cli_common *common,
		       struct ark_error *err)
{
	struct ark_archive_reader *reader = NULL;
	struct ark_verify_result result;
	json_t *fields;
	int rc;

	if (list) {
		rc = ark_verify_list(path, &reader, err);
		if (rc == 0 && !common->quiet && !common->json)
			ark_report_manifest(stdout, path,
					    ark_archive_reader_manifest(reader));
		fields = rc == 0 ? ark_report_manifest_json(
					   path,
					   ark_archive_reader_manifest(reader))
				 : json_pack("{s:o}", "archive",
					     ark_text_json_string(path));
		ark_archive_reader_free(reader);
	} else {
		rc = ark_verify_run(path, options, &result, err);
		if (!common->quiet && !common->json)
			ark_report_verify(stdout, &result, err);
		fields = ark_report_verify_json(&result);
	}
	ark_cli_emit(common, rc, err, fields);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ "full-check", no_argument, NULL, 'F' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_verify_options options = { 0 };
	struct ark_error err;
	struct ark_cli_common common = { .tool = &tool };
	int status = 0, list = 0, opt, rc;

	ark_log_set_program("ark-checksum-verify");
	/* Before any output: a closed stdout must be exit 5, not SIGPIPE. */
	ark_fsio_install_signal_handlers();
	while ((opt = ark_cli_getopt(&common, argc, argv, "dl", longopts)) !=
	       -1) {
		switch (opt) {
		case 'd': options.deep = 1; break;
		case 'l': list = 1; break;
		case 'F': options.full_check = 1; break;
		default:
			rc = ark_cli_common_option(opt, &common);
			if (rc != ARK_CLI_CONTINUE)
				return rc;
		}
	}
	if (optind >= argc)
		return ark_cli_usage_error(&common,
					   "expected at least one ARCHIVE");
	if (list && options.deep)
		return ark_cli_usage_error(&common, "--list does not verify "
					   "data; use --deep without --list");
	options.progress = ark_cli_progress_wanted(&common);
	for (int i = optind; i < argc; i++) {
		ark_error_clear(&err);
		rc = one_archive(argv[i], list, &options, &common, &err);
		if (rc == ARK_ERR_INTERRUPTED)
			return ark_cli_report(&err);
		if (rc)
			status = worse(status, ark_cli_report(&err));
		/* Nobody reads the results any more (| head -1): stop. */
		if (fflush(stdout) != 0) {
			ark_error_clear(&err);
			ark_error_set(&err, ARK_ERR_WRITE, errno,
				      "cannot write standard output");
			return worse(status, ark_cli_report(&err));
		}
	}
	ark_error_clear(&err);
	if (ark_cli_close_stdout(&err))
		return worse(status, ark_cli_report(&err));
	return status;
}
