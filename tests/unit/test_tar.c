/*
 * test_tar.c - the exact pax/ustar header blocks of lib/core/tar.c against
 * docs/archive-format.md ("Container"), decoded independently here, and
 * cross-checked by reading them back with libarchive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "unit_helpers.h"

#include <archive.h>
#include <archive_entry.h>

#include "ark/manifest.h"
#include "core/tar_internal.h"

#define MTIME 1763861880 /* 2025-11-23T01:38:00Z */

/* Unsigned value of a NUL-terminated octal field of width bytes. */
static uint64_t octal_field(const uint8_t *field, size_t width)
{
	uint64_t value = 0;
	size_t i;

	/* width-1 octal digits, then a NUL */
	assert_int_equal(field[width - 1], 0);
	for (i = 0; i + 1 < width; i++) {
		if (field[i] < '0' || field[i] > '7')
			fail_msg("byte %zu of octal field is 0x%02x", i,
				 field[i]);
		value = value * 8 + (uint64_t)(field[i] - '0');
	}
	return value;
}

/* The standard checksum: all bytes, the checksum field read as spaces. */
static unsigned int header_checksum(const uint8_t *block)
{
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? (unsigned int)' ' : block[i];
	return sum;
}

static void assert_zero_bytes(const uint8_t *bytes, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (bytes[i] != 0)
			fail_msg("byte %zu is 0x%02x, expected 0", i, bytes[i]);
}

/*
 * Check a ustar block as the format document describes it; name_expected
 * is what the 100-byte name field must hold (without NUL when it is 100
 * bytes long).
 */
static void check_ustar_block(const uint8_t *block, const char *name_expected,
			      char typeflag, uint64_t size_expected,
			      uint64_t mtime_expected)
{
	size_t name_len = strlen(name_expected);
	unsigned int stored;

	assert_true(name_len <= 100);
	assert_memory_equal(block, name_expected, name_len);
	assert_zero_bytes(block, name_len, 100);
	assert_memory_equal(block + 100, "0000600", 8); /* with its NUL */
	assert_memory_equal(block + 108, "0000000", 8); /* uid */
	assert_memory_equal(block + 116, "0000000", 8); /* gid */
	assert_int_equal(octal_field(block + 124, 12), size_expected);
	assert_int_equal(octal_field(block + 136, 12), mtime_expected);
	assert_int_equal(block[156], (uint8_t)typeflag);
	assert_zero_bytes(block, 157, 257);		/* linkname */
	assert_memory_equal(block + 257, "ustar\0" "00", 8);
	assert_zero_bytes(block, 265, 329);		/* uname, gname */
	assert_memory_equal(block + 329, "0000000", 8); /* devmajor */
	assert_memory_equal(block + 337, "0000000", 8); /* devminor */
	assert_zero_bytes(block, 345, 512);		/* prefix, pad */

	/* checksum: six octal digits, NUL, space */
	assert_int_equal(block[154], 0);
	assert_int_equal(block[155], ' ');
	stored = 0;
	for (size_t i = 148; i < 154; i++) {
		assert_true(block[i] >= '0' && block[i] <= '7');
		stored = stored * 8 + (unsigned int)(block[i] - '0');
	}
	assert_int_equal(stored, header_checksum(block));
}

struct pax_records {
	int count;
	char keys[4][16];
	char values[4][300];
};

/*
 * Decode "<len> key=value\n" records from len bytes; every length must
 * count exactly its own record, digits included.
 */
static void parse_pax(const uint8_t *data, size_t len,
		      struct pax_records *out)
{
	size_t at = 0;

	memset(out, 0, sizeof(*out));
	while (at < len) {
		size_t record_len = 0;
		size_t digits = 0;
		const char *record = (const char *)data + at;
		const char *equals;
		const char *key;

		while (record[digits] >= '0' && record[digits] <= '9') {
			record_len = record_len * 10 +
				     (size_t)(record[digits] - '0');
			digits++;
		}
		assert_true(digits > 0);
		assert_true(record[0] != '0'); /* no leading zeros */
		assert_int_equal(record[digits], ' ');
		assert_true(at + record_len <= len);
		assert_int_equal(record[record_len - 1], '\n');
		key = record + digits + 1;
		equals = memchr(key, '=', record_len - digits - 1);
		assert_non_null(equals);
		assert_true(out->count < 4);
		assert_true((size_t)(equals - key) < sizeof(out->keys[0]));
		memcpy(out->keys[out->count], key, (size_t)(equals - key));
		assert_true((size_t)(record + record_len - 1 - equals - 1) <
			    sizeof(out->values[0]));
		memcpy(out->values[out->count], equals + 1,
		       (size_t)(record + record_len - 1 - equals - 1));
		out->count++;
		at += record_len;
	}
	assert_int_equal(at, len);
}

