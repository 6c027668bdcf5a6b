#!/usr/bin/env bats
# ark-snapshot under hostile conditions (issue 5, items 3-6, 15, 16):
# hard links of a WAL database, paths that look like URIs, damaged
# databases with --check, a source that must never be written (hot
# journal, cleanly closed WAL, read-only directory and bind mount, WAL
# without its -shm, a FIFO as a companion), output directories, and
# archive names taken twice in the same second.
#
# The "never written" tests run the snapshot as the unprivileged user
# nobody, who can only read the database; the application is the user
# arktest (created here when missing; CI runs as root).  Every one of them
# compares the sha256 of every file in the directory, and the set of
# files, before and after.

load helpers

APP_USER=arktest
BACKUP_USER=nobody

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	enter_workdir
	MOUNTED=
}

teardown() {
	if [[ -n ${MOUNTED-} ]]; then
		umount "$MOUNTED" || true
	fi
}

# ---------------------------------------------------------------- helpers

require_root() {
	[[ $(id -u) == 0 ]] || skip "needs root to switch users and mount"
}

# The application user exists; every directory down to $WORK can be
# entered by other users (bats makes its temporary directories 0700).
setup_users() {
	require_root
	id -u "$APP_USER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin \
			"$APP_USER" || fail "cannot create user $APP_USER"
	# (up to and including the directory that holds $BATS_RUN_TMPDIR:
	# tests/run-test makes that one with mktemp -d, 0700 too)
	local d=$WORK stop
	stop=$(dirname "$(dirname "$BATS_RUN_TMPDIR")")
	while [[ $d != / && $d != "$stop" ]]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}

as_backup() {
	runuser -u "$BACKUP_USER" -- "$@"
}

as_app() {
	runuser -u "$APP_USER" -- "$@"
}

# state DIR - the names of every file in DIR and the sha256 of each one.
state() {
	(cd "$1" && ls -A | LC_ALL=C sort && find . -maxdepth 1 -type f \
		-exec sha256sum {} + | LC_ALL=C sort -k2)
}

# A database in DIR/app.db in WAL mode, closed cleanly: no -wal, no -shm.
make_clean_wal() {
	python3 - "$1/app.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=wal")
c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
c.executemany("INSERT INTO t(v) VALUES (?)", [("row %d" % i,) for i in range(100)])
c.commit()
c.close()
EOF
	[[ ! -e $1/app.db-wal && ! -e $1/app.db-shm ]] ||
		fail "the WAL database was not closed cleanly"
}

# A WAL database in DIR/app.db whose writer died: 100 rows are in the
# checkpointed file, 50 more only in app.db-wal (with app.db-shm).
make_crashed_wal() {
	python3 - "$1/app.db" <<'EOF'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA journal_mode=wal")
c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
c.executemany("INSERT INTO t(v) VALUES (?)", [("row %d" % i,) for i in range(100)])
c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.execute("PRAGMA wal_autocheckpoint=0")
c.executemany("INSERT INTO t(v) VALUES (?)", [("wal %d" % i,) for i in range(50)])
c.commit()
os._exit(0)  # no close: the committed rows stay in the WAL only
EOF
	[[ -s $1/app.db-wal && -e $1/app.db-shm ]] ||
		fail "the crashed writer left no WAL"
}

# A rollback-journal database DIR/app.db with a hot journal: the writer
# spilled changed pages into the file and was killed before committing.
make_hot_journal() {
	python3 - "$1/app.db" <<'EOF' || true
import os, signal, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA page_size=1024")
c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
c.execute("BEGIN")
c.executemany("INSERT INTO t(v) VALUES (?)", [("row %d" % i,) for i in range(2000)])
c.execute("COMMIT")
c.execute("PRAGMA cache_size=10")
c.execute("BEGIN")
c.execute("UPDATE t SET v = v || ' changed, not committed'")
os.kill(os.getpid(), signal.SIGKILL)
EOF
	[[ -s $1/app.db-journal ]] || fail "no hot journal was left"
}

