/*
 * test_hash.c - XXH3-128 against reference values printed by the xxhsum
 * tool (xxhash 0.8.1):
 *
 *   printf ''  | xxhsum -H2      99aa06d3014798d86001c324468d497f
 *   printf abc | xxhsum -H2      06b05ab6733a618578af5f94892f3950
 *   printf 'The quick brown fox jumps over the lazy dog' | xxhsum -H2
 *                                ddd650205ca3e7fa24a1cc2e3a8a7651
 *   N bytes of ((i*31+7) & 0xff), i = 0..N-1, piped to xxhsum -H2:
 *     N=100      7f5a1f03462e52b4d61d8dbff22d515f
 *     N=200      8d8629a1aef9ef9060ea018811f9a437
 *     N=1000     f534f51e82a81d29989765d0ea7a5ecd
 *     N=1000000  b2580aa4de4cd2253c0370a865259d40
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include "ark/hash.h"

struct pattern_vector {
	size_t len;
	const char *hex;
};

static const struct pattern_vector pattern_vectors[] = {
	{100, "7f5a1f03462e52b4d61d8dbff22d515f"},
	{200, "8d8629a1aef9ef9060ea018811f9a437"},
	{1000, "f534f51e82a81d29989765d0ea7a5ecd"},
	{1000000, "b2580aa4de4cd2253c0370a865259d40"},
};

static unsigned char *make_pattern(size_t len)
{
	unsigned char *data = malloc(len);
	size_t i;

	assert_non_null(data);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)((i * 31 + 7) & 0xff);
	return data;
}

static void assert_hex_of(struct ark_hash128 hash, const char *expected)
{
	char hex[ARK_HASH_HEX_LEN + 1];

	memset(hex, '#', sizeof(hex));
	ark_hash_to_hex(hash, hex);
	assert_string_equal(hex, expected);
}

static void test_buffer_known_vectors(void **state)
{
	const char *fox = "The quick brown fox jumps over the lazy dog";

	(void)state;
	assert_hex_of(ark_hash_buffer("", 0),
		      "99aa06d3014798d86001c324468d497f");
	assert_hex_of(ark_hash_buffer(NULL, 0),
		      "99aa06d3014798d86001c324468d497f");
	assert_hex_of(ark_hash_buffer("abc", 3),
		      "06b05ab6733a618578af5f94892f3950");
	assert_hex_of(ark_hash_buffer(fox, strlen(fox)),
		      "ddd650205ca3e7fa24a1cc2e3a8a7651");
}

static void test_buffer_pattern_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pattern_vectors) / sizeof(pattern_vectors[0]);
	     i++) {
		unsigned char *data = make_pattern(pattern_vectors[i].len);

		assert_hex_of(ark_hash_buffer(data, pattern_vectors[i].len),
			      pattern_vectors[i].hex);
		free(data);
	}
}

static void test_streaming_matches_one_shot(void **state)
{
	static const size_t piece_sizes[] = {1, 3, 16, 63, 64, 65, 255, 256,
					     1000, 4096, 65536};
	struct ark_hasher *hasher;
	size_t v, p;

	(void)state;
	hasher = ark_hasher_new();
	assert_non_null(hasher);
	for (v = 0; v < sizeof(pattern_vectors) / sizeof(pattern_vectors[0]);
	     v++) {
		size_t len = pattern_vectors[v].len;
		unsigned char *data = make_pattern(len);

		for (p = 0; p < sizeof(piece_sizes) / sizeof(piece_sizes[0]);
		     p++) {
			size_t offset = 0;

			ark_hasher_reset(hasher);
			while (offset < len) {
				size_t take = piece_sizes[p];

				if (take > len - offset)
					take = len - offset;
				ark_hasher_update(hasher, data + offset, take);
				/* Empty updates change nothing. */
				ark_hasher_update(hasher, NULL, 0);
				offset += take;
			}
			assert_hex_of(ark_hasher_digest(hasher),
				      pattern_vectors[v].hex);
		}
		free(data);
	}
	ark_hasher_free(hasher);
}

static void test_hasher_new_and_reset(void **state)
{
	struct ark_hasher *hasher;

	(void)state;
	hasher = ark_hasher_new();
	assert_non_null(hasher);
	/* New means reset: the digest of nothing. */
	assert_hex_of(ark_hasher_digest(hasher),
		      "99aa06d3014798d86001c324468d497f");
	ark_hasher_update(hasher, "abc", 3);
	assert_hex_of(ark_hasher_digest(hasher),
		      "06b05ab6733a618578af5f94892f3950");
	/* Digest does not disturb the state. */
	assert_hex_of(ark_hasher_digest(hasher),
		      "06b05ab6733a618578af5f94892f3950");
	ark_hasher_reset(hasher);
	assert_hex_of(ark_hasher_digest(hasher),
		      "99aa06d3014798d86001c324468d497f");
	ark_hasher_free(hasher);
	ark_hasher_free(NULL);
}

