/*
 * archive_read.c - reading .ark archives without trusting them.
 *
 * open():  libarchive lists the tar members (header checksums, pax
 *          records); every member must be a regular file with a safe path
 *          and a size inside the file.  The last two must be MANIFEST.json
 *          and XXH128SUMS; the manifest must match its hash, the sums text
 *          and the whole tail must be exactly what a writer produces from
 *          the manifest, and the listed members must be the manifest's, in
 *          order, at its offsets.
 * verify_data(): every byte before the manifest, hashed in one pass.
 * extract_member(): one member, by offset, with all its hashes checked.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/text.h"
#include "ark/fsio.h"
#include "core/archive_internal.h"
#include "core/tar_internal.h"

#define READ_CHUNK (1u << 20)
#define MAX_MEMBERS 1000000u

struct listed_member {
	char *path;
	uint64_t header_offset;
	uint64_t data_offset;
	uint64_t size;
};

struct ark_archive_reader {
	char *path;
	int fd;
	uint64_t file_size;
	struct ark_manifest *manifest;
	struct listed_member *listed;
	size_t listed_count;
};

static void free_listed(struct ark_archive_reader *reader)
{
	for (size_t i = 0; i < reader->listed_count; i++)
		free(reader->listed[i].path);
	free(reader->listed);
	reader->listed = NULL;
	reader->listed_count = 0;
}

static int is_reserved(const char *path)
{
	return strcmp(path, ARK_MANIFEST_NAME) == 0 ||
	       strcmp(path, ARK_SUMS_NAME) == 0;
}

static const char *type_name(mode_t type)
{
	switch (type) {
	case AE_IFLNK: return "a symbolic link";
	case AE_IFDIR: return "a directory";
	case AE_IFCHR: return "a character device";
	case AE_IFBLK: return "a block device";
	case AE_IFIFO: return "a FIFO";
	case AE_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}

/*
 * A member name as it may be shown: a hostile name must not be able to
 * forge lines or terminal escapes in a message (ark_text_escape), and
 * long names are cut.
 */
static const char *printable(const char *name, char *out, size_t room)
{
	return ark_text_escape(name, out, room);
}

/* Check one listed entry; fill *member. */
static int check_entry(struct ark_archive_reader *reader, struct archive *a,
		       struct archive_entry *entry,
		       struct listed_member *member, struct ark_error *err)
{
	const char *path = archive_entry_pathname(entry);
	int64_t size = archive_entry_size(entry);
	int64_t header = archive_read_header_position(a);
	int64_t data = archive_filter_bytes(a, 0);
	char shown[128];

	printable(path ? path : "(no name)", shown, sizeof(shown));
	if (!path || !*path)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member at offset %" PRId64
				     " has no name", reader->path, header);
	if (archive_entry_hardlink(entry))
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s' is a hard link; "
				     "refusing the archive", reader->path,
				     shown);
	if (archive_entry_filetype(entry) != AE_IFREG)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s' is %s; refusing the "
				     "archive", reader->path, shown,
				     type_name(archive_entry_filetype(entry)));
	if (!ark_member_path_valid(path))
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s' has an unsafe path "
				     "(absolute, '..' or unexpected "
				     "characters); refusing the archive",
				     reader->path, shown);
	if (archive_entry_sparse_count(entry) > 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s' is a sparse file; "
				     "refusing the archive", reader->path,
				     shown);
	if (size < 0 || header < 0 || data < header ||
	    (uint64_t)data > reader->file_size ||
	    (uint64_t)size > reader->file_size - (uint64_t)data)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s' declares %" PRId64
				     " bytes, past the end of the %" PRIu64
				     "-byte file (truncated or hostile "
				     "archive)", reader->path, shown, size,
				     reader->file_size);
	member->path = strdup(path);
	if (!member->path)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	member->header_offset = (uint64_t)header;
	member->data_offset = (uint64_t)data;
	member->size = (uint64_t)size;
	return 0;
}

static const char *listed_path_at(const void *ctx, size_t i)
{
	return ((const struct ark_archive_reader *)ctx)->listed[i].path;
}

static int check_listed_duplicates(struct ark_archive_reader *reader,
				   struct ark_error *err)
{
	size_t which = 0;
	int found = ark_paths_find_duplicate(reader->listed_count,
					     listed_path_at, reader, &which);

	if (found < 0)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	if (found)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: member '%s' appears twice",
				     reader->path, reader->listed[which].path);
	return 0;
}

