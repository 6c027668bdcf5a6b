/*
 * error.c - the error record and the catalogue behind it (ark/error.h).
 */
#include "ark/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct ark_error_entry catalogue[] = {
#define ARK_ERROR_ENTRY_(name, value, exit_code, short_name, meaning) \
	{ value, exit_code, #name, short_name, meaning },
	ARK_ERROR_CATALOGUE(ARK_ERROR_ENTRY_)
#undef ARK_ERROR_ENTRY_
};

#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

const struct ark_error_entry *ark_error_catalogue(size_t *count)
{
	if (count)
		*count = CATALOGUE_SIZE;
	return catalogue;
}

static const struct ark_error_entry *find_entry(int code)
{
	for (size_t i = 0; i < CATALOGUE_SIZE; i++)
		if (catalogue[i].code == code)
			return &catalogue[i];
	return NULL;
}

void ark_error_clear(struct ark_error *err)
{
	if (err == NULL)
		return;
	err->code = ARK_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

int ark_error_set(struct ark_error *err, int code, int sys_errno,
		  const char *fmt, ...)
{
	va_list args;
	int saved_errno = errno;
	int written;
	size_t used;

	/* Keep the first error: cleanup paths must not hide the cause. */
	if (err == NULL || err->code != ARK_OK)
		return code;

	err->code = code;
	err->sys_errno = sys_errno;

	va_start(args, fmt);
	written = vsnprintf(err->msg, sizeof(err->msg), fmt, args);
	va_end(args);
	if (written < 0)
		err->msg[0] = '\0';

	if (sys_errno != 0) {
		char buf[256];
		/* GNU strerror_r: returns a pointer, maybe not to buf. */
		const char *text = strerror_r(sys_errno, buf, sizeof(buf));

		used = strlen(err->msg);
		if (used + 1 < sizeof(err->msg))
			snprintf(err->msg + used, sizeof(err->msg) - used,
				 ": %s", text);
	}

	errno = saved_errno;
	return code;
}

void ark_error_prefix(struct ark_error *err, const char *fmt, ...)
{
	char prefix[ARK_ERROR_MSG_MAX];
	char old[ARK_ERROR_MSG_MAX];
	va_list args;
	int written;

	if (err == NULL || err->code == ARK_OK)
		return;
	va_start(args, fmt);
	written = vsnprintf(prefix, sizeof(prefix), fmt, args);
	va_end(args);
	if (written < 0)
		return;
	memcpy(old, err->msg, sizeof(old));
	/* Cut, never overflow: the message is a fixed-size record. */
	if ((size_t)written + 2 >= sizeof(err->msg))
		return;
	memcpy(err->msg, prefix, (size_t)written);
	memcpy(err->msg + written, ": ", 2);
	snprintf(err->msg + written + 2, sizeof(err->msg) - (size_t)written - 2,
		 "%.*s", (int)(sizeof(err->msg) - (size_t)written - 3), old);
}

int ark_error_exit_code(int code)
{
	const struct ark_error_entry *entry = find_entry(code);

	return entry ? entry->exit_code : 1;
}

const char *ark_error_code_name(int code)
{
	const struct ark_error_entry *entry = find_entry(code);

	return entry ? entry->short_name : "unknown error";
}
