/*
 * manifest.c - MANIFEST.json: validation on read, serialization on write,
 * and the XXH128SUMS text derived from it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ark/kind.h"
#include "ark/manifest.h"
#include "ark/pgarchive.h"
#include "core/archive_internal.h"
#include "core/tar_internal.h"

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

/*
 * Every defect is reported as "manifest: [WHERE: ]WHAT", WHERE naming the
 * object that holds the key ("member #2", "source", "source: tables #3";
 * nothing at the top level).  Values from the manifest are printed only
 * when they are numbers: a string may be long or hold anything.
 */
static int defect(struct ark_error *err, int code, const char *where,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int defect(struct ark_error *err, int code, const char *where,
		  const char *fmt, ...)
{
	char what[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(what, sizeof(what), fmt, args);
	va_end(args);
	return ark_error_set(err, code, 0, "manifest: %s%s%s", where,
			     *where ? ": " : "", what);
}

/*
 * An integer key in min..max.  When optional and absent, *present is 0
 * (present may be NULL for a required key).
 */
static int get_int(json_t *object, const char *key, const char *where,
		   int required, json_int_t min, json_int_t max,
		   json_int_t *out, int *present, struct ark_error *err)
{
	json_t *value = json_object_get(object, key);
	json_int_t number;

	if (present)
		*present = value != NULL;
	if (!value && !required)
		return 0;
	if (!json_is_integer(value))
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"%s\" is %snot an integer", key,
			      required ? "missing or " : "");
	number = json_integer_value(value);
	if (number < min || number > max)
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"%s\" is %lld, outside %lld..%lld", key,
			      (long long)number, (long long)min,
			      (long long)max);
	*out = number;
	return 0;
}

static int get_u64(json_t *object, const char *key, const char *where,
		   uint64_t *out, struct ark_error *err)
{
	json_int_t number = 0;
	int rc = get_int(object, key, where, 1, 0, INT64_MAX, &number, NULL,
			 err);

	*out = (uint64_t)number;
	return rc;
}

/* Which bytes a string may hold (jansson has checked it is UTF-8). */
enum text_set {
	TEXT_ANY,       /* anything: printers escape what needs it */
	TEXT_PRINTABLE, /* printable ASCII, 0x20..0x7e */
	TEXT_TOKEN,     /* [a-z0-9-] */
	TEXT_ALNUM,     /* [a-z0-9] */
	TEXT_VERSION,   /* [0-9.] */
	TEXT_SNAPSHOT,  /* [0-9A-F-]: a PostgreSQL snapshot id */
	TEXT_NO_CONTROL, /* anything but 0x00..0x1f and 0x7f */
};

static const char *const text_set_names[] = {
	"", "printable ASCII", "[a-z0-9-]", "[a-z0-9]", "[0-9.]",
	"[0-9A-F-]", "non-control characters",
};

static int text_char_ok(enum text_set set, unsigned char c)
{
	int digit = c >= '0' && c <= '9';
	int lower = c >= 'a' && c <= 'z';

	switch (set) {
	case TEXT_ANY: return 1;
	case TEXT_PRINTABLE: return c >= 0x20 && c <= 0x7e;
	case TEXT_TOKEN: return digit || lower || c == '-';
	case TEXT_ALNUM: return digit || lower;
	case TEXT_VERSION: return digit || c == '.';
	case TEXT_SNAPSHOT: return digit || (c >= 'A' && c <= 'F') || c == '-';
	case TEXT_NO_CONTROL: return c >= 0x20 && c != 0x7f;
	}
	return 0;
}

/*
 * A string key of min_len..max_len bytes from set; copied into out (room
 * bytes, more than max_len) when out is not NULL.
 */
static int get_text(json_t *object, const char *key, const char *where,
		    int required, size_t min_len, size_t max_len,
		    enum text_set set, char *out, size_t room,
		    struct ark_error *err)
{
	json_t *value = json_object_get(object, key);
	const char *text;
	size_t len;

