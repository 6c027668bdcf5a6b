/*
 * offsite.c - a new archive copied offsite by rclone or a command
 * (ark/offsite.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ark/archive_name.h"
#include "ark/log.h"
#include "ark/buf.h"
#include "ark/offsite.h"
#include "ark/proc.h"
#include "ark/text.h"

#define RCLONE_PREFIX "rclone:"
/* What a failed program's message may quote of its standard error. */
#define LINE_MAX_SHOWN 600

static int oom(struct ark_error *err)
{
	return ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	       (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int ark_offsite_check_options(const struct ark_offsite_options *options,
			      struct ark_error *err)
{
	if (options->copy_to && options->command)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "--copy-to and --copy-to-command "
				     "exclude each other");
	if (options->copy_to) {
		const char *target = options->copy_to + strlen(RCLONE_PREFIX);

		if (strncmp(options->copy_to, RCLONE_PREFIX,
			    strlen(RCLONE_PREFIX)) != 0 || !*target)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--copy-to takes "
					     "rclone:REMOTE:PATH");
		if (target[0] == '-')
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--copy-to: the rclone target "
					     "must not start with '-'");
		/* "remote,key=value:path" or ":backend,key=value:path":
		 * parameters (a crypt password...) would be in every report,
		 * log line and rclone error ark shows */
		const char *colon = strchr(target + (target[0] == ':'), ':');
		const char *comma = strchr(target, ',');

		if (colon && comma && comma < colon)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--copy-to: rclone connection "
					     "string parameters (',key=value') "
					     "are refused: they would be shown "
					     "in reports and logs; define the "
					     "remote in rclone's config file or "
					     "as RCLONE_CONFIG_<REMOTE>_<KEY> "
					     "variables");
	}
	if (options->command) {
		const char *p = options->command;

		while (is_blank(*p))
			p++;
		if (!*p)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--copy-to-command is empty");
		if (!strstr(p, "{}"))
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--copy-to-command must hold {} "
					     "(the archive's path)");
	}
	return 0;
}

void ark_offsite_argv_free(char **argv)
{
	if (!argv)
		return;
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int ark_offsite_command_argv(const char *command, const char *archive,
			     char ***argv_out, struct ark_error *err)
{
	const char *base = strrchr(archive, '/'), *p = command;
	char **argv = NULL;
	size_t count = 0;

	base = base ? base + 1 : archive;
	*argv_out = NULL;
	for (;;) {
		struct ark_buf word = ARK_BUF_INIT;
		char **grown;

		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		while (*p && !is_blank(*p)) {
			if (strncmp(p, "{}", 2) == 0) {
				ark_buf_append_str(&word, archive);
				p += 2;
			} else if (strncmp(p, "{name}", 6) == 0) {
				ark_buf_append_str(&word, base);
				p += 6;
			} else {
				ark_buf_append_char(&word, *p++);
			}
		}
		ark_buf_append_char(&word, '\0');
		grown = realloc(argv, (count + 2) * sizeof(*argv));
		if (ark_buf_failed(&word) || !grown) {
			ark_buf_free(&word);
			if (grown)
				argv = grown;
			if (argv)
				argv[count] = NULL;
			ark_offsite_argv_free(argv);
			return oom(err);
		}
		argv = grown;
		argv[count++] = ark_buf_take(&word);
		argv[count] = NULL;
	}
	if (!count)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "--copy-to-command is empty");
	*argv_out = argv;
	return 0;
}

int ark_offsite_join(const char *target, const char *name, char *out,
		     size_t room)
{
	size_t len = strlen(target);
	const char *sep = len && (target[len - 1] == ':' ||
				  target[len - 1] == '/')
				  ? ""
				  : "/";
	int n = snprintf(out, room, "%s%s%s", target, sep, name);

	return n < 0 || (size_t)n >= room ? -1 : 0;
}

void ark_offsite_result_free(struct ark_offsite_result *result)
{
	free(result->entries);
	result->entries = NULL;
	result->entry_count = 0;
}

/* ---- running the programs ---- */

struct run {
	const struct ark_offsite_options *options;
	struct ark_offsite_result *result;
	struct ark_proc_output output;
	char line[LINE_MAX_SHOWN];
};

/*
 * Run argv (argv[0] is result->program); a non-zero exit status is
 * ARK_ERR_OFFSITE "WHAT exited with status N: first error line".  With
 * whole (the caller needs all its output), output past out_max stops it
 * and is the caller's to report (r->output.out_over).
 */
