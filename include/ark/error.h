/*
 * ark/error.h - the one catalogue of error codes and the error record.
 *
 * Library functions return 0 on success or a negative ARK_ERR_* code, and
 * fill a caller-supplied struct ark_error with a message a user can act on
 * (file, member, table, row, column).  The library never prints; a tool
 * reports the message once and exits with ark_error_exit_code().
 * The exit codes are documented in docs/exit-codes.md.
 */
#ifndef ARK_ERROR_H
#define ARK_ERROR_H

#include <stddef.h>

enum ark_error_code {
	ARK_OK = 0,
	ARK_ERR_INTERNAL = -1,     /* bug or resource exhaustion   -> exit 1 */
	ARK_ERR_USAGE = -2,        /* bad option or argument       -> exit 2 */
	ARK_ERR_READ = -3,         /* input cannot be read         -> exit 3 */
	ARK_ERR_CORRUPT = -4,      /* archive corrupt or unsafe    -> exit 4 */
	ARK_ERR_WRITE = -5,        /* output cannot be written     -> exit 5 */
	ARK_ERR_SOURCE = -6,       /* database error, busy         -> exit 6 */
	ARK_ERR_REFUSED = -7,      /* target exists or is in use   -> exit 7 */
	ARK_ERR_LOCKED = -8,       /* lock held by another process -> exit 8 */
	ARK_ERR_INTEGRITY = -9,    /* database fails integrity     -> exit 9 */
	ARK_ERR_UNSUPPORTED = -10, /* newer format or unknown kind -> exit 3 */
	ARK_ERR_INTERRUPTED = -11, /* SIGINT/SIGTERM               -> exit 130 */
};

#define ARK_ERROR_MSG_MAX 1024

struct ark_error {
	int code;      /* enum ark_error_code, ARK_OK when nothing failed */
	int sys_errno; /* errno at the failure, 0 when not a system error */
	char msg[ARK_ERROR_MSG_MAX];
};

/* Reset err to "no error".  err may be NULL. */
void ark_error_clear(struct ark_error *err);

/*
 * Record a failure: code, errno (0 for none) and a printf-style message.
 * When sys_errno is non-zero, ": strerror(sys_errno)" is appended.  Keeps
 * the first error: a call on an err that already holds one does nothing,
 * so cleanup paths cannot overwrite the cause (an err must therefore start
 * cleared: `= {0}` or ark_error_clear()).  Returns code, so callers
 * can write `return ark_error_set(err, ARK_ERR_READ, errno, "...")`.
 * err may be NULL.
 */
int ark_error_set(struct ark_error *err, int code, int sys_errno,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Process exit code for an error code (ARK_OK -> 0). */
int ark_error_exit_code(int code);

/* Short stable name of a code, e.g. "corrupt", "cannot read". */
const char *ark_error_code_name(int code);

#endif
