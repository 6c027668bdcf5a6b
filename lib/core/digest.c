/*
 * digest.c - order-independent table digests (ark/digest.h, docs/digest.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ark/digest.h"

void ark_digest_init(struct ark_digest *digest)
{
	memset(digest, 0, sizeof(*digest));
}

void ark_digest_add_row(struct ark_digest *digest, const void *line,
			size_t len)
{
	digest->sum = ark_hash_add(digest->sum, ark_hash_buffer(line, len));
	digest->rows++;
}

void ark_digest_merge(struct ark_digest *digest,
		      const struct ark_digest *part)
{
	digest->sum = ark_hash_add(digest->sum, part->sum);
	digest->rows += part->rows;
}

int ark_digest_equal(const struct ark_digest *a, const struct ark_digest *b)
{
	return a->rows == b->rows && ark_hash_equal(a->sum, b->sum);
}

void ark_digest_sum_hex(const struct ark_digest *digest, char *out)
{
	ark_hash_to_hex(digest->sum, out);
}

void ark_digest_format(const struct ark_digest *digest, char *out)
{
	char hex[ARK_HASH_HEX_LEN + 1];

	ark_hash_to_hex(digest->sum, hex);
	snprintf(out, ARK_DIGEST_TEXT_MAX, "%" PRIu64 ":%s", digest->rows,
		 hex);
}

int ark_digest_stream_begin(struct ark_digest_stream *stream,
			    struct ark_error *err)
{
	ark_digest_init(&stream->digest);
	stream->open_bytes = 0;
	stream->row = ark_hasher_new();
	if (stream->row == NULL)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "out of memory for a row hash");
	return 0;
}

void ark_digest_stream_feed(struct ark_digest_stream *stream,
			    const void *data, size_t len)
{
	const char *at = data, *end = at + len, *newline;

	while (at < end) {
		newline = memchr(at, '\n', (size_t)(end - at));
		if (newline == NULL) {
			ark_hasher_update(stream->row, at, (size_t)(end - at));
			stream->open_bytes += (uint64_t)(end - at);
			return;
		}
		if (stream->open_bytes == 0) {
			/* the whole row is in this chunk: one-shot hash */
			ark_digest_add_row(&stream->digest, at,
					   (size_t)(newline - at));
		} else {
			ark_hasher_update(stream->row, at,
					  (size_t)(newline - at));
			stream->digest.sum = ark_hash_add(
				stream->digest.sum,
				ark_hasher_digest(stream->row));
			stream->digest.rows++;
			ark_hasher_reset(stream->row);
			stream->open_bytes = 0;
		}
		at = newline + 1;
	}
}

int ark_digest_stream_end(struct ark_digest_stream *stream, const char *what,
			  struct ark_error *err)
{
	int open = stream->open_bytes != 0;

	ark_digest_stream_abandon(stream);
	if (open)
		return ark_error_set(err, ARK_ERR_CORRUPT, 0,
				     "%s: the data ends inside a row", what);
	return 0;
}

void ark_digest_stream_abandon(struct ark_digest_stream *stream)
{
	if (stream == NULL)
		return;
	ark_hasher_free(stream->row);
	stream->row = NULL;
	stream->open_bytes = 0;
}
