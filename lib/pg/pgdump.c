/*
 * pgdump.c - find and run pg_dump (pg/pgdump_internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/pg.h"
#include "ark/text.h"
#include "pg/pgdump_internal.h"
#include "pg/pq_internal.h"

extern char **environ;

/* exec takes char *const[]: the strings are not written to */
#define ARG(text) ((char *)(uintptr_t)(text))

/* What pg_dump prints on stderr that ark keeps for its message. */
#define STDERR_KEEP 4096

struct child {
	pid_t pid;
	int out_fd;
	int err_fd;
};

static int spawn(const char *path, char *const argv[], char *const envp[],
		 struct child *child, struct ark_error *err)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int rc;

	child->pid = -1;
	child->out_fd = child->err_fd = -1;
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, errno,
				   "cannot create a pipe for %s", path);
		goto fail;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY,
					 0);
	posix_spawn_file_actions_adddup2(&actions, out[1], 1);
	posix_spawn_file_actions_adddup2(&actions, errp[1], 2);
	posix_spawnattr_init(&attr);
	/* workers block the stop signals and ark ignores SIGPIPE: the child
	 * starts with neither */
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
					       POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&child->pid, path, &actions, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	if (rc != 0) {
		child->pid = -1;
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, rc,
				   "cannot run %s", path);
		goto fail;
	}
	child->out_fd = out[0];
	child->err_fd = errp[0];
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

/* Wait for the child; its exit status (128 + signal when killed). */
static int reap(struct child *child)
{
	int status = 0;

	if (child->out_fd >= 0)
		close(child->out_fd);
	if (child->err_fd >= 0)
		close(child->err_fd);
	child->out_fd = child->err_fd = -1;
	if (child->pid <= 0)
		return -1;
	while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR)
		;
	child->pid = -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/*
 * Read the child's stdout into out (up to max: *over set, the child
 * killed) and the first STDERR_KEEP bytes of its stderr into errtext;
 * a stop signal kills it.
 */
