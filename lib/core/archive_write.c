/*
 * archive_write.c - streaming writer of .ark archives.
 *
 * Data flow of a member: raw bytes -> raw hash -> zstd (checksummed frames)
 * -> stored hash -> temporary file.  The member's headers are written with
 * a zero size first and patched in place when the member ends, so nothing
 * is staged in memory or in a second file.
 *
 * Spooled members (many at once, ark/archive.h) take the same path into a
 * spool file of their own; one appender at a time copies a finished spool
 * into the archive, hashing the archive's prefix as it copies.  Why not
 * copy_file_range(): prefix_xxh128 covers every header, data and padding
 * byte in file order, so each appended byte must pass through the hasher
 * anyway; copying in the kernel would need a second read of the spool to
 * hash it.  One pread of the spool (just written: in the page cache) and
 * one write is the least I/O that keeps the hash streaming, and finish()
 * then re-reads nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/cli.h"
#include "ark/fsio.h"
#include "core/archive_internal.h"
#include "core/tar_internal.h"

#define READBACK_CHUNK (1u << 20)
#define WRITEBACK_STEP (8u << 20)
#define SPOOL_CHUNK (256u << 10)

struct ark_archive_writer {
	struct ark_atomic_file *file;
	int fd;
	uint64_t pos; /* bytes written so far */
	uint64_t flushed; /* writeback started up to here */
	struct ark_archive_writer_options options;
	json_t *source;

	/*
	 * Guards everything below and pos/flushed/fd writes while spools
	 * end in several threads.
	 */
	pthread_mutex_t lock;
	int broken; /* an append failed half-way: the file is unusable */
	/* [0, hashed) already went through prefix_hasher and whole_hasher */
	uint64_t hashed;
	struct ark_hasher *prefix_hasher;
	struct ark_hasher *whole_hasher;

	struct ark_member_info *members;
	json_t **member_extra; /* per member: extra manifest keys, or NULL */
	size_t member_count;
	size_t member_room;

	/* the member being written */
	int in_member;
	struct ark_member_info current;
	struct ark_compressor *compressor;
	struct ark_hasher *stored_hasher;
	struct ark_hasher *raw_hasher;
};

static int stored_write(void *ctx, const void *buf, size_t len,
			struct ark_error *err)
{
	struct ark_archive_writer *writer = ctx;
	int rc;

	rc = ark_fsio_write_all(writer->fd, buf, len,
				ark_atomic_final_path(writer->file), err);
	if (rc)
		return rc;
	ark_hasher_update(writer->stored_hasher, buf, len);
	writer->current.stored_size += len;
	writer->pos += len;
	/*
	 * Start writeback of what is written as we go, so the final fsync
	 * is short and other processes syncing on the same disk (a live
	 * database's commits) do not wait behind one large flush.
	 */
	if (writer->pos - writer->flushed >= WRITEBACK_STEP) {
		(void)sync_file_range(writer->fd, (off_t)writer->flushed,
				      (off_t)(writer->pos - writer->flushed),
				      SYNC_FILE_RANGE_WRITE);
		writer->flushed = writer->pos;
	}
	return 0;
}

static int write_zeros(struct ark_archive_writer *writer, uint64_t count,
		       struct ark_error *err)
{
	static const uint8_t zeros[ARK_TAR_BLOCK * 2];

	while (count > 0) {
		size_t now = count > sizeof(zeros) ? sizeof(zeros)
						   : (size_t)count;
		int rc = ark_fsio_write_all(writer->fd, zeros, now,
					    ark_atomic_final_path(writer->file),
					    err);
		if (rc)
			return rc;
		writer->pos += now;
		count -= now;
	}
	return 0;
}

int ark_archive_writer_open(const char *final_path,
			    const struct ark_archive_writer_options *options,
			    struct ark_archive_writer **out,
			    struct ark_error *err)
{
	struct ark_archive_writer *writer;
	int rc;

	*out = NULL;
	/* Readers refuse any other: it is every tar mtime (11 octal digits). */
	if (options->created_unix < 0 ||
	    options->created_unix > ARK_CREATED_UNIX_MAX)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "creation time %lld is outside what an "
				     "archive records (0..%lld)",
				     (long long)options->created_unix,
				     (long long)ARK_CREATED_UNIX_MAX);
	writer = calloc(1, sizeof(*writer));
	if (!writer)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	writer->options = *options;
	writer->fd = -1;
	pthread_mutex_init(&writer->lock, NULL);
	writer->stored_hasher = ark_hasher_new();
	writer->raw_hasher = ark_hasher_new();
	writer->prefix_hasher = ark_hasher_new();
	writer->whole_hasher = ark_hasher_new();
	if (!writer->stored_hasher || !writer->raw_hasher ||
	    !writer->prefix_hasher || !writer->whole_hasher) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto fail;
	}
	rc = ark_atomic_open(final_path, &writer->file, err);
	if (rc)
		goto fail;
	writer->fd = ark_atomic_fd(writer->file);
	*out = writer;
	return 0;
