/*
 * zio.c - zstd compression and decompression as streaming stages.
 *
 * zstd errors are converted here, at the boundary: compression failures
 * are ARK_ERR_INTERNAL (a caller or library problem), anything wrong with
 * compressed input is ARK_ERR_CORRUPT naming the member.
 */
#include "ark/zio.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "ark/log.h"

/* Largest window a frame may ask for: 128 MiB, zstd's default limit. */
#define ZIO_WINDOW_LOG_MAX 27
#define ZIO_LEVEL_MIN 1
#define ZIO_LEVEL_MAX 19
#define ZIO_JOB_SIZE (1 << 20) /* bytes of input per zstd worker job */

struct ark_compressor {
	ZSTD_CCtx *cctx;
	struct ark_sink out;
	void *buffer;
	size_t buffer_size;
	int finished; /* the frame is ended; no more writes */
	int failed;   /* a zstd or sink error left the stream unusable */
};

struct ark_decompressor {
	ZSTD_DCtx *dctx;
	struct ark_sink out;
	void *buffer;
	size_t buffer_size;
	uint64_t max_output;
	uint64_t output_bytes;
	size_t last_result; /* 0 at a frame boundary */
	int failed;
	char *what;
};

/* ---- compression ---- */

int ark_compressor_new(int level, int threads, uint64_t pledged_size,
		       struct ark_sink out, struct ark_compressor **out_comp,
		       struct ark_error *err)
{
	struct ark_compressor *comp = NULL;
	ZSTD_bounds worker_bounds;
	size_t result;
	int ret = 0;

	*out_comp = NULL;
	if (level < ZIO_LEVEL_MIN || level > ZIO_LEVEL_MAX) {
		ret = ark_error_set(err, ARK_ERR_USAGE, 0,
				    "compression level %d is not in %d..%d",
				    level, ZIO_LEVEL_MIN, ZIO_LEVEL_MAX);
		goto cleanup;
	}
	if (threads < 0) {
		ret = ark_error_set(err, ARK_ERR_USAGE, 0,
				    "compression threads %d is negative",
				    threads);
		goto cleanup;
	}
	if (out.write == NULL) {
		ret = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				    "compressor without an output sink");
		goto cleanup;
	}

	comp = calloc(1, sizeof(*comp));
	if (comp == NULL)
		goto out_of_memory;
	comp->out = out;
	comp->buffer_size = ZSTD_CStreamOutSize();
	comp->buffer = malloc(comp->buffer_size);
	comp->cctx = ZSTD_createCCtx();
	if (comp->buffer == NULL || comp->cctx == NULL)
		goto out_of_memory;

	result = ZSTD_CCtx_setParameter(comp->cctx, ZSTD_c_compressionLevel,
					level);
	if (!ZSTD_isError(result))
		result = ZSTD_CCtx_setParameter(comp->cctx,
						ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(result))
		goto zstd_failed;

	if (threads > 0) {
		worker_bounds = ZSTD_cParam_getBounds(ZSTD_c_nbWorkers);
		if (ZSTD_isError(worker_bounds.error) ||
		    worker_bounds.upperBound == 0) {
			/* A libzstd without threads: same frames, slower. */
			ark_log(ARK_LOG_DEBUG,
				"libzstd has no worker threads; compressing "
				"in one thread");
		} else if (threads > worker_bounds.upperBound) {
			ret = ark_error_set(err, ARK_ERR_USAGE, 0,
					    "compression threads %d is more "
					    "than zstd's limit %d",
					    threads, worker_bounds.upperBound);
			goto cleanup;
		} else {
			result = ZSTD_CCtx_setParameter(comp->cctx,
							ZSTD_c_nbWorkers,
							threads);
			/*
			 * zstd's default job is 4 windows (8 MiB at level
			 * 3) and it keeps several jobs of input and output
			 * in flight: ~66 MiB.  1 MiB jobs keep the whole
			 * stage near 16 MiB, as fast, and the frames as
			 * small (measured on a 1 GB database: 352.5 MB vs
			 * 353.0 MB).
			 */
			if (!ZSTD_isError(result))
				result = ZSTD_CCtx_setParameter(
					comp->cctx, ZSTD_c_jobSize, ZIO_JOB_SIZE);
			if (ZSTD_isError(result))
				goto zstd_failed;
		}
	}

	if (pledged_size != ARK_ZIO_UNKNOWN_SIZE) {
		result = ZSTD_CCtx_setPledgedSrcSize(
			comp->cctx, (unsigned long long)pledged_size);
		if (ZSTD_isError(result))
			goto zstd_failed;
	}

	*out_comp = comp;
	comp = NULL;
	goto cleanup;