static int run_program(struct run *r, const char *what,
		       const char *const *argv, size_t out_max, int whole,
		       struct ark_error *err)
{
	const struct ark_proc_options options = { .stop_when_over = whole };
	int rc = ark_proc_run(r->result->program, argv, out_max, &options,
			      &r->output, err);

	if (rc && !r->output.started && err) {
		/* it could not be started: still the copy's failure */
		char message[ARK_ERROR_MSG_MAX];

		snprintf(message, sizeof(message), "%s", err->msg);
		ark_error_clear(err);
		return ark_error_set(err, ARK_ERR_OFFSITE, 0, "%s", message);
	}
	if (rc || (whole && r->output.out_over))
		return rc;
	ark_proc_first_error_line(r->output.errtext.data, r->line,
				  sizeof(r->line));
	if (r->output.status != 0)
		return ark_error_set(err, ARK_ERR_OFFSITE, 0,
				     "%s exited with status %d%s%s", what,
				     r->output.status, r->line[0] ? ": " : "",
				     r->line);
	return 0;
}

/* The program for name (--rclone or the command's first word). */
static int find_program(struct run *r, const char *name, int rclone,
			struct ark_error *err)
{
	char shown[512];
	int saved;

	if (ark_proc_find(name, r->result->program,
			  sizeof(r->result->program)) == 0)
		return 0;
	saved = errno;
	ark_text_escape(name, shown, sizeof(shown));
	if (rclone && !strchr(name, '/'))
		return ark_error_set(err, ARK_ERR_OFFSITE, 0,
				     "rclone not found in PATH (install it: "
				     "apt-get install rclone)");
	if (rclone)
		return ark_error_set(err, ARK_ERR_OFFSITE, saved,
				     "cannot run --rclone '%s' (install "
				     "rclone: apt-get install rclone)",
				     shown);
	if (!strchr(name, '/') && saved == ENOENT)
		return ark_error_set(err, ARK_ERR_OFFSITE, 0,
				     "--copy-to-command: '%s' not found in "
				     "PATH", shown);
	return ark_error_set(err, ARK_ERR_OFFSITE, saved,
			     "--copy-to-command: cannot run '%s'", shown);
}

static int copy_by_command(struct run *r, const char *archive,
			   struct ark_error *err)
{
	char **argv = NULL;
	char what[600], shown[512];
	int rc;

	if ((rc = ark_offsite_command_argv(r->options->command, archive,
					   &argv, err)) ||
	    (rc = find_program(r, argv[0], 0, err)))
		goto cleanup;
	snprintf(what, sizeof(what), "--copy-to-command '%s'",
		 ark_text_escape(argv[0], shown, sizeof(shown)));
	if ((rc = run_program(r, what, (const char *const *)argv, 1u << 20,
			      0, err)))
		goto cleanup;
	r->result->copied = 1;
cleanup:
	ark_offsite_argv_free(argv);
	return rc;
}

/* ---- rclone ---- */

/*
 * The names in REMOTE:PATH that are archives of stem (and the partial
 * copies of such archives), sorted bytewise, into res->entries.
 */
static int list_remote(struct run *r, const char *stem, const char *name,
		       struct ark_error *err)
{
	struct ark_offsite_result *res = r->result;
	char archives[512 + 16];
	char partials[512 + 32];
	/* only this database's names are listed (and held in memory): a
	 * stem is [A-Za-z0-9_.-] only (make_stem), nothing an rclone
	 * filter reads specially; the names are still parsed exactly
	 * below */
	const char *argv[] = { "rclone", "lsjson", "--files-only",
			       "--no-modtime", "--no-mimetype",
			       "--ask-password=false", "--progress=false",
			       "--include", archives, "--include", partials,
			       "--", res->target, NULL };
	const char **names = NULL;
	json_t *list = NULL;
	json_error_t jerr;
	size_t count = 0, i;
	int rc, seen_new = 0;

