/*
 * test_zio.c - zstd stages: round trips, frame flags, and every way
 * compressed input can be wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "unit_helpers.h"

#include "ark/zio.h"

#define MIXED_SIZE (5u * 1024 * 1024)

/* A sink that collects into a growing buffer, or fails on demand. */
struct collector {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t fail_after; /* fail once len would pass this; 0 = never */
	int calls;
};

static int collector_write(void *ctx, const void *buf, size_t len,
			   struct ark_error *err)
{
	struct collector *collector = ctx;

	collector->calls++;
	if (collector->fail_after != 0 &&
	    collector->len + len > collector->fail_after)
		return ark_error_set(err, ARK_ERR_WRITE, 0, "sink is full");
	if (collector->len + len > collector->cap) {
		size_t cap = collector->cap ? collector->cap : 65536;

		while (cap < collector->len + len)
			cap *= 2;
		collector->data = realloc(collector->data, cap);
		assert_non_null(collector->data);
		collector->cap = cap;
	}
	memcpy(collector->data + collector->len, buf, len);
	collector->len += len;
	return 0;
}

static struct ark_sink sink_to(struct collector *collector)
{
	struct ark_sink sink = {collector_write, collector};

	return sink;
}

static void collector_free(struct collector *collector)
{
	free(collector->data);
	memset(collector, 0, sizeof(*collector));
}

/* Text, incompressible noise, zeros and a small alphabet, repeated. */
static unsigned char *make_mixed(size_t len)
{
	static const char text[] = "CREATE TABLE track (id INTEGER PRIMARY "
				   "KEY, name TEXT NOT NULL, ms INTEGER);\n";
	unsigned char *data = malloc(len);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	assert_non_null(data);
	for (i = 0; i < len; i++) {
		size_t region = (i / 65536) % 4;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (region) {
		case 0:
			data[i] = (unsigned char)text[i % (sizeof(text) - 1)];
			break;
		case 1:
			data[i] = (unsigned char)x;
			break;
		case 2:
			data[i] = 0;
			break;
		default:
			data[i] = (unsigned char)('a' + x % 4);
			break;
		}
	}
	return data;
}

/* Compress data in uneven pieces into out. */
static void compress_into(const unsigned char *data, size_t len, int threads,
			  uint64_t pledged, struct collector *out)
{
	struct ark_compressor *comp = NULL;
	struct ark_error err;
	size_t offset = 0, piece = 1;

	ark_error_clear(&err);
	assert_int_equal(ark_compressor_new(3, threads, pledged, sink_to(out),
					    &comp, &err),
			 0);
	while (offset < len) {
		size_t take = piece < len - offset ? piece : len - offset;

		assert_int_equal(ark_compressor_write(comp, data + offset,
						      take, &err),
				 0);
		offset += take;
		piece = piece * 3 + 7; /* 1, 10, 37, ... up to megabytes */
	}
	assert_int_equal(ark_compressor_finish(comp, &err), 0);
	assert_int_equal(err.code, ARK_OK);
	ark_compressor_free(comp);
}

/* Decompress in fixed pieces; returns the code of the first failure. */
static int decompress_into(const unsigned char *data, size_t len,
			   size_t piece, uint64_t max_output,
			   struct collector *out, struct ark_error *err)
{
	struct ark_decompressor *dec = NULL;
	size_t offset = 0;
	int ret;

	ark_error_clear(err);
	ret = ark_decompressor_new(sink_to(out), max_output, "data.tar.zst",
				   &dec, err);
	if (ret != 0)
		goto cleanup;
	while (offset < len) {
		size_t take = piece < len - offset ? piece : len - offset;

		ret = ark_decompressor_write(dec, data + offset, take, err);
		if (ret != 0)
			goto cleanup;
		offset += take;
	}
	ret = ark_decompressor_finish(dec, err);
	if (ret == 0)
		assert_int_equal(ark_decompressor_output_bytes(dec), out->len);
cleanup:
	ark_decompressor_free(dec);
	return ret;
}

