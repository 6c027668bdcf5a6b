/*
 * ark-checksum-verify - prove archives intact, list what one holds, or
 * prove two databases hold the same rows.  The work is ark_verify_run()
 * and ark_verify_list() in lib/core/verify.c, ark_compare_run() in
 * lib/pg/compare.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ark/archive.h"
#include "ark/cli.h"
#include "ark/compare.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/verify.h"

static const char usage[] =
	"Usage: ark-checksum-verify [OPTION]... ARCHIVE...\n"
	"  or:  ark-checksum-verify --list [OPTION]... ARCHIVE...\n"
	"  or:  ark-checksum-verify [OPTION]... SOURCE TARGET\n"
	"Check every hash of every member and of the manifest of each ark\n"
	"archive, and that no member is missing, extra, reordered or\n"
	"truncated.  Prints one line per archive: \"PATH: OK (...)\" or\n"
	"\"PATH: FAILED (...)\", with the first problem on stderr.\n\n"
	"With SOURCE and TARGET, prove two databases hold the same rows: every\n"
	"table's row count and content digest on both sides (tables in\n"
	"parallel), a line per table, and for a table that differs its first\n"
	"differing keys and columns.  Each side is a SQLite file, an ark\n"
	"archive (sqlite: its image; pg: its tables), or a PostgreSQL\n"
	"database: a \"postgresql://\" URI, or a key=value conninfo naming no\n"
	"existing file (\"\" is DATABASE_URL, else the PG* variables).  An\n"
	"existing file is SQLite when it starts with \"SQLite format 3\", else\n"
	"an archive.  Two archives are verified each, unless --compare.\n\n"
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
	"Comparing SOURCE and TARGET:\n"
	"      --compare      compare even when both are archives\n"
	"  -s, --schema=NAME  the PostgreSQL schema (default public)\n"
	"  -j, --jobs=N       tables scanned at once (default: CPUs)\n"
	"      --max-diffs=N  differing rows shown per table (default 10)\n"
	"      --keep-case    pair SQLite names as ark-transfer --keep-case\n"
	"      --date-numbers=RULE  as ark-transfer: refuse (default),\n"
	"                     unixepoch, unixepoch-ms or julianday\n"
	"      --busy-timeout=MS  wait for a SQLite side's locks (10000)\n"
	"      --tmpdir=DIR   private copies of SQLite sides (default\n"
	"                     $TMPDIR or /tmp)\n"
	"      (--deep)       pg archives: each table's digest recomputed\n"
	"                     from its member, not the manifest's\n"
	"  -q, --quiet        print nothing on stdout; the exit status tells\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show version and exit\n";

static const struct ark_cli_exit exits[] = {
	{ ARK_OK, "every archive is intact; SOURCE and TARGET hold the "
		  "same rows" },
	{ ARK_ERR_INTERNAL, NULL },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_READ, "an archive cannot be read or is too new (none "
			"corrupt)" },
	{ ARK_ERR_CORRUPT, "an archive is damaged, forged or unsafe" },
	{ ARK_ERR_WRITE, "the report or --deep's temporary cannot be "
			 "written" },
	{ ARK_ERR_SOURCE, "a SQLite side cannot be read" },
	{ ARK_ERR_INTEGRITY, "--deep: the archived database fails its check" },
	{ ARK_ERR_PG_CONNECT, NULL },
	{ ARK_ERR_PG_AUTH, NULL },
	{ ARK_ERR_PG_QUERY, NULL },
	{ ARK_ERR_MISMATCH, "SOURCE and TARGET differ (listed)" },
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

static int parse_date_numbers(const char *text, enum ark_date_numbers *out)
{
	static const char *const names[] = {
		"refuse", "unixepoch", "unixepoch-ms", "julianday",
	};
	for (int i = 0; i < 4; i++)
		if (strcmp(text, names[i]) == 0) {
			*out = (enum ark_date_numbers)i;
			return 0;
		}
	return -1;
}

/* SOURCE TARGET: compare, report, exit status. */
static int compare(const struct ark_compare_options *options,
		   const struct ark_cli_common *common)
{
	struct ark_compare_result result;
	struct ark_error err;
	json_t *fields;
	int rc;

	ark_error_clear(&err);
	rc = ark_compare_run(options, &result, &err);
	if (!common->quiet && !common->json &&
	    (rc == 0 || rc == ARK_ERR_MISMATCH))
		ark_compare_report(stdout, &result);
	fields = ark_compare_report_json(&result);
	ark_compare_result_free(&result);
	return ark_cli_finish(common, rc, &err, fields);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ "full-check", no_argument, NULL, 'F' },
		{ "compare", no_argument, NULL, 'C' },
		{ "schema", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "max-diffs", required_argument, NULL, 'M' },
		{ "keep-case", no_argument, NULL, 'K' },
		{ "date-numbers", required_argument, NULL, 'D' },
		{ "busy-timeout", required_argument, NULL, 'B' },
		{ "tmpdir", required_argument, NULL, 'T' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_verify_options options = { 0 };
	struct ark_compare_options cmp;
	struct ark_error err;
	struct ark_cli_common common = { .tool = &tool };
	int status = 0, list = 0, force = 0, cmp_only = 0, opt, rc;
	uint64_t diffs;

	ark_log_set_program("ark-checksum-verify");
	/* Before any output: a closed stdout must be exit 5, not SIGPIPE. */
	ark_fsio_install_signal_handlers();
	ark_compare_options_init(&cmp);
	while ((opt = ark_cli_getopt(&common, argc, argv, "dls:j:",
				     longopts)) != -1) {
		cmp_only |= strchr("Csj" "MKDBT", opt) != NULL;
		switch (opt) {
		case 'd': options.deep = cmp.deep = 1; break;
		case 'l': list = 1; break;
		case 'F': options.full_check = 1; break;
		case 'C': force = 1; break;
		case 's':
			if (!*(cmp.schema = optarg))
				return ark_cli_usage_error(&common, "--schema needs a name");
			break;
		case 'j':
			if (ark_cli_parse_int(optarg, 1, 64, &cmp.jobs))
				return ark_cli_usage_error(&common, "--jobs takes 1 to 64");
			break;
		case 'M':
			if (ark_cli_parse_u64(optarg, 0, 1000000, 0, &diffs))
				return ark_cli_usage_error(&common, "--max-diffs takes 0 to 1000000");
			cmp.max_diffs = (size_t)diffs;
			break;
		case 'K': cmp.keep_case = 1; break;
		case 'D':
			if (parse_date_numbers(optarg, &cmp.date_numbers))
				return ark_cli_usage_error(&common, "--date-numbers takes refuse, unixepoch, unixepoch-ms or julianday");
			break;
		case 'B':
			if (ark_cli_parse_int(optarg, 0, 86400000,
					      &cmp.busy_timeout_ms))
				return ark_cli_usage_error(&common, "--busy-timeout takes milliseconds");
			break;
		case 'T': cmp.tmpdir = options.tmpdir = optarg; break;
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
	if (argc - optind == 2 && !list &&
	    (force ||
	     ark_compare_argument_kind(argv[optind]) != ARK_COMPARE_ARCHIVE ||
	     ark_compare_argument_kind(argv[optind + 1]) !=
		     ARK_COMPARE_ARCHIVE)) {
		if (options.full_check)
			return ark_cli_usage_error(&common, "--full-check "
						   "verifies archives, not a "
						   "comparison");
		cmp.source = argv[optind];
		cmp.target = argv[optind + 1];
		cmp.progress = ark_cli_progress_wanted(&common);
		return compare(&cmp, &common);
	}
	if (force)
		return ark_cli_usage_error(&common, "--compare takes exactly "
					   "SOURCE and TARGET");
	if (cmp_only)
		return ark_cli_usage_error(&common, "--schema, --jobs, "
					   "--max-diffs, --keep-case, "
					   "--date-numbers, --busy-timeout "
					   "and --tmpdir are for comparing "
					   "SOURCE and TARGET");
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
