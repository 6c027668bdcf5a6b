#!/usr/bin/env bats
# snapshot -> verify -> restore gives back the same database, and the
# archive is what docs/archive-format.md promises to standard tools.

load helpers

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	enter_workdir
}

# roundtrip DB - snapshot DB (with --check), verify plain and --deep,
# restore into a fresh file and compare dumps with DB (taken afterwards:
# the snapshot must already hold everything, even what is only in a WAL).
roundtrip() {
	local db=$1 arc
	arc=$(snapshot_one "$db" snap.ark --check)
	run --separate-stderr "$VERIFY" "$arc"
	assert_status 0
	[[ $output == "$arc: OK ("*")" ]] || fail "verify: $output"
	run --separate-stderr "$VERIFY" --deep "$arc"
	assert_status 0
	[[ $output == "$arc: OK ("*")" ]] || fail "verify --deep: $output"
	assert_stderr_empty
	mkdir restored
	run --separate-stderr "$RESTORE" "$arc" restored/db.sqlite
	assert_status 0
	[[ $(ls -A restored) == db.sqlite ]] ||
		fail "restore left other files: $(ls -A restored)"
	[[ $(integrity restored/db.sqlite) == ok ]] || fail "integrity_check"
	dump "$db" >orig.sql
	dump restored/db.sqlite >restored.sql
	[[ -s orig.sql ]] || fail "empty dump"
	diff -u orig.sql restored.sql || fail "dumps differ"
}

@test "chinook: snapshot, verify, verify --deep, restore: identical dump" {
	copy_chinook chinook.sqlite
	roundtrip chinook.sqlite
	# the sample is not modified by being archived
	cmp -s chinook.sqlite "$CHINOOK_SRC" || fail "chinook.sqlite changed"
}

@test "WAL database with a non-empty WAL: the WAL's rows are in the archive" {
	copy_chinook wal.sqlite
	[[ $(sqlite3 wal.sqlite 'PRAGMA journal_mode=wal') == wal ]] ||
		fail "cannot switch to WAL"
	keep_wal wal.sqlite "
		CREATE TABLE only_in_wal(id INTEGER PRIMARY KEY, t TEXT);
		INSERT INTO only_in_wal(t) VALUES ('one'), ('two'), ('three');
		UPDATE Artist SET Name = Name || ' (wal)' WHERE ArtistId <= 10;
		DELETE FROM PlaylistTrack WHERE PlaylistId = 1;"
	[[ -s wal.sqlite-wal ]] || fail "the WAL is empty; the test sets up nothing"
	roundtrip wal.sqlite
	[[ $(sqlite3 restored/db.sqlite 'SELECT group_concat(t) FROM only_in_wal') == one,two,three ]] ||
		fail "rows from the WAL missing in the restore"
	[[ $(sqlite3 restored/db.sqlite "SELECT count(*) FROM Artist WHERE Name LIKE '% (wal)'") == 10 ]] ||
		fail "updates from the WAL missing in the restore"
	[[ $(json_get <(arkfmt manifest snap.ark) 'j["source"]["journal_mode"]') == wal ]] ||
		fail "manifest journal_mode is not wal"
}

@test "xxhsum -H2 of the archive equals the printed xxh128 and --json xxh128" {
	copy_chinook chinook.sqlite
	run --separate-stderr "$SNAPSHOT" -o snap.ark chinook.sqlite
	assert_status 0
	assert_output_has "xxh128: $(xxh snap.ark)"
	assert_output_has "size: $(stat -c %s snap.ark)"
	# the recorded hash is of the whole file: one flipped byte changes it
	local before
	before=$(xxh snap.ark)
	arkfmt flip snap.ark 100
	[[ $(xxh snap.ark) != "$before" ]] || fail "hash did not change"
}

@test "standard tools: tar -xf, zstd -d --keep, xxhsum -c; the image dumps identically" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	# the listing: exactly the three members, in this order
	run tar -tf "$arc"
	assert_status 0
	[[ $output == $'database.sqlite.zst\nMANIFEST.json\nXXH128SUMS' ]] ||
		fail "tar -t: $output"
	mkdir unpacked
	tar -xf "$arc" -C unpacked
	cd unpacked
	run zstd -t database.sqlite.zst
	assert_status 0
	run zstd -d -q --keep database.sqlite.zst
	assert_status 0
	run xxhsum -c XXH128SUMS
	assert_status 0
	[[ $(grep -c ': OK$' <<<"$output") == 3 ]] || fail "xxhsum -c: $output"
	[[ $output != *FAILED* ]] || fail "xxhsum -c: $output"
	cd ..
	diff <(dump chinook.sqlite) <(dump unpacked/database.sqlite) ||
		fail "the extracted image's dump differs"
	# the database file image: page_count * page_size bytes.  (Not
	# byte-identical to the source: a copy made with SQLite's backup API
	# gets its own change counter, schema cookie and version fields.)
	[[ $(stat -c %s unpacked/database.sqlite) == $(stat -c %s chinook.sqlite) ]] ||
		fail "image size differs from the source's"
	[[ $(integrity unpacked/database.sqlite) == ok ]] || fail "integrity_check"
	# restore writes that same image
	run --separate-stderr "$RESTORE" "$arc" restored.db
	assert_status 0
	cmp -s unpacked/database.sqlite restored.db ||
		fail "restored file differs from the extracted image"
}

