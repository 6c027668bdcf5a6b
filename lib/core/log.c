/*
 * log.c - the logger: one line per message on stderr, "<program>: ...".
 *
 * Together with the signal stop flags in fsio.c this is the only
 * process-wide state in the library.
 */
#include "ark/log.h"
#include "ark/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_PROGRAM_MAX 128
#define LOG_LINE_MAX 4096

static char log_program_name[LOG_PROGRAM_MAX] = "ark";
static enum ark_log_level log_threshold = ARK_LOG_WARN;

void ark_log_set_program(const char *name)
{
	const char *slash;

	if (name == NULL || name[0] == '\0')
		name = "ark";
	/* argv[0] may be a path; the prefix is its last component. */
	slash = strrchr(name, '/');
	if (slash != NULL && slash[1] != '\0')
		name = slash + 1;
	snprintf(log_program_name, sizeof(log_program_name), "%s", name);
}

const char *ark_log_program(void)
{
	return log_program_name;
}

void ark_log_set_level(enum ark_log_level level)
{
	if (level < ARK_LOG_DEBUG)
		level = ARK_LOG_DEBUG;
	if (level > ARK_LOG_SILENT)
		level = ARK_LOG_SILENT;
	log_threshold = level;
}

enum ark_log_level ark_log_get_level(void)
{
	return log_threshold;
}

static const char *log_level_prefix(enum ark_log_level level)
{
	switch (level) {
	case ARK_LOG_DEBUG:
		return "debug: ";
	case ARK_LOG_WARN:
		return "warning: ";
	case ARK_LOG_ERROR:
		return "error: ";
	case ARK_LOG_INFO:
	case ARK_LOG_SILENT:
	default:
		return "";
	}
}

void ark_log(enum ark_log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	char body[LOG_LINE_MAX];
	va_list args;
	int saved_errno = errno;
	int prefix_len;
	int body_len;
	size_t len;

	if (level < log_threshold || level >= ARK_LOG_SILENT)
		return;

	prefix_len = snprintf(line, sizeof(line), "%s: %s", log_program_name,
			      log_level_prefix(level));
	if (prefix_len < 0 || (size_t)prefix_len >= sizeof(line) - 2)
		goto cleanup;

	va_start(args, fmt);
	body_len = vsnprintf(line + prefix_len,
			     sizeof(line) - (size_t)prefix_len - 1, fmt, args);
	va_end(args);
	if (body_len < 0)
		goto cleanup;
	/* A name in the message must not forge a line or a terminal
	 * escape: shown escaped, as error lines are (ark_text_escape). */
	snprintf(body, sizeof(body), "%s", line + prefix_len);
	ark_text_escape(body, line + prefix_len,
			  sizeof(line) - (size_t)prefix_len - 1);

	/*
	 * One write for the whole line so lines of concurrent processes
	 * sharing stderr do not interleave; an over-long message is cut.
	 */
	len = strlen(line);
	line[len] = '\n';
	fwrite(line, 1, len + 1, stderr);
	fflush(stderr);

cleanup:
	errno = saved_errno;
}