# rows ARCHIVE - restore ARCHIVE and print count(*) of t.
rows() {
	rm -f restored.db
	"$RESTORE" -q "$1" restored.db || return 1
	sqlite3 restored.db 'SELECT count(*) FROM t'
}

# damage DB OBJECT - turn one b-tree page of table or index OBJECT (a
# leaf) into an invalid page type; the file stays readable page by page.
damage() {
	python3 - "$1" "$2" <<'EOF'
import sqlite3, sys
path, name = sys.argv[1], sys.argv[2]
c = sqlite3.connect(path)
size = c.execute("PRAGMA page_size").fetchone()[0]
page = c.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' "
                 "ORDER BY pageno LIMIT 1 OFFSET 3", (name,)).fetchone()[0]
c.close()
with open(path, "r+b") as f:
    f.seek((page - 1) * size)
    f.write(b"\x07")
print(page)
EOF
}

make_items_db() {
	sqlite3 "$1" <<'EOF'
PRAGMA page_size=1024;
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT);
CREATE INDEX item_name ON item(name);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO item SELECT i, 'name ' || i FROM n;
EOF
}

# ------------------------------------------------- item 3: hard links

@test "a WAL database through a second hard link: refused, exit 6" {
	mkdir d
	make_crashed_wal d
	ln d/app.db d/link.db
	run --separate-stderr "$SNAPSHOT" -o out.ark d/link.db
	assert_status 6
	[[ $stderr == "ark-snapshot: error: 'd/link.db' is in WAL mode and has 2 hard links, and no 'd/link.db-wal' is beside this name: SQLite finds the WAL by the name a database is opened with, so rows committed through another name would be missing; snapshot it through the name the application uses" ]] ||
		fail "stderr: $stderr"
	assert_no_such out.ark
	# through the name the application uses: every committed row
	run --separate-stderr "$SNAPSHOT" -q -o ok.ark d/app.db
	assert_status 0
	[[ $(rows ok.ark) == 150 ]] || fail "rows: $(rows ok.ark)"
}

@test "a rollback-journal database with two hard links: a warning, exit 0" {
	mkdir d
	make_small_db d/app.db
	ln d/app.db d/link.db
	run --separate-stderr "$SNAPSHOT" -o out.ark d/link.db
	assert_status 0
	[[ $stderr == "ark-snapshot: warning: 'd/link.db' has 2 hard links: a hot journal left under another name would not be seen; snapshot it through the name the application uses" ]] ||
		fail "stderr: $stderr"
}

# ----------------------------------------------- item 4: no URI parsing

@test "a path starting with file: is the file of that name, not a URI" {
	sqlite3 x.db "CREATE TABLE t(v); INSERT INTO t VALUES ('x.db')"
	sqlite3 ./file:x.db "CREATE TABLE t(v); INSERT INTO t VALUES ('file:x.db'), ('2')"
	run --separate-stderr "$SNAPSHOT" -q -o s.ark file:x.db
	assert_status 0
	"$RESTORE" -q s.ark r.db
	[[ $(sqlite3 r.db 'SELECT group_concat(v) FROM t') == "file:x.db,2" ]] ||
		fail "archived the wrong file: $(sqlite3 r.db 'SELECT * FROM t')"
	# '?', '#' and '%' are file name characters too
	cp ./file:x.db 'a?b#c%20.db'
	run --separate-stderr "$SNAPSHOT" -q -o s2.ark 'a?b#c%20.db'
	assert_status 0
	"$RESTORE" -q s2.ark r2.db
	[[ $(sqlite3 r2.db 'SELECT count(*) FROM t') == 2 ]] || fail "wrong file"
}

# --------------------------------------------- item 5: --check on damage

