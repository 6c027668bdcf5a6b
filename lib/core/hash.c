/*
 * hash.c - XXH3-128 streaming hashes; text form is xxhsum -H2's.
 */
#include "ark/hash.h"

#include <stdlib.h>

#include <xxhash.h>

struct ark_hasher {
	XXH3_state_t *state; /* XXH3_createState() handles its alignment */
};

struct ark_hasher *ark_hasher_new(void)
{
	struct ark_hasher *hasher = NULL;

	hasher = calloc(1, sizeof(*hasher));
	if (hasher == NULL)
		goto fail;
	hasher->state = XXH3_createState();
	if (hasher->state == NULL)
		goto fail;
	ark_hasher_reset(hasher);
	return hasher;

fail:
	ark_hasher_free(hasher);
	return NULL;
}

void ark_hasher_free(struct ark_hasher *hasher)
{
	if (hasher == NULL)
		return;
	XXH3_freeState(hasher->state);
	free(hasher);
}

void ark_hasher_reset(struct ark_hasher *hasher)
{
	/* Cannot fail for the default secret and a valid state. */
	(void)XXH3_128bits_reset(hasher->state);
}

void ark_hasher_update(struct ark_hasher *hasher, const void *data, size_t len)
{
	if (len == 0)
		return;
	(void)XXH3_128bits_update(hasher->state, data, len);
}

static struct ark_hash128 hash_from_xxh(XXH128_hash_t value)
{
	struct ark_hash128 hash;

	hash.low = value.low64;
	hash.high = value.high64;
	return hash;
}

static XXH128_hash_t hash_to_xxh(struct ark_hash128 hash)
{
	XXH128_hash_t value;

	value.low64 = hash.low;
	value.high64 = hash.high;
	return value;
}

struct ark_hash128 ark_hasher_digest(const struct ark_hasher *hasher)
{
	return hash_from_xxh(XXH3_128bits_digest(hasher->state));
}

struct ark_hash128 ark_hash_buffer(const void *data, size_t len)
{
	static const unsigned char empty[1] = {0};

	if (len == 0)
		data = empty;
	return hash_from_xxh(XXH3_128bits(data, len));
}

void ark_hash_to_hex(struct ark_hash128 hash, char *out)
{
	static const char digits[] = "0123456789abcdef";
	XXH128_canonical_t canonical;
	size_t i;

	XXH128_canonicalFromHash(&canonical, hash_to_xxh(hash));
	for (i = 0; i < sizeof(canonical.digest); i++) {
		out[2 * i] = digits[canonical.digest[i] >> 4];
		out[2 * i + 1] = digits[canonical.digest[i] & 0x0f];
	}
	out[ARK_HASH_HEX_LEN] = '\0';
}

static int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ark_hash_from_hex(const char *hex, struct ark_hash128 *out)
{
	XXH128_canonical_t canonical;
	size_t i;

	if (hex == NULL)
		return -1;
	for (i = 0; i < sizeof(canonical.digest); i++) {
		int high_nibble, low_nibble;

		/* A NUL before 32 digits fails here, so no over-read. */
		high_nibble = hex_digit_value(hex[2 * i]);
		if (high_nibble < 0)
			return -1;
		low_nibble = hex_digit_value(hex[2 * i + 1]);
		if (low_nibble < 0)
			return -1;
		canonical.digest[i] =
			(unsigned char)((high_nibble << 4) | low_nibble);
	}
	if (hex[ARK_HASH_HEX_LEN] != '\0')
		return -1;
	*out = hash_from_xxh(XXH128_hashFromCanonical(&canonical));
	return 0;
}

int ark_hash_equal(struct ark_hash128 a, struct ark_hash128 b)
{
	return a.low == b.low && a.high == b.high;
}

struct ark_hash128 ark_hash_add(struct ark_hash128 a, struct ark_hash128 b)
{
	struct ark_hash128 sum;

	sum.low = a.low + b.low;
	sum.high = a.high + b.high + (sum.low < a.low ? 1u : 0u);
	return sum;
}