@test "manifest: prefix_xxh128, member offsets and hashes match the bytes" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	arkfmt layout "$arc" >layout.json
	local prefix_size prefix_hash
	prefix_size=$(json_get layout.json 'j["manifest"]["prefix_size"]')
	prefix_hash=$(json_get layout.json 'j["manifest"]["prefix_xxh128"]')
	[[ $(head -c "$prefix_size" "$arc" | xxhsum -H2 | cut -d' ' -f1) == "$prefix_hash" ]] ||
		fail "head -c prefix_size | xxhsum -H2 != prefix_xxh128"
	[[ $prefix_size == $(json_get layout.json 'j["members"][1]["header_offset"]') ]] ||
		fail "prefix_size is not where MANIFEST.json begins"
	python3 - layout.json "$arc" <<'EOF'
import json, re, subprocess, sys
j = json.load(open(sys.argv[1]))
data = open(sys.argv[2], "rb").read()
m = j["manifest"]
def h(b):
    return subprocess.run(["xxhsum", "-H2", "-"], input=b, check=True,
                          stdout=subprocess.PIPE).stdout.split()[0].decode()
assert m["format"] == "ark" and m["format_version"] == 1, m
assert m["kind"] == "sqlite" and m["hash"] == "xxh3-128", m
assert m["compression"] == "zstd", m
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["created"]), m
assert len(m["members"]) == 1
mem = m["members"][0]
assert mem["path"] == "database.sqlite.zst" and mem["role"] == "sqlite-image"
listed = j["members"][0]
assert mem["header_offset"] == listed["header_offset"] == 0
assert mem["data_offset"] == listed["data_offset"], (mem, listed)
assert mem["stored_size"] == listed["size"], (mem, listed)
stored = data[mem["data_offset"]:mem["data_offset"] + mem["stored_size"]]
assert h(stored) == mem["stored_xxh128"]
raw = subprocess.run(["zstd", "-d", "-c"], input=stored, check=True,
                     stdout=subprocess.PIPE).stdout
assert len(raw) == mem["raw_size"] == 1007616
assert h(raw) == mem["raw_xxh128"]
src = m["source"]
assert src["page_size"] * src["page_count"] == mem["raw_size"], src
assert src["journal_mode"] == "delete", src
assert src["freelist_count"] == 0 and src["size"] == 1007616, src
assert re.fullmatch(r"[0-9a-f]{32}", src["schema_xxh128"]), src
# nothing follows the two zero blocks
assert data[-1024:] == b"\0" * 1024
assert len(data) % 512 == 0
EOF
}

@test "--check: recorded table row counts equal SELECT count(*)" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark --check)
	arkfmt manifest "$arc" source >source.json
	[[ $(json_get source.json 'j["integrity_check"]') == ok ]] ||
		fail "integrity_check not ok"
	local want have
	want=$(sqlite3 chinook.sqlite "SELECT name FROM sqlite_schema
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name" |
		while read -r t; do
			printf '%s=%s\n' "$t" "$(sqlite3 chinook.sqlite "SELECT count(*) FROM \"$t\"")"
		done)
	have=$(json_get source.json '"\n".join("%s=%d" % (t["name"], t["rows"]) for t in sorted(j["tables"], key=lambda t: t["name"]))')
	[[ $(wc -l <<<"$want") == 11 ]] || fail "expected 11 tables: $want"
	[[ $want == "$have" ]] || fail "counts differ:" "want: $want" "have: $have"
	# and without --check there is neither
	arc=$(snapshot_one chinook.sqlite plain.ark)
	arkfmt manifest "$arc" source >plain.json
	[[ $(json_get plain.json '"tables" in j or "integrity_check" in j') == False ]] ||
		fail "tables/integrity_check recorded without --check"
}