fail:
	ark_archive_writer_free(writer);
	return rc;
}

void ark_archive_writer_set_source(struct ark_archive_writer *writer,
				   json_t *source)
{
	json_decref(writer->source);
	writer->source = source;
}

int ark_archive_member_begin(struct ark_archive_writer *writer,
			     const char *path, const char *role,
			     uint64_t raw_size, struct ark_error *err)
{
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];
	struct ark_sink sink = { stored_write, writer };
	int rc;

	if (writer->in_member)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "member '%s' begun inside another",
				     path);
	if (!ark_member_path_valid(path) || !ark_member_path_is_data(path) ||
	    strlen(role) >= sizeof(writer->current.role))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "invalid member path '%s'", path);
	memset(&writer->current, 0, sizeof(writer->current));
	strcpy(writer->current.path, path);
	strcpy(writer->current.role, role);
	writer->current.header_offset = writer->pos;
	if (ark_tar_member_header(header, path, 0,
				  writer->options.created_unix) != 0)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "member path '%s' too long", path);
	rc = ark_fsio_write_all(writer->fd, header, sizeof(header),
				ark_atomic_final_path(writer->file), err);
	if (rc)
		return rc;
	writer->pos += sizeof(header);
	writer->current.data_offset = writer->pos;
	ark_hasher_reset(writer->stored_hasher);
	ark_hasher_reset(writer->raw_hasher);
	rc = ark_compressor_new(writer->options.level, writer->options.threads,
				raw_size, sink, &writer->compressor, err);
	if (rc)
		return rc;
	writer->in_member = 1;
	return 0;
}

int ark_archive_member_write(struct ark_archive_writer *writer,
			     const void *buf, size_t len,
			     struct ark_error *err)
{
	if (!writer->in_member)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "write outside a member");
	ark_hasher_update(writer->raw_hasher, buf, len);
	writer->current.raw_size += len;
	return ark_compressor_write(writer->compressor, buf, len, err);
}

static int member_sink_write(void *ctx, const void *buf, size_t len,
			     struct ark_error *err)
{
	return ark_archive_member_write(ctx, buf, len, err);
}

struct ark_sink ark_archive_member_sink(struct ark_archive_writer *writer)
{
	struct ark_sink sink = { member_sink_write, writer };

	return sink;
}

/* Record a finished member (extra stolen, freed on failure). */
static int add_member(struct ark_archive_writer *writer,
		      const struct ark_member_info *member, json_t *extra,
		      struct ark_error *err)
{
	if (writer->member_count == writer->member_room) {
		size_t room = writer->member_room ? writer->member_room * 2 : 8;
		struct ark_member_info *grown;
		json_t **grown_extra;

		grown = realloc(writer->members, room * sizeof(*grown));
		if (grown)
			writer->members = grown;
		grown_extra = realloc(writer->member_extra,
				      room * sizeof(*grown_extra));
		if (grown_extra)
			writer->member_extra = grown_extra;
		if (!grown || !grown_extra) {
			json_decref(extra);
			return ark_error_set(err, ARK_ERR_INTERNAL, 0,
					     "out of memory");
		}
		writer->member_room = room;
	}
	writer->member_extra[writer->member_count] = extra;
	writer->members[writer->member_count++] = *member;
	return 0;
}

int ark_archive_member_end(struct ark_archive_writer *writer,
			   struct ark_error *err)
{
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];
	int rc;

	if (!writer->in_member)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "member end without a member");
	rc = ark_compressor_finish(writer->compressor, err);
	ark_compressor_free(writer->compressor);
	writer->compressor = NULL;
	writer->in_member = 0;
	if (rc)
		return rc;
	rc = write_zeros(writer, ark_tar_padding(writer->current.stored_size),
			 err);
	if (rc)
		return rc;
	ark_tar_member_header(header, writer->current.path,
			      writer->current.stored_size,
			      writer->options.created_unix);
	rc = ark_fsio_pwrite_all(writer->fd, header, sizeof(header),
				 writer->current.header_offset,
				 ark_atomic_final_path(writer->file), err);
	if (rc)
		return rc;
	writer->current.stored_hash = ark_hasher_digest(writer->stored_hasher);
	writer->current.raw_hash = ark_hasher_digest(writer->raw_hasher);
	return add_member(writer, &writer->current, NULL, err);
}

