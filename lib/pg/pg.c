/*
 * pg.c - the PostgreSQL connection (ark/pg.h).
 *
 * The one module that talks libpq.  Statements are sent with the
 * asynchronous calls (PQsendQuery*, PQgetResult) and waited for with
 * poll() in short slices, so a stop signal is noticed while the server
 * works: the first slice that sees the stop flag sends a cancel, and the
 * server's "canceling statement" error becomes ARK_ERR_INTERRUPTED.  The
 * signal handler also cancels every live connection at once through the
 * registry below (ark_pg_cancel_all, hooked into fsio's stop path), so
 * statements of threads that are not waiting in this module stop too.
 *
 * Passwords: the connection string the user gave is kept only in
 * scrubbed form (ark_pg_scrub_conninfo); a message built from libpq's
 * error text at connect time has every password of that string (as
 * written and as decoded) replaced by "***" before it leaves.
 */
#include "ark/pg.h"
#include "ark/fsio.h"
#include "ark/log.h"
#include "ark/text.h"

#include <ctype.h>
#include <errno.h>
#include "pg/pq_internal.h"
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Oldest server ark works with: the catalogs and COPY forms it uses. */
#define PG_MIN_SERVER_VERSION 120000
/* connect_timeout when neither the conninfo, a service file nor
 * PGCONNECT_TIMEOUT gives one (libpq's own default is to wait forever). */
#define PG_DEFAULT_CONNECT_TIMEOUT 30
/*
 * COPY TO STDOUT rows are handed to the sink in batches of about this
 * size: PQgetCopyData() returns one row per call, and a sink call per row
 * (hash state, zstd stage) would cost more than the row itself on narrow
 * tables.  64 KiB keeps the batch in L2 and the calls few.
 */
#define PG_COPY_BATCH (64 * 1024)
/* Live connections the stop signal can cancel (one per worker). */
#define PG_CANCEL_SLOTS 128
/* Longest wait in poll() before the stop flag is looked at again. */
#define PG_POLL_MS 200
/* Longest piece of a server message (primary, detail) kept in an error. */
#define PG_PIECE_MAX 360
/* Longest form of the connection string kept in an error. */
#define PG_SAFE_MAX 200
/* Passwords collected from one connection string, to redact. */
#define PG_SECRETS_MAX 8

_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2,
	       "the signal handler needs lock-free atomic pointers");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
	       "the signal handler needs lock-free atomic_int");

enum pg_copy_state {
	PG_COPY_NONE = 0,
	PG_COPY_IN,
};

struct ark_pg {
	PGconn *conn;
	char *safe;          /* ark_pg_safe_conninfo() */
	char *database;
	int version;         /* server_version_num */
	PGcancel *cancel;    /* for this connection, also in the registry */
	int slot;            /* registry slot, -1 when not registered */
	enum pg_copy_state copy;
};

struct ark_pg_result {
	PGresult *res;
};

/* ---- the cancel registry ---- */

/*
 * ark_pg_cancel_all() runs in a signal handler: it may not lock or
 * allocate.  A connection publishes its PGcancel in a free slot with a
 * compare-and-swap; the handler counts itself in pg_cancel_active before
 * it reads the slots, and a connection that leaves clears its slot and
 * then waits until no canceller is active before freeing the PGcancel,
 * with the stop signals blocked in its own thread (so the handler cannot
 * be the one it waits for).  Sequentially consistent atomics: either the
 * handler sees the cleared slot, or the leaving thread sees the handler.
 */
static _Atomic(PGcancel *) pg_cancel_slots[PG_CANCEL_SLOTS];
static atomic_int pg_cancel_active;

static void pg_stop_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGALRM);
}

static int pg_registry_add(PGcancel *cancel)
{
	for (int i = 0; i < PG_CANCEL_SLOTS; i++) {
		PGcancel *expected = NULL;

		if (atomic_compare_exchange_strong(&pg_cancel_slots[i],
						   &expected, cancel))
			return i;
	}
	return -1;
}

