/*
 * ark/sqlite_archive.h - a `sqlite` archive (ark-snapshot's) read as a
 * SQLite source (lib/sqlite/archive_image.c): verified, its image written
 * to a private temporary, opened from there.  Used by ark-transfer (an
 * archive as SOURCE) and ark-checksum-verify (an archive as a side).
 *
 * Before a byte of the image is trusted the archive is verified as
 * ark-checksum-verify verifies it: the manifest against its hash and the
 * member list (ark_archive_reader_open), every stored byte against the
 * prefix hash and every member's stored hash (ark_archive_verify_data);
 * the image's raw hash and size are checked as it is decompressed, and
 * its SQLite header against the manifest's page size and count.  The
 * database itself is not checked (quick_check): whatever reads it meets
 * SQLite's own errors, as it would on the original file.
 */
#ifndef ARK_SQLITE_ARCHIVE_H
#define ARK_SQLITE_ARCHIVE_H

#include <jansson.h>

#include "ark/error.h"
#include "ark/progress.h"

struct ark_archive_reader;
struct ark_sqlite_archive_image; /* opaque */

/*
 * 1 when the file at path begins like a tar archive (the "ustar" magic
 * at byte 257 of its first header), 0 otherwise (a SQLite database, a
 * missing or unreadable file: let the SQLite source say what is wrong).
 */
int ark_sqlite_archive_detect(const char *path);

/*
 * Verify the archive at archive_path (see above) and write its image to
 * a 0600 temporary ".ark-tmp-XXXXXX" in tmpdir (NULL or "": $TMPDIR,
 * else /tmp), registered with fsio so a stop signal removes it; it is
 * removed by ark_sqlite_archive_image_free() whatever happens.  progress
 * (may be NULL) shows the verification and the decompression.  Errors:
 * the archive reader's (ARK_ERR_CORRUPT, ARK_ERR_READ,
 * ARK_ERR_UNSUPPORTED: an archive of another kind than sqlite, a newer
 * format) prefixed by the archive's path; ARK_ERR_WRITE when tmpdir is
 * missing, not writable or lacks the space; ARK_ERR_INTERRUPTED.
 */
int ark_sqlite_archive_image_open(const char *archive_path, const char *tmpdir,
				  struct ark_progress *progress,
				  struct ark_sqlite_archive_image **out,
				  struct ark_error *err);
/* The same from an open reader (kept open; the caller frees it). */
int ark_sqlite_archive_image_from_reader(struct ark_archive_reader *reader,
					 const char *archive_path,
					 const char *tmpdir,
					 struct ark_progress *progress,
					 struct ark_sqlite_archive_image **out,
					 struct ark_error *err);

/* The temporary holding the image (open it as a SQLite source). */
const char *
ark_sqlite_archive_image_path(const struct ark_sqlite_archive_image *image);

/*
 * What identifies the source (docs/archive-format.md, `source` of kind
 * pg, type sqlite): the archived database's keys from the archive's
 * manifest (path, size, page_size, page_count, freelist_count,
 * journal_mode, user_version, application_id, schema_xxh128,
 * sqlite_version, host; those present), "archive_path" (the archive,
 * made absolute) and "archive_xxh128" (XXH3-128 of the whole archive
 * file, as ark-snapshot reports it).  New reference; NULL when out of
 * memory.
 */
json_t *
ark_sqlite_archive_image_identity(const struct ark_sqlite_archive_image *image);

/* Remove the temporary and free.  NULL is a no-op. */
void ark_sqlite_archive_image_free(struct ark_sqlite_archive_image *image);

#endif