/* Everything about one member's 1536 header bytes. */
static void check_member_header(const uint8_t *header, const char *path,
				uint64_t size, int64_t mtime)
{
	char pax_name[200];
	char ustar_name[101];
	char size_text[32];
	const char *base = strrchr(path, '/');
	uint64_t records_len;
	struct pax_records pax;

	/* block 1: the pax 'x' header, named PaxHeader/<last component> */
	snprintf(pax_name, sizeof(pax_name), "PaxHeader/%s",
		 base ? base + 1 : path);
	pax_name[100] = '\0';
	records_len = octal_field(header + 124, 12);
	check_ustar_block(header, pax_name, 'x', records_len,
			  (uint64_t)mtime);

	/* block 2: exactly path=, then size= with 20 digits, zero padded */
	assert_true(records_len > 0 && records_len <= 512);
	parse_pax(header + 512, (size_t)records_len, &pax);
	assert_int_equal(pax.count, 2);
	assert_string_equal(pax.keys[0], "path");
	assert_string_equal(pax.values[0], path);
	assert_string_equal(pax.keys[1], "size");
	snprintf(size_text, sizeof(size_text), "%020llu",
		 (unsigned long long)size);
	assert_int_equal(strlen(pax.values[1]), 20);
	assert_string_equal(pax.values[1], size_text);
	assert_zero_bytes(header + 512, (size_t)records_len, 512);

	/* block 3: the ustar header; name truncated to 100 bytes */
	snprintf(ustar_name, sizeof(ustar_name), "%s", path);
	check_ustar_block(header + 1024, ustar_name, '0',
			  size <= 077777777777ull ? size : 0,
			  (uint64_t)mtime);
}

static void test_header_size_constants(void **state)
{
	(void)state;
	assert_int_equal(ARK_TAR_BLOCK, 512);
	assert_int_equal(ARK_TAR_MEMBER_HEADER_SIZE, 1536);
	assert_int_equal(ARK_TAR_END_SIZE, 1024);
}

static void test_header_layout_simple(void **state)
{
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE + 16];

	(void)state;
	/* the guard after the 1536 bytes must stay untouched */
	memset(header, 0xa5, sizeof(header));
	assert_int_equal(ark_tar_member_header(header, "database.sqlite.zst",
					       123456, MTIME), 0);
	check_member_header(header, "database.sqlite.zst", 123456, MTIME);
	for (size_t i = ARK_TAR_MEMBER_HEADER_SIZE; i < sizeof(header); i++)
		assert_int_equal(header[i], 0xa5);
}

static void test_header_exact_pax_records(void **state)
{
	static const char expected[] =
		"28 path=database.sqlite.zst\n"
		"29 size=00000000000000123456\n";
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];

	(void)state;
	assert_int_equal(ark_tar_member_header(header, "database.sqlite.zst",
					       123456, MTIME), 0);
	assert_int_equal(octal_field(header + 124, 12), sizeof(expected) - 1);
	assert_memory_equal(header + 512, expected, sizeof(expected) - 1);
	/* and the 'x' header's own fields */
	assert_memory_equal(header, "PaxHeader/database.sqlite.zst", 30);
	assert_int_equal(header[156], 'x');
	assert_int_equal(header[1024 + 156], '0');
	assert_memory_equal(header + 1024 + 124, "00000361100", 12);
	assert_memory_equal(header + 1024 + 136, "15110462570", 12);
}

/*
 * Record lengths around the digit boundaries: "N path=P\n" is
 * len(P) + 7 + digits bytes, so len(P) = 1 gives 9, 2 gives 11, 90 gives
 * 99, 91 gives 101 (100 would count 3 digits but hold only 2).
 */
