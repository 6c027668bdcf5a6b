/*
 * ark/fsio.h - durable, atomic files and advisory locks.
 *
 * An atomic file is written as a 0600 temporary in the destination directory
 * (named ".<final-name>.ark-tmp-XXXXXX"), then fsynced, renamed to its final
 * name and the directory fsynced.  Until ark_atomic_commit() succeeds the
 * final name is never touched; ark_atomic_abort() (or _free() without a
 * commit) removes the temporary.  Temporaries of live atomic files are
 * also removed by ark_fsio_cleanup_temporaries(), which the signal handlers
 * call, so SIGINT/SIGTERM leave nothing behind either.
 */
#ifndef ARK_FSIO_H
#define ARK_FSIO_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "ark/error.h"

struct ark_atomic_file; /* opaque */

enum ark_commit_mode {
	ARK_COMMIT_NO_REPLACE = 0, /* fail with ARK_ERR_REFUSED if final exists */
	ARK_COMMIT_REPLACE = 1,    /* atomically replace an existing final file */
};

/*
 * Create the temporary for final_path (0600, O_RDWR).  Fails with
 * ARK_ERR_WRITE when the directory is not writable.
 */
int ark_atomic_open(const char *final_path, struct ark_atomic_file **out,
		    struct ark_error *err);
/*
 * The same with the temporary named ".ark-tmp-XXXXXX" (15 bytes, whatever
 * the final name), for files SQLite must open by their temporary name:
 * SQLite refuses full paths over 512 bytes, and a temporary longer than
 * final_path would make a TARGET SQLite can open unrestorable.
 */
int ark_atomic_open_short(const char *final_path,
			  struct ark_atomic_file **out, struct ark_error *err);
/* File descriptor of the temporary (for write/pwrite/pread). */
int ark_atomic_fd(const struct ark_atomic_file *file);
/* Path of the temporary and the final path. */
const char *ark_atomic_temp_path(const struct ark_atomic_file *file);
const char *ark_atomic_final_path(const struct ark_atomic_file *file);
/* fsync, close, rename (per mode), fsync the directory. */
int ark_atomic_commit(struct ark_atomic_file *file, enum ark_commit_mode mode,
		      struct ark_error *err);
/*
 * After a ARK_COMMIT_NO_REPLACE commit refused because the final name was
 * taken: give the file another final name; commit again to rename the
 * (already synced) temporary there.
 */
int ark_atomic_retarget(struct ark_atomic_file *file, const char *final_path,
			struct ark_error *err);
/* Close and unlink the temporary; safe after a failed commit. */
void ark_atomic_abort(struct ark_atomic_file *file);
/* Abort unless committed, then free.  NULL is a no-op. */
void ark_atomic_free(struct ark_atomic_file *file);

/*
 * Write all of buf at the current offset / at offset, retrying EINTR and
 * short writes.  On failure fills err (ARK_ERR_WRITE, errno kept, message
 * naming what_path) and returns its code.  ENOSPC says "disk full".
 */
int ark_fsio_write_all(int fd, const void *buf, size_t len,
		       const char *what_path, struct ark_error *err);
int ark_fsio_pwrite_all(int fd, const void *buf, size_t len, uint64_t offset,
			const char *what_path, struct ark_error *err);
/*
 * Read exactly len bytes at offset.  Short read (end of file) is
 * ARK_ERR_CORRUPT "unexpected end of file"; other errors ARK_ERR_READ.
 */
int ark_fsio_pread_all(int fd, void *buf, size_t len, uint64_t offset,
		       const char *what_path, struct ark_error *err);

/*
 * The directory part of path ("." when it has none, "/" for "/name") into
 * out; -1 when it does not fit in room.
 */
int ark_fsio_dir_of(const char *path, char *out, size_t room);

/* fsync the directory that contains path. */
int ark_fsio_fsync_dir_of(const char *path, struct ark_error *err);

/*
 * dir, where path is to be written, must be an existing directory, else
 * ARK_ERR_WRITE "cannot write 'path': directory 'dir' does not exist" (or
 * "... is not a directory", or the errno of stat).
 */
int ark_fsio_require_dir(const char *dir, const char *path,
			 struct ark_error *err);

