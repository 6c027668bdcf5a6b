/*
 * ark-transfer - SQLite -> PostgreSQL that never loses a value.  Options
 * are parsed here; the work is ark_transfer_run() in lib/pg/transfer.c.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/cli.h"
#include "ark/fsio.h"
#include "ark/hash.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/text.h"
#include "ark/transfer.h"

static const char usage[] =
	"Usage: ark-transfer [OPTION]... SOURCE [TARGET]\n"
	"Move a SQLite database into PostgreSQL so that no value is lost or\n"
	"changed, and prove it: inspect and profile the source, plan the\n"
	"PostgreSQL tables, check every value against its planned type (a value\n"
	"that cannot be carried stops the run before PostgreSQL is touched, each\n"
	"one listed), load with COPY into a staging schema, create keys, indexes,\n"
	"foreign keys and identity positions, compare every table's row count and\n"
	"content digest with the source, then swap the tables into the target\n"
	"schema in one transaction.  The source is read in one consistent read\n"
	"transaction and never written; applications may keep writing to it.\n\n"
	"SOURCE is a SQLite database file, or an archive ark-snapshot wrote\n"
	"(verified first, every hash; its database is read from a private\n"
	"temporary in --tmpdir).  TARGET is a libpq connection string\n"
	"or URI (postgresql://user@host/db); without it, DATABASE_URL, else the\n"
	"PG* variables.  Passwords come from .pgpass, PGPASSFILE or PGPASSWORD,\n"
	"never from the command line (see docs/connection.md).\n\n"
	"  -s, --schema=NAME      target schema (default public; created when\n"
	"                         missing); its tables must not exist yet\n"
	"      --data-only        load into the existing tables of --schema (as\n"
	"                         the application created them), converted to\n"
	"                         their column types, in one transaction\n"
	"      --if-exists=WHAT   --data-only, target tables holding rows: refuse\n"
	"                         (default), truncate or append\n"
	"      --ignore-missing   --data-only: leave out source tables and\n"
	"                         columns the target lacks (default: refuse)\n"
	"      --reject=FILE      set rows that cannot be carried aside in FILE\n"
	"                         (a new SQLite database) and load the rest\n"
	"  -a, --archive=DIR      keep what was loaded and verified as a pg archive\n"
	"                         DIR/<stem>-<UTC time>.ark (or a new FILE),\n"
	"                         restorable with ark-restore; written only when\n"
	"                         the transfer succeeds\n"
	"      --resume           continue a run that stopped, keeping the tables\n"
	"                         it loaded and verified (same source only)\n"
	"  -j, --jobs=N           tables loaded at once (default: CPUs)\n"
	"  -n, --plan, --dry-run  print the plan and every value that cannot be\n"
	"                         carried; connect to nothing, change nothing\n"
	"  -w, --widen            carry every value: widen a type that cannot\n"
	"                         hold a value, leave out a constraint the data\n"
	"                         breaks; each relaxation is listed\n"
	"      --keep-case        keep the case of names (default: lower-case,\n"
	"                         so unquoted SQL keeps working)\n"
	"      --date-numbers=RULE  numbers in date columns: refuse (default),\n"
	"                         unixepoch, unixepoch-ms or julianday\n"
	"      --busy-timeout=MS  wait for the source's locks (default 10000)\n"
	"      --tmpdir=DIR       private copy of the source for parallel\n"
	"                         loading, an archive's database (default\n"
	"                         $TMPDIR or /tmp)\n"
	"      --json             print the result as one JSON object\n"
	"  -q, --quiet            print nothing but errors (for cron)\n"
	"  -v, --verbose          more detail on stderr\n"
	"  -h, --help             show this help and exit\n"
	"  -V, --version          show version and exit\n";

static const struct ark_cli_exit exits[] = {
	{ ARK_OK, "every table loaded and verified equal" },
	{ ARK_ERR_INTERNAL, NULL },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_READ, "the source cannot be read; SOURCE is an archive of "
			"another kind or too new" },
	{ ARK_ERR_CORRUPT, "SOURCE is an archive that is damaged, forged or "
			   "unsafe; nothing was written" },
	{ ARK_ERR_WRITE, "the private copy, the archive or the output cannot "
			 "be written" },
	{ ARK_ERR_SOURCE, NULL },
	{ ARK_ERR_REFUSED, "--reject FILE or --archive FILE exists; "
			   "--data-only: the target "
			   "lacks a source table or column; --resume: the "
			   "source changed since" },
	{ ARK_ERR_LOCKED, "another ark-transfer into the same schema runs" },
	{ ARK_ERR_PG_CONNECT, NULL },
	{ ARK_ERR_PG_AUTH, NULL },
	{ ARK_ERR_PG_QUERY, "a statement failed or the connection was lost; "
			    "the target is as it was" },
	{ ARK_ERR_NOT_EMPTY, "a table of the plan exists in the schema "
			     "(--data-only: holds rows)" },
	{ ARK_ERR_UNCONVERTIBLE, "values cannot be carried (listed); nothing "
				 "was written" },
	{ ARK_ERR_MISMATCH, "PostgreSQL does not hold what the source holds; "
			    "nothing was swapped in" },
	{ ARK_ERR_REJECTED, "loaded and verified, but rows were set aside "
			    "in the --reject file" },
	{ ARK_ERR_INTERRUPTED, "stopped; the target is as it was" },
};

static const struct ark_cli_tool tool = {
	"ark-transfer", usage, exits, ARK_CLI_ARRAY_LEN(exits),
	"See ark-transfer(1), docs/type-mapping.md and docs/digest.md.\n",
};

static void print_refusal(void *context,
			  const struct ark_transfer_refusal *refusal)
{
	(void)context;
	fprintf(stderr, "%s: ", ark_log_program());
	ark_report_refusal(stderr, refusal);
}

static int parse_if_exists(const char *text,
			   enum ark_transfer_if_exists *out)
{
	static const char *const names[] = { "refuse", "truncate", "append" };

	for (int i = 0; i < 3; i++)
		if (strcmp(text, names[i]) == 0) {
			*out = (enum ark_transfer_if_exists)i;
			return 0;
		}
	return -1;
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

/* The summary, where the source came from, the archive written. */
static void report(const struct ark_transfer_result *result)
{
	char hex[ARK_HASH_HEX_LEN + 1];

	ark_report_transfer(stdout, result);
	if (result->source_archive) {
		fputs("source: archive '", stdout);
		ark_text_put_escaped(stdout, result->source_archive);
		fputs("', every hash verified\n", stdout);
	}
	if (result->archive_path) {
		ark_hash_to_hex(result->archive_hash, hex);
		fputs("archive: ", stdout);
		ark_text_put_escaped(stdout, result->archive_path);
		printf(" (%" PRIu64 " bytes, xxh128 %s)\n",
		       result->archive_size, hex);
	}
}