/* ---- spooled members ---- */

struct ark_archive_spool {
	struct ark_archive_writer *writer;
	int fd;                       /* the spool file */
	struct ark_atomic_file *named; /* fallback spool; NULL for O_TMPFILE */
	struct ark_member_info info;
	struct ark_compressor *compressor;
	struct ark_hasher *stored_hasher;
	struct ark_hasher *raw_hasher;
};

static const char *spool_name(const struct ark_archive_spool *spool)
{
	return spool->named ? ark_atomic_temp_path(spool->named)
			    : ark_atomic_final_path(spool->writer->file);
}

static int spool_stored_write(void *ctx, const void *buf, size_t len,
			      struct ark_error *err)
{
	struct ark_archive_spool *spool = ctx;
	int rc = ark_fsio_write_all(spool->fd, buf, len, spool_name(spool),
				    err);

	if (rc) {
		ark_error_prefix(err, "spool of member '%s'",
				 spool->info.path);
		return rc;
	}
	ark_hasher_update(spool->stored_hasher, buf, len);
	spool->info.stored_size += len;
	return 0;
}

/*
 * The spool file, 0600, beside the archive (same file system: the copy
 * stays there): unnamed when O_TMPFILE works, so no signal, crash or
 * SIGKILL can leave it behind; else an fsio temporary, which the signal
 * handlers remove.
 */
static int spool_open(struct ark_archive_spool *spool, struct ark_error *err)
{
	const char *archive = ark_atomic_final_path(spool->writer->file);
	char dir[4096];
	char name[4096];
	int rc;

	if (ark_fsio_dir_of(ark_atomic_temp_path(spool->writer->file), dir,
			    sizeof(dir)) != 0)
		return ark_error_set(err, ARK_ERR_WRITE, ENAMETOOLONG,
				     "cannot spool a member of '%s'", archive);
	if (!spool->writer->options.named_spools) {
		spool->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (spool->fd >= 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
			return ark_error_set(err, ARK_ERR_WRITE, errno,
					     "cannot create a spool file in "
					     "'%s'", dir);
	}
	if ((size_t)snprintf(name, sizeof(name), "%s.spool", archive) >=
	    sizeof(name))
		return ark_error_set(err, ARK_ERR_WRITE, ENAMETOOLONG,
				     "cannot spool a member of '%s'", archive);
	rc = ark_atomic_open(name, &spool->named, err);
	if (rc)
		return rc;
	spool->fd = ark_atomic_fd(spool->named);
	return 0;
}

int ark_archive_spool_begin(struct ark_archive_writer *writer,
			    const char *path, const char *role, int threads,
			    struct ark_archive_spool **out,
			    struct ark_error *err)
{
	struct ark_archive_spool *spool;
	struct ark_sink sink;
	int rc;

	*out = NULL;
	if (!ark_member_path_valid(path) || !ark_member_path_is_data(path) ||
	    strlen(role) == 0 || strlen(role) >= sizeof(spool->info.role))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "invalid member path '%s'", path);
	spool = calloc(1, sizeof(*spool));
	if (!spool)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	spool->writer = writer;
	spool->fd = -1;
	strcpy(spool->info.path, path);
	strcpy(spool->info.role, role);
	spool->stored_hasher = ark_hasher_new();
	spool->raw_hasher = ark_hasher_new();
	if (!spool->stored_hasher || !spool->raw_hasher) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto fail;
	}
	if ((rc = spool_open(spool, err)))
		goto fail;
	sink.write = spool_stored_write;
	sink.ctx = spool;
	rc = ark_compressor_new(writer->options.level, threads,
				ARK_ZIO_UNKNOWN_SIZE, sink, &spool->compressor,
				err);
	if (rc)
		goto fail;
	*out = spool;
	return 0;
fail:
	ark_archive_spool_free(spool);
	return rc;
}

int ark_archive_spool_write(struct ark_archive_spool *spool, const void *buf,
			    size_t len, struct ark_error *err)
{
	int rc = ark_fsio_check_interrupt(err);

	if (rc)
		return rc;
	ark_hasher_update(spool->raw_hasher, buf, len);
	spool->info.raw_size += len;
	return ark_compressor_write(spool->compressor, buf, len, err);
}

