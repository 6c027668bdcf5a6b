/*
 * tar.c - pax/ustar header blocks, written byte for byte the same way
 * every time so that readers can regenerate and compare them.
 */
#include <stdio.h>
#include <string.h>

#include "core/tar_internal.h"

static void put_octal(uint8_t *field, size_t width, uint64_t value)
{
	/* width-1 octal digits, zero padded, then NUL. */
	char text[32];

	snprintf(text, sizeof(text), "%0*llo", (int)(width - 1),
		 (unsigned long long)value);
	memcpy(field, text, width - 1);
	field[width - 1] = '\0';
}

static void ustar_block(uint8_t *block, const char *name, char typeflag,
			uint64_t size, int64_t mtime)
{
	size_t name_len = strlen(name);
	unsigned int checksum = 0;
	char text[16];

	memset(block, 0, ARK_TAR_BLOCK);
	memcpy(block, name, name_len > 100 ? 100 : name_len);
	put_octal(block + 100, 8, 0600);	/* mode */
	put_octal(block + 108, 8, 0);		/* uid */
	put_octal(block + 116, 8, 0);		/* gid */
	/* 11 octal digits hold sizes below 8 GiB; pax "size" rules anyway. */
	put_octal(block + 124, 12, size <= 077777777777ull ? size : 0);
	put_octal(block + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
	memset(block + 148, ' ', 8);		/* checksum placeholder */
	block[156] = (uint8_t)typeflag;
	memcpy(block + 257, "ustar", 6);	/* magic with its NUL */
	memcpy(block + 263, "00", 2);		/* version */
	put_octal(block + 329, 8, 0);		/* devmajor */
	put_octal(block + 337, 8, 0);		/* devminor */
	for (size_t i = 0; i < ARK_TAR_BLOCK; i++)
		checksum += block[i];
	snprintf(text, sizeof(text), "%06o", checksum);
	memcpy(block + 148, text, 6);
	block[154] = '\0';
	block[155] = ' ';
}

/* Append one "<len> key=value\n" record; len counts itself. */
static size_t pax_record(char *out, size_t room, const char *key,
			 const char *value)
{
	size_t body = 1 + strlen(key) + 1 + strlen(value) + 1;
	size_t total = body + 1;
	size_t digits = 1;

	/* The length includes its own digits: grow until it is stable. */
	for (;;) {
		size_t candidate = body + digits;
		size_t need = 1;

		for (size_t v = candidate; v >= 10; v /= 10)
			need++;
		if (need == digits) {
			total = candidate;
			break;
		}
		digits = need;
	}
	if (total >= room)
		return 0;
	snprintf(out, room, "%zu %s=%s\n", total, key, value);
	return total;
}

int ark_tar_member_header(uint8_t *out, const char *path, uint64_t size,
			  int64_t mtime)
{
	char records[ARK_TAR_BLOCK + 1];
	char size_text[32];
	char pax_name[101];
	const char *base = strrchr(path, '/');
	size_t used;
	size_t more;

	snprintf(size_text, sizeof(size_text), "%020llu",
		 (unsigned long long)size);
	used = pax_record(records, sizeof(records), "path", path);
	if (used == 0)
		return -1;
	more = pax_record(records + used, sizeof(records) - used, "size",
			  size_text);
	if (more == 0)
		return -1;
	used += more;

	snprintf(pax_name, sizeof(pax_name), "PaxHeader/%s",
		 base ? base + 1 : path);
	ustar_block(out, pax_name, 'x', used, mtime);
	memset(out + ARK_TAR_BLOCK, 0, ARK_TAR_BLOCK);
	memcpy(out + ARK_TAR_BLOCK, records, used);
	ustar_block(out + 2 * ARK_TAR_BLOCK, path, '0', size, mtime);
	return 0;
}

uint64_t ark_tar_padding(uint64_t size)
{
	return (ARK_TAR_BLOCK - size % ARK_TAR_BLOCK) % ARK_TAR_BLOCK;
}
