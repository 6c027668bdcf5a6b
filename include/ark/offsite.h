/*
 * ark/offsite.h - a new archive copied offsite by an existing transfer
 * tool (ark-pg-backup --copy-to, --copy-to-command; docs/repository.md
 * "Offsite copies").
 *
 * rclone (--copy-to rclone:REMOTE:PATH): after the archive is written and
 * verified locally, `rclone copyto --checksum ARCHIVE REMOTE:PATH/NAME.partial`,
 * `rclone moveto` it to REMOTE:PATH/NAME (so the remote never shows a
 * partial archive under a final name; a remote without server-side move
 * copies and deletes), then `rclone check --one-way ARCHIVE REMOTE:PATH`
 * (size, and a hash when both sides have one: md5 or sha1 for a local
 * directory, S3, GCS...).  With a retention policy, `rclone lsjson` lists
 * REMOTE:PATH and the same rules as the repository's (ark/retention.h)
 * run over the remote names "<stem>-<stamp>.ark" of this archive's stem
 * (ark_archive_name_parse()); what they do not keep is deleted with
 * `rclone deletefile`, or only listed with prune_dry_run.  The new
 * archive is always kept.  "<stem>-<stamp>.ark.partial" files (a copy
 * that was killed) are reported, never removed; other files are left
 * alone.  Remote archives are judged by their names only (ark does not
 * download them): give every database that shares a stem its own PATH.
 *
 * A command (--copy-to-command 'PROGRAM ARG... {}'): split on spaces and
 * tabs into one argument per word (no quoting, no shell); "{}" in a word
 * becomes the archive's absolute path, "{name}" its file name; run, its
 * exit status checked.  It cannot list the remote: no remote retention.
 *
 * Every program runs without a shell, standard input /dev/null, the
 * caller's environment (rclone's own config file holds the remote's
 * secrets: RCLONE_CONFIG, RCLONE_CONFIG_<REMOTE>_<KEY>); ark puts no
 * secret on any argv.  Failures are ARK_ERR_OFFSITE with the program's
 * exit status and first error line (ark/proc.h).
 */
#ifndef ARK_OFFSITE_H
#define ARK_OFFSITE_H

#include <stddef.h>
#include <stdint.h>

#include "ark/error.h"
#include "ark/retention.h"

/* The most `rclone lsjson` may print for the remote directory. */
#define ARK_OFFSITE_LIST_MAX (64u * 1024u * 1024u)
/* What a copy in flight is called on the remote: NAME + this. */
#define ARK_OFFSITE_PARTIAL_SUFFIX ".partial"

struct ark_offsite_options {
	const char *copy_to;     /* "rclone:REMOTE:PATH", or NULL */
	const char *command;     /* "PROGRAM ARG... {}", or NULL */
	const char *rclone;      /* the rclone to run; NULL: rclone in PATH */
	struct ark_retention_policy retention; /* remote retention (rclone) */
	int prune_dry_run;       /* list what would go, delete nothing */
};

/* What happened to one file of the remote (an entry's fate). */
enum ark_offsite_fate {
	ARK_OFFSITE_KEPT = ARK_RETENTION_KEPT, /* kept by retention (reasons
						  say why) */
	ARK_OFFSITE_REMOVED,       /* deleted by retention */
	ARK_OFFSITE_WOULD_REMOVE,  /* prune_dry_run: would be deleted */
	ARK_OFFSITE_PARTIAL,       /* a killed copy's NAME.partial: left */
	ARK_OFFSITE_REMOVE_FAILED, /* rclone deletefile failed (detail) */
};

struct ark_offsite_result {
	int configured;        /* --copy-to or --copy-to-command given */
	int rclone;            /* 1: rclone, 0: a command */
	char target[4096];     /* "REMOTE:PATH", or the command as given */
	char remote[4608];     /* rclone: REMOTE:PATH/NAME */
	char program[4096];    /* the rclone or the command's program run */
	int copied;            /* under its final name remotely / the
				  command exited 0 */
	int verified;          /* rclone check found it equal */
	int hash_checked;      /* ... by hash, not only by size */
	int retention_applied; /* the remote was listed and the rules run */
	/* the remote's, by name; fate: enum ark_offsite_fate */
	struct ark_retention_entry *entries;
	size_t entry_count;
	double seconds;
};

/*
 * Check options before any work (usage errors, ARK_ERR_USAGE): copy_to
 * starts "rclone:" and names a target not starting with '-'; command
 * holds a word with "{}"; not both.
 */
int ark_offsite_check_options(const struct ark_offsite_options *options,
			      struct ark_error *err);

/*
 * The command's argv for the archive (absolute path): NULL-terminated,
 * each word of command (split on spaces and tabs) with "{}" and "{name}"
 * replaced; free with ark_offsite_argv_free().  ARK_ERR_USAGE for an
 * empty command, ARK_ERR_INTERNAL when out of memory.
 */
int ark_offsite_command_argv(const char *command, const char *archive,
			     char ***argv_out, struct ark_error *err);
void ark_offsite_argv_free(char **argv);

/* "REMOTE:PATH" + "/" + name ("/" left out after ':' or '/'); -1 when it
 * does not fit. */
int ark_offsite_join(const char *target, const char *name, char *out,
		     size_t room);

/*
 * The result before a run (configured, rclone, target from options;
 * nothing copied): what --metrics and the report show when the backup
 * fails before its copy.
 */
void ark_offsite_result_init(const struct ark_offsite_options *options,
			     struct ark_offsite_result *result);

/*
 * Copy the archive at path (written and verified) as options say, then
 * apply remote retention.  0, or ARK_ERR_OFFSITE (message: what failed,
 * the program's exit status and first error line; the caller says that
 * the local archive is good), ARK_ERR_INTERRUPTED, ARK_ERR_INTERNAL.
 * result is filled as far as the run got (free it with
 * ark_offsite_result_free()).
 */
int ark_offsite_run(const struct ark_offsite_options *options,
		    const char *archive, struct ark_offsite_result *result,
		    struct ark_error *err);
void ark_offsite_result_free(struct ark_offsite_result *result);

#endif
