#!/usr/bin/env bats
# ark-checksum-verify SOURCE TARGET: two databases (SQLite, PostgreSQL,
# archives) compared table by table, and a difference narrowed down to
# keys and columns.  The changes are made with sqlite3 and psql, never
# with ark; every message is asserted exactly.

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer
PGW=$ARK_TEST_BUILD/helpers/pgarchive_writer

setup() {
	require_tool ark-transfer ark-checksum-verify ark-snapshot
	pg_newdb
	DB=$BATS_TEST_TMPDIR/chinook.sqlite
	cp "$CHINOOK_SRC" "$DB"
}

# transfer DB into the test's database
load_chinook() {
	run --separate-stderr "$TRANSFER" -q "$DB" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; false; }
}

# The report without its timing (the last line ends "; N.NN s").
untimed() {
	sed -E 's/; [0-9]+\.[0-9]{2} s$/; T s/' <<<"$output"
}

CHINOOK_TABLE='table          SOURCE rows  TARGET rows  result
album                  347          347  equal
artist                 275          275  equal
customer                59           59  equal
employee                 8            8  equal
genre                   25           25  equal
invoice                412          412  equal
invoiceline           2240         2240  equal
mediatype                5            5  equal
playlist                18           18  equal
playlisttrack         8715         8715  equal
track                 3503         3503  equal'

@test "chinook SQLite vs its transfer into PostgreSQL: every table equal, exit 0; --json says the same" {
	load_chinook
	run --separate-stderr "$VERIFY" "$DB" "$ARK_TEST_DB"
	assert_status 0
	assert_stderr_empty
	expected="SOURCE: sqlite $DB
TARGET: postgresql $ARK_TEST_DB
$CHINOOK_TABLE
11 tables: 11 equal, 0 different, 0 only in SOURCE, 0 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET; T s"
	[[ $(untimed) == "$expected" ]] || { diff <(echo "$expected") <(untimed); false; }

	run --separate-stderr "$VERIFY" --json "$DB" "$ARK_TEST_DB"
	assert_status 0
	[[ $(jq -c '[.ok, .exit_code, .identical, .equal, .different, .source_kind, .target_kind, (.tables | length)]' <<<"$output") == \
	   '[true,0,true,11,0,"sqlite","postgresql",11]' ]] || { show_run; false; }
	# the digests are the transfer's: the same text on both sides
	[[ $(jq -r '.tables[] | select(.name == "track") | .source_digest == .target_digest and (.source_digest | startswith("3503:"))' <<<"$output") == true ]]
	# and the other way round: PostgreSQL as SOURCE
	run --separate-stderr "$VERIFY" -q "$ARK_TEST_DB" "$DB"
	assert_status 0
	assert_output_empty
	assert_stderr_empty
}

@test "one changed value in PostgreSQL: exit 16 naming table, key, column and both values" {
	load_chinook
	psql_q "UPDATE track SET name = 'Let It Rock' WHERE trackid = 17; UPDATE invoice SET total = 1.99, billingcity = NULL WHERE invoiceid = 3"
	run --separate-stderr "$VERIFY" "$DB" "$ARK_TEST_DB"
	assert_status 16
	[[ $stderr == 'ark-checksum-verify: error: SOURCE and TARGET differ: 2 of 11 tables (2 different, 0 only in SOURCE, 0 only in TARGET)' ]] || { show_run; false; }
	expected='invoice                412          412  DIFFERENT'
	assert_output_has "$expected"
	expected='track                 3503         3503  DIFFERENT
table "invoice": 1 changed, 0 missing in TARGET, 0 extra in TARGET (key invoiceid)
table "invoice", key (invoiceid=3), column "billingcity": SOURCE '"'Brussels'"', TARGET NULL
table "invoice", key (invoiceid=3), column "total": SOURCE 5.94, TARGET 1.99
table "track": 1 changed, 0 missing in TARGET, 0 extra in TARGET (key trackid)
table "track", key (trackid=17), column "name": SOURCE '"'Let There Be Rock'"', TARGET '"'Let It Rock'"'
11 tables: 9 equal, 2 different, 0 only in SOURCE, 0 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET; T s'
	[[ $(untimed) == *"$expected" ]] || { show_run; false; }

	run --separate-stderr "$VERIFY" --json "$DB" "$ARK_TEST_DB"
	assert_status 16
	[[ $(jq -c '.tables[] | select(.name == "track") | [.result, .key, .changed, .differences]' <<<"$output") == \
	   '["different","trackid",1,[{"kind":"changed","key":"trackid=17","columns":[{"name":"name","source":"'"'Let There Be Rock'"'","target":"'"'Let It Rock'"'"}]}]]' ]] || { show_run; false; }
}

