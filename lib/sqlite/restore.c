/*
 * restore.c - ark-restore for SQLite archives.
 *
 * Order of work, so that a failure at any step leaves TARGET as it was:
 * open and check the archive's structure; take the lock of TARGET
 * (.NAME.ark-lock beside it, held to the end, so two restores of one
 * TARGET never interleave); check TARGET (exists? in use? stale
 * -wal/-journal beside it?); check free space; verify every stored byte;
 * write the image to a short-named temporary beside TARGET with the raw
 * hash checked; check the database (see check_image); give it the old
 * TARGET's mode, owner, ACL and extended attributes; fsync.  Only then is
 * the old TARGET (and its -wal, -shm, -journal) moved to a free kept name
 * TARGET.pre-restore-<stamp>[.N] and the temporary renamed over TARGET.
 * Every move is recorded, so an undo puts back exactly what this run
 * moved, never over a file that is there now.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "ark/archive.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/restore.h"
#include "sqlite/sqlite_image_internal.h"

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

/* ---- the lock of TARGET --------------------------------------------- */

/*
 * ".NAME.ark-lock" beside TARGET; when that name would pass NAME_MAX,
 * ".ark-lock-<hash of NAME>" (FNV-1a, a name only, not a security
 * measure), so every TARGET the file system can hold can be locked.
 */
static int lock_path_of(const char *target, char *out, size_t room)
{
	const char *base = strrchr(target, '/');
	size_t dir_len;
	int len;

	base = base ? base + 1 : target;
	dir_len = (size_t)(base - target);
	if (strlen(base) + sizeof(".ark-lock") <= 255) {
		len = snprintf(out, room, "%.*s.%s.ark-lock", (int)dir_len,
			       target, base);
	} else {
		uint64_t hash = 0xcbf29ce484222325u;

		for (const char *p = base; *p; p++)
			hash = (hash ^ (unsigned char)*p) * 0x100000001b3u;
		len = snprintf(out, room, "%.*s.ark-lock-%016" PRIx64,
			       (int)dir_len, target, hash);
	}
	return len < 0 || (size_t)len >= room ? -1 : 0;
}

/*
 * Lock TARGET for the whole restore.  The lock file is removed at the
 * end (release_lock), so a run that locked a file another run has just
 * removed must notice: after flock, the name must still lead to the
 * locked file, else open it again.
 */
