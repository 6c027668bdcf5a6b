#!/usr/bin/env bats
# ark-transfer when things go wrong mid-load: the server drops the
# connection, ark-transfer is killed or interrupted, a second run starts.
# The target schema is untouched every time, and --resume (or a plain
# rerun) completes and verifies.

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer

# One generated database for the file: two big tables (loaded one after
# the other with --jobs=1, largest first) and a small child table.
setup_file() {
	BIG=$BATS_FILE_TMPDIR/big.sqlite
	sqlite3 "$BIG" "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
		CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT, n INTEGER);
		CREATE TABLE c (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));
		WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 700000)
			INSERT INTO a SELECT i, printf('row %d of a, some text to carry', i), i * 7 FROM s;
		WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 600000)
			INSERT INTO b SELECT i, printf('row %d of b', i), i * 3 FROM s;
		INSERT INTO c VALUES (1, 1), (2, 5);"
	export BIG
}

setup() {
	require_tool ark-transfer
	pg_newdb
	DB=$BATS_TEST_TMPDIR/big.sqlite
	cp "$BIG" "$DB"
}

# wait_for_copy TABLE: the pid of the backend running ark-transfer's COPY
# into TABLE (polled; fails after 60 s).
wait_for_copy() {
	local pid i
	for ((i = 0; i < 3000; i++)); do
		pid=$(psql_q "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ark-transfer' AND query LIKE 'COPY \"ark\\_staging\\_%\".\"$1\" %FROM STDIN%' LIMIT 1")
		if [[ -n $pid ]]; then
			echo "$pid"
			return 0
		fi
		sleep 0.02
	done
	echo "no COPY into $1 seen" >&2
	return 1
}

# The target schema holds no table; the staging schema holds what ark
# kept (its name on stdout, nothing when none).
assert_public_empty() {
	[[ $(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0 ]] ||
		fail "tables in public: $(psql_q "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'")"
}

staging_schema() {
	psql_q "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ark\\_staging\\_%'"
}

relfilenode() {
	psql_q "SELECT relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$1' AND c.relname = '$2'"
}

assert_complete() {
	[[ $(psql_q "SELECT count(*), sum(n), max(v) FROM public.a") == '700000|1715002450000|row 99999 of a, some text to carry' ]]
	[[ $(psql_q "SELECT count(*), sum(n) FROM public.b") == '600000|540000900000' ]]
	[[ $(psql_q "SELECT string_agg(id || ':' || a_id, ',' ORDER BY id) FROM public.c") == 1:1,2:5 ]]
	[[ $(psql_q "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 1 ]]
	[[ -z $(staging_schema) ]]
}

@test "the connection dropped mid-load: exit 13, target untouched, loaded tables kept; --resume loads only the rest and verifies" {
	"$TRANSFER" --jobs=1 "$DB" "$ARK_TEST_DB" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	job=$!
	pid=$(wait_for_copy b)
	[[ $(psql_q "SELECT pg_terminate_backend($pid)") == t ]]
	status=0
	wait "$job" || status=$?
	[[ $status == 13 ]] || { cat "$BATS_TEST_TMPDIR/err"; fail "exit $status"; }
	staging=$(staging_schema)
	[[ -n $staging ]]
	diff - "$BATS_TEST_TMPDIR/err" <<EOF
ark-transfer: warning: the schema "$staging" keeps the 1 table loaded so far; the target schema is untouched; --resume continues, a run without it starts over
ark-transfer: error: loading table "b": server "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE": connection lost: terminating connection due to administrator command (SQLSTATE 57P01)
EOF
	assert_public_empty
	[[ $(psql_q "SELECT count(*) FROM $staging.b") == 0 ]]
	[[ $(psql_q "SELECT count(*) FROM $staging.a") == 700000 ]]
	a_before=$(relfilenode "$staging" a)
	b_before=$(relfilenode "$staging" b)

	run --separate-stderr "$TRANSFER" --resume --jobs=1 "$DB" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ -z $stderr ]]
	grep -Eq '^a +700000 +700000 +0 +0 +equal$' <<<"$output"
	grep -Eq '^b +600000 +600000 +0 +0 +equal$' <<<"$output"
	assert_complete
	# a was kept as the first run loaded it; b was loaded again
	[[ $(relfilenode public a) == "$a_before" ]]
	[[ $(relfilenode public b) != "$b_before" ]]
	# ark's records do not go with the tables
	[[ $(psql_q "SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid WHERE c.relname IN ('a', 'b', 'c')") == 0 ]]
	[[ $(psql_q "SELECT obj_description('public'::regnamespace, 'pg_namespace')") == 'standard public schema' ]]
}

# kill_mid_load - start a transfer of table after table, SIGKILL it while
# it copies table b; the target's schema must be untouched; sets $staging
# to the staging schema the dead run left.
kill_mid_load() {
	local job
	"$TRANSFER" --jobs=1 "$DB" "$ARK_TEST_DB" >/dev/null 2>&1 &
	job=$!
	wait_for_copy b >/dev/null
	kill -KILL "$job"
	wait "$job" || true
	assert_public_empty
	staging=$(staging_schema)
}

@test "SIGKILL mid-load: target untouched; a plain rerun drops what the dead run left and completes" {
	kill_mid_load
	[[ -n $staging ]]

	run --separate-stderr "$TRANSFER" --jobs=1 "$DB" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == "ark-transfer: warning: dropping schema \"$staging\" left by an ark-transfer that did not finish" ]]
	assert_complete
}