@test "--check on a damaged table page: archive written and verified, exit 9" {
	sqlite3 app.db <<'EOF'
PRAGMA page_size=1024;
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO item SELECT i, 'name ' || i FROM n;
EOF
	local page
	page=$(damage app.db item)
	run --separate-stderr "$SNAPSHOT" -q --check -o s.ark app.db
	assert_status 9
	[[ $stderr == "ark-snapshot: error: 'app.db' fails integrity_check: *** in database main ***; Page $page: btreeInitPage() returns error code 11; integrity_check stopped: database disk image is malformed; counting the rows of table 'item': database disk image is malformed (the snapshot was written to 's.ark')" ]] ||
		fail "stderr: $stderr"
	run --separate-stderr "$VERIFY" s.ark
	assert_status 0
	# the image holds the damaged pages as they are (past the header)
	tar -xOf s.ark database.sqlite.zst | zstd -q -d >image.db
	cmp <(tail -c +101 image.db) <(tail -c +101 app.db) ||
		fail "the archived image differs from the source"
	# the manifest records the finding and the table it could not count
	[[ $(arkfmt manifest s.ark source | json_get /dev/stdin \
		'[(t["name"], t["rows"], t["error"]) for t in j["tables"]]') == \
		"[('item', None, 'database disk image is malformed')]" ]] ||
		fail "tables: $(arkfmt manifest s.ark source)"
}

@test "--check on a damaged index page: archive written and verified, exit 9" {
	make_items_db app.db
	local page
	page=$(damage app.db item_name)
	run --separate-stderr "$SNAPSHOT" -q --check -o s.ark app.db
	assert_status 9
	[[ $stderr == "ark-snapshot: error: 'app.db' fails integrity_check: *** in database main ***; Page $page: btreeInitPage() returns error code 11; integrity_check stopped: database disk image is malformed (the snapshot was written to 's.ark')" ]] ||
		fail "stderr: $stderr"
	run --separate-stderr "$VERIFY" s.ark
	assert_status 0
}

@test "--check on a damaged interior (root) page of a table: archive written, exit 9" {
	make_items_db app.db
	# garble the cell area of the table's root, an interior page
	python3 - app.db <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
root = c.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'item'").fetchone()[0]
kind = c.execute("SELECT pagetype FROM dbstat WHERE pageno = ?", (root,)).fetchone()[0]
c.close()
assert kind == "internal", kind
with open(sys.argv[1], "r+b") as f:
    f.seek((root - 1) * 1024 + 12)
    f.write(b"\xa5" * (1024 - 12))
EOF
	run --separate-stderr "$SNAPSHOT" -q --check -o s.ark app.db
	assert_status 9
	[[ $stderr == "ark-snapshot: error: 'app.db' fails integrity_check: *** in database main ***; On tree page 2 cell "*" (the snapshot was written to 's.ark')" ]] ||
		fail "stderr: $stderr"
	[[ $stderr != *$'\n'* ]] || fail "more than one line"
	run --separate-stderr "$VERIFY" s.ark
	assert_status 0
}

# ------------------------------------- item 6: the source is never written

@test "hot rollback journal: refused as nobody and as root, nothing changed" {
	setup_users
	mkdir d && chmod 0777 d
	make_hot_journal d
	chown -R "$APP_USER" d
	local before
	before=$(state d)
	run --separate-stderr as_backup "$SNAPSHOT" -o out.ark d/app.db
	assert_status 6
	[[ $stderr == "ark-snapshot: error: 'd/app.db' has a hot rollback journal ('d/app.db-journal'): a writer crashed mid-transaction; ark will not roll it back in your database: open it once with the application (or sqlite3 'd/app.db' 'PRAGMA quick_check') to recover it, then snapshot again" ]] ||
		fail "stderr: $stderr"
	[[ $(state d) == "$before" ]] || fail "the source changed (as $BACKUP_USER)"
	run --separate-stderr "$SNAPSHOT" -o out.ark d/app.db
	assert_status 6
	[[ $(state d) == "$before" ]] || fail "the source changed (as root)"
	assert_no_such out.ark
}

@test "cleanly closed WAL database, read by nobody: no -wal or -shm left, the app still writes" {
	setup_users
	mkdir d && chmod 0777 d
	make_clean_wal d
	chown -R "$APP_USER" d
	local before
	before=$(state d)
	run --separate-stderr as_backup "$SNAPSHOT" -q -o /tmp/ark-h2-$$.ark d/app.db
	mv /tmp/ark-h2-$$.ark out.ark 2>/dev/null || true
	assert_status 0
	[[ $(state d) == "$before" ]] || fail "the source changed: $(ls -A d)"
	[[ $(rows out.ark) == 100 ]] || fail "rows: $(rows out.ark)"
	run as_app sqlite3 d/app.db "INSERT INTO t(v) VALUES ('after')"
	assert_status 0
}

