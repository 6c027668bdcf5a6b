#!/usr/bin/env bats
# Command-line contract of the three tools: --help, --version, usage
# errors, exit codes for unreadable and wrong input, output naming and
# permissions, refusing to overwrite, --json.

load helpers

TOOLS=(ark-snapshot ark-checksum-verify ark-restore ark-transfer)

setup() {
	enter_workdir
}

# ------------------------------------------------------------ --help etc.

check_help() {
	local tool=$1
	require_tool "$tool"
	run --separate-stderr "$ARK_BIN/$tool" --help
	assert_status 0
	assert_output_has "Usage: $tool "
	assert_stderr_empty
	run --separate-stderr "$ARK_BIN/$tool" -h
	assert_status 0
	assert_output_has "Usage: $tool "
}

check_version() {
	local tool=$1
	require_tool "$tool"
	run --separate-stderr "$ARK_BIN/$tool" --version
	assert_status 0
	[[ ${lines[0]} == "$tool (ark) 0.1.0" ]] ||
		fail "first line is '${lines[0]}', want '$tool (ark) 0.1.0'"
	assert_stderr_empty
}

# assert_usage_error TOOL MESSAGE - stderr is exactly the usage error:
# "TOOL: error: MESSAGE" (the form of every error) and the --help hint.
assert_usage_error() {
	local want="$1: error: $2"$'\n'"Try '$1 --help' for more information."
	if [[ ${stderr-} != "$want" ]]; then
		show_run >&2
		fail "stderr is not the usage error:" "$want"
	fi
}

check_bad_option() {
	local tool=$1
	require_tool "$tool"
	run --separate-stderr "$ARK_BIN/$tool" --no-such-option x y
	assert_status 2
	assert_output_empty
	assert_usage_error "$tool" "unknown option '--no-such-option'"
	run --separate-stderr "$ARK_BIN/$tool" -Z x y
	assert_status 2
	assert_output_empty
	assert_usage_error "$tool" "unknown option '-Z'"
}

@test "ark-snapshot --help and -h print usage on stdout, exit 0" {
	check_help ark-snapshot
}

@test "ark-checksum-verify --help and -h print usage on stdout, exit 0" {
	check_help ark-checksum-verify
}

@test "ark-restore --help and -h print usage on stdout, exit 0" {
	check_help ark-restore
}

@test "ark-transfer --help and -h print usage on stdout, exit 0" {
	check_help ark-transfer
}

@test "ark-transfer --version: first line 'ark-transfer (ark) 0.1.0'" {
	check_version ark-transfer
}

@test "ark-transfer: unknown option exits 2 with a usage hint" {
	check_bad_option ark-transfer
}

@test "ark-transfer: operands and option values are checked (exit 2), nothing is read or written" {
	require_tool ark-transfer
	run --separate-stderr "$ARK_BIN/ark-transfer"
	assert_status 2
	assert_usage_error ark-transfer "expected SOURCE and an optional TARGET"
	run --separate-stderr "$ARK_BIN/ark-transfer" a.db b c
	assert_status 2
	assert_usage_error ark-transfer "expected SOURCE and an optional TARGET"
	run --separate-stderr "$ARK_BIN/ark-transfer" -j 0 a.db
	assert_status 2
	assert_usage_error ark-transfer "--jobs takes 1 to 64"
	run --separate-stderr "$ARK_BIN/ark-transfer" --date-numbers=epoch a.db
	assert_status 2
	assert_usage_error ark-transfer "--date-numbers takes refuse, unixepoch, unixepoch-ms or julianday"
	run --separate-stderr "$ARK_BIN/ark-transfer" --schema= a.db
	assert_status 2
	assert_usage_error ark-transfer "--schema needs a name"
	[[ -z $(ls -A) ]] || fail "unexpected files: $(ls -A)"
}

@test "ark-snapshot --version: first line 'ark-snapshot (ark) 0.1.0'" {
	check_version ark-snapshot
}

@test "ark-checksum-verify --version: first line 'ark-checksum-verify (ark) 0.1.0'" {
	check_version ark-checksum-verify
}

@test "ark-restore --version: first line 'ark-restore (ark) 0.1.0'" {
	check_version ark-restore
}

@test "ark-snapshot: unknown option exits 2 with a usage hint" {
	check_bad_option ark-snapshot
}

