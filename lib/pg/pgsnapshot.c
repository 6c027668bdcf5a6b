/*
 * pgsnapshot.c - export a snapshot, adopt it (ark/pgsnapshot.h).
 */
#include <string.h>

#include "ark/buf.h"
#include "ark/pgsnapshot.h"

int ark_pgsnapshot_export(struct ark_pg *pg, char id[ARK_PGSNAPSHOT_ID_MAX],
			  struct ark_error *err)
{
	struct ark_buf out = ARK_BUF_INIT;
	int is_null = 0, rc;

	id[0] = '\0';
	if ((rc = ark_pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ "
				  "READ ONLY", err)))
		return rc;
	rc = ark_pg_query_value(pg, "SELECT pg_catalog.pg_export_snapshot()",
				0, NULL, &out, &is_null, err);
	if (rc == 0 && (is_null || out.len == 0 ||
			out.len >= ARK_PGSNAPSHOT_ID_MAX))
		rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
				   "server \"%s\": pg_export_snapshot() "
				   "returned no usable snapshot id",
				   ark_pg_safe_conninfo(pg));
	if (rc == 0)
		memcpy(id, out.data, out.len + 1);
	else
		(void)ark_pg_exec(pg, "ROLLBACK", NULL);
	ark_buf_free(&out);
	return rc;
}

int ark_pgsnapshot_import(struct ark_pg *pg, const char *id,
			  struct ark_error *err)
{
	struct ark_buf sql = ARK_BUF_INIT;
	int rc;

	ark_buf_append_str(&sql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ "
				 "ONLY; SET TRANSACTION SNAPSHOT ");
	ark_pg_append_literal(&sql, id);
	if (ark_buf_failed(&sql))
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0, "out of memory");
	else
		rc = ark_pg_exec(pg, sql.data, err);
	ark_buf_free(&sql);
	return rc;
}