@test "WAL database in a directory nobody cannot write: works, nothing changed" {
	setup_users
	mkdir d out && chmod 0777 out
	make_crashed_wal d
	chown -R "$APP_USER" d && chmod 0755 d
	# the application keeps it open (a live WAL with its -shm)
	local before
	before=$(state d)
	run --separate-stderr as_backup "$SNAPSHOT" -q -o out/s.ark d/app.db
	assert_status 0
	[[ $(state d) == "$before" ]] || fail "the source changed"
	[[ $(rows out/s.ark) == 150 ]] || fail "rows: $(rows out/s.ark)"

	rm -rf d && mkdir d
	make_clean_wal d
	chown -R "$APP_USER" d && chmod 0755 d
	before=$(state d)
	run --separate-stderr as_backup "$SNAPSHOT" -q -o out/c.ark d/app.db
	assert_status 0
	[[ $(state d) == "$before" ]] || fail "the source changed (clean WAL)"
	[[ $(rows out/c.ark) == 100 ]] || fail "rows: $(rows out/c.ark)"
}

@test "read-only bind mount: clean and crashed WAL databases, nothing changed" {
	setup_users
	mkdir src ro
	make_clean_wal src
	mkdir src/crashed
	make_crashed_wal src/crashed
	mount --bind src ro || fail "mount --bind failed"
	MOUNTED=$WORK/ro
	mount -o remount,ro,bind ro || fail "remount ro failed"
	local before crashed
	before=$(state src)
	crashed=$(state src/crashed)
	run --separate-stderr "$SNAPSHOT" -q -o c.ark ro/app.db
	assert_status 0
	[[ $(rows c.ark) == 100 ]] || fail "rows: $(rows c.ark)"
	run --separate-stderr "$SNAPSHOT" -q -o w.ark ro/crashed/app.db
	assert_status 0
	[[ $(rows w.ark) == 150 ]] || fail "rows: $(rows w.ark)"
	[[ $(state src) == "$before" ]] || fail "the source changed"
	[[ $(state src/crashed) == "$crashed" ]] || fail "the crashed source changed"
}

@test "WAL database without its -shm: read, -shm removed again; refused with exit 3 where it cannot be made" {
	setup_users
	mkdir d
	make_crashed_wal d
	rm d/app.db-shm
	local before
	before=$(state d)
	run --separate-stderr "$SNAPSHOT" -q -o s.ark d/app.db
	assert_status 0
	[[ $(rows s.ark) == 150 ]] || fail "rows: $(rows s.ark)"
	[[ $(state d) == "$before" ]] || fail "the source changed: $(ls -A d)"

	chown -R "$APP_USER" d && chmod 0755 d
	before=$(state d)
	run --separate-stderr as_backup "$SNAPSHOT" -q -o /tmp/ark-h2-$$.ark d/app.db
	assert_status 3
	[[ $stderr == "ark-snapshot: error: 'd/app.db' is in WAL mode and 'd' is not writable by you: a reader must create 'd/app.db-shm'; run as the database's owner or make the directory writable" ]] ||
		fail "stderr: $stderr"
	[[ $(state d) == "$before" ]] || fail "the source changed"

	chmod 0777 d
	run --separate-stderr as_backup "$SNAPSHOT" -q -o /tmp/ark-h2-$$.ark d/app.db
	assert_status 3
	[[ $stderr == "ark-snapshot: error: 'd/app.db' is in WAL mode without 'd/app.db-shm': a reader must create it, and only a user who can write 'd/app.db' can remove it afterwards; run as the database's owner" ]] ||
		fail "stderr: $stderr"
	[[ $(state d) == "$before" ]] || fail "the source changed"
	assert_no_such /tmp/ark-h2-$$.ark
}