static void pg_registry_remove(int slot)
{
	sigset_t set, saved;

	if (slot < 0)
		return;
	pg_stop_signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, &saved);
	atomic_store(&pg_cancel_slots[slot], NULL);
	while (atomic_load(&pg_cancel_active) != 0) {
		struct timespec pause_time = {0, 1000000};

		nanosleep(&pause_time, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

void ark_pg_cancel_all(void)
{
	int saved_errno = errno;
	char message[256];

	atomic_fetch_add(&pg_cancel_active, 1);
	for (int i = 0; i < PG_CANCEL_SLOTS; i++) {
		PGcancel *cancel = atomic_load(&pg_cancel_slots[i]);

		/* PQcancel is async-signal-safe (libpq's documentation). */
		if (cancel != NULL)
			(void)PQcancel(cancel, message, sizeof(message));
	}
	atomic_fetch_sub(&pg_cancel_active, 1);
	errno = saved_errno;
}

/* Cancel this connection's running statement (outside a handler). */
static void pg_cancel_own(struct ark_pg *pg)
{
	char message[256];

	if (pg->cancel != NULL &&
	    !PQcancel(pg->cancel, message, sizeof(message)))
		ark_log(ARK_LOG_DEBUG, "cannot cancel the statement on %s: %s",
			pg->safe, message);
}

/* ---- one-line messages ---- */

/*
 * Append text cut to max bytes (never inside a UTF-8 character; "..."
 * marks the cut), as one line: ark_text_escape() makes control bytes
 * visible (a newline as \n).  With libpq_lines, the text is one of
 * libpq's own multi-line messages: its line breaks become "; " (or a
 * space before its tab-indented continuation lines) and runs of spaces
 * one space ("FATAL:  password..." reads "FATAL: password...").
 */
static void pg_append_one_line(struct ark_buf *out, const char *text,
			       size_t max, int libpq_lines)
{
	struct ark_buf line = ARK_BUF_INIT;
	size_t len = strlen(text);
	size_t cut;

	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	cut = len;
	if (cut > max) {
		cut = max;
		while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (size_t i = 0; i < cut; i++) {
		char c = text[i];

		if (c == '\n' && libpq_lines) {
			while (i + 1 < cut && text[i + 1] == '\n')
				i++;
			if (i + 1 < cut && text[i + 1] == '\t') {
				i++;
				c = ' ';
			} else {
				if (line.len > 0)
					ark_buf_append_str(&line, "; ");
				continue;
			}
		}
		if (c == ' ' && libpq_lines && line.len > 0 &&
		    line.data[line.len - 1] == ' ')
			continue;
		ark_buf_append_char(&line, c);
	}
	if (cut < len)
		ark_buf_append_str(&line, "...");
	/* An escape takes at most 4 bytes (\xHH) for one. */
	if (line.data != NULL && ark_buf_reserve(out, 4 * line.len) == 0) {
		ark_text_escape(line.data, out->data + out->len, 4 * line.len + 1);
		out->len += strlen(out->data + out->len);
	}
	if (ark_buf_failed(&line))
		out->failed = 1;
	ark_buf_free(&line);
}

/* ---- connection strings and their passwords ---- */

struct pg_secrets {
	char *items[PG_SECRETS_MAX];
	int count;
};

static void pg_secrets_add(struct pg_secrets *secrets, const char *text,
			   size_t len)
{
	if (secrets == NULL || len == 0 || secrets->count >= PG_SECRETS_MAX)
		return;
	secrets->items[secrets->count] = strndup(text, len);
	if (secrets->items[secrets->count] != NULL)
		secrets->count++;
}

static void pg_secrets_free(struct pg_secrets *secrets)
{
	for (int i = 0; i < secrets->count; i++)
		free(secrets->items[i]);
	secrets->count = 0;
}

/* text with every occurrence of every secret replaced by "***". */
static void pg_redact(struct ark_buf *text, const struct pg_secrets *secrets)
{
	struct ark_buf result = ARK_BUF_INIT;

	if (text->data == NULL)
		return;
	for (int i = 0; i < secrets->count; i++) {
		const char *secret = secrets->items[i];
		size_t secret_len = strlen(secret);
		const char *from = text->data;
		const char *hit;

		ark_buf_reset(&result);
		while ((hit = strstr(from, secret)) != NULL) {
			ark_buf_append(&result, from, (size_t)(hit - from));
			ark_buf_append_str(&result, "***");
			from = hit + secret_len;
		}
		if (from == text->data)
			continue;
		ark_buf_append_str(&result, from);
		ark_buf_reset(text);
		if (ark_buf_failed(&result)) {
			/* Better nothing than a password. */
			ark_buf_append_str(text, "(message withheld)");
			break;
		}
		ark_buf_append(text, result.data, result.len);
	}
	ark_buf_free(&result);
}

/* Length of "scheme://" at the start of text (RFC 3986 scheme), or 0. */
static size_t pg_uri_prefix_length(const char *text)
{
	size_t i = 0;

	if (!isalpha((unsigned char)text[0]))
		return 0;
	while (isalnum((unsigned char)text[i]) || text[i] == '+' ||
	       text[i] == '-' || text[i] == '.')
		i++;
	if (strncmp(text + i, "://", 3) != 0)
		return 0;
	return i + 3;
}

static int pg_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Does the URI query keyword [text, text+len), percent-decoded, name a
 * password? */
static int pg_uri_key_is_secret(const char *text, size_t len)
{
	char key[32];
	size_t used = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '%' && i + 2 < len && pg_hex_value(text[i + 1]) >= 0 &&
		    pg_hex_value(text[i + 2]) >= 0) {
			c = (char)(pg_hex_value(text[i + 1]) * 16 +
				   pg_hex_value(text[i + 2]));
			i += 2;
		}
		if (used + 1 >= sizeof(key))
			return 0;
		key[used++] = c;
	}
	key[used] = '\0';
	return strcmp(key, "password") == 0 || strcmp(key, "sslpassword") == 0;
}

/*
 * A URI without its passwords.  libpq ends the user part at the first
 * '@' before any '/' and takes what follows its first ':' as the
 * password; a password with a raw '@' in it (common, though it should be
 * written %40) would leave its tail in view, so ark cuts at the last '@'
 * before the '/' instead, and hides each '@'-separated piece in libpq's
 * messages too.  password= and sslpassword= query parameters are
 * dropped.
 */
static void pg_scrub_uri(const char *uri, size_t prefix_len,
			 struct ark_buf *out, struct pg_secrets *secrets)
{
	const char *p = uri + prefix_len;
	const char *at = NULL;
	const char *query;
	int kept = 0;

	ark_buf_append(out, uri, prefix_len);
	for (const char *scan = p; *scan != '\0' && *scan != '/'; scan++)
		if (*scan == '@')
			at = scan;
	if (at != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (colon != NULL) {
			const char *piece = colon + 1;

			ark_buf_append(out, p, (size_t)(colon - p));
			pg_secrets_add(secrets, colon + 1,
				       (size_t)(at - colon - 1));
			for (const char *c = piece; c <= at; c++) {
				if (*c != '@')
					continue;
				if (c != at || piece != colon + 1)
					pg_secrets_add(secrets, piece,
						       (size_t)(c - piece));
				piece = c + 1;
			}
		} else {
			ark_buf_append(out, p, (size_t)(at - p));
		}
		ark_buf_append_char(out, '@');
		p = at + 1;
	}
	query = strchr(p, '?');
	if (query == NULL) {
		ark_buf_append_str(out, p);
		return;
	}
	ark_buf_append(out, p, (size_t)(query - p));
	p = query + 1;
	while (*p != '\0') {
		const char *end = strchr(p, '&');
		const char *equals;
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		equals = memchr(p, '=', len);
		if (equals != NULL && pg_uri_key_is_secret(p, (size_t)(equals - p))) {
			pg_secrets_add(secrets, equals + 1,
				       len - (size_t)(equals - p) - 1);
		} else if (len > 0) {
			ark_buf_append_char(out, kept ? '&' : '?');
			ark_buf_append(out, p, len);
			kept = 1;
		}
		p += len;
		if (*p == '&')
			p++;
	}
}

/*
 * A key=value string without its password and sslpassword pairs,
 * tokenised as libpq does (values quoted with '...' or bare, backslash
 * escapes either way).  Pairs are kept as written, one space apart.  A
 * malformed tail is kept only up to the last whole pair, plus " ...".
 */
static void pg_scrub_keyvalue(const char *text, struct ark_buf *out,
			      struct pg_secrets *secrets)
{
	const char *p = text;
	int kept = 0;

	for (;;) {
		const char *key, *key_end, *value, *value_end;
		int quoted = 0;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return;
		key = p;
		while (*p != '\0' && *p != '=' && !isspace((unsigned char)*p))
			p++;
		key_end = p;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			goto malformed;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		value = p;
		if (*p == '\'') {
			quoted = 1;
			p++;
			while (*p != '\0' && *p != '\'') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				p++;
			}
			if (*p != '\'')
				goto malformed;
			p++;
		} else {
			while (*p != '\0' && !isspace((unsigned char)*p)) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				p++;
			}
		}
		value_end = p;
		if ((key_end - key == 8 && strncmp(key, "password", 8) == 0) ||
		    (key_end - key == 11 &&
		     strncmp(key, "sslpassword", 11) == 0)) {
			pg_secrets_add(secrets, value + quoted,
				       (size_t)(value_end - value) -
					       2 * (size_t)quoted);
			continue;
		}
		if (kept)
			ark_buf_append_char(out, ' ');
		ark_buf_append(out, key, (size_t)(key_end - key));
		ark_buf_append_char(out, '=');
		if (!quoted && pg_uri_prefix_length(value) > 0) {
			/* dbname=postgresql://user:secret@host/db */
			char *inner = strndup(value, (size_t)(value_end - value));

			if (inner == NULL) {
				out->failed = 1;
				return;
			}
			pg_scrub_uri(inner, pg_uri_prefix_length(inner), out,
				     secrets);
			free(inner);
		} else {
			ark_buf_append(out, value, (size_t)(value_end - value));
		}
		kept = 1;
	}

