/*
 * archive_image.c - a sqlite archive read as a SQLite source
 * (ark/sqlite_archive.h): verified, its image in a private temporary.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/fsio.h"
#include "ark/hash.h"
#include "ark/manifest.h"
#include "ark/sqlite_archive.h"
#include "sqlite/sqlite_image_internal.h"

/* Reads of the whole-file hash. */
#define HASH_CHUNK (1024 * 1024)

struct ark_sqlite_archive_image {
	struct ark_atomic_file *file; /* the 0600 temporary, never committed */
	json_t *identity;
};

int ark_sqlite_archive_detect(const char *path)
{
	static const char sqlite_magic[16] = "SQLite format 3";
	unsigned char head[512];
	size_t len = strlen(path);
	ssize_t got = -1;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0) {
		got = read(fd, head, sizeof(head));
		close(fd);
	}
	if (got >= 16 && memcmp(head, sqlite_magic, 16) == 0)
		return 0;
	/* a tar header: "ustar" at byte 257 (pax and ustar alike) */
	if (got == (ssize_t)sizeof(head) && memcmp(head + 257, "ustar", 5) == 0)
		return 1;
	/* named like one (its first header damaged): the reader says what
	 * is wrong with it, not SQLite */
	return got > 0 && len > 4 && strcmp(path + len - 4, ".ark") == 0;
}

/* The first bytes of the image (for ark_sqlite_image_header) go by. */
struct image_sink {
	struct ark_atomic_file *file;
	unsigned char head[ARK_SQLITE_HEADER_SIZE];
	size_t head_len;
};

static int image_write(void *context, const void *data, size_t len,
		       struct ark_error *err)
{
	struct image_sink *sink = context;
	size_t take = sizeof(sink->head) - sink->head_len;

	if (take > len)
		take = len;
	memcpy(sink->head + sink->head_len, data, take);
	sink->head_len += take;
	return ark_fsio_write_all(ark_atomic_fd(sink->file), data, len,
				  ark_atomic_temp_path(sink->file), err);
}

/* XXH3-128 of the whole file, as xxhsum -H2 and ark-snapshot give it. */
static int hash_file(const char *path, struct ark_hash128 *out,
		     struct ark_error *err)
{
	struct ark_hasher *hasher = ark_hasher_new();
	char *buf = malloc(HASH_CHUNK);
	ssize_t got;
	int fd = -1, rc = 0;

	if (!hasher || !buf) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = ark_error_set(err, ARK_ERR_READ, errno,
				   "cannot open '%s'", path);
		goto cleanup;
	}
	while ((got = read(fd, buf, HASH_CHUNK)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = ark_error_set(err, ARK_ERR_READ, errno,
					   "cannot read '%s'", path);
			goto cleanup;
		}
		ark_hasher_update(hasher, buf, (size_t)got);
		if ((rc = ark_fsio_check_interrupt(err)))
			goto cleanup;
	}
	*out = ark_hasher_digest(hasher);
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	ark_hasher_free(hasher);
	return rc;
}

/*
 * The archived database's identity (validated when the manifest was
 * parsed), where the archive is and what it hashes to.
 */
static int make_identity(const struct ark_manifest *manifest,
			 const char *archive_path, json_t **out,
			 struct ark_error *err)
{
	static const char *const keys[] = {
		"path", "size", "page_size", "page_count", "freelist_count",
		"journal_mode", "user_version", "application_id",
		"schema_xxh128", "sqlite_version", "host",
	};
	json_t *source = json_object_get(manifest->root, "source");
	json_t *identity = json_object();
	struct ark_hash128 whole;
	char hex[ARK_HASH_HEX_LEN + 1];
	char *absolute = NULL;
	int rc;

	*out = NULL;
	if (!identity)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *value = json_object_get(source, keys[i]);

		if (value && json_object_set(identity, keys[i], value) != 0)
			goto nomem;
	}
	if ((rc = hash_file(archive_path, &whole, err))) {
		json_decref(identity);
		return rc;
	}
	ark_hash_to_hex(whole, hex);
	absolute = realpath(archive_path, NULL);
	if (json_object_set_new(identity, "archive_path",
				json_string(absolute ? absolute
						     : archive_path)) != 0 ||
	    json_object_set_new(identity, "archive_xxh128",
				json_string(hex)) != 0)
		goto nomem;
	free(absolute);
	*out = identity;
	return 0;
nomem:
	free(absolute);
	json_decref(identity);
	return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
}

