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

/* Options every tool has: --json, -q, -v, -h, -V. */
struct ark_cli_common {
	int json;  /* --json: one JSON object on stdout */
	int quiet; /* -q: nothing on stdout (unless --json), errors only */
};

#define ARK_CLI_COMMON_SHORTOPTS "qvhV"
#define ARK_CLI_COMMON_LONGOPTS                                  \
	{ "json", no_argument, NULL, 'J' },                      \
	{ "quiet", no_argument, NULL, 'q' },                     \
	{ "verbose", no_argument, NULL, 'v' },                   \
	{ "help", no_argument, NULL, 'h' },                      \
	{ "version", no_argument, NULL, 'V' }

#define ARK_CLI_CONTINUE (-1)

/*
 * Handle an option the tool's own switch did not: the common ones, or an
 * unknown one.  Returns ARK_CLI_CONTINUE when parsing goes on, else the
 * exit code main() returns at once (0 after --help/--version, 2 for a bad
 * option).  program names the tool; usage is its --help text.
 */
int ark_cli_common_option(int opt, const char *program, const char *usage,
			  struct ark_cli_common *common);

/* Whether to draw a progress line: not with --json or -q. */
int ark_cli_progress_wanted(const struct ark_cli_common *common);

#endif
