/*
 * ark/cli.h - helpers shared by the tools' main(): strict number parsing,
 * --version text, and the one place an error is reported to the user.
 */
#ifndef ARK_CLI_H
#define ARK_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "ark/error.h"

#define ARK_VERSION "0.1.0"

/*
 * Parse a whole decimal number in [min, max]; with allow_suffix, a K/M/G/T
 * suffix (powers of 1024, optional "iB"/"B") multiplies it.  Rejects
 * signs, spaces, empty strings and overflow.  0 or -1.
 */
int ark_cli_parse_u64(const char *text, uint64_t min, uint64_t max,
		      int allow_suffix, uint64_t *out);
int ark_cli_parse_int(const char *text, int min, int max, int *out);

/* "<program> (ark) 0.1.0" plus library versions, to out. */
void ark_cli_print_version(FILE *out, const char *program);

/*
 * Report err once on stderr ("<program>: error: <msg>") and return the
 * process exit code for it.
 */
int ark_cli_report(const struct ark_error *err);

/*
 * Flush and check stdout; a failed write (e.g. EPIPE, ENOSPC) becomes an
 * ARK_ERR_WRITE in err.  Tools call it before exiting 0.
 */
int ark_cli_close_stdout(struct ark_error *err);

#endif