@test "a missing row and an extra row: named by key" {
	load_chinook
	psql_q "DELETE FROM invoiceline WHERE invoicelineid = 5; INSERT INTO genre (genreid, name) VALUES (9999, E'new\\tgenre')"
	run --separate-stderr "$VERIFY" "$DB" "$ARK_TEST_DB"
	assert_status 16
	expected='genre                   25           26  DIFFERENT
invoice                412          412  equal
invoiceline           2240         2239  DIFFERENT'
	assert_output_has "$expected"
	expected='table "genre": 0 changed, 0 missing in TARGET, 1 extra in TARGET (key genreid)
table "genre", key (genreid=9999): extra in TARGET
table "invoiceline": 0 changed, 1 missing in TARGET, 0 extra in TARGET (key invoicelineid)
table "invoiceline", key (invoicelineid=5): missing in TARGET
11 tables: 9 equal, 2 different, 0 only in SOURCE, 0 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET; T s'
	[[ $(untimed) == *"$expected" ]] || { show_run; false; }
}

@test "--max-diffs caps the rows shown, every difference is counted" {
	load_chinook
	psql_q "UPDATE track SET milliseconds = milliseconds + 1 WHERE trackid <= 25"
	run --separate-stderr "$VERIFY" --max-diffs 3 "$DB" "$ARK_TEST_DB"
	assert_status 16
	assert_output_has 'table "track": 25 changed, 0 missing in TARGET, 0 extra in TARGET (key trackid); the first 3:'
	[[ $(grep -c '^table "track", key' <<<"$output") == 3 ]] || { show_run; false; }
	run --separate-stderr "$VERIFY" --max-diffs 0 "$DB" "$ARK_TEST_DB"
	assert_status 16
	[[ $(grep -c '^table "track"' <<<"$output") == 0 ]] || { show_run; false; }
}

@test "a table without a key and a duplicated row: the extra copy is found" {
	S=$BATS_TEST_TMPDIR/log.sqlite
	sqlite3 "$S" "CREATE TABLE log (at TEXT, msg TEXT); INSERT INTO log VALUES ('2024-01-01', 'start'), ('2024-01-02', 'tab	here'), ('2024-01-02', 'tab	here');"
	run --separate-stderr "$TRANSFER" -q "$S" "$ARK_TEST_DB"
	assert_status 0
	run --separate-stderr "$VERIFY" "$S" "$ARK_TEST_DB"
	assert_status 0
	psql_q "INSERT INTO log SELECT * FROM log WHERE msg = 'start'; DELETE FROM log WHERE ctid = (SELECT min(ctid) FROM log WHERE msg LIKE 'tab%')"
	run --separate-stderr "$VERIFY" "$S" "$ARK_TEST_DB"
	assert_status 16
	expected="SOURCE: sqlite $S
TARGET: postgresql $ARK_TEST_DB
table  SOURCE rows  TARGET rows  result
log              3            3  DIFFERENT
table \"log\": 0 changed, 1 missing in TARGET, 1 extra in TARGET (no key: whole rows)
table \"log\", row ('2024-01-01', 'start'): extra in TARGET (1 in SOURCE, 2 in TARGET)
table \"log\", row ('2024-01-02', 'tab\\there'): missing in TARGET (2 in SOURCE, 1 in TARGET)
1 table: 0 equal, 1 different, 0 only in SOURCE, 0 only in TARGET; 3 rows in SOURCE, 3 in TARGET; T s"
	[[ $(untimed) == "$expected" ]] || { diff <(echo "$expected") <(untimed); false; }
}

