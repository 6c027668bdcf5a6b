/*
 * manifest.c - MANIFEST.json: validation on read, serialization on write,
 * and the XXH128SUMS text derived from it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/manifest.h"
#include "archive_internal.h"
#include "tar_internal.h"

int ark_member_path_valid(const char *path)
{
	size_t len = strlen(path);
	const char *component = path;

	if (len == 0 || len > ARK_MEMBER_PATH_MAX || path[0] == '/')
		return 0;
	for (const char *p = path; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == '/'))
			return 0;
	}
	/* No empty, "." or ".." component. */
	for (;;) {
		const char *slash = strchr(component, '/');
		size_t clen = slash ? (size_t)(slash - component)
				    : strlen(component);

		if (clen == 0 || (clen == 1 && component[0] == '.') ||
		    (clen == 2 && component[0] == '.' && component[1] == '.'))
			return 0;
		if (!slash)
			break;
		component = slash + 1;
	}
	return 1;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ark_paths_find_duplicate(size_t count,
			     const char *(*path_at)(const void *ctx, size_t i),
			     const void *ctx, size_t *which)
{
	const char **sorted;
	int found = 0;

	if (count < 2)
		return 0;
	sorted = malloc(count * sizeof(*sorted));
	if (!sorted)
		return -1;
	for (size_t i = 0; i < count; i++)
		sorted[i] = path_at(ctx, i);
	qsort(sorted, count, sizeof(*sorted), compare_paths);
	for (size_t i = 1; i < count && !found; i++) {
		if (strcmp(sorted[i - 1], sorted[i]) != 0)
			continue;
		for (size_t j = 0; j < count; j++) {
			if (path_at(ctx, j) == sorted[i]) {
				*which = j;
				break;
			}
		}
		found = 1;
	}
	free(sorted);
	return found;
}

int ark_member_path_is_data(const char *path)
{
	size_t len = strlen(path);

	return len > 4 && strcmp(path + len - 4, ".zst") == 0;
}

static int get_u64(json_t *object, const char *key, const char *where,
		   uint64_t *out, struct ark_error *err)
{
	json_t *value = json_object_get(object, key);

	if (!json_is_integer(value) || json_integer_value(value) < 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "manifest: %s: \"%s\" is missing or not a "
				     "non-negative integer", where, key);
	*out = (uint64_t)json_integer_value(value);
	return 0;
}

static int get_string(json_t *object, const char *key, const char *where,
		      char *out, size_t room, struct ark_error *err)
{
	json_t *value = json_object_get(object, key);

	if (!json_is_string(value) || json_string_length(value) >= room ||
	    json_string_length(value) == 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "manifest: %s: \"%s\" is missing or not a "
				     "valid string", where, key);
	memcpy(out, json_string_value(value), json_string_length(value) + 1);
	return 0;
}

static int get_hash(json_t *object, const char *key, const char *where,
		    struct ark_hash128 *out, struct ark_error *err)
{
	json_t *value = json_object_get(object, key);

	if (!json_is_string(value) ||
	    json_string_length(value) != ARK_HASH_HEX_LEN ||
	    ark_hash_from_hex(json_string_value(value), out) != 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "manifest: %s: \"%s\" is missing or not "
				     "a 32-digit hex hash", where, key);
	return 0;
}

static int parse_member(json_t *item, size_t index,
			struct ark_member_info *member, struct ark_error *err)
{
	char where[64];
	int rc;

	snprintf(where, sizeof(where), "member #%zu", index + 1);
	if (!json_is_object(item))
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "manifest: %s is not an object", where);
	if ((rc = get_string(item, "path", where, member->path,
			     sizeof(member->path), err)) ||
	    (rc = get_string(item, "role", where, member->role,
			     sizeof(member->role), err)) ||
	    (rc = get_u64(item, "header_offset", where,
			  &member->header_offset, err)) ||
	    (rc = get_u64(item, "data_offset", where, &member->data_offset,
			  err)) ||
	    (rc = get_u64(item, "stored_size", where, &member->stored_size,
			  err)) ||
	    (rc = get_u64(item, "raw_size", where, &member->raw_size, err)) ||
	    (rc = get_hash(item, "stored_xxh128", where, &member->stored_hash,
			   err)) ||
	    (rc = get_hash(item, "raw_xxh128", where, &member->raw_hash, err)))
		return rc;
	if (!ark_member_path_valid(member->path) ||
	    strcmp(member->path, ARK_MANIFEST_NAME) == 0 ||
	    strcmp(member->path, ARK_SUMS_NAME) == 0 ||
	    !ark_member_path_is_data(member->path))
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "manifest: %s: unsafe or reserved member "
				     "path '%s'", where, member->path);
	return 0;
}

