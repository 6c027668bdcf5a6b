/*
 * ark/proc.h - another program, run without a shell: ark-pg-backup's
 * offsite copy (rclone or a command, ark/offsite.h) and its pg_dump
 * (pg/pgdump_internal.h).
 *
 * The program gets argv as given (no shell: no word splitting, globbing
 * or $(...) on anything), the caller's environment or one given,
 * standard input from /dev/null (it never waits for a person: cron), the
 * stop signals and SIGPIPE at their defaults and unblocked.  Its standard
 * output is kept up to a limit (past it: read and dropped, or the program
 * stopped), the start of its standard error for the message.  It runs
 * in a process group of its own: a stop signal (ark_fsio_interrupted())
 * sends the group SIGTERM, SIGKILL to what is left half a second later,
 * and ends the run with ARK_ERR_INTERRUPTED (a stop that came before
 * starts nothing).  Once it exited, what it started in the background is
 * left alone and not waited for, even when it holds the output open.
 */
#ifndef ARK_PROC_H
#define ARK_PROC_H

#include <stddef.h>

#include "ark/buf.h"
#include "ark/error.h"

/* How much of the program's standard error is kept. */
#define ARK_PROC_STDERR_KEEP 8192

/* How to run it (NULL: the defaults, all zero). */
struct ark_proc_options {
	/* the program's environment, NULL-terminated; NULL: the caller's */
	const char *const *envp;
	/* output past out_max is of no use (the caller needs all of it):
	 * the program gets SIGTERM there, instead of its running on with the
	 * rest read and dropped */
	int stop_when_over;
};

struct ark_proc_output {
	struct ark_buf out;     /* standard output, NUL-terminated, at most
				   the run's out_max bytes */
	int out_over;           /* it wrote more (the rest was read and
				   dropped, or it was stopped there) */
	struct ark_buf errtext; /* the start of standard error, NUL-terminated */
	int started;            /* 1 once the program was started */
	int status;             /* exit status; 128 + N when killed by
				   signal N; -1 when not started */
};

/*
 * The program to run for name: name itself when it holds a '/', else the
 * first executable regular file "DIR/name" of PATH (empty entries are
 * the current directory; no PATH: /usr/local/bin:/usr/bin:/bin).  0, or
 * -1 with errno (ENOENT: not found, ENAMETOOLONG, EACCES...).
 */
int ark_proc_find(const char *name, char *path, size_t room);

/*
 * Run path with argv (argv[0] its name, NULL-terminated) as options say
 * (NULL: the defaults) and wait for it.  0 when it ran, whatever its exit
 * status (output->status; check output->out_over first: a program
 * stopped there has the status of SIGTERM); it could not be started
 * (output->started 0): ARK_ERR_INTERNAL with errno ("cannot run
 * 'PATH'"); a stop signal: ARK_ERR_INTERRUPTED.  output must start
 * zeroed (or from ark_proc_output_free()).
 */
int ark_proc_run(const char *path, const char *const *argv, size_t out_max,
		 const struct ark_proc_options *options,
		 struct ark_proc_output *output, struct ark_error *err);
void ark_proc_output_free(struct ark_proc_output *output);

/*
 * The line of a program's standard error worth showing, into out (room
 * bytes, escaped as ark_text_escape() does): the first non-empty line
 * that is not rclone's NOTICE, INFO or DEBUG chatter, else the first
 * non-empty line; rclone's "YYYY/MM/DD HH:MM:SS " prefix removed.  ""
 * when there is none.
 */
void ark_proc_first_error_line(const char *errtext, char *out, size_t room);

#endif