@test "SQLite vs SQLite: a copy is equal, a changed copy is not" {
	cp "$DB" "$BATS_TEST_TMPDIR/copy.sqlite"
	C=$BATS_TEST_TMPDIR/copy.sqlite
	before=$(sha256sum "$DB" "$C")
	run --separate-stderr "$VERIFY" "$DB" "$C"
	assert_status 0
	expected="SOURCE: sqlite $DB
TARGET: sqlite $C
$CHINOOK_TABLE
11 tables: 11 equal, 0 different, 0 only in SOURCE, 0 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET; T s"
	[[ $(untimed) == "$expected" ]] || { diff <(echo "$expected") <(untimed); false; }
	[[ $(sha256sum "$DB" "$C") == "$before" ]]
	[[ ! -e $DB-wal && ! -e $C-wal && ! -e $C-journal ]]

	sqlite3 "$C" "UPDATE Track SET UnitPrice = 1.29 WHERE TrackId = 3; DELETE FROM Artist WHERE ArtistId = 275; CREATE TABLE extra (x);"
	run --separate-stderr "$VERIFY" -j 1 "$DB" "$C"
	assert_status 16
	expected='table          SOURCE rows  TARGET rows  result
album                  347          347  equal
artist                 275          274  DIFFERENT
customer                59           59  equal
employee                 8            8  equal
extra                    -            0  only in TARGET
genre                   25           25  equal
invoice                412          412  equal
invoiceline           2240         2240  equal
mediatype                5            5  equal
playlist                18           18  equal
playlisttrack         8715         8715  equal
track                 3503         3503  DIFFERENT
table "artist": 0 changed, 1 missing in TARGET, 0 extra in TARGET (key artistid)
table "artist", key (artistid=275): missing in TARGET
table "track": 1 changed, 0 missing in TARGET, 0 extra in TARGET (key trackid)
table "track", key (trackid=3), column "unitprice": SOURCE 0.99, TARGET 1.29
12 tables: 9 equal, 2 different, 0 only in SOURCE, 1 only in TARGET; 15607 rows in SOURCE, 15606 in TARGET; T s'
	[[ $(untimed) == *"$expected" ]] || { diff <(echo "$expected") <(untimed); false; }
	[[ $stderr == 'ark-checksum-verify: error: SOURCE and TARGET differ: 3 of 12 tables (2 different, 0 only in SOURCE, 1 only in TARGET)' ]] || { show_run; false; }
}

