#!/usr/bin/env bats
# The first SIGINT or SIGTERM ends every tool within a second, with exit
# 130, the one line "TOOL: error: interrupted by signal" and no temporary
# or final file left, whatever the tool is blocked in: a FIFO planted as
# the database's -journal, a database another process holds locked, a
# stalled disk (the LD_PRELOAD shim blocks open/read/write/fsync of chosen
# files and resumes blocking after every signal, as SQLite's open() does
# on EINTR).  And a closed standard output is exit 5 with a message, not a
# silent death by SIGPIPE.

load helpers

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	enter_workdir
	TOOL_PID=
}

teardown() {
	if [[ -n $TOOL_PID ]] && kill -0 "$TOOL_PID" 2>/dev/null; then
		kill -KILL "$TOOL_PID" 2>/dev/null || true
	fi
	if [[ -n ${LOCK_PID-} ]]; then
		kill "$LOCK_PID" 2>/dev/null || true
		wait "$LOCK_PID" 2>/dev/null || true
	fi
}

# start_blocked inject|plain MARK CMD... - start CMD in the background with
# SIGINT and SIGTERM at their defaults (a shell ignores SIGINT in
# background jobs), stdout and stderr to files, and the LD_PRELOAD shim
# with "inject" (CMD may then begin with ARK_INJECT_*=... assignments).
# Returns once the file MARK exists (the shim has stalled) or, with MARK
# "-", after 0.5 s; fails if CMD has ended by then.
start_blocked() {
	local how=$1 mark=$2 n
	shift 2
	if [[ $how == inject ]]; then
		require_inject
		LD_PRELOAD=$INJECT \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
			env --default-signal=INT,TERM "$@" \
			>"$BATS_TEST_TMPDIR/tool.out" 2>"$BATS_TEST_TMPDIR/tool.err" 3>&- &
	else
		env --default-signal=INT,TERM "$@" \
			>"$BATS_TEST_TMPDIR/tool.out" 2>"$BATS_TEST_TMPDIR/tool.err" 3>&- &
	fi
	TOOL_PID=$!
	if [[ $mark == - ]]; then
		sleep 0.5
	else
		for n in $(seq 500); do
			[[ -e $mark ]] && break
			kill -0 "$TOOL_PID" 2>/dev/null || break
			sleep 0.01
		done
		[[ -e $mark ]] || fail "the shim never stalled ($mark not created)"
	fi
	if ! kill -0 "$TOOL_PID" 2>/dev/null; then
		wait "$TOOL_PID" && status=0 || status=$?
		fail "ended (exit $status) before the signal: $(cat "$BATS_TEST_TMPDIR/tool.err")"
	fi
}

# signal_blocked SIG - send SIG to the tool started by start_blocked and
# wait for it to end (SIGKILL after 5 s); sets status, output, stderr and
# ELAPSED (ms from the signal to the exit).
signal_blocked() {
	local sig=$1 start n
	start=$(now_ms)
	kill -"$sig" "$TOOL_PID"
	for n in $(seq 500); do
		kill -0 "$TOOL_PID" 2>/dev/null || break
		sleep 0.01
	done
	kill -0 "$TOOL_PID" 2>/dev/null && kill -KILL "$TOOL_PID"
	wait "$TOOL_PID" && status=0 || status=$?
	ELAPSED=$(($(now_ms) - start))
	TOOL_PID=
	output=$(cat "$BATS_TEST_TMPDIR/tool.out")
	stderr=$(cat "$BATS_TEST_TMPDIR/tool.err")
}

# assert_interrupted TOOL - exit 130 within 1.5 s of the signal, and the
# one error line.
assert_interrupted() {
	diag "SIG$SIG: exit $status after $ELAPSED ms"
	assert_status 130
	((ELAPSED < 1500)) || fail "ended $ELAPSED ms after the signal"
	if [[ $stderr != "$1: error: interrupted by signal" ]]; then
		show_run >&2
		fail "stderr is not exactly '$1: error: interrupted by signal'"
	fi
}