static void check_round_trip(int threads, int pledge)
{
	unsigned char *data = make_mixed(MIXED_SIZE);
	struct collector packed = {0}, unpacked = {0};
	ZSTD_frameHeader header;
	struct ark_error err;

	compress_into(data, MIXED_SIZE, threads,
		      pledge ? MIXED_SIZE : ARK_ZIO_UNKNOWN_SIZE, &packed);
	assert_true(packed.len > 0);
	assert_true(packed.len < MIXED_SIZE / 2);

	assert_int_equal(ZSTD_getFrameHeader(&header, packed.data, packed.len),
			 0);
	assert_int_equal(header.frameType, ZSTD_frame);
	assert_int_equal(header.checksumFlag, 1);
	if (pledge)
		assert_int_equal(header.frameContentSize, MIXED_SIZE);

	assert_int_equal(decompress_into(packed.data, packed.len, 4096,
					 ARK_ZIO_UNKNOWN_SIZE, &unpacked,
					 &err),
			 0);
	assert_int_equal(unpacked.len, MIXED_SIZE);
	assert_memory_equal(unpacked.data, data, MIXED_SIZE);

	/* zstd's own one-shot decoder agrees. */
	if (pledge) {
		unsigned char *plain = malloc(MIXED_SIZE);
		size_t got;

		assert_non_null(plain);
		got = ZSTD_decompress(plain, MIXED_SIZE, packed.data,
				      packed.len);
		assert_false(ZSTD_isError(got));
		assert_int_equal(got, MIXED_SIZE);
		assert_memory_equal(plain, data, MIXED_SIZE);
		free(plain);
	}

	collector_free(&packed);
	collector_free(&unpacked);
	free(data);
}

static void test_round_trip_single_thread(void **state)
{
	(void)state;
	check_round_trip(0, 1);
}

static void test_round_trip_two_workers(void **state)
{
	(void)state;
	check_round_trip(2, 1);
}

static void test_round_trip_unknown_size(void **state)
{
	(void)state;
	check_round_trip(0, 0);
	check_round_trip(2, 0);
}

/* Shared compressed sample for the corruption tests. */
static unsigned char *sample_plain;
static struct collector sample_packed;

static int setup_sample(void **state)
{
	(void)state;
	sample_plain = make_mixed(MIXED_SIZE);
	memset(&sample_packed, 0, sizeof(sample_packed));
	compress_into(sample_plain, MIXED_SIZE, 0, MIXED_SIZE,
		      &sample_packed);
	return 0;
}

static int teardown_sample(void **state)
{
	(void)state;
	free(sample_plain);
	collector_free(&sample_packed);
	return 0;
}

static void test_truncated_input_is_corrupt(void **state)
{
	static const size_t cuts[] = {1, 4, 100, 10000};
	struct collector out = {0};
	struct ark_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_int_equal(decompress_into(sample_packed.data,
						 sample_packed.len - cuts[i],
						 65536, ARK_ZIO_UNKNOWN_SIZE,
						 &out, &err),
				 ARK_ERR_CORRUPT);
		assert_string_equal(err.msg,
				    "data.tar.zst: compressed data ends "
				    "inside a zstd frame (truncated)");
		collector_free(&out);
	}
	/* Only the magic number. */
	assert_int_equal(decompress_into(sample_packed.data, 4, 65536,
					 ARK_ZIO_UNKNOWN_SIZE, &out, &err),
			 ARK_ERR_CORRUPT);
	assert_error(err, ARK_ERR_CORRUPT, "(truncated)");
	collector_free(&out);
}

static void test_flipped_byte_is_corrupt(void **state)
{
	static const double where[] = {0.25, 0.5, 0.9};
	struct collector out = {0};
	struct ark_error err;
	unsigned char *copy;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		size_t at = (size_t)((double)sample_packed.len * where[i]);

		copy = malloc(sample_packed.len);
		assert_non_null(copy);
		memcpy(copy, sample_packed.data, sample_packed.len);
		copy[at] ^= 0x10;
		assert_int_equal(decompress_into(copy, sample_packed.len,
						 65536, ARK_ZIO_UNKNOWN_SIZE,
						 &out, &err),
				 ARK_ERR_CORRUPT);
		assert_error(err, ARK_ERR_CORRUPT, "data.tar.zst: zstd: ");
		collector_free(&out);
		free(copy);
	}
}

