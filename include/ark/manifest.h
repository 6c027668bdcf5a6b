/*
 * ark/manifest.h - the archive manifest (MANIFEST.json) and the checksum
 * list (XXH128SUMS) derived from it.  See docs/archive-format.md.
 */
#ifndef ARK_MANIFEST_H
#define ARK_MANIFEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"
#include "ark/hash.h"

#define ARK_FORMAT_VERSION 1
#define ARK_MANIFEST_NAME "MANIFEST.json"
#define ARK_SUMS_NAME "XXH128SUMS"
#define ARK_MANIFEST_MAX_BYTES (64u * 1024u * 1024u)
#define ARK_MEMBER_PATH_MAX 255

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
};

struct ark_manifest {
	json_t *root; /* the whole parsed document (owned) */
	int format_version;
	char kind[16];
	int64_t created_unix;
	uint64_t prefix_size;
	struct ark_hash128 prefix_hash;
	size_t member_count;
	struct ark_member_info *members;
};

/*
 * Parse and validate MANIFEST.json text: required keys and types, known
 * format version (ARK_ERR_UNSUPPORTED otherwise), valid member paths,
 * consistent offsets (members in file order, none overlapping, all inside
 * prefix_size).  Any other defect is ARK_ERR_CORRUPT naming the key.
 */
int ark_manifest_parse(const char *text, size_t len, struct ark_manifest **out,
		       struct ark_error *err);
void ark_manifest_free(struct ark_manifest *manifest);

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

/* 1 when path is a valid member path (docs/archive-format.md). */
int ark_member_path_valid(const char *path);
/* 1 when path names a data member: it ends in ".zst". */
int ark_member_path_is_data(const char *path);

#endif