	if (!value && !required)
		return 0;
	if (!json_is_string(value))
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"%s\" is %snot a string", key,
			      required ? "missing or " : "");
	text = json_string_value(value);
	len = json_string_length(value);
	/* jansson refuses \u0000 unless asked, so len is strlen(text). */
	if (len < min_len || len > max_len || strlen(text) != len)
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"%s\" is %zu bytes long, outside %zu..%zu",
			      key, len, min_len, max_len);
	for (size_t i = 0; i < len; i++)
		if (!text_char_ok(set, (unsigned char)text[i]))
			return defect(err, ARK_ERR_CORRUPT, where,
				      "\"%s\" holds a character outside %s",
				      key, text_set_names[set]);
	if (out && len < room)
		memcpy(out, text, len + 1);
	return 0;
}

/* 32 lower-case hex digits, as xxhsum -H2 prints them. */
static int get_hash(json_t *object, const char *key, const char *where,
		    int required, struct ark_hash128 *out,
		    struct ark_error *err)
{
	json_t *value = json_object_get(object, key);
	struct ark_hash128 ignored;
	const char *text;

	if (!value && !required)
		return 0;
	text = json_string_value(value);
	if (!json_is_string(value) ||
	    json_string_length(value) != ARK_HASH_HEX_LEN ||
	    strspn(text, "0123456789abcdef") != ARK_HASH_HEX_LEN ||
	    ark_hash_from_hex(text, out ? out : &ignored) != 0)
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"%s\" is %snot a hash (32 lower-case hex "
			      "digits)", key, required ? "missing or " : "");
	return 0;
}

static int parse_member(json_t *item, size_t index,
			struct ark_member_info *member, struct ark_error *err)
{
	char where[64];
	int rc;

	snprintf(where, sizeof(where), "member #%zu", index + 1);
	if (!json_is_object(item))
		return defect(err, ARK_ERR_CORRUPT, "", "%s is not an object",
			      where);
	if ((rc = get_text(item, "path", where, 1, 1, ARK_MEMBER_PATH_MAX,
			   TEXT_ANY, member->path, sizeof(member->path),
			   err)) ||
	    (rc = get_text(item, "role", where, 1, 1,
			   sizeof(member->role) - 1, TEXT_TOKEN, member->role,
			   sizeof(member->role), err)) ||
	    (rc = get_u64(item, "header_offset", where,
			  &member->header_offset, err)) ||
	    (rc = get_u64(item, "data_offset", where, &member->data_offset,
			  err)) ||
	    (rc = get_u64(item, "stored_size", where, &member->stored_size,
			  err)) ||
	    (rc = get_u64(item, "raw_size", where, &member->raw_size, err)) ||
	    (rc = get_hash(item, "stored_xxh128", where, 1,
			   &member->stored_hash, err)) ||
	    (rc = get_hash(item, "raw_xxh128", where, 1, &member->raw_hash,
			   err)))
		return rc;
	if (!ark_member_path_valid(member->path) ||
	    strcmp(member->path, ARK_MANIFEST_NAME) == 0 ||
	    strcmp(member->path, ARK_SUMS_NAME) == 0 ||
	    !ark_member_path_is_data(member->path))
		return defect(err, ARK_ERR_CORRUPT, where,
			      "unsafe or reserved member path '%s'",
			      member->path);
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
		return defect(err, ARK_ERR_CORRUPT, "",
			      "member '%s' is listed twice",
			      manifest->members[which].path);
	return 0;
}

/*
 * source.tables: [{"name": any string, "rows": N >= 0}, ...]; a table
 * that could not be counted (damaged) has "rows": null and its "error"
 * (any string, bounded).
 */