zstd_failed:
	ret = ark_error_set(err, ARK_ERR_INTERNAL, 0,
			    "cannot set up zstd compression: %s",
			    ZSTD_getErrorName(result));
	goto cleanup;
out_of_memory:
	ret = ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
			    "cannot set up zstd compression");
cleanup:
	ark_compressor_free(comp);
	return ret;
}

/*
 * One round of ZSTD_compressStream2 over in, handing whatever came out to
 * the sink.  *remaining gets zstd's return (bytes still to flush).
 */
static int compressor_step(struct ark_compressor *comp, ZSTD_inBuffer *in,
			   ZSTD_EndDirective mode, size_t *remaining,
			   struct ark_error *err)
{
	ZSTD_outBuffer output = {comp->buffer, comp->buffer_size, 0};
	size_t result;
	int ret;

	result = ZSTD_compressStream2(comp->cctx, &output, in, mode);
	if (ZSTD_isError(result)) {
		comp->failed = 1;
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "zstd compression: %s",
				     ZSTD_getErrorName(result));
	}
	if (output.pos > 0) {
		ret = comp->out.write(comp->out.ctx, comp->buffer, output.pos,
				      err);
		if (ret != 0) {
			comp->failed = 1;
			return ret;
		}
	}
	*remaining = result;
	return 0;
}

static int compressor_usable(const struct ark_compressor *comp,
			     struct ark_error *err)
{
	if (comp == NULL || comp->failed)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "zstd compression: stream already "
				     "failed");
	if (comp->finished)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "zstd compression: stream already "
				     "finished");
	return 0;
}

int ark_compressor_write(struct ark_compressor *comp, const void *buf,
			 size_t len, struct ark_error *err)
{
	ZSTD_inBuffer in = {buf, len, 0};
	size_t remaining;
	int ret;

	ret = compressor_usable(comp, err);
	if (ret != 0)
		return ret;
	/* With workers, one call may take only part of the input. */
	while (in.pos < in.size) {
		ret = compressor_step(comp, &in, ZSTD_e_continue, &remaining,
				      err);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int ark_compressor_finish(struct ark_compressor *comp, struct ark_error *err)
{
	ZSTD_inBuffer in = {NULL, 0, 0};
	size_t remaining;
	int ret;

	ret = compressor_usable(comp, err);
	if (ret != 0)
		return ret;
	do {
		ret = compressor_step(comp, &in, ZSTD_e_end, &remaining, err);
		if (ret != 0)
			return ret;
	} while (remaining != 0);
	comp->finished = 1;
	return 0;
}

void ark_compressor_free(struct ark_compressor *comp)
{
	if (comp == NULL)
		return;
	ZSTD_freeCCtx(comp->cctx);
	free(comp->buffer);
	free(comp);
}

/* ---- decompression ---- */

int ark_decompressor_new(struct ark_sink out, uint64_t max_output,
			 const char *what, struct ark_decompressor **out_dec,
			 struct ark_error *err)
{
	struct ark_decompressor *dec = NULL;
	size_t result;
	int ret = 0;

	*out_dec = NULL;
	if (what == NULL)
		what = "zstd stream";
	if (out.write == NULL) {
		ret = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				    "%s: decompressor without an output sink",
				    what);
		goto cleanup;
	}

	dec = calloc(1, sizeof(*dec));
	if (dec == NULL)
		goto out_of_memory;
	dec->out = out;
	dec->max_output = max_output;
	dec->buffer_size = ZSTD_DStreamOutSize();
	dec->buffer = malloc(dec->buffer_size);
	dec->what = strdup(what);
	dec->dctx = ZSTD_createDCtx();
	if (dec->buffer == NULL || dec->what == NULL || dec->dctx == NULL)
		goto out_of_memory;

	/* A hostile frame must not make us allocate gigabytes of window. */
	result = ZSTD_DCtx_setParameter(dec->dctx, ZSTD_d_windowLogMax,
					ZIO_WINDOW_LOG_MAX);
	if (ZSTD_isError(result)) {
		ret = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				    "%s: cannot set up zstd: %s", what,
				    ZSTD_getErrorName(result));
		goto cleanup;
	}

	*out_dec = dec;
	dec = NULL;
	goto cleanup;

out_of_memory:
	ret = ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
			    "%s: cannot set up zstd decompression", what);
