/*
 * ark/error.h - the one catalogue of error codes and the error record.
 *
 * Library functions return 0 on success or a negative ARK_ERR_* code, and
 * fill a caller-supplied struct ark_error with a message a user can act on
 * (file, member, table, row, column).  The library never prints; a tool
 * reports the message once and exits with ark_error_exit_code().
 *
 * ARK_ERROR_CATALOGUE is the single list: the enum, the names, the exit
 * codes and the meanings all come from it, and a test checks that
 * docs/exit-codes.md and every tool's --help agree with it.
 */
#ifndef ARK_ERROR_H
#define ARK_ERROR_H

#include <stddef.h>

/*
 * X(NAME, value, exit code, short name, meaning)
 * Several codes may share an exit code; the first listed for an exit code
 * is the one docs/exit-codes.md names.
 */
#define ARK_ERROR_CATALOGUE(X)                                               \
	X(OK, 0, 0, "ok", "the job fully succeeded")                          \
	X(ERR_INTERNAL, -1, 1, "internal error",                              \
	  "a bug, or memory exhausted")                                       \
	X(ERR_USAGE, -2, 2, "usage", "bad option or argument")                \
	X(ERR_READ, -3, 3, "cannot read",                                     \
	  "an input cannot be read, or is not allowed to be read")            \
	X(ERR_CORRUPT, -4, 4, "corrupt",                                      \
	  "an archive is damaged, forged or unsafe")                          \
	X(ERR_WRITE, -5, 5, "cannot write", "the output cannot be written")   \
	X(ERR_SOURCE, -6, 6, "database error",                                \
	  "the source database cannot be used")                               \
	X(ERR_REFUSED, -7, 7, "refused",                                      \
	  "ark will not overwrite or replace without being asked")            \
	X(ERR_LOCKED, -8, 8, "locked",                                        \
	  "another ark process holds the lock for this job")                  \
	X(ERR_INTEGRITY, -9, 9, "integrity check failed",                     \
	  "the database fails SQLite's integrity check")                      \
	X(ERR_DAMAGED_RESTORED, -12, 10, "restored damaged",                  \
	  "restored as asked, but the database fails its integrity check")    \
	X(ERR_UNSUPPORTED, -10, 3, "unsupported",                             \
	  "newer archive format or unknown kind")                             \
	X(ERR_PG_CONNECT, -13, 11, "cannot connect",                          \
	  "the PostgreSQL server cannot be reached")                          \
	X(ERR_PG_AUTH, -14, 12, "authentication failed",                      \
	  "the PostgreSQL server refused the credentials")                    \
	X(ERR_PG_QUERY, -15, 13, "server error",                              \
	  "a PostgreSQL statement failed or the connection was lost")         \
	X(ERR_NOT_EMPTY, -16, 14, "target not empty",                         \
	  "the target already holds data and no option allows it")            \
	X(ERR_UNCONVERTIBLE, -17, 15, "values cannot be carried",             \
	  "values do not fit the planned types or constraints")               \
	X(ERR_MISMATCH, -18, 16, "verification failed",                       \
	  "the two sides do not hold the same rows")                          \
	X(ERR_REJECTED, -19, 17, "rows rejected",                             \
	  "done, but rows were set aside in the reject file")                 \
	X(ERR_OFFSITE, -20, 18, "offsite copy failed",                        \
	  "the local archive is good, but its offsite copy failed")           \
	X(ERR_INTERRUPTED, -11, 130, "interrupted",                           \
	  "stopped by SIGINT, SIGTERM or SIGHUP")

enum ark_error_code {
#define ARK_ERROR_ENUM_(name, value, exit_code, short_name, meaning) \
	ARK_##name = value,
	ARK_ERROR_CATALOGUE(ARK_ERROR_ENUM_)
#undef ARK_ERROR_ENUM_
};

#define ARK_ERROR_MSG_MAX 1024

struct ark_error {
	int code;      /* enum ark_error_code, ARK_OK when nothing failed */
	int sys_errno; /* errno at the failure, 0 when not a system error */
	char msg[ARK_ERROR_MSG_MAX];
};

/* One catalogue entry, for docs and tests that walk the list. */
struct ark_error_entry {
	int code;
	int exit_code;
	const char *name;    /* e.g. "ERR_CORRUPT" */
	const char *short_name; /* e.g. "corrupt" */
	const char *meaning;
};

/* The catalogue in order; *count receives its length. */
const struct ark_error_entry *ark_error_catalogue(size_t *count);

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

/*
 * Put "<prefix>: " in front of the message err already holds (the one way
 * to add context to an error on its way up).  Nothing when err holds no
 * error; the message is cut if it no longer fits.  err may be NULL.
 */
void ark_error_prefix(struct ark_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Process exit code for an error code (ARK_OK -> 0, unknown -> 1). */
int ark_error_exit_code(int code);

/* Short stable name of a code, e.g. "corrupt", "cannot read". */
const char *ark_error_code_name(int code);

#endif