static int check_tables(json_t *tables, struct ark_error *err)
{
	char where[64];
	json_int_t rows;
	int rc;

	if (!json_is_array(tables))
		return defect(err, ARK_ERR_CORRUPT, "source",
			      "\"tables\" is not an array");
	for (size_t i = 0; i < json_array_size(tables); i++) {
		json_t *table = json_array_get(tables, i);

		snprintf(where, sizeof(where), "source: tables #%zu", i + 1);
		if (!json_is_object(table))
			return defect(err, ARK_ERR_CORRUPT, "",
				      "%s is not an object", where);
		/* Any name SQLite allows, "" included; printers escape. */
		if ((rc = get_text(table, "name", where, 1, 0,
				   ARK_MANIFEST_MAX_BYTES, TEXT_ANY, NULL, 0,
				   err)))
			return rc;
		if (json_is_null(json_object_get(table, "rows"))) {
			if ((rc = get_text(table, "error", where, 1, 0,
					   ARK_MANIFEST_MAX_BYTES, TEXT_ANY,
					   NULL, 0, err)))
				return rc;
			continue;
		}
		if ((rc = get_int(table, "rows", where, 1, 0, INT64_MAX, &rows,
				  NULL, err)))
			return rc;
	}
	return 0;
}

/*
 * The source of a sqlite archive.  page_size and page_count are required
 * (they define the image); the other keys ark-snapshot writes are checked
 * when present.  Strings taken from the system or the database (path,
 * host, integrity_check, table names) may hold any character - a file
 * name may hold a newline - so they are only bounded; the tools escape
 * them when printing.
 */
int ark_manifest_check_sqlite_source(struct ark_manifest *manifest,
				     json_t *source, struct ark_error *err)
{
	json_int_t page_size = 0;
	json_int_t page_count = 0;
	json_int_t number;
	int rc;

	if ((rc = get_int(source, "page_size", "source", 1, INT64_MIN,
			  INT64_MAX, &page_size, NULL, err)))
		return rc;
	if (page_size < ARK_SQLITE_PAGE_SIZE_MIN ||
	    page_size > ARK_SQLITE_PAGE_SIZE_MAX ||
	    (page_size & (page_size - 1)) != 0)
		return defect(err, ARK_ERR_CORRUPT, "source",
			      "\"page_size\" is %lld, not a power of two from "
			      "%d to %d", (long long)page_size,
			      ARK_SQLITE_PAGE_SIZE_MIN,
			      ARK_SQLITE_PAGE_SIZE_MAX);
	if ((rc = get_int(source, "page_count", "source", 1, 0,
			  ARK_SQLITE_PAGE_COUNT_MAX, &page_count, NULL, err)) ||
	    /* A header field: a damaged database's may exceed its pages,
	     * and --check still archives a damaged database. */
	    (rc = get_int(source, "freelist_count", "source", 0, 0,
			  UINT32_MAX, &number, NULL, err)) ||
	    (rc = get_int(source, "size", "source", 0, 0, INT64_MAX, &number,
			  NULL, err)) ||
	    (rc = get_int(source, "user_version", "source", 0, INT32_MIN,
			  INT32_MAX, &number, NULL, err)) ||
	    (rc = get_int(source, "application_id", "source", 0, INT32_MIN,
			  INT32_MAX, &number, NULL, err)) ||
	    (rc = get_text(source, "path", "source", 0, 1,
			   ARK_SOURCE_PATH_MAX, TEXT_ANY, NULL, 0, err)) ||
	    (rc = get_text(source, "host", "source", 0, 0,
			   ARK_SOURCE_HOST_MAX, TEXT_ANY, NULL, 0, err)) ||
	    (rc = get_text(source, "journal_mode", "source", 0, 1, 15,
			   TEXT_ALNUM, NULL, 0, err)) ||
	    (rc = get_text(source, "sqlite_version", "source", 0, 1, 31,
			   TEXT_VERSION, NULL, 0, err)) ||
	    (rc = get_hash(source, "schema_xxh128", "source", 0, NULL,
			   err)) ||
	    (rc = get_text(source, "integrity_check", "source", 0, 0,
			   ARK_SOURCE_INTEGRITY_MAX, TEXT_ANY, NULL, 0,
			   err)))
		return rc;
	if (json_object_get(source, "tables") &&
	    (rc = check_tables(json_object_get(source, "tables"), err)))
		return rc;
	manifest->page_size = (uint64_t)page_size;
	manifest->page_count = (uint64_t)page_count;
	return 0;
}