static int drain(struct child *child, struct ark_buf *out, size_t max,
		 int *over, struct ark_buf *errtext, struct ark_error *err)
{
	char chunk[65536];
	int open_fds = 2;

	*over = 0;
	while (open_fds > 0) {
		struct pollfd fds[2] = { { child->out_fd, POLLIN, 0 },
					 { child->err_fd, POLLIN, 0 } };
		int n = poll(fds, 2, 200);

		if (ark_fsio_interrupted()) {
			kill(child->pid, SIGTERM);
			return ark_fsio_check_interrupt(err);
		}
		if (n < 0 && errno != EINTR)
			return ark_error_set(err, ARK_ERR_INTERNAL, errno,
					     "poll");
		for (int i = 0; i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || !(fds[i].revents &
					       (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				close(fds[i].fd);
				if (i == 0)
					child->out_fd = -1;
				else
					child->err_fd = -1;
				open_fds--;
				continue;
			}
			if (i == 1) {
				if (errtext->len < STDERR_KEEP)
					ark_buf_append(errtext, chunk,
						       (size_t)got);
				continue;
			}
			if (out->len + (size_t)got > max) {
				*over = 1;
				kill(child->pid, SIGTERM);
				return 0;
			}
			ark_buf_append(out, chunk, (size_t)got);
			if (ark_buf_failed(out))
				return ark_error_set(err, ARK_ERR_INTERNAL, 0,
						     "out of memory");
		}
		if (child->out_fd < 0 && child->err_fd < 0)
			break;
	}
	return 0;
}

/* "pg_dump (PostgreSQL) 15.18 (Debian ...)" -> 15; -1 when unreadable. */
static int probe_major(const char *path)
{
	char *argv[] = { ARG(path), ARG("--version"), NULL };
	struct ark_buf out = ARK_BUF_INIT, errtext = ARK_BUF_INIT;
	struct ark_error err = { 0 };
	struct child child;
	const char *p;
	int over = 0, status, major = -1;

	if (access(path, X_OK) != 0 ||
	    spawn(path, argv, environ, &child, &err) != 0)
		return -1;
	(void)drain(&child, &out, 4096, &over, &errtext, &err);
	status = reap(&child);
	ark_buf_append_char(&out, '\0');
	if (status == 0 && !ark_buf_failed(&out) &&
	    (p = strstr(out.data, "(PostgreSQL) ")) != NULL) {
		p += strlen("(PostgreSQL) ");
		if (*p >= '1' && *p <= '9')
			major = atoi(p);
	}
	ark_buf_free(&out);
	ark_buf_free(&errtext);
	return major;
}

static void consider(const char *path, int server_major,
		     struct ark_pgdump *best, struct ark_buf *seen)
{
	char resolved[4096];
	int major;

	if (!realpath(path, resolved))
		return;
	if (best->path[0] && strcmp(best->path, resolved) == 0)
		return;
	if ((major = probe_major(resolved)) < 0)
		return;
	ark_buf_appendf(seen, "%s%d (%s)", seen->len ? ", " : "", major,
			resolved);
	if (major < server_major)
		return;
	if (best->major == 0 || major < best->major ||
	    (major == best->major && strcmp(resolved, best->path) < 0)) {
		snprintf(best->path, sizeof(best->path), "%s", resolved);
		best->major = major;
	}
}

int ark_pgdump_find(const char *explicit_path, int server_major,
		    struct ark_pgdump *out, struct ark_error *err)
{
	struct ark_buf seen = ARK_BUF_INIT;
	glob_t found = { 0 };
	const char *path_env = getenv("PATH");
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (explicit_path) {
		char shown[512];
		int major = probe_major(explicit_path);

		ark_text_escape(explicit_path, shown, sizeof(shown));
		if (major < 0)
			return ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
					     "--pg-dump '%s' is not a pg_dump "
					     "that runs ('--version' gives no "
					     "PostgreSQL version)", shown);
		if (major < server_major)
			return ark_error_set(
				err, ARK_ERR_UNSUPPORTED, 0,
				"--pg-dump '%s' is pg_dump %d, older than the "
				"server (PostgreSQL %d): install "
				"postgresql-client-%d (Debian/Ubuntu; the "
				"PGDG repository apt.postgresql.org has every "
				"version) and pass its pg_dump",
				shown, major, server_major, server_major);
		snprintf(out->path, sizeof(out->path), "%s", explicit_path);
		out->major = major;
		return 0;
	}
	if (glob("/usr/lib/postgresql/*/bin/pg_dump", 0, NULL, &found) == 0)
		for (size_t i = 0; i < found.gl_pathc; i++)
			consider(found.gl_pathv[i], server_major, out, &seen);
	globfree(&found);
	while (path_env && *path_env) {
		const char *colon = strchr(path_env, ':');
		size_t len = colon ? (size_t)(colon - path_env)
				   : strlen(path_env);
		char candidate[4096];

		if (len > 0 && len < sizeof(candidate) - 9) {
			snprintf(candidate, sizeof(candidate), "%.*s/pg_dump",
				 (int)len, path_env);
			consider(candidate, server_major, out, &seen);
		}
		path_env = colon ? colon + 1 : NULL;
	}
	if (out->major == 0) {
		ark_buf_append_char(&seen, '\0');
		rc = ark_error_set(
			err, ARK_ERR_UNSUPPORTED, 0,
			"no pg_dump of PostgreSQL %d or newer (the server's "
			"version) in /usr/lib/postgresql/*/bin or PATH (found: "
			"%s): install postgresql-client-%d (Debian/Ubuntu; "
			"the PGDG repository apt.postgresql.org has every "
			"version) or pass --pg-dump PATH",
			server_major,
			ark_buf_failed(&seen) || seen.len <= 1 ? "none"
							      : seen.data,
			server_major);
	}
	ark_buf_free(&seen);
	return rc;
}

/* The password the conninfo itself holds (password=, or a URI's), or
 * NULL; malloc'd. */
