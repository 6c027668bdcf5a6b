/*
 * error.c - the error record and the code -> exit code catalogue.
 */
#include "ark/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

int ark_error_exit_code(int code)
{
	switch (code) {
	case ARK_OK:
		return 0;
	case ARK_ERR_INTERNAL:
		return 1;
	case ARK_ERR_USAGE:
		return 2;
	case ARK_ERR_READ:
		return 3;
	case ARK_ERR_CORRUPT:
		return 4;
	case ARK_ERR_WRITE:
		return 5;
	case ARK_ERR_SOURCE:
		return 6;
	case ARK_ERR_REFUSED:
		return 7;
	case ARK_ERR_LOCKED:
		return 8;
	case ARK_ERR_INTEGRITY:
		return 9;
	case ARK_ERR_UNSUPPORTED:
		return 3;
	case ARK_ERR_INTERRUPTED:
		return 130;
	default:
		return 1;
	}
}

const char *ark_error_code_name(int code)
{
	switch (code) {
	case ARK_OK:
		return "ok";
	case ARK_ERR_INTERNAL:
		return "internal error";
	case ARK_ERR_USAGE:
		return "usage";
	case ARK_ERR_READ:
		return "cannot read";
	case ARK_ERR_CORRUPT:
		return "corrupt";
	case ARK_ERR_WRITE:
		return "cannot write";
	case ARK_ERR_SOURCE:
		return "database error";
	case ARK_ERR_REFUSED:
		return "refused";
	case ARK_ERR_LOCKED:
		return "locked";
	case ARK_ERR_INTEGRITY:
		return "integrity check failed";
	case ARK_ERR_UNSUPPORTED:
		return "unsupported";
	case ARK_ERR_INTERRUPTED:
		return "interrupted";
	default:
		return "unknown error";
	}
}
