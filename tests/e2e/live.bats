#!/usr/bin/env bats
# Snapshots of a database that another process keeps committing to, in
# WAL and in rollback (DELETE) journal mode.  Each snapshot must be a
# consistent, committed state: writer_log holds exactly seq 1..N and
# writer_state.last_seq = N.  In WAL mode the writer must not be held up.
#
# The writer helper (tests/helpers/writer.c) commits one row about every
# 2 ms and prints last_seq=, commits=, busy=, max_commit_ms= at exit.

load helpers

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	require_writer
	enter_workdir
	WRITER_PID=
}

teardown() {
	if [[ -n ${WRITER_PID-} ]] && kill -0 "$WRITER_PID" 2>/dev/null; then
		kill "$WRITER_PID" 2>/dev/null || true
		wait "$WRITER_PID" 2>/dev/null || true
	fi
}

# writer_value FILE KEY - a value from the writer's exit report.
writer_value() {
	sed -n "s/^$2=//p" "$1"
}

# check_prefix ARCHIVE N - verify --deep, restore, and check the restored
# database is a committed prefix of the writer's work; prints max(seq).
check_prefix() {
	local arc=$1 n=$2 out
	"$VERIFY" --deep "$arc" >/dev/null || {
		fail "verify --deep $arc failed"
		return 1
	}
	"$RESTORE" -q "$arc" "restored$n.db" >/dev/null || {
		fail "restore $arc failed"
		return 1
	}
	out=$(integrity "restored$n.db")
	[[ $out == ok ]] || {
		fail "restored$n.db: integrity_check: $out"
		return 1
	}
	out=$(sqlite3 -separator ' ' "restored$n.db" \
		'SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0),
			(SELECT last_seq FROM writer_state WHERE id = 1)
		 FROM writer_log')
	local count min max last
	read -r count min max last <<<"$out"
	if ((count > 0)) && [[ $min != 1 ]]; then
		fail "$arc: min(seq) = $min, want 1"
		return 1
	fi
	if [[ $count != "$max" || $last != "$max" ]]; then
		fail "$arc: count=$count max=$max last_seq=$last: not a committed prefix"
		return 1
	fi
	echo "$max"
}

# live_snapshots MODE - the writer runs on a database in journal MODE (wal
# or delete) while 3 snapshots are taken, and is stopped after the last
# one (a slow build, ASan under load, must not outlast it); check each.
live_snapshots() {
	local mode=$1
	"$WRITER" db.sqlite 0.5 >init.out
	local initial
	initial=$(writer_value init.out last_seq)
	((initial > 0)) || fail "the writer wrote nothing in 0.5 s"
	if [[ $mode == wal ]]; then
		[[ $(sqlite3 db.sqlite 'PRAGMA journal_mode=wal') == wal ]] ||
			fail "cannot switch to WAL"
	fi
	[[ $(sqlite3 db.sqlite 'PRAGMA journal_mode') == "$mode" ]] ||
		fail "the database is not in $mode mode"

	"$WRITER" db.sqlite 0 >writer.out 2>writer.err 3>&- &
	WRITER_PID=$!
	sleep 0.5
	local k start elapsed
	for k in 1 2 3; do
		start=$(now_ms)
		run --separate-stderr "$SNAPSHOT" -o "snap$k.ark" db.sqlite
		elapsed=$(($(now_ms) - start))
		assert_status 0
		diag "$mode snapshot $k: ${elapsed} ms"
		((elapsed < 5000)) || fail "snapshot $k took $elapsed ms"
		sleep 0.4
	done
	kill -0 "$WRITER_PID" 2>/dev/null ||
		fail "the writer had stopped before the last snapshot ended; nothing was tested"
	kill -TERM "$WRITER_PID"
	wait "$WRITER_PID" || fail "the writer failed: $(cat writer.err)"
	WRITER_PID=
	local final busy max_ms
	final=$(writer_value writer.out last_seq)
	busy=$(writer_value writer.out busy)
	max_ms=$(writer_value writer.out max_commit_ms)
	diag "$mode writer: last_seq=$final busy=$busy max_commit_ms=$max_ms"
	[[ $busy == 0 ]] || fail "the writer saw SQLITE_BUSY $busy times"

	local prev=$initial seq
	for k in 1 2 3; do
		[[ $(json_get <(arkfmt manifest "snap$k.ark" source) 'j["journal_mode"]') == "$mode" ]] ||
			fail "snap$k.ark: journal_mode is not $mode"
		seq=$(check_prefix "snap$k.ark" "$k")
		diag "snapshot $k holds seq 1..$seq"
		# taken while the writer ran: after the first run's rows, before
		# its last commit, and later snapshots hold more
		((seq > prev)) || fail "snapshot $k: seq $seq not after $prev"
		((seq < final)) || fail "snapshot $k: seq $seq not before the writer's final $final"
		prev=$seq
	done
	MAX_COMMIT_MS=$max_ms
}

@test "WAL mode: 3 snapshots while the writer commits are committed prefixes" {
	live_snapshots wal
	# readers never block a WAL writer: no commit waited anywhere near a
	# second
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 1000 else 1)' \
		"$MAX_COMMIT_MS" || fail "max_commit_ms=$MAX_COMMIT_MS >= 1000"
}