	snprintf(archives, sizeof(archives), "/%s-*.ark", stem);
	snprintf(partials, sizeof(partials), "/%s-*.ark%s", stem,
		 ARK_OFFSITE_PARTIAL_SUFFIX);
	if ((rc = run_program(r, "rclone lsjson", argv, ARK_OFFSITE_LIST_MAX,
			      1, err)))
		return rc;
	if (r->output.out_over)
		return ark_error_set(err, ARK_ERR_OFFSITE, 0,
				     "rclone lsjson: the listing of the "
				     "remote is larger than %u MiB",
				     ARK_OFFSITE_LIST_MAX >> 20);
	list = json_loadb(r->output.out.data, r->output.out.len, 0, &jerr);
	if (!json_is_array(list)) {
		rc = ark_error_set(err, ARK_ERR_OFFSITE, 0,
				   "rclone lsjson printed no JSON list: %s",
				   jerr.text);
		goto cleanup;
	}
	names = calloc(json_array_size(list) + 1, sizeof(*names));
	if (!names) {
		rc = oom(err);
		goto cleanup;
	}
	for (i = 0; i < json_array_size(list); i++) {
		const char *n = json_string_value(
			json_object_get(json_array_get(list, i), "Name"));

		if (!n || json_is_true(json_object_get(
				  json_array_get(list, i), "IsDir")))
			continue;
		names[count++] = n;
	}
	qsort(names, count, sizeof(*names), ark_retention_compare_names);
	for (i = 0; i < count; i++) {
		size_t len = strlen(names[i]), suffix =
			strlen(ARK_OFFSITE_PARTIAL_SUFFIX);
		struct ark_retention_entry *e;
		char base[512];
		int64_t ms;
		int partial = 0;

		if (ark_archive_name_parse(names[i], stem, &ms) != 0) {
			if (len <= suffix || len - suffix >= sizeof(base) ||
			    strcmp(names[i] + len - suffix,
				   ARK_OFFSITE_PARTIAL_SUFFIX) != 0)
				continue;
			memcpy(base, names[i], len - suffix);
			base[len - suffix] = '\0';
			if (ark_archive_name_parse(base, stem, &ms) != 0)
				continue;
			partial = 1;
		}
		if (!(e = ark_retention_entry_add(&res->entries,
						  &res->entry_count,
						  names[i]))) {
			rc = oom(err);
			goto cleanup;
		}
		e->time_ms = ms;
		e->fate = partial ? ARK_OFFSITE_PARTIAL : ARK_OFFSITE_KEPT;
		if (!partial && strcmp(names[i], name) == 0)
			seen_new = 1;
	}
	if (!seen_new)
		rc = ark_error_set(err, ARK_ERR_OFFSITE, 0,
				   "rclone lsjson does not list the new "
				   "copy %s", name);
cleanup:
	free(names);
	json_decref(list);
	return rc;
}

static int apply_retention(struct run *r, const char *name,
			   struct ark_error *err)
{
	struct ark_offsite_result *res = r->result;
	char stem[512], remote[sizeof(res->remote)];
	size_t i;
	int rc;

	if (strlen(name) <= ARK_ARCHIVE_NAME_SUFFIX_LEN ||
	    strlen(name) >= sizeof(stem))
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "'%s' is not an archive name", name);
	memcpy(stem, name, strlen(name) - ARK_ARCHIVE_NAME_SUFFIX_LEN);
	stem[strlen(name) - ARK_ARCHIVE_NAME_SUFFIX_LEN] = '\0';
	if ((rc = list_remote(r, stem, name, err)))
		return rc;
	if (ark_retention_judge(res->entries, res->entry_count,
				&r->options->retention, name) != 0)
		return oom(err);
	res->retention_applied = 1;
	for (i = 0; i < res->entry_count; i++) {
		struct ark_retention_entry *e = &res->entries[i];
		const char *argv[] = { "rclone", "deletefile",
				       "--ask-password=false", "--progress=false", "--", remote,
				       NULL };
		struct ark_error del_err = { 0 };
		size_t len;

		if (e->fate != ARK_OFFSITE_KEPT || e->reasons)
			continue;
		if (r->options->prune_dry_run) {
			e->fate = ARK_OFFSITE_WOULD_REMOVE;
			continue;
		}
		if (ark_offsite_join(res->target, e->name, remote,
				     sizeof(remote)) != 0)
			return ark_error_set(err, ARK_ERR_USAGE, 0,
					     "--copy-to target too long");
		rc = run_program(r, "rclone deletefile", argv, 1u << 16, 0,
				 &del_err);
		if (rc == ARK_ERR_INTERRUPTED) {
			*err = del_err;
			return rc;
		}
		if (rc == 0) {
			e->fate = ARK_OFFSITE_REMOVED;
			continue;
		}
		e->fate = ARK_OFFSITE_REMOVE_FAILED;
		len = strnlen(del_err.msg, sizeof(e->detail) - 1);
		memcpy(e->detail, del_err.msg, len);
		e->detail[len] = '\0';
	}
	return 0;
}

