/*
 * pg/pgdump_internal.h - PostgreSQL's own pg_dump, found and run for
 * ark-pg-backup (lib/pg/pgbackup.c): the schema sections at an exported
 * snapshot, so the DDL stays exact across server versions.
 *
 * pg_dump runs from an argv array (no shell, ark/proc.h), its output read
 * through a pipe into memory up to a limit.  The connection reaches it as the user
 * gave it to ark, without its password: "-d <scrubbed conninfo>" and the
 * password, when the conninfo held one, in the child's PGPASSWORD (never
 * on its argv, which other users can read in /proc); .pgpass, PGPASSFILE,
 * PGPASSWORD and service files work as they do for ark.  --no-password:
 * pg_dump never prompts (cron).
 */
#ifndef ARK_PG_PGDUMP_INTERNAL_H
#define ARK_PG_PGDUMP_INTERNAL_H

#include <stddef.h>

#include "ark/buf.h"
#include "ark/error.h"

struct ark_pgdump {
	char path[4096];
	int major; /* 15 for "pg_dump (PostgreSQL) 15.18" */
};

/*
 * The pg_dump to use for a server of major version server_major.  With
 * explicit_path (--pg-dump), that one, which must be at least the
 * server's major version.  Else the candidates are every
 * /usr/lib/postgresql/<N>/bin/pg_dump and pg_dump in PATH: the one of the
 * server's major version, else the oldest newer one (a newer pg_dump
 * reads older servers, but may write SQL an older target rejects).  When
 * none fits: ARK_ERR_UNSUPPORTED naming what to install.
 */
int ark_pgdump_find(const char *explicit_path, int server_major,
		    struct ark_pgdump *out, struct ark_error *err);

/*
 * Run pg_dump with args (NULL-terminated, after the connection options)
 * for the database conninfo (NULL: DATABASE_URL when set, else libpq's
 * PG* defaults); its standard output, NUL-terminated, replaces what out
 * held (out untouched on failure).  At most max bytes: more stops
 * pg_dump there (ARK_ERR_UNSUPPORTED, what says what it was dumping).
 * A failure of pg_dump is ARK_ERR_PG_QUERY with its first error line;
 * one that cannot be started ARK_ERR_UNSUPPORTED; a stop signal ends it
 * (ARK_ERR_INTERRUPTED).
 */
int ark_pgdump_run(const struct ark_pgdump *dump, const char *conninfo,
		   const char *const *args, const char *what,
		   struct ark_buf *out, size_t max, struct ark_error *err);

#endif
