/*
 * ark/log.h - the logger: the only process-wide state besides stop flags.
 *
 * Messages go to stderr, prefixed with the program name, when their level is
 * at or above the threshold.  Callers never pass secrets (passwords,
 * connection strings with passwords) to the logger.
 */
#ifndef ARK_LOG_H
#define ARK_LOG_H

enum ark_log_level {
	ARK_LOG_DEBUG = 0,
	ARK_LOG_INFO = 1,
	ARK_LOG_WARN = 2,
	ARK_LOG_ERROR = 3,
	ARK_LOG_SILENT = 4,
};

/* Program name used as the prefix ("ark-snapshot: ..."). */
void ark_log_set_program(const char *name);
/* The program name set above ("ark" until set); never NULL. */
const char *ark_log_program(void);
/* Messages below level are dropped.  Default ARK_LOG_WARN. */
void ark_log_set_level(enum ark_log_level level);
enum ark_log_level ark_log_get_level(void);
/* printf-style message at level, to stderr, one line. */
void ark_log(enum ark_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