cleanup:
	ark_decompressor_free(dec);
	return ret;
}

int ark_decompressor_write(struct ark_decompressor *dec, const void *buf,
			   size_t len, struct ark_error *err)
{
	ZSTD_inBuffer in = {buf, len, 0};
	ZSTD_outBuffer output;
	size_t result;
	int ret;

	if (dec == NULL || dec->failed)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "%s: zstd decompression already failed",
				     dec != NULL ? dec->what : "zstd stream");
	if (len == 0)
		return 0;

	/*
	 * Go on while input is left, and also while the output buffer came
	 * back full inside a frame: zstd may hold more decoded bytes for us.
	 * (Once a frame is done, result 0, nothing is held back, and another
	 * call without input would only ask for the next frame's header.)
	 * A new frame after the end of one is started by zstd itself, so
	 * concatenated frames decode as one stream.
	 */
	do {
		output.dst = dec->buffer;
		output.size = dec->buffer_size;
		output.pos = 0;
		result = ZSTD_decompressStream(dec->dctx, &output, &in);
		if (ZSTD_isError(result)) {
			dec->failed = 1;
			return ark_error_set(err, ARK_ERR_CORRUPT, 0,
					     "%s: zstd: %s", dec->what,
					     ZSTD_getErrorName(result));
		}
		dec->last_result = result;
		if (output.pos == 0)
			continue;
		if (output.pos > dec->max_output - dec->output_bytes) {
			dec->failed = 1;
			return ark_error_set(err, ARK_ERR_CORRUPT, 0,
					     "%s: decompresses to more than "
					     "%llu bytes",
					     dec->what,
					     (unsigned long long)dec->max_output);
		}
		dec->output_bytes += output.pos;
		ret = dec->out.write(dec->out.ctx, dec->buffer, output.pos,
				     err);
		if (ret != 0) {
			dec->failed = 1;
			return ret;
		}
	} while (in.pos < in.size ||
		 (output.pos == output.size && result != 0));
	return 0;
}

int ark_decompressor_finish(struct ark_decompressor *dec,
			    struct ark_error *err)
{
	if (dec == NULL || dec->failed)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "%s: zstd decompression already failed",
				     dec != NULL ? dec->what : "zstd stream");
	if (dec->last_result != 0)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: compressed data ends inside a zstd "
				     "frame (truncated)",
				     dec->what);
	return 0;
}

uint64_t ark_decompressor_output_bytes(const struct ark_decompressor *dec)
{
	return dec != NULL ? dec->output_bytes : 0;
}

void ark_decompressor_free(struct ark_decompressor *dec)
{
	if (dec == NULL)
		return;
	ZSTD_freeDCtx(dec->dctx);
	free(dec->buffer);
	free(dec->what);
	free(dec);
}

int ark_zio_cpu_count(void)
{
	long count = sysconf(_SC_NPROCESSORS_ONLN);

	if (count < 1)
		return 1;
	if (count > INT_MAX)
		return INT_MAX;
	return (int)count;
}