malformed:
	ark_buf_append_str(out, kept ? " ..." : "...");
	/* A password may sit in the part left out: hide any "password"
	 * value there from libpq's own message too. */
	{
		const char *hit = strstr(p, "password");

		if (hit != NULL)
			pg_secrets_add(secrets, hit, strlen(hit));
	}
}

/* The password values libpq itself reads from text (decoded). */
static void pg_collect_parsed_secrets(const char *text,
				      struct pg_secrets *secrets)
{
	PQconninfoOption *options;

	if (ark_pq_load(NULL) != 0)
		return;
	options = PQconninfoParse(text, NULL);
	if (options == NULL)
		return;
	for (PQconninfoOption *option = options; option->keyword != NULL;
	     option++) {
		if (option->val != NULL &&
		    (strcmp(option->keyword, "password") == 0 ||
		     strcmp(option->keyword, "sslpassword") == 0))
			pg_secrets_add(secrets, option->val,
				       strlen(option->val));
	}
	PQconninfoFree(options);
}

static void pg_scrub(const char *conninfo, struct ark_buf *out,
		     struct pg_secrets *secrets)
{
	size_t prefix_len = pg_uri_prefix_length(conninfo);

	if (prefix_len > 0)
		pg_scrub_uri(conninfo, prefix_len, out, secrets);
	else if (strchr(conninfo, '=') != NULL)
		pg_scrub_keyvalue(conninfo, out, secrets);
	else
		ark_buf_append_str(out, conninfo); /* a database name */
	pg_collect_parsed_secrets(conninfo, secrets);
}

void ark_pg_scrub_conninfo(const char *conninfo, struct ark_buf *out)
{
	struct pg_secrets secrets = {{NULL}, 0};

	if (conninfo == NULL)
		return;
	pg_scrub(conninfo, out, &secrets);
	pg_secrets_free(&secrets);
}

/* A conninfo value as libpq reads it back: bare, or quoted. */
static void pg_append_conninfo_value(struct ark_buf *out, const char *value)
{
	int bare = value[0] != '\0';

	for (const char *p = value; *p != '\0'; p++)
		if (isspace((unsigned char)*p) || *p == '\'' || *p == '\\')
			bare = 0;
	if (bare) {
		ark_buf_append_str(out, value);
		return;
	}
	ark_buf_append_char(out, '\'');
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			ark_buf_append_char(out, '\\');
		ark_buf_append_char(out, *p);
	}
	ark_buf_append_char(out, '\'');
}

/* "host=... port=... dbname=... user=..." of libpq's defaults. */
static void pg_describe_defaults(PGconn *conn, struct ark_buf *out)
{
	const char *keys[] = {"host", "port", "dbname", "user"};
	const char *values[4];

	values[0] = PQhost(conn);
	values[1] = PQport(conn);
	values[2] = PQdb(conn);
	values[3] = PQuser(conn);
	for (int i = 0; i < 4; i++) {
		if (values[i] == NULL || values[i][0] == '\0')
			continue;
		if (out->len > 0)
			ark_buf_append_char(out, ' ');
		ark_buf_appendf(out, "%s=", keys[i]);
		pg_append_conninfo_value(out, values[i]);
	}
}

/* ---- errors ---- */

static int pg_oom(struct ark_error *err)
{
	return ark_error_set(err, ARK_ERR_INTERNAL, ENOMEM,
			     "PostgreSQL connection");
}

/* Is a connection failure an authentication failure?  libpq's and the
 * server's messages (SQLSTATE 28000, 28P01 are not available for a
 * connection that failed, only their text). */
static int pg_is_auth_failure(const char *message)
{
	static const char *const patterns[] = {
		"password authentication failed",
		"no password supplied",
		"authentication failed",
		"pg_hba.conf rejects connection",
		"no pg_hba.conf entry",
		"SCRAM authentication",
		"server requested a",
	};
	const char *role;

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (strstr(message, patterns[i]) != NULL)
			return 1;
	role = strstr(message, "role \"");
	return role != NULL && strstr(role, "\" does not exist") != NULL;
}

/* The connection failed: PG_AUTH or PG_CONNECT, libpq's text redacted. */
static int pg_connect_error(const char *safe, const char *what,
			    const char *libpq_message,
			    const struct pg_secrets *secrets,
			    struct ark_error *err)
{
	struct ark_buf message = ARK_BUF_INIT;
	int code = pg_is_auth_failure(libpq_message) ? ARK_ERR_PG_AUTH
						     : ARK_ERR_PG_CONNECT;

	ark_buf_appendf(&message, "%s \"", what);
	pg_append_one_line(&message, safe, PG_SAFE_MAX, 0);
	ark_buf_append_str(&message, "\": ");
	pg_append_one_line(&message, libpq_message, 2 * PG_PIECE_MAX, 1);
	pg_redact(&message, secrets);
	if (ark_buf_failed(&message))
		code = pg_oom(err);
	else
		ark_error_set(err, code, 0, "%s", message.data);
	ark_buf_free(&message);
	return code;
}

