#!/usr/bin/env bats
# ark-transfer's fused run: without --widen, --reject, --resume or
# --data-only the check pass is the load itself (lib/pg/transfer.c,
# fused_eligible).  What only PostgreSQL finds while building keys and
# foreign keys (an orphan, a NULL under a key) must still be told as the
# check phase tells it, with the target untouched; what the check finds
# nothing against fails with the server's error; the summary's counts are
# those of the separate check pass.

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer

setup() {
	require_tool ark-transfer
	pg_newdb
}


@test "an orphan foreign key alone (every value converts): listed as the check lists it, target untouched" {
	db=$BATS_TEST_TMPDIR/orphan.sqlite
	sqlite3 "$db" "CREATE TABLE parent (id INTEGER PRIMARY KEY);
		CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));
		INSERT INTO parent VALUES (1), (2);
		INSERT INTO child VALUES (1, 1), (2, 7), (3, 2), (4, 9);"
	run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected='ark-transfer: refused: table "child", rowid 2: foreign key to "parent" has no parent row
ark-transfer: refused: table "child", rowid 4: foreign key to "parent" has no parent row
ark-transfer: error: 2 values cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)'
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	assert_target_untouched
}

@test "NULL under a TEXT primary key alone: listed, target untouched" {
	db=$BATS_TEST_TMPDIR/nullkey.sqlite
	sqlite3 "$db" "CREATE TABLE k (code TEXT PRIMARY KEY, v INTEGER);
		INSERT INTO k VALUES ('a', 1), (NULL, 2), ('b', 3);"
	run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected='ark-transfer: refused: table "k", rowid 2: NULL in the PRIMARY KEY
ark-transfer: error: 1 value cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)'
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	assert_target_untouched
}

@test "values SQLite holds apart but PostgreSQL makes equal under a UNIQUE index: the server refuses the index, the check pass names both rows, target untouched" {
	db=$BATS_TEST_TMPDIR/dup.sqlite
	sqlite3 "$db" "CREATE TABLE d (id INTEGER PRIMARY KEY, v); CREATE UNIQUE INDEX d_v ON d (v); INSERT INTO d VALUES (1, 1), (2, '1');"
	run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected='ark-transfer: refused: table "d", rowid 2: a duplicate of rowid 1 under unique index "d_v" once converted: (v)=(1)
ark-transfer: error: 1 value cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)'
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	assert_target_untouched
}

@test "the fused run's counts (rows read, converted) equal the separate check pass's" {
	db=$BATS_TEST_TMPDIR/counts.sqlite
	sqlite3 "$db" "CREATE TABLE a (id INTEGER PRIMARY KEY, flag BOOLEAN, n TEXT, b BLOB, r REAL);
		INSERT INTO a VALUES (1, 1, 5, x'00', 1.5), (2, 0, 'x', 'text', 2), (3, 'true', 2.5, 7, NULL), (4, NULL, NULL, NULL, 3);
		CREATE TABLE e (x);
		INSERT INTO e VALUES (1), ('two'), (3.5), (NULL);"
	counts='[(t["target"], t["rows_read"], t["rows_loaded"], t["converted"], t["source_digest"], t["verified"]) for t in j["tables"]]'
	run --separate-stderr "$TRANSFER" --json "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	fused=$(json_get <(printf '%s' "$output") "$counts")
	[[ $(json_get <(printf '%s' "$output") 'j["phase_seconds"]["check"] == 0') == True ]]
	# --resume with nothing to resume takes the separate check pass
	pg_newdb
	run --separate-stderr "$TRANSFER" --json --resume "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	separate=$(json_get <(printf '%s' "$output") "$counts")
	[[ $(json_get <(printf '%s' "$output") 'j["phase_seconds"]["check"] > 0') == True ]]
	[[ $fused == "$separate" ]] || { echo "fused:    $fused"; echo "separate: $separate"; false; }
	# a: 1, 0, 'true' into boolean, 'text' and 7 into bytea (TEXT
	# affinity stored 5 and 2.5 as text); e: 1 and 3.5 into text
	[[ $fused == "[('a', 4, 4, 5, '4:"*"', True), ('e', 4, 4, 2, '4:"*"', True)]" ]] || { echo "$fused"; false; }
}

@test "the fused run's light profile: types the values decide still decided by them, the identity after max(id) even when a column is named rowid" {
	db=$BATS_TEST_TMPDIR/light.sqlite
	# "rowid" is a user column here: max(rowid) would read it (1), not
	# the ids (up to 100); flag BOOLEAN holds 0/1 only (boolean), at
	# DATETIME with a zone (timestamptz), u UUID text (uuid), n no type
	# holding integers only (bigint)
	sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, rowid INTEGER, flag BOOLEAN, at DATETIME, u UUID, n);
		INSERT INTO t VALUES (3, 1, 0, '2024-01-02 03:04:05Z', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 5),
		                     (100, 1, 1, '2024-01-02T03:04:05+02:00', 'a0eebc999c0b4ef8bb6d6bb9bd380a12', 6);
		CREATE TABLE g (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
		INSERT INTO g VALUES ('a', 1.5), ('b', 2);"
	run --separate-stderr "$TRANSFER" --json "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 't'") == 'id:bigint,rowid:bigint,flag:boolean,at:timestamp with time zone,u:uuid,n:bigint' ]]
	[[ $(psql_q "SELECT data_type FROM information_schema.columns WHERE table_name = 'g' AND column_name = 'v'") == 'double precision' ]]
	[[ $(psql_q "INSERT INTO t (rowid) VALUES (2) RETURNING id") == 101 ]]
	[[ $(psql_q "SELECT string_agg(at::text, ',' ORDER BY id) FROM t WHERE id < 101") == '2024-01-02 03:04:05+00,2024-01-02 01:04:05+00' ]]
}