static int list_members(struct ark_archive_reader *reader,
			struct ark_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	size_t room = 0;
	int rc = 0;

	if (!a)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	archive_read_support_format_tar(a);
	if (lseek(reader->fd, 0, SEEK_SET) != 0 ||
	    archive_read_open_fd(a, reader->fd, 65536) != ARCHIVE_OK) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: not an ark archive: %s", reader->path,
				   archive_error_string(a)
					   ? archive_error_string(a)
					   : "not a tar file");
		goto cleanup;
	}
	for (;;) {
		int status = archive_read_next_header(a, &entry);

		if (status == ARCHIVE_EOF)
			break;
		if (status != ARCHIVE_OK) {
			rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
					   "%s: damaged tar structure after "
					   "%zu members: %s", reader->path,
					   reader->listed_count,
					   archive_error_string(a)
						   ? archive_error_string(a)
						   : "unreadable header");
			goto cleanup;
		}
		if (reader->listed_count == MAX_MEMBERS) {
			rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
					   "%s: more than %u members",
					   reader->path, MAX_MEMBERS);
			goto cleanup;
		}
		if (reader->listed_count == room) {
			size_t grown = room ? room * 2 : 16;
			struct listed_member *more =
				realloc(reader->listed, grown * sizeof(*more));

			if (!more) {
				rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
						   "out of memory");
				goto cleanup;
			}
			reader->listed = more;
			room = grown;
		}
		memset(&reader->listed[reader->listed_count], 0,
		       sizeof(*reader->listed));
		rc = check_entry(reader, a, entry,
				 &reader->listed[reader->listed_count], err);
		if (rc)
			goto cleanup;
		reader->listed_count++;
		if (archive_read_data_skip(a) != ARCHIVE_OK) {
			rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
					   "%s: member '%s' is truncated",
					   reader->path,
					   archive_entry_pathname(entry));
			goto cleanup;
		}
	}
	rc = check_listed_duplicates(reader, err);
cleanup:
	archive_read_free(a);
	return rc;
}

static int read_small_member(struct ark_archive_reader *reader,
			     const struct listed_member *member, char **out,
			     struct ark_error *err)
{
	char *buf;
	int rc;

	/* Bounded by the members the tar holds: see manifest.h. */
	uint64_t limit = ark_manifest_max_bytes(reader->listed_count);

	*out = NULL;
	if (member->size > limit)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: %s is %" PRIu64 " bytes, more than "
				     "the %" PRIu64 " allowed for %zu members",
				     reader->path, member->path, member->size,
				     limit, reader->listed_count);
	buf = malloc(member->size + 1);
	if (!buf)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	rc = ark_fsio_pread_all(reader->fd, buf, member->size,
				member->data_offset, reader->path, err);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[member->size] = '\0';
	*out = buf;
	return 0;
}

/* The hash the sums text records for MANIFEST.json (its last line). */
static int sums_manifest_hash(const char *sums, size_t len,
			      struct ark_hash128 *out)
{
	static const char suffix[] = "  " ARK_MANIFEST_NAME "\n";
	size_t line_len = ARK_HASH_HEX_LEN + sizeof(suffix) - 1;
	char hex[ARK_HASH_HEX_LEN + 1];

	if (len < line_len || memcmp(sums + len - sizeof(suffix) + 1, suffix,
				     sizeof(suffix) - 1) != 0)
		return -1;
	if (len > line_len && sums[len - line_len - 1] != '\n')
		return -1;
	memcpy(hex, sums + len - line_len, ARK_HASH_HEX_LEN);
	hex[ARK_HASH_HEX_LEN] = '\0';
	return ark_hash_from_hex(hex, out);
}

static int check_manifest(struct ark_archive_reader *reader,
			  struct ark_error *err)
{
	const struct listed_member *manifest_member;
	const struct listed_member *sums_member;
	struct ark_manifest *manifest = NULL;
	struct ark_hash128 recorded;
	struct ark_hash128 actual;
	char *manifest_text = NULL;
	char *sums_text = NULL;
	char *expected_sums = NULL;
	uint8_t *tail = NULL;
	uint8_t *file_tail = NULL;
	size_t expected_len = 0;
	size_t tail_len = 0;
	int rc;