/* format, version, kind, algorithms: what decides "unsupported". */
static int check_identity(struct ark_manifest *manifest,
			  struct ark_error *err)
{
	json_t *root = manifest->root;
	json_t *value = json_object_get(root, "format");
	json_int_t version = 0;
	int rc;

	if (!json_is_string(value) || strcmp(json_string_value(value), "ark"))
		return defect(err, ARK_ERR_CORRUPT, "",
			      "\"format\" is not \"ark\"");
	if ((rc = get_int(root, "format_version", "", 1, INT64_MIN, INT64_MAX,
			  &version, NULL, err)))
		return rc;
	if (version != ARK_FORMAT_VERSION)
		return ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				     "archive format version %lld is not "
				     "supported (this ark reads version %d)",
				     (long long)version, ARK_FORMAT_VERSION);
	manifest->format_version = (int)version;
	if ((rc = get_text(root, "kind", "", 1, 1, sizeof(manifest->kind) - 1,
			   TEXT_TOKEN, manifest->kind, sizeof(manifest->kind),
			   err)))
		return rc;
	manifest->kind_entry = ark_kind_find(manifest->kind);
	if (!manifest->kind_entry)
		return ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				     "archive kind '%s' is not supported",
				     manifest->kind);
	value = json_object_get(root, "hash");
	if (!json_is_string(value) ||
	    strcmp(json_string_value(value), "xxh3-128") != 0)
		return defect(err, ARK_ERR_UNSUPPORTED, "",
			      "hash algorithm is not \"xxh3-128\"");
	value = json_object_get(root, "compression");
	if (!json_is_string(value) ||
	    strcmp(json_string_value(value), "zstd") != 0)
		return defect(err, ARK_ERR_UNSUPPORTED, "",
			      "compression is not \"zstd\"");
	return 0;
}

/* created_unix, created, tool, tool_version, source. */
static int check_origin(struct ark_manifest *manifest, struct ark_error *err)
{
	json_t *root = manifest->root;
	json_t *source = json_object_get(root, "source");
	json_int_t created = 0;
	json_t *text;
	int rc;

	if ((rc = get_int(root, "created_unix", "", 1, 0, ARK_CREATED_UNIX_MAX,
			  &created, NULL, err)))
		return rc;
	manifest->created_unix = (int64_t)created;
	if (ark_manifest_format_time(manifest->created_unix,
				     manifest->created) != 0)
		return defect(err, ARK_ERR_CORRUPT, "",
			      "\"created_unix\" %lld is not a representable "
			      "time", (long long)created);
	text = json_object_get(root, "created");
	if (!json_is_string(text))
		return defect(err, ARK_ERR_CORRUPT, "",
			      "\"created\" is missing or not a string");
	if (strcmp(json_string_value(text), manifest->created) != 0 ||
	    json_string_length(text) != strlen(manifest->created))
		return defect(err, ARK_ERR_CORRUPT, "",
			      "\"created\" does not match \"created_unix\" "
			      "(%s)", manifest->created);
	if ((rc = get_text(root, "tool", "", 1, 1, ARK_TOOL_TEXT_MAX,
			   TEXT_PRINTABLE, NULL, 0, err)) ||
	    (rc = get_text(root, "tool_version", "", 1, 1, ARK_TOOL_TEXT_MAX,
			   TEXT_PRINTABLE, NULL, 0, err)))
		return rc;
	if (!json_is_object(source))
		return defect(err, ARK_ERR_CORRUPT, "",
			      "\"source\" is missing or not an object");
	return manifest->kind_entry->check_source(manifest, source, err);
}

/*
 * members and prefix_size: the members tile [0, prefix_size) in order,
 * without gaps, each one's data right after its headers.
 */