@test "SIGKILL mid-load, then --resume: completes; a source changed since is refused (exit 7)" {
	kill_mid_load

	cp "$DB" "$BATS_TEST_TMPDIR/changed.sqlite"
	sqlite3 "$BATS_TEST_TMPDIR/changed.sqlite" "UPDATE a SET v = 'changed' WHERE id = 17"
	run --separate-stderr "$TRANSFER" --resume --jobs=1 "$BATS_TEST_TMPDIR/changed.sqlite" "$ARK_TEST_DB"
	[[ $status == 7 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == 'ark-transfer: error: --resume: table "a" changed in the source since the run that stopped; run without --resume to start over' ]]
	assert_public_empty
	[[ $(psql_q "SELECT count(*) FROM $staging.a") == 700000 ]]

	sqlite3 "$BATS_TEST_TMPDIR/changed.sqlite" "INSERT INTO c VALUES (3, 1)"
	run --separate-stderr "$TRANSFER" --resume --jobs=1 "$BATS_TEST_TMPDIR/changed.sqlite" "$ARK_TEST_DB"
	[[ $status == 7 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == "ark-transfer: error: --resume: the staging schema \"$staging\" was made for another plan (the source's schema or identity positions, or the options, changed since the run that stopped); run without --resume to start over" ]]

	run --separate-stderr "$TRANSFER" -q --resume "$DB" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ -z $stderr ]]
	assert_complete
}

@test "SIGINT mid-load: exit 130 within a second, target untouched" {
	# SIGINT at its default (a shell ignores it in background jobs)
	env --default-signal=INT "$TRANSFER" --jobs=1 "$DB" "$ARK_TEST_DB" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	job=$!
	wait_for_copy a >/dev/null
	start=$(date +%s%N)
	kill -INT "$job"
	status=0
	wait "$job" || status=$?
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	[[ $status == 130 ]] || { cat "$BATS_TEST_TMPDIR/err"; fail "exit $status"; }
	((elapsed_ms < 1000)) || fail "took $elapsed_ms ms to stop"
	staging=$(staging_schema)
	diff - "$BATS_TEST_TMPDIR/err" <<EOF
ark-transfer: warning: the schema "$staging" is left behind (stopped by a signal); the target schema is untouched, and the next ark-transfer into it removes it
ark-transfer: error: interrupted by signal
EOF
	assert_public_empty
	# nothing loaded yet: the staging schema holds empty tables only
	[[ $(psql_q "SELECT count(*) FROM $staging.a") == 0 ]]
	# and no backend of ours is left running
	for ((i = 0; i < 100; i++)); do
		[[ $(psql_q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ark-transfer'") == 0 ]] && break
		sleep 0.05
	done
	[[ $(psql_q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ark-transfer'") == 0 ]]
}

@test "two runs into one schema: the second exits 8 at once, changing nothing; the first completes" {
	"$TRANSFER" -q --jobs=1 "$DB" "$ARK_TEST_DB" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	job=$!
	wait_for_copy a >/dev/null
	start=$(date +%s%N)
	run --separate-stderr "$TRANSFER" --jobs=1 "$DB" "$ARK_TEST_DB"
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	[[ $status == 8 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == "ark-transfer: error: another ark-transfer into schema \"public\" of database \"$PGDATABASE\" is running" ]]
	# "at once": before the inspection of a 1.3M-row source ends, well
	# under the first run's time
	((elapsed_ms < 5000)) || fail "took $elapsed_ms ms"
	status=0
	wait "$job" || status=$?
	[[ $status == 0 ]] || { cat "$BATS_TEST_TMPDIR/err"; fail "first run: exit $status"; }
	assert_complete
}

@test "--data-only: the connection dropped mid-load: exit 13, every table as it was" {
	psql_q "CREATE TABLE a (id bigint PRIMARY KEY, v text, n bigint); CREATE TABLE b (id bigint PRIMARY KEY, v text, n bigint);
		CREATE TABLE c (id bigint PRIMARY KEY, a_id bigint REFERENCES a); INSERT INTO a VALUES (0, 'existing', 0)" >/dev/null
	"$TRANSFER" --data-only --if-exists=append "$DB" "$ARK_TEST_DB" >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	job=$!
	pid=$(psql_q "SELECT 1" >/dev/null; for ((i = 0; i < 3000; i++)); do p=$(psql_q "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ark-transfer' AND query LIKE 'COPY \"public\".\"b\" %FROM STDIN'"); [[ -n $p ]] && { echo "$p"; break; }; sleep 0.02; done)
	[[ -n $pid ]]
	[[ $(psql_q "SELECT pg_terminate_backend($pid)") == t ]]
	status=0
	wait "$job" || status=$?
	[[ $status == 13 ]] || { cat "$BATS_TEST_TMPDIR/err"; fail "exit $status"; }
	[[ $(cat "$BATS_TEST_TMPDIR/err") == "ark-transfer: error: loading table \"b\": server \"host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE\": connection lost: terminating connection due to administrator command (SQLSTATE 57P01)" ]] || { cat "$BATS_TEST_TMPDIR/err"; false; }
	[[ $(psql_q "SELECT (SELECT string_agg(v, ',') FROM a), (SELECT count(*) FROM b), (SELECT count(*) FROM c)") == 'existing|0|0' ]]
}
