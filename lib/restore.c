/*
 * restore.c - ark-restore for SQLite archives.
 *
 * Order of work, so that a failure at any step leaves TARGET as it was:
 * open and check the archive's structure; check TARGET (exists? in use?
 * stale -wal/-journal beside it?); check free space; verify every stored
 * byte; write the image to a temporary beside TARGET with the raw hash
 * checked; run integrity_check on it; fsync.  Only then is the old TARGET
 * (and its -wal, -shm, -journal) moved to TARGET.pre-restore-<stamp> and
 * the temporary renamed over TARGET.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/restore.h"
#include "sqlite_image_internal.h"

static const char *const companions[] = { "-wal", "-shm", "-journal" };
#define COMPANION_COUNT (sizeof(companions) / sizeof(companions[0]))
#define COMPANION_PATH_MAX 4200

/* "<base><companion i>", e.g. "app.db-wal". */
static const char *companion_path(char *out, const char *base, size_t i)
{
	snprintf(out, COMPANION_PATH_MAX, "%s%s", base, companions[i]);
	return out;
}

int ark_restore_find_user(const char *path)
{
	struct stat target;
	DIR *proc;
	struct dirent *entry;
	int found = 0;

	if (stat(path, &target) != 0)
		return -1;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (!found && (entry = readdir(proc)) != NULL) {
		char fd_dir[64];
		DIR *fds;
		struct dirent *fd_entry;
		int pid = atoi(entry->d_name);

		if (pid <= 0 || pid == (int)getpid())
			continue;
		snprintf(fd_dir, sizeof(fd_dir), "/proc/%d/fd", pid);
		fds = opendir(fd_dir);
		if (!fds)
			continue;
		while ((fd_entry = readdir(fds)) != NULL) {
			char link[320];
			struct stat st;

			if (fd_entry->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", fd_dir,
				 fd_entry->d_name);
			if (stat(link, &st) == 0 && st.st_dev == target.st_dev &&
			    st.st_ino == target.st_ino) {
				found = pid;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

static int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Any process with TARGET or one of its companions open. */
static int find_any_user(const char *target, char *which, size_t room)
{
	char path[COMPANION_PATH_MAX];
	int pid;

	pid = ark_restore_find_user(target);
	if (pid > 0) {
		snprintf(which, room, "%s", target);
		return pid;
	}
	for (size_t i = 0; i < COMPANION_COUNT; i++) {
		pid = ark_restore_find_user(companion_path(path, target, i));
		if (pid > 0) {
			snprintf(which, room, "%s", path);
			return pid;
		}
	}
	return 0;
}

/* TARGET must be a file we may replace, or absent with no companions. */
static int check_target(const struct ark_restore_options *options,
			struct ark_restore_result *result,
			int *exists, struct ark_error *err)
{
	char companion[COMPANION_PATH_MAX];
	char which[COMPANION_PATH_MAX];
	struct stat st;
	int pid;

	*exists = 0;
	/* In use comes first: that refusal must not suggest --force lightly. */
	pid = find_any_user(options->target, which, sizeof(which));
	if (pid > 0 && !options->force)
		return ark_error_set(err, ARK_ERR_REFUSED, 0,
				     "'%s' is open by another process (pid "
				     "%d); stop it first, or use --force to "
				     "replace the file under it", which, pid);
	if (lstat(options->target, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return ark_error_set(err, ARK_ERR_REFUSED, 0,
					     "'%s' exists and is not a regular "
					     "file; refusing to replace it",
					     options->target);
		*exists = 1;
		if (!options->force)
			return ark_error_set(err, ARK_ERR_REFUSED, 0,
					     "'%s' already exists; use --force "
					     "to replace it (the old file is "
					     "kept as %s.pre-restore-<time>)",
					     options->target, options->target);
	}
	for (size_t i = 0; i < COMPANION_COUNT && !options->force; i++) {
		if (path_exists(companion_path(companion, options->target, i)))
			return ark_error_set(err, ARK_ERR_REFUSED, 0,
					     "'%s' exists beside the target and "
					     "would be applied to the restored "
					     "database; use --force to move it "
					     "aside", companion);
	}
	if (pid > 0) {
		result->target_was_in_use = 1;
		ark_log(ARK_LOG_WARN, "'%s' is open by process %d; replacing "
			"it as --force asks (that process keeps the old file)",
			which, pid);
	}
	return 0;
}

static int check_space(const char *target, uint64_t need,
		       struct ark_error *err)
{
	char dir[4096];
	uint64_t free_bytes = 0;

	/* Unknown free space: the write itself will tell. */
	if (ark_fsio_dir_of(target, dir, sizeof(dir)) != 0 ||
	    ark_fsio_free_space(dir, &free_bytes, NULL) != 0)
		return 0;
	if (free_bytes < need)
		return ark_error_set(err, ARK_ERR_WRITE, ENOSPC,
				     "'%s' needs %" PRIu64 " bytes but only %"
				     PRIu64 " are free", dir, need,
				     free_bytes);
	return 0;
}

/*
 * Undo keep_old() after a later failure: the companions go back beside
 * TARGET and the extra link is removed, so TARGET is as it was.
 */
static void unkeep_old(const char *target, struct ark_restore_result *result)
{
	char from[COMPANION_PATH_MAX];
	char to[COMPANION_PATH_MAX];

	if (!result->kept[0])
		return;
	for (size_t i = 0; i < COMPANION_COUNT; i++) {
		companion_path(from, result->kept, i);
		companion_path(to, target, i);
		if (path_exists(from) && rename(from, to) != 0)
			ark_log(ARK_LOG_ERROR, "could not move '%s' back to "
				"'%s': %s", from, to, strerror(errno));
	}
	/* The extra hard link goes; a moved TARGET comes back. */
	if (result->kept_by_rename) {
		if (!path_exists(target) && rename(result->kept, target) != 0)
			ark_log(ARK_LOG_ERROR, "could not move '%s' back to "
				"'%s': %s", result->kept, target,
				strerror(errno));
		result->kept_by_rename = 0;
	} else if (path_exists(target)) {
		unlink(result->kept);
	}
	result->kept[0] = '\0';
}

/*
 * Move TARGET (when keep_main) and its companions to
 * TARGET.pre-restore-<stamp>.  Without keep_main only stale companions
 * are moved, and result->kept stays empty when there were none.
 */
static int keep_old(const char *target, int keep_main,
		    struct ark_restore_result *result, struct ark_error *err)
{
	char stamp[17];
	char from[COMPANION_PATH_MAX];
	char to[COMPANION_PATH_MAX];
	int moved = 0;
	int rc;

	ark_fsio_utc_stamp(stamp, (int64_t)time(NULL));
	snprintf(result->kept, sizeof(result->kept), "%s.pre-restore-%s",
		 target, stamp);
	/*
	 * A hard link keeps TARGET in place until the atomic rename.  Where
	 * the file system has no hard links, TARGET is moved instead: then
	 * it is absent until the rename, a window the caller keeps short.
	 */
	if (keep_main && link(target, result->kept) != 0) {
		int link_errno = errno;

		if (link_errno == EPERM || link_errno == EOPNOTSUPP ||
		    link_errno == EMLINK) {
			rc = ark_fsio_rename_noreplace(target, result->kept,
						       err);
			result->kept_by_rename = rc == 0;
		} else {
			rc = ark_error_set(err, link_errno == EEXIST
						? ARK_ERR_REFUSED
						: ARK_ERR_WRITE,
					   link_errno, "cannot keep '%s' as "
					   "'%s'", target, result->kept);
		}
		if (rc) {
			result->kept[0] = '\0';
			return rc;
		}
	}
	for (size_t i = 0; i < COMPANION_COUNT; i++) {
		if (!path_exists(companion_path(from, target, i)))
			continue;
		rc = ark_fsio_rename_noreplace(
			from, companion_path(to, result->kept, i), err);
		if (rc) {
			unkeep_old(target, result);
			return rc;
		}
		moved = 1;
	}
	if (!keep_main && !moved)
		result->kept[0] = '\0';
	return 0;
}

/*
 * The restored file takes the old TARGET's mode and owner, so the
 * application can open it as before; a new TARGET gets 0666 less the
 * umask, as any file the user creates.  (The temporary is 0600 until now.)
 */
static int set_permissions(int fd, const char *target, int exists,
			   struct ark_error *err)
{
	struct stat old;
	mode_t mask;

	if (exists && stat(target, &old) == 0) {
		if (fchmod(fd, old.st_mode & 07777) != 0)
			return ark_error_set(err, ARK_ERR_WRITE, errno,
					     "cannot set the mode of the "
					     "restored '%s'", target);
		if ((old.st_uid != geteuid() || old.st_gid != getegid()) &&
		    fchown(fd, old.st_uid, old.st_gid) != 0)
			ark_log(ARK_LOG_WARN, "the restored '%s' is owned by "
				"you, not by uid %d as the old file was: %s",
				target, (int)old.st_uid, strerror(errno));
		return 0;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0)
		return ark_error_set(err, ARK_ERR_WRITE, errno,
				     "cannot set the mode of the restored "
				     "'%s'", target);
	return 0;
}

/*
 * Move the old TARGET aside and the verified temporary in.  The slow
 * fsync of the image comes first, and the stop signals are held off
 * from the first move to the rename, so an interruption cannot leave
 * TARGET without its -wal or -journal: either everything is swapped, or
 * everything is put back.  (A crash in that short window leaves the old
 * database complete under the kept name, with its companions.)
 */
static int swap_in(struct ark_atomic_file *temp,
		   const struct ark_restore_options *options, int exists,
		   struct ark_restore_result *result, struct ark_error *err)
{
	int fd = ark_atomic_fd(temp);
	struct stat image;
	struct stat now;
	sigset_t stop;
	sigset_t previous;
	int rc = 0;

	if (fsync(fd) != 0 || fstat(fd, &image) != 0)
		return ark_error_set(err, ARK_ERR_WRITE, errno,
				     "cannot flush '%s'",
				     ark_atomic_temp_path(temp));
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &previous);
	if ((rc = ark_fsio_check_interrupt(err)))
		goto done;
	if (exists || options->force)
		rc = keep_old(options->target, exists, result, err);
	if (rc)
		goto done;
	rc = ark_atomic_commit(temp, exists ? ARK_COMMIT_REPLACE
					    : ARK_COMMIT_NO_REPLACE, err);
	/* Put the old files back unless TARGET is now the new image. */
	if (rc && !(stat(options->target, &now) == 0 &&
		    now.st_dev == image.st_dev && now.st_ino == image.st_ino))
		unkeep_old(options->target, result);
done:
	sigprocmask(SIG_SETMASK, &previous, NULL);
	return rc;
}

int ark_restore_run(const struct ark_restore_options *options,
		    struct ark_restore_result *result, struct ark_error *err)
{
	struct ark_archive_reader *reader = NULL;
	struct ark_atomic_file *temp = NULL;
	struct ark_progress *progress = NULL;
	const struct ark_manifest *manifest;
	struct timespec start, end;
	size_t image = 0;
	int exists = 0;
	int rc;

	memset(result, 0, sizeof(*result));
	clock_gettime(CLOCK_MONOTONIC, &start);
	snprintf(result->target, sizeof(result->target), "%s",
		 options->target);
	if ((rc = ark_archive_reader_open(options->archive, &reader, err)) ||
	    (rc = ark_sqlite_image_find(reader, options->archive, &image,
					err)) ||
	    (rc = check_target(options, result, &exists, err)))
		goto cleanup;
	manifest = ark_archive_reader_manifest(reader);
	result->bytes = manifest->members[image].raw_size;
	if ((rc = check_space(options->target, result->bytes, err)))
		goto cleanup;
	progress = ark_progress_new("verify", manifest->prefix_size,
				    options->progress);
	rc = ark_archive_verify_data(reader, progress, err);
	ark_progress_free(progress);
	progress = NULL;
	if (rc)
		goto cleanup;
	progress = ark_progress_new("restore",
				    manifest->members[image].stored_size,
				    options->progress);
	if ((rc = ark_atomic_open(options->target, &temp, err)) ||
	    (rc = ark_sqlite_image_extract(reader, image, ark_atomic_fd(temp),
					   ark_atomic_temp_path(temp),
					   progress, err)) ||
	    (rc = ark_sqlite_image_check(ark_atomic_temp_path(temp),
					 result->integrity,
					 sizeof(result->integrity), err)) ||
	    (rc = set_permissions(ark_atomic_fd(temp), options->target,
				  exists, err)) ||
	    (rc = ark_fsio_check_interrupt(err)))
		goto cleanup;
	ark_log(ARK_LOG_INFO, "'%s': hashes and integrity_check ok, %" PRIu64
		" bytes", ark_atomic_temp_path(temp), result->bytes);
	rc = swap_in(temp, options, exists, result, err);
	if (rc)
		goto cleanup;
	if (result->kept[0])
		ark_log(ARK_LOG_INFO, "the old '%s' is kept as '%s'",
			options->target, result->kept);
	clock_gettime(CLOCK_MONOTONIC, &end);
	result->seconds = (double)(end.tv_sec - start.tv_sec) +
			  (double)(end.tv_nsec - start.tv_nsec) / 1e9;
cleanup:
	ark_progress_free(progress);
	ark_atomic_free(temp);
	ark_archive_reader_free(reader);
	return rc;
}