static char *conninfo_password(const char *conninfo)
{
	PQconninfoOption *options, *o;
	char *password = NULL;
	char *errmsg = NULL;
	struct ark_error err = { 0 };

	if (!conninfo || ark_pq_load(&err) != 0)
		return NULL;
	options = PQconninfoParse(conninfo, &errmsg);
	if (errmsg)
		PQfreemem(errmsg);
	if (!options)
		return NULL;
	for (o = options; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val &&
		    o->val[0])
			password = strdup(o->val);
	PQconninfoFree(options);
	return password;
}

/* The first line of pg_dump's stderr that says "error:", else its first
 * line, escaped into out. */
static void first_error(struct ark_buf *errtext, char *out, size_t room)
{
	char *text, *line, *end;

	ark_buf_append_char(errtext, '\0');
	if (ark_buf_failed(errtext) || errtext->len <= 1) {
		snprintf(out, room, "no message");
		return;
	}
	text = errtext->data;
	line = strstr(text, "error: ");
	if (line) {
		while (line > text && line[-1] != '\n')
			line--;
	} else {
		line = text;
	}
	if ((end = strchr(line, '\n')) != NULL)
		*end = '\0';
	ark_text_escape(line, out, room);
}

int ark_pgdump_run(const struct ark_pgdump *dump, const char *conninfo,
		   const char *const *args, const char *what,
		   struct ark_buf *out, size_t max, struct ark_error *err)
{
	struct ark_buf scrubbed = ARK_BUF_INIT, errtext = ARK_BUF_INIT;
	const char *database_url = getenv("DATABASE_URL");
	char **argv = NULL, **envp = NULL, *password = NULL;
	char *password_env = NULL;
	struct child child = { -1, -1, -1 };
	size_t nargs = 0, nenv = 0, i, n;
	int over = 0, status, rc = 0;
	char message[512];

	if (!conninfo && database_url && database_url[0])
		conninfo = database_url;
	if (conninfo && conninfo[0]) {
		ark_pg_scrub_conninfo(conninfo, &scrubbed);
		ark_buf_append_char(&scrubbed, '\0');
		password = conninfo_password(conninfo);
	}
	while (args[nargs])
		nargs++;
	while (environ[nenv])
		nenv++;
	argv = calloc(nargs + 5, sizeof(*argv));
	envp = calloc(nenv + 2, sizeof(*envp));
	if (!argv || !envp || ark_buf_failed(&scrubbed)) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
		goto cleanup;
	}
	n = 0;
	argv[n++] = ARG(dump->path);
	argv[n++] = ARG("--no-password");
	if (scrubbed.len > 1) {
		argv[n++] = ARG("-d");
		argv[n++] = scrubbed.data;
	}
	for (i = 0; i < nargs; i++)
		argv[n++] = ARG(args[i]);
	argv[n] = NULL;
	n = 0;
	for (i = 0; i < nenv; i++)
		if (!password || strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			envp[n++] = environ[i];
	if (password) {
		size_t len = strlen(password) + 12;

		if (!(password_env = malloc(len))) {
			rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
					   "out of memory");
			goto cleanup;
		}
		snprintf(password_env, len, "PGPASSWORD=%s", password);
		envp[n++] = password_env;
	}
	envp[n] = NULL;
	ark_log(ARK_LOG_DEBUG, "running %s for %s", dump->path, what);
	if ((rc = spawn(dump->path, argv, envp, &child, err)))
		goto cleanup;
	rc = drain(&child, out, max, &over, &errtext, err);
	status = reap(&child);
	if (rc)
		goto cleanup;
	if (over) {
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				   "%s: pg_dump wrote more than %zu MiB; "
				   "ark-pg-backup holds at most that in memory",
				   what, max >> 20);
		goto cleanup;
	}
	if (status != 0) {
		first_error(&errtext, message, sizeof(message));
		rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
				   "%s: pg_dump failed (exit status %d): %s",
				   what, status, message);
	}
cleanup:
	if (child.pid > 0) {
		kill(child.pid, SIGTERM);
		(void)reap(&child);
	}
	if (password_env) {
		memset(password_env, 0, strlen(password_env));
		free(password_env);
	}
	if (password) {
		memset(password, 0, strlen(password));
		free(password);
	}
	free(argv);
	free(envp);
	ark_buf_free(&scrubbed);
	ark_buf_free(&errtext);
	return rc;
}