# hold_lock DB - another process holds an EXCLUSIVE lock on DB until
# killed; returns once it holds it.
hold_lock() {
	python3 -c '
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
con.execute("INSERT INTO artist(name) VALUES (?)", ("uncommitted",))
print("locked", flush=True)
time.sleep(60)' "$1" >lock.out 2>&1 3>&- &
	LOCK_PID=$!
	local n
	for n in $(seq 250); do
		[[ -s lock.out ]] && return 0
		sleep 0.02
	done
	fail "the lock holder did not start"
}

# ------------------------------------------------------------ ark-snapshot

snapshot_fifo_journal() {
	SIG=$1
	make_small_db app.db
	mkfifo app.db-journal
	mkdir out
	# SQLite sees a -journal, opens it to check for a hot journal, and
	# the open of a FIFO blocks (retried on EINTR).  ark-snapshot refuses
	# a companion that is not a regular file before SQLite opens it (exit
	# 3, at once); a FIFO planted after that check is what the signal
	# must end.  Either way it never hangs.
	env --default-signal=INT,TERM "$SNAPSHOT" -o out app.db \
		>"$BATS_TEST_TMPDIR/tool.out" 2>"$BATS_TEST_TMPDIR/tool.err" 3>&- &
	TOOL_PID=$!
	sleep 0.5
	if ! kill -0 "$TOOL_PID" 2>/dev/null; then
		wait "$TOOL_PID" && status=0 || status=$?
		TOOL_PID=
		[[ $status == 3 ]] || fail "ended with $status before the signal"
		[[ $(cat "$BATS_TEST_TMPDIR/tool.err") == "ark-snapshot: error: 'app.db-journal' is not a regular file, where SQLite keeps the rollback journal of 'app.db'; remove it, then snapshot again" ]] ||
			fail "stderr: $(cat "$BATS_TEST_TMPDIR/tool.err")"
		assert_dir_empty out
		[[ -p app.db-journal ]] || fail "the FIFO was replaced"
		return 0
	fi
	signal_blocked "$SIG"
	assert_interrupted ark-snapshot
	assert_dir_empty out
	[[ -p app.db-journal ]] || fail "the FIFO was replaced"
}

@test "ark-snapshot and a FIFO planted as -journal: refused at once, or SIGTERM ends it (130)" {
	snapshot_fifo_journal TERM
}

@test "ark-snapshot and a FIFO planted as -journal: refused at once, or SIGINT ends it (130)" {
	snapshot_fifo_journal INT
}

snapshot_stalled() {
	SIG=$1
	local op=$2 path=$3
	make_small_db app.db
	mkdir out
	start_blocked inject "$PWD/stalled" ARK_INJECT_STALL="$op" \
		ARK_INJECT_PATH="$path" ARK_INJECT_STALL_MARK="$PWD/stalled" \
		"$SNAPSHOT" -o out app.db
	signal_blocked "$SIG"
	assert_interrupted ark-snapshot
	assert_dir_empty out
}

@test "ark-snapshot stalled reading the database: SIGTERM ends it (130)" {
	snapshot_stalled TERM read "$PWD/app.db"
}

@test "ark-snapshot stalled reading the database: SIGINT ends it (130)" {
	snapshot_stalled INT read "$PWD/app.db"
}

@test "ark-snapshot stalled opening the database: SIGTERM ends it (130)" {
	snapshot_stalled TERM open "app.db"
}

@test "ark-snapshot stalled writing the archive: SIGTERM ends it (130)" {
	snapshot_stalled TERM write ".ark-tmp-"
}

@test "ark-snapshot stalled writing the archive: SIGINT ends it (130)" {
	snapshot_stalled INT write ".ark-tmp-"
}

