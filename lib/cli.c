/*
 * cli.c - what every tool's main() shares: strict numbers, --version, the
 * one error report, and the final check of standard output.
 */
#include "ark/cli.h"
#include "ark/report.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <sqlite3.h>
#include <xxhash.h>
#include <zstd.h>

#include "ark/log.h"

static int cli_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Binary shift of a size suffix letter, -1 when c is not one. */
static int cli_suffix_shift(char c)
{
	switch (c) {
	case 'K':
	case 'k':
		return 10;
	case 'M':
	case 'm':
		return 20;
	case 'G':
	case 'g':
		return 30;
	case 'T':
	case 't':
		return 40;
	default:
		return -1;
	}
}

int ark_cli_parse_u64(const char *text, uint64_t min, uint64_t max,
		      int allow_suffix, uint64_t *out)
{
	const char *next = text;
	uint64_t value = 0;
	int shift;

	/* Digits first: no sign, no space, not empty (strtoull allows all). */
	if (text == NULL || !cli_is_digit(*next))
		return -1;
	while (cli_is_digit(*next)) {
		unsigned digit = (unsigned)(*next - '0');

		if (value > (UINT64_MAX - digit) / 10)
			return -1;
		value = value * 10 + digit;
		next++;
	}

	if (*next != '\0') {
		if (!allow_suffix)
			return -1;
		shift = cli_suffix_shift(*next);
		if (shift < 0)
			return -1;
		next++;
		/* "4K", "4KB" and "4KiB" all mean 4096. */
		if (next[0] == 'i' && next[1] == 'B')
			next += 2;
		else if (next[0] == 'B')
			next++;
		if (*next != '\0')
			return -1;
		if (value > (UINT64_MAX >> shift))
			return -1;
		value <<= shift;
	}

	if (value < min || value > max)
		return -1;
	*out = value;
	return 0;
}

int ark_cli_parse_int(const char *text, int min, int max, int *out)
{
	const char *next = text;
	long long value = 0;
	int negative = 0;

	if (text == NULL)
		return -1;
	if (*next == '-') {
		negative = 1;
		next++;
	}
	if (!cli_is_digit(*next))
		return -1;
	while (cli_is_digit(*next)) {
		value = value * 10 + (*next - '0');
		/* Stop long before long long could overflow. */
		if (value > (long long)INT_MAX + 1)
			return -1;
		next++;
	}
	if (*next != '\0')
		return -1;
	if (negative)
		value = -value;
	if (value < min || value > max)
		return -1;
	*out = (int)value;
	return 0;
}

void ark_cli_print_version(FILE *out, const char *program)
{
	unsigned xxhash_version = XXH_versionNumber();
	const char *archive_version = archive_version_details();

	if (program == NULL)
		program = ark_log_program();
	if (archive_version == NULL)
		archive_version = archive_version_string();

	fprintf(out, "%s (ark) %s\n", program, ARK_VERSION);
	fprintf(out, "sqlite %s\n", sqlite3_libversion());
	fprintf(out, "zstd %s\n", ZSTD_versionString());
	/* archive_version_details() already starts with "libarchive ". */
	if (strncmp(archive_version, "libarchive ", 11) == 0)
		fprintf(out, "%s\n", archive_version);
	else
		fprintf(out, "libarchive %s\n", archive_version);
	fprintf(out, "xxhash %u.%u.%u\n", xxhash_version / 10000,
		xxhash_version / 100 % 100, xxhash_version % 100);
}

int ark_cli_report(const struct ark_error *err)
{
	if (err == NULL || err->code == ARK_OK)
		return 0;
	/* Always shown, whatever the log level: it is the one report. */
	fprintf(stderr, "%s: error: %s\n", ark_log_program(),
		err->msg[0] != '\0' ? err->msg
				    : ark_error_code_name(err->code));
	return ark_error_exit_code(err->code);
}

int ark_cli_close_stdout(struct ark_error *err)
{
	int failed = 0;
	int write_errno = 0;

	if (fflush(stdout) != 0) {
		failed = 1;
		write_errno = errno;
	} else if (ferror(stdout)) {
		/* An earlier write failed; its errno is long gone. */
		failed = 1;
	}
	/*
	 * Everything is flushed now, so EBADF here only means stdout was
	 * closed from the start and nothing was written to it: not an error.
	 */
	if (fclose(stdout) != 0 && !failed && errno != EBADF) {
		failed = 1;
		write_errno = errno;
	}
	if (!failed)
		return 0;
	if (write_errno != 0)
		return ark_error_set(err, ARK_ERR_WRITE, write_errno,
				     "cannot write standard output");
	return ark_error_set(err, ARK_ERR_WRITE, 0,
			     "cannot write standard output: write error");
}

int ark_cli_common_option(int opt, const char *program, const char *usage,
			  struct ark_cli_common *common)
{
	switch (opt) {
	case 'J':
		common->json = 1;
		return ARK_CLI_CONTINUE;
	case 'q':
		common->quiet = 1;
		ark_log_set_level(ARK_LOG_ERROR);
		return ARK_CLI_CONTINUE;
	case 'v':
		ark_log_set_level(ARK_LOG_DEBUG);
		return ARK_CLI_CONTINUE;
	case 'h':
		fputs(usage, stdout);
		return 0;
	case 'V':
		ark_cli_print_version(stdout, program);
		return 0;
	default:
		/* getopt_long has said what was wrong. */
		return ark_report_usage_error(NULL);
	}
}

int ark_cli_progress_wanted(const struct ark_cli_common *common)
{
	return !common->json && !common->quiet;
}
