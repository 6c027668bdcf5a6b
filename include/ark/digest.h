/*
 * ark/digest.h - the content digest of a table (docs/digest.md).
 *
 * A table's digest is its row count and the sum, mod 2^128, of the
 * XXH3-128 of each row's canonical encoding.  The canonical encoding of a
 * row is its line in PostgreSQL's COPY text format (columns in table
 * order, separated by a tab, NULL as \N, without the newline), with each
 * value written as PostgreSQL itself prints it under the session settings
 * ark fixes (ark/pg.h) - so
 *   - the PostgreSQL side is digested straight from COPY ... TO STDOUT;
 *   - a `pg` archive member (COPY text) is digested as it is read;
 *   - the SQLite side is digested from the lines ark-transfer sends to
 *     COPY FROM, which ark/pgtext.h writes in that canonical form;
 * and equal digests mean equal multisets of rows under the type mapping.
 * The sum needs no ORDER BY and segments can be digested in parallel and
 * merged.
 */
#ifndef ARK_DIGEST_H
#define ARK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"
#include "ark/hash.h"

struct ark_digest {
	uint64_t rows;
	struct ark_hash128 sum;
};

/* Text form: "<rows>:<32 hex digits of the sum>". */
#define ARK_DIGEST_TEXT_MAX (20 + 1 + ARK_HASH_HEX_LEN + 1)

void ark_digest_init(struct ark_digest *digest);
/* Add one row: line is its canonical encoding, without the newline. */
void ark_digest_add_row(struct ark_digest *digest, const void *line,
			size_t len);
/* Add the rows of part (a segment digested apart). */
void ark_digest_merge(struct ark_digest *digest,
		      const struct ark_digest *part);
int ark_digest_equal(const struct ark_digest *a, const struct ark_digest *b);
/* The 32 hex digits of the sum, and a NUL (ARK_HASH_HEX_LEN + 1 bytes). */
void ark_digest_sum_hex(const struct ark_digest *digest, char *out);
/* "<rows>:<hex>" into out (ARK_DIGEST_TEXT_MAX bytes). */
void ark_digest_format(const struct ark_digest *digest, char *out);

/*
 * A COPY text stream cut into rows wherever its chunks end: every '\n'
 * closes a row (COPY text escapes newlines inside values, so a raw one is
 * always a row's end).  Rows are hashed as they stream, with no copy of
 * the row kept, so memory does not grow with row size.
 */
struct ark_digest_stream {
	struct ark_digest digest;
	struct ark_hasher *row;  /* the open row's hash state */
	uint64_t open_bytes;     /* bytes of the open row so far */
};

/* 0, or ARK_ERR_INTERNAL when out of memory. */
int ark_digest_stream_begin(struct ark_digest_stream *stream,
			    struct ark_error *err);
void ark_digest_stream_feed(struct ark_digest_stream *stream,
			    const void *data, size_t len);
/* Close the stream; ARK_ERR_CORRUPT when it ends inside a row (no final
 * newline), with what names the stream in the message.  Frees the state
 * either way; digest stays readable. */
int ark_digest_stream_end(struct ark_digest_stream *stream, const char *what,
			  struct ark_error *err);
/* Free the state of a stream abandoned before its end (NULL is a no-op). */
void ark_digest_stream_abandon(struct ark_digest_stream *stream);

#endif