@test "ark-snapshot stalled in fsync of the archive: SIGTERM ends it (130)" {
	snapshot_stalled TERM fsync ".ark-tmp-"
}

snapshot_busy() {
	SIG=$1
	make_small_db app.db
	mkdir out
	hold_lock app.db
	start_blocked plain - "$SNAPSHOT" --busy-timeout 60000 -o out app.db
	signal_blocked "$SIG"
	assert_interrupted ark-snapshot
	assert_dir_empty out
}

@test "ark-snapshot waiting for a locked database (--busy-timeout 60000): SIGTERM ends it (130)" {
	snapshot_busy TERM
}

@test "ark-snapshot waiting for a locked database (--busy-timeout 60000): SIGINT ends it (130)" {
	snapshot_busy INT
}

# ------------------------------------------------------------- ark-restore

restore_stalled() {
	SIG=$1
	local op=$2 arc
	make_small_db app.db
	arc=$(snapshot_one app.db app.ark)
	mkdir t
	start_blocked inject "$PWD/stalled" ARK_INJECT_STALL="$op" \
		ARK_INJECT_PATH=".ark-tmp-" ARK_INJECT_STALL_MARK="$PWD/stalled" \
		"$RESTORE" "$arc" t/app.db
	signal_blocked "$SIG"
	assert_interrupted ark-restore
	assert_dir_empty t
}

@test "ark-restore stalled writing TARGET: SIGTERM ends it (130), nothing left" {
	restore_stalled TERM write
}

@test "ark-restore stalled writing TARGET: SIGINT ends it (130), nothing left" {
	restore_stalled INT write
}

@test "ark-restore stalled reading the archive: SIGTERM ends it (130), nothing left" {
	SIG=TERM
	local arc
	make_small_db app.db
	arc=$(snapshot_one app.db app.ark)
	mkdir t
	start_blocked inject "$PWD/stalled" ARK_INJECT_STALL=read \
		ARK_INJECT_PATH="$PWD/app.ark" ARK_INJECT_STALL_MARK="$PWD/stalled" \
		"$RESTORE" "$arc" t/app.db
	signal_blocked "$SIG"
	assert_interrupted ark-restore
	assert_dir_empty t
}

restore_force_stalled_fsync() {
	SIG=$1
	local arc before
	make_small_db app.db
	arc=$(snapshot_one app.db app.ark)
	mkdir t
	sqlite3 t/app.db 'CREATE TABLE old(x); INSERT INTO old VALUES (42);'
	cp t/app.db old.copy
	before=$(ls -A t)
	# the fsync of the restored image, just before the old file is
	# moved aside
	start_blocked inject "$PWD/stalled" ARK_INJECT_STALL=fsync \
		ARK_INJECT_PATH=".ark-tmp-" ARK_INJECT_STALL_MARK="$PWD/stalled" \
		"$RESTORE" --force "$arc" t/app.db
	signal_blocked "$SIG"
	assert_interrupted ark-restore
	[[ $(ls -A t) == "$before" ]] || fail "t/ was: $before; now: $(ls -A t)"
	cmp -s t/app.db old.copy || fail "TARGET changed"
}

@test "ark-restore --force stalled in fsync of the image: SIGTERM ends it (130), TARGET untouched" {
	restore_force_stalled_fsync TERM
}

@test "ark-restore --force stalled in fsync of the image: SIGINT ends it (130), TARGET untouched" {
	restore_force_stalled_fsync INT
}

# ----------------------------------------------------- ark-checksum-verify

verify_stalled() {
	SIG=$1
	local op=$2 path=$3 arc
	make_small_db app.db
	arc=$(snapshot_one app.db app.ark)
	mkdir tmp
	start_blocked inject "$PWD/stalled" TMPDIR="$PWD/tmp" ARK_INJECT_STALL="$op" \
		ARK_INJECT_PATH="$path" ARK_INJECT_STALL_MARK="$PWD/stalled" \
		"$VERIFY" --deep "$arc"
	signal_blocked "$SIG"
	assert_interrupted ark-checksum-verify
	assert_output_empty
	assert_dir_empty tmp
}