static void test_header_self_counting_lengths(void **state)
{
	static const size_t lengths[] = { 1, 2, 89, 90, 91, 92, 93, 150,
					  254, 255 };
	char path[300];
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];
	char prefix[8];

	(void)state;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		size_t len = lengths[i];
		size_t record = 0;

		/* the length with d digits is len + 7 + d, and must have d */
		for (size_t d = 1; d < 4 && record == 0; d++) {
			size_t total = len + 7 + d;
			size_t have = total >= 100 ? 3 : total >= 10 ? 2 : 1;

			if (have == d)
				record = total;
		}
		memset(path, 'a', len);
		path[len] = '\0';
		if (len > 4)
			memcpy(path + len - 4, ".zst", 4);
		assert_int_equal(ark_member_path_valid(path), 1);
		assert_int_equal(ark_tar_member_header(header, path, 0, MTIME),
				 0);
		check_member_header(header, path, 0, MTIME);
		snprintf(prefix, sizeof(prefix), "%zu ", record);
		assert_memory_equal(header + 512, prefix, strlen(prefix));
		assert_int_equal(header[512 + record - 1], '\n');
		assert_memory_equal(header + 512 + record, "29 size=", 8);
	}
}

static void test_header_long_path_truncated_names(void **state)
{
	char path[256];
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];

	(void)state;
	/* "dir/" + 250 characters, ending in ".zst": 254 bytes */
	snprintf(path, sizeof(path), "dir/");
	memset(path + 4, 'b', 246);
	memcpy(path + 250, ".zst", 5);
	assert_int_equal(strlen(path), 254);
	assert_int_equal(ark_tar_member_header(header, path, 42, MTIME), 0);
	check_member_header(header, path, 42, MTIME);
	/* ustar name: the first 100 bytes, no NUL; pax name likewise */
	assert_memory_equal(header + 1024, path, 100);
	assert_memory_equal(header, "PaxHeader/bbbb", 14);
	assert_int_equal(header[99], 'b');
}

static void test_header_sizes_octal_limit(void **state)
{
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];

	(void)state;
	assert_int_equal(ark_tar_member_header(header, "a.zst", 077777777776ull,
					       MTIME), 0);
	check_member_header(header, "a.zst", 077777777776ull, MTIME);
	assert_memory_equal(header + 1024 + 124, "77777777776", 12);

	/* 10 GiB: ustar size 0, the pax record rules */
	assert_int_equal(ark_tar_member_header(header, "a.zst",
					       10737418240ull, MTIME), 0);
	check_member_header(header, "a.zst", 10737418240ull, MTIME);
	assert_memory_equal(header + 1024 + 124, "00000000000", 12);
	assert_memory_equal(header + 512, "14 path=a.zst\n"
			    "29 size=00000000010737418240\n", 14 + 29);

	/* the largest value a pax record of 20 digits holds */
	assert_int_equal(ark_tar_member_header(header, "a.zst", UINT64_MAX,
					       MTIME), 0);
	check_member_header(header, "a.zst", UINT64_MAX, MTIME);
}

/*
 * The format: the ustar size is in octal "or 0 when it does not fit 11
 * octal digits".  077777777777 (8 GiB - 1) fits; it was once written as 0
 * (lib/core/tar.c compared with < instead of <=).
 */
static void test_header_size_max_11_digits(void **state)
{
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];

	(void)state;
	assert_int_equal(ark_tar_member_header(header, "a.zst", 077777777777ull,
					       MTIME), 0);
	assert_memory_equal(header + 1024 + 124, "77777777777", 12);
}

static void test_header_mtime_fields(void **state)
{
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];

	(void)state;
	assert_int_equal(ark_tar_member_header(header, "m.zst", 1, 0), 0);
	check_member_header(header, "m.zst", 1, 0);
	/* a negative time cannot be written in octal: 0 */
	assert_int_equal(ark_tar_member_header(header, "m.zst", 1, -5), 0);
	check_member_header(header, "m.zst", 1, 0);
	assert_int_equal(ark_tar_member_header(header, "m.zst", 1,
					       077777777777ll), 0);
	check_member_header(header, "m.zst", 1, 077777777777ull);
}