@test "--check counts rows in the snapshot, WAL rows included" {
	copy_chinook wal.sqlite
	sqlite3 wal.sqlite 'PRAGMA journal_mode=wal' >/dev/null
	keep_wal wal.sqlite "INSERT INTO Genre(Name) VALUES ('a'), ('b'), ('c');"
	[[ -s wal.sqlite-wal ]] || fail "WAL is empty"
	local arc
	arc=$(snapshot_one wal.sqlite snap.ark --check)
	[[ $(json_get <(arkfmt manifest "$arc" source tables) '[t["rows"] for t in j if t["name"] == "Genre"][0]') == 28 ]] ||
		fail "Genre should have 25 + 3 rows"
}

@test "snapshot never writes the source: a non-empty WAL is left as it was" {
	copy_chinook wal.sqlite
	[[ $(sqlite3 wal.sqlite 'PRAGMA journal_mode=wal') == wal ]] ||
		fail "cannot switch to WAL"
	keep_wal wal.sqlite "INSERT INTO Artist(Name) VALUES ('still in the WAL');"
	[[ -s wal.sqlite-wal ]] || fail "the WAL is empty; the test sets up nothing"
	cp wal.sqlite before.db
	cp wal.sqlite-wal before.db-wal
	snapshot_one wal.sqlite snap.ark >/dev/null
	# as the last connection to close, SQLite would checkpoint and delete
	# the WAL unless told not to
	[[ -e wal.sqlite-wal ]] || fail "the snapshot removed the source's WAL"
	cmp -s wal.sqlite before.db || fail "the snapshot changed the database file"
	cmp -s wal.sqlite-wal before.db-wal || fail "the snapshot changed the WAL"
}

@test "restore --force where hard links fail (link EPERM): the old file is moved aside" {
	require_inject
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	make_small_db app.db
	cp app.db old-copy.db
	ARK_INJECT_LINK_EPERM=1 run --separate-stderr with_inject "$RESTORE" --force "$arc" app.db
	assert_status 0
	diff <(dump chinook.sqlite) <(dump app.db) || fail "TARGET is not the snapshot"
	local kept
	kept=$(ls -A | grep '^app\.db\.pre-restore-')
	[[ $kept =~ ^app\.db\.pre-restore-${STAMP_RE}$ ]] || fail "no kept file: $(ls -A)"
	cmp -s "$kept" old-copy.db || fail "the kept file is not the old TARGET"
}

@test "restore --force keeps the old file as TARGET.pre-restore-<stamp>" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	mkdir t
	make_small_db t/app.db
	dump t/app.db >old.sql
	cp t/app.db old-copy.db
	run --separate-stderr "$RESTORE" --force "$arc" t/app.db
	assert_status 0
	diff <(dump chinook.sqlite) <(dump t/app.db) || fail "TARGET is not the snapshot"
	local kept
	kept=$(ls -A t | grep -v '^app\.db$')
	[[ $kept =~ ^app\.db\.pre-restore-${STAMP_RE}$ ]] ||
		fail "kept file(s) '$kept' do not match app.db.pre-restore-<stamp>"
	cmp -s "t/$kept" old-copy.db || fail "the kept file is not the old TARGET"
	diff old.sql <(dump "t/$kept") || fail "kept file's dump differs"
}

@test "restore --force moves a stale TARGET-wal (and -shm) aside; the WAL is not applied" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	mkdir t
	make_small_db t/app.db
	sqlite3 t/app.db 'PRAGMA journal_mode=wal' >/dev/null
	# Rows only in t/app.db-wal; and tables that also exist in chinook:
	# replayed on the restored file they would change its content.
	keep_wal t/app.db "
		INSERT INTO artist VALUES (1000, 'in the stale wal');
		CREATE TABLE Genre(GenreId INTEGER PRIMARY KEY, Name TEXT);
		INSERT INTO Genre VALUES (1, 'stale');"
	[[ -s t/app.db-wal ]] || fail "the WAL is empty; nothing is tested"
	[[ -e t/app.db-shm ]] || fail "no -shm"
	cp t/app.db old.db
	cp t/app.db-wal old.db-wal
	run --separate-stderr "$RESTORE" --force "$arc" t/app.db
	assert_status 0
	assert_no_such t/app.db-wal t/app.db-shm t/app.db-journal
	local kept
	kept=$(cd t && ls -A | grep -E "^app\.db\.pre-restore-${STAMP_RE}\$")
	[[ -n $kept ]] || fail "no app.db.pre-restore-<stamp>: $(ls -A t)"
	[[ -f t/$kept-wal ]] || fail "no $kept-wal: $(ls -A t)"
	[[ -f t/$kept-shm ]] || fail "no $kept-shm: $(ls -A t)"
	cmp -s "t/$kept" old.db || fail "kept file differs from the old TARGET"
	cmp -s "t/$kept-wal" old.db-wal || fail "kept WAL differs from the old WAL"
	[[ $(ls -A t | wc -l) == 4 ]] || fail "unexpected files: $(ls -A t)"
	# the restored database is exactly the snapshot
	diff <(dump chinook.sqlite) <(dump t/app.db) || fail "the stale WAL was applied"
	[[ $(integrity t/app.db) == ok ]] || fail "integrity_check"
	# and the kept pair still holds the old content, WAL rows included
	mkdir old
	cp "t/$kept" old/app.db
	cp "t/$kept-wal" old/app.db-wal
	[[ $(sqlite3 old/app.db 'SELECT name FROM artist WHERE id = 1000') == "in the stale wal" ]] ||
		fail "the kept -wal does not belong to the kept database"
}

