/*
 * pgarchive_helpers.h - a small `pg` archive written through
 * ark/pgarchive.h, for the tests of the modules that read archives.
 * Include after <cmocka.h>.
 */
#ifndef ARK_PGARCHIVE_HELPERS_H
#define ARK_PGARCHIVE_HELPERS_H

#include <string.h>

#include "ark/pgarchive.h"

/*
 * path: a pg archive (source: a SQLite file) of one table "public"."t"
 * (id bigint, name text) holding copy_text (COPY text, whole rows), with
 * pre-data and post-data SQL.  Its digest goes to *digest when not NULL.
 */
static inline void unit_write_pg_archive(const char *path,
					 const char *copy_text,
					 struct ark_digest *digest)
{
	struct ark_archive_writer_options options = {
		.tool = "unit", .level = 1, .created_unix = 1763861880,
	};
	static const struct ark_pgarchive_column columns[] = {
		{ "id", "bigint" }, { "name", "text" },
	};
	struct ark_pgarchive_table_info info = { "public", "t", columns, 2 };
	struct ark_pgarchive *archive = NULL;
	struct ark_pgarchive_table *table = NULL;
	struct ark_error err = { 0 };
	const char *pre = "CREATE TABLE public.t (id bigint, name text);\n";

	if (ark_pgarchive_open(path, &options,
			       json_pack("{s:s, s:s}", "type", "sqlite",
					 "path", "/x/app.db"),
			       &archive, &err) != 0 ||
	    ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_PRE_DATA, pre,
				    strlen(pre), &err) != 0 ||
	    ark_pgarchive_table_begin(archive, &info, 0, &table, &err) != 0 ||
	    ark_pgarchive_table_write(table, copy_text, strlen(copy_text),
				      &err) != 0 ||
	    ark_pgarchive_table_end(table, NULL, digest, &err) != 0 ||
	    ark_pgarchive_finish(archive, NULL, &err) != 0)
		fail_msg("writing pg archive %s: %s", path, err.msg);
	ark_pgarchive_free(archive);
}

#endif