	if (reader->listed_count < 2 ||
	    strcmp(reader->listed[reader->listed_count - 2].path,
		   ARK_MANIFEST_NAME) != 0 ||
	    strcmp(reader->listed[reader->listed_count - 1].path,
		   ARK_SUMS_NAME) != 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: the archive does not end with %s "
				     "and %s: truncated, or not an ark "
				     "archive", reader->path,
				     ARK_MANIFEST_NAME, ARK_SUMS_NAME);
	manifest_member = &reader->listed[reader->listed_count - 2];
	sums_member = &reader->listed[reader->listed_count - 1];
	for (size_t i = 0; i + 2 < reader->listed_count; i++) {
		if (is_reserved(reader->listed[i].path))
			return ark_error_set(err, ARK_ERR_CORRUPT, 0,
					     "%s: member '%s' is out of "
					     "place", reader->path,
					     reader->listed[i].path);
	}
	if ((rc = read_small_member(reader, manifest_member, &manifest_text,
				    err)) ||
	    (rc = read_small_member(reader, sums_member, &sums_text, err)))
		goto cleanup;
	actual = ark_hash_buffer(manifest_text, manifest_member->size);
	if (sums_manifest_hash(sums_text, sums_member->size, &recorded) != 0) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: %s is damaged: no valid line for %s",
				   reader->path, ARK_SUMS_NAME,
				   ARK_MANIFEST_NAME);
		goto cleanup;
	}
	if (!ark_hash_equal(recorded, actual)) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: member '%s': hash mismatch (the "
				   "manifest or its checksum line is damaged)",
				   reader->path, ARK_MANIFEST_NAME);
		goto cleanup;
	}
	/* Every field is validated here, once, whatever the hashes say. */
	rc = ark_manifest_parse(manifest_text, manifest_member->size,
				&manifest, err);
	if (rc) {
		/* Name the archive, as every other message does. */
		ark_error_prefix(err, "%s", reader->path);
		goto cleanup;
	}
	expected_sums = ark_manifest_sums_text(manifest->members,
					       manifest->member_count, actual,
					       &expected_len);
	if (!expected_sums) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (expected_len != sums_member->size ||
	    memcmp(expected_sums, sums_text, expected_len) != 0) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: member '%s' does not match the "
				   "manifest", reader->path, ARK_SUMS_NAME);
		goto cleanup;
	}
	if (manifest->prefix_size != manifest_member->header_offset) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: the manifest starts at offset %" PRIu64
				   " but records prefix_size %" PRIu64,
				   reader->path, manifest_member->header_offset,
				   manifest->prefix_size);
		goto cleanup;
	}
	if (ark_archive_build_tail(manifest_text, manifest_member->size,
				   sums_text, sums_member->size,
				   manifest->created_unix, &tail,
				   &tail_len) != 0) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (reader->file_size != manifest->prefix_size + tail_len) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: the file is %" PRIu64 " bytes but the "
				   "archive ends at %" PRIu64 " (%s)",
				   reader->path, reader->file_size,
				   manifest->prefix_size + tail_len,
				   reader->file_size < manifest->prefix_size +
						   tail_len
					   ? "truncated"
					   : "extra bytes after the end");
		goto cleanup;
	}
	file_tail = malloc(tail_len);
	if (!file_tail) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if ((rc = ark_fsio_pread_all(reader->fd, file_tail, tail_len,
				     manifest->prefix_size, reader->path,
				     err)))
		goto cleanup;
	if (memcmp(file_tail, tail, tail_len) != 0) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: the tar headers or padding of %s or "
				   "%s are damaged", reader->path,
				   ARK_MANIFEST_NAME, ARK_SUMS_NAME);
		goto cleanup;
	}
	if (manifest->member_count != reader->listed_count - 2) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: the manifest lists %zu data members "
				   "but the archive holds %zu", reader->path,
				   manifest->member_count,
				   reader->listed_count - 2);
		goto cleanup;
	}
	for (size_t i = 0; i < manifest->member_count; i++) {
		const struct ark_member_info *want = &manifest->members[i];
		const struct listed_member *have = &reader->listed[i];

		if (strcmp(want->path, have->path) != 0) {
			rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
					   "%s: member #%zu is '%s' where the "
					   "manifest expects '%s' (members "
					   "reordered, missing or added)",
					   reader->path, i + 1, have->path,
					   want->path);
			goto cleanup;
		}
		if (want->header_offset != have->header_offset ||
		    want->data_offset != have->data_offset ||
		    want->stored_size != have->size) {
			rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
					   "%s: member '%s' is not where the "
					   "manifest records it (offset or "
					   "size differs)", reader->path,
					   want->path);
			goto cleanup;
		}
	}
	reader->manifest = manifest;
	manifest = NULL;
