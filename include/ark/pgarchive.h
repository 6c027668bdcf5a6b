/*
 * ark/pgarchive.h - writing archives of kind `pg` (docs/archive-format.md,
 * "Kind pg"): the schema as two SQL members and one COPY-text member per
 * table, with each table's metadata, row count and content digest in the
 * manifest.  Used by ark-transfer (the data it loaded) and ark-pg-backup.
 *
 *   ark_pgarchive_open(path, &options, source, &archive, &err);
 *   ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_PRE_DATA, sql, len, &err);
 *   -- per table, from any worker thread, several tables at once:
 *   ark_pgarchive_table_begin(archive, &info, zstd_threads, &table, &err);
 *   ark_pgarchive_table_write(table, copy_text, len, &err);   -- repeated
 *   ark_pgarchive_table_end(table, &digest_expected, &digest_out, &err);
 *   --
 *   ark_pgarchive_write_sql(archive, ARK_PGARCHIVE_POST_DATA, ...);
 *   ark_pgarchive_finish(archive, &summary, &err);
 *
 * The writer computes each table's row count and content digest itself,
 * from the COPY text it compresses (ark_digest_stream), so the manifest
 * always says what the member holds; a caller that digested the same rows
 * on its side (the SQLite lines it sent to COPY FROM) passes its digest to
 * table_end() and any difference is an error.  Memory per table is the
 * zstd stage and a few buffers, whatever the table's size: every table
 * spools to its own file (ark/archive.h, spooled members) and is appended
 * to the archive when it ends.
 */
#ifndef ARK_PGARCHIVE_H
#define ARK_PGARCHIVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ark/archive.h"
#include "ark/digest.h"
#include "ark/error.h"

/* PostgreSQL's NAMEDATALEN - 1: the longest name, in bytes. */
#define ARK_PG_NAME_MAX 63
/* PostgreSQL's MaxHeapAttributeNumber: the most columns a table has. */
#define ARK_PG_COLUMNS_MAX 1600
/* The longest column type text (format_type() output) a manifest holds. */
#define ARK_PG_TYPE_TEXT_MAX 1024

#define ARK_PGARCHIVE_PRE_DATA_PATH "schema/pre-data.sql.zst"
#define ARK_PGARCHIVE_POST_DATA_PATH "schema/post-data.sql.zst"
#define ARK_PGARCHIVE_PRE_DATA_ROLE "pg-pre-data"
#define ARK_PGARCHIVE_POST_DATA_ROLE "pg-post-data"
#define ARK_PGARCHIVE_TABLE_ROLE "pg-table-data"

struct ark_pgarchive;       /* opaque: a pg archive being written */
struct ark_pgarchive_table; /* opaque: one table's member being written */

enum ark_pgarchive_section {
	ARK_PGARCHIVE_PRE_DATA,
	ARK_PGARCHIVE_POST_DATA,
};

struct ark_pgarchive_column {
	const char *name; /* as PostgreSQL holds it, unquoted */
	const char *type; /* SQL text, e.g. "numeric(10,2)" */
};

struct ark_pgarchive_table_info {
	const char *schema; /* as PostgreSQL holds them, unquoted */
	const char *name;
	const struct ark_pgarchive_column *columns; /* in COPY order */
	size_t column_count;
};

/*
 * Open the archive at final_path (options->kind is ignored: "pg").
 * source (reference stolen, even on failure) is the manifest's source
 * object: {"type": "sqlite", "path": ...} or {"type": "postgresql",
 * "server_version": ..., "database": ...}; it is checked at finish().
 */
int ark_pgarchive_open(const char *final_path,
		       const struct ark_archive_writer_options *options,
		       json_t *source, struct ark_pgarchive **out,
		       struct ark_error *err);

/*
 * The pre-data or post-data SQL (len bytes, UTF-8), once each.  A section
 * never written is written empty by finish().  Thread-safe.
 */
int ark_pgarchive_write_sql(struct ark_pgarchive *archive,
			    enum ark_pgarchive_section section,
			    const char *sql, size_t len,
			    struct ark_error *err);

/*
 * Begin a table's member; thread-safe.  info is copied (the caller's
 * strings may go after the call).  Names and types are checked as a
 * reader would (docs/archive-format.md): a name of 1 to 63 bytes of
 * valid UTF-8, a type of 1 to 1024 bytes without control characters, at
 * most 1600 columns, no column twice; ARK_ERR_INTERNAL naming the table
 * otherwise (the caller should never have planned it).  A table named
 * twice is refused by finish().  zstd_threads: zstd workers for this
 * member (0 = compress in the calling thread), e.g. from
 * ark_pool_zstd_threads().
 */
int ark_pgarchive_table_begin(struct ark_pgarchive *archive,
			      const struct ark_pgarchive_table_info *info,
			      int zstd_threads,
			      struct ark_pgarchive_table **out,
			      struct ark_error *err);

/*
 * COPY text of the table's rows, cut anywhere (one thread at a time per
 * table; tables in parallel).  Returns ARK_ERR_INTERRUPTED after a stop
 * signal.
 */
int ark_pgarchive_table_write(struct ark_pgarchive_table *table,
			      const void *buf, size_t len,
			      struct ark_error *err);
struct ark_sink ark_pgarchive_table_sink(struct ark_pgarchive_table *table);

/*
 * End the table: its text must end in a newline (else ARK_ERR_INTERNAL:
 * a partial row).  When expected is not NULL, the digest of what was
 * written must equal it (else ARK_ERR_INTERNAL: the caller's rows and
 * the archived text differ).  The digest written to the manifest goes to
 * *digest_out when not NULL.  The member is then appended to the archive.
 * table is freed, whatever the result.
 */
int ark_pgarchive_table_end(struct ark_pgarchive_table *table,
			    const struct ark_digest *expected,
			    struct ark_digest *digest_out,
			    struct ark_error *err);
/* Abandon a table (its spool is removed).  NULL is a no-op. */
void ark_pgarchive_table_free(struct ark_pgarchive_table *table);

/*
 * Write the empty SQL sections left, the manifest and the checksum list;
 * fsync; give the file its final name (never replacing one).  Every
 * table must have ended or been freed.
 */
int ark_pgarchive_finish(struct ark_pgarchive *archive,
			 struct ark_archive_summary *summary,
			 struct ark_error *err);
/* Without finish(): remove the temporary.  NULL is a no-op. */
void ark_pgarchive_free(struct ark_pgarchive *archive);

#endif