/*
 * Rename old to new without replacing an existing new (renameat2
 * RENAME_NOREPLACE, falling back to link+unlink).  ARK_ERR_REFUSED when new
 * exists.
 */
int ark_fsio_rename_noreplace(const char *old_path, const char *new_path,
			      struct ark_error *err);

/*
 * Advisory exclusive lock on lock_path (created 0600 if missing), without
 * waiting: ARK_ERR_LOCKED when another process holds it.  Returns an fd
 * to pass to ark_fsio_unlock() in *fd_out.
 */
int ark_fsio_lock(const char *lock_path, int *fd_out, struct ark_error *err);
void ark_fsio_unlock(int fd); /* -1 is a no-op */

/*
 * ark_fsio_lock() for a lock file that lives only while it is held: a
 * stop signal removes it with the temporaries, and
 * ark_fsio_unlock_remove() removes it (still holding it), then unlocks.
 */
int ark_fsio_lock_removable(const char *lock_path, int *fd_out,
			    struct ark_error *err);
void ark_fsio_unlock_remove(const char *lock_path, int fd);

/* Free bytes available to an unprivileged writer in path's filesystem. */
int ark_fsio_free_space(const char *path, uint64_t *bytes_out,
			struct ark_error *err);

/*
 * Signals.  ark_fsio_install_signal_handlers(), which every tool calls
 * first thing in main():
 *  - ignores SIGPIPE, so writing to a closed pipe fails with EPIPE and the
 *    tool reports it (exit 5) instead of dying silently;
 *  - catches SIGINT/SIGTERM/SIGHUP (no SA_RESTART; an inherited SIG_IGN of
 *    SIGINT or SIGHUP is kept).  The first one sets the stop flag, removes
 *    the temporaries of live atomic files and arms a watchdog (SIGALRM,
 *    0.8 s).  Long loops call ark_fsio_check_interrupt() and unwind with
 *    ARK_ERR_INTERRUPTED.  A program still running when the watchdog fires
 *    is blocked in a call that retries EINTR (SQLite opening a FIFO, a
 *    stalled disk): the watchdog removes the temporaries, writes
 *    "<program>: error: interrupted by signal" to stderr and _exit(130)s.
 *    A second signal does the same at once.  Once exit() has begun
 *    (normal unwinding, after the tool's own report), neither acts.  This
 *    is the one place the
 *    library writes to stderr and exits; the program name is the one set
 *    with ark_log_set_program() before this call.
 * The library owns SIGALRM (and the ITIMER_REAL timer) once installed.
 */
void ark_fsio_install_signal_handlers(void);
/*
 * A critical section no signal may cut short, e.g. the renames of a
 * restore's swap: block SIGINT/SIGTERM/SIGHUP and the watchdog's SIGALRM
 * in this thread (old mask into *saved), and hold off the watchdog's
 * forced exit in every thread until the matching restore.  Signals that
 * arrive meanwhile take effect at ark_fsio_restore_signals(), which also
 * removes the temporaries left once a stop signal has come.  Sections
 * nest and may run in several threads; keep them short.
 */
void ark_fsio_block_signals(sigset_t *saved);
void ark_fsio_restore_signals(const sigset_t *saved);
int ark_fsio_interrupted(void); /* non-zero after a signal */
/*
 * A function the first stop signal calls from the handler, after the
 * stop flag is set and the watchdog armed; NULL removes it.  It must be
 * async-signal-safe.  lib/pg sets ark_pg_cancel_all() so a running
 * statement stops on the server too.  It runs with the stop signals and
 * SIGALRM unblocked: if it hangs, the watchdog still ends the process.
 */
typedef void (*ark_fsio_stop_hook)(void);
void ark_fsio_set_stop_hook(ark_fsio_stop_hook hook);
/* ARK_ERR_INTERRUPTED (and err filled) after a signal, else 0. */
int ark_fsio_check_interrupt(struct ark_error *err);
/* Async-signal-safe: unlink every registered temporary. */
void ark_fsio_cleanup_temporaries(void);

/* unix_seconds as UTC "YYYYMMDDTHHMMSSZ" (16 chars + NUL). */
void ark_fsio_utc_stamp(char out[17], int64_t unix_seconds);

#endif