static int spool_sink_write(void *ctx, const void *buf, size_t len,
			    struct ark_error *err)
{
	return ark_archive_spool_write(ctx, buf, len, err);
}

struct ark_sink ark_archive_spool_sink(struct ark_archive_spool *spool)
{
	struct ark_sink sink = { spool_sink_write, spool };

	return sink;
}

uint64_t ark_archive_spool_raw_size(const struct ark_archive_spool *spool)
{
	return spool->info.raw_size;
}

/*
 * Write bytes at the archive's end (writer locked); while everything
 * before them is hashed, hash them too.
 */
static int append_bytes(struct ark_archive_writer *writer, const void *buf,
			size_t len, struct ark_error *err)
{
	int rc = ark_fsio_write_all(writer->fd, buf, len,
				    ark_atomic_final_path(writer->file), err);

	if (rc)
		return rc;
	if (writer->hashed == writer->pos) {
		ark_hasher_update(writer->prefix_hasher, buf, len);
		ark_hasher_update(writer->whole_hasher, buf, len);
		writer->hashed += len;
	}
	writer->pos += len;
	if (writer->pos - writer->flushed >= WRITEBACK_STEP) {
		(void)sync_file_range(writer->fd, (off_t)writer->flushed,
				      (off_t)(writer->pos - writer->flushed),
				      SYNC_FILE_RANGE_WRITE);
		writer->flushed = writer->pos;
	}
	return 0;
}

/* Headers, the spooled bytes, padding: the whole member (writer locked). */
static int append_spool(struct ark_archive_spool *spool, uint8_t *buf,
			struct ark_error *err)
{
	struct ark_archive_writer *writer = spool->writer;
	static const uint8_t zeros[ARK_TAR_BLOCK];
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];
	uint64_t offset = 0;
	int rc;

	spool->info.header_offset = writer->pos;
	spool->info.data_offset = writer->pos + sizeof(header);
	if (ark_tar_member_header(header, spool->info.path,
				  spool->info.stored_size,
				  writer->options.created_unix) != 0)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "member path '%s' too long",
				     spool->info.path);
	if ((rc = append_bytes(writer, header, sizeof(header), err)))
		return rc;
	while (offset < spool->info.stored_size) {
		uint64_t left = spool->info.stored_size - offset;
		size_t now = left > SPOOL_CHUNK ? SPOOL_CHUNK : (size_t)left;

		if ((rc = ark_fsio_check_interrupt(err)) ||
		    (rc = ark_fsio_pread_all(spool->fd, buf, now, offset,
					     spool_name(spool), err)) ||
		    (rc = append_bytes(writer, buf, now, err)))
			return rc;
		offset += now;
	}
	return append_bytes(writer, zeros,
			    (size_t)ark_tar_padding(spool->info.stored_size),
			    err);
}

int ark_archive_spool_end(struct ark_archive_spool *spool, json_t *extra,
			  struct ark_error *err)
{
	struct ark_archive_writer *writer = spool->writer;
	uint8_t *buf = NULL;
	int rc;

	rc = ark_compressor_finish(spool->compressor, err);
	if (rc)
		goto cleanup;
	spool->info.stored_hash = ark_hasher_digest(spool->stored_hasher);
	spool->info.raw_hash = ark_hasher_digest(spool->raw_hasher);
	buf = malloc(SPOOL_CHUNK);
	if (!buf) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	pthread_mutex_lock(&writer->lock);
	if (writer->broken || writer->in_member)
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "member '%s' cannot be appended: %s",
				   spool->info.path,
				   writer->broken ? "an append failed before"
						  : "a member is open");
	else if ((rc = append_spool(spool, buf, err)))
		writer->broken = 1;
	else {
		rc = add_member(writer, &spool->info, extra, err);
		extra = NULL;
		if (rc)
			writer->broken = 1;
	}
	pthread_mutex_unlock(&writer->lock);
cleanup:
	json_decref(extra);
	free(buf);
	ark_archive_spool_free(spool);
	return rc;
}

void ark_archive_spool_free(struct ark_archive_spool *spool)
{
	if (!spool)
		return;
	ark_compressor_free(spool->compressor);
	if (spool->named)
		ark_atomic_free(spool->named); /* never committed: removed */
	else if (spool->fd >= 0)
		close(spool->fd);
	ark_hasher_free(spool->stored_hasher);
	ark_hasher_free(spool->raw_hasher);
	free(spool);
}

