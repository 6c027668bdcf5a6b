#!/usr/bin/env bats
# Failures midway: SIGINT / SIGTERM (exit 130, nothing left), SIGKILL
# (only a temporary may remain, never a file under the final name), a full
# disk (real tmpfs and the LD_PRELOAD shim), fsync failing with EIO, and
# unwritable or missing output directories.  A failed write never leaves a
# partial archive or database behind and never touches an existing file.

load helpers

# A ~150 MB database of random hex text: with -T 0 -l 19 a snapshot of it
# takes minutes, so a signal always lands midway.  Its archive (level 1)
# takes ark-restore a few hundred ms to write.
setup_file() {
	cd "$BATS_FILE_TMPDIR"
	sqlite3 big.db "PRAGMA journal_mode=off; PRAGMA synchronous=off;
		CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700000)
		INSERT INTO t SELECT i, hex(randomblob(100)) FROM n;" >/dev/null
	export BIG_DB=$BATS_FILE_TMPDIR/big.db
	if [[ -x $SNAPSHOT ]]; then
		"$SNAPSHOT" -q -l 1 -o big.ark big.db >/dev/null
		export BIG_ARK=$BATS_FILE_TMPDIR/big.ark
	fi
}

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	enter_workdir
	MOUNTS=()
}

teardown() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}

# mount_tmpfs DIR OPTIONS - or skip when mounting is not possible here.
mount_tmpfs() {
	mkdir -p "$1"
	if ! mount -t tmpfs -o "$2" tmpfs "$1" 2>mount.err; then
		skip "cannot mount a tmpfs here ($(cat mount.err)); needs root"
	fi
	MOUNTS+=("$1")
	rm -f mount.err
}

# kill_midway SIGNAL DIR REGEX DELAY CMD... - see arkfmt.py killwhen;
# sets SEEN, ALIVE and RC.
kill_midway() {
	local sig=$1 dir=$2 re=$3 delay=$4 out
	shift 4
	out=$(arkfmt killwhen "$sig" "$dir" "$re" "$delay" -- "$@" 2>killed.err)
	SEEN=$(sed -n 's/^seen //p' <<<"$out")
	ALIVE=$(sed -n 's/^alive //p' <<<"$out")
	RC=$(sed -n 's/^exit //p' <<<"$out")
	KILLED_ERR=$(cat killed.err)
	rm -f killed.err
	[[ $SEEN != - ]] || fail "no file matching $re appeared in $dir; stderr: $KILLED_ERR"
	[[ $ALIVE == yes ]] || fail "the command ended (exit $RC) before the signal; nothing tested"
}

# ------------------------------------------------------------------ signals

snapshot_signal() {
	local sig=$1
	mkdir out
	kill_midway "$sig" out 'ark-tmp' 0.3 "$SNAPSHOT" -T 0 -l 19 -o out "$BIG_DB"
	diag "SIG$sig after the temporary $SEEN appeared (+0.3 s): exit $RC"
	[[ $RC == 130 ]] || fail "exit $RC, want 130; stderr: $KILLED_ERR"
	[[ $KILLED_ERR == "ark-snapshot: error: "* && $KILLED_ERR != *$'\n'* ]] ||
		fail "not one error line: $KILLED_ERR"
	[[ $KILLED_ERR == *interrupted* ]] || fail "stderr: $KILLED_ERR"
	assert_dir_empty out
}

@test "ark-snapshot: SIGINT midway exits 130 and leaves nothing" {
	snapshot_signal INT
}

@test "ark-snapshot: SIGTERM midway exits 130 and leaves nothing" {
	snapshot_signal TERM
}

@test "ark-snapshot: SIGHUP midway exits 130 and leaves nothing" {
	snapshot_signal HUP
}

@test "ark-snapshot: SIGKILL midway leaves at most a .*.ark-tmp-* file" {
	mkdir out
	kill_midway KILL out 'ark-tmp' 0.3 "$SNAPSHOT" -T 0 -l 19 -o out "$BIG_DB"
	[[ $RC == 137 ]] || fail "exit $RC"
	local name
	for name in $(ls -A out); do
		[[ $name =~ ^\..+\.ark-tmp-.+$ ]] ||
			fail "after SIGKILL: '$name' is not a temporary"
		[[ $name != *.ark ]] || fail "a file under a final name: $name"
	done
	# the leftover does not get in the way of the next snapshot
	make_small_db small.db
	run --separate-stderr "$SNAPSHOT" -o out small.db
	assert_status 0
	run --separate-stderr "$VERIFY" "$(sed -n 's/^archive: //p' <<<"$output")"
	assert_status 0
}

restore_signal() {
	local sig=$1
	[[ -f ${BIG_ARK-} ]] || fail "setup_file did not make big.ark"
	mkdir t
	kill_midway "$sig" t 'ark-tmp' 0 "$RESTORE" "$BIG_ARK" t/big.db
	diag "SIG$sig once $SEEN appeared: exit $RC"
	[[ $RC == 130 ]] || fail "exit $RC, want 130; stderr: $KILLED_ERR"
	[[ $KILLED_ERR == "ark-restore: error: "*interrupted* ]] ||
		fail "stderr: $KILLED_ERR"
	assert_dir_empty t
}

