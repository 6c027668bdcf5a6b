/*
 * ark/zio.h - zstd streaming stages.
 *
 * A stage receives bytes through write() and passes its output to the next
 * stage, a struct ark_sink.  Compression always sets the zstd content
 * checksum flag, so every frame can be checked by `zstd -t` alone.
 */
#ifndef ARK_ZIO_H
#define ARK_ZIO_H

#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"

/* Where a stage sends its output. */
struct ark_sink {
	int (*write)(void *ctx, const void *buf, size_t len,
		     struct ark_error *err);
	void *ctx;
};

#define ARK_ZIO_UNKNOWN_SIZE UINT64_MAX

struct ark_compressor;   /* opaque */
struct ark_decompressor; /* opaque */

/*
 * Compressor at level (1..19) with threads zstd workers (0 = compress in the
 * calling thread).  pledged_size is the exact number of input bytes, or
 * ARK_ZIO_UNKNOWN_SIZE; when known it is written in the frame header.
 */
int ark_compressor_new(int level, int threads, uint64_t pledged_size,
		       struct ark_sink out, struct ark_compressor **out_comp,
		       struct ark_error *err);
int ark_compressor_write(struct ark_compressor *comp, const void *buf,
			 size_t len, struct ark_error *err);
/* Flush and end the frame; output goes to the sink. */
int ark_compressor_finish(struct ark_compressor *comp, struct ark_error *err);
void ark_compressor_free(struct ark_compressor *comp);

/*
 * Decompressor: feed compressed bytes, raw bytes go to out.  Frame
 * checksums are verified; max_output bounds the total raw bytes (exceeding
 * it is ARK_ERR_CORRUPT), ARK_ZIO_UNKNOWN_SIZE for no bound.  what names the
 * member in messages.
 */
int ark_decompressor_new(struct ark_sink out, uint64_t max_output,
			 const char *what, struct ark_decompressor **out_dec,
			 struct ark_error *err);
int ark_decompressor_write(struct ark_decompressor *dec, const void *buf,
			   size_t len, struct ark_error *err);
/* ARK_ERR_CORRUPT when the input ended inside a frame. */
int ark_decompressor_finish(struct ark_decompressor *dec,
			    struct ark_error *err);
uint64_t ark_decompressor_output_bytes(const struct ark_decompressor *dec);
void ark_decompressor_free(struct ark_decompressor *dec);

/* Number of online CPUs (at least 1). */
int ark_zio_cpu_count(void);

#endif