static void test_flipped_checksum_is_corrupt(void **state)
{
	struct collector out = {0};
	struct ark_error err;
	unsigned char *copy;

	(void)state;
	copy = malloc(sample_packed.len);
	assert_non_null(copy);
	memcpy(copy, sample_packed.data, sample_packed.len);
	copy[sample_packed.len - 1] ^= 0x01; /* last byte of the checksum */
	assert_int_equal(decompress_into(copy, sample_packed.len, 65536,
					 ARK_ZIO_UNKNOWN_SIZE, &out, &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg, "data.tar.zst: zstd: Restored data "
				     "doesn't match checksum");
	collector_free(&out);
	free(copy);
}

static void test_not_zstd_is_corrupt(void **state)
{
	static const char garbage[] = "this is not a zstd frame at all";
	struct collector out = {0};
	struct ark_error err;

	(void)state;
	assert_int_equal(decompress_into((const unsigned char *)garbage,
					 sizeof(garbage), 4096,
					 ARK_ZIO_UNKNOWN_SIZE, &out, &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg,
			    "data.tar.zst: zstd: Unknown frame descriptor");
	assert_int_equal(out.len, 0);
	collector_free(&out);
}

static void test_max_output(void **state)
{
	struct collector out = {0};
	struct ark_error err;

	(void)state;
	assert_int_equal(decompress_into(sample_packed.data, sample_packed.len,
					 65536, MIXED_SIZE - 1, &out, &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg, "data.tar.zst: decompresses to more "
				     "than 5242879 bytes");
	/* The sink never saw more than the bound. */
	assert_true(out.len <= MIXED_SIZE - 1);
	collector_free(&out);

	/* Exactly the bound is fine. */
	assert_int_equal(decompress_into(sample_packed.data, sample_packed.len,
					 65536, MIXED_SIZE, &out, &err),
			 0);
	assert_int_equal(out.len, MIXED_SIZE);
	collector_free(&out);
}

static void test_concatenated_frames(void **state)
{
	static const char first[] = "first frame\n";
	struct collector packed = {0}, out = {0};
	unsigned char *second = make_mixed(300000);
	struct ark_error err;

	(void)state;
	compress_into((const unsigned char *)first, sizeof(first) - 1, 0,
		      sizeof(first) - 1, &packed);
	compress_into(second, 300000, 2, ARK_ZIO_UNKNOWN_SIZE, &packed);
	/* And a third, empty frame. */
	compress_into(NULL, 0, 0, 0, &packed);

	assert_int_equal(decompress_into(packed.data, packed.len, 1000,
					 ARK_ZIO_UNKNOWN_SIZE, &out, &err),
			 0);
	assert_int_equal(out.len, sizeof(first) - 1 + 300000);
	assert_memory_equal(out.data, first, sizeof(first) - 1);
	assert_memory_equal(out.data + sizeof(first) - 1, second, 300000);

	collector_free(&packed);
	collector_free(&out);
	free(second);
}

static void test_empty_input(void **state)
{
	struct collector packed = {0}, out = {0};
	struct ark_error err;

	(void)state;
	/* Zero compressed bytes: valid, zero output. */
	assert_int_equal(decompress_into(NULL, 0, 1, ARK_ZIO_UNKNOWN_SIZE,
					 &out, &err),
			 0);
	assert_int_equal(out.len, 0);

	/* A frame of nothing decompresses to nothing. */
	compress_into(NULL, 0, 0, 0, &packed);
	assert_true(packed.len > 0);
	assert_int_equal(decompress_into(packed.data, packed.len, 1, 0, &out,
					 &err),
			 0);
	assert_int_equal(out.len, 0);
	collector_free(&packed);
	collector_free(&out);
}

static void test_byte_by_byte(void **state)
{
	unsigned char *data = make_mixed(200000);
	struct collector packed = {0}, out = {0};
	struct ark_error err;

	(void)state;
	compress_into(data, 200000, 0, 200000, &packed);
	assert_int_equal(decompress_into(packed.data, packed.len, 1,
					 ARK_ZIO_UNKNOWN_SIZE, &out, &err),
			 0);
	assert_int_equal(out.len, 200000);
	assert_memory_equal(out.data, data, 200000);
	collector_free(&packed);
	collector_free(&out);
	free(data);
}

/* Outputs that fill the decoder's buffer exactly end cleanly too. */
static void test_output_buffer_multiples(void **state)
{
	size_t unit = ZSTD_DStreamOutSize();
	size_t sizes[] = {unit - 1, unit, unit + 1, 2 * unit, 3 * unit};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *data = make_mixed(sizes[i]);
		struct collector packed = {0}, out = {0};
		struct ark_error err;

		compress_into(data, sizes[i], 0, ARK_ZIO_UNKNOWN_SIZE,
			      &packed);
		assert_int_equal(decompress_into(packed.data, packed.len,
						 packed.len,
						 ARK_ZIO_UNKNOWN_SIZE, &out,
						 &err),
				 0);
		assert_int_equal(out.len, sizes[i]);
		assert_memory_equal(out.data, data, sizes[i]);
		collector_free(&packed);
		collector_free(&out);
		free(data);
	}
}

static void test_sink_errors_propagate(void **state)
{
	unsigned char *data = make_mixed(1000000);
	struct collector failing = {0}, packed = {0};
	struct ark_compressor *comp = NULL;
	struct ark_decompressor *dec = NULL;
	struct ark_error err;
	int ret;

	(void)state;
	failing.fail_after = 1000;
	ark_error_clear(&err);
	assert_int_equal(ark_compressor_new(1, 0, ARK_ZIO_UNKNOWN_SIZE,
					    sink_to(&failing), &comp, &err),
			 0);
	ret = ark_compressor_write(comp, data, 1000000, &err);
	if (ret == 0)
		ret = ark_compressor_finish(comp, &err);
	assert_int_equal(ret, ARK_ERR_WRITE);
	assert_string_equal(err.msg, "sink is full");
	/* The stage is dead after a failure. */
	ark_error_clear(&err);
	assert_int_equal(ark_compressor_write(comp, "x", 1, &err),
			 ARK_ERR_INTERNAL);
	ark_compressor_free(comp);

	compress_into(data, 1000000, 0, ARK_ZIO_UNKNOWN_SIZE, &packed);
	collector_free(&failing);
	failing.fail_after = 5000;
	ark_error_clear(&err);
	assert_int_equal(ark_decompressor_new(sink_to(&failing),
					      ARK_ZIO_UNKNOWN_SIZE, "m", &dec,
					      &err),
			 0);
	assert_int_equal(ark_decompressor_write(dec, packed.data, packed.len,
						&err),
			 ARK_ERR_WRITE);
	assert_string_equal(err.msg, "sink is full");
	ark_decompressor_free(dec);

	collector_free(&failing);
	collector_free(&packed);
	free(data);
}

static void test_pledged_size_mismatch(void **state)
{
	struct collector packed = {0};
	struct ark_compressor *comp = NULL;
	struct ark_error err;

	(void)state;
	ark_error_clear(&err);
	assert_int_equal(ark_compressor_new(3, 0, 100, sink_to(&packed), &comp,
					    &err),
			 0);
	assert_int_equal(ark_compressor_write(comp, "short", 5, &err), 0);
	assert_int_equal(ark_compressor_finish(comp, &err), ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "zstd compression: ");
	ark_compressor_free(comp);
	collector_free(&packed);
}

static void test_bad_parameters(void **state)
{
	struct collector packed = {0};
	struct ark_compressor *comp = (struct ark_compressor *)&packed;
	struct ark_error err;

	(void)state;
	ark_error_clear(&err);
	assert_int_equal(ark_compressor_new(0, 0, ARK_ZIO_UNKNOWN_SIZE,
					    sink_to(&packed), &comp, &err),
			 ARK_ERR_USAGE);
	assert_null(comp);
	assert_string_equal(err.msg, "compression level 0 is not in 1..19");
	ark_error_clear(&err);
	assert_int_equal(ark_compressor_new(20, 0, ARK_ZIO_UNKNOWN_SIZE,
					    sink_to(&packed), &comp, &err),
			 ARK_ERR_USAGE);
	ark_error_clear(&err);
	assert_int_equal(ark_compressor_new(3, -1, ARK_ZIO_UNKNOWN_SIZE,
					    sink_to(&packed), &comp, &err),
			 ARK_ERR_USAGE);
	ark_error_clear(&err);
	assert_int_equal(ark_compressor_new(19, 0, ARK_ZIO_UNKNOWN_SIZE,
					    sink_to(&packed), &comp, &err),
			 0);
	/* Finish twice is a caller bug. */
	assert_int_equal(ark_compressor_finish(comp, &err), 0);
	assert_int_equal(ark_compressor_finish(comp, &err), ARK_ERR_INTERNAL);
	assert_error(err, ARK_ERR_INTERNAL, "already finished");
	ark_compressor_free(comp);
	ark_compressor_free(NULL);
	ark_decompressor_free(NULL);
	collector_free(&packed);
}

/* A frame that asks for a 256 MiB window is refused, not obeyed. */
static void test_huge_window_is_refused(void **state)
{
	unsigned char *data = make_mixed(100000);
	size_t cap = ZSTD_compressBound(100000) + 1024;
	unsigned char *packed = malloc(cap);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_inBuffer in = {data, 100000, 0};
	ZSTD_outBuffer out_buffer = {packed, cap, 0};
	ZSTD_frameHeader header;
	struct collector out = {0};
	struct ark_error err;
	size_t result;

	(void)state;
	assert_non_null(packed);
	assert_non_null(cctx);
	assert_false(ZSTD_isError(
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 28)));
	/* No size known up front, so the header keeps the 2^28 window. */
	result = ZSTD_compressStream2(cctx, &out_buffer, &in,
				      ZSTD_e_continue);
	assert_false(ZSTD_isError(result));
	do {
		result = ZSTD_compressStream2(cctx, &out_buffer, &in,
					      ZSTD_e_end);
		assert_false(ZSTD_isError(result));
	} while (result != 0);
	assert_int_equal(ZSTD_getFrameHeader(&header, packed, out_buffer.pos),
			 0);
	assert_int_equal(header.windowSize, 1u << 28);

	assert_int_equal(decompress_into(packed, out_buffer.pos, 65536,
					 ARK_ZIO_UNKNOWN_SIZE, &out, &err),
			 ARK_ERR_CORRUPT);
	assert_string_equal(err.msg, "data.tar.zst: zstd: Frame requires too "
				     "much memory for decoding");
	assert_int_equal(out.len, 0);

	collector_free(&out);
	ZSTD_freeCCtx(cctx);
	free(packed);
	free(data);
}

static void test_cpu_count(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	assert_true(ark_zio_cpu_count() >= 1);
	if (online >= 1)
		assert_int_equal(ark_zio_cpu_count(), online);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_single_thread),
		cmocka_unit_test(test_round_trip_two_workers),
		cmocka_unit_test(test_round_trip_unknown_size),
		cmocka_unit_test(test_truncated_input_is_corrupt),
		cmocka_unit_test(test_flipped_byte_is_corrupt),
		cmocka_unit_test(test_flipped_checksum_is_corrupt),
		cmocka_unit_test(test_not_zstd_is_corrupt),
		cmocka_unit_test(test_max_output),
		cmocka_unit_test(test_concatenated_frames),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_output_buffer_multiples),
		cmocka_unit_test(test_sink_errors_propagate),
		cmocka_unit_test(test_pledged_size_mismatch),
		cmocka_unit_test(test_bad_parameters),
		cmocka_unit_test(test_huge_window_is_refused),
		cmocka_unit_test(test_cpu_count),
	};

	return cmocka_run_group_tests(tests, setup_sample, teardown_sample);
}
