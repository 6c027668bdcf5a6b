/*
 * ark/kind.h - the one table of archive kinds (docs/archive-format.md,
 * "Data members").  Everything that differs by kind goes through it:
 * the manifest's kind-specific checks (ark_manifest_parse), the deep
 * check of ark-checksum-verify --deep (verify.c); new kinds and new
 * per-kind steps (restore into PostgreSQL) are entries and fields here,
 * not strcmp(kind) in the modules.
 */
#ifndef ARK_KIND_H
#define ARK_KIND_H

#include <jansson.h>

#include "ark/error.h"

struct ark_archive_reader;
struct ark_manifest;
struct ark_progress;
struct ark_restore_options;
struct ark_restore_result;
struct ark_verify_options;
struct ark_verify_result;

struct ark_kind {
	const char *name; /* the manifest's "kind" */
	/*
	 * The kind's own "source" keys, checked when the manifest is parsed
	 * (after the common top-level keys, before the members); may fill
	 * kind-specific fields of manifest.  ARK_ERR_CORRUPT when not.
	 */
	int (*check_source)(struct ark_manifest *manifest, json_t *source,
			    struct ark_error *err);
	/*
	 * The kind's member layout and member keys, after every member's
	 * common keys and offsets were checked.  NULL: nothing more.
	 */
	int (*check_members)(struct ark_manifest *manifest,
			     struct ark_error *err);
	/*
	 * --deep, after every stored byte matched its hash: decompress
	 * every member (raw hash and size checked) and check what it
	 * holds.  Fills the kind's parts of result.
	 */
	int (*deep_check)(struct ark_archive_reader *reader,
			  const struct ark_verify_options *options,
			  struct ark_progress *progress,
			  struct ark_verify_result *result,
			  struct ark_error *err);
	/*
	 * ark-restore: the archive options->archive into options->target,
	 * a database file (sqlite) or a PostgreSQL conninfo, NULL for
	 * DATABASE_URL / PG* (pg).
	 */
	int (*restore)(const struct ark_restore_options *options,
		       struct ark_restore_result *result,
		       struct ark_error *err);
	int restore_needs_target; /* TARGET is required */
};

/* The kind named name, or NULL when ark knows no such kind. */
const struct ark_kind *ark_kind_find(const char *name);

/*
 * ark-restore: open the archive, find its kind, check that the options
 * given are the kind's (ARK_ERR_USAGE naming the others), and run the
 * kind's restore.  result->kind is the archive's kind.
 */
int ark_kind_restore(const struct ark_restore_options *options,
		     struct ark_restore_result *result, struct ark_error *err);

/* The entries' functions (each in the layer that knows its kind). */
int ark_manifest_check_sqlite_source(struct ark_manifest *manifest,
				     json_t *source, struct ark_error *err);
int ark_manifest_check_pg_source(struct ark_manifest *manifest,
				 json_t *source, struct ark_error *err);
int ark_manifest_check_pg_members(struct ark_manifest *manifest,
				  struct ark_error *err);
/* lib/sqlite/sqlite_image.c: the image's raw hash, header and database. */
int ark_sqlite_deep_check(struct ark_archive_reader *reader,
			  const struct ark_verify_options *options,
			  struct ark_progress *progress,
			  struct ark_verify_result *result,
			  struct ark_error *err);
/* lib/core/pgarchive_check.c: every member, every table's digest. */
int ark_pgarchive_deep_check(struct ark_archive_reader *reader,
			     const struct ark_verify_options *options,
			     struct ark_progress *progress,
			     struct ark_verify_result *result,
			     struct ark_error *err);

/* The sqlite entry's restore is ark_restore_run() (ark/restore.h). */
/* lib/pg/pgrestore.c: into PostgreSQL (ark/pgrestore.h). */
int ark_pgrestore_kind_restore(const struct ark_restore_options *options,
			       struct ark_restore_result *result,
			       struct ark_error *err);

#endif