@test "a sqlite archive (ark-snapshot) vs PostgreSQL; its temporary image goes" {
	load_chinook
	run --separate-stderr "$SNAPSHOT" -q -o "$BATS_TEST_TMPDIR/snap.ark" "$DB"
	assert_status 0
	mkdir "$BATS_TEST_TMPDIR/tmp"
	run --separate-stderr env TMPDIR="$BATS_TEST_TMPDIR/tmp" "$VERIFY" "$BATS_TEST_TMPDIR/snap.ark" "$ARK_TEST_DB"
	assert_status 0
	assert_output_has "SOURCE: sqlite archive $BATS_TEST_TMPDIR/snap.ark"
	[[ $(untimed) == *"$CHINOOK_TABLE
11 tables: 11 equal, 0 different, 0 only in SOURCE, 0 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET; T s" ]] || { show_run; false; }
	[[ -z $(ls -A "$BATS_TEST_TMPDIR/tmp") ]] || { ls -la "$BATS_TEST_TMPDIR/tmp"; false; }
	psql_q "DELETE FROM playlisttrack WHERE playlistid = 1 AND trackid = 3402"
	run --separate-stderr "$VERIFY" "$BATS_TEST_TMPDIR/snap.ark" "$ARK_TEST_DB"
	assert_status 16
	assert_output_has 'table "playlisttrack", key (playlistid=1, trackid=3402): missing in TARGET'
	# a damaged archive is never compared
	python3 - "$BATS_TEST_TMPDIR/snap.ark" <<'EOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(4096); b = f.read(1); f.seek(4096); f.write(bytes([b[0] ^ 1]))
EOF
	run --separate-stderr "$VERIFY" "$BATS_TEST_TMPDIR/snap.ark" "$ARK_TEST_DB"
	[[ $status == 4 ]] || { show_run; false; }
	assert_output_empty
}

@test "a pg archive vs PostgreSQL: the manifest's digests, then a difference read from the member" {
	[[ -x $PGW ]] || skip "$PGW is not built"
	run --separate-stderr "$PGW" "$BATS_TEST_TMPDIR/pg.ark" --tables 2 --rows 100
	assert_status 0
	A=$(sed -n 's/^path=//p' <<<"$output")
	psql_q "CREATE SCHEMA s;
	  CREATE TABLE s.table_1 (id bigint PRIMARY KEY, label text, note character varying(20));
	  CREATE TABLE s.table_2 (id bigint, label text, note character varying(20));
	  INSERT INTO s.table_1 SELECT i, 'label-1-' || i, CASE WHEN i % 3 = 0 THEN E'tab\\there' END FROM generate_series(1, 100) i;
	  INSERT INTO s.table_2 SELECT i, 'label-2-' || i, CASE WHEN i % 3 = 0 THEN E'tab\\there' END FROM generate_series(1, 100) i;"
	run --separate-stderr "$VERIFY" --schema s "$A" "$ARK_TEST_DB"
	assert_status 0
	expected="SOURCE: pg archive $A
TARGET: postgresql $ARK_TEST_DB
table    SOURCE rows  TARGET rows  result
table_1          100          100  equal
table_2          100          100  equal
2 tables: 2 equal, 0 different, 0 only in SOURCE, 0 only in TARGET; 200 rows in SOURCE, 200 in TARGET; T s"
	[[ $(untimed) == "$expected" ]] || { diff <(echo "$expected") <(untimed); false; }
	run --separate-stderr "$VERIFY" --deep --schema s "$A" "$ARK_TEST_DB"
	assert_status 0
	psql_q "UPDATE s.table_1 SET note = 'x' WHERE id = 42; UPDATE s.table_2 SET id = 1000 WHERE id = 7"
	run --separate-stderr "$VERIFY" --schema s "$A" "$ARK_TEST_DB"
	assert_status 16
	expected="table_1          100          100  DIFFERENT
table_2          100          100  DIFFERENT
table \"table_1\": 1 changed, 0 missing in TARGET, 0 extra in TARGET (key id)
table \"table_1\", key (id=42), column \"note\": SOURCE 'tab\\there', TARGET 'x'
table \"table_2\": 0 changed, 1 missing in TARGET, 1 extra in TARGET (no key: whole rows)
table \"table_2\", row (7, 'label-2-7', NULL): missing in TARGET (1 in SOURCE, 0 in TARGET)
table \"table_2\", row (1000, 'label-2-7', NULL): extra in TARGET (0 in SOURCE, 1 in TARGET)"
	[[ $(untimed) == *"$expected"* ]] || { diff <(echo "$expected") <(untimed); false; }
	# two archives: verified each, as ever; --compare compares them
	run --separate-stderr "$VERIFY" "$A" "$A"
	assert_status 0
	[[ $output == "$A: OK ("*")
$A: OK ("*")" ]] || { show_run; false; }
	run --separate-stderr "$VERIFY" --compare --schema s "$A" "$A"
	assert_status 0
	assert_output_has "TARGET: pg archive $A"
}

@test "hostile table and column names: paired, escaped, never a forged line" {
	S=$BATS_TEST_TMPDIR/hostile.sqlite
	sqlite3 "$S" <<'EOF'
CREATE TABLE "we""ird
name" ("k" INTEGER PRIMARY KEY, "va\l	ue" TEXT);
INSERT INTO "we""ird
name" VALUES (1, 'a'), (2, 'b');
CREATE TABLE "ünï 表" (id INTEGER PRIMARY KEY, "Select" TEXT);
INSERT INTO "ünï 表" VALUES (1, 'x');
EOF
	run --separate-stderr "$TRANSFER" -q "$S" "$ARK_TEST_DB"
	assert_status 0
	run --separate-stderr "$VERIFY" "$S" "$ARK_TEST_DB"
	assert_status 0
	psql_q "UPDATE public.\"we\"\"ird
name\" SET \"va\\l	ue\" = E'new\\nline' WHERE k = 2"
	run --separate-stderr "$VERIFY" "$S" "$ARK_TEST_DB"
	assert_status 16
	expected='table         SOURCE rows  TARGET rows  result
we"ird\nname            2            2  DIFFERENT
ünï 表                   1            1  equal
table "we"ird\nname": 1 changed, 0 missing in TARGET, 0 extra in TARGET (key k)
table "we"ird\nname", key (k=2), column "va\l\tue": SOURCE '"'b'"', TARGET '"'new\\nline'"'
2 tables: 1 equal, 1 different, 0 only in SOURCE, 0 only in TARGET; 3 rows in SOURCE, 3 in TARGET; T s'
	[[ $(untimed) == *"$expected" ]] || { diff <(echo "$expected") <(untimed); false; }
}

@test "a table or a column on one side only makes the result different" {
	load_chinook
	psql_q "CREATE TABLE public.audit (id int); ALTER TABLE public.genre ADD COLUMN note text; ALTER TABLE public.mediatype DROP COLUMN name; ALTER TABLE public.playlist ALTER COLUMN name TYPE text[] USING ARRAY[name]"
	run --separate-stderr "$VERIFY" "$DB" "$ARK_TEST_DB"
	assert_status 16
	expected='table          SOURCE rows  TARGET rows  result
album                  347          347  equal
artist                 275          275  equal
audit                    -            0  only in TARGET
customer                59           59  equal
employee                 8            8  equal
genre                   25           25  DIFFERENT
invoice                412          412  equal
invoiceline           2240         2240  equal
mediatype                5            5  DIFFERENT
playlist                18           18  DIFFERENT
playlisttrack         8715         8715  equal
track                 3503         3503  equal
table "genre": column "note" only in TARGET
table "mediatype": column "name" only in SOURCE
table "playlist": column "name": type text[] cannot be compared
12 tables: 8 equal, 3 different, 0 only in SOURCE, 1 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET; T s'
	[[ $(untimed) == *"$expected" ]] || { diff <(echo "$expected") <(untimed); false; }
}

@test "an existing schema of other types (--data-only style): values compared as the target's types" {
	S=$BATS_TEST_TMPDIR/app.sqlite
	sqlite3 "$S" "CREATE TABLE users (id INTEGER PRIMARY KEY, active INTEGER, joined TEXT, score REAL);
	  INSERT INTO users VALUES (1, 1, '2024-03-01 10:00:00', 1.5), (2, 0, '2024-03-02T11:30:00Z', 2);"
	psql_q "CREATE TABLE users (id integer PRIMARY KEY, active boolean NOT NULL, joined timestamp with time zone, score numeric(6,2));
	  INSERT INTO users VALUES (1, true, '2024-03-01 10:00:00+00', 1.50), (2, false, '2024-03-02 11:30:00+00', 2.00)"
	run --separate-stderr "$VERIFY" "$S" "$ARK_TEST_DB"
	assert_status 0
	psql_q "UPDATE users SET active = true WHERE id = 2"
	run --separate-stderr "$VERIFY" "$S" "$ARK_TEST_DB"
	assert_status 16
	assert_output_has 'table "users", key (id=2), column "active": SOURCE '"'f'"', TARGET '"'t'"
}

@test "a value the target's type cannot hold: the table differs, the reason is given" {
	S=$BATS_TEST_TMPDIR/bad.sqlite
	sqlite3 "$S" "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 5), (2, 'five');"
	psql_q "CREATE TABLE t (id bigint PRIMARY KEY, n bigint); INSERT INTO t VALUES (1, 5), (2, NULL)"
	run --separate-stderr "$VERIFY" "$S" "$ARK_TEST_DB"
	assert_status 16
	assert_output_has 't                ?            2  DIFFERENT'
	assert_output_has 'table "t": SOURCE: table "t", rowid 2, column "n": text that is not an integer as PostgreSQL prints it: '"'five'"
}

@test "a wrong password: exit 12, the password nowhere in the output" {
	run --separate-stderr "$VERIFY" "$DB" "postgresql://postgres:Wr0ngSecret%21@127.0.0.1:$PGPORT/postgres"
	assert_status 12
	assert_output_empty
	[[ $stderr == "ark-checksum-verify: error: cannot connect to \"postgresql://postgres@127.0.0.1:$PGPORT/postgres\": connection to server at \"127.0.0.1\", port $PGPORT failed: FATAL: password authentication failed for user \"postgres\"" ]] || { show_run; false; }
	run --separate-stderr "$VERIFY" --json "$DB" "host=127.0.0.1 port=$PGPORT user=postgres password=Wr0ngSecret!"
	assert_status 12
	[[ $output != *Wr0ng* && $stderr != *Wr0ng* ]] || { show_run; false; }
	[[ $(jq -r .error <<<"$output") == 'authentication failed' ]]
}

@test "arguments: what each one is, and usage errors" {
	run --separate-stderr "$VERIFY" "$DB" "$BATS_TEST_TMPDIR/nonexistent"
	assert_status 3
	[[ $stderr == "ark-checksum-verify: error: "*"$BATS_TEST_TMPDIR/nonexistent"* ]] || { show_run; false; }
	run --separate-stderr "$VERIFY" --compare "$DB"
	assert_status 2
	[[ $stderr == "ark-checksum-verify: error: --compare takes exactly SOURCE and TARGET"* ]] || { show_run; false; }
	run --separate-stderr "$VERIFY" --schema s "$BATS_TEST_TMPDIR/a.ark"
	assert_status 2
	[[ $stderr == "ark-checksum-verify: error: --schema, --jobs, --max-diffs, --keep-case, --date-numbers, --busy-timeout and --tmpdir are for comparing SOURCE and TARGET"* ]] || { show_run; false; }
	run --separate-stderr "$VERIFY" --full-check "$DB" "$DB"
	assert_status 2
	run --separate-stderr "$VERIFY" --max-diffs x "$DB" "$DB"
	assert_status 2
	[[ $stderr == "ark-checksum-verify: error: --max-diffs takes 0 to 1000000"* ]] || { show_run; false; }
	run "$VERIFY" --help
	assert_status 0
	assert_output_has "  or:  ark-checksum-verify [OPTION]... SOURCE TARGET"
	assert_output_has "  16   verification failed: SOURCE and TARGET differ (listed)"
}

@test "SIGINT while comparing: exit 130, the private copies removed, both databases as they were" {
	S=$BATS_TEST_TMPDIR/big.sqlite
	sqlite3 "$S" "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT, w REAL);
	  CREATE TABLE other (id INTEGER PRIMARY KEY, v TEXT);
	  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400000)
	  INSERT INTO big SELECT i, printf('%040d', i), i / 7.0 FROM s;
	  INSERT INTO other SELECT id, v FROM big WHERE id <= 1000;"
	cp "$S" "$BATS_TEST_TMPDIR/big2.sqlite"
	before=$(sha256sum "$S" "$BATS_TEST_TMPDIR/big2.sqlite")
	mkdir "$BATS_TEST_TMPDIR/tmp"
	# SIGINT at its default (a shell ignores it in background jobs)
	TMPDIR=$BATS_TEST_TMPDIR/tmp env --default-signal=INT,TERM "$VERIFY" -j 2 "$S" "$BATS_TEST_TMPDIR/big2.sqlite" >"$BATS_TEST_TMPDIR/out.txt" 2>"$BATS_TEST_TMPDIR/err.txt" &
	pid=$!
	# wait for the private copies, then interrupt
	for _ in $(seq 200); do
		[[ -n $(ls -A "$BATS_TEST_TMPDIR/tmp") ]] && break
		sleep 0.05
	done
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	[[ $status == 130 ]] || { cat "$BATS_TEST_TMPDIR/out.txt" "$BATS_TEST_TMPDIR/err.txt"; fail "exit $status"; }
	[[ $(cat "$BATS_TEST_TMPDIR/err.txt") == "ark-checksum-verify: error: interrupted by signal" ]] || { cat "$BATS_TEST_TMPDIR/err.txt"; false; }
	[[ ! -s $BATS_TEST_TMPDIR/out.txt ]] || { cat "$BATS_TEST_TMPDIR/out.txt"; false; }
	[[ -z $(ls -A "$BATS_TEST_TMPDIR/tmp") ]] || { ls -la "$BATS_TEST_TMPDIR/tmp"; false; }
	[[ $(sha256sum "$S" "$BATS_TEST_TMPDIR/big2.sqlite") == "$before" ]]
}