static const char *member_path_at(const void *ctx, size_t i)
{
	return ((const struct ark_manifest *)ctx)->members[i].path;
}

static int check_duplicates(const struct ark_manifest *manifest,
			    struct ark_error *err)
{
	size_t which = 0;
	int found = ark_paths_find_duplicate(manifest->member_count,
					     member_path_at, manifest, &which);

	if (found < 0)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if (found)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "manifest: member '%s' is listed twice",
				     manifest->members[which].path);
	return 0;
}

int ark_manifest_parse(const char *text, size_t len, struct ark_manifest **out,
		       struct ark_error *err)
{
	struct ark_manifest *manifest = NULL;
	json_error_t jerr;
	json_t *members;
	json_t *value;
	uint64_t version;
	uint64_t created;
	uint64_t expect_offset = 0;
	int rc = 0;

	*out = NULL;
	manifest = calloc(1, sizeof(*manifest));
	if (!manifest)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	manifest->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!manifest->root || !json_is_object(manifest->root)) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "manifest is not a JSON object: %s (line "
				   "%d)", manifest->root ? "wrong type"
				   : jerr.text, jerr.line);
		goto cleanup;
	}
	value = json_object_get(manifest->root, "format");
	if (!json_is_string(value) || strcmp(json_string_value(value), "ark")) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "manifest: \"format\" is not \"ark\"");
		goto cleanup;
	}
	if ((rc = get_u64(manifest->root, "format_version", "top level",
			  &version, err)))
		goto cleanup;
	if (version != ARK_FORMAT_VERSION) {
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				   "archive format version %" PRIu64 " is not "
				   "supported (this ark reads version %d)",
				   version, ARK_FORMAT_VERSION);
		goto cleanup;
	}
	manifest->format_version = (int)version;
	if ((rc = get_string(manifest->root, "kind", "top level",
			     manifest->kind, sizeof(manifest->kind), err)) ||
	    (rc = get_u64(manifest->root, "created_unix", "top level",
			  &created, err)) ||
	    (rc = get_u64(manifest->root, "prefix_size", "top level",
			  &manifest->prefix_size, err)) ||
	    (rc = get_hash(manifest->root, "prefix_xxh128", "top level",
			   &manifest->prefix_hash, err)))
		goto cleanup;
	if (created > INT64_MAX) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "manifest: created_unix out of range");
		goto cleanup;
	}
	manifest->created_unix = (int64_t)created;
	value = json_object_get(manifest->root, "hash");
	if (!json_is_string(value) ||
	    strcmp(json_string_value(value), "xxh3-128") != 0) {
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				   "manifest: hash algorithm is not "
				   "\"xxh3-128\"");
		goto cleanup;
	}
	value = json_object_get(manifest->root, "compression");
	if (!json_is_string(value) ||
	    strcmp(json_string_value(value), "zstd") != 0) {
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				   "manifest: compression is not \"zstd\"");
		goto cleanup;
	}
	if (!json_is_object(json_object_get(manifest->root, "source"))) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "manifest: \"source\" is missing or not "
				   "an object");
		goto cleanup;
	}
	if (strcmp(manifest->kind, "sqlite") != 0 &&
	    strcmp(manifest->kind, "pg") != 0) {
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				   "archive kind '%s' is not supported",
				   manifest->kind);
		goto cleanup;
	}
	members = json_object_get(manifest->root, "members");
	if (!json_is_array(members)) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "manifest: \"members\" is not an array");
		goto cleanup;
	}
	manifest->member_count = json_array_size(members);
	manifest->members = calloc(manifest->member_count + 1,
				   sizeof(*manifest->members));
	if (!manifest->members) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < manifest->member_count; i++) {
		struct ark_member_info *member = &manifest->members[i];

		if ((rc = parse_member(json_array_get(members, i), i, member,
				       err)))
			goto cleanup;
		/* Members tile [0, prefix_size) in order, without gaps. */
		/* Sizes are bounded (2^62) so no sum below can wrap. */
		if (member->header_offset != expect_offset ||
		    member->data_offset != member->header_offset +
						   ARK_TAR_MEMBER_HEADER_SIZE ||
		    member->stored_size > (UINT64_MAX >> 2) ||
		    member->data_offset > (UINT64_MAX >> 2)) {
			rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
					   "manifest: member '%s' has "
					   "inconsistent offsets",
					   member->path);
			goto cleanup;
		}
		expect_offset = member->data_offset + member->stored_size;
		expect_offset += (512 - expect_offset % 512) % 512;
	}
	if ((rc = check_duplicates(manifest, err)))
		goto cleanup;
	if (expect_offset != manifest->prefix_size) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "manifest: prefix_size %" PRIu64
				   " does not match the members' end %" PRIu64,
				   manifest->prefix_size, expect_offset);
		goto cleanup;
	}
	*out = manifest;
	manifest = NULL;
