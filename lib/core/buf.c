/*
 * buf.c - the growable byte buffer (ark/buf.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/buf.h"

void ark_buf_init(struct ark_buf *buf)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->failed = 0;
}

void ark_buf_free(struct ark_buf *buf)
{
	if (buf == NULL)
		return;
	free(buf->data);
	ark_buf_init(buf);
}

void ark_buf_reset(struct ark_buf *buf)
{
	buf->len = 0;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

int ark_buf_reserve(struct ark_buf *buf, size_t extra)
{
	size_t need, cap;
	char *data;

	if (buf->failed)
		return -1;
	if (extra > SIZE_MAX - buf->len - 1)
		goto fail;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	data = realloc(buf->data, cap);
	if (data == NULL)
		goto fail;
	buf->data = data;
	buf->cap = cap;
	return 0;
fail:
	buf->failed = 1;
	return -1;
}

void ark_buf_append(struct ark_buf *buf, const void *data, size_t len)
{
	if (ark_buf_reserve(buf, len) != 0)
		return;
	if (len > 0)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
}

void ark_buf_append_str(struct ark_buf *buf, const char *text)
{
	ark_buf_append(buf, text, strlen(text));
}

void ark_buf_append_char(struct ark_buf *buf, char c)
{
	ark_buf_append(buf, &c, 1);
}

void ark_buf_vappendf(struct ark_buf *buf, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	if (ark_buf_reserve(buf, 64) != 0)
		return;
	va_copy(again, ap);
	n = vsnprintf(buf->data + buf->len, buf->cap - buf->len, fmt, ap);
	if (n < 0) {
		buf->failed = 1;
	} else if ((size_t)n >= buf->cap - buf->len) {
		if (ark_buf_reserve(buf, (size_t)n) == 0)
			vsnprintf(buf->data + buf->len, buf->cap - buf->len,
				  fmt, again);
	}
	if (n >= 0 && !buf->failed)
		buf->len += (size_t)n;
	else if (buf->data != NULL)
		buf->data[buf->len] = '\0';
	va_end(again);
}

void ark_buf_appendf(struct ark_buf *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ark_buf_vappendf(buf, fmt, ap);
	va_end(ap);
}

void ark_buf_truncate(struct ark_buf *buf, size_t len)
{
	if (len < buf->len) {
		buf->len = len;
		buf->data[len] = '\0';
	}
}

int ark_buf_failed(const struct ark_buf *buf)
{
	return buf->failed;
}

char *ark_buf_take(struct ark_buf *buf)
{
	char *text;

	if (buf->failed) {
		ark_buf_free(buf);
		return NULL;
	}
	if (buf->data == NULL && ark_buf_reserve(buf, 0) != 0) {
		ark_buf_free(buf);
		return NULL;
	}
	buf->data[buf->len] = '\0';
	text = buf->data;
	ark_buf_init(buf);
	return text;
}
