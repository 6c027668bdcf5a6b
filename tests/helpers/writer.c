/*
 * writer — a steady SQLite writer for snapshot tests.
 *
 *   writer DB SECONDS
 *
 * Opens DB (busy_timeout 5000 ms), creates
 *   writer_log(seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)
 *   writer_state(id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER)
 * if missing, then commits one transaction about every 2 ms until SECONDS
 * have elapsed (SECONDS may be fractional; 0 means until a signal) or
 * SIGTERM/SIGINT arrives. Each transaction inserts the next seq (continuing
 * after max(seq) if the table already has rows) with a ~200-byte payload and
 * sets writer_state.last_seq to it, so in any consistent snapshot
 * max(seq) = last_seq and the seq values are exactly 1..last_seq.
 *
 * SQLITE_BUSY that outlasts the busy timeout is reported on stderr, counted,
 * and the transaction retried. On exit prints to stdout:
 *   last_seq=N        the last committed seq (0 if none)
 *   commits=N         transactions committed by this run
 *   busy=N            SQLITE_BUSY errors seen after the busy timeout
 *   max_commit_ms=X   longest BEGIN..COMMIT, retries included
 * Exit 0 when stopped by time or signal, 1 on any other SQLite error, 2 on
 * bad usage.
 *
 * Builds standalone: cc -O2 -o writer writer.c -lsqlite3
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PERIOD_NS 2000000L /* one transaction every 2 ms */
#define PAYLOAD_LEN 200
#define BUSY_TIMEOUT_MS 5000

static volatile sig_atomic_t stop_requested;

static void on_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY;
}

/* Fill buf with a ~PAYLOAD_LEN printable payload that varies with seq. */
static void make_payload(char *buf, size_t size, long long seq)
{
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned long long state = (unsigned long long)seq * 6364136223846793005ULL +
				   1442695040888963407ULL;
	int used = snprintf(buf, size, "seq=%lld;data=", seq);
	size_t pos = used > 0 ? (size_t)used : 0;

	while (pos + 1 < size && pos < PAYLOAD_LEN) {
		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		buf[pos++] = alphabet[(state >> 33) % (sizeof(alphabet) - 1)];
	}
	buf[pos] = '\0';
}

/* Run one statement to completion; returns the SQLite result code. */
static int step_once(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

static int parse_seconds(const char *text, double *seconds)
{
	char *end = NULL;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(value >= 0.0) || value > 1e7)
		return -1;
	*seconds = value;
	return 0;
}

