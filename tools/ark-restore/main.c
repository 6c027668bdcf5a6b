/*
 * ark-restore - an archive back to a database: a sqlite archive into a
 * database file (ark_restore_run, lib/sqlite/restore.c), a pg archive
 * into PostgreSQL (ark_pgrestore_run, lib/pg/pgrestore.c), dispatched by
 * the archive's kind (ark_kind_restore, lib/core/kind.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/cli.h"
#include "ark/fsio.h"
#include "ark/kind.h"
#include "ark/log.h"
#include "ark/report.h"
#include "ark/restore.h"

static const char usage[] =
	"Usage: ark-restore [OPTION]... ARCHIVE TARGET      (sqlite archive)\n"
	"  or:  ark-restore [OPTION]... ARCHIVE [CONNINFO]  (pg archive)\n"
	"Restore an archive; it is verified (every hash, and for a pg archive\n"
	"every table's digest) before anything is written.\n\n"
	"A sqlite archive goes to the database file TARGET: written beside it,\n"
	"checked (hashes, and PRAGMA quick_check unless the archive records a\n"
	"passing integrity_check), fsynced and renamed into place atomically.\n"
	"TARGET is locked (.NAME.ark-lock beside it) meanwhile.\n"
	"  -f, --force        replace an existing TARGET, even one another\n"
	"                     process has open; the old file (and its -wal,\n"
	"                     -shm, -journal) is kept as\n"
	"                     TARGET.pre-restore-<YYYYMMDDTHHMMSSZ>[.N]\n"
	"      --full-check   run PRAGMA integrity_check on the restored\n"
	"                     database (slow: O(N log N)) instead\n"
	"      --allow-damaged  restore a database that fails its check\n"
	"                     anyway, with a warning; exit status 10\n\n"
	"A pg archive goes to the PostgreSQL database CONNINFO (a libpq\n"
	"connection string or URI; default DATABASE_URL, else the PG*\n"
	"variables), which must be empty where the archive goes (no relation\n"
	"in its schemas): pre-data SQL, the tables' data (COPY, in parallel),\n"
	"post-data SQL (indexes and keys in parallel, then the rest), then each\n"
	"table's content digest is compared with the archive's.\n"
	"  -C, --create       create the database CONNINFO names (from\n"
	"                     template0, through the database \"postgres\")\n"
	"  -c, --clean        drop first, with the pre-data in one transaction:\n"
	"                     the schemas the pre-data creates (CASCADE) and\n"
	"                     the archive's tables in other schemas (CASCADE);\n"
	"                     with --table: empty those tables (TRUNCATE)\n"
	"  -t, --table=NAME   only this table's data (NAME or SCHEMA.NAME;\n"
	"                     repeatable), into the existing, empty table; no\n"
	"                     pre- or post-data\n"
	"  -1, --single-transaction  everything in one transaction on one\n"
	"                     connection, committed only when every digest\n"
	"                     matches: on failure the target is unchanged\n"
	"  -j, --jobs=N       tables (and post-data statements) at once, each\n"
	"                     on its own connection (default: CPUs)\n\n"
	"      --json         print the result as one JSON object\n"
	"  -q, --quiet        only errors on stderr\n"
	"  -v, --verbose      more detail on stderr\n"
	"  -h, --help         show this help and exit\n"
	"  -V, --version      show version and exit\n";

static const struct ark_cli_exit exits[] = {
	{ ARK_OK, "restored (pg: and every table's digest matches)" },
	{ ARK_ERR_INTERNAL, NULL },
	{ ARK_ERR_USAGE, NULL },
	{ ARK_ERR_READ, "the archive cannot be read, or is too new" },
	{ ARK_ERR_CORRUPT, "the archive is damaged, forged or unsafe" },
	{ ARK_ERR_WRITE, "TARGET cannot be written (disk full...)" },
	{ ARK_ERR_REFUSED, "TARGET exists or is in use (without --force); "
			   "--create: the database exists; --table: the "
			   "table does not exist" },
	{ ARK_ERR_LOCKED, "another ark-restore to TARGET is running" },
	{ ARK_ERR_INTEGRITY, "the archived database fails its check" },
	{ ARK_ERR_DAMAGED_RESTORED, "restored as asked, but it fails its "
				    "check" },
	{ ARK_ERR_PG_CONNECT, NULL },
	{ ARK_ERR_PG_AUTH, NULL },
	{ ARK_ERR_PG_QUERY, "a statement failed (stderr says what the "
			    "target holds)" },
	{ ARK_ERR_NOT_EMPTY, "the database holds relations where the "
			     "archive goes (without --clean)" },
	{ ARK_ERR_MISMATCH, "a restored table differs from the archive" },
	{ ARK_ERR_INTERRUPTED, NULL },
};

static const struct ark_cli_tool tool = {
	"ark-restore", usage, exits, ARK_CLI_ARRAY_LEN(exits),
	"A sqlite TARGET is replaced only after every check passed; on a\n"
	"failure before that it is left as it was.  A pg restore that fails\n"
	"after writing says on stderr what the target holds.  See\n"
	"ark-restore(1).\n",
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "full-check", no_argument, NULL, 'F' },
		{ "allow-damaged", no_argument, NULL, 'D' },
		{ "create", no_argument, NULL, 'C' },
		{ "clean", no_argument, NULL, 'c' },
		{ "table", required_argument, NULL, 't' },
		{ "single-transaction", no_argument, NULL, '1' },
		{ "jobs", required_argument, NULL, 'j' },
		ARK_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct ark_restore_options options = { 0 };
	struct ark_restore_result result;
	struct ark_error err;
	struct ark_cli_common common = { .tool = &tool };
	const char **tables = calloc((size_t)argc + 1, sizeof(*tables));
	json_t *fields;
	int opt, rc, restored, pg, code;

	ark_log_set_program("ark-restore");
	/* Before any output: a closed stdout must be exit 5, not SIGPIPE. */
	ark_fsio_install_signal_handlers();
	ark_error_clear(&err);
	if (!tables)
		return ark_cli_report(&(struct ark_error){
			ARK_ERR_INTERNAL, 0, "out of memory" });
	while ((opt = ark_cli_getopt(&common, argc, argv, "fCct:1j:",
				     longopts)) != -1) {
		switch (opt) {
		case 'f': options.force = 1; break;
		case 'F': options.full_check = 1; break;
		case 'D': options.allow_damaged = 1; break;
		case 'C': options.create = 1; break;
		case 'c': options.clean = 1; break;
		case 't': tables[options.table_count++] = optarg; break;
		case '1': options.single_transaction = 1; break;
		case 'j':
			if (ark_cli_parse_int(optarg, 1, 64, &options.jobs)) {
				code = ark_cli_usage_error(&common, "--jobs takes 1 to 64");
				goto out;
			}
			break;
		default:
			rc = ark_cli_common_option(opt, &common);
			if (rc != ARK_CLI_CONTINUE) {
				code = rc;
				goto out;
			}
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		code = ark_cli_usage_error(&common, "expected ARCHIVE and TARGET (or CONNINFO)");
		goto out;
	}
	if (options.create && options.clean) {
		code = ark_cli_usage_error(&common, "--create and --clean exclude each other");
		goto out;
	}
	options.archive = argv[optind];
	options.target = argc - optind == 2 ? argv[optind + 1] : NULL;
	options.tables = tables;
	options.progress = ark_cli_progress_wanted(&common);
	rc = ark_kind_restore(&options, &result, &err);
	pg = strcmp(result.kind, "pg") == 0;
	restored = rc == 0 || rc == ARK_ERR_DAMAGED_RESTORED;
	if (restored && !common.quiet && !common.json) {
		if (pg)
			ark_report_pgrestore(stdout, &result.pg);
		else
			ark_report_restore(stdout, &result);
	}
	if (rc == ARK_ERR_USAGE) {
		code = ark_cli_usage_error(&common, "%s", err.msg);
		goto done;
	}
	fields = pg ? ark_report_pgrestore_json(&result.pg)
		    : ark_report_restore_json(options.archive, options.target,
					      restored ? &result : NULL);
	code = ark_cli_finish(&common, rc, &err, fields);
	if (pg && rc && !common.json)
		ark_report_pgrestore_state(stderr, "ark-restore", &result.pg);
done:
	ark_pgrestore_result_free(&result.pg);
out:
	free(tables);
	return code;
}
