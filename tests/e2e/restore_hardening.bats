#!/usr/bin/env bats
# ark-restore under hostile conditions (issue 5, items 1, 2, 10, 11, 12,
# 20): planted files under the kept names, two restores of one TARGET at
# once, ACLs and extended attributes, paths near SQLite's 512-byte limit,
# too few file descriptors, a damaged database restored on request, and
# the check proportionate to what the archive already proves.

load helpers

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	enter_workdir
}

# wal_app DIR - DIR/app.db: the small database in WAL mode with artist
# 1000 committed only in its WAL (DIR/app.db-wal); snap.ark: a snapshot
# of the small database without that row.
wal_app() {
	make_small_db small.db
	sqlite3 small.db 'PRAGMA journal_mode=wal' >/dev/null
	arc=$(snapshot_one small.db snap.ark)
	mkdir -p "$1"
	cp small.db "$1/app.db"
	keep_wal "$1/app.db" "INSERT INTO artist VALUES (1000, 'in the wal');"
	[[ -s $1/app.db-wal ]] || fail "test bug: no WAL"
}

# stamps FROM TO - the kept-name stamps of the UTC seconds now+FROM..now+TO.
stamps() {
	local now i
	now=$(date +%s)
	for ((i = $1; i <= $2; i++)); do
		date -u -d "@$((now + i))" +%Y%m%dT%H%M%SZ
	done
}

# ------------------------------------------------ item 1: kept names, undo

@test "a file planted under TARGET.pre-restore-<stamp>-wal: the next name is used, the live WAL rows are kept" {
	local arc stamp kept
	wal_app t
	cp t/app.db-wal wal.copy
	for stamp in $(stamps -2 20); do
		printf 'planted\n' >"t/app.db.pre-restore-$stamp-wal"
	done
	run --separate-stderr "$RESTORE" --force "$arc" t/app.db
	assert_status 0
	assert_stderr_empty
	kept=$(sed -n 's/^kept: //p' <<<"$output")
	[[ $kept =~ ^t/app\.db\.pre-restore-${STAMP_RE}\.1$ ]] ||
		fail "kept as '$kept', want t/app.db.pre-restore-<stamp>.1"
	[[ $output == "restored: t/app.db ($(stat -c %s small.db) bytes, quick_check ok)"$'\n'"kept: $kept" ]] ||
		fail "stdout: $output"
	# the live database went to the kept name with its own WAL
	cmp -s "$kept-wal" wal.copy || fail "the kept WAL is not the live one"
	[[ $(sqlite3 "$kept" "SELECT name FROM artist WHERE id = 1000") == "in the wal" ]] ||
		fail "the row committed in the WAL is lost"
	# every planted file is as it was; the restored TARGET has no WAL
	for stamp in $(stamps -2 0); do
		[[ $(cat "t/app.db.pre-restore-$stamp-wal") == planted ]] ||
			fail "planted file changed"
	done
	assert_no_such t/app.db-wal
	[[ $(sqlite3 t/app.db "SELECT count(*) FROM artist WHERE id = 1000") == 0 ]] ||
		fail "the restored database is not the snapshot"
}

# ---------------------------------------------------- item 2: TARGET lock

@test "another process holds TARGET's lock: exit 8 naming TARGET, nothing touched" {
	local arc before
	wal_app t
	# the lock an ark-restore of t/app.db takes, held here with flock(1)
	exec 9>t/.app.db.ark-lock
	flock -n 9 || fail "cannot take the lock in the test"
	before=$(ls -A --full-time t; md5sum t/app.db t/app.db-wal)
	run --separate-stderr "$RESTORE" --force "$arc" t/app.db
	exec 9>&-
	assert_status 8
	assert_output_empty
	[[ $stderr == "ark-restore: error: 't/app.db' is being restored by another process (it holds 't/.app.db.ark-lock'); nothing was changed" ]] ||
		fail "stderr: $stderr"
	[[ $(ls -A --full-time t; md5sum t/app.db t/app.db-wal) == "$before" ]] ||
		fail "t/ changed"
	# released: the next restore runs and leaves no lock file behind
	rm t/.app.db.ark-lock
	run --separate-stderr "$RESTORE" --force "$arc" t/app.db
	assert_status 0
	assert_no_such t/.app.db.ark-lock
}