static int copy_by_rclone(struct run *r, const char *archive,
			  const char *name, struct ark_error *err)
{
	struct ark_offsite_result *res = r->result;
	char partial_name[512], partial[sizeof(res->remote)];
	const char *copy[] = { "rclone", "copyto", "--checksum",
			       "--ask-password=false", "--progress=false", "--", archive, partial,
			       NULL };
	const char *move[] = { "rclone", "moveto", "--ask-password=false", "--progress=false",
			       "--", partial, res->remote, NULL };
	const char *check[] = { "rclone", "check", "--one-way",
				"--ask-password=false", "--progress=false", "--", archive,
				res->target, NULL };
	const char *text;
	int rc;

	if ((rc = find_program(r, r->options->rclone ? r->options->rclone
						     : "rclone",
			       1, err)))
		return rc;
	if ((size_t)snprintf(partial_name, sizeof(partial_name), "%s%s", name,
			     ARK_OFFSITE_PARTIAL_SUFFIX) >=
		    sizeof(partial_name) ||
	    ark_offsite_join(res->target, partial_name, partial,
			     sizeof(partial)) != 0 ||
	    ark_offsite_join(res->target, name, res->remote,
			     sizeof(res->remote)) != 0)
		return ark_error_set(err, ARK_ERR_USAGE, 0,
				     "--copy-to target too long");
	if ((rc = run_program(r, "rclone copyto", copy, 1u << 20, 0, err)) ||
	    (rc = run_program(r, "rclone moveto", move, 1u << 20, 0, err)))
		return rc;
	res->copied = 1;
	if ((rc = run_program(r, "rclone check", check, 1u << 20, 0, err))) {
		/* never a bad copy under a final name: back to .partial
		 * (reported by the next run's listing, not counted) */
		const char *back[] = { "rclone", "moveto",
				       "--ask-password=false",
				       "--progress=false", "--", res->remote,
				       partial, NULL };
		struct ark_error back_err = { 0 };

		res->copied = 0;
		if (run_program(r, "rclone moveto", back, 1u << 20, 0,
				&back_err) != 0)
			ark_log(ARK_LOG_WARN, "the remote copy %s failed its "
				"check and could not be renamed back to %s: "
				"%s", res->remote, partial, back_err.msg);
		else
			ark_log(ARK_LOG_INFO, "the remote copy that failed its "
				"check is renamed back to %s", partial);
		ark_error_prefix(err, "the remote copy %s does not match the "
				      "archive", res->remote);
		return rc;
	}
	text = r->output.errtext.data;
	res->verified = 1;
	res->hash_checked = !strstr(text, "hashes could not be checked") &&
			    !strstr(text, "No common hash");
	if (!ark_retention_active(&r->options->retention))
		return 0;
	return apply_retention(r, name, err);
}

void ark_offsite_result_init(const struct ark_offsite_options *options,
			     struct ark_offsite_result *result)
{
	memset(result, 0, sizeof(*result));
	if (!options->copy_to && !options->command)
		return;
	result->configured = 1;
	result->rclone = options->copy_to != NULL;
	snprintf(result->target, sizeof(result->target), "%s",
		 options->copy_to && strlen(options->copy_to) >=
						strlen(RCLONE_PREFIX)
			 ? options->copy_to + strlen(RCLONE_PREFIX)
			 : options->copy_to ? options->copy_to
					    : options->command);
}

int ark_offsite_run(const struct ark_offsite_options *options,
		    const char *archive, struct ark_offsite_result *result,
		    struct ark_error *err)
{
	struct run r = { .options = options, .result = result };
	struct timespec started;
	char absolute[PATH_MAX];
	const char *name;
	int rc;

	ark_offsite_result_init(options, result);
	clock_gettime(CLOCK_MONOTONIC, &started);
	if ((rc = ark_offsite_check_options(options, err)))
		return rc;
	if (!options->copy_to && !options->command)
		return 0;
	if (!realpath(archive, absolute))
		return ark_error_set(err, ARK_ERR_OFFSITE, errno,
				     "cannot resolve '%s'", archive);
	name = strrchr(absolute, '/') + 1;
	rc = result->rclone ? copy_by_rclone(&r, absolute, name, err)
			    : copy_by_command(&r, absolute, err);
	ark_proc_output_free(&r.output);
	result->seconds = seconds_since(&started);
	return rc;
}