/* Hash [from, size) of the temporary into both hashers. */
static int hash_prefix(struct ark_archive_writer *writer, uint64_t from,
		       uint64_t size, struct ark_hasher *prefix,
		       struct ark_hasher *whole, struct ark_error *err)
{
	uint8_t *buf;
	uint64_t offset = from;
	int rc = 0;

	if (offset >= size)
		return 0;
	buf = malloc(READBACK_CHUNK);

	if (!buf)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	while (offset < size) {
		size_t now = size - offset > READBACK_CHUNK
				     ? READBACK_CHUNK
				     : (size_t)(size - offset);

		rc = ark_fsio_pread_all(writer->fd, buf, now, offset,
					ark_atomic_temp_path(writer->file),
					err);
		if (rc)
			break;
		ark_hasher_update(prefix, buf, now);
		ark_hasher_update(whole, buf, now);
		offset += now;
	}
	free(buf);
	return rc;
}

static json_t *build_manifest(struct ark_archive_writer *writer,
			      struct ark_hash128 prefix_hash)
{
	char created[ARK_TIME_TEXT_SIZE];
	char prefix_hex[ARK_HASH_HEX_LEN + 1];
	json_t *root;
	json_t *members;

	/* In range since writer_open; a failure leaves "" for the check. */
	(void)ark_manifest_format_time(writer->options.created_unix, created);
	ark_hash_to_hex(prefix_hash, prefix_hex);
	json_t *source = writer->source ? writer->source : json_object();

	/* The manifest owns the source from here, whatever happens. */
	writer->source = NULL;
	members = json_array();
	if (!members || !source) {
		json_decref(members);
		json_decref(source);
		return NULL;
	}
	for (size_t i = 0; i < writer->member_count; i++) {
		json_t *member = ark_manifest_member_to_json(
			&writer->members[i]);

		if (member && writer->member_extra[i] &&
		    json_object_update(member, writer->member_extra[i]) != 0) {
			json_decref(member);
			member = NULL;
		}
		if (json_array_append_new(members, member) != 0) {
			json_decref(members);
			json_decref(source);
			return NULL;
		}
	}
	root = json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:s, "
			 "s:o, s:o, s:I, s:s}",
			 "format", "ark",
			 "format_version", ARK_FORMAT_VERSION,
			 "kind", writer->options.kind,
			 "created", created,
			 "created_unix", (json_int_t)writer->options.created_unix,
			 "tool", writer->options.tool,
			 "tool_version", ARK_VERSION,
			 "hash", "xxh3-128",
			 "compression", "zstd",
			 "source", source,
			 "members", members,
			 "prefix_size", (json_int_t)writer->pos,
			 "prefix_xxh128", prefix_hex);
	return root;
}

/* The reader's validation, applied to the manifest about to be written. */
static int check_own_manifest(const char *text, size_t len,
			      size_t member_count, struct ark_error *err)
{
	struct ark_manifest *parsed = NULL;
	struct ark_error why = { 0 };
	uint64_t limit = ark_manifest_max_bytes((uint64_t)member_count + 2);
	int rc;

	if (len > limit)
		return ark_error_set(err, ARK_ERR_WRITE, 0,
				     "the manifest would be %zu bytes, more "
				     "than the %" PRIu64 " a reader accepts",
				     len, limit);
	rc = ark_manifest_parse(text, len, &parsed, &why);

	ark_manifest_free(parsed);
	if (rc)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "the manifest to be written is invalid: "
				     "%s", why.msg);
	return 0;
}

int ark_archive_build_tail(const char *manifest, size_t manifest_len,
			   const char *sums, size_t sums_len, int64_t mtime,
			   uint8_t **out, size_t *out_len)
{
	size_t len = ARK_TAR_MEMBER_HEADER_SIZE + manifest_len +
		     ark_tar_padding(manifest_len) +
		     ARK_TAR_MEMBER_HEADER_SIZE + sums_len +
		     ark_tar_padding(sums_len) + ARK_TAR_END_SIZE;
	uint8_t *tail = calloc(1, len);
	size_t at = 0;

	if (!tail)
		return -1;
	ark_tar_member_header(tail, ARK_MANIFEST_NAME, manifest_len, mtime);
	at += ARK_TAR_MEMBER_HEADER_SIZE;
	memcpy(tail + at, manifest, manifest_len);
	at += manifest_len + ark_tar_padding(manifest_len);
	ark_tar_member_header(tail + at, ARK_SUMS_NAME, sums_len, mtime);
	at += ARK_TAR_MEMBER_HEADER_SIZE;
	memcpy(tail + at, sums, sums_len);
	*out = tail;
	*out_len = len;
	return 0;
}