/* --json: the archive written, or null. */
static json_t *archive_json(const struct ark_transfer_result *result)
{
	char hex[ARK_HASH_HEX_LEN + 1];

	if (!result->archive_path)
		return json_null();
	ark_hash_to_hex(result->archive_hash, hex);
	return json_pack("{s:o, s:I, s:s}", "path",
			 ark_text_json_string(result->archive_path), "size",
			 (json_int_t)result->archive_size, "xxh128", hex);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "schema", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "plan", no_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "widen", no_argument, NULL, 'w' },
		{ "keep-case", no_argument, NULL, 'K' },
		{ "date-numbers", required_argument, NULL, 'D' },
		{ "busy-timeout", required_argument, NULL, 'B' },
		{ "tmpdir", required_argument, NULL, 'T' },
		{ "data-only", no_argument, NULL, 'd' },
		{ "if-exists", required_argument, NULL, 'E' },
		{ "ignore-missing", no_argument, NULL, 'I' },
		{ "reject", required_argument, NULL, 'R' },
		{ "resume", no_argument, NULL, 'r' },
		{ "archive", required_argument, NULL, 'a' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_transfer_options options;
	struct ark_transfer_result result;
	struct ark_error err;
	struct ark_cli_common common = { .tool = &tool };
	json_t *fields;
	int opt, rc, if_exists_given = 0;

	ark_log_set_program("ark-transfer");
	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	ark_transfer_options_init(&options);
	while ((opt = ark_cli_getopt(&common, argc, argv, "s:j:nwa:",
				     longopts)) != -1) {
		switch (opt) {
		case 's': options.schema = optarg; break;
		case 'j':
			if (ark_cli_parse_int(optarg, 1, 64, &options.jobs))
				return ark_cli_usage_error(&common, "--jobs takes 1 to 64");
			break;
		case 'n': options.plan_only = 1; break;
		case 'w': options.widen = 1; break;
		case 'K': options.keep_case = 1; break;
		case 'D':
			if (parse_date_numbers(optarg, &options.date_numbers))
				return ark_cli_usage_error(&common, "--date-numbers takes refuse, unixepoch, unixepoch-ms or julianday");
			break;
		case 'B':
			if (ark_cli_parse_int(optarg, 0, 86400000,
					      &options.busy_timeout_ms))
				return ark_cli_usage_error(&common, "--busy-timeout takes milliseconds");
			break;
		case 'T': options.tmpdir = optarg; break;
		case 'd': options.data_only = 1; break;
		case 'E':
			if (parse_if_exists(optarg, &options.if_exists))
				return ark_cli_usage_error(&common, "--if-exists takes refuse, truncate or append");
			if_exists_given = 1;
			break;
		case 'I': options.ignore_missing = 1; break;
		case 'R': options.reject_path = optarg; break;
		case 'r': options.resume = 1; break;
		case 'a': options.archive = optarg; break;
		default:
			rc = ark_cli_common_option(opt, &common);
			if (rc != ARK_CLI_CONTINUE)
				return rc;
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return ark_cli_usage_error(&common, "expected SOURCE and an optional TARGET");
	options.source = argv[optind];
	options.target = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (options.schema[0] == '\0')
		return ark_cli_usage_error(&common, "--schema needs a name");
	if (if_exists_given && !options.data_only)
		return ark_cli_usage_error(&common, "--if-exists goes with --data-only");
	if (options.ignore_missing && !options.data_only)
		return ark_cli_usage_error(&common, "--ignore-missing goes with --data-only");
	if (options.resume && options.data_only)
		return ark_cli_usage_error(&common, "--resume does not go with --data-only (it loads in one transaction: run it again)");
	if (options.archive && options.archive[0] == '\0')
		return ark_cli_usage_error(&common, "--archive needs a directory or a file name");
	if (options.archive && options.plan_only)
		return ark_cli_usage_error(&common, "--archive does not go with --plan (nothing is loaded, so nothing is archived)");
	if (options.reject_path && options.reject_path[0] == '\0')
		return ark_cli_usage_error(&common, "--reject needs a file name");
	options.progress = ark_cli_progress_wanted(&common);
	options.on_refusal = print_refusal;
	rc = ark_transfer_run(&options, &result, &err);
	if (!common.quiet && !common.json) {
		if (options.plan_only && result.plan_text)
			fputs(result.plan_text, stdout);
		else if (rc == 0 || rc == ARK_ERR_MISMATCH ||
			 rc == ARK_ERR_REJECTED)
			report(&result);
	}
	fields = ark_report_transfer_json(&result);
	json_object_set_new(fields, "source",
			    ark_text_json_string(options.source));
	json_object_set_new(fields, "source_kind",
			    json_string(result.source_archive ? "sqlite archive"
							      : "sqlite"));
	json_object_set_new(fields, "archive", archive_json(&result));
	if (options.plan_only && result.plan_text)
		json_object_set_new(fields, "plan",
				    ark_text_json_string(result.plan_text));
	ark_transfer_result_free(&result);
	return ark_cli_finish(&common, rc, &err, fields);
}
