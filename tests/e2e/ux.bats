#!/usr/bin/env bats
# What a person or a wrapper sees: exit codes that agree with the docs and
# every --help, usage errors in the one error form, names that cannot forge
# lines, one JSON object per job (failures too), progress for every phase
# of a deep verify, and --list.

load helpers

setup() {
	enter_workdir
}

# --------------------------------------------- exit codes, --help, usage

# help_exit_codes TOOL - "CODE NAME" per line of TOOL's --help exit list.
help_exit_codes() {
	"$ARK_BIN/$1" --help | python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
start = lines.index("Exit status:")
for line in lines[start + 1:]:
    m = re.fullmatch(r"  (\d+) +([^:]+): (.+)", line)
    if not m:
        break
    print(m.group(1), m.group(2))'
}

@test "every --help lists its exit codes as docs/exit-codes.md names them" {
	require_tool ark-snapshot ark-checksum-verify ark-restore ark-transfer
	# the table rows "| code | name | ..." (the unit test test_error
	# checks them against the catalogue itself)
	python3 - "$REPO_DIR/docs/exit-codes.md" >docs.txt <<'EOF'
import re, sys
for line in open(sys.argv[1]):
    m = re.match(r"\| (\d+) \| ([^|]+?) \|", line)
    if m:
        print(m.group(1), m.group(2))
EOF
	[[ $(wc -l <docs.txt) == 20 ]] || fail "docs table: $(cat docs.txt)"
	grep -qx '8 locked' docs.txt || fail "exit 8 not documented"
	grep -qx '10 restored damaged' docs.txt || fail "exit 10 not documented"
	local tool codes
	declare -A want=(
		[ark-snapshot]="0 1 2 3 5 6 7 9 130"
		[ark-checksum-verify]="0 1 2 3 4 5 6 9 11 12 13 16 130"
		[ark-restore]="0 1 2 3 4 5 7 8 9 10 11 12 13 14 16 130"
		[ark-transfer]="0 1 2 3 4 5 6 7 8 11 12 13 14 15 16 17 130"
	)
	for tool in ark-snapshot ark-checksum-verify ark-restore ark-transfer; do
		help_exit_codes "$tool" >"$tool.txt"
		# each line as the docs name the code
		while read -r line; do
			grep -qxF -- "$line" docs.txt ||
				fail "$tool --help: '$line' is not in docs/exit-codes.md"
		done <"$tool.txt"
		# and every code the tool can return is listed
		codes=$(cut -d' ' -f1 "$tool.txt" | tr '\n' ' ')
		[[ $codes == "${want[$tool]} " ]] ||
			fail "$tool --help lists '$codes', want '${want[$tool]} '"
	done
}

@test "usage errors: 'tool: error: ...' and the hint; JSON too once --json is parsed" {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	run --separate-stderr "$SNAPSHOT" --level
	assert_status 2
	assert_output_empty
	[[ $stderr == "ark-snapshot: error: option '--level' needs an argument"$'\n'"Try 'ark-snapshot --help' for more information." ]] ||
		fail "stderr: $stderr"
	run --separate-stderr "$VERIFY" --deep=yes x.ark
	assert_status 2
	[[ $stderr == "ark-checksum-verify: error: option '--deep' takes no argument"$'\n'"Try 'ark-checksum-verify --help' for more information." ]] ||
		fail "stderr: $stderr"
	# a control character in a bad option is escaped too
	run --separate-stderr "$RESTORE" $'--x\ny'
	assert_status 2
	[[ $stderr == "ark-restore: error: unknown option '--x\\ny'"$'\n'"Try 'ark-restore --help' for more information." ]] ||
		fail "stderr: $stderr"
	# --json parsed before the problem: the outcome object on stdout
	run --separate-stderr "$RESTORE" --json
	assert_status 2
	[[ $output == '{"ok":false,"exit_code":2,"error":"usage","message":"expected ARCHIVE and TARGET (or CONNINFO)"}' ]] ||
		fail "stdout: $output"
	[[ $stderr == "ark-restore: error: expected ARCHIVE and TARGET (or CONNINFO)"$'\n'"Try 'ark-restore --help' for more information." ]] ||
		fail "stderr: $stderr"
	run --separate-stderr "$SNAPSHOT" --json -Z db
	assert_status 2
	[[ $output == '{"ok":false,"exit_code":2,"error":"usage","message":"unknown option '"'-Z'"'"}' ]] ||
		fail "stdout: $output"
	# not yet parsed: stderr only
	run --separate-stderr "$SNAPSHOT" -Z --json db
	assert_status 2
	assert_output_empty
}