@test "30 rounds of two concurrent --force restores with a stale WAL: the stale WAL is never applied" {
	local arc round a b rc_a rc_b wins
	make_small_db small.db
	sqlite3 small.db 'PRAGMA journal_mode=wal' >/dev/null
	arc=$(snapshot_one small.db snap.ark)
	# a WAL of the same database that would add artist 1000
	cp small.db stale.db
	keep_wal stale.db "INSERT INTO artist VALUES (1000, 'stale');"
	wins=0
	for ((round = 1; round <= 30; round++)); do
		rm -rf t && mkdir t
		cp stale.db-wal t/app.db-wal
		"$RESTORE" -q --force "$arc" t/app.db 2>a.err &
		a=$!
		"$RESTORE" -q --force "$arc" t/app.db 2>b.err &
		b=$!
		rc_a=0 rc_b=0
		wait "$a" || rc_a=$?
		wait "$b" || rc_b=$?
		[[ $rc_a == 0 || $rc_a == 8 ]] || fail "round $round: exit $rc_a: $(cat a.err)"
		[[ $rc_b == 0 || $rc_b == 8 ]] || fail "round $round: exit $rc_b: $(cat b.err)"
		[[ $rc_a == 0 || $rc_b == 0 ]] || fail "round $round: neither restored"
		((rc_a == 8 || rc_b == 8)) && wins=$((wins + 1))
		assert_no_such t/app.db-wal t/app.db-shm t/.app.db.ark-lock
		[[ $(sqlite3 t/app.db "SELECT count(*) FROM artist WHERE id = 1000") == 0 ]] ||
			fail "round $round: the stale WAL was applied to the restored database"
		# the stale WAL is kept, exactly once
		[[ $(ls t | grep -c -- '-wal$') == 1 ]] || fail "round $round: $(ls -A t)"
	done
	diag "rounds where the second run found the lock taken (exit 8): $wins of 30"
}

# ---------------------------------------------- item 10: ACLs and xattrs

@test "restore --force keeps TARGET's POSIX ACL and user.* extended attributes" {
	command -v setfacl >/dev/null && command -v setfattr >/dev/null ||
		skip "setfacl/setfattr not installed (Debian packages acl, attr)"
	local arc
	make_small_db small.db
	arc=$(snapshot_one small.db snap.ark)
	mkdir t
	make_small_db t/app.db
	chmod 0600 t/app.db
	setfattr -n user.ark.test -v kept-value t/app.db 2>/dev/null ||
		skip "no user xattrs on this file system"
	setfacl -m u:nobody:rw t/app.db || skip "no ACLs on this file system"
	local acl_before mode_before
	acl_before=$(getfacl -c t/app.db 2>/dev/null)
	mode_before=$(stat -c %a t/app.db)
	run --separate-stderr "$RESTORE" --force "$arc" t/app.db
	assert_status 0
	[[ $(getfacl -c t/app.db 2>/dev/null) == "$acl_before" ]] ||
		fail "ACL: $(getfacl -c t/app.db) want: $acl_before"
	[[ $(getfattr --only-values -n user.ark.test t/app.db) == kept-value ]] ||
		fail "user.ark.test lost"
	[[ $(stat -c %a t/app.db) == "$mode_before" ]] ||
		fail "mode $(stat -c %a t/app.db), want $mode_before (group bits are the ACL mask)"
	diff <(dump small.db) <(dump t/app.db) || fail "restored content differs"
}

# ------------------------------------- item 11: long paths, few descriptors

