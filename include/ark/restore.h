/*
 * ark/restore.h - archive back to a database (ark-restore).
 *
 * SQLite archives: TARGET is locked (.NAME.ark-lock beside it) for the
 * whole run; the archive is verified before anything is written; the
 * image is written to a temporary beside TARGET, its hashes are checked
 * and the database too (quick_check, or integrity_check with full_check,
 * or none when the archive records a passing integrity_check), and it is
 * fsynced and renamed over TARGET.  An existing TARGET is replaced only
 * with force, and is kept as TARGET.pre-restore-<stamp> (or <stamp>.N
 * when that name is taken; with its -wal, -shm and -journal files, so
 * that a stale WAL is never applied to the restored database).
 */
#ifndef ARK_RESTORE_H
#define ARK_RESTORE_H

#include <stdint.h>

#include "ark/error.h"
#include "ark/pgrestore.h"

struct ark_restore_options {
	const char *archive;
	const char *target;
	int force;    /* replace an existing or in-use TARGET, keeping it */
	int progress; /* draw progress on a terminal */
	int full_check;    /* PRAGMA integrity_check, not the default check */
	int allow_damaged; /* restore a database that fails its check, and
			      return ARK_ERR_DAMAGED_RESTORED */
	/* pg archives (ark/pgrestore.h): target is a conninfo, or NULL */
	int create;
	int clean;
	int single_transaction;
	int jobs; /* 0: one per CPU */
	const char *const *tables;
	size_t table_count;
};

struct ark_restore_result {
	char target[4096];
	char kept[4096];      /* where the old TARGET went; "" when none */
	int kept_by_rename;   /* moved, not hard-linked (no hard links on
				 this file system) */
	int target_was_in_use; /* another process had it open (with force) */
	uint64_t bytes;        /* bytes of the restored database */
	char check[24];        /* "quick_check", "integrity_check", or
				  "recorded": the archive records a passing
				  integrity_check and the hashes match */
	char integrity[512];   /* "ok" or the problems the check found */
	double seconds;
	char kind[16];               /* the archive's kind */
	struct ark_pgrestore_result pg; /* kind pg: what was restored, or
					   how far it got */
};

/*
 * 0 when TARGET holds the restored database; ARK_ERR_LOCKED when another
 * restore of TARGET runs; ARK_ERR_INTEGRITY when the database fails its
 * check (nothing written), or with allow_damaged ARK_ERR_DAMAGED_RESTORED
 * after restoring it (result filled as for 0).  On any other failure
 * TARGET is as it was, or err names where a kept file was left.
 */
int ark_restore_run(const struct ark_restore_options *options,
		    struct ark_restore_result *result, struct ark_error *err);

/*
 * pid of a process (other than this one) that has path open, 0 when none
 * is found, -1 when path does not exist.  Scans /proc.
 */
int ark_restore_find_user(const char *path);

#endif