@test "ark-checksum-verify: unknown option exits 2 with a usage hint" {
	check_bad_option ark-checksum-verify
}

@test "ark-restore: unknown option exits 2 with a usage hint" {
	check_bad_option ark-restore
}

@test "missing or extra operands exit 2 with a usage hint" {
	require_tool "${TOOLS[@]}"
	copy_chinook db.sqlite
	run --separate-stderr "$SNAPSHOT"
	assert_status 2
	assert_usage_error ark-snapshot "expected one DATABASE"
	run --separate-stderr "$SNAPSHOT" db.sqlite db.sqlite
	assert_status 2
	assert_usage_error ark-snapshot "expected one DATABASE"
	run --separate-stderr "$VERIFY"
	assert_status 2
	assert_usage_error ark-checksum-verify "expected at least one ARCHIVE"
	run --separate-stderr "$RESTORE"
	assert_status 2
	assert_usage_error ark-restore "expected ARCHIVE and TARGET (or CONNINFO)"
	# one argument: a pg archive needs no TARGET, so the archive is read
	# (a sqlite archive without TARGET: pg_restore.bats)
	run --separate-stderr "$RESTORE" some.ark
	assert_status 3
	assert_error ark-restore "cannot open 'some.ark': No such file or directory"
	run --separate-stderr "$RESTORE" some.ark target.db extra
	assert_status 2
	assert_usage_error ark-restore "expected ARCHIVE and TARGET (or CONNINFO)"
	assert_no_such target.db extra
	# nothing was written by any of them
	[[ $(ls -A) == db.sqlite ]] || fail "unexpected files: $(ls -A)"
}

@test "ark-snapshot: option values are checked (exit 2)" {
	require_tool ark-snapshot
	copy_chinook db.sqlite
	run --separate-stderr "$SNAPSHOT" -l
	assert_status 2
	assert_usage_error ark-snapshot "option '-l' needs an argument"
	run --separate-stderr "$SNAPSHOT" -l 0 db.sqlite
	assert_status 2
	assert_usage_error ark-snapshot "--level takes 1 to 19"
	run --separate-stderr "$SNAPSHOT" -l 20 db.sqlite
	assert_status 2
	run --separate-stderr "$SNAPSHOT" -l abc db.sqlite
	assert_status 2
	run --separate-stderr "$SNAPSHOT" -T -1 db.sqlite
	assert_status 2
	assert_usage_error ark-snapshot "--threads takes 0 to 256"
	run --separate-stderr "$SNAPSHOT" --busy-timeout=soon db.sqlite
	assert_status 2
	assert_usage_error ark-snapshot "--busy-timeout takes milliseconds"
	[[ $(ls -A) == db.sqlite ]] || fail "unexpected files: $(ls -A)"
}

# --------------------------------------------------------- unreadable input

@test "ark-snapshot: missing database exits 3 with one error line" {
	require_tool ark-snapshot
	run --separate-stderr "$SNAPSHOT" missing.db
	assert_status 3
	assert_error ark-snapshot "missing.db"
	assert_stderr_has "No such file or directory"
	assert_output_empty
	assert_dir_empty .
}

@test "ark-snapshot: a directory is not a database (exit 3)" {
	require_tool ark-snapshot
	mkdir dir.db
	run --separate-stderr "$SNAPSHOT" -o out.ark dir.db
	assert_status 3
	assert_error ark-snapshot "not a regular file"
	assert_no_such out.ark
}

@test "ark-snapshot: a file that is not a database exits 6" {
	require_tool ark-snapshot
	printf 'hello, I am not a database\n%.0s' {1..200} >notdb.txt
	run --separate-stderr "$SNAPSHOT" -o out.ark notdb.txt
	assert_status 6
	assert_error ark-snapshot "notdb.txt"
	assert_stderr_has "not a SQLite"
	assert_no_such out.ark
	[[ $(ls -A) == notdb.txt ]] || fail "left behind: $(ls -A)"
}

@test "ark-checksum-verify: missing archive exits 3" {
	require_tool ark-checksum-verify
	run --separate-stderr "$VERIFY" missing.ark
	assert_status 3
	assert_error ark-checksum-verify "missing.ark"
	assert_stderr_has "No such file or directory"
	assert_output_has "missing.ark: FAILED"
}