@test "ark-restore: SIGINT while writing exits 130 and leaves nothing" {
	restore_signal INT
}

@test "ark-restore: SIGTERM while writing exits 130, an existing TARGET is untouched" {
	[[ -f ${BIG_ARK-} ]] || fail "setup_file did not make big.ark"
	mkdir t
	copy_chinook t/app.db
	kill_midway TERM t 'ark-tmp' 0 "$RESTORE" --force "$BIG_ARK" t/app.db
	[[ $RC == 130 ]] || fail "exit $RC, want 130; stderr: $KILLED_ERR"
	cmp -s t/app.db "$CHINOOK_SRC" || fail "TARGET changed"
	[[ $(ls -A t) == app.db ]] || fail "left in t/: $(ls -A t)"
}

# ---------------------------------------------------------------- full disk

@test "full disk (200 KiB tmpfs): ark-snapshot exits 5, nothing left" {
	mount_tmpfs full size=200k
	copy_chinook chinook.sqlite
	run --separate-stderr "$SNAPSHOT" -o full chinook.sqlite
	assert_status 5
	assert_error ark-snapshot "No space left on device"
	assert_dir_empty full
	# also with an explicit file name
	run --separate-stderr "$SNAPSHOT" -o full/x.ark chinook.sqlite
	assert_status 5
	assert_error ark-snapshot "No space left on device"
	assert_dir_empty full
}

@test "full disk (200 KiB tmpfs): ark-restore exits 5, nothing left" {
	mount_tmpfs full size=200k
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	run --separate-stderr "$RESTORE" "$arc" full/target.db
	assert_status 5
	assert_error ark-restore "No space left on device"
	assert_dir_empty full
}

@test "ENOSPC after 50000 bytes (LD_PRELOAD shim): ark-snapshot exits 5, nothing left" {
	require_inject
	copy_chinook chinook.sqlite
	mkdir out
	run --separate-stderr with_inject env ARK_INJECT_ENOSPC_AFTER=50000 \
		ARK_INJECT_PATH="$PWD/out/" "$SNAPSHOT" -o out chinook.sqlite
	assert_status 5
	assert_error ark-snapshot "No space left on device"
	assert_dir_empty out
	# the same without the shim works: the failure was the injected one
	run --separate-stderr "$SNAPSHOT" -o out chinook.sqlite
	assert_status 0
}

@test "ENOSPC after 50000 bytes (LD_PRELOAD shim): ark-restore exits 5, nothing left" {
	require_inject
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	mkdir t
	run --separate-stderr with_inject env ARK_INJECT_ENOSPC_AFTER=50000 \
		ARK_INJECT_PATH="$PWD/t/" "$RESTORE" "$arc" t/target.db
	assert_status 5
	assert_error ark-restore "No space left on device"
	assert_dir_empty t
}

# wal_target_setup - an archive of chinook in $arc, and t/app.db in WAL
# mode with a committed row only in t/app.db-wal; copies of both and the
# listing of t/ ($before) to compare with afterwards.
wal_target_setup() {
	copy_chinook chinook.sqlite
	arc=$(snapshot_one chinook.sqlite snap.ark)
	mkdir t
	make_small_db t/app.db
	sqlite3 t/app.db 'PRAGMA journal_mode=wal' >/dev/null
	keep_wal t/app.db "INSERT INTO artist VALUES (1000, 'in the wal');"
	cp t/app.db app.copy
	cp t/app.db-wal wal.copy
	before=$(ls -A t | sort | tr '\n' ' ')
}

# wal_target_unchanged - t/app.db, its WAL and the listing of t/ are as
# wal_target_setup left them.
wal_target_unchanged() {
	cmp -s t/app.db app.copy || fail "TARGET changed"
	cmp -s t/app.db-wal wal.copy || fail "TARGET-wal changed or moved"
	[[ $(ls -A t | sort | tr '\n' ' ') == "$before" ]] ||
		fail "t/ was: $before; now: $(ls -A t)"
}

@test "ENOSPC during restore --force: the existing TARGET and its WAL stay as they were" {
	require_inject
	local arc before
	wal_target_setup
	run --separate-stderr with_inject env ARK_INJECT_ENOSPC_AFTER=50000 \
		ARK_INJECT_PATH="$PWD/t/" "$RESTORE" --force "$arc" t/app.db
	assert_status 5
	assert_error ark-restore "No space left on device"
	wal_target_unchanged
}