/* The server (or libpq) reported a failed statement. */
static int pg_result_error(struct ark_pg *pg, const PGresult *res,
			   struct ark_error *err)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *severity =
		PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	struct ark_buf message = ARK_BUF_INIT;
	int from_libpq = 0;
	int lost;
	int code = ARK_ERR_PG_QUERY;

	if (sqlstate != NULL && strcmp(sqlstate, "57014") == 0 &&
	    ark_fsio_interrupted())
		return ark_fsio_check_interrupt(err);
	if (primary == NULL) {
		/* libpq's own error (a lost connection): its text */
		from_libpq = 1;
		primary = PQresultErrorMessage(res);
		if (primary == NULL || primary[0] == '\0')
			primary = PQerrorMessage(pg->conn);
	}
	lost = PQstatus(pg->conn) == CONNECTION_BAD ||
	       (severity != NULL && (strcmp(severity, "FATAL") == 0 ||
				     strcmp(severity, "PANIC") == 0)) ||
	       (sqlstate != NULL && strncmp(sqlstate, "08", 2) == 0);

	ark_buf_append_str(&message, "server \"");
	pg_append_one_line(&message, pg->safe, PG_SAFE_MAX, 0);
	ark_buf_append_str(&message, "\": ");
	if (lost)
		ark_buf_append_str(&message, "connection lost: ");
	pg_append_one_line(&message, primary, PG_PIECE_MAX, from_libpq);
	if (detail != NULL && detail[0] != '\0') {
		ark_buf_append_str(&message, "; ");
		pg_append_one_line(&message, detail, PG_PIECE_MAX, 0);
	}
	if (sqlstate != NULL)
		ark_buf_appendf(&message, " (SQLSTATE %.5s)", sqlstate);
	if (ark_buf_failed(&message))
		code = pg_oom(err);
	else
		ark_error_set(err, code, 0, "%s", message.data);
	ark_buf_free(&message);
	return code;
}

/* A libpq call failed without a result: its connection message. */
static int pg_conn_error(struct ark_pg *pg, struct ark_error *err)
{
	struct ark_buf message = ARK_BUF_INIT;
	int code = ARK_ERR_PG_QUERY;

	ark_buf_append_str(&message, "server \"");
	pg_append_one_line(&message, pg->safe, PG_SAFE_MAX, 0);
	ark_buf_append_str(&message, "\": ");
	if (PQstatus(pg->conn) == CONNECTION_BAD)
		ark_buf_append_str(&message, "connection lost: ");
	pg_append_one_line(&message, PQerrorMessage(pg->conn), PG_PIECE_MAX, 1);
	if (ark_buf_failed(&message))
		code = pg_oom(err);
	else
		ark_error_set(err, code, 0, "%s", message.data);
	ark_buf_free(&message);
	return code;
}

/* ---- notices ---- */

static void pg_notice_receiver(void *context, const PGresult *res)
{
	struct ark_pg *pg = context;
	const char *severity =
		PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	struct ark_buf line = ARK_BUF_INIT;
	enum ark_log_level level = ARK_LOG_DEBUG;

	if (severity != NULL && strcmp(severity, "WARNING") == 0)
		level = ARK_LOG_WARN;
	if (level < ark_log_get_level())
		return;
	if (primary == NULL)
		primary = PQresultErrorMessage(res);
	pg_append_one_line(&line, primary != NULL ? primary : "",
			   2 * PG_PIECE_MAX, 0);
	ark_log(level, "server \"%s\": %s: %s", pg->safe,
		severity != NULL ? severity : "NOTICE",
		line.data != NULL ? line.data : "");
	ark_buf_free(&line);
}

/* ---- waiting ---- */

/*
 * Wait for the socket (POLLIN or POLLOUT) for at most one slice.  Once
 * the stop flag is up a cancel is sent for the running statement (once).
 * Returns 0 (ready or the slice ended) or an error of poll().
 */
static int pg_wait_socket(struct ark_pg *pg, short events, int *cancel_sent,
			  struct ark_error *err)
{
	struct pollfd pfd;

	if (ark_fsio_interrupted() && !*cancel_sent) {
		pg_cancel_own(pg);
		*cancel_sent = 1;
	}
	pfd.fd = PQsocket(pg->conn);
	pfd.events = events;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return 0;
	if (poll(&pfd, 1, PG_POLL_MS) < 0 && errno != EINTR)
		return ark_error_set(err, ARK_ERR_PG_QUERY, errno,
				     "server \"%s\": waiting for the server",
				     pg->safe);
	return 0;
}

/* Wait until PQgetResult() will not block.  0, or an error of poll(). */
static int pg_wait_result(struct ark_pg *pg, struct ark_error *err)
{
	int cancel_sent = 0;

	while (PQisBusy(pg->conn)) {
		int rc = pg_wait_socket(pg, POLLIN, &cancel_sent, err);

		if (rc != 0)
			return rc;
		if (!PQconsumeInput(pg->conn))
			return 0; /* PQgetResult() reports it */
	}
	return 0;
}

/*
 * Push out what libpq has queued: a no-op on a blocking connection (ark's
 * own), a loop on one a caller made non-blocking through ark_pg_conn().
 * Input is consumed meanwhile, as libpq asks, so a server that talks
 * back while we send cannot deadlock us.
 */
static int pg_flush(struct ark_pg *pg, struct ark_error *err)
{
	int cancel_sent = 0;
	int pending;

	while ((pending = PQflush(pg->conn)) > 0) {
		int rc = pg_wait_socket(pg, POLLIN | POLLOUT, &cancel_sent,
					err);

		if (rc != 0)
			return rc;
		if (!PQconsumeInput(pg->conn))
			return pg_conn_error(pg, err);
	}
	if (pending < 0)
		return pg_conn_error(pg, err);
	return 0;
}

/* Read and throw away the rest of a COPY TO STDOUT. */
static void pg_discard_copy_out(struct ark_pg *pg)
{
	char *row = NULL;

	while (PQgetCopyData(pg->conn, &row, 0) > 0) {
		PQfreemem(row);
		row = NULL;
	}
}

/*
 * Collect every result of the statement sent, until PQgetResult() says
 * there is no more.  The first error is kept; with keep, the last
 * successful result is handed over in *keep (the caller PQclears it).
 */
