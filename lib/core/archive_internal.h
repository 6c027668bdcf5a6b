/* archive_internal.h - shared by the archive writer and reader. */
#ifndef ARK_ARCHIVE_INTERNAL_H
#define ARK_ARCHIVE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The bytes from prefix_size to the end of an archive: the manifest member,
 * the sums member and the end blocks.  The writer writes them; the reader
 * regenerates them and compares.  malloc'd into *out; 0 or -1 (no memory).
 */
int ark_archive_build_tail(const char *manifest, size_t manifest_len,
			   const char *sums, size_t sums_len, int64_t mtime,
			   uint8_t **out, size_t *out_len);

/*
 * Index of a path that appears twice among the count paths path_at(ctx, i)
 * returns, in *which; 1 when there is one, 0 when all differ, -1 when out
 * of memory.  O(n log n), so a hostile archive with many members cannot
 * stall it.
 */
int ark_paths_find_duplicate(size_t count,
			     const char *(*path_at)(const void *ctx, size_t i),
			     const void *ctx, size_t *which);

#endif