cleanup:
	ark_manifest_free(manifest);
	return rc;
}

void ark_manifest_free(struct ark_manifest *manifest)
{
	if (!manifest)
		return;
	json_decref(manifest->root);
	free(manifest->members);
	free(manifest);
}

json_t *ark_manifest_member_to_json(const struct ark_member_info *member)
{
	char stored[ARK_HASH_HEX_LEN + 1];
	char raw[ARK_HASH_HEX_LEN + 1];

	ark_hash_to_hex(member->stored_hash, stored);
	ark_hash_to_hex(member->raw_hash, raw);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:s}",
			 "path", member->path, "role", member->role,
			 "header_offset", (json_int_t)member->header_offset,
			 "data_offset", (json_int_t)member->data_offset,
			 "stored_size", (json_int_t)member->stored_size,
			 "stored_xxh128", stored,
			 "raw_size", (json_int_t)member->raw_size,
			 "raw_xxh128", raw);
}

char *ark_manifest_sums_text(const struct ark_member_info *members,
			     size_t member_count,
			     struct ark_hash128 manifest_hash, size_t *len_out)
{
	/* Two lines per member plus the manifest line. */
	size_t line_max = ARK_HASH_HEX_LEN + 2 + ARK_MEMBER_PATH_MAX + 2;
	size_t room = (2 * member_count + 1) * line_max + 1;
	char *text = malloc(room);
	char hex[ARK_HASH_HEX_LEN + 1];
	size_t used = 0;

	if (!text)
		return NULL;
	for (size_t i = 0; i < member_count; i++) {
		const char *path = members[i].path;
		size_t path_len = strlen(path);
		int raw_len = (int)path_len;

		if (path_len > 4 && strcmp(path + path_len - 4, ".zst") == 0)
			raw_len -= 4;
		ark_hash_to_hex(members[i].stored_hash, hex);
		used += (size_t)snprintf(text + used, room - used, "%s  %s\n",
					 hex, path);
		ark_hash_to_hex(members[i].raw_hash, hex);
		used += (size_t)snprintf(text + used, room - used,
					 "%s  %.*s\n", hex, raw_len, path);
	}
	ark_hash_to_hex(manifest_hash, hex);
	used += (size_t)snprintf(text + used, room - used, "%s  %s\n", hex,
				 ARK_MANIFEST_NAME);
	*len_out = used;
	return text;
}

char *ark_manifest_dump(const json_t *root, size_t *len_out)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *with_newline;
	size_t len;

	if (!text)
		return NULL;
	len = strlen(text);
	with_newline = realloc(text, len + 2);
	if (!with_newline) {
		free(text);
		return NULL;
	}
	with_newline[len] = '\n';
	with_newline[len + 1] = '\0';
	*len_out = len + 1;
	return with_newline;
}