static int pg_finish(struct ark_pg *pg, PGresult **keep,
		     struct ark_error *err)
{
	int rc = 0;

	if (keep != NULL)
		*keep = NULL;
	for (;;) {
		PGresult *res;
		int wait_rc = pg_wait_result(pg, err);

		if (wait_rc != 0 && rc == 0)
			rc = wait_rc;
		res = PQgetResult(pg->conn);
		if (res == NULL)
			break;
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
			if (keep != NULL && rc == 0) {
				PQclear(*keep);
				*keep = res;
				res = NULL;
			}
			break;
		case PGRES_COPY_IN:
			if (PQputCopyEnd(pg->conn,
					 "ark: COPY FROM STDIN not expected here") < 0) {
				/* Cannot even end it: the connection is
				 * gone, and PQgetResult would say COPY_IN
				 * for ever. */
				PQclear(res);
				if (rc == 0)
					rc = pg_conn_error(pg, err);
				if (keep != NULL) {
					PQclear(*keep);
					*keep = NULL;
				}
				return rc;
			}
			if (rc == 0)
				rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
						   "server \"%s\": a statement started a COPY FROM STDIN where none was expected",
						   pg->safe);
			break;
		case PGRES_COPY_OUT:
			pg_discard_copy_out(pg);
			if (rc == 0)
				rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
						   "server \"%s\": a statement started a COPY TO STDOUT where none was expected",
						   pg->safe);
			break;
		case PGRES_COPY_BOTH:
			/* Not something ark starts; the connection is
			 * unusable in that mode. */
			PQclear(res);
			if (rc == 0)
				rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
						   "server \"%s\": unexpected replication COPY",
						   pg->safe);
			if (keep != NULL) {
				PQclear(*keep);
				*keep = NULL;
			}
			return rc;
		default:
			if (rc == 0)
				rc = pg_result_error(pg, res, err);
			break;
		}
		PQclear(res);
		if (PQstatus(pg->conn) == CONNECTION_BAD && PQisBusy(pg->conn))
			break;
	}
	if (rc != 0 && keep != NULL) {
		PQclear(*keep);
		*keep = NULL;
	}
	return rc;
}

/* Statements may start only when the connection is idle and no stop
 * signal came. */
static int pg_ready(struct ark_pg *pg, struct ark_error *err)
{
	int rc = ark_fsio_check_interrupt(err);

	if (rc != 0)
		return rc;
	if (pg->copy != PG_COPY_NONE)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "server \"%s\": a statement was sent during a COPY",
				     pg->safe);
	return 0;
}

/* ---- connecting ---- */

static int64_t pg_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/*
 * The effective connect_timeout in seconds (conninfo, service file or
 * PGCONNECT_TIMEOUT, else ark's 30), 0 for "wait forever"; -1 when the
 * value is not an integer.  Values 1 count as 2, as in libpq.
 */