cleanup:
	ark_manifest_free(manifest);
	free(manifest_text);
	free(sums_text);
	free(expected_sums);
	free(tail);
	free(file_tail);
	return rc;
}

int ark_archive_reader_open(const char *path, struct ark_archive_reader **out,
			    struct ark_error *err)
{
	struct ark_archive_reader *reader;
	struct stat st;
	int rc;

	*out = NULL;
	reader = calloc(1, sizeof(*reader));
	if (!reader)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	reader->fd = -1;
	reader->path = strdup(path);
	if (!reader->path) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto fail;
	}
	/* O_NONBLOCK: a FIFO given as ARCHIVE must not hang the open. */
	reader->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (reader->fd < 0) {
		rc = ark_error_set(err, ARK_ERR_READ, errno, "cannot open '%s'",
				   path);
		goto fail;
	}
	if (fstat(reader->fd, &st) != 0) {
		rc = ark_error_set(err, ARK_ERR_READ, errno, "cannot stat '%s'",
				   path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ark_error_set(err, ARK_ERR_READ, 0,
				   "'%s' is not a regular file", path);
		goto fail;
	}
	if (fcntl(reader->fd, F_SETFL, 0) != 0) {
		rc = ark_error_set(err, ARK_ERR_READ, errno, "cannot read '%s'",
				   path);
		goto fail;
	}
	reader->file_size = (uint64_t)st.st_size;
	if ((rc = list_members(reader, err)) ||
	    (rc = check_manifest(reader, err)))
		goto fail;
	*out = reader;
	return 0;
fail:
	ark_archive_reader_free(reader);
	return rc;
}

void ark_archive_reader_free(struct ark_archive_reader *reader)
{
	if (!reader)
		return;
	if (reader->fd >= 0)
		close(reader->fd);
	free_listed(reader);
	ark_manifest_free(reader->manifest);
	free(reader->path);
	free(reader);
}

const struct ark_manifest *
ark_archive_reader_manifest(const struct ark_archive_reader *reader)
{
	return reader->manifest;
}

uint64_t ark_archive_reader_file_size(const struct ark_archive_reader *reader)
{
	return reader->file_size;
}

static int hash_mismatch(struct ark_archive_reader *reader, const char *what,
			 const char *member, struct ark_hash128 want,
			 struct ark_hash128 have, struct ark_error *err)
{
	char want_hex[ARK_HASH_HEX_LEN + 1];
	char have_hex[ARK_HASH_HEX_LEN + 1];

	ark_hash_to_hex(want, want_hex);
	ark_hash_to_hex(have, have_hex);
	return ark_error_set(err, ARK_ERR_CORRUPT, 0,
			     "%s: member '%s': %s hash mismatch (manifest %s, "
			     "actual %s)", reader->path, member, what,
			     want_hex, have_hex);
}

int ark_archive_verify_data(struct ark_archive_reader *reader,
			    struct ark_progress *progress,
			    struct ark_error *err)
{
	const struct ark_manifest *manifest = reader->manifest;
	struct ark_hasher *prefix = ark_hasher_new();
	struct ark_hasher *member_hasher = ark_hasher_new();
	uint8_t *buf = malloc(READ_CHUNK);
	size_t index = 0;
	uint64_t offset = 0;
	int rc = 0;