/* Rename into place; on a taken name, ask options.next_name for another. */
static int commit(struct ark_archive_writer *writer, struct ark_error *err)
{
	char path[4096];

	for (int tries = 0;; tries++) {
		struct ark_error attempt = { 0 };
		int rc = ark_atomic_commit(writer->file, ARK_COMMIT_NO_REPLACE,
					   &attempt);

		if (rc == ARK_ERR_REFUSED && writer->options.next_name &&
		    tries < 1000) {
			snprintf(path, sizeof(path), "%s",
				 ark_atomic_final_path(writer->file));
			if (writer->options.next_name(
				    writer->options.next_name_ctx, path,
				    sizeof(path)) == 0) {
				rc = ark_atomic_retarget(writer->file, path,
							 err);
				if (rc)
					return rc;
				continue;
			}
		}
		if (rc && err && err->code == ARK_OK)
			*err = attempt; /* first error wins */
		return rc;
	}
}

int ark_archive_writer_finish(struct ark_archive_writer *writer,
			      struct ark_archive_summary *summary,
			      struct ark_error *err)
{
	struct ark_hasher *prefix = writer->prefix_hasher;
	struct ark_hasher *whole = writer->whole_hasher;
	json_t *root = NULL;
	char *manifest = NULL;
	char *sums = NULL;
	uint8_t *tail = NULL;
	size_t manifest_len = 0;
	size_t sums_len = 0;
	size_t tail_len = 0;
	uint64_t raw_bytes = 0;
	int rc;

	if (writer->broken) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "finish after a failed append");
		goto cleanup;
	}
	if (writer->in_member) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "finish inside member '%s'",
				   writer->current.path);
		goto cleanup;
	}
	/* Only what spools did not hash as they were appended. */
	rc = hash_prefix(writer, writer->hashed, writer->pos, prefix, whole,
			 err);
	if (rc)
		goto cleanup;
	writer->hashed = writer->pos;
	root = build_manifest(writer, ark_hasher_digest(prefix));
	manifest = root ? ark_manifest_dump(root, &manifest_len) : NULL;
	/* Never write an archive a reader would refuse. */
	if (manifest && (rc = check_own_manifest(manifest, manifest_len,
						 writer->member_count, err)))
		goto cleanup;
	if (manifest)
		sums = ark_manifest_sums_text(writer->members,
					      writer->member_count,
					      ark_hash_buffer(manifest,
							      manifest_len),
					      &sums_len);
	if (!sums || ark_archive_build_tail(manifest, manifest_len, sums,
					    sums_len,
					    writer->options.created_unix,
					    &tail, &tail_len) != 0) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "out of memory building the manifest");
		goto cleanup;
	}
	rc = ark_fsio_write_all(writer->fd, tail, tail_len,
				ark_atomic_final_path(writer->file), err);
	if (rc)
		goto cleanup;
	ark_hasher_update(whole, tail, tail_len);
	writer->pos += tail_len;
	if (summary) {
		memset(summary, 0, sizeof(*summary));
		summary->size = writer->pos;
		summary->hash = ark_hasher_digest(whole);
		for (size_t i = 0; i < writer->member_count; i++)
			raw_bytes += writer->members[i].raw_size;
		summary->raw_bytes = raw_bytes;
		summary->member_count = writer->member_count;
		summary->created_unix = writer->options.created_unix;
	}
	rc = ark_fsio_check_interrupt(err);
	if (rc)
		goto cleanup;
	rc = commit(writer, err);
	if (rc == 0 && summary)
		snprintf(summary->path, sizeof(summary->path), "%s",
			 ark_atomic_final_path(writer->file));
cleanup:
	json_decref(root);
	free(manifest);
	free(sums);
	free(tail);
	return rc;
}

void ark_archive_writer_free(struct ark_archive_writer *writer)
{
	if (!writer)
		return;
	ark_compressor_free(writer->compressor);
	ark_atomic_free(writer->file);
	ark_hasher_free(writer->stored_hasher);
	ark_hasher_free(writer->raw_hasher);
	ark_hasher_free(writer->prefix_hasher);
	ark_hasher_free(writer->whole_hasher);
	json_decref(writer->source);
	for (size_t i = 0; i < writer->member_count; i++)
		json_decref(writer->member_extra[i]);
	free(writer->member_extra);
	free(writer->members);
	pthread_mutex_destroy(&writer->lock);
	free(writer);
}
