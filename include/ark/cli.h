/*
 * ark/cli.h - helpers shared by the tools' main(): strict number parsing,
 * --version text, and the one place an error is reported to the user.
 */
#ifndef ARK_CLI_H
#define ARK_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
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
 * Report err once on stderr ("<program>: error: <msg>", the message
 * escaped by ark_text_escape() so a name cannot forge a line) and
 * return the process exit code for it.
 */
int ark_cli_report(const struct ark_error *err);

/*
 * Flush and check stdout; a failed write (e.g. EPIPE, ENOSPC) becomes an
 * ARK_ERR_WRITE in err.  Tools call it before exiting 0.
 */
int ark_cli_close_stdout(struct ark_error *err);

/*
 * One exit status a tool can end with: an ARK_* code (its exit code and
 * short name come from the catalogue) and what it means for this tool
 * (NULL: the catalogue's meaning).
 */
struct ark_cli_exit {
	int code;
	const char *detail;
};

/* What --help prints, and which exit statuses the tool documents. */
struct ark_cli_tool {
	const char *program;
	const char *usage;      /* usage and options, before "Exit status:" */
	const struct ark_cli_exit *exits;
	size_t exit_count;
	const char *epilogue;   /* after the exit status list, e.g. "See ..." */
};

#define ARK_CLI_ARRAY_LEN(array) (sizeof(array) / sizeof((array)[0]))

/* Options every tool has: --json, -q, -v, -h, -V. */
struct ark_cli_common {
	const struct ark_cli_tool *tool;
	int json;  /* --json: one JSON object on stdout */
	int quiet; /* -q: nothing on stdout (unless --json), errors only */
	char bad_option[256]; /* what was wrong with the last bad option */
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
 * getopt_long() over shortopts (the tool's own; the common ones are
 * added) and longopts, with getopt's own messages off: an unknown option,
 * a missing or unexpected argument returns '?' and leaves the description
 * in common->bad_option for ark_cli_common_option() to report in the
 * "<program>: error: ..." form.  -1 at the end of the options.
 */
int ark_cli_getopt(struct ark_cli_common *common, int argc,
		   char *const argv[], const char *shortopts,
		   const struct option *longopts);

/*
 * Handle an option the tool's own switch did not: the common ones, or a
 * bad one.  Returns ARK_CLI_CONTINUE when parsing goes on, else the exit
 * code main() returns at once (0 after --help/--version, 2 for a bad
 * option, reported).
 */
int ark_cli_common_option(int opt, struct ark_cli_common *common);

/* The tool's --help: its usage, the "Exit status:" list, the epilogue. */
void ark_cli_print_help(FILE *out, const struct ark_cli_tool *tool);

/*
 * "Exit status:" and one line per entry, generated from the catalogue so
 * it cannot drift from it: "  <exit code>  <short name>: <detail>", the
 * code left-aligned in 4 columns.
 */
void ark_cli_print_exit_status(FILE *out, const struct ark_cli_exit *exits,
			       size_t count);

/*
 * A usage error: "<program>: error: <msg>" and a --help hint on stderr
 * and, when --json was already parsed, the JSON outcome object on stdout.
 * Returns the usage exit code (2).
 */
int ark_cli_usage_error(const struct ark_cli_common *common,
			const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * With --json, print the outcome of one job as one line on stdout:
 * ark_report_outcome(code, err, fields).  fields (consumed, may be NULL)
 * are the tool's own keys.  Nothing without --json.
 */
void ark_cli_emit(const struct ark_cli_common *common, int code,
		  const struct ark_error *err, json_t *fields);

/*
 * The one end of a tool's main(): with --json print the outcome object
 * (ark_cli_emit), check standard output (ark_cli_close_stdout), report
 * the error once on stderr and return the exit code.  code is the run's
 * ARK_* result; err holds its message.
 */
int ark_cli_finish(const struct ark_cli_common *common, int code,
		   struct ark_error *err, json_t *fields);

/* Whether to draw a progress line: not with --json or -q. */
int ark_cli_progress_wanted(const struct ark_cli_common *common);

#endif
