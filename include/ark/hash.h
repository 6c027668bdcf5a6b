/*
 * ark/hash.h - XXH3-128 streaming hashes and their text form.
 *
 * The text form is 32 lower-case hex digits of the canonical (big-endian)
 * representation, exactly what `xxhsum -H2` prints.
 */
#ifndef ARK_HASH_H
#define ARK_HASH_H

#include <stddef.h>
#include <stdint.h>

struct ark_hash128 {
	uint64_t low;
	uint64_t high;
};

#define ARK_HASH_HEX_LEN 32

struct ark_hasher; /* opaque streaming state */

/* New hasher, already reset.  NULL when out of memory. */
struct ark_hasher *ark_hasher_new(void);
void ark_hasher_free(struct ark_hasher *hasher); /* NULL is a no-op */
void ark_hasher_reset(struct ark_hasher *hasher);
void ark_hasher_update(struct ark_hasher *hasher, const void *data, size_t len);
struct ark_hash128 ark_hasher_digest(const struct ark_hasher *hasher);

/* One-shot hash of a buffer. */
struct ark_hash128 ark_hash_buffer(const void *data, size_t len);

/* Write 32 hex digits and a NUL into out (ARK_HASH_HEX_LEN + 1 bytes). */
void ark_hash_to_hex(struct ark_hash128 hash, char *out);
/* Parse exactly 32 hex digits (either case).  0 or -1. */
int ark_hash_from_hex(const char *hex, struct ark_hash128 *out);
int ark_hash_equal(struct ark_hash128 a, struct ark_hash128 b);

/* Order-independent accumulation (sum mod 2^128), for content digests. */
struct ark_hash128 ark_hash_add(struct ark_hash128 a, struct ark_hash128 b);

#endif