/* tmpdir, or $TMPDIR, or /tmp; a directory with room for bytes. */
static int temp_dir(const char *tmpdir, uint64_t bytes, const char **out,
		    struct ark_error *err)
{
	struct stat st;
	uint64_t have = 0;
	int rc;

	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	*out = tmpdir;
	if (stat(tmpdir, &st) != 0)
		return ark_error_set(err, ARK_ERR_WRITE, errno,
				     "cannot write the archive's image into "
				     "'%s'", tmpdir);
	if (!S_ISDIR(st.st_mode))
		return ark_error_set(err, ARK_ERR_WRITE, ENOTDIR,
				     "cannot write the archive's image into "
				     "'%s'", tmpdir);
	if ((rc = ark_fsio_free_space(tmpdir, &have, err)))
		return rc;
	if (have < bytes)
		return ark_error_set(err, ARK_ERR_WRITE, 0,
				     "cannot write the archive's image into "
				     "'%s': it needs %" PRIu64 " bytes, %"
				     PRIu64 " are free", tmpdir, bytes, have);
	return 0;
}

/* The reader names the archive in most of its messages: in all of them. */
static void name_archive(struct ark_error *err, const char *archive_path)
{
	size_t len = strlen(archive_path);

	if (err->code == ARK_ERR_INTERRUPTED ||
	    (strncmp(err->msg, archive_path, len) == 0 &&
	     err->msg[len] == ':'))
		return;
	ark_error_prefix(err, "%s", archive_path);
}

int ark_sqlite_archive_image_from_reader(struct ark_archive_reader *reader,
					 const char *archive_path,
					 const char *tmpdir,
					 struct ark_progress *progress,
					 struct ark_sqlite_archive_image **out,
					 struct ark_error *err)
{
	const struct ark_manifest *manifest =
		ark_archive_reader_manifest(reader);
	struct ark_sqlite_archive_image *image = NULL;
	struct image_sink sink = { 0 };
	char name[PATH_MAX];
	const char *dir;
	size_t index;
	int rc;

	*out = NULL;
	if ((rc = ark_sqlite_image_find(reader, archive_path, &index, err)) ||
	    (rc = temp_dir(tmpdir, manifest->members[index].raw_size, &dir,
			   err)))
		return rc;
	if (snprintf(name, sizeof(name), "%s/ark-archive-image.sqlite", dir) >=
	    (int)sizeof(name))
		return ark_error_set(err, ARK_ERR_WRITE, ENAMETOOLONG,
				     "cannot write the archive's image into "
				     "'%s'", dir);
	image = calloc(1, sizeof(*image));
	if (!image)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	/* every stored byte first, as ark-checksum-verify checks them */
	ark_progress_phase(progress, "archive: verify", manifest->prefix_size,
			   "bytes");
	if ((rc = ark_archive_verify_data(reader, progress, err))) {
		name_archive(err, archive_path);
		goto fail;
	}
	if ((rc = make_identity(manifest, archive_path, &image->identity,
				err)) ||
	    (rc = ark_atomic_open_short(name, &image->file, err)))
		goto fail;
	ark_progress_phase(progress, "archive: decompress",
			   manifest->members[index].stored_size, "bytes");
	sink.file = image->file;
	if ((rc = ark_archive_extract_member(reader, index,
					     (struct ark_sink){ image_write,
								&sink },
					     progress, err))) {
		name_archive(err, archive_path);
		goto fail;
	}
	if ((rc = ark_sqlite_image_header(sink.head, sink.head_len, manifest,
					  archive_path, err)))
		goto fail;
	*out = image;
	return 0;
fail:
	ark_sqlite_archive_image_free(image);
	return rc;
}

int ark_sqlite_archive_image_open(const char *archive_path, const char *tmpdir,
				  struct ark_progress *progress,
				  struct ark_sqlite_archive_image **out,
				  struct ark_error *err)
{
	struct ark_archive_reader *reader = NULL;
	int rc;

	*out = NULL;
	if ((rc = ark_archive_reader_open(archive_path, &reader, err)) == 0)
		rc = ark_sqlite_archive_image_from_reader(reader, archive_path,
							  tmpdir, progress,
							  out, err);
	ark_archive_reader_free(reader);
	return rc;
}

const char *
ark_sqlite_archive_image_path(const struct ark_sqlite_archive_image *image)
{
	return ark_atomic_temp_path(image->file);
}

json_t *
ark_sqlite_archive_image_identity(const struct ark_sqlite_archive_image *image)
{
	return json_deep_copy(image->identity);
}

void ark_sqlite_archive_image_free(struct ark_sqlite_archive_image *image)
{
	if (!image)
		return;
	ark_atomic_free(image->file); /* never committed: removed */
	json_decref(image->identity);
	free(image);
}
