/*
 * ark/pg.h - the PostgreSQL connection, owned by one module (lib/pg/pg.c).
 *
 * Everything ark says to a server goes through here: the connection
 * (libpq conninfo or URI; NULL means DATABASE_URL, else libpq's PG*
 * variables, .pgpass and service files), parameterised queries, COPY in
 * both directions, notices (routed to ark's log at debug level, warnings
 * at warn), SQLSTATE mapped onto the error catalogue, and cancellation on
 * a stop signal.  No password ever reaches a message, a log line or an
 * archive: ark_pg_safe_conninfo() is the only form of a connection string
 * that leaves this module.
 *
 * Every session is set up the same way, so values print the same way on
 * every server version (12 to 18) and the digest (ark/digest.h) can rely
 * on it: client_encoding UTF8, DateStyle ISO, IntervalStyle postgres,
 * TimeZone UTC, extra_float_digits 3 (shortest exact floats),
 * bytea_output hex, standard_conforming_strings on, search_path empty
 * (every name ark sends is schema-qualified and quoted).
 *
 * Errors (docs/connection.md): ARK_ERR_PG_CONNECT (cannot reach the
 * server, bad conninfo, connect timeout, a server older than 12),
 * ARK_ERR_PG_AUTH (SQLSTATE 28000/28P01, or libpq's password messages),
 * ARK_ERR_PG_QUERY (any failed statement: "server \"<safe conninfo>\":
 * <message>[; <detail>] (SQLSTATE xxxxx)"; a lost connection says
 * "connection lost: "), ARK_ERR_INTERRUPTED when a stop signal cancelled
 * the statement (a cancel from anywhere else is a plain PG_QUERY,
 * SQLSTATE 57014).  Messages are one line, names in them escaped.
 *
 * Waiting: statements are waited for in short poll() slices; once the
 * stop flag is up, the running statement is cancelled and no new one is
 * sent (ARK_ERR_INTERRUPTED).  The connect timeout is connect_timeout
 * (conninfo, service file, PGCONNECT_TIMEOUT), else 30 s per host.
 */
#ifndef ARK_PG_H
#define ARK_PG_H

#include <stddef.h>
#include <stdint.h>

#include "ark/buf.h"
#include "ark/error.h"

struct ark_pg; /* one connection; not shared between threads */

/*
 * Connect.  conninfo: a libpq key=value string or a postgresql:// URI, or
 * NULL for DATABASE_URL (when set and non-empty) else libpq's defaults.
 * application_name: e.g. "ark-transfer" (an application_name in conninfo
 * or PGAPPNAME wins).  On failure *out is NULL.  Also hooks
 * ark_pg_cancel_all() into fsio's stop signal path.
 */
int ark_pg_connect(const char *conninfo, const char *application_name,
		   struct ark_pg **out, struct ark_error *err);
void ark_pg_free(struct ark_pg *pg); /* NULL is a no-op */

/* The conninfo with any password removed, for messages and logs:
 * "host=/tmp/x dbname=app user=ark" or the URI without its password. */
const char *ark_pg_safe_conninfo(const struct ark_pg *pg);
/* The same scrubbing for a connection string not (yet) connected to:
 * conninfo without password/sslpassword pairs, a URI without the
 * password of its user part or password= parameters; appended to out.
 * NULL appends nothing. */
void ark_pg_scrub_conninfo(const char *conninfo, struct ark_buf *out);
/* server_version_num, e.g. 150004. */
int ark_pg_server_version(const struct ark_pg *pg);
/* The database name the connection is to. */
const char *ark_pg_database(const struct ark_pg *pg);

/* The raw libpq connection, for code in lib/pg/ that needs it. */
struct pg_conn *ark_pg_conn(struct ark_pg *pg);

/*
 * Set ark's session settings again (above), after SQL that may have
 * changed them (an archive's SET statements), before digesting COPY TO.
 */
int ark_pg_session_reset(struct ark_pg *pg, struct ark_error *err);

