/*
 * proc.c - another program, run without a shell (ark/proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ark/fsio.h"
#include "ark/proc.h"
#include "ark/text.h"

extern char **environ;

static int is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

int ark_proc_find(const char *name, char *path, size_t room)
{
	const char *dirs = getenv("PATH"), *p;
	int denied = 0;

	if (!*name) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(name, '/')) {
		if (strlen(name) >= room) {
			errno = ENAMETOOLONG;
			return -1;
		}
		strcpy(path, name);
		if (is_executable_file(path))
			return 0;
		if (access(path, F_OK) == 0)
			errno = EACCES;
		return -1;
	}
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs;; p++) {
		const char *end = strchrnul(p, ':');
		int dir_len = (int)(end - p);
		int len = dir_len ? snprintf(path, room, "%.*s/%s", dir_len, p,
					     name)
				  : snprintf(path, room, "%s", name);

		if (len > 0 && (size_t)len < room) {
			if (is_executable_file(path))
				return 0;
			if (access(path, F_OK) == 0)
				denied = 1;
		}
		if (!*end)
			break;
		p = end;
	}
	errno = denied ? EACCES : ENOENT;
	return -1;
}

void ark_proc_output_free(struct ark_proc_output *output)
{
	ark_buf_free(&output->out);
	ark_buf_free(&output->errtext);
	output->out_over = 0;
	output->started = 0;
	output->status = 0;
}

static int spawn(const char *path, const char *const *argv,
		 const char *const *envp, pid_t *pid, int *out_fd,
		 int *err_fd, struct ark_error *err)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int rc;

	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, errno,
				   "cannot create a pipe");
		goto fail;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY,
					 0);
	posix_spawn_file_actions_adddup2(&actions, out[1], 1);
	posix_spawn_file_actions_adddup2(&actions, errp[1], 2);
	posix_spawnattr_init(&attr);
	/* ark ignores SIGPIPE and may block the stop signals: the child
	 * starts with neither */
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	/* its own process group: a stop ends what it started too */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETPGROUP);
	/* posix_spawn takes char *const[]: the strings are not written to */
	rc = posix_spawn(pid, path, &actions, &attr,
			 (char *const *)(uintptr_t)argv,
			 envp ? (char *const *)(uintptr_t)envp : environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	if (rc != 0) {
		char shown[512];

		rc = ark_error_set(err, ARK_ERR_INTERNAL, rc,
				   "cannot run '%s'",
				   ark_text_escape(path, shown, sizeof(shown)));
		goto fail;
	}
	*out_fd = out[0];
	*err_fd = errp[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return rc;
}

static int exit_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return exit_status(status);
}

/*
 * Stop the program and what it started (its process group): SIGTERM,
 * up to STOP_WAIT_MS for it to go, then SIGKILL to whatever of the group
 * is left (within the stop watchdog's second, ark/fsio.h).  Its status,
 * reaped.
 */
#define STOP_WAIT_MS 500
static int stop_group(pid_t pid)
{
	int status = 0;

	kill(-pid, SIGTERM);
	for (int waited = 0; waited < STOP_WAIT_MS; waited += 20) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid) {
			kill(-pid, SIGKILL); /* what it left behind */
			return exit_status(status);
		}
		if (got < 0 && errno != EINTR)
			return -1;
		poll(NULL, 0, 20);
	}
	kill(-pid, SIGKILL);
	return reap(pid);
}

int ark_proc_run(const char *path, const char *const *argv, size_t out_max,
		 const struct ark_proc_options *options,
		 struct ark_proc_output *output, struct ark_error *err)
{
	static const struct ark_proc_options defaults = { 0 };
	char chunk[65536];
	int fds_open[2] = { -1, -1 };
	pid_t pid = -1;
	int rc, status = -1, exited = 0, stopped = 0, after_exit = 0;

