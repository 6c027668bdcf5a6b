/*
 * ark/buf.h - a growable byte buffer, for rows and SQL text.
 *
 * Rows are built in one buffer that is reused: ark_buf_reset() keeps the
 * allocation, so a stream of rows costs one allocation for the longest
 * row.  The data is always NUL-terminated (len does not count the NUL),
 * so text can be passed to C string functions; binary data may contain
 * NULs of its own.  An allocation failure is remembered: every later
 * append is a no-op and ark_buf_failed() says so, so a caller checks once
 * at the end of a row instead of after every append.
 */
#ifndef ARK_BUF_H
#define ARK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ark_buf {
	char *data;  /* NULL until the first append */
	size_t len;  /* bytes used, not counting the terminating NUL */
	size_t cap;  /* bytes allocated */
	int failed;  /* an allocation failed; data is unchanged since */
};

#define ARK_BUF_INIT {NULL, 0, 0, 0}

void ark_buf_init(struct ark_buf *buf);
void ark_buf_free(struct ark_buf *buf); /* back to ARK_BUF_INIT */
void ark_buf_reset(struct ark_buf *buf); /* len 0, keeps the allocation */
/* Make room for len + extra bytes (and the NUL); 0 or -1 (then failed). */
int ark_buf_reserve(struct ark_buf *buf, size_t extra);
void ark_buf_append(struct ark_buf *buf, const void *data, size_t len);
void ark_buf_append_str(struct ark_buf *buf, const char *text);
void ark_buf_append_char(struct ark_buf *buf, char c);
void ark_buf_appendf(struct ark_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ark_buf_vappendf(struct ark_buf *buf, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Cut back to len bytes (len <= buf->len). */
void ark_buf_truncate(struct ark_buf *buf, size_t len);
int ark_buf_failed(const struct ark_buf *buf);
/* Hand over the text: the caller frees it; buf is back to ARK_BUF_INIT.
 * NULL when an allocation failed (the buffer is freed then too). */
char *ark_buf_take(struct ark_buf *buf);

#endif