# -------------------------------------------------- names that forge lines

@test "ark-snapshot: newline and escape in paths are shown escaped" {
	require_tool ark-snapshot
	copy_chinook $'x\ny.db'
	run --separate-stderr "$SNAPSHOT" -o $'o\nut\x1b[2J.ark' $'x\ny.db'
	assert_status 0
	assert_stderr_empty
	[[ ${lines[0]} == 'archive: o\nut\x1b[2J.ark' ]] || fail "line 1: ${lines[0]}"
	[[ ${lines[1]} == "size: "* ]] || fail "line 2: ${lines[1]}"
	[[ ${#lines[@]} == 5 ]] || fail "want 5 lines: $output"
	[[ -f $'o\nut\x1b[2J.ark' ]] || fail "the archive is not under the name given"
	# an error names the file escaped, on one line
	run --separate-stderr "$SNAPSHOT" $'no\nsuch\t.db'
	assert_status 3
	assert_error ark-snapshot "'no\\nsuch\\t.db'"
	# --json carries the exact name (JSON escapes it)
	run --separate-stderr "$SNAPSHOT" --json $'no\nsuch\t.db'
	assert_status 3
	python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["database"] == "no\nsuch\t.db", j
assert j["ok"] is False and j["exit_code"] == 3, j' "$output" ||
		fail "stdout: $output"
}

@test "ark-checksum-verify: paths escaped in OK, FAILED and error lines" {
	require_tool ark-snapshot ark-checksum-verify
	make_small_db small.db
	"$SNAPSHOT" -q -o $'g\nood.ark' small.db || fail "snapshot"
	cp $'g\nood.ark' $'b\tad\x1b[31m.ark'
	flip_byte $'b\tad\x1b[31m.ark' 2000
	run --separate-stderr "$VERIFY" $'g\nood.ark' $'b\tad\x1b[31m.ark'
	assert_status 4
	[[ ${#lines[@]} == 2 ]] || fail "want 2 lines: $output"
	[[ ${lines[0]} == 'g\nood.ark: OK ('*')' ]] || fail "line 1: ${lines[0]}"
	[[ ${lines[1]} == 'b\tad\x1b[31m.ark: FAILED (corrupt)' ]] ||
		fail "line 2: ${lines[1]}"
	assert_error ark-checksum-verify 'b\tad\x1b[31m.ark: '
}

@test "ark-restore: TARGET and kept names escaped, -v lines too" {
	require_tool ark-snapshot ark-restore
	make_small_db small.db
	local arc
	arc=$(snapshot_one small.db snap.ark)
	run --separate-stderr "$RESTORE" "$arc" $'t\nx.db'
	assert_status 0
	[[ $output == 'restored: t\nx.db ('*' bytes, quick_check ok)' ]] ||
		fail "stdout: $output"
	run --separate-stderr "$RESTORE" --force -v "$arc" $'t\nx.db'
	assert_status 0
	[[ ${lines[1]} == 'kept: t\nx.db.pre-restore-'* ]] || fail "stdout: $output"
	[[ ${#lines[@]} == 2 ]] || fail "want 2 lines: $output"
	# every -v line starts with the program name: none was forged
	local line
	while IFS= read -r line; do
		[[ $line == "ark-restore: "* ]] || fail "stderr line: $line"
	done <<<"$stderr"
	[[ $stderr == *'t\nx.db'* ]] || fail "stderr does not name 't\\nx.db': $stderr"
	# an error line
	run --separate-stderr "$RESTORE" $'no\x1bpe.ark' r.db
	assert_status 3
	assert_error ark-restore "'no\\x1bpe.ark'"
}

# ------------------------------------------------------------ --json

@test "--json: every tool prints one object on failure, with the error line on stderr" {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	make_small_db small.db
	snapshot_one small.db snap.ark >/dev/null
	printf 'x' >exists.ark
	run --separate-stderr "$SNAPSHOT" --json -o exists.ark small.db
	assert_status 7
	assert_error ark-snapshot "exists.ark"
	printf '%s\n' "$output" >snapshot.json
	[[ $(wc -l <snapshot.json) == 1 ]] || fail "stdout: $output"
	python3 - snapshot.json "$stderr" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] is False and j["exit_code"] == 7, j
assert j["error"] == "refused", j
assert "ark-snapshot: error: " + j["message"] == sys.argv[2], (j, sys.argv[2])
assert j["database"] == "small.db", j
EOF
	run --separate-stderr "$RESTORE" --json snap.ark exists.ark
	assert_status 7
	python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert list(j)[:4] == ["ok", "exit_code", "error", "message"], j
assert j["ok"] is False and j["exit_code"] == 7 and j["error"] == "refused", j
assert j["archive"] == "snap.ark" and j["target"] == "exists.ark", j
assert "restored" not in j, j' "$output" || fail "stdout: $output"
	run --separate-stderr "$VERIFY" --json missing.ark snap.ark
	assert_status 3
	assert_error ark-checksum-verify "missing.ark"
	[[ ${#lines[@]} == 2 ]] || fail "want one line per archive: $output"
	python3 -c '
import json, sys
a, b = (json.loads(l) for l in sys.argv[1].split("\n"))
assert a == {"ok": False, "exit_code": 3, "error": "cannot read",
             "message": "cannot open '"'missing.ark'"': No such file or directory",
             "archive": "missing.ark", "deep": False}, a
assert b["ok"] is True and b["exit_code"] == 0 and b["archive"] == "snap.ark", b
assert "error" not in b and "message" not in b, b' "$output" ||
		fail "stdout: $output"
	# success: ok and exit_code first
	run --separate-stderr "$RESTORE" --json snap.ark r.db
	assert_status 0
	[[ $output == '{"ok":true,"exit_code":0,"archive":"snap.ark","target":"r.db","restored":"r.db",'* ]] ||
		fail "stdout: $output"
}

@test "ark-snapshot --json: creation time as the manifest records it, seconds rounded" {
	require_tool ark-snapshot
	make_small_db small.db
	run --separate-stderr "$SNAPSHOT" --json -o snap.ark small.db
	assert_status 0
	printf '%s\n' "$output" >out.json
	python3 - out.json "$(arkfmt manifest snap.ark created_unix)" \
		"$(arkfmt manifest snap.ark created)" "$output" <<'EOF'
import json, re, sys
j = json.load(open(sys.argv[1]))
assert j["ok"] is True and j["exit_code"] == 0, j
assert j["created_unix"] == int(sys.argv[2]), j
assert j["created"] == sys.argv[3], j
# at most 3 decimals in the printed number
m = re.search(r'"seconds":([0-9.e-]+)', sys.argv[4])
assert m and re.fullmatch(r"\d+(\.\d{1,3})?", m.group(1)), sys.argv[4]
EOF
}

# --------------------------------------------------------- deep progress

@test "ark-checksum-verify --deep on a terminal draws every phase, then clears" {
	require_tool ark-snapshot ark-checksum-verify
	command -v script >/dev/null || skip "script(1) (util-linux) is not installed"
	"$REPO_DIR/scripts/gen-sqlite" big.db 100 delete >/dev/null 2>&1 ||
		fail "gen-sqlite"
	"$SNAPSHOT" -q -o big.ark big.db || fail "snapshot"
	# script(1) runs the command on a pseudo-terminal and keeps all it drew
	TMPDIR=$BATS_TEST_TMPDIR script -qefc \
		"$(printf '%q ' "$VERIFY" --deep big.ark)" typescript >/dev/null ||
		fail "deep verify failed: $(cat -v typescript)"
	python3 - typescript <<'EOF' || fail "drawn: $(cat -v typescript | head -c 3000)"
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
draws = [d.replace("\x1b[K", "") for d in text.split("\r")]
phases = [d for d in draws if d.startswith("deep verify ")]
def nums(prefix, pattern):
    return [float(m.group(1)) for d in phases if d.startswith(prefix)
            for m in [re.search(pattern, d)] if m]
hashes = nums("deep verify 1/3: hashes ", r" (\d+)%")
decomp = nums("deep verify 2/3: decompress ", r" (\d+)%")
check = nums("deep verify 3/3: database check ", r" (\d+) pages read")
assert hashes and decomp and check, phases
# each phase is drawn from its start and moves on
assert decomp[0] == 0 and max(decomp) > 0, decomp
assert check[0] == 0 and max(check) > 0, check
# in order, and the line is cleared before the report
order = [d.split(":")[0] for d in phases]
assert order == sorted(order), order
assert text.find("\r\x1b[Kbig.ark: OK (") > 0, text[-300:]
EOF
}

@test "ark-checksum-verify --deep: no progress when stderr is not a terminal" {
	require_tool ark-snapshot ark-checksum-verify
	command -v script >/dev/null || skip "script(1) (util-linux) is not installed"
	make_small_db small.db
	snapshot_one small.db snap.ark >/dev/null
	# stdout on a terminal, stderr to a file
	TMPDIR=$BATS_TEST_TMPDIR script -qefc \
		"$(printf '%q ' "$VERIFY" --deep snap.ark) 2>err.txt" typescript >/dev/null ||
		fail "deep verify failed"
	[[ ! -s err.txt ]] || fail "stderr: $(cat -v err.txt)"
	grep -q 'snap.ark: OK (' typescript || fail "no report: $(cat -v typescript)"
}

# ---------------------------------------------------------------- --list

@test "ark-checksum-verify --list prints the manifest for a person" {
	require_tool ark-snapshot ark-checksum-verify
	make_small_db small.db
	snapshot_one small.db snap.ark --check >/dev/null
	run --separate-stderr "$VERIFY" --list snap.ark
	assert_status 0
	assert_stderr_empty
	printf '%s\n' "$output" >list.txt
	arkfmt manifest snap.ark >manifest.json
	python3 - list.txt manifest.json "$PWD/small.db" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
m = json.load(open(sys.argv[2]))
s = m["source"]
member = m["members"][0]
want = "\n".join([
    "archive: snap.ark",
    "kind: sqlite",
    "format_version: 1",
    "created: %s (%d)" % (m["created"], m["created_unix"]),
    "tool: ark-snapshot 0.1.0",
    "source:",
    "  path: " + sys.argv[3],
    "  size: %d" % s["size"],
    "  page_size: 1024",
    "  page_count: %d" % s["page_count"],
    "  freelist_count: 0",
    "  journal_mode: delete",
    "  user_version: 0",
    "  application_id: 0",
    "  schema_xxh128: " + s["schema_xxh128"],
    "  sqlite_version: " + s["sqlite_version"],
    "  host: " + s["host"],
    "  integrity_check: ok",
    "  tables: 3",
    "    album: 200 rows",
    "    artist: 100 rows",
    "    note: 50 rows",
    "members: 1",
    "  database.sqlite.zst (sqlite-image)",
    "    stored: %d bytes, xxh128 %s" % (member["stored_size"], member["stored_xxh128"]),
    "    raw: %d bytes, xxh128 %s" % (member["raw_size"], member["raw_xxh128"]),
    "checked: structure and manifest hash; member data not verified",
    ""])
assert text == want, "\n--- got\n" + text + "--- want\n" + want
EOF
}

@test "ark-checksum-verify --list --json: one object holding the manifest" {
	require_tool ark-snapshot ark-checksum-verify
	make_small_db small.db
	snapshot_one small.db snap.ark >/dev/null
	run --separate-stderr "$VERIFY" --list --json snap.ark snap.ark
	assert_status 0
	[[ ${#lines[@]} == 2 ]] || fail "want one line per archive: $output"
	arkfmt manifest snap.ark >manifest.json
	python3 - manifest.json "${lines[0]}" <<'EOF'
import json, sys
j = json.loads(sys.argv[2])
assert list(j) == ["ok", "exit_code", "archive", "data_verified", "manifest"], j
assert j["ok"] is True and j["exit_code"] == 0, j
assert j["archive"] == "snap.ark" and j["data_verified"] is False, j
assert j["manifest"] == json.load(open(sys.argv[1])), j
EOF
}

@test "ark-checksum-verify --list checks the manifest, not the data" {
	require_tool ark-snapshot ark-checksum-verify
	make_small_db small.db
	snapshot_one small.db snap.ark >/dev/null
	cp snap.ark data.ark
	flip_byte data.ark 2000
	run --separate-stderr "$VERIFY" --list -q data.ark
	assert_status 0
	assert_output_empty
	run --separate-stderr "$VERIFY" -q data.ark
	assert_status 4
	# a damaged manifest is refused, exit 4, nothing listed
	local manifest_offset
	manifest_offset=$(arkfmt manifest snap.ark prefix_size)
	cp snap.ark manifest.ark
	flip_byte manifest.ark $((manifest_offset + 1024 + 40))
	run --separate-stderr "$VERIFY" --list manifest.ark
	assert_status 4
	assert_error ark-checksum-verify "manifest.ark"
	[[ $output == "" ]] || fail "stdout: $output"
	run --separate-stderr "$VERIFY" --list --json manifest.ark
	assert_status 4
	python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["ok"] is False and j["exit_code"] == 4 and j["error"] == "corrupt", j
assert j["archive"] == "manifest.ark" and "manifest" not in j, j' "$output" ||
		fail "stdout: $output"
	# --list does not verify data, so it does not go with --deep
	run --separate-stderr "$VERIFY" --list --deep snap.ark
	assert_status 2
	assert_output_empty
}

@test "ark-checksum-verify --list escapes what a forged manifest says" {
	require_tool ark-snapshot ark-checksum-verify
	make_small_db small.db
	snapshot_one small.db snap.ark >/dev/null
	# consistent: every hash matches the forged manifest
	arkfmt rebuild snap.ark forged.ark \
		'source.host="evil\n  path: /etc/shadow\u001b[2J\r\u009b31m"' ||
		fail "arkfmt rebuild"
	run --separate-stderr "$VERIFY" forged.ark
	assert_status 0
	run --separate-stderr "$VERIFY" --list forged.ark
	assert_status 0
	assert_output_has $'\n''  host: evil\n  path: /etc/shadow\x1b[2J\r\xc2\x9b31m'$'\n'
	[[ $output != *$'\x1b'* && $output != *$'\r'* ]] || fail "raw control characters"
	# fields ark writes itself allow printable ASCII only (manifest.c)
	arkfmt rebuild snap.ark forged2.ark 'tool_version="1\r\u009b31m"' ||
		fail "arkfmt rebuild"
	run --separate-stderr "$VERIFY" --list forged2.ark
	assert_status 4
	[[ $stderr == 'ark-checksum-verify: error: forged2.ark: manifest: "tool_version" holds a character outside printable ASCII' ]] ||
		fail "stderr: $stderr"
}