	if (!options)
		options = &defaults;
	ark_buf_reset(&output->out);
	ark_buf_reset(&output->errtext);
	output->out_over = 0;
	output->started = 0;
	output->status = -1;
	/* a stop signal already arrived: start nothing more */
	if ((rc = ark_fsio_check_interrupt(err)))
		return rc;
	if ((rc = spawn(path, argv, options->envp, &pid, &fds_open[0],
			&fds_open[1], err)))
		return rc;
	output->started = 1;
	while (fds_open[0] >= 0 || fds_open[1] >= 0) {
		struct pollfd fds[2] = { { fds_open[0], POLLIN, 0 },
					 { fds_open[1], POLLIN, 0 } };
		int n = poll(fds, 2, exited ? 0 : 200);

		if (ark_fsio_interrupted()) {
			stopped = 1;
			rc = ark_fsio_check_interrupt(err);
			goto done;
		}
		if (n < 0 && errno != EINTR) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, errno,
					   "poll");
			stopped = 1;
			goto done;
		}
		/*
		 * It exited, but something it started in the background may
		 * hold its output open (ssh's ControlPersist...): what is
		 * already written is read (n > 0), then no more is waited
		 * for.
		 */
		if (exited && (n <= 0 || ++after_exit > 64))
			break;
		if (!exited) {
			int st;
			pid_t got = waitpid(pid, &st, WNOHANG);

			if (got == pid) {
				exited = 1;
				status = exit_status(st);
			}
		}
		for (int i = 0; i < 2 && n > 0; i++) {
			struct ark_buf *into = i == 0 ? &output->out
						      : &output->errtext;
			size_t limit = i == 0 ? out_max : ARK_PROC_STDERR_KEEP;
			ssize_t got;

			if (fds[i].fd < 0 ||
			    !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				close(fds_open[i]);
				fds_open[i] = -1;
				continue;
			}
			if (into->len + (size_t)got > limit) {
				if (i == 0)
					output->out_over = 1;
				got = (ssize_t)(limit - into->len);
			}
			ark_buf_append(into, chunk, (size_t)got);
			if (i == 0 && output->out_over &&
			    options->stop_when_over) {
				/* nothing it writes now is of use: stop it,
				 * the rest of its stderr unread */
				stopped = 1;
				rc = 0;
				goto done;
			}
		}
	}
	rc = 0;
done:
	/* the stop first: closing its pipes first would end it by SIGPIPE */
	if (stopped && !exited)
		kill(-pid, SIGTERM);
	for (int i = 0; i < 2; i++)
		if (fds_open[i] >= 0)
			close(fds_open[i]);
	if (exited)
		output->status = status;
	else if (stopped)
		output->status = stop_group(pid);
	else
		output->status = reap(pid);
	ark_buf_append_char(&output->out, '\0');
	ark_buf_append_char(&output->errtext, '\0');
	if (ark_buf_failed(&output->out) || ark_buf_failed(&output->errtext))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "out of memory");
	output->out.len--;
	output->errtext.len--;
	return rc;
}

/* rclone's "2026/11/30 15:19:35 " in front of each log line. */
static size_t stamp_length(const char *line, size_t len)
{
	static const char shape[] = "dddd/dd/dd dd:dd:dd ";
	size_t n = sizeof(shape) - 1;

	if (len < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? line[i] < '0' || line[i] > '9'
				    : line[i] != shape[i])
			return 0;
	return n;
}

static int is_chatter(const char *line, size_t len)
{
	static const char *const levels[] = { "NOTICE:", "INFO  :", "DEBUG :" };

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (len >= strlen(levels[i]) &&
		    memcmp(line, levels[i], strlen(levels[i])) == 0)
			return 1;
	return 0;
}

void ark_proc_first_error_line(const char *errtext, char *out, size_t room)
{
	const char *first = NULL, *chosen = NULL, *p = errtext;
	size_t first_len = 0, chosen_len = 0;
	char line[1024];

	out[0] = '\0';
	while (*p && !chosen) {
		const char *end = strchrnul(p, '\n');
		size_t len = (size_t)(end - p), skip;

		if (len && p[len - 1] == '\r')
			len--;
		skip = stamp_length(p, len);
		p += skip;
		len -= skip;
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len) {
			if (!first) {
				first = p;
				first_len = len;
			}
			if (!is_chatter(p, len)) {
				chosen = p;
				chosen_len = len;
			}
		}
		p = *end ? end + 1 : end;
	}
	if (!chosen) {
		chosen = first;
		chosen_len = first_len;
	}
	if (!chosen)
		return;
	if (chosen_len >= sizeof(line))
		chosen_len = sizeof(line) - 1;
	memcpy(line, chosen, chosen_len);
	line[chosen_len] = '\0';
	ark_text_escape(line, out, room);
}