static int pg_connect_timeout(PGconn *conn)
{
	PQconninfoOption *options = PQconninfo(conn);
	int timeout = PG_DEFAULT_CONNECT_TIMEOUT;

	if (options == NULL)
		return timeout;
	for (PQconninfoOption *option = options; option->keyword != NULL;
	     option++) {
		char *end;
		long value;

		if (strcmp(option->keyword, "connect_timeout") != 0 ||
		    option->val == NULL || option->val[0] == '\0')
			continue;
		errno = 0;
		value = strtol(option->val, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (errno != 0 || end == option->val || *end != '\0' ||
		    value > INT_MAX / 1000)
			timeout = -1;
		else if (value <= 0)
			timeout = 0;
		else
			timeout = value < 2 ? 2 : (int)value;
	}
	PQconninfoFree(options);
	return timeout;
}

/*
 * Drive PQconnectPoll() to the end, in poll() slices so a stop signal is
 * noticed.  The timeout runs per host tried (a new socket or host starts
 * it again), as libpq's connect_timeout does.
 */
static int pg_connect_poll(struct ark_pg *pg, int timeout_s,
			   const struct pg_secrets *secrets,
			   struct ark_error *err)
{
	PostgresPollingStatusType status = PGRES_POLLING_WRITING;
	int64_t deadline = 0;
	int last_fd = -2;
	const char *last_host = NULL;

	for (;;) {
		struct pollfd pfd;
		const char *host;
		int64_t wait_ms = PG_POLL_MS;
		int ready;

		if (status == PGRES_POLLING_OK)
			return 0;
		if (status == PGRES_POLLING_FAILED)
			return pg_connect_error(pg->safe, "cannot connect to",
						PQerrorMessage(pg->conn),
						secrets, err);
		pfd.fd = PQsocket(pg->conn);
		host = PQhost(pg->conn);
		if (pfd.fd != last_fd || host != last_host) {
			last_fd = pfd.fd;
			last_host = host;
			deadline = pg_now_ms() + (int64_t)timeout_s * 1000;
		}
		if (timeout_s > 0) {
			int64_t left = deadline - pg_now_ms();

			if (left <= 0) {
				char text[64];

				snprintf(text, sizeof(text),
					 "timeout expired after %d s",
					 timeout_s);
				return pg_connect_error(pg->safe,
							"cannot connect to",
							text, secrets, err);
			}
			if (left < wait_ms)
				wait_ms = left;
		}
		if (pfd.fd < 0) {
			/* No socket yet to wait on: let libpq go on. */
			status = PQconnectPoll(pg->conn);
			continue;
		}
		pfd.events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		ready = poll(&pfd, 1, (int)wait_ms);
		if (ready < 0 && errno != EINTR)
			return ark_error_set(err, ARK_ERR_PG_CONNECT, errno,
					     "cannot connect to \"%s\"",
					     pg->safe);
		if (ark_fsio_interrupted())
			return ark_fsio_check_interrupt(err);
		if (ready <= 0)
			continue;
		status = PQconnectPoll(pg->conn);
	}
}

/*
 * One round trip: the settings every value's printed form depends on
 * (ark/pg.h, docs/connection.md).
 */
static const char pg_session_sql[] =
	"SET client_encoding = 'UTF8'; "
	"SET DateStyle = 'ISO'; "
	"SET IntervalStyle = 'postgres'; "
	"SET TimeZone = 'UTC'; "
	"SET extra_float_digits = 3; "
	"SET bytea_output = 'hex'; "
	"SET standard_conforming_strings = on; "
	"SET search_path = ''";

int ark_pg_session_reset(struct ark_pg *pg, struct ark_error *err)
{
	return ark_pg_exec(pg, pg_session_sql, err);
}

int ark_pg_connect(const char *conninfo, const char *application_name,
		   struct ark_pg **out, struct ark_error *err)
{
	struct pg_secrets secrets = {{NULL}, 0};
	struct ark_buf safe = ARK_BUF_INIT;
	const char *keywords[3];
	const char *values[3];
	struct ark_pg *pg = NULL;
	size_t prefix_len;
	int count = 0;
	int timeout_s;
	int rc = 0;

	*out = NULL;
	if ((rc = ark_pq_load(err)))
		return rc;
	if (conninfo == NULL) {
		const char *url = getenv("DATABASE_URL");

		if (url != NULL && url[0] != '\0')
			conninfo = url;
	}
	pg = calloc(1, sizeof(*pg));
	if (pg == NULL) {
		rc = pg_oom(err);
		goto cleanup;
	}
	pg->slot = -1;

	if (conninfo != NULL)
		pg_scrub(conninfo, &safe, &secrets);
	prefix_len = conninfo != NULL ? pg_uri_prefix_length(conninfo) : 0;
	if (prefix_len > 0 && strncmp(conninfo, "postgresql://", 13) != 0 &&
	    strncmp(conninfo, "postgres://", 11) != 0) {
		/* libpq would take it for a database name, password and
		 * all. */
		rc = ark_error_set(err, ARK_ERR_PG_CONNECT, 0,
				   "cannot connect to \"%.*s\": unsupported URI scheme \"%.*s\" (libpq takes postgresql:// or postgres://)",
				   PG_SAFE_MAX, safe.data ? safe.data : "",
				   (int)(prefix_len - 3), conninfo);
		goto cleanup;
	}

	if (application_name != NULL && application_name[0] != '\0') {
		/* The user's application_name or PGAPPNAME wins. */
		keywords[count] = "fallback_application_name";
		values[count++] = application_name;
	}
	if (conninfo != NULL) {
		keywords[count] = "dbname";
		values[count++] = conninfo;
	}
	keywords[count] = NULL;
	values[count] = NULL;

	pg->conn = PQconnectStartParams(keywords, values, 1);
	if (pg->conn == NULL) {
		rc = pg_oom(err);
		goto cleanup;
	}
	if (safe.len == 0)
		pg_describe_defaults(pg->conn, &safe);
	if (ark_buf_failed(&safe)) {
		rc = pg_oom(err);
		goto cleanup;
	}
	/* Shown as one line wherever it goes (a value may hold a
	 * newline): escaped once, here. */
	pg->safe = malloc(4 * safe.len + 1);
	if (pg->safe == NULL) {
		rc = pg_oom(err);
		goto cleanup;
	}
	ark_text_escape(safe.data != NULL ? safe.data : "", pg->safe,
			4 * safe.len + 1);
	if (PQstatus(pg->conn) == CONNECTION_BAD) {
		rc = pg_connect_error(pg->safe, "cannot connect to",
				      PQerrorMessage(pg->conn), &secrets, err);
		goto cleanup;
	}
	PQsetNoticeReceiver(pg->conn, pg_notice_receiver, pg);

	timeout_s = pg_connect_timeout(pg->conn);
	if (timeout_s < 0) {
		rc = pg_connect_error(pg->safe, "cannot connect to",
				      "connect_timeout is not a whole number of seconds",
				      &secrets, err);
		goto cleanup;
	}
	rc = pg_connect_poll(pg, timeout_s, &secrets, err);
	if (rc != 0)
		goto cleanup;

	pg->version = PQserverVersion(pg->conn);
	if (pg->version < PG_MIN_SERVER_VERSION) {
		const char *shown = PQparameterStatus(pg->conn,
						      "server_version");

		rc = ark_error_set(err, ARK_ERR_PG_CONNECT, 0,
				   "cannot use \"%s\": the server runs PostgreSQL %.40s; ark needs PostgreSQL 12 or later",
				   pg->safe, shown != NULL ? shown : "(unknown)");
		goto cleanup;
	}
	pg->database = strdup(PQdb(pg->conn) ? PQdb(pg->conn) : "");
	pg->cancel = PQgetCancel(pg->conn);
	if (pg->database == NULL || pg->cancel == NULL) {
		rc = pg_oom(err);
		goto cleanup;
	}
	pg->slot = pg_registry_add(pg->cancel);
	if (pg->slot < 0) {
		rc = ark_error_set(err, ARK_ERR_INTERNAL, 0,
				   "cannot connect to \"%s\": more than %d connections are open",
				   pg->safe, PG_CANCEL_SLOTS);
		goto cleanup;
	}
	ark_fsio_set_stop_hook(ark_pg_cancel_all);

	rc = ark_pg_exec(pg, pg_session_sql, err);
	if (rc != 0) {
		ark_error_prefix(err, "setting up the session");
		goto cleanup;
	}
	*out = pg;
	pg = NULL;

cleanup:
	ark_pg_free(pg);
	ark_buf_free(&safe);
	pg_secrets_free(&secrets);
	return rc;
}

void ark_pg_free(struct ark_pg *pg)
{
	if (pg == NULL)
		return;
	pg_registry_remove(pg->slot);
	PQfreeCancel(pg->cancel);
	PQfinish(pg->conn);
	free(pg->safe);
	free(pg->database);
	free(pg);
}

const char *ark_pg_safe_conninfo(const struct ark_pg *pg)
{
	return pg->safe;
}

int ark_pg_server_version(const struct ark_pg *pg)
{
	return pg->version;
}

const char *ark_pg_database(const struct ark_pg *pg)
{
	return pg->database;
}

struct pg_conn *ark_pg_conn(struct ark_pg *pg)
{
	return pg->conn;
}

/* ---- statements ---- */

int ark_pg_exec(struct ark_pg *pg, const char *sql, struct ark_error *err)
{
	int rc = pg_ready(pg, err);

	if (rc != 0)
		return rc;
	if (!PQsendQuery(pg->conn, sql))
		return pg_conn_error(pg, err);
	rc = pg_flush(pg, err);
	if (rc != 0) {
		(void)pg_finish(pg, NULL, NULL);
		return rc;
	}
	return pg_finish(pg, NULL, err);
}

int ark_pg_execf(struct ark_pg *pg, struct ark_error *err, const char *fmt,
		 ...)
{
	struct ark_buf sql = ARK_BUF_INIT;
	va_list args;
	int rc;

	va_start(args, fmt);
	ark_buf_vappendf(&sql, fmt, args);
	va_end(args);
	if (ark_buf_failed(&sql) || sql.data == NULL)
		rc = pg_oom(err);
	else
		rc = ark_pg_exec(pg, sql.data, err);
	ark_buf_free(&sql);
	return rc;
}

int ark_pg_query(struct ark_pg *pg, const char *sql, int nparams,
		 const char *const *params, struct ark_pg_result **out,
		 struct ark_error *err)
{
	struct ark_pg_result *result = NULL;
	PGresult *res = NULL;
	int rc;

	*out = NULL;
	rc = pg_ready(pg, err);
	if (rc != 0)
		return rc;
	result = calloc(1, sizeof(*result));
	if (result == NULL)
		return pg_oom(err);
	if (!PQsendQueryParams(pg->conn, sql, nparams, NULL, params, NULL,
			       NULL, 0)) {
		rc = pg_conn_error(pg, err);
		goto cleanup;
	}
	rc = pg_flush(pg, err);
	if (rc != 0) {
		(void)pg_finish(pg, NULL, NULL);
		goto cleanup;
	}
	rc = pg_finish(pg, &res, err);
	if (rc != 0)
		goto cleanup;
	if (res == NULL) {
		rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
				   "server \"%s\": the query returned no result",
				   pg->safe);
		goto cleanup;
	}
	result->res = res;
	res = NULL;
	*out = result;
	result = NULL;

cleanup:
	PQclear(res);
	free(result);
	return rc;
}

