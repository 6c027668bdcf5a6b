/*
 * text.c - see ark/text.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ark/text.h"

/*
 * Length of the valid UTF-8 sequence at p (1 to 4), or 0 when p starts a
 * byte that must be escaped: a control character, DEL, a C1 control
 * (U+0080..U+009F, which some terminals obey), or invalid UTF-8
 * (overlong, surrogate, beyond U+10FFFF, truncated).  p is
 * NUL-terminated, so a truncated sequence stops at the NUL.
 */
static size_t utf8_sequence(const unsigned char *p)
{
	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		if ((p[1] & 0xc0) != 0x80 || (p[0] == 0xc2 && p[1] < 0xa0))
			return 0;
		return 2;
	}
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80 || (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * The shown form of the next character of *text, into piece (at least 5
 * bytes, not NUL-terminated); advances *text and returns the length.
 */
static size_t escape_next(const unsigned char **text, char piece[8])
{
	const unsigned char *p = *text;
	size_t len = utf8_sequence(p);

	if (len > 0) {
		memcpy(piece, p, len);
		*text = p + len;
		return len;
	}
	*text = p + 1;
	switch (*p) {
	case '\n': memcpy(piece, "\\n", 2); return 2;
	case '\t': memcpy(piece, "\\t", 2); return 2;
	case '\r': memcpy(piece, "\\r", 2); return 2;
	default:
		snprintf(piece, 8, "\\x%02x", *p);
		return 4;
	}
}

const char *ark_text_escape(const char *text, char *out, size_t room)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t used = 0;
	char piece[8];

	if (room == 0)
		return out;
	while (*p) {
		size_t len = escape_next(&p, piece);

		if (used + len >= room)
			break;
		memcpy(out + used, piece, len);
		used += len;
	}
	out[used] = '\0';
	return out;
}

void ark_text_put_escaped(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	char piece[8];

	while (*p) {
		size_t len = escape_next(&p, piece);

		fwrite(piece, 1, len, out);
	}
}

json_t *ark_text_json_string(const char *text)
{
	json_t *value;
	size_t room;
	char *shown;

	if (text == NULL)
		return json_null();
	value = json_string(text);
	if (value)
		return value;
	/* Not UTF-8 (a Latin-1 file name, say): JSON cannot carry it. */
	room = strlen(text) * 4 + 1;
	shown = malloc(room);
	if (!shown)
		return NULL;
	value = json_string(ark_text_escape(text, shown, room));
	free(shown);
	return value;
}


int ark_text_columns(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += ((unsigned char)*text & 0xc0) != 0x80;
	return n;
}