@test "WAL database whose -shm nobody cannot write: read, nothing changed" {
	setup_users
	mkdir d
	make_crashed_wal d
	chown -R "$APP_USER" d && chmod 0755 d && chmod 0644 d/*
	local before
	before=$(state d)
	run --separate-stderr as_backup "$SNAPSHOT" -q -o /tmp/ark-h2-$$.ark d/app.db
	mv /tmp/ark-h2-$$.ark s.ark 2>/dev/null || true
	assert_status 0
	[[ $(rows s.ark) == 150 ]] || fail "rows: $(rows s.ark)"
	[[ $(state d) == "$before" ]] || fail "the source changed"
}

@test "a FIFO where the -journal should be: refused at once, exit 3" {
	make_small_db app.db
	mkfifo app.db-journal
	run --separate-stderr timeout -k 1 10 "$SNAPSHOT" -o s.ark app.db
	assert_status 3
	[[ $stderr == "ark-snapshot: error: 'app.db-journal' is not a regular file, where SQLite keeps the rollback journal of 'app.db'; remove it, then snapshot again" ]] ||
		fail "stderr: $stderr"
	assert_no_such s.ark
}

# ----------------------------------------- item 15: output directories

@test "-o naming a missing directory: says so, exit 5; no // in paths" {
	make_small_db app.db
	run --separate-stderr "$SNAPSHOT" -o backups/ app.db
	assert_status 5
	[[ $stderr == "ark-snapshot: error: cannot write 'backups/': directory 'backups' does not exist" ]] ||
		fail "stderr: $stderr"
	assert_no_such backups
	mkdir backups
	run --separate-stderr "$SNAPSHOT" -o backups/ app.db
	assert_status 0
	[[ $output =~ ^archive:\ backups/app-${ARCHIVE_STAMP_RE}\.ark$'\n' ]] ||
		fail "stdout: $output"
	run --separate-stderr "$SNAPSHOT" --json -o "$WORK/backups///" app.db
	assert_status 0
	[[ $output != *//* ]] || fail "a // in: $output"
}

# ------------------------------------ item 16: unique, sortable names

@test "snapshots in the same second: all succeed, names unique and in creation order" {
	make_small_db app.db
	mkdir out
	local k
	for k in 1 2 3 4 5; do
		"$SNAPSHOT" --json -o out app.db | json_get /dev/stdin 'j["archive"]' >>order.txt ||
			fail "snapshot $k failed"
	done
	# two at once
	"$SNAPSHOT" -q -o out app.db & local p1=$!
	"$SNAPSHOT" -q -o out app.db & local p2=$!
	wait "$p1" || fail "concurrent snapshot 1 failed"
	wait "$p2" || fail "concurrent snapshot 2 failed"
	[[ $(ls out | wc -l) == 7 ]] || fail "$(ls out)"
	[[ $(ls out | grep -Ecx "app-${ARCHIVE_STAMP_RE}\.ark") == 7 ]] ||
		fail "unexpected names: $(ls out)"
	# the five in sequence sort as they were made
	[[ $(sed 's#^out/##' order.txt) == "$(sed 's#^out/##' order.txt | LC_ALL=C sort)" ]] ||
		fail "not in creation order: $(cat order.txt)"
	# an explicit file still refuses an existing name
	run --separate-stderr "$SNAPSHOT" -o "$(head -1 order.txt)" app.db
	assert_status 7
}

# ------------------------------------------------- names that are not UTF-8

@test "a database whose name is not UTF-8 is archived; the manifest keeps it escaped" {
	local name=$'caf\xe9.db' arc
	make_small_db "$name"
	mkdir out
	run --separate-stderr "$SNAPSHOT" --json -o out "$name"
	assert_status 0
	arc=$(ls out/*.ark)
	run --separate-stderr "$VERIFY" --list --json "$arc"
	assert_status 0
	local recorded
	recorded=$(python3 -c 'import json, sys
print(json.loads(sys.stdin.read())["manifest"]["source"]["path"])' <<<"$output")
	[[ $recorded == "$(pwd -P)/caf\\xe9.db" ]] || fail "manifest path: $recorded"
	run --separate-stderr "$RESTORE" "$arc" restored.db
	assert_status 0
}