int main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *begin_stmt = NULL, *insert_stmt = NULL, *update_stmt = NULL;
	sqlite3_stmt *commit_stmt = NULL, *rollback_stmt = NULL, *max_stmt = NULL;
	struct sigaction action;
	struct timespec next;
	char payload[PAYLOAD_LEN + 1];
	double seconds, deadline, max_commit = 0.0;
	long long last_seq = 0, commits = 0, busy_count = 0;
	int rc, exit_code = 1;

	if (argc != 3 || parse_seconds(argv[2], &seconds) != 0) {
		fprintf(stderr, "usage: writer DB SECONDS\n");
		return 2;
	}

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigemptyset(&action.sa_mask);
	sigaction(SIGTERM, &action, NULL);
	sigaction(SIGINT, &action, NULL);

	rc = sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK)
		goto sqlite_error;
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);

	/* Schema setup retries on BUSY like the transactions do. */
	for (;;) {
		rc = sqlite3_exec(db,
				  "CREATE TABLE IF NOT EXISTS writer_log ("
				  " seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);"
				  "CREATE TABLE IF NOT EXISTS writer_state ("
				  " id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER);"
				  "INSERT OR IGNORE INTO writer_state (id, last_seq)"
				  " SELECT 1, coalesce(max(seq), 0) FROM writer_log;",
				  NULL, NULL, NULL);
		if (!is_busy(rc) || stop_requested)
			break;
		busy_count++;
		fprintf(stderr, "writer: SQLITE_BUSY creating schema, retrying\n");
	}
	if (rc != SQLITE_OK)
		goto sqlite_error;

	if ((rc = sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin_stmt, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, "INSERT INTO writer_log (seq, payload) VALUES (?1, ?2)",
				     -1, &insert_stmt, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, "UPDATE writer_state SET last_seq = ?1 WHERE id = 1",
				     -1, &update_stmt, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, "COMMIT", -1, &commit_stmt, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, "ROLLBACK", -1, &rollback_stmt, NULL)) ||
	    (rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM writer_log", -1,
				     &max_stmt, NULL)))
		goto sqlite_error;

	for (;;) {
		rc = sqlite3_step(max_stmt);
		if (rc == SQLITE_ROW) {
			last_seq = sqlite3_column_int64(max_stmt, 0);
			sqlite3_reset(max_stmt);
			break;
		}
		sqlite3_reset(max_stmt);
		if (!is_busy(rc))
			goto sqlite_error;
		if (stop_requested)
			goto done;
		busy_count++;
		fprintf(stderr, "writer: SQLITE_BUSY reading max(seq), retrying\n");
	}

	deadline = seconds > 0.0 ? now_seconds() + seconds : 0.0;
	clock_gettime(CLOCK_MONOTONIC, &next);

	while (!stop_requested && (deadline == 0.0 || now_seconds() < deadline)) {
		long long seq = last_seq + 1;
		double started = now_seconds(), elapsed;

		make_payload(payload, sizeof(payload), seq);
		sqlite3_bind_int64(insert_stmt, 1, seq);
		sqlite3_bind_text(insert_stmt, 2, payload, -1, SQLITE_STATIC);
		sqlite3_bind_int64(update_stmt, 1, seq);

		for (;;) {
			rc = step_once(begin_stmt);
			if (rc == SQLITE_DONE)
				rc = step_once(insert_stmt);
			if (rc == SQLITE_DONE)
				rc = step_once(update_stmt);
			if (rc == SQLITE_DONE)
				rc = step_once(commit_stmt);
			if (rc == SQLITE_DONE)
				break;
			if (!sqlite3_get_autocommit(db))
				step_once(rollback_stmt);
			if (!is_busy(rc))
				goto sqlite_error;
			busy_count++;
			fprintf(stderr, "writer: SQLITE_BUSY at seq %lld after %d ms: %s; retrying\n",
				seq, BUSY_TIMEOUT_MS, sqlite3_errmsg(db));
			if (stop_requested)
				goto done;
		}
		last_seq = seq;
		commits++;
		elapsed = now_seconds() - started;
		if (elapsed > max_commit)
			max_commit = elapsed;

		/* Keep a 2 ms cadence; after a stall, resume from now, no burst. */
		next.tv_nsec += PERIOD_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		{
			struct timespec current;

			clock_gettime(CLOCK_MONOTONIC, &current);
			if (current.tv_sec > next.tv_sec ||
			    (current.tv_sec == next.tv_sec && current.tv_nsec > next.tv_nsec))
				next = current;
		}
		while (!stop_requested &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}

done:
	exit_code = 0;
	goto cleanup;

sqlite_error:
	fprintf(stderr, "writer: %s: %s\n", argv[1],
		db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));

cleanup:
	sqlite3_finalize(begin_stmt);
	sqlite3_finalize(insert_stmt);
	sqlite3_finalize(update_stmt);
	sqlite3_finalize(commit_stmt);
	sqlite3_finalize(rollback_stmt);
	sqlite3_finalize(max_stmt);
	if (db != NULL && sqlite3_close(db) != SQLITE_OK) {
		fprintf(stderr, "writer: closing %s: %s\n", argv[1], sqlite3_errmsg(db));
		exit_code = 1;
	}
	printf("last_seq=%lld\ncommits=%lld\nbusy=%lld\nmax_commit_ms=%.3f\n", last_seq, commits,
	       busy_count, max_commit * 1000.0);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "writer: cannot write to stdout\n");
		exit_code = 1;
	}
	return exit_code;
}