@test "ark-restore: missing archive exits 3 and creates no target" {
	require_tool ark-restore
	run --separate-stderr "$RESTORE" missing.ark target.db
	assert_status 3
	assert_error ark-restore "missing.ark"
	assert_stderr_has "No such file or directory"
	assert_dir_empty .
}

@test "ark-checksum-verify: a file that is not an archive exits 4" {
	require_tool ark-checksum-verify
	copy_chinook db.sqlite
	printf 'just some text\n' >text.ark
	run --separate-stderr "$VERIFY" text.ark
	assert_status 4
	assert_error ark-checksum-verify "text.ark"
	assert_output_has "text.ark: FAILED"
	# a SQLite database is not an archive either
	run --separate-stderr "$VERIFY" db.sqlite
	assert_status 4
	assert_error ark-checksum-verify "db.sqlite"
}

@test "ark-restore: a file that is not an archive exits 4, no target" {
	require_tool ark-restore
	copy_chinook db.sqlite
	run --separate-stderr "$RESTORE" db.sqlite target.db
	assert_status 4
	assert_error ark-restore "db.sqlite"
	assert_no_such target.db
	[[ $(ls -A) == db.sqlite ]] || fail "left behind: $(ls -A)"
}

# ------------------------------------------------------ output and naming

@test "ark-snapshot: default name <stem>-<stamp>.ark in the cwd, mode 0600" {
	require_tool ark-snapshot
	copy_chinook chinook.sqlite
	umask 000
	run --separate-stderr "$SNAPSHOT" chinook.sqlite
	assert_status 0
	local names
	names=$(ls -A | grep -v '^chinook\.sqlite$')
	[[ $names =~ ^chinook-${ARCHIVE_STAMP_RE}\.ark$ ]] ||
		fail "archive name '$names' does not match chinook-<stamp>.ark"
	assert_output_has "archive: "
	[[ $(sed -n 's/^archive: //p' <<<"$output") -ef $names ]] ||
		fail "the archive: line does not name $names"
	[[ $(stat -c %a "$names") == 600 ]] ||
		fail "mode is $(stat -c %a "$names"), want 600"
}

@test "ark-snapshot: -o DIR puts <stem>-<stamp>.ark in DIR, mode 0600" {
	require_tool ark-snapshot
	copy_chinook my.app.db
	mkdir out
	run --separate-stderr "$SNAPSHOT" -o out my.app.db
	assert_status 0
	local names
	names=$(ls -A out)
	[[ $names =~ ^my\.app-${ARCHIVE_STAMP_RE}\.ark$ ]] ||
		fail "archive name '$names' does not match my.app-<stamp>.ark"
	[[ $(stat -c %a "out/$names") == 600 ]] ||
		fail "mode is $(stat -c %a "out/$names"), want 600"
}

@test "ark-snapshot: stdout reports archive, size, xxh128, database, seconds" {
	require_tool ark-snapshot
	copy_chinook chinook.sqlite
	run --separate-stderr "$SNAPSHOT" -o snap.ark chinook.sqlite
	assert_status 0
	assert_stderr_empty
	[[ $(stat -c %a snap.ark) == 600 ]] || fail "mode $(stat -c %a snap.ark)"
	[[ ${lines[0]} == "archive: snap.ark" ]] || fail "line 1: ${lines[0]}"
	assert_output_has "size: $(stat -c %s snap.ark)"$'\n'
	assert_output_has "xxh128: $(xxh snap.ark)"$'\n'
	assert_output_has "database: "
	[[ $output =~ (^|$'\n')seconds:\ [0-9]+(\.[0-9]+)?($|$'\n') ]] ||
		fail "no 'seconds: X' line"
	[[ $output != *integrity_check* ]] || fail "integrity_check without --check"
}

@test "ark-snapshot -q prints nothing (for cron), -v more on stderr" {
	require_tool ark-snapshot
	copy_chinook chinook.sqlite
	run --separate-stderr "$SNAPSHOT" -v -o verbose.ark chinook.sqlite
	assert_status 0
	[[ -n $stderr ]] || fail "-v wrote nothing on stderr"
	run --separate-stderr "$SNAPSHOT" -q -o snap.ark chinook.sqlite
	assert_status 0
	assert_output_empty
	assert_stderr_empty
	[[ -s snap.ark ]] || fail "no archive"
}

