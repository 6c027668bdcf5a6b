/*
 * ark/restore.h - archive back to a database (ark-restore).
 *
 * SQLite archives: the archive is verified before anything is written;
 * the image is written to a temporary beside TARGET, its hashes and
 * PRAGMA integrity_check are checked, and it is fsynced and renamed over
 * TARGET.  An existing TARGET is replaced only with force, and is kept as
 * TARGET.pre-restore-<stamp> (with its -wal, -shm and -journal files, so
 * that a stale WAL is never applied to the restored database).
 */
#ifndef ARK_RESTORE_H
#define ARK_RESTORE_H

#include <stdint.h>

#include "ark/error.h"

struct ark_restore_options {
	const char *archive;
	const char *target;
	int force;    /* replace an existing or in-use TARGET, keeping it */
	int progress; /* draw progress on a terminal */
};

struct ark_restore_result {
	char target[4096];
	char kept[4096];      /* where the old TARGET went; "" when none */
	int kept_by_rename;   /* moved, not hard-linked (no hard links on
				 this file system) */
	int target_was_in_use; /* another process had it open (with force) */
	uint64_t bytes;        /* bytes of the restored database */
	char integrity[512];   /* integrity_check of the restored file */
	double seconds;
};

int ark_restore_run(const struct ark_restore_options *options,
		    struct ark_restore_result *result, struct ark_error *err);

/*
 * pid of a process (other than this one) that has path open, 0 when none
 * is found, -1 when path does not exist.  Scans /proc.
 */
int ark_restore_find_user(const char *path);

#endif