@test "ark-checksum-verify --deep stalled writing the image to TMPDIR: SIGTERM ends it (130)" {
	verify_stalled TERM write "$PWD/tmp/"
}

@test "ark-checksum-verify --deep stalled writing the image to TMPDIR: SIGINT ends it (130)" {
	verify_stalled INT write "$PWD/tmp/"
}

@test "ark-checksum-verify --deep stalled reading the archive: SIGTERM ends it (130)" {
	verify_stalled TERM read "$PWD/app.ark"
}

@test "ark-checksum-verify --deep stalled reading the archive: SIGINT ends it (130)" {
	verify_stalled INT read "$PWD/app.ark"
}

# ------------------------------------------------------ closed stdout pipe

@test "closed stdout: ark-snapshot exits 5 with one error line, not SIGPIPE" {
	make_small_db app.db
	mkdir out
	run --separate-stderr closed_stdout "$SNAPSHOT" -o out app.db
	assert_status 5
	[[ $stderr == "ark-snapshot: error: cannot write standard output: Broken pipe" ]] ||
		fail "stderr: $stderr"
}

@test "closed stdout: ark-restore exits 5 with one error line, not SIGPIPE" {
	local arc
	make_small_db app.db
	arc=$(snapshot_one app.db app.ark)
	run --separate-stderr closed_stdout "$RESTORE" "$arc" restored.db
	assert_status 5
	[[ $stderr == "ark-restore: error: cannot write standard output: Broken pipe" ]] ||
		fail "stderr: $stderr"
}

@test "closed stdout: ark-checksum-verify exits 5 with one error line, not SIGPIPE" {
	local arc
	make_small_db app.db
	arc=$(snapshot_one app.db app.ark)
	run --separate-stderr closed_stdout "$VERIFY" "$arc"
	assert_status 5
	[[ $stderr == "ark-checksum-verify: error: cannot write standard output: Broken pipe" ]] ||
		fail "stderr: $stderr"
	run --separate-stderr closed_stdout "$VERIFY" --json "$arc"
	assert_status 5
	[[ $stderr == "ark-checksum-verify: error: cannot write standard output: Broken pipe" ]] ||
		fail "--json: stderr: $stderr"
}

@test "closed stdout: ark-checksum-verify of several archives stops at the first (exit 5)" {
	local arc
	make_small_db app.db
	arc=$(snapshot_one app.db a.ark)
	cp a.ark b.ark
	cp a.ark corrupt.ark
	flip_byte corrupt.ark 1000
	# nobody reads the results any more: the corrupt archive after them
	# is never looked at, so its error line never comes
	run --separate-stderr closed_stdout "$VERIFY" a.ark b.ark corrupt.ark
	assert_status 5
	[[ $stderr == "ark-checksum-verify: error: cannot write standard output: Broken pipe" ]] ||
		fail "stderr: $stderr"
	# a corrupt archive found before the pipe closed is the worse news
	run --separate-stderr closed_stdout "$VERIFY" corrupt.ark a.ark
	assert_status 4
	[[ $stderr == "ark-checksum-verify: error: "*$'\n'"ark-checksum-verify: error: cannot write standard output: Broken pipe" ]] ||
		fail "stderr: $stderr"
}

@test "closed stdout: --help and --version exit 5 with one error line" {
	local tool
	for tool in ark-snapshot ark-checksum-verify ark-restore; do
		for opt in --help --version; do
			run --separate-stderr closed_stdout "$ARK_BIN/$tool" "$opt"
			assert_status 5
			[[ $stderr == "$tool: error: cannot write standard output: Broken pipe" ]] ||
				fail "$tool $opt: stderr: $stderr"
		done
	done
}