static int check_members(struct ark_manifest *manifest, struct ark_error *err)
{
	json_t *members = json_object_get(manifest->root, "members");
	uint64_t expect_offset = 0;
	uint64_t raw_total = 0;
	int rc;

	if ((rc = get_u64(manifest->root, "prefix_size", "",
			  &manifest->prefix_size, err)) ||
	    (rc = get_hash(manifest->root, "prefix_xxh128", "", 1,
			   &manifest->prefix_hash, err)))
		return rc;
	if (!json_is_array(members))
		return defect(err, ARK_ERR_CORRUPT, "",
			      "\"members\" is missing or not an array");
	if (json_array_size(members) > ARK_MANIFEST_MAX_MEMBERS)
		return defect(err, ARK_ERR_CORRUPT, "",
			      "\"members\" lists %zu members, more than %u",
			      json_array_size(members),
			      ARK_MANIFEST_MAX_MEMBERS);
	manifest->member_count = json_array_size(members);
	manifest->members = calloc(manifest->member_count + 1,
				   sizeof(*manifest->members));
	if (!manifest->members)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	for (size_t i = 0; i < manifest->member_count; i++) {
		struct ark_member_info *member = &manifest->members[i];

		if ((rc = parse_member(json_array_get(members, i), i, member,
				       err)))
			return rc;
		/* Sizes are bounded (2^62) so no sum below can wrap. */
		if (member->header_offset != expect_offset ||
		    member->data_offset != member->header_offset +
						   ARK_TAR_MEMBER_HEADER_SIZE ||
		    member->stored_size > (UINT64_MAX >> 2) ||
		    member->data_offset > (UINT64_MAX >> 2))
			return defect(err, ARK_ERR_CORRUPT, "",
				      "member '%s' has inconsistent offsets",
				      member->path);
		expect_offset = member->data_offset + member->stored_size;
		expect_offset += (512 - expect_offset % 512) % 512;
		/* Each is at most 2^63 - 1, so the sum cannot wrap either. */
		raw_total += member->raw_size;
		if (raw_total > INT64_MAX)
			return defect(err, ARK_ERR_CORRUPT, "",
				      "the members' raw sizes add up to more "
				      "than %lld bytes", (long long)INT64_MAX);
	}
	if ((rc = check_duplicates(manifest, err)))
		return rc;
	if (expect_offset != manifest->prefix_size)
		return defect(err, ARK_ERR_CORRUPT, "",
			      "prefix_size %" PRIu64 " does not match the "
			      "members' end %" PRIu64, manifest->prefix_size,
			      expect_offset);
	return 0;
}

/* ---- kind pg (docs/archive-format.md, "Kind pg") ---- */

/* A PostgreSQL name: 1 to 63 bytes, any UTF-8 but NUL. */
static int get_pg_name(json_t *object, const char *key, const char *where,
		       struct ark_error *err)
{
	return get_text(object, key, where, 1, 1, ARK_PG_NAME_MAX, TEXT_ANY,
			NULL, 0, err);
}

