/*
 * ark/archive_name.h - where a tool writes a new archive
 * (lib/core/archive_name.c): ark-snapshot -o and ark-transfer --archive.
 *
 * OUTPUT names an existing directory (a trailing '/' says it must be
 * one), or a file that must not exist in an existing directory; NULL is
 * the current directory.  In a directory the name is
 * <stem>-<YYYYMMDDTHHMMSS.mmmZ>.ark (UTC, to the millisecond, so names
 * sort in creation order): the first such name that is free, later by a
 * millisecond while taken; the archive writer's next_name hook
 * (ark_archive_name_next) picks the next one should another process take
 * it before the rename.  Nothing is ever overwritten.
 */
#ifndef ARK_ARCHIVE_NAME_H
#define ARK_ARCHIVE_NAME_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"

struct ark_archive_name {
	const char *file;       /* OUTPUT named a file, else NULL */
	const char *dir;        /* the directory, without trailing slashes */
	char dir_buf[PATH_MAX];
	char stem[256];
	int64_t ms;             /* the stamp, milliseconds since the epoch */
	char path[4096];        /* the archive's path */
};

/*
 * Fill name for output and stem_source (the file whose base name,
 * without its last extension, is the stem).  ARK_ERR_USAGE "output path
 * too long"; ARK_ERR_REFUSED "'PATH' already exists; refusing to
 * overwrite it"; ark_fsio_require_dir()'s errors for a missing
 * directory.
 */
int ark_archive_name_init(struct ark_archive_name *name, const char *output,
			  const char *stem_source, struct ark_error *err);

/* The writer's next_name hook (ctx: the struct ark_archive_name). */
int ark_archive_name_next(void *ctx, char *path, size_t room);

/* created_unix for the manifest: the stamp's second, or now for a file. */
int64_t ark_archive_name_created(const struct ark_archive_name *name);

/* The length of "-YYYYMMDDTHHMMSS.mmmZ.ark" after a name's stem. */
#define ARK_ARCHIVE_NAME_SUFFIX_LEN 25

/*
 * name is exactly "<stem>-YYYYMMDDTHHMMSS.mmmZ.ark" with a valid UTC
 * date and time (no directory): 0 and its time in *ms (unix
 * milliseconds); -1 when it is not one (*ms untouched).  ark-pg-backup's
 * repository and its offsite copies (ark/offsite.h) share it.
 */
int ark_archive_name_parse(const char *name, const char *stem, int64_t *ms);

#endif