@test "ark-snapshot refuses to overwrite an existing file (exit 7, unchanged)" {
	require_tool ark-snapshot
	copy_chinook chinook.sqlite
	printf 'precious\n' >out.ark
	chmod 0644 out.ark
	run --separate-stderr "$SNAPSHOT" -o out.ark chinook.sqlite
	assert_status 7
	assert_error ark-snapshot "already exists"
	assert_stderr_has "out.ark"
	[[ $(cat out.ark) == precious ]] || fail "out.ark was changed"
	[[ $(stat -c %a out.ark) == 644 ]] || fail "out.ark mode changed"
	# and no temporary is left next to it
	[[ $(ls -A | sort | tr '\n' ' ') == "chinook.sqlite out.ark " ]] ||
		fail "left behind: $(ls -A)"
	# the same for a symlink (even a dangling one) in its place
	ln -s nowhere link.ark
	run --separate-stderr "$SNAPSHOT" -o link.ark chinook.sqlite
	assert_status 7
	assert_error ark-snapshot "already exists"
	[[ -L link.ark && ! -e nowhere ]] || fail "the symlink was followed"
}

@test "ark-restore refuses an existing TARGET without --force (exit 7, untouched)" {
	require_tool ark-snapshot ark-restore
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	printf 'precious\n' >target.db
	run --separate-stderr "$RESTORE" "$arc" target.db
	assert_status 7
	assert_error ark-restore "target.db"
	assert_stderr_has "exists"
	[[ $(cat target.db) == precious ]] || fail "target.db was changed"
	[[ $(ls -A | sort | tr '\n' ' ') == "chinook.sqlite snap.ark target.db " ]] ||
		fail "left behind: $(ls -A)"
}

# ------------------------------------------------------------------- json

@test "ark-snapshot --json prints one JSON object with the documented keys" {
	require_tool ark-snapshot
	copy_chinook chinook.sqlite
	run --separate-stderr "$SNAPSHOT" --json -o snap.ark chinook.sqlite
	assert_status 0
	assert_stderr_empty
	printf '%s\n' "$output" >out.json
	python3 - out.json "$(xxh snap.ark)" "$(stat -c %s snap.ark)" \
		"$PWD/chinook.sqlite" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert isinstance(j, dict), j
for key in ("archive", "size", "xxh128", "database_bytes", "page_size",
            "page_count", "journal_mode", "seconds", "source"):
    assert key in j, "missing key " + key
assert "integrity_check" not in j, "integrity_check without --check"
assert j["archive"] == "snap.ark", j["archive"]
assert j["xxh128"] == sys.argv[2], (j["xxh128"], sys.argv[2])
assert j["size"] == int(sys.argv[3]), j["size"]
assert j["page_size"] * j["page_count"] == j["database_bytes"], j
assert j["database_bytes"] == 1007616, j["database_bytes"]
assert j["journal_mode"] == "delete", j["journal_mode"]
assert isinstance(j["seconds"], (int, float)) and j["seconds"] >= 0
assert j["source"]["path"] == sys.argv[4], j["source"]["path"]
EOF
}

@test "ark-snapshot --json --check adds integrity_check: ok" {
	require_tool ark-snapshot
	copy_chinook chinook.sqlite
	run --separate-stderr "$SNAPSHOT" --json --check -o snap.ark chinook.sqlite
	assert_status 0
	printf '%s\n' "$output" >out.json
	[[ $(json_get out.json 'j["integrity_check"]') == ok ]] ||
		fail "integrity_check is not ok"
	[[ $(json_get out.json 'len(j["source"]["tables"])') == 11 ]] ||
		fail "source.tables does not list the 11 tables"
}

@test "ark-checksum-verify --json and ark-restore --json print valid JSON" {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	run --separate-stderr "$VERIFY" --json "$arc"
	assert_status 0
	printf '%s\n' "$output" >verify.json
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j, j' \
		verify.json || fail "verify --json output is not JSON: $output"
	grep -q 'snap.ark' verify.json || fail "verify --json does not name the archive"
	run --separate-stderr "$RESTORE" --json "$arc" restored.db
	assert_status 0
	printf '%s\n' "$output" >restore.json
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j, j' \
		restore.json || fail "restore --json output is not JSON: $output"
	grep -q 'restored.db' restore.json || fail "restore --json does not name the target"
}

