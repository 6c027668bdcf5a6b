/*
 * tar_internal.h - the exact tar blocks ark writes (docs/archive-format.md).
 * Used by the archive writer, and by the reader to regenerate the tail.
 */
#ifndef ARK_TAR_INTERNAL_H
#define ARK_TAR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define ARK_TAR_BLOCK 512u
/* pax header block + one block of records + ustar header block. */
#define ARK_TAR_MEMBER_HEADER_SIZE (3u * ARK_TAR_BLOCK)
/* Two zero blocks close the archive. */
#define ARK_TAR_END_SIZE (2u * ARK_TAR_BLOCK)

/*
 * Fill out (ARK_TAR_MEMBER_HEADER_SIZE bytes) with the headers of a member:
 * path must satisfy ark_member_path_valid().  Returns 0, or -1 when the
 * path is too long for one block of pax records.
 */
int ark_tar_member_header(uint8_t *out, const char *path, uint64_t size,
			  int64_t mtime);

/* Zero bytes needed after size bytes of data to reach a block boundary. */
uint64_t ark_tar_padding(uint64_t size);

#endif