static void test_hex_layout_is_high_then_low(void **state)
{
	struct ark_hash128 hash = {0x0123456789abcdefULL,
				   0xfedcba9876543210ULL};

	(void)state;
	assert_hex_of(hash, "fedcba98765432100123456789abcdef");
}

static void test_from_hex_round_trip(void **state)
{
	struct ark_hash128 parsed;
	struct ark_hash128 abc = ark_hash_buffer("abc", 3);

	(void)state;
	assert_int_equal(ark_hash_from_hex("06b05ab6733a618578af5f94892f3950",
					   &parsed),
			 0);
	assert_true(ark_hash_equal(parsed, abc));
	/* Either case. */
	assert_int_equal(ark_hash_from_hex("06B05AB6733A618578AF5F94892F3950",
					   &parsed),
			 0);
	assert_true(ark_hash_equal(parsed, abc));
	assert_int_equal(parsed.high, 0x06b05ab6733a6185ULL);
	assert_int_equal(parsed.low, 0x78af5f94892f3950ULL);
}

static void test_from_hex_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"06b05ab6733a618578af5f94892f395",   /* 31 digits */
		"06b05ab6733a618578af5f94892f39500", /* 33 digits */
		"06b05ab6733a618578af5f94892f395g",  /* not hex */
		"06b05ab6733a6185 8af5f94892f39500", /* space */
		" 06b05ab6733a618578af5f94892f3950",
		"0x06b05ab6733a618578af5f94892f39",
		"06b05ab6733a618578af5f94892f3950\n",
	};
	struct ark_hash128 parsed = {1, 2};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ark_hash_from_hex(bad[i], &parsed) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(ark_hash_from_hex(NULL, &parsed), -1);
	/* Untouched on failure. */
	assert_int_equal(parsed.low, 1);
	assert_int_equal(parsed.high, 2);
}

static void test_equal(void **state)
{
	struct ark_hash128 a = {1, 2}, b = {1, 2}, c = {1, 3}, d = {0, 2};

	(void)state;
	assert_true(ark_hash_equal(a, b));
	assert_false(ark_hash_equal(a, c));
	assert_false(ark_hash_equal(a, d));
}

static void test_add_carries(void **state)
{
	struct ark_hash128 a = {UINT64_MAX, 5};
	struct ark_hash128 one = {1, 0};
	struct ark_hash128 max = {UINT64_MAX, UINT64_MAX};
	struct ark_hash128 sum;

	(void)state;
	sum = ark_hash_add(a, one);
	assert_int_equal(sum.low, 0);
	assert_int_equal(sum.high, 6);

	sum = ark_hash_add(a, a); /* low carries out exactly once */
	assert_int_equal(sum.low, UINT64_MAX - 1);
	assert_int_equal(sum.high, 11);

	/* mod 2^128 */
	sum = ark_hash_add(max, one);
	assert_int_equal(sum.low, 0);
	assert_int_equal(sum.high, 0);
	sum = ark_hash_add(max, max);
	assert_int_equal(sum.low, UINT64_MAX - 1);
	assert_int_equal(sum.high, UINT64_MAX);

	/* no carry when there is none */
	sum = ark_hash_add((struct ark_hash128){2, 3},
			   (struct ark_hash128){4, 5});
	assert_int_equal(sum.low, 6);
	assert_int_equal(sum.high, 8);
}

static void test_add_is_order_independent(void **state)
{
	struct ark_hash128 h1 = ark_hash_buffer("a", 1);
	struct ark_hash128 h2 = ark_hash_buffer("b", 1);
	struct ark_hash128 h3 = ark_hash_buffer("c", 1);
	struct ark_hash128 zero = {0, 0};
	struct ark_hash128 x, y;

	(void)state;
	x = ark_hash_add(ark_hash_add(ark_hash_add(zero, h1), h2), h3);
	y = ark_hash_add(ark_hash_add(ark_hash_add(zero, h3), h1), h2);
	assert_true(ark_hash_equal(x, y));
	assert_false(ark_hash_equal(x, ark_hash_add(h1, h2)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffer_known_vectors),
		cmocka_unit_test(test_buffer_pattern_vectors),
		cmocka_unit_test(test_streaming_matches_one_shot),
		cmocka_unit_test(test_hasher_new_and_reset),
		cmocka_unit_test(test_hex_layout_is_high_then_low),
		cmocka_unit_test(test_from_hex_round_trip),
		cmocka_unit_test(test_from_hex_rejects),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_add_carries),
		cmocka_unit_test(test_add_is_order_independent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