# ------------------------------------------------------- verify reporting

@test "ark-checksum-verify: OK and FAILED lines per archive, exit 4 if any fails" {
	require_tool ark-snapshot ark-checksum-verify
	make_small_db small.db
	local arc
	arc=$(snapshot_one small.db good.ark)
	cp good.ark bad.ark
	flip_byte bad.ark 2000
	run --separate-stderr "$VERIFY" good.ark
	assert_status 0
	[[ $output == "good.ark: OK ("*")" ]] || fail "stdout: $output"
	assert_stderr_empty
	run --separate-stderr "$VERIFY" good.ark bad.ark good.ark
	assert_status 4
	[[ ${lines[0]} == "good.ark: OK ("*")" ]] || fail "line 1: ${lines[0]}"
	[[ ${lines[1]} == "bad.ark: FAILED"* ]] || fail "line 2: ${lines[1]}"
	[[ ${lines[2]} == "good.ark: OK ("*")" ]] || fail "line 3: ${lines[2]}"
	[[ ${#lines[@]} == 3 ]] || fail "expected 3 lines"
	assert_error ark-checksum-verify "bad.ark: "
	# -q: nothing on stdout, the exit status tells; errors still on stderr
	run --separate-stderr "$VERIFY" -q good.ark
	assert_status 0
	assert_output_empty
	assert_stderr_empty
	run --separate-stderr "$VERIFY" -q bad.ark
	assert_status 4
	assert_output_empty
	assert_error ark-checksum-verify "bad.ark: "
	# --json: one object per archive
	run --separate-stderr "$VERIFY" --json good.ark bad.ark
	assert_status 4
	[[ ${#lines[@]} == 2 ]] || fail "want 2 JSON lines: $output"
	python3 -c '
import json, sys
a, b = (json.loads(line) for line in sys.stdin.read().splitlines())
assert a["archive"] == "good.ark" and a["ok"] is True, a
assert b["archive"] == "bad.ark" and b["ok"] is False, b' <<<"$output" ||
		fail "JSON lines: $output"
}

@test "ark-checksum-verify exits with the most serious code: 4, then 9, then 3" {
	require_tool ark-snapshot ark-checksum-verify
	make_small_db small.db
	snapshot_one small.db good.ark >/dev/null
	cp good.ark bad.ark
	flip_byte bad.ark 2000
	make_small_db sick.db
	sqlite3 sick.db "PRAGMA writable_schema=ON;
		UPDATE sqlite_schema SET sql = 'CREATE INDEX album_artist ON album(title)'
		WHERE name = 'album_artist';"
	"$SNAPSHOT" -q -o sick.ark sick.db || fail "snapshot of sick.db"
	run --separate-stderr "$VERIFY" missing.ark good.ark
	assert_status 3
	run --separate-stderr "$VERIFY" missing.ark bad.ark good.ark
	assert_status 4
	# (an index that does not match its table: only integrity_check sees it)
	run --separate-stderr "$VERIFY" --deep --full-check missing.ark sick.ark good.ark
	assert_status 9
	run --separate-stderr "$VERIFY" --deep --full-check sick.ark bad.ark missing.ark
	assert_status 4
	[[ $(wc -l <<<"$stderr") == 3 ]] || fail "want one error line per failure: $stderr"
	# each archive is still checked: all three named on stdout
	[[ ${#lines[@]} == 3 ]] || fail "stdout: $output"
}

@test "a report that cannot be written (stdout is /dev/full) exits 5" {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	[[ -w /dev/full ]] || skip "no /dev/full"
	copy_chinook chinook.sqlite
	run --separate-stderr bash -c '"$1" -o snap.ark chinook.sqlite >/dev/full' _ "$SNAPSHOT"
	assert_status 5
	assert_error ark-snapshot "No space left on device"
	# the work itself was done
	run --separate-stderr "$VERIFY" snap.ark
	assert_status 0
	run --separate-stderr bash -c '"$1" snap.ark >/dev/full' _ "$VERIFY"
	assert_status 5
	run --separate-stderr bash -c '"$1" snap.ark r.db >/dev/full' _ "$RESTORE"
	assert_status 5
	[[ $(integrity r.db) == ok ]] || fail "r.db was not restored"
}