# deep_dir LEN - create and print a directory whose absolute path is LEN
# bytes long, under the work directory.
deep_dir() {
	local dir=$PWD want=$1 part
	while ((${#dir} + 51 < want)); do
		part=$(printf 'd%.0s' {1..50})
		dir=$dir/$part
	done
	part=$(printf 'e%.0s' $(seq 1 $((want - ${#dir} - 1))))
	dir=$dir/$part
	mkdir -p "$dir"
	printf '%s\n' "$dir"
}

@test "a TARGET of 501 bytes restores (its temporary is no longer than SQLite's 512-byte limit)" {
	local arc dir target
	make_small_db small.db
	arc=$(snapshot_one small.db snap.ark)
	dir=$(deep_dir 480)
	target=$dir/restored-database.db
	((${#target} == 501)) || fail "test bug: ${#target} bytes"
	run --separate-stderr "$RESTORE" "$arc" "$target"
	assert_status 0
	assert_stderr_empty
	[[ $output == "restored: $target ($(stat -c %s small.db) bytes, quick_check ok)" ]] ||
		fail "stdout: $output"
	diff <(dump small.db) <(dump "$target") || fail "restored content differs"
	[[ $(ls -A "$dir") == restored-database.db ]] || fail "left: $(ls -A "$dir")"
}

@test "verify --deep with a TMPDIR of 480 bytes checks the image" {
	local arc dir
	make_small_db small.db
	arc=$(snapshot_one small.db snap.ark)
	dir=$(deep_dir 480)
	TMPDIR=$dir run --separate-stderr "$VERIFY" --deep "$arc"
	assert_status 0
	assert_stderr_empty
	assert_output_has "deep: raw hashes and quick_check ok)"
	assert_dir_empty "$dir"
}

@test "too few file descriptors (ulimit -n): never exit 9, the cause is named" {
	local arc n seen=0
	make_small_db small.db
	arc=$(snapshot_one small.db snap.ark)
	for n in 4 5 6 7 8; do
		# only 0-2 open (bats keeps more), then the limit
		run --separate-stderr bash -c '
			for f in /proc/$$/fd/*; do
				fd=${f##*/}
				((fd > 2)) && eval "exec $fd>&-"
			done
			ulimit -n "$1" && exec "$2" "$3" "$4"' _ \
			"$n" "$RESTORE" "$arc" "t$n.db"
		case $status in
		0) ;;
		3)
			[[ $stderr =~ ^"ark-restore: error: cannot check '.ark-tmp-"[A-Za-z0-9]{6}"' (unable to open database file): Too many open files"$ ]] ||
				fail "ulimit -n $n: stderr: $stderr"
			seen=$((seen + 1))
			;;
		5)
			[[ $stderr == "ark-restore: error: "*"Too many open files" ]] ||
				fail "ulimit -n $n: stderr: $stderr"
			;;
		*)
			show_run >&2
			fail "ulimit -n $n: exit $status"
			;;
		esac
		((status == 0)) || assert_no_such "t$n.db"
	done
	((seen == 1)) || fail "no limit made the check itself fail (seen $seen)"
	[[ -z $(ls -A | grep -E 'ark-(tmp|lock)') ]] || fail "left: $(ls -A)"
}

# --------------------------------------- item 12: restore a damaged database

# bad_archive - bad.ark: an intact archive of a database whose index
# album_artist does not match its table (integrity_check reports it,
# quick_check does not look), written without --check.
bad_archive() {
	make_small_db bad.db
	sqlite3 bad.db "PRAGMA writable_schema=ON;
		UPDATE sqlite_schema SET sql = 'CREATE INDEX album_artist ON album(title)'
		WHERE name = 'album_artist';"
	"$SNAPSHOT" -q -o bad.ark bad.db || fail "snapshot"
}

@test "--allow-damaged restores a database that fails its check: exit 10, the problems named" {
	# the first of the problems (ark keeps as many as fit in one line)
	local problems='row 1 missing from index album_artist; row 2 missing from index album_artist; '
	bad_archive
	mkdir t
	printf 'old\n' >t/app.db
	# without it: exit 9, nothing written
	run --separate-stderr "$RESTORE" --force --full-check bad.ark t/app.db
	assert_status 9
	assert_output_empty
	[[ $stderr == "ark-restore: error: the database image fails integrity_check: $problems"* && $stderr != *$'\n'* ]] ||
		fail "stderr: $stderr"
	[[ $(cat t/app.db) == old && $(ls -A t) == app.db ]] || fail "t/ changed: $(ls -A t)"
	# with it: restored, the result printed, one loud line, exit 10
	run --separate-stderr "$RESTORE" --force --full-check --allow-damaged bad.ark t/app.db
	assert_status 10
	[[ ${lines[0]} == "restored: t/app.db ($(stat -c %s bad.db) bytes, integrity_check $problems"*")" ]] ||
		fail "stdout: $output"
	[[ $stderr == "ark-restore: error: 't/app.db' was restored as --allow-damaged asks, but the database fails integrity_check: $problems"* && $stderr != *$'\n'* ]] ||
		fail "stderr: $stderr"
	diff <(dump bad.db) <(dump t/app.db) || fail "t/app.db is not the archived database"
	[[ $(cat "$(sed -n 's/^kept: //p' <<<"$output")") == old ]] || fail "old file not kept"
}

# -------------------------------------------- item 20: proportionate check

@test "the default check: quick_check; none when the archive records a passing integrity_check; --full-check runs it" {
	local plain checked
	make_small_db small.db
	plain=$(snapshot_one small.db plain.ark)
	checked=$(snapshot_one small.db checked.ark --check)
	run --separate-stderr "$RESTORE" "$plain" a.db
	assert_status 0
	[[ $output == "restored: a.db ($(stat -c %s small.db) bytes, quick_check ok)" ]] || fail "$output"
	run --separate-stderr "$RESTORE" "$checked" b.db
	assert_status 0
	[[ $output == "restored: b.db ($(stat -c %s small.db) bytes, integrity_check ok at snapshot)" ]] || fail "$output"
	run --separate-stderr "$RESTORE" --full-check --json "$checked" c.db
	assert_status 0
	[[ $(json_get <(printf '%s' "$output") 'j["check"], j["integrity_check"]') == "('integrity_check', 'ok')" ]] ||
		fail "$output"
	run --separate-stderr "$VERIFY" --deep "$checked"
	assert_status 0
	assert_output_has ", deep: raw hashes and integrity_check ok at snapshot)"
	run --separate-stderr "$VERIFY" --deep --full-check "$plain"
	assert_status 0
	assert_output_has ", deep: raw hashes and integrity_check ok)"
	run --separate-stderr "$VERIFY" --deep "$plain"
	assert_status 0
	assert_output_has ", deep: raw hashes and quick_check ok)"
}

@test "an archive that records a failed integrity_check gets the full check (exit 9 from restore and --deep)" {
	make_small_db bad.db
	sqlite3 bad.db "PRAGMA writable_schema=ON;
		UPDATE sqlite_schema SET sql = 'CREATE INDEX album_artist ON album(title)'
		WHERE name = 'album_artist';"
	run --separate-stderr "$SNAPSHOT" --check -o bad.ark bad.db
	assert_status 9
	run --separate-stderr "$VERIFY" --deep bad.ark
	assert_status 9
	assert_stderr_has "fails integrity_check: "
	run --separate-stderr "$RESTORE" bad.ark t.db
	assert_status 9
	assert_error ark-restore "the database image fails integrity_check: "
	assert_no_such t.db
}

@test "a failure after the old files were moved aside (fsync EIO at the commit): exactly they go back, the WAL rows live" {
	require_inject
	local arc before
	wal_app t
	cp t/app.db app.copy
	cp t/app.db-wal wal.copy
	before=$(ls -A t)
	# the first fsync of the temporary passes, the commit's fails
	run --separate-stderr with_inject env ARK_INJECT_FSYNC_EIO=1 \
		ARK_INJECT_FSYNC_EIO_SKIP=1 ARK_INJECT_PATH=".ark-tmp-" \
		"$RESTORE" --force "$arc" t/app.db
	assert_status 5
	assert_output_empty
	[[ $stderr == "ark-restore: error: cannot write 't/app.db': Input/output error" ]] ||
		fail "stderr: $stderr"
	cmp -s t/app.db app.copy || fail "TARGET changed"
	cmp -s t/app.db-wal wal.copy || fail "TARGET-wal changed or moved"
	[[ $(ls -A t) == "$before" ]] || fail "t/ was: $before; now: $(ls -A t)"
	[[ $(sqlite3 t/app.db "SELECT name FROM artist WHERE id = 1000") == "in the wal" ]] ||
		fail "the row committed in the WAL is gone"
}

@test "a file planted at TARGET-wal while the old files are aside: the undo never overwrites it and says where the old ones are" {
	require_inject
	local arc kept
	wal_app t
	cp t/app.db app.copy
	cp t/app.db-wal wal.copy
	# at the failing commit another user creates t/app.db-wal
	run --separate-stderr with_inject env ARK_INJECT_FSYNC_EIO=1 \
		ARK_INJECT_FSYNC_EIO_SKIP=1 ARK_INJECT_PATH=".ark-tmp-" \
		ARK_INJECT_FSYNC_EIO_PLANT="$PWD/t/app.db-wal" \
		"$RESTORE" --force "$arc" t/app.db
	assert_status 5
	assert_output_empty
	kept=$(cd t && ls | grep -E "^app\.db\.pre-restore-${STAMP_RE}\$") ||
		fail "no kept database: $(ls -A t)"
	[[ $stderr == "ark-restore: error: 't/app.db' is kept as 't/$kept': 't/app.db-wal' could not be put back and is kept as 't/$kept-wal': cannot write 't/app.db': Input/output error" ]] ||
		fail "stderr: $stderr"
	# nothing was overwritten: the planted file is as planted, TARGET as
	# it was, and the old database is complete, with its WAL, under the
	# kept name
	[[ $(cat t/app.db-wal) == planted ]] || fail "the planted file was replaced"
	cmp -s t/app.db app.copy || fail "TARGET changed"
	cmp -s "t/$kept-wal" wal.copy || fail "the kept WAL is not the old one"
	[[ $(sqlite3 "t/$kept" "SELECT name FROM artist WHERE id = 1000") == "in the wal" ]] ||
		fail "the row committed in the WAL is not in the kept database"
}