/*
 * Run SQL that returns no rows (DDL, SET, BEGIN/COMMIT...).  Several
 * statements may be sent in one string when nparams is 0.
 */
int ark_pg_exec(struct ark_pg *pg, const char *sql, struct ark_error *err);
int ark_pg_execf(struct ark_pg *pg, struct ark_error *err, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/*
 * A query with text parameters ($1...; NULL entries are SQL NULL) and text
 * results.  *out receives the result, freed with ark_pg_result_free().
 */
struct ark_pg_result;
int ark_pg_query(struct ark_pg *pg, const char *sql, int nparams,
		 const char *const *params, struct ark_pg_result **out,
		 struct ark_error *err);
void ark_pg_result_free(struct ark_pg_result *result); /* NULL: no-op */
int ark_pg_result_rows(const struct ark_pg_result *result);
int ark_pg_result_columns(const struct ark_pg_result *result);
/* The value's text, or NULL for SQL NULL. */
const char *ark_pg_result_value(const struct ark_pg_result *result, int row,
				int column);
/* One value of a one-row query, copied into out; ARK_ERR_PG_QUERY when
 * there is not exactly one row.  NULL gives "" and *is_null 1. */
int ark_pg_query_value(struct ark_pg *pg, const char *sql, int nparams,
		       const char *const *params, struct ark_buf *out,
		       int *is_null, struct ark_error *err);

/*
 * COPY FROM STDIN: begin with the full COPY statement, send data in any
 * chunks, end.  ark_pg_copy_in_end() returns the server's row count in
 * *rows.  ark_pg_copy_in_abort() ends a COPY with an error (nothing is
 * kept) after a failure on ark's side; it fills no error of its own.
 * After any failure of _put or _end, call _abort: it is a no-op when the
 * COPY has already ended.  A server error in the data (bad row) is
 * reported by _end (or by a later _put).  No other statement may be sent
 * while a COPY is open (ARK_ERR_INTERNAL).
 */
int ark_pg_copy_in_begin(struct ark_pg *pg, const char *copy_sql,
			 struct ark_error *err);
int ark_pg_copy_in_put(struct ark_pg *pg, const void *data, size_t len,
		       struct ark_error *err);
int ark_pg_copy_in_end(struct ark_pg *pg, uint64_t *rows,
		       struct ark_error *err);
void ark_pg_copy_in_abort(struct ark_pg *pg, const char *why);

/*
 * COPY ... TO STDOUT: the rows the server sends are passed to sink in
 * batches of about 64 KiB (a whole number of rows per call in text
 * format; a longer row alone).  A sink that returns non-zero stops the
 * copy (the connection is cancelled and drained, and stays usable); its
 * code is returned and its error kept.
 */
typedef int (*ark_pg_copy_sink)(void *context, const char *data, size_t len,
				struct ark_error *err);
int ark_pg_copy_out(struct ark_pg *pg, const char *copy_sql,
		    ark_pg_copy_sink sink, void *context,
		    struct ark_error *err);

/*
 * Quote an identifier the way PostgreSQL reads it back exactly: always
 * in double quotes, inner quotes doubled (no libpq round trip needed).
 * Appends to out.  "schema"."table" with ark_pg_append_qualified().
 */
void ark_pg_append_ident(struct ark_buf *out, const char *name);
void ark_pg_append_qualified(struct ark_buf *out, const char *schema,
			     const char *name);
/* A string literal: E'...' with quotes and backslashes escaped. */
void ark_pg_append_literal(struct ark_buf *out, const char *text);

/*
 * Stop signals: after ark_fsio's stop flag is raised, the signal path
 * calls ark_pg_cancel_all() (ark_fsio_set_stop_hook), which sends
 * PQcancel for every live connection's running statement
 * (async-signal-safe: PQcancel is; the registry is lock-free).  May also
 * be called from any thread.  At most 128 connections are open at once.
 */
void ark_pg_cancel_all(void);

#endif
