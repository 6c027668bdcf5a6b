/*
 * kind.c - the table of archive kinds (ark/kind.h).
 *
 * The sqlite entry's deep check lives in the SQLite layer: core reaches
 * it only through this table, never through a SQLite header.
 */
#include <string.h>

#include "ark/kind.h"

static const struct ark_kind kinds[] = {
	{
		.name = "sqlite",
		.check_source = ark_manifest_check_sqlite_source,
		.check_members = NULL, /* the image is checked where used */
		.deep_check = ark_sqlite_deep_check,
	},
	{
		.name = "pg",
		.check_source = ark_manifest_check_pg_source,
		.check_members = ark_manifest_check_pg_members,
		.deep_check = ark_pgarchive_deep_check,
	},
};

const struct ark_kind *ark_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}