static void test_header_deterministic(void **state)
{
	uint8_t first[ARK_TAR_MEMBER_HEADER_SIZE];
	uint8_t second[ARK_TAR_MEMBER_HEADER_SIZE];

	(void)state;
	/* different garbage before each call: no byte may leak through */
	memset(first, 0x00, sizeof(first));
	memset(second, 0xff, sizeof(second));
	assert_int_equal(ark_tar_member_header(first, "data/t1.copy.zst", 999,
					       MTIME), 0);
	assert_int_equal(ark_tar_member_header(second, "data/t1.copy.zst",
					       999, MTIME), 0);
	assert_memory_equal(first, second, sizeof(first));

	/* and each input changes the bytes */
	assert_int_equal(ark_tar_member_header(second, "data/t1.copy.zst",
					       1000, MTIME), 0);
	assert_memory_not_equal(first, second, sizeof(first));
	assert_int_equal(ark_tar_member_header(second, "data/t1.copy.zst",
					       999, MTIME + 1), 0);
	assert_memory_not_equal(first, second, sizeof(first));
	assert_int_equal(ark_tar_member_header(second, "data/t2.copy.zst",
					       999, MTIME), 0);
	assert_memory_not_equal(first, second, sizeof(first));
}

static void test_header_path_too_long_for_records(void **state)
{
	char path[600];
	uint8_t header[ARK_TAR_MEMBER_HEADER_SIZE];

	(void)state;
	/* not a valid member path, but the documented -1 for no room */
	memset(path, 'c', 599);
	path[599] = '\0';
	assert_int_equal(ark_tar_member_header(header, path, 1, MTIME), -1);
}

static void test_padding(void **state)
{
	(void)state;
	assert_int_equal(ark_tar_padding(0), 0);
	assert_int_equal(ark_tar_padding(1), 511);
	assert_int_equal(ark_tar_padding(511), 1);
	assert_int_equal(ark_tar_padding(512), 0);
	assert_int_equal(ark_tar_padding(513), 511);
	assert_int_equal(ark_tar_padding(1024), 0);
	assert_int_equal(ark_tar_padding(10737418241ull), 511);
	assert_int_equal(ark_tar_padding(UINT64_MAX), 1);
}

/* ---- libarchive reads what we wrote ---------------------------------- */

struct tar_image {
	uint8_t *bytes;
	size_t len;
};

/* headers + data + padding + end blocks (data may be omitted). */
static struct tar_image build_tar(const char *path, uint64_t size,
				  const void *data, size_t data_len)
{
	struct tar_image image;
	size_t padding = (size_t)ark_tar_padding(data_len);

	image.len = ARK_TAR_MEMBER_HEADER_SIZE + data_len + padding +
		    ARK_TAR_END_SIZE;
	image.bytes = calloc(1, image.len);
	assert_non_null(image.bytes);
	assert_int_equal(ark_tar_member_header(image.bytes, path, size, MTIME),
			 0);
	if (data_len)
		memcpy(image.bytes + ARK_TAR_MEMBER_HEADER_SIZE, data,
		       data_len);
	return image;
}

static struct archive *open_tar(const struct tar_image *image)
{
	struct archive *a = archive_read_new();

	assert_non_null(a);
	assert_int_equal(archive_read_support_format_tar(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, image->bytes, image->len),
			 ARCHIVE_OK);
	return a;
}

static void test_libarchive_reads_member(void **state)
{
	static const char data[] = "hello, tar\n";
	struct tar_image image = build_tar("data/t1.copy.zst",
					   sizeof(data) - 1, data,
					   sizeof(data) - 1);
	struct archive *a = open_tar(&image);
	struct archive_entry *entry;
	char buf[64];

	(void)state;
	assert_int_equal(archive_read_next_header(a, &entry), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(entry), "data/t1.copy.zst");
	assert_int_equal(archive_entry_size(entry), sizeof(data) - 1);
	assert_int_equal(archive_entry_filetype(entry), AE_IFREG);
	assert_int_equal(archive_entry_perm(entry), 0600);
	assert_int_equal(archive_entry_mtime(entry), MTIME);
	assert_int_equal(archive_entry_uid(entry), 0);
	assert_int_equal(archive_entry_gid(entry), 0);
	/* the header that libarchive reports is where our headers start */
	assert_int_equal(archive_read_header_position(a), 0);
	assert_int_equal(archive_read_data(a, buf, sizeof(buf)),
			 sizeof(data) - 1);
	assert_memory_equal(buf, data, sizeof(data) - 1);
	assert_int_equal(archive_read_next_header(a, &entry), ARCHIVE_EOF);
	archive_read_free(a);
	free(image.bytes);
}

