/*
 * pgdump.c - find and run pg_dump (pg/pgdump_internal.h).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ark/log.h"
#include "ark/pg.h"
#include "ark/proc.h"
#include "ark/text.h"
#include "pg/pgdump_internal.h"
#include "pg/pq_internal.h"

extern char **environ;

/* --version prints one line: more is not a pg_dump */
#define VERSION_MAX 4096

/* "pg_dump (PostgreSQL) 15.18 (Debian ...)" -> 15; -1 when unreadable. */
static int probe_major(const char *path)
{
	const char *argv[] = { path, "--version", NULL };
	const struct ark_proc_options options = { .stop_when_over = 1 };
	struct ark_proc_output output = { 0 };
	struct ark_error err = { 0 };
	const char *p;
	int major = -1;

	if (access(path, X_OK) == 0 &&
	    ark_proc_run(path, argv, VERSION_MAX, &options, &output,
			 &err) == 0 &&
	    !output.out_over && output.status == 0 &&
	    (p = strstr(output.out.data, "(PostgreSQL) ")) != NULL) {
		p += strlen("(PostgreSQL) ");
		if (*p >= '1' && *p <= '9')
			major = atoi(p);
	}
	ark_proc_output_free(&output);
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

/* The first line of pg_dump's stderr (text, written to) that says
 * "error:", else its first line, escaped into out. */
static void first_error(char *text, char *out, size_t room)
{
	char *line, *end;

	if (!text[0]) {
		snprintf(out, room, "no message");
		return;
	}
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
	struct ark_buf scrubbed = ARK_BUF_INIT;
	struct ark_proc_output output = { 0 };
	struct ark_proc_options options = { .stop_when_over = 1 };
	const char *database_url = getenv("DATABASE_URL");
	const char **argv = NULL, **envp = NULL;
	char *password = NULL, *password_env = NULL;
	size_t nargs = 0, nenv = 0, i, n;
	int rc = 0;
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
	argv[n++] = dump->path;
	argv[n++] = "--no-password";
	if (scrubbed.len > 1) {
		argv[n++] = "-d";
		argv[n++] = scrubbed.data;
	}
	for (i = 0; i < nargs; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	/* the conninfo's password reaches pg_dump in its environment only,
	 * in place of the caller's PGPASSWORD */
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
	options.envp = envp;
	ark_log(ARK_LOG_DEBUG, "running %s for %s", dump->path, what);
	rc = ark_proc_run(dump->path, argv, max, &options, &output, err);
	if (rc && !output.started && err) {
		/* found and probed, yet it does not start: what the search
		 * says of a pg_dump that does not run */
		char shown[ARK_ERROR_MSG_MAX];

		snprintf(shown, sizeof(shown), "%s", err->msg);
		ark_error_clear(err);
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0, "%s", shown);
	}
	if (rc)
		goto cleanup;
	if (output.out_over) {
		rc = ark_error_set(err, ARK_ERR_UNSUPPORTED, 0,
				   "%s: pg_dump wrote more than %zu MiB; "
				   "ark-pg-backup holds at most that in memory",
				   what, max >> 20);
		goto cleanup;
	}
	if (output.status != 0) {
		first_error(output.errtext.data, message, sizeof(message));
		rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
				   "%s: pg_dump failed (exit status %d): %s",
				   what, output.status, message);
		goto cleanup;
	}
	ark_buf_free(out);
	*out = output.out;
	output.out = (struct ark_buf)ARK_BUF_INIT;
cleanup:
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
	ark_proc_output_free(&output);
	return rc;
}