@test "DELETE journal mode: 3 snapshots while the writer commits are committed prefixes" {
	live_snapshots delete
}

@test "WAL mode: the writer keeps committing during a slow snapshot" {
	"$WRITER" db.sqlite 0.3 >init.out
	# ~2.5 MB of filler so that -l 19 -T 0 takes about a second
	sqlite3 db.sqlite "CREATE TABLE filler(id INTEGER PRIMARY KEY, t TEXT);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
		INSERT INTO filler SELECT i, hex(randomblob(100)) FROM n;"
	[[ $(sqlite3 db.sqlite 'PRAGMA journal_mode=wal') == wal ]] || fail "no WAL"
	"$WRITER" db.sqlite 0 >writer.out 2>writer.err 3>&- &
	WRITER_PID=$!
	sleep 0.3
	local s0 s1 start elapsed
	s0=$(sqlite3 db.sqlite 'SELECT last_seq FROM writer_state')
	start=$(now_ms)
	run --separate-stderr "$SNAPSHOT" -l 19 -T 0 -o slow.ark db.sqlite
	elapsed=$(($(now_ms) - start))
	s1=$(sqlite3 db.sqlite 'SELECT last_seq FROM writer_state')
	kill -TERM "$WRITER_PID"
	wait "$WRITER_PID" || fail "the writer failed: $(cat writer.err)"
	WRITER_PID=
	assert_status 0
	local final max_ms seq
	final=$(writer_value writer.out last_seq)
	max_ms=$(writer_value writer.out max_commit_ms)
	seq=$(check_prefix slow.ark 1)
	diag "snapshot took $elapsed ms; last_seq before $s0, in the snapshot $seq," \
		"after $s1, final $final; max_commit_ms=$max_ms"
	((s0 <= seq && seq <= s1)) || fail "snapshot seq $seq outside [$s0, $s1]"
	((seq < final)) || fail "snapshot seq $seq not below the final $final"
	# while the snapshot ran (>= ~0.3 s) the writer went on at ~500/s
	((elapsed >= 300)) || fail "test bug: the snapshot took only $elapsed ms"
	((s1 - s0 >= elapsed / 20)) ||
		fail "only $((s1 - s0)) commits during a $elapsed ms snapshot"
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < 1000 else 1)' \
		"$max_ms" || fail "max_commit_ms=$max_ms >= 1000"
	[[ $(writer_value writer.out busy) == 0 ]] || fail "the writer saw SQLITE_BUSY"
}