@test "restore refuses a TARGET another process has open (exit 7, untouched)" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	make_small_db busy.db
	cp busy.db busy-copy.db
	python3 -c '
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1])
con.execute("SELECT count(*) FROM artist").fetchall()
print("ready", flush=True)
time.sleep(60)' busy.db >holder.out 2>&1 3>&- &
	local holder=$!
	local i
	for i in $(seq 100); do
		[[ -s holder.out ]] && break
		sleep 0.05
	done
	run --separate-stderr "$RESTORE" "$arc" busy.db
	kill "$holder"
	wait "$holder" || true
	assert_status 7
	assert_error ark-restore "open by another process"
	cmp -s busy.db busy-copy.db || fail "busy.db was changed"
}

@test "restore into a new file in another directory; relative and absolute paths" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	mkdir -p a/b
	run --separate-stderr "$RESTORE" "$PWD/$arc" "$PWD/a/b/x.db"
	assert_status 0
	(cd a && "$RESTORE" ../snap.ark y.db >/dev/null) || fail "relative restore"
	cmp -s a/b/x.db a/y.db || fail "the two restores differ"
	[[ $(ls -A a | sort | tr '\n' ' ') == "b y.db " ]] || fail "left: $(ls -A a)"
}

@test "restore --force replaces a TARGET another process has open, and says so" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	make_small_db busy.db
	cp busy.db busy-copy.db
	python3 -c '
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1])
con.execute("SELECT count(*) FROM artist").fetchall()
print("ready", flush=True)
time.sleep(60)' busy.db >holder.out 2>&1 3>&- &
	local holder=$!
	local i
	for i in $(seq 100); do
		[[ -s holder.out ]] && break
		sleep 0.05
	done
	run --separate-stderr "$RESTORE" --force --json "$arc" busy.db
	kill "$holder"
	wait "$holder" || true
	assert_status 0
	assert_stderr_has "busy.db"
	assert_stderr_has "open by"
	printf '%s\n' "$output" >out.json
	[[ $(json_get out.json 'j["target_was_in_use"]') == True ]] ||
		fail "target_was_in_use is not true: $output"
	diff <(dump chinook.sqlite) <(dump busy.db) || fail "not restored"
	local kept
	kept=$(json_get out.json 'j["kept"]')
	[[ $kept =~ ^busy\.db\.pre-restore-${STAMP_RE}$ ]] || fail "kept: $kept"
	cmp -s "$kept" busy-copy.db || fail "kept file is not the old TARGET"
}

@test "a stale TARGET-wal without TARGET: refused (7) without --force, moved aside with it" {
	copy_chinook chinook.sqlite
	local arc
	arc=$(snapshot_one chinook.sqlite snap.ark)
	mkdir t
	make_small_db t/app.db
	sqlite3 t/app.db 'PRAGMA journal_mode=wal' >/dev/null
	keep_wal t/app.db "INSERT INTO artist VALUES (1000, 'stale');"
	[[ -s t/app.db-wal ]] || fail "the WAL is empty; nothing is tested"
	rm t/app.db t/app.db-shm
	cp t/app.db-wal stale-wal
	run --separate-stderr "$RESTORE" "$arc" t/app.db
	assert_status 7
	assert_error ark-restore "app.db-wal"
	[[ $(ls -A t) == app.db-wal ]] || fail "t/ changed: $(ls -A t)"
	run --separate-stderr "$RESTORE" --force "$arc" t/app.db
	assert_status 0
	assert_no_such t/app.db-wal
	local kept
	kept=$(cd t && ls -A | grep -E "^app\.db\.pre-restore-${STAMP_RE}-wal\$")
	[[ -n $kept ]] || fail "stale WAL not kept as app.db.pre-restore-<stamp>-wal: $(ls -A t)"
	cmp -s "t/$kept" stale-wal || fail "kept WAL differs"
	diff <(dump chinook.sqlite) <(dump t/app.db) || fail "the stale WAL was applied"
}