void ark_pg_result_free(struct ark_pg_result *result)
{
	if (result == NULL)
		return;
	PQclear(result->res);
	free(result);
}

int ark_pg_result_rows(const struct ark_pg_result *result)
{
	return PQntuples(result->res);
}

int ark_pg_result_columns(const struct ark_pg_result *result)
{
	return PQnfields(result->res);
}

const char *ark_pg_result_value(const struct ark_pg_result *result, int row,
				int column)
{
	if (row < 0 || row >= PQntuples(result->res) || column < 0 ||
	    column >= PQnfields(result->res) ||
	    PQgetisnull(result->res, row, column))
		return NULL;
	return PQgetvalue(result->res, row, column);
}

int ark_pg_query_value(struct ark_pg *pg, const char *sql, int nparams,
		       const char *const *params, struct ark_buf *out,
		       int *is_null, struct ark_error *err)
{
	struct ark_pg_result *result = NULL;
	const char *value;
	int rc;

	rc = ark_pg_query(pg, sql, nparams, params, &result, err);
	if (rc != 0)
		return rc;
	if (ark_pg_result_rows(result) != 1 ||
	    ark_pg_result_columns(result) < 1) {
		rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
				   "server \"%s\": expected one value, the query returned %d rows of %d columns",
				   pg->safe, ark_pg_result_rows(result),
				   ark_pg_result_columns(result));
		goto cleanup;
	}
	value = ark_pg_result_value(result, 0, 0);
	if (is_null != NULL)
		*is_null = value == NULL;
	ark_buf_reset(out);
	ark_buf_append(out, value != NULL ? value : "",
		       value != NULL ? (size_t)PQgetlength(result->res, 0, 0)
				     : 0);
	if (ark_buf_failed(out))
		rc = pg_oom(err);

cleanup:
	ark_pg_result_free(result);
	return rc;
}

/* ---- COPY ---- */

/*
 * Send a COPY statement and wait for the server to enter the expected
 * mode.  Anything else (an error, a statement that is not such a COPY)
 * is drained and reported.
 */
static int pg_copy_start(struct ark_pg *pg, const char *copy_sql,
			 ExecStatusType expected, struct ark_error *err)
{
	ExecStatusType status;
	PGresult *res;
	int rc;

	rc = pg_ready(pg, err);
	if (rc != 0)
		return rc;
	if (!PQsendQuery(pg->conn, copy_sql))
		return pg_conn_error(pg, err);
	rc = pg_flush(pg, err);
	if (rc == 0)
		rc = pg_wait_result(pg, err);
	res = PQgetResult(pg->conn);
	if (rc == 0 && res != NULL && PQresultStatus(res) == expected) {
		PQclear(res);
		return 0;
	}
	if (res == NULL) {
		if (rc == 0)
			rc = pg_conn_error(pg, err);
		return rc;
	}
	status = PQresultStatus(res);
	switch (status) {
	case PGRES_COPY_IN:
		(void)PQputCopyEnd(pg->conn, "ark: not the COPY expected");
		break;
	case PGRES_COPY_OUT:
		pg_discard_copy_out(pg);
		break;
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
	case PGRES_COPY_BOTH:
		break;
	default:
		if (rc == 0)
			rc = pg_result_error(pg, res, err);
		break;
	}
	if (rc == 0)
		rc = ark_error_set(err, ARK_ERR_PG_QUERY, 0,
				   "server \"%s\": the statement is not a COPY %s",
				   pg->safe,
				   expected == PGRES_COPY_IN ? "FROM STDIN"
							     : "TO STDOUT");
	PQclear(res);
	if (status != PGRES_COPY_BOTH)
		(void)pg_finish(pg, NULL, NULL);
	return rc;
}

int ark_pg_copy_in_begin(struct ark_pg *pg, const char *copy_sql,
			 struct ark_error *err)
{
	int rc = pg_copy_start(pg, copy_sql, PGRES_COPY_IN, err);

	if (rc == 0)
		pg->copy = PG_COPY_IN;
	return rc;
}

/* The COPY FROM STDIN failed on the way: end it and report why, with the
 * server's own error when it sent one. */
static int pg_copy_in_failed(struct ark_pg *pg, struct ark_error *err)
{
	struct ark_error server = {0};
	int rc;

	pg->copy = PG_COPY_NONE;
	(void)PQputCopyEnd(pg->conn, "ark: COPY failed");
	rc = pg_finish(pg, NULL, &server);
	if (rc != 0) {
		ark_error_set(err, server.code, server.sys_errno, "%s",
			      server.msg);
		return rc;
	}
	return pg_conn_error(pg, err);
}