int ark_manifest_check_pg_source(struct ark_manifest *manifest,
				 json_t *source, struct ark_error *err)
{
	json_t *type = json_object_get(source, "type");
	json_int_t number;
	int rc;

	(void)manifest;
	if (json_is_string(type) &&
	    strcmp(json_string_value(type), "sqlite") == 0 &&
	    json_string_length(type) == 6) {
		if ((rc = get_text(source, "path", "source", 0, 1,
				   ARK_SOURCE_PATH_MAX, TEXT_ANY, NULL, 0,
				   err)) ||
		    (rc = get_int(source, "size", "source", 0, 0, INT64_MAX,
				  &number, NULL, err)) ||
		    (rc = get_text(source, "host", "source", 0, 0,
				   ARK_SOURCE_HOST_MAX, TEXT_ANY, NULL, 0,
				   err)) ||
		    (rc = get_text(source, "sqlite_version", "source", 0, 1, 31,
				   TEXT_VERSION, NULL, 0, err)) ||
		    (rc = get_hash(source, "schema_xxh128", "source", 0, NULL,
				   err)) ||
		    (rc = get_hash(source, "archive_xxh128", "source", 0, NULL,
				   err)) ||
		    (rc = get_text(source, "archive_path", "source", 0, 1,
				   ARK_SOURCE_PATH_MAX, TEXT_ANY, NULL, 0,
				   err)))
			return rc;
		return 0;
	}
	if (json_is_string(type) &&
	    strcmp(json_string_value(type), "postgresql") == 0 &&
	    json_string_length(type) == 10) {
		if ((rc = get_int(source, "server_version", "source", 1, 90200,
				  9999999, &number, NULL, err)) ||
		    (rc = get_pg_name(source, "database", "source", err)) ||
		    (rc = get_text(source, "snapshot", "source", 0, 1, 64,
				   TEXT_SNAPSHOT, NULL, 0, err)) ||
		    (rc = get_text(source, "host", "source", 0, 0,
				   ARK_SOURCE_HOST_MAX, TEXT_ANY, NULL, 0,
				   err)))
			return rc;
		return 0;
	}
	return defect(err, ARK_ERR_CORRUPT, "source",
		      "\"type\" is missing or not \"sqlite\" or "
		      "\"postgresql\"");
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ark_manifest_check_pg_table(json_t *table, const char *where,
				struct ark_error *err)
{
	json_t *columns = json_object_get(table, "columns");
	const char *names[ARK_PG_COLUMNS_MAX];
	char column_where[96];
	size_t count;
	int rc;

	if (!json_is_object(table))
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"table\" is missing or not an object");
	if ((rc = get_pg_name(table, "schema", where, err)) ||
	    (rc = get_pg_name(table, "name", where, err)))
		return rc;
	if (!json_is_array(columns))
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"columns\" is missing or not an array");
	count = json_array_size(columns);
	if (count > ARK_PG_COLUMNS_MAX)
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"columns\" lists %zu columns, more than %d",
			      count, ARK_PG_COLUMNS_MAX);
	for (size_t i = 0; i < count; i++) {
		json_t *column = json_array_get(columns, i);

		snprintf(column_where, sizeof(column_where), "%s%scolumn #%zu",
			 where, *where ? ": " : "", i + 1);
		if (!json_is_object(column))
			return defect(err, ARK_ERR_CORRUPT, column_where,
				      "not an object");
		if ((rc = get_pg_name(column, "name", column_where, err)) ||
		    (rc = get_text(column, "type", column_where, 1, 1,
				   ARK_PG_TYPE_TEXT_MAX, TEXT_NO_CONTROL, NULL,
				   0, err)))
			return rc;
		names[i] = json_string_value(json_object_get(column, "name"));
	}
	/* Sorted, so 1600 columns cost 1600 log 1600 comparisons. */
	qsort(names, count, sizeof(names[0]), compare_strings);
	for (size_t i = 1; i < count; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			return defect(err, ARK_ERR_CORRUPT, where,
				      "two columns have the same name");
	return 0;
}

/*
 * "<rows>:<32 lower-case hex digits>", rows in decimal without leading
 * zeros and equal to the member's "rows".
 */
static int get_content_digest(json_t *item, const char *where,
			      struct ark_digest *digest,
			      struct ark_error *err)
{
	json_t *value = json_object_get(item, "content_digest");
	const char *text = json_string_value(value);
	const char *colon = text ? strchr(text, ':') : NULL;
	size_t digits = colon ? (size_t)(colon - text) : 0;
	uint64_t rows = 0;
	int ok = json_is_string(value) && colon && digits >= 1 &&
		 digits <= 20 && (digits == 1 || text[0] != '0') &&
		 strspn(text, "0123456789") == digits &&
		 json_string_length(value) == digits + 1 + ARK_HASH_HEX_LEN &&
		 strspn(colon + 1, "0123456789abcdef") == ARK_HASH_HEX_LEN;

