/*
 * cli.c - what every tool's main() shares: strict numbers, --version, the
 * one error report, and the final check of standard output.
 */
#include "ark/cli.h"
#include "ark/report.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
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
	char shown[ARK_ERROR_MSG_MAX * 4];

	if (err == NULL || err->code == ARK_OK)
		return 0;
	ark_text_escape(err->msg[0] != '\0' ? err->msg
					      : ark_error_code_name(err->code),
			  shown, sizeof(shown));
	/* Always shown, whatever the log level: it is the one report.  One
	 * write, so lines of processes sharing stderr do not interleave. */
	fprintf(stderr, "%s: error: %s\n", ark_log_program(), shown);
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

/* Whether the long option element (after "--", up to '=') names a prefix
 * of more than one long option: glibc reports that as unknown too. */
static int cli_ambiguous(const char *name, size_t len,
			 const struct option *longopts)
{
	int matches = 0;

	for (const struct option *o = longopts; o && o->name; o++) {
		if (strncmp(o->name, name, len) != 0)
			continue;
		if (strlen(o->name) == len)
			return 0; /* exact match */
		matches++;
	}
	return matches > 1;
}

/* The long option a "--name[=value]" element refers to, or NULL. */
static const struct option *cli_long_match(const char *name, size_t len,
					   const struct option *longopts)
{
	const struct option *found = NULL;

	for (const struct option *o = longopts; o && o->name; o++) {
		if (strncmp(o->name, name, len) != 0)
			continue;
		if (strlen(o->name) == len)
			return o;
		found = found ? NULL : o;
	}
	return found;
}

/*
 * Describe why getopt_long() returned '?' or ':' (opterr is 0).  The
 * element just parsed is argv[optind - 1], except for an unknown short
 * option inside a group ("-Zc"), where optind has not moved on: then
 * optopt is that letter and no long option's val matches it.
 */
static void cli_describe_bad_option(struct ark_cli_common *common, int opt,
				    char *const argv[],
				    const struct option *longopts)
{
	const char *element = optind > 0 ? argv[optind - 1] : "";
	char *out = common->bad_option;
	size_t room = sizeof(common->bad_option);

	if (strncmp(element, "--", 2) == 0 && element[2] != '\0') {
		const char *name = element + 2;
		size_t len = strcspn(name, "=");
		const struct option *match = cli_long_match(name, len,
							    longopts);

		if (opt == ':' && match) {
			snprintf(out, room, "option '--%s' needs an argument",
				 match->name);
			return;
		}
		if (opt == ':') {
			snprintf(out, room, "option '--%.*s' needs an argument",
				 (int)len, name);
			return;
		}
		if (optopt == 0) {
			snprintf(out, room, cli_ambiguous(name, len, longopts)
						    ? "option '--%.*s' is ambiguous"
						    : "unknown option '--%.*s'",
				 (int)len, name);
			return;
		}
		if (match && match->val == optopt && name[len] == '=') {
			snprintf(out, room, "option '--%s' takes no argument",
				 match->name);
			return;
		}
	}
	if (opt == ':')
		snprintf(out, room, "option '-%c' needs an argument", optopt);
	else
		snprintf(out, room, "unknown option '-%c'", optopt);
}

int ark_cli_getopt(struct ark_cli_common *common, int argc,
		   char *const argv[], const char *shortopts,
		   const struct option *longopts)
{
	char all[128];
	int opt;

	/* ':' first: a missing argument is ':' rather than '?'. */
	snprintf(all, sizeof(all), ":%s%s", shortopts ? shortopts : "",
		 ARK_CLI_COMMON_SHORTOPTS);
	opterr = 0;
	opt = getopt_long(argc, argv, all, longopts, NULL);
	if (opt == '?' || opt == ':') {
		cli_describe_bad_option(common, opt, argv, longopts);
		return '?';
	}
	return opt;
}

/* After --help or --version: 0, or 5 when stdout could not take it. */
static int ark_cli_stdout_done(void)
{
	struct ark_error err = { 0 };

	if (ark_cli_close_stdout(&err) == 0)
		return 0;
	return ark_cli_report(&err);
}

int ark_cli_common_option(int opt, struct ark_cli_common *common)
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
		ark_cli_print_help(stdout, common->tool);
		return ark_cli_stdout_done();
	case 'V':
		ark_cli_print_version(stdout, common->tool
						      ? common->tool->program
						      : NULL);
		return ark_cli_stdout_done();
	default:
		return ark_cli_usage_error(common, "%s",
					   common->bad_option[0]
						   ? common->bad_option
						   : "unknown option");
	}
}

void ark_cli_print_exit_status(FILE *out, const struct ark_cli_exit *exits,
			       size_t count)
{
	size_t entries;
	const struct ark_error_entry *catalogue = ark_error_catalogue(&entries);

	fputs("Exit status:\n", out);
	for (size_t i = 0; i < count; i++) {
		const struct ark_error_entry *entry = NULL;

		for (size_t j = 0; j < entries && !entry; j++)
			if (catalogue[j].code == exits[i].code)
				entry = &catalogue[j];
		if (!entry)
			continue; /* not in the catalogue: not documented */
		fprintf(out, "  %-4d %s: %s\n", entry->exit_code,
			entry->short_name,
			exits[i].detail ? exits[i].detail : entry->meaning);
	}
}

void ark_cli_print_help(FILE *out, const struct ark_cli_tool *tool)
{
	if (!tool)
		return;
	fputs(tool->usage, out);
	fputc('\n', out);
	ark_cli_print_exit_status(out, tool->exits, tool->exit_count);
	if (tool->epilogue) {
		fputc('\n', out);
		fputs(tool->epilogue, out);
	}
}

int ark_cli_usage_error(const struct ark_cli_common *common,
			const char *fmt, ...)
{
	struct ark_error err = { 0 };
	char msg[ARK_ERROR_MSG_MAX];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	ark_error_set(&err, ARK_ERR_USAGE, 0, "%s", msg);
	if (common && common->json) {
		ark_cli_emit(common, ARK_ERR_USAGE, &err, NULL);
		fflush(stdout);
	}
	return ark_report_usage_error(msg);
}

void ark_cli_emit(const struct ark_cli_common *common, int code,
		  const struct ark_error *err, json_t *fields)
{
	json_t *obj;

	if (!common || !common->json) {
		json_decref(fields);
		return;
	}
	obj = ark_report_outcome(code, err, fields);
	if (obj)
		ark_report_json(stdout, obj);
	json_decref(obj);
}

int ark_cli_finish(const struct ark_cli_common *common, int code,
		   struct ark_error *err, json_t *fields)
{
	struct ark_error ignored = { 0 };

	if (code != ARK_OK && err->code == ARK_OK)
		ark_error_set(err, code, 0, "%s", ark_error_code_name(code));
	ark_cli_emit(common, code, err, fields);
	/* A failed write of the report is the error only when nothing else
	 * failed first. */
	ark_cli_close_stdout(err->code == ARK_OK ? err : &ignored);
	return ark_cli_report(err);
}

int ark_cli_progress_wanted(const struct ark_cli_common *common)
{
	return !common->json && !common->quiet;
}