int ark_pg_copy_in_put(struct ark_pg *pg, const void *data, size_t len,
		       struct ark_error *err)
{
	int cancel_sent = 0;
	int rc;

	if (pg->copy != PG_COPY_IN)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "server \"%s\": no COPY FROM STDIN in progress",
				     pg->safe);
	rc = ark_fsio_check_interrupt(err);
	if (rc != 0)
		return rc;
	while (len > 0) {
		/* PQputCopyData takes an int length. */
		int piece = len > INT_MAX / 2 ? INT_MAX / 2 : (int)len;
		int sent = PQputCopyData(pg->conn, data, piece);

		if (sent < 0)
			return pg_copy_in_failed(pg, err);
		if (sent == 0) {
			/* Non-blocking connection with a full buffer. */
			rc = pg_wait_socket(pg, POLLOUT, &cancel_sent, err);
			if (rc != 0)
				return rc;
			if (PQflush(pg->conn) < 0)
				return pg_copy_in_failed(pg, err);
			continue;
		}
		data = (const char *)data + piece;
		len -= (size_t)piece;
	}
	return 0;
}

int ark_pg_copy_in_end(struct ark_pg *pg, uint64_t *rows,
		       struct ark_error *err)
{
	PGresult *res = NULL;
	int cancel_sent = 0;
	int ended;
	int rc;

	if (rows != NULL)
		*rows = 0;
	if (pg->copy != PG_COPY_IN)
		return ark_error_set(err, ARK_ERR_INTERNAL, 0,
				     "server \"%s\": no COPY FROM STDIN in progress",
				     pg->safe);
	while ((ended = PQputCopyEnd(pg->conn, NULL)) == 0) {
		rc = pg_wait_socket(pg, POLLOUT, &cancel_sent, err);
		if (rc != 0)
			return rc;
	}
	if (ended < 0)
		return pg_copy_in_failed(pg, err);
	pg->copy = PG_COPY_NONE;
	rc = pg_flush(pg, err);
	if (rc != 0) {
		(void)pg_finish(pg, NULL, NULL);
		return rc;
	}
	rc = pg_finish(pg, &res, err);
	if (rc == 0 && rows != NULL && res != NULL)
		*rows = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return rc;
}

void ark_pg_copy_in_abort(struct ark_pg *pg, const char *why)
{
	if (pg == NULL || pg->copy != PG_COPY_IN)
		return;
	pg->copy = PG_COPY_NONE;
	(void)PQputCopyEnd(pg->conn, why != NULL ? why : "aborted by ark");
	(void)pg_finish(pg, NULL, NULL);
}

/* Hand the batch to the sink; its code, with a message if it gave none. */
static int pg_sink_call(struct ark_pg *pg, ark_pg_copy_sink sink,
			void *context, const char *data, size_t len,
			struct ark_error *err)
{
	int rc = sink(context, data, len, err);

	if (rc != 0 && err != NULL && err->code == ARK_OK)
		ark_error_set(err, rc, 0,
			      "server \"%s\": the COPY output could not be consumed",
			      pg->safe);
	return rc;
}

int ark_pg_copy_out(struct ark_pg *pg, const char *copy_sql,
		    ark_pg_copy_sink sink, void *context,
		    struct ark_error *err)
{
	struct ark_buf batch = ARK_BUF_INIT;
	int cancel_sent = 0;
	int stopped = 0;
	int rc;

	rc = pg_copy_start(pg, copy_sql, PGRES_COPY_OUT, err);
	if (rc != 0)
		return rc;
	if (ark_buf_reserve(&batch, PG_COPY_BATCH + PG_COPY_BATCH / 4) != 0) {
		rc = pg_oom(err);
		stopped = 1;
	}
	while (!stopped) {
		char *row = NULL;
		int n = PQgetCopyData(pg->conn, &row, 1);

		if (n > 0) {
			if (batch.len == 0 && n >= PG_COPY_BATCH) {
				rc = pg_sink_call(pg, sink, context, row,
						  (size_t)n, err);
			} else {
				ark_buf_append(&batch, row, (size_t)n);
				if (batch.len >= PG_COPY_BATCH) {
					rc = pg_sink_call(pg, sink, context,
							  batch.data,
							  batch.len, err);
					ark_buf_reset(&batch);
				}
			}
			PQfreemem(row);
			if (rc == 0 && ark_buf_failed(&batch))
				rc = pg_oom(err);
			if (rc != 0)
				stopped = 1;
			continue;
		}
		if (n < 0)
			break; /* -1: done; -2: PQgetResult() says why */
		/* Nothing buffered: wait for the server. */
		if (ark_fsio_interrupted()) {
			rc = ark_fsio_check_interrupt(err);
			stopped = 1;
			break;
		}
		rc = pg_wait_socket(pg, POLLIN, &cancel_sent, err);
		if (rc != 0) {
			stopped = 1;
			break;
		}
		if (!PQconsumeInput(pg->conn))
			break; /* PQgetCopyData() or PQgetResult() says why */
	}
	if (stopped) {
		/* Stop the server and drain what it already sent. */
		pg_cancel_own(pg);
		pg_discard_copy_out(pg);
		(void)pg_finish(pg, NULL, NULL);
		ark_buf_free(&batch);
		return rc;
	}
	rc = pg_finish(pg, NULL, err);
	if (rc == 0 && PQstatus(pg->conn) == CONNECTION_BAD)
		rc = pg_conn_error(pg, err);
	if (rc == 0 && batch.len > 0)
		rc = pg_sink_call(pg, sink, context, batch.data, batch.len,
				  err);
	ark_buf_free(&batch);
	return rc;
}

/* ---- quoting ---- */

void ark_pg_append_ident(struct ark_buf *out, const char *name)
{
	ark_buf_append_char(out, '"');
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '"')
			ark_buf_append_char(out, '"');
		ark_buf_append_char(out, *p);
	}
	ark_buf_append_char(out, '"');
}

void ark_pg_append_qualified(struct ark_buf *out, const char *schema,
			     const char *name)
{
	ark_pg_append_ident(out, schema);
	ark_buf_append_char(out, '.');
	ark_pg_append_ident(out, name);
}

void ark_pg_append_literal(struct ark_buf *out, const char *text)
{
	ark_buf_append_str(out, "E'");
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			ark_buf_append_char(out, *p);
		ark_buf_append_char(out, *p);
	}
	ark_buf_append_char(out, '\'');
}