	for (size_t i = 0; ok && i < digits; i++) {
		unsigned digit = (unsigned)(text[i] - '0');

		if (rows > (UINT64_MAX - digit) / 10)
			ok = 0;
		else
			rows = rows * 10 + digit;
	}
	if (!ok || ark_hash_from_hex(colon + 1, &digest->sum) != 0)
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"content_digest\" is missing or not "
			      "<rows>:<32 lower-case hex digits>");
	if (rows != digest->rows)
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"content_digest\" counts %" PRIu64 " rows, "
			      "\"rows\" %" PRIu64, rows, digest->rows);
	return 0;
}

/* data/ + 7 digits + .copy.zst */
static int table_path_valid(const char *path)
{
	return strlen(path) == 21 && strncmp(path, "data/", 5) == 0 &&
	       strspn(path + 5, "0123456789") == 7 &&
	       strcmp(path + 12, ".copy.zst") == 0;
}

struct table_key {
	const char *schema;
	const char *name;
	size_t index; /* of the member */
};

static int compare_tables(const void *a, const void *b)
{
	const struct table_key *x = a;
	const struct table_key *y = b;
	int c = strcmp(x->schema, y->schema);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = x->index < y->index ? -1 : x->index > y->index;
	return c;
}

static int same_table(const struct table_key *x, const struct table_key *y)
{
	return strcmp(x->schema, y->schema) == 0 &&
	       strcmp(x->name, y->name) == 0;
}

static int check_pg_table_member(json_t *item, const char *where,
				 struct ark_member_info *member,
				 struct ark_error *err)
{
	json_int_t rows = 0;
	int rc;

	if (!table_path_valid(member->path))
		return defect(err, ARK_ERR_CORRUPT, where,
			      "a table's path is not data/NNNNNNN.copy.zst");
	if ((rc = ark_manifest_check_pg_table(json_object_get(item, "table"),
					      where, err)) ||
	    (rc = get_int(item, "rows", where, 1, 0, INT64_MAX, &rows, NULL,
			  err)))
		return rc;
	if ((uint64_t)rows > member->raw_size)
		return defect(err, ARK_ERR_CORRUPT, where,
			      "\"rows\" is %lld, more than its %" PRIu64
			      " raw bytes", (long long)rows, member->raw_size);
	member->content_digest.rows = (uint64_t)rows;
	if ((rc = get_content_digest(item, where, &member->content_digest,
				     err)))
		return rc;
	member->has_digest = 1;
	return 0;
}

int ark_manifest_check_pg_members(struct ark_manifest *manifest,
				  struct ark_error *err)
{
	json_t *members = json_object_get(manifest->root, "members");
	struct table_key *tables = NULL;
	size_t table_count = 0;
	size_t pre = 0;
	size_t post = 0;
	char where[64];
	int rc = 0;

