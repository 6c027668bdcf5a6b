/*
 * kind.c - the table of archive kinds (ark/kind.h).
 *
 * The sqlite entry's deep check lives in the SQLite layer: core reaches
 * it only through this table, never through a SQLite header.
 */
#include <stdio.h>
#include <string.h>

#include "ark/archive.h"
#include "ark/kind.h"
#include "ark/restore.h"

static const struct ark_kind kinds[] = {
	{
		.name = "sqlite",
		.check_source = ark_manifest_check_sqlite_source,
		.check_members = NULL, /* the image is checked where used */
		.deep_check = ark_sqlite_deep_check,
		.restore = ark_restore_run,
		.restore_needs_target = 1,
	},
	{
		.name = "pg",
		.check_source = ark_manifest_check_pg_source,
		.check_members = ark_manifest_check_pg_members,
		.deep_check = ark_pgarchive_deep_check,
		.restore = ark_pgrestore_kind_restore,
		.restore_needs_target = 0,
	},
};

const struct ark_kind *ark_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

int ark_kind_restore(const struct ark_restore_options *options,
		     struct ark_restore_result *result, struct ark_error *err)
{
	struct ark_archive_reader *reader = NULL;
	const struct ark_kind *kind;
	int pg_options, sqlite_options, rc;

	memset(result, 0, sizeof(*result));
	if ((rc = ark_archive_reader_open(options->archive, &reader, err)))
		return rc;
	kind = ark_archive_reader_manifest(reader)->kind_entry;
	ark_archive_reader_free(reader);
	pg_options = options->create || options->clean ||
		     options->single_transaction || options->jobs ||
		     options->table_count;
	sqlite_options = options->force || options->full_check ||
			 options->allow_damaged;
	if (kind->restore_needs_target && !options->target)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "%s is a %s archive: expected ARCHIVE "
				     "and TARGET", options->archive,
				     kind->name);
	if (kind->restore_needs_target && pg_options)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "%s is a %s archive: --create, --clean, "
				     "--table, --single-transaction and "
				     "--jobs apply to pg archives",
				     options->archive, kind->name);
	if (!kind->restore_needs_target && sqlite_options)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "%s is a %s archive: --force, "
				     "--full-check and --allow-damaged apply "
				     "to sqlite archives", options->archive,
				     kind->name);
	rc = kind->restore(options, result, err);
	snprintf(result->kind, sizeof(result->kind), "%s", kind->name);
	return rc;
}
