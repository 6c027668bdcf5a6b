/*
 * ark/archive.h - writing and reading .ark archives (docs/archive-format.md).
 *
 * Writer: members are streamed one at a time through zstd (content
 * checksums on) into a 0600 temporary beside the final path; finish() adds
 * the manifest and checksum list and atomically gives the file its final
 * name, never replacing an existing file.
 *
 * Reader: open() lists the tar members (refusing links, devices, unsafe
 * paths and impossible sizes), checks the manifest against its hash, the
 * regenerated tail and the member list.  verify_data() then checks every
 * stored byte; extract_member() streams one member's raw content, checking
 * its stored and raw hashes.
 */
#ifndef ARK_ARCHIVE_H
#define ARK_ARCHIVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"
#include "ark/hash.h"
#include "ark/manifest.h"
#include "ark/progress.h"
#include "ark/zio.h"

struct ark_archive_writer; /* opaque */
struct ark_archive_reader; /* opaque */

struct ark_archive_writer_options {
	const char *kind;   /* "sqlite" or "pg" */
	const char *tool;   /* program name recorded in the manifest */
	int level;          /* zstd level */
	int threads;        /* zstd workers, 0 = none */
	int64_t created_unix;
	/*
	 * Optional: when the final name is taken at commit (another process
	 * got there first), write another name into path (room bytes,
	 * holding the taken one) and return 0, or non-zero to give up with
	 * ARK_ERR_REFUSED.  NULL: refuse at once.
	 */
	int (*next_name)(void *ctx, char *path, size_t room);
	void *next_name_ctx;
	/*
	 * Spooled members (below): 1 to spool into named temporaries
	 * (".<name>.spool.ark-tmp-XXXXXX" beside the archive, registered
	 * with fsio) even where O_TMPFILE works - the fallback's path, for
	 * tests; 0 (default) prefers unnamed O_TMPFILE spools.
	 */
	int named_spools;
};

struct ark_archive_summary {
	char path[4096];           /* final path */
	uint64_t size;             /* bytes of the whole file */
	struct ark_hash128 hash;   /* XXH3-128 of the whole file */
	uint64_t raw_bytes;        /* sum of members' raw sizes */
	size_t member_count;
	int64_t created_unix;      /* the manifest's created_unix */
};

int ark_archive_writer_open(const char *final_path,
			    const struct ark_archive_writer_options *options,
			    struct ark_archive_writer **out,
			    struct ark_error *err);
/* Record the source identity object (reference is stolen). */
void ark_archive_writer_set_source(struct ark_archive_writer *writer,
				   json_t *source);
/*
 * Start a data member.  raw_size is the exact raw size when known (written
 * in the zstd frame header), else ARK_ZIO_UNKNOWN_SIZE.
 */
int ark_archive_member_begin(struct ark_archive_writer *writer,
			     const char *path, const char *role,
			     uint64_t raw_size, struct ark_error *err);
int ark_archive_member_write(struct ark_archive_writer *writer,
			     const void *buf, size_t len,
			     struct ark_error *err);
/* The current member as a sink (for ark_sink users). */
struct ark_sink ark_archive_member_sink(struct ark_archive_writer *writer);
int ark_archive_member_end(struct ark_archive_writer *writer,
			   struct ark_error *err);
/*
 * Spooled members: several members produced at once, from several
 * threads, with bounded memory.  Each spool compresses (zstd, checksummed
 * frames, `threads` zstd workers) into its own 0600 file beside the
 * archive - an unnamed O_TMPFILE where the file system allows it (nothing
 * to clean up, even after SIGKILL), else a temporary registered with
 * fsio (removed on error and on SIGINT/SIGTERM) - hashing the raw and the
 * stored bytes as they pass.  spool_end() then appends the member to the
 * archive under the writer's lock: headers (its size is known by then),
 * the spooled bytes, padding, feeding the archive's prefix hash as it
 * copies, so finish() re-reads nothing it has already hashed.  Members
 * appear in the archive in the order their spools end.
 *
 * begin() and end() may be called from any thread, concurrently; one
 * spool is written by one thread at a time.  The one-member calls above
 * must not run while another thread ends a spool.
 */
struct ark_archive_spool; /* opaque */

int ark_archive_spool_begin(struct ark_archive_writer *writer,
			    const char *path, const char *role, int threads,
			    struct ark_archive_spool **out,
			    struct ark_error *err);
int ark_archive_spool_write(struct ark_archive_spool *spool, const void *buf,
			    size_t len, struct ark_error *err);
/* The spool as a sink (for ark_sink users). */
struct ark_sink ark_archive_spool_sink(struct ark_archive_spool *spool);
/* Bytes written to the spool so far (raw, before compression). */
uint64_t ark_archive_spool_raw_size(const struct ark_archive_spool *spool);
/*
 * Finish the member and append it to the archive.  extra (reference
 * stolen, may be NULL) holds keys added to the member's manifest object
 * after the common ones (e.g. a table's "table", "rows", ...).  The spool
 * is freed, whatever the result.
 */
int ark_archive_spool_end(struct ark_archive_spool *spool, json_t *extra,
			  struct ark_error *err);
/* Abandon a spool without appending it (NULL is a no-op). */
void ark_archive_spool_free(struct ark_archive_spool *spool);

/* Write manifest and sums, fsync, rename to the final path (no replace). */
int ark_archive_writer_finish(struct ark_archive_writer *writer,
			      struct ark_archive_summary *summary,
			      struct ark_error *err);
/* Without finish(): remove the temporary.  NULL is a no-op. */
void ark_archive_writer_free(struct ark_archive_writer *writer);

int ark_archive_reader_open(const char *path, struct ark_archive_reader **out,
			    struct ark_error *err);
void ark_archive_reader_free(struct ark_archive_reader *reader);
const struct ark_manifest *
ark_archive_reader_manifest(const struct ark_archive_reader *reader);
uint64_t ark_archive_reader_file_size(const struct ark_archive_reader *reader);
/* Check prefix_xxh128 and every member's stored_xxh128 in one pass. */
int ark_archive_verify_data(struct ark_archive_reader *reader,
			    struct ark_progress *progress,
			    struct ark_error *err);
/*
 * Stream member index's raw content to out, checking stored hash and size,
 * zstd checksums, raw size and raw hash.  Any mismatch is ARK_ERR_CORRUPT;
 * out has then received unverified bytes and must be discarded.
 */
int ark_archive_extract_member(struct ark_archive_reader *reader,
			       size_t index, struct ark_sink out,
			       struct ark_progress *progress,
			       struct ark_error *err);

#endif
