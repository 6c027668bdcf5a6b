/*
 * ark/manifest.h - the archive manifest (MANIFEST.json) and the checksum
 * list (XXH128SUMS) derived from it.  See docs/archive-format.md.
 */
#ifndef ARK_MANIFEST_H
#define ARK_MANIFEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ark/digest.h"
#include "ark/error.h"
#include "ark/hash.h"

struct ark_kind;

#define ARK_FORMAT_VERSION 1
#define ARK_MANIFEST_NAME "MANIFEST.json"
#define ARK_SUMS_NAME "XXH128SUMS"
#define ARK_MANIFEST_MAX_BYTES (64u * 1024u * 1024u)
#define ARK_MEMBER_PATH_MAX 255
/*
 * The longest MANIFEST.json a reader accepts in an archive of tar_members
 * members (the last two included): 16 MiB (some 250,000 tables' row
 * counts), plus 4 KiB per member, at most ARK_MANIFEST_MAX_BYTES.  The
 * bound keeps a hostile manifest from making the JSON parser allocate
 * much more than the archive's size; the writer refuses to go past it.
 */
uint64_t ark_manifest_max_bytes(uint64_t tar_members);

/* At most this many data members (the reader lists no more tar members). */
#define ARK_MANIFEST_MAX_MEMBERS 1000000u
/*
 * The latest created_unix: every tar mtime is created_unix, written as 11
 * octal digits in the ustar header (2242-03-16T12:56:31Z).
 */
#define ARK_CREATED_UNIX_MAX 077777777777ll
/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define ARK_TIME_TEXT_SIZE 21
/* SQLite's limits: page sizes 512..65536, at most 2^32 - 2 pages. */
#define ARK_SQLITE_PAGE_SIZE_MIN 512
#define ARK_SQLITE_PAGE_SIZE_MAX 65536
#define ARK_SQLITE_PAGE_COUNT_MAX 4294967294ll
/* Longest tool and tool_version; source path, host, integrity_check. */
#define ARK_TOOL_TEXT_MAX 64
#define ARK_SOURCE_PATH_MAX 4095
#define ARK_SOURCE_HOST_MAX 255
#define ARK_SOURCE_INTEGRITY_MAX 65536

/* One data member as the manifest records it. */
struct ark_member_info {
	char path[ARK_MEMBER_PATH_MAX + 1];
	char role[64];
	uint64_t header_offset;
	uint64_t data_offset;
	uint64_t stored_size;
	uint64_t raw_size;
	struct ark_hash128 stored_hash;
	struct ark_hash128 raw_hash;
	/* kind pg, role pg-table-data: "rows" and "content_digest" */
	int has_digest;
	struct ark_digest content_digest;
};

/*
 * Every value below has been range-checked by ark_manifest_parse(), as
 * has every key of root that docs/archive-format.md describes ("Field
 * constraints"): a consumer may use them in arithmetic and libc calls as
 * they are.  Keys of root the format does not describe are unchecked.
 */
struct ark_manifest {
	json_t *root; /* the whole parsed document (owned) */
	int format_version;
	char kind[16];
	const struct ark_kind *kind_entry;   /* ark_kind_find(kind) */
	int64_t created_unix;                /* 0 .. ARK_CREATED_UNIX_MAX */
	char created[ARK_TIME_TEXT_SIZE];    /* the same, as UTC text */
	/* kind "sqlite": source.page_size and source.page_count */
	uint64_t page_size;                  /* power of two, 512 .. 65536 */
	uint64_t page_count;                 /* 0 .. 2^32 - 2 */
	uint64_t prefix_size;
	struct ark_hash128 prefix_hash;
	size_t member_count;
	struct ark_member_info *members;
};

/*
 * Parse and validate MANIFEST.json text as untrusted input, every field
 * the format describes, once, here (docs/archive-format.md, "Field
 * constraints"): known format version, kind, hash and compression
 * (ARK_ERR_UNSUPPORTED otherwise); required keys and their types; ranges
 * (created_unix fits a tar mtime, page_size a power of two in 512..65536,
 * page_count at most 2^32 - 2, ...); string lengths and character sets;
 * `created` equal to created_unix; valid member paths; consistent offsets
 * (members in file order, none overlapping, all inside prefix_size) and
 * sizes whose sums cannot wrap.  Any other defect is ARK_ERR_CORRUPT, the
 * message "manifest: [WHERE: ]..." naming the key.
 */
int ark_manifest_parse(const char *text, size_t len, struct ark_manifest **out,
		       struct ark_error *err);
void ark_manifest_free(struct ark_manifest *manifest);

/*
 * The SQLite image of a parsed manifest, for restore and deep checks:
 * ARK_ERR_UNSUPPORTED unless kind is "sqlite"; ARK_ERR_CORRUPT unless the
 * archive holds exactly one member, database.sqlite.zst with role
 * sqlite-image, whose raw_size is source.page_size x source.page_count.
 * *index receives the member's index.
 */
int ark_manifest_sqlite_image(const struct ark_manifest *manifest,
			      size_t *index, struct ark_error *err);

/*
 * unix_seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out.  0, or -1 (out
 * then holds "") when gmtime_r cannot represent it or the year is outside
 * 0..9999.
 */
int ark_manifest_format_time(int64_t unix_seconds,
			     char out[ARK_TIME_TEXT_SIZE]);

/* The member's JSON object (for a writer building a manifest). */
json_t *ark_manifest_member_to_json(const struct ark_member_info *member);

/*
 * The exact XXH128SUMS text for members and the manifest's hash; malloc'd,
 * length in *len_out.  NULL when out of memory.
 */
char *ark_manifest_sums_text(const struct ark_member_info *members,
			     size_t member_count,
			     struct ark_hash128 manifest_hash, size_t *len_out);

/*
 * Serialize a manifest document the way writers must: 2-space indent, keys
 * in insertion order, trailing newline.  malloc'd; NULL on failure.
 */
char *ark_manifest_dump(const json_t *root, size_t *len_out);

/*
 * A pg table member's "table" object ({"schema", "name", "columns"}) as a
 * reader checks it (docs/archive-format.md, "Kind pg"): ARK_ERR_CORRUPT
 * "manifest: WHERE: ..." when not.  The pg writer checks what it is asked
 * to write with it too.
 */
int ark_manifest_check_pg_table(json_t *table, const char *where,
				struct ark_error *err);

/* 1 when path is a valid member path (docs/archive-format.md). */
int ark_member_path_valid(const char *path);
/* 1 when path names a data member: it ends in ".zst". */
int ark_member_path_is_data(const char *path);

#endif