static void test_libarchive_reads_long_path(void **state)
{
	char path[256];
	struct tar_image image;
	struct archive *a;
	struct archive_entry *entry;

	(void)state;
	/* 220 bytes in three components: the pax path is authoritative */
	memset(path, 'x', 220);
	path[220] = '\0';
	path[60] = '/';
	path[130] = '/';
	memcpy(path + 216, ".zst", 4);
	assert_int_equal(ark_member_path_valid(path), 1);
	image = build_tar(path, 3, "abc", 3);
	a = open_tar(&image);
	assert_int_equal(archive_read_next_header(a, &entry), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(entry), path);
	assert_int_equal(archive_entry_size(entry), 3);
	assert_int_equal(archive_read_next_header(a, &entry), ARCHIVE_EOF);
	archive_read_free(a);
	free(image.bytes);
}

static void test_libarchive_reads_huge_pax_size(void **state)
{
	/* header only: libarchive parses it before any data is needed */
	struct tar_image image = build_tar("database.sqlite.zst",
					   10737418240ull, NULL, 0);
	struct archive *a = open_tar(&image);
	struct archive_entry *entry;

	(void)state;
	assert_int_equal(archive_read_next_header(a, &entry), ARCHIVE_OK);
	assert_string_equal(archive_entry_pathname(entry),
			    "database.sqlite.zst");
	assert_int_equal(archive_entry_size(entry), 10737418240ll);
	archive_read_free(a);
	free(image.bytes);
}

static void test_libarchive_reads_block_multiple(void **state)
{
	/* exactly one block of data: no padding, then the end blocks */
	uint8_t data[512];
	struct tar_image image;
	struct archive *a;
	struct archive_entry *entry;
	uint8_t back[600];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	image = build_tar("b.zst", sizeof(data), data, sizeof(data));
	assert_int_equal(image.len, 1536 + 512 + 1024);
	a = open_tar(&image);
	assert_int_equal(archive_read_next_header(a, &entry), ARCHIVE_OK);
	assert_int_equal(archive_entry_size(entry), 512);
	assert_int_equal(archive_read_data(a, back, sizeof(back)), 512);
	assert_memory_equal(back, data, 512);
	assert_int_equal(archive_read_next_header(a, &entry), ARCHIVE_EOF);
	archive_read_free(a);
	free(image.bytes);
}

static void test_libarchive_rejects_bad_checksum(void **state)
{
	struct tar_image image = build_tar("c.zst", 1, "z", 1);
	struct archive *a;
	struct archive_entry *entry;

	(void)state;
	/* a flipped name byte in the ustar block breaks its checksum */
	image.bytes[1024 + 1] ^= 0x01;
	a = open_tar(&image);
	assert_int_not_equal(archive_read_next_header(a, &entry), ARCHIVE_OK);
	archive_read_free(a);
	free(image.bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_size_constants),
		cmocka_unit_test(test_header_layout_simple),
		cmocka_unit_test(test_header_exact_pax_records),
		cmocka_unit_test(test_header_self_counting_lengths),
		cmocka_unit_test(test_header_long_path_truncated_names),
		cmocka_unit_test(test_header_sizes_octal_limit),
		cmocka_unit_test(test_header_size_max_11_digits),
		cmocka_unit_test(test_header_mtime_fields),
		cmocka_unit_test(test_header_deterministic),
		cmocka_unit_test(test_header_path_too_long_for_records),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_libarchive_reads_member),
		cmocka_unit_test(test_libarchive_reads_long_path),
		cmocka_unit_test(test_libarchive_reads_huge_pax_size),
		cmocka_unit_test(test_libarchive_reads_block_multiple),
		cmocka_unit_test(test_libarchive_rejects_bad_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
