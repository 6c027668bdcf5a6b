/*
 * ark/pgsnapshot.h - one view of a live PostgreSQL database for several
 * connections: the first opens a REPEATABLE READ READ ONLY transaction and
 * exports its snapshot (pg_export_snapshot()); the others adopt it (SET
 * TRANSACTION SNAPSHOT), as pg_dump -j does.  Every connection then reads
 * the database as of one moment while the application writes on.  The
 * exporting transaction must stay open until every importer has begun.
 * Used by ark-checksum-verify (lib/pg/compare.c) and ark-pg-backup
 * (lib/pg/pgbackup.c; pg_dump --snapshot adopts it too).
 *
 * PostgreSQL exports snapshots on a primary and, since version 10, on a
 * hot standby.
 */
#ifndef ARK_PGSNAPSHOT_H
#define ARK_PGSNAPSHOT_H

#include "ark/error.h"
#include "ark/pg.h"

/* Room for a snapshot id ("00000003-0000001B-1" and the like). */
#define ARK_PGSNAPSHOT_ID_MAX 64

/*
 * BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY, then export the
 * snapshot into id.  When the export fails the transaction is rolled back
 * (the connection stays usable, outside a transaction) and the error is
 * returned: ARK_ERR_PG_QUERY with the server's message.
 */
int ark_pgsnapshot_export(struct ark_pg *pg, char id[ARK_PGSNAPSHOT_ID_MAX],
			  struct ark_error *err);

/*
 * BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY and adopt the snapshot
 * id (exported by a transaction still open).
 */
int ark_pgsnapshot_import(struct ark_pg *pg, const char *id,
			  struct ark_error *err);

#endif