static int take_lock(const char *target, char *lock_path, size_t room,
		     int *fd_out, struct ark_error *err)
{
	struct ark_error lock_err;
	struct stat held, named;
	int rc;

	*fd_out = -1;
	if (lock_path_of(target, lock_path, room) != 0)
		return ark_error_set(err, ARK_ERR_WRITE, ENAMETOOLONG,
				     "cannot lock '%s'", target);
	for (int attempt = 0; attempt < 100; attempt++) {
		ark_error_clear(&lock_err);
		rc = ark_fsio_lock_removable(lock_path, fd_out, &lock_err);
		if (rc == ARK_ERR_LOCKED)
			return ark_error_set(err, ARK_ERR_LOCKED, 0,
					     "'%s' is being restored by another "
					     "process (it holds '%s'); nothing "
					     "was changed", target, lock_path);
		if (rc && (lock_err.sys_errno == ENOENT ||
			   lock_err.sys_errno == ENOTDIR)) {
			char dir[COMPANION_PATH_MAX];

			/* A careless TARGET: name the directory, not the lock. */
			if (ark_fsio_dir_of(target, dir, sizeof(dir)) == 0 &&
			    ark_fsio_require_dir(dir, target, err))
				return err->code;
		}
		if (rc) {
			ark_error_set(err, lock_err.code, 0, "%s",
				      lock_err.msg);
			err->sys_errno = lock_err.sys_errno;
			return rc;
		}
		if (fstat(*fd_out, &held) == 0 && stat(lock_path, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
			return 0;
		ark_fsio_unlock(*fd_out);
		*fd_out = -1;
	}
	return ark_error_set(err, ARK_ERR_LOCKED, 0,
			     "'%s' is being restored by another process (its "
			     "lock file '%s' keeps changing)", target,
			     lock_path);
}

/* Remove the lock file while still holding it, then drop the lock. */
static void release_lock(const char *lock_path, int fd)
{
	ark_fsio_unlock_remove(lock_path, fd);
}

/* ---- keeping the old files -------------------------------------------- */

/*
 * What keep_old() did, move by move, so that undo_moves() puts back
 * exactly that and nothing else: never a file this run did not move,
 * never over a file that is there now.
 */
struct move {
	char from[COMPANION_PATH_MAX];
	char to[COMPANION_PATH_MAX];
	dev_t dev;      /* the file moved, to know it again */
	ino_t ino;
	int linked;     /* a hard link to from was made at to */
};

struct move_log {
	struct move moves[1 + COMPANION_COUNT];
	size_t count;
};

/* Highest N tried in TARGET.pre-restore-<stamp>.N before refusing. */
#define KEPT_NAME_TRIES 100

static int same_file(const char *path, const struct move *move)
{
	struct stat st;

	return lstat(path, &st) == 0 && st.st_dev == move->dev &&
	       st.st_ino == move->ino;
}

/*
 * Undo the moves in reverse order.  A file that cannot be put back (its
 * old name is taken now, or the rename fails) stays under the kept name,
 * and err says where, in front of the cause it already holds.  Returns
 * how many files were left under a kept name.
 */
static int undo_moves(struct move_log *log, struct ark_error *err)
{
	int left = 0;

	while (log->count > 0) {
		struct move *move = &log->moves[--log->count];
		struct ark_error undo_err;

		if (!same_file(move->to, move)) {
			/* Not ours any more: leave whatever is there. */
			ark_error_prefix(err, "'%s' was moved to '%s' and is "
					 "no longer there", move->from,
					 move->to);
			left++;
			continue;
		}
		if (move->linked) {
			/*
			 * TARGET is still there: the extra link goes, unless
			 * a companion stays under the kept name - then the
			 * kept name keeps the whole old database with it.
			 */
			if (same_file(move->from, move) && left == 0) {
				(void)unlink(move->to);
			} else {
				ark_error_prefix(err, "'%s' is kept as '%s'",
						 move->from, move->to);
				left++;
			}
			continue;
		}
		ark_error_clear(&undo_err);
		if (ark_fsio_rename_noreplace(move->to, move->from,
					      &undo_err) != 0) {
			ark_error_prefix(err, "'%s' could not be put back and "
					 "is kept as '%s'", move->from,
					 move->to);
			left++;
		}
	}
	return left;
}

/* 1 when kept (the name for TARGET) and its companion names are free. */
static int kept_names_free(const char *kept)
{
	char path[COMPANION_PATH_MAX];

	if (path_exists(kept))
		return 0;
	for (size_t i = 0; i < COMPANION_COUNT; i++)
		if (path_exists(companion_path(path, kept, i)))
			return 0;
	return 1;
}

/* Record and make one move; ARK_ERR_REFUSED when to exists. */
static int move_one(struct move_log *log, const char *from, const char *to,
		    int by_link, struct ark_error *err)
{
	struct move *move = &log->moves[log->count];
	struct stat st;
	int rc;

	if (lstat(from, &st) != 0)
		return errno == ENOENT ? 0
				       : ark_error_set(err, ARK_ERR_WRITE, errno,
						       "cannot keep '%s'", from);
	snprintf(move->from, sizeof(move->from), "%s", from);
	snprintf(move->to, sizeof(move->to), "%s", to);
	move->dev = st.st_dev;
	move->ino = st.st_ino;
	move->linked = by_link;
	if (by_link) {
		if (link(from, to) != 0)
			return ark_error_set(err, errno == EEXIST
						     ? ARK_ERR_REFUSED
						     : ARK_ERR_WRITE,
					     errno, "cannot keep '%s' as '%s'",
					     from, to);
	} else if ((rc = ark_fsio_rename_noreplace(from, to, err))) {
		return rc;
	}
	log->count++;
	return 1;
}

/*
 * Move TARGET (when keep_main) and its companions to a free kept name,
 * TARGET.pre-restore-<stamp>, or with ".1", ".2"... after it when that
 * name or one of its companion names is taken.  Every move is
 * no-replace; should a file appear under a kept name meanwhile, what was
 * moved goes back and the next name is tried.  Without keep_main only
 * stale companions are moved, and result->kept stays empty when there
 * were none.
 */
static int keep_old(const char *target, int keep_main, struct move_log *log,
		    struct ark_restore_result *result, struct ark_error *err)
{
	char stamp[17];
	char from[COMPANION_PATH_MAX];
	char to[COMPANION_PATH_MAX];
	int moved;
	int left;
	int rc = 0;

	ark_fsio_utc_stamp(stamp, (int64_t)time(NULL));
	for (int n = 0; n < KEPT_NAME_TRIES; n++) {
		struct ark_error try_err;

		if (n == 0)
			snprintf(result->kept, sizeof(result->kept),
				 "%s.pre-restore-%s", target, stamp);
		else
			snprintf(result->kept, sizeof(result->kept),
				 "%s.pre-restore-%s.%d", target, stamp, n);
		if (!kept_names_free(result->kept))
			continue;
		ark_error_clear(&try_err);
		moved = 0;
		rc = 0;
		/*
		 * A hard link keeps TARGET in place until the atomic rename.
		 * Where the file system has no hard links, TARGET is moved
		 * instead: then it is absent until the rename, a window the
		 * caller keeps short.
		 */
		if (keep_main) {
			rc = move_one(log, target, result->kept, 1, &try_err);
			if (rc < 0 && try_err.sys_errno != EEXIST &&
			    (try_err.sys_errno == EPERM ||
			     try_err.sys_errno == EOPNOTSUPP ||
			     try_err.sys_errno == EMLINK)) {
				ark_error_clear(&try_err);
				rc = move_one(log, target, result->kept, 0,
					      &try_err);
				result->kept_by_rename = rc > 0;
			}
		}
		for (size_t i = 0; i < COMPANION_COUNT && rc >= 0; i++) {
			rc = move_one(log, companion_path(from, target, i),
				      companion_path(to, result->kept, i), 0,
				      &try_err);
			moved |= rc > 0;
		}
		if (rc >= 0) {
			if (!keep_main && !moved)
				result->kept[0] = '\0';
			return 0;
		}
		/* Taken meanwhile: put back what moved, try the next name. */
		left = undo_moves(log, &try_err);
		result->kept_by_rename = 0;
		if (try_err.code != ARK_ERR_REFUSED || left > 0) {
			ark_error_set(err, try_err.code, 0, "%s", try_err.msg);
			err->sys_errno = try_err.sys_errno;
			result->kept[0] = '\0';
			return try_err.code;
		}
	}
	result->kept[0] = '\0';
	return ark_error_set(err, ARK_ERR_REFUSED, EEXIST,
			     "cannot keep '%s': %s.pre-restore-%s and the %d "
			     "names after it are taken", target, target, stamp,
			     KEPT_NAME_TRIES - 1);
}

/*
 * The extended attributes of the old TARGET onto the temporary: POSIX
 * ACLs (system.posix_acl_access), SELinux labels (security.selinux),
 * user.* - every name the user may list.  A file system without them
 * (ENOTSUP) has none to lose.  An attribute that exists but cannot be
 * copied stops the restore before the swap: a lost ACL can lock the
 * application out of its database.
 */
static int copy_xattrs(int fd, const char *target, struct ark_error *err)
{
	char *names = NULL;
	char *value = NULL;
	ssize_t list_len, value_len;
	int rc = 0;

	list_len = llistxattr(target, NULL, 0);
	if (list_len < 0 && (errno == ENOTSUP || errno == ENOSYS))
		return 0;
	if (list_len < 0)
		return ark_error_set(err, ARK_ERR_READ, errno,
				     "cannot list the extended attributes of "
				     "'%s'", target);
	if (list_len == 0)
		return 0;
	names = malloc((size_t)list_len);
	if (!names)
		return ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
				     "cannot copy the extended attributes of "
				     "'%s'", target);
	list_len = llistxattr(target, names, (size_t)list_len);
	if (list_len < 0) {
		rc = ark_error_set(err, ARK_ERR_READ, errno,
				   "cannot list the extended attributes of "
				   "'%s'", target);
		goto cleanup;
	}
	for (char *name = names; name < names + list_len;
	     name += strlen(name) + 1) {
		value_len = lgetxattr(target, name, NULL, 0);
		if (value_len >= 0) {
			free(value);
			value = malloc((size_t)value_len + 1);
			if (!value) {
				rc = ark_error_set(err, ARK_ERR_INTERNAL,
						   ENOMEM, "cannot copy the "
						   "extended attributes of "
						   "'%s'", target);
				goto cleanup;
			}
			value_len = lgetxattr(target, name, value,
					      (size_t)value_len);
		}
		if (value_len < 0 && errno == ENODATA)
			continue; /* removed since the list was read */
		if (value_len < 0) {
			rc = ark_error_set(err, ARK_ERR_READ, errno,
					   "cannot read extended attribute "
					   "'%s' of '%s'", name, target);
			goto cleanup;
		}
		if (fsetxattr(fd, name, value, (size_t)value_len, 0) != 0) {
			rc = ark_error_set(err, ARK_ERR_WRITE, errno,
					   "cannot give the restored '%s' "
					   "the extended attribute '%s' of "
					   "the old file", target, name);
			goto cleanup;
		}
	}
cleanup:
	free(value);
	free(names);
	return rc;
}

/*
 * The mode a new file gets in dir when dir has a default POSIX ACL: the
 * umask does not apply then, the ACL's owner, mask (else owning group)
 * and other entries do (what touch(1) would get).  0 and *mode untouched
 * when dir has none.  The xattr holds a 4-byte version (2) and 8-byte
 * entries: tag (u16), perm (u16), id (u32), little-endian.
 */
static int default_acl_mode(const char *target, mode_t *mode)
{
	unsigned char buf[8192];
	char dir[COMPANION_PATH_MAX];
	unsigned owner = 7, group = 7, mask = 8, other = 7;
	ssize_t len;

	if (ark_fsio_dir_of(target, dir, sizeof(dir)) != 0)
		return 0;
	len = getxattr(dir, "system.posix_acl_default", buf, sizeof(buf));
	if (len < 4 || (len - 4) % 8 != 0 ||
	    (buf[0] | buf[1] << 8 | buf[2] << 16 | (unsigned)buf[3] << 24) !=
		    2)
		return 0;
	for (ssize_t at = 4; at < len; at += 8) {
		unsigned tag = buf[at] | buf[at + 1] << 8;
		unsigned perm = (buf[at + 2] | buf[at + 3] << 8) & 7;

		if (tag == 0x01)
			owner = perm;      /* ACL_USER_OBJ */
		else if (tag == 0x04)
			group = perm;      /* ACL_GROUP_OBJ */
		else if (tag == 0x10)
			mask = perm;       /* ACL_MASK */
		else if (tag == 0x20)
			other = perm;      /* ACL_OTHER */
	}
	if (mask != 8)
		group = mask;
	*mode = (mode_t)(0666 & (owner << 6 | group << 3 | other));
	return 1;
}

/*
 * The restored file takes the old TARGET's owner, mode, ACL and other
 * extended attributes, so the application can open it as before; a new
 * TARGET gets 0666 less the umask, as any file the user creates (or, in
 * a directory with a default ACL, what that ACL gives a new file).  (The
 * temporary is 0600 until now.)  Owner first: fchown() may clear set-id
 * bits; the ACL last: it sets the group bits to its mask, which in the
 * old file's mode is the same, so they are never widened.
 */
static int set_permissions(int fd, const char *target, int exists,
			   struct ark_error *err)
{
	struct stat old;
	mode_t mask, mode;

	if (exists && stat(target, &old) == 0) {
		if ((old.st_uid != geteuid() || old.st_gid != getegid()) &&
		    fchown(fd, old.st_uid, old.st_gid) != 0)
			ark_log(ARK_LOG_WARN, "the restored '%s' is owned by "
				"you, not by uid %d as the old file was: %s",
				target, (int)old.st_uid, strerror(errno));
		/*
		 * The temporary inherited the directory's default ACL; the
		 * old file's own (copied below, if any) is the one to keep:
		 * none must not become the directory's named entries.
		 */
		if (fremovexattr(fd, "system.posix_acl_access") != 0 &&
		    errno != ENODATA && errno != ENOTSUP && errno != ENOSYS)
			return ark_error_set(err, ARK_ERR_WRITE, errno,
					     "cannot set the ACL of the "
					     "restored '%s'", target);
		if (fchmod(fd, old.st_mode & 07777) != 0)
			return ark_error_set(err, ARK_ERR_WRITE, errno,
					     "cannot set the mode of the "
					     "restored '%s'", target);
		return copy_xattrs(fd, target, err);
	}
	mask = umask(0);
	umask(mask);
	mode = 0666 & ~mask;
	/* The temporary inherited the directory's default ACL, if any. */
	(void)default_acl_mode(target, &mode);
	if (fchmod(fd, mode) != 0)
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
 * everything this run moved is put back.  (A crash in that short window
 * leaves the old database complete under the kept name, with its
 * companions.)
 */
static int swap_in(struct ark_atomic_file *temp,
		   const struct ark_restore_options *options, int exists,
		   struct ark_restore_result *result, struct ark_error *err)
{
	int fd = ark_atomic_fd(temp);
	struct move_log log;
	struct stat image;
	struct stat now;
	sigset_t previous;
	int rc = 0;

	log.count = 0;
	if (fsync(fd) != 0 || fstat(fd, &image) != 0)
		return ark_error_set(err, ARK_ERR_WRITE, errno,
				     "cannot flush '%s'",
				     ark_atomic_temp_path(temp));
	/* No stop signal, nor the watchdog's forced exit, lands mid-swap. */
	ark_fsio_block_signals(&previous);
	if ((rc = ark_fsio_check_interrupt(err)))
		goto done;
	if (exists || options->force)
		rc = keep_old(options->target, exists, &log, result, err);
	if (rc)
		goto done;
	rc = ark_atomic_commit(temp, exists ? ARK_COMMIT_REPLACE
					    : ARK_COMMIT_NO_REPLACE, err);
	/* Put the old files back unless TARGET is now the new image. */
	if (rc && !(stat(options->target, &now) == 0 &&
		    now.st_dev == image.st_dev && now.st_ino == image.st_ino)) {
		if (undo_moves(&log, err) == 0)
			result->kept[0] = '\0';
		result->kept_by_rename = 0;
	}
done:
	ark_fsio_restore_signals(&previous);
	return rc;
}

/*
 * The check of the written image, as ark_sqlite_image_plan() says:
 * quick_check, integrity_check, or none when the archive records a
 * passing integrity_check.  With allow_damaged, a failed check does not
 * stop the restore; the run then ends with ARK_ERR_DAMAGED_RESTORED.
 */
static int check_image(int fd, const char *temp_path,
		       const struct ark_restore_options *options,
		       const struct ark_manifest *manifest,
		       struct ark_restore_result *result, int *damaged,
		       struct ark_error *err)
{
	int rc;

	*damaged = 0;
	snprintf(result->check, sizeof(result->check), "%s",
		 ark_sqlite_image_plan(manifest, options->full_check));
	if (strcmp(result->check, "recorded") == 0) {
		unsigned char head[ARK_SQLITE_HEADER_SIZE];
		ssize_t got = pread(fd, head, sizeof(head), 0);

		if (got < 0)
			return ark_error_set(err, ARK_ERR_READ, errno,
					     "cannot read '%s'", temp_path);
		snprintf(result->integrity, sizeof(result->integrity), "ok");
		return ark_sqlite_image_header(head, (size_t)got, manifest,
					       options->archive, err);
	}
	rc = ark_sqlite_image_check(temp_path,
				    strcmp(result->check, "integrity_check") ==
					    0,
				    result->integrity,
				    sizeof(result->integrity), NULL, err);
	if (rc != ARK_ERR_INTEGRITY || !options->allow_damaged)
		return rc;
	ark_error_clear(err);
	*damaged = 1;
	return 0;
}

int ark_restore_run(const struct ark_restore_options *options,
		    struct ark_restore_result *result, struct ark_error *err)
{
	struct ark_archive_reader *reader = NULL;
	struct ark_atomic_file *temp = NULL;
	struct ark_progress *progress = NULL;
	const struct ark_manifest *manifest;
	struct timespec start, end;
	char lock_path[COMPANION_PATH_MAX];
	int lock_fd = -1;
	size_t image = 0;
	int exists = 0;
	int damaged = 0;
	int rc;

	memset(result, 0, sizeof(*result));
	clock_gettime(CLOCK_MONOTONIC, &start);
	snprintf(result->target, sizeof(result->target), "%s",
		 options->target);
	if ((rc = ark_archive_reader_open(options->archive, &reader, err)) ||
	    (rc = ark_sqlite_image_find(reader, options->archive, &image,
					err)) ||
	    (rc = take_lock(options->target, lock_path, sizeof(lock_path),
			    &lock_fd, err)) ||
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
	if ((rc = ark_atomic_open_short(options->target, &temp, err)) ||
	    (rc = ark_sqlite_image_extract(reader, image, ark_atomic_fd(temp),
					   ark_atomic_temp_path(temp),
					   progress, err)) ||
	    (rc = check_image(ark_atomic_fd(temp), ark_atomic_temp_path(temp),
			      options, manifest,
			      result, &damaged, err)) ||
	    (rc = set_permissions(ark_atomic_fd(temp), options->target,
				  exists, err)) ||
	    (rc = ark_fsio_check_interrupt(err)))
		goto cleanup;
	ark_log(ARK_LOG_INFO, "'%s': hashes ok, %s %s, %" PRIu64 " bytes",
		ark_atomic_temp_path(temp), result->check, result->integrity,
		result->bytes);
	rc = swap_in(temp, options, exists, result, err);
	if (rc)
		goto cleanup;
	if (result->kept[0])
		ark_log(ARK_LOG_INFO, "the old '%s' is kept as '%s'",
			options->target, result->kept);
	clock_gettime(CLOCK_MONOTONIC, &end);
	result->seconds = (double)(end.tv_sec - start.tv_sec) +
			  (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	if (damaged)
		rc = ark_error_set(err, ARK_ERR_DAMAGED_RESTORED, 0,
				   "'%s' was restored as --allow-damaged asks, "
				   "but the database fails %s: %s",
				   options->target, result->check,
				   result->integrity);
cleanup:
	ark_progress_free(progress);
	ark_atomic_free(temp);
	ark_archive_reader_free(reader);
	release_lock(lock_path, lock_fd);
	return rc;
}