	tables = calloc(manifest->member_count + 1, sizeof(*tables));
	if (!tables)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	for (size_t i = 0; i < manifest->member_count; i++) {
		struct ark_member_info *member = &manifest->members[i];
		json_t *item = json_array_get(members, i);

		snprintf(where, sizeof(where), "member #%zu", i + 1);
		if (strcmp(member->role, ARK_PGARCHIVE_PRE_DATA_ROLE) == 0 &&
		    strcmp(member->path, ARK_PGARCHIVE_PRE_DATA_PATH) == 0)
			pre++;
		else if (strcmp(member->role,
				ARK_PGARCHIVE_POST_DATA_ROLE) == 0 &&
			 strcmp(member->path,
				ARK_PGARCHIVE_POST_DATA_PATH) == 0)
			post++;
		else if (strcmp(member->role, ARK_PGARCHIVE_TABLE_ROLE) == 0) {
			json_t *table = json_object_get(item, "table");

			if ((rc = check_pg_table_member(item, where, member,
							err)))
				goto cleanup;
			tables[table_count].schema = json_string_value(
				json_object_get(table, "schema"));
			tables[table_count].name = json_string_value(
				json_object_get(table, "name"));
			tables[table_count++].index = i;
		} else if (strncmp(member->role, "pg-", 3) == 0 &&
			   (strcmp(member->role + 3, "pre-data") == 0 ||
			    strcmp(member->role + 3, "post-data") == 0)) {
			rc = defect(err, ARK_ERR_CORRUPT, where,
				    "the %s SQL is not at %s", member->role + 3,
				    strcmp(member->role + 3, "pre-data") == 0
					    ? ARK_PGARCHIVE_PRE_DATA_PATH
					    : ARK_PGARCHIVE_POST_DATA_PATH);
			goto cleanup;
		} else {
			rc = defect(err, ARK_ERR_CORRUPT, where,
				    "role \"%s\" is not a pg archive's",
				    member->role);
			goto cleanup;
		}
	}
	if (pre != 1 || post != 1) {
		rc = defect(err, ARK_ERR_CORRUPT, "",
			    "a pg archive holds one pre-data and one "
			    "post-data member, not %zu and %zu", pre, post);
		goto cleanup;
	}
	qsort(tables, table_count, sizeof(*tables), compare_tables);
	/* Sorted by name, then by position: the first pair found names
	 * the first member and a later one holding its table. */
	for (size_t i = 1; i < table_count; i++)
		if (same_table(&tables[i - 1], &tables[i])) {
			rc = defect(err, ARK_ERR_CORRUPT, "",
				    "member #%zu holds the same table as "
				    "member #%zu", tables[i].index + 1,
				    tables[i - 1].index + 1);
			goto cleanup;
		}
cleanup:
	free(tables);
	return rc;
}

int ark_manifest_parse(const char *text, size_t len, struct ark_manifest **out,
		       struct ark_error *err)
{
	struct ark_manifest *manifest = NULL;
	json_error_t jerr;
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
	if ((rc = check_identity(manifest, err)) ||
	    (rc = check_origin(manifest, err)) ||
	    (rc = check_members(manifest, err)))
		goto cleanup;
	if (manifest->kind_entry->check_members &&
	    (rc = manifest->kind_entry->check_members(manifest, err)))
		goto cleanup;
	*out = manifest;
	manifest = NULL;
cleanup:
	ark_manifest_free(manifest);
	return rc;
}

int ark_manifest_sqlite_image(const struct ark_manifest *manifest,
			      size_t *index, struct ark_error *err)
{
	const struct ark_member_info *image = &manifest->members[0];

	if (strcmp(manifest->kind, "sqlite") != 0)
		return ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				     "a '%s' archive, not a SQLite one",
				     manifest->kind);
	/* v1 sqlite archives hold exactly one member: the image. */
	if (manifest->member_count != 1 ||
	    strcmp(image->role, "sqlite-image") != 0 ||
	    strcmp(image->path, "database.sqlite.zst") != 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "a sqlite archive must hold one member, "
				     "database.sqlite.zst");
	/* Both are bounded by parse (2^16 x 2^32): no wrap. */
	if (manifest->page_size * manifest->page_count != image->raw_size)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "the image's raw size does not match "
				     "the source's page_size x page_count "
				     "(%" PRIu64 " bytes, not %" PRIu64 " x %"
				     PRIu64 ")", image->raw_size,
				     manifest->page_size,
				     manifest->page_count);
	*index = 0;
	return 0;
}

uint64_t ark_manifest_max_bytes(uint64_t tar_members)
{
	uint64_t base = 16u << 20;

	if (tar_members > (ARK_MANIFEST_MAX_BYTES - base) / 4096u)
		return ARK_MANIFEST_MAX_BYTES;
	return base + 4096u * tar_members;
}

int ark_manifest_format_time(int64_t unix_seconds,
			     char out[ARK_TIME_TEXT_SIZE])
{
	time_t when = (time_t)unix_seconds;
	struct tm tm;
	char text[64]; /* room for any int fields: no truncation to check */

	out[0] = '\0';
	if ((int64_t)when != unix_seconds || gmtime_r(&when, &tm) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	if (snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec) != ARK_TIME_TEXT_SIZE - 1)
		return -1;
	memcpy(out, text, ARK_TIME_TEXT_SIZE);
	return 0;
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