	if (!prefix || !member_hasher || !buf) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	while (offset < manifest->prefix_size) {
		size_t now = manifest->prefix_size - offset > READ_CHUNK
				     ? READ_CHUNK
				     : (size_t)(manifest->prefix_size - offset);
		uint64_t end = offset + now;

		if ((rc = ark_fsio_check_interrupt(err)) ||
		    (rc = ark_fsio_pread_all(reader->fd, buf, now, offset,
					     reader->path, err)))
			goto cleanup;
		ark_hasher_update(prefix, buf, now);
		/* Feed the parts of this chunk that are member data. */
		while (index < manifest->member_count) {
			const struct ark_member_info *m =
				&manifest->members[index];
			uint64_t data_end = m->data_offset + m->stored_size;
			uint64_t from = m->data_offset > offset ? m->data_offset
								: offset;
			uint64_t to = data_end < end ? data_end : end;

			if (from < to)
				ark_hasher_update(member_hasher,
						  buf + (from - offset),
						  (size_t)(to - from));
			if (data_end > end)
				break;
			if (!ark_hash_equal(ark_hasher_digest(member_hasher),
					    m->stored_hash)) {
				rc = hash_mismatch(
					reader, "stored data", m->path,
					m->stored_hash,
					ark_hasher_digest(member_hasher), err);
				goto cleanup;
			}
			ark_hasher_reset(member_hasher);
			index++;
		}
		offset = end;
		ark_progress_update(progress, offset);
	}
	if (!ark_hash_equal(ark_hasher_digest(prefix), manifest->prefix_hash)) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: tar headers or padding damaged in the "
				   "first %" PRIu64 " bytes (prefix hash "
				   "mismatch; member data is intact)",
				   reader->path, manifest->prefix_size);
		goto cleanup;
	}
cleanup:
	ark_hasher_free(prefix);
	ark_hasher_free(member_hasher);
	free(buf);
	return rc;
}

struct raw_check {
	struct ark_hasher *hasher;
	struct ark_sink out;
};

static int raw_check_write(void *ctx, const void *buf, size_t len,
			   struct ark_error *err)
{
	struct raw_check *check = ctx;

	ark_hasher_update(check->hasher, buf, len);
	return check->out.write(check->out.ctx, buf, len, err);
}

int ark_archive_extract_member(struct ark_archive_reader *reader,
			       size_t index, struct ark_sink out,
			       struct ark_progress *progress,
			       struct ark_error *err)
{
	const struct ark_member_info *m;
	struct ark_hasher *stored = ark_hasher_new();
	struct raw_check check = { ark_hasher_new(), out };
	struct ark_sink raw_sink = { raw_check_write, &check };
	struct ark_decompressor *dec = NULL;
	uint8_t *buf = malloc(READ_CHUNK);
	char what[ARK_MEMBER_PATH_MAX + 64];
	uint64_t done = 0;
	int rc;

	if (!stored || !check.hasher || !buf) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	if (index >= reader->manifest->member_count) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "member index %zu out of range", index);
		goto cleanup;
	}
	m = &reader->manifest->members[index];
	snprintf(what, sizeof(what), "%s: member '%s'", reader->path, m->path);
	rc = ark_decompressor_new(raw_sink, m->raw_size, what, &dec, err);
	if (rc)
		goto cleanup;
	while (done < m->stored_size) {
		size_t now = m->stored_size - done > READ_CHUNK
				     ? READ_CHUNK
				     : (size_t)(m->stored_size - done);

		if ((rc = ark_fsio_check_interrupt(err)) ||
		    (rc = ark_fsio_pread_all(reader->fd, buf, now,
					     m->data_offset + done,
					     reader->path, err)))
			goto cleanup;
		ark_hasher_update(stored, buf, now);
		done += now;
		/* The last chunk is decompressed only once all is hashed. */
		if (done == m->stored_size &&
		    !ark_hash_equal(ark_hasher_digest(stored),
				    m->stored_hash))
			break;
		rc = ark_decompressor_write(dec, buf, now, err);
		if (rc)
			goto cleanup;
		ark_progress_update(progress, done);
	}
	if (!ark_hash_equal(ark_hasher_digest(stored), m->stored_hash)) {
		rc = hash_mismatch(reader, "stored data", m->path,
				   m->stored_hash, ark_hasher_digest(stored),
				   err);
		goto cleanup;
	}
	if ((rc = ark_decompressor_finish(dec, err)))
		goto cleanup;
	if (ark_decompressor_output_bytes(dec) != m->raw_size) {
		rc = ark_error_set(err, ARK_ERR_CORRUPT, 0,
				   "%s: decompresses to %" PRIu64 " bytes, the "
				   "manifest records %" PRIu64, what,
				   ark_decompressor_output_bytes(dec),
				   m->raw_size);
		goto cleanup;
	}
	if (!ark_hash_equal(ark_hasher_digest(check.hasher), m->raw_hash)) {
		rc = hash_mismatch(reader, "raw content", m->path, m->raw_hash,
				   ark_hasher_digest(check.hasher), err);
		goto cleanup;
	}
cleanup:
	ark_decompressor_free(dec);
	ark_hasher_free(stored);
	ark_hasher_free(check.hasher);
	free(buf);
	return rc;
}