@test "SIGTERM when restore --force flushes the image: TARGET keeps its WAL (130)" {
	require_inject
	local arc before
	wal_target_setup
	# the signal lands at the first fsync of the restored temporary, the
	# slow step just before the old files would be moved aside
	run --separate-stderr with_inject env ARK_INJECT_FSYNC_SIGNAL=15 \
		ARK_INJECT_PATH=".ark-tmp-" "$RESTORE" --force "$arc" t/app.db
	assert_status 130
	wal_target_unchanged
	[[ $(sqlite3 t/app.db "SELECT name FROM artist WHERE id = 1000") == "in the wal" ]] ||
		fail "the row committed in the WAL is gone"
}

@test "restore and verify --deep with '?', '#' and '%' in the paths" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	# SQLite reads these as URI syntax unless they are escaped
	run --separate-stderr "$RESTORE" "$arc" 'a?b#c%41.db'
	assert_status 0
	diff <(dump chinook.sqlite) <(dump 'a?b#c%41.db') || fail "restored content differs"
	mkdir 'tmp#1?x%2F'
	TMPDIR="$PWD/tmp#1?x%2F" run --separate-stderr "$VERIFY" --deep "$arc"
	assert_status 0
	[[ $output == *"quick_check ok"* ]] || fail "no quick_check in: $output"
}

@test "fsync fails with EIO (LD_PRELOAD shim): ark-snapshot and ark-restore exit 5" {
	require_inject
	copy_chinook chinook.sqlite
	mkdir out t
	run --separate-stderr with_inject env ARK_INJECT_FSYNC_EIO=1 \
		ARK_INJECT_PATH="$PWD/out/" "$SNAPSHOT" -o out chinook.sqlite
	assert_status 5
	assert_error ark-snapshot "Input/output error"
	assert_dir_empty out
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	run --separate-stderr with_inject env ARK_INJECT_FSYNC_EIO=1 \
		ARK_INJECT_PATH="$PWD/t/" "$RESTORE" "$arc" t/target.db
	assert_status 5
	assert_error ark-restore "Input/output error"
	assert_dir_empty t
}

# -------------------------------------------------- unwritable destinations

@test "read-only output directory: ark-snapshot and ark-restore exit 5" {
	mount_tmpfs ro ro,size=1m
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	run --separate-stderr "$SNAPSHOT" -o ro chinook.sqlite
	assert_status 5
	assert_error ark-snapshot "Read-only file system"
	run --separate-stderr "$RESTORE" "$arc" ro/target.db
	assert_status 5
	assert_error ark-restore "Read-only file system"
	assert_dir_empty ro
}

@test "missing output directory: exit 5 with one error line" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	run --separate-stderr "$RESTORE" "$arc" no/such/dir/target.db
	assert_status 5
	assert_error ark-restore "cannot write 'no/such/dir/target.db': directory 'no/such/dir' does not exist"
	run --separate-stderr "$SNAPSHOT" -o no/such/dir/x.ark chinook.sqlite
	assert_status 5
	assert_error ark-snapshot "cannot write 'no/such/dir/x.ark': directory 'no/such/dir' does not exist"
	assert_no_such no
}

# ------------------------------------------------------------------- locks

# hold_lock DB SECONDS - another process holds an EXCLUSIVE lock on DB (a
# rollback-journal database) for SECONDS; returns once it holds it.
hold_lock() {
	python3 -c '
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
con.execute("INSERT INTO artist(name) VALUES (?)", ("uncommitted",))
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("ROLLBACK")' "$1" "$2" >lock.out 2>&1 3>&- &
	LOCK_PID=$!
	local n
	for n in $(seq 200); do
		[[ -s lock.out ]] && return 0
		sleep 0.02
	done
	fail "the lock holder did not start"
}

@test "locked past --busy-timeout: exit 6, nothing written" {
	make_small_db app.db
	mkdir out
	hold_lock app.db 5
	local start elapsed
	start=$(now_ms)
	run --separate-stderr "$SNAPSHOT" --busy-timeout 300 -o out app.db
	elapsed=$(($(now_ms) - start))
	kill "$LOCK_PID" 2>/dev/null || true
	wait "$LOCK_PID" 2>/dev/null || true
	assert_status 6
	assert_error ark-snapshot "locked"
	assert_stderr_has "busy-timeout"
	((elapsed < 3000)) || fail "gave up only after $elapsed ms"
	assert_dir_empty out
}

@test "a lock released within --busy-timeout: the snapshot waits and succeeds" {
	make_small_db app.db
	mkdir out
	hold_lock app.db 0.5
	run --separate-stderr "$SNAPSHOT" --busy-timeout 10000 -o out app.db
	wait "$LOCK_PID" || true
	assert_status 0
	local arc
	arc=$(sed -n 's/^archive: //p' <<<"$output")
	"$RESTORE" -q "$arc" r.db || fail "restore"
	# the uncommitted row of the lock holder is not in the snapshot
	[[ $(sqlite3 r.db "SELECT count(*) FROM artist WHERE name = 'uncommitted'") == 0 ]] ||
		fail "uncommitted row archived"
	diff <(dump app.db) <(dump r.db) || fail "snapshot differs"
}
