#!/usr/bin/env bats
# ark-transfer and hard values: each case carried exactly (checked in
# PostgreSQL by plain SQL) or refused with its exact message and the
# target untouched.  The databases come from values_db.py.

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer

setup() {
	require_tool ark-transfer
	pg_newdb
	GOOD=$BATS_TEST_TMPDIR/good.sqlite
	BAD=$BATS_TEST_TMPDIR/bad.sqlite
	python3 "$E2E_DIR/values_db.py" good "$GOOD"
	python3 "$E2E_DIR/values_db.py" bad "$BAD"
}


@test "hard values are carried exactly" {
	run --separate-stderr "$TRANSFER" -q "$GOOD" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	# reserved words and unicode, quoted; -0.0 and infinities; '' vs NULL
	[[ $(psql_q 'SELECT "select", "grüße", "from", "grüße" IS NULL FROM "order" ORDER BY 1') == \
	   $'1|ß ü 中文 🎉|0|f\n2||Infinity|f\n3||-Infinity|t' ]]
	[[ $(psql_q "SELECT v::text FROM loose ORDER BY id") == $'-0\n1e-310\n0.1' ]]
	# int64 extremes, numeric scale, booleans from 0/1
	[[ $(psql_q "SELECT i, r, n, b FROM nums ORDER BY id") == \
	   $'9223372036854775807|1.5|12.3456|t\n-9223372036854775808|0.1|-0.0001|f\n0|1e+300|99999999.0000|' ]]
	# BLOBs of 0 bytes and 5 MB, byte for byte
	[[ $(psql_q "SELECT id, length(data), md5(data) FROM blobs ORDER BY id") == \
	   "$(sqlite3 "$GOOD" "SELECT id, length(data), '' FROM blobs WHERE id = 1")d41d8cd98f00b204e9800998ecf8427e
2|5120000|$(sqlite3 "$GOOD" "SELECT writefile('$BATS_TEST_TMPDIR/b2', data) FROM blobs WHERE id = 2" >/dev/null; md5sum <"$BATS_TEST_TMPDIR/b2" | cut -d' ' -f1)
3||" ]]
	# WITHOUT ROWID with a composite key; no key with duplicate rows
	[[ $(psql_q "SELECT * FROM kv ORDER BY a, b") == $'x|1|a\nx|2|b\ny|1|' ]]
	[[ $(psql_q "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'kv'::regclass") == 'PRIMARY KEY (a, b)' ]]
	[[ $(psql_q "SELECT x, y, y IS NULL FROM nokey ORDER BY x") == $'1|dup|f\n1|dup|f\n2||t' ]]
	# AUTOINCREMENT with a deleted tail: the next id is after the highest ever handed out
	[[ $(psql_q "SELECT max(id) FROM \"spaced name\"") == 3 ]]
	[[ $(psql_q "INSERT INTO \"spaced name\" (v) VALUES ('n') RETURNING id" | head -1) == 7 ]]
	# date-time formats
	[[ $(psql_q "SELECT d, ts, tz FROM dates ORDER BY id") == \
	   $'2024-02-29|2024-01-02 03:04:05|2024-01-02 03:04:05.123\n0001-01-01|2024-01-02 03:04:00|2024-01-02 03:04:05\n|2024-01-02 00:00:00|' ]]
	# JSON as jsonb
	[[ $(psql_q "SELECT j FROM docs ORDER BY id") == $'{"a": [1, 2.50, {"c": null}], "b": 1}\n"just a string"' ]]
	[[ $(psql_q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'docs'::regclass AND attname = 'j'") == jsonb ]]
	# generated columns: their values, as plain columns
	[[ $(psql_q "SELECT * FROM gen ORDER BY id") == $'1|10|20|11\n2|||' ]]
	# names over 63 bytes, cut, and the collision they make resolved
	[[ $(psql_q "SELECT attname FROM pg_attribute WHERE attrelid = 'collide'::regclass AND attnum > 0 ORDER BY attnum") == \
	   "id
$(printf 'c%.0s' {1..63})
$(printf 'c%.0s' {1..61})_2" ]]
	# the partial index is there; the NOCASE column is plain text
	[[ $(psql_q "SELECT indexdef FROM pg_indexes WHERE indexname = 'people_active'") == \
	   'CREATE INDEX people_active ON public.people USING btree (email) WHERE (active = 1)' ]]
}

@test "the plan reports what is not carried: views, triggers, NOCASE, an untranslated index, generated columns" {
	run --separate-stderr "$TRANSFER" --plan "$GOOD"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	grep -qxF 'not carried: table "v_people": view not carried: CREATE VIEW v_people AS SELECT id, email FROM people' <<<"$output"
	grep -qxF 'not carried: table "people": trigger "tr_people" not carried: CREATE TRIGGER tr_people AFTER INSERT ON people BEGIN SELECT 1; END' <<<"$output"
	grep -qxF 'not carried: table "people", column "email": COLLATE NOCASE not carried: PostgreSQL compares this column'"'"'s values as they are (case-sensitive)' <<<"$output"
	grep -qxF 'not carried: table "people": index "people_lower" not carried: this function is not translated: CREATE INDEX people_lower ON people (lower(email))' <<<"$output"
	grep -qxF 'not carried: table "gen", column "b": generated column: its values are carried as a plain column, the expression (a * 2) is not' <<<"$output"
	grep -qxF 'info: table "Spaced Name", column "id": AUTOINCREMENT: the identity continues after 6, never re-issuing an id SQLite handed out' <<<"$output"
}

@test "values that cannot be carried: each refused with its exact message, PostgreSQL untouched" {
	before=$(sha256sum "$BAD")
	run --separate-stderr "$TRANSFER" "$BAD" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected='ark-transfer: refused: table "child", rowid 2: foreign key to "parent" has no parent row
ark-transfer: refused: table "d", rowid 1, column "day": not a calendar date: '"'2023-02-30'"'
ark-transfer: refused: table "d", rowid 1, column "j": a duplicate key in a JSON object (jsonb would keep only the last) at byte 0: '"'"'{"a":1,"a":2}'"'"'
ark-transfer: refused: table "d", rowid 2, column "day": a number in a date/time column: 1700000000
ark-transfer: refused: table "d", rowid 2, column "j": invalid JSON at byte 0: '"'not json'"'
ark-transfer: refused: table "d", rowid 2, column "t": NUL byte at byte 1: '"'a\\0b'"'
ark-transfer: refused: table "d", rowid 2, column "n": text that is not an integer as PostgreSQL prints it: '"'seven'"'
ark-transfer: refused: table "d", rowid 3, column "t": invalid UTF-8 at byte 3: '"'caf\\xe9'"'
ark-transfer: refused: table "k", rowid 2: NULL in the PRIMARY KEY
ark-transfer: refused: table "k", rowid 3: NULL in the PRIMARY KEY
ark-transfer: error: 10 values cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)'
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	assert_target_untouched
	[[ $(sha256sum "$BAD") == "$before" ]]
}

@test "--widen carries them all, each relaxation listed, values as they were" {
	run --separate-stderr "$TRANSFER" --widen "$BAD" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT day, j FROM d ORDER BY id") == $'2023-02-30|{"a":1,"a":2}\n1700000000|not json\n2024-01-01|[]' ]]
	[[ $(psql_q "SELECT encode(t, 'escape') FROM d ORDER BY id") == $'fine\na\\000b\ncaf\\351' ]]
	[[ $(psql_q "SELECT n FROM d ORDER BY id") == $'1\nseven\n3' ]]
	[[ $(psql_q "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 0 ]]
	[[ $(psql_q "SELECT pid FROM child ORDER BY id") == $'1\n99' ]]
	[[ $(psql_q "SELECT count(*) FROM k WHERE code IS NULL") == 2 ]]
	run --separate-stderr "$TRANSFER" --plan --widen "$BAD"
	grep -qxF 'relaxed: table "child": foreign key to "parent" left out: rows have no parent row' <<<"$output"
	grep -qxF 'relaxed: table "k", column "code": primary key ("code") becomes a unique constraint: the column holds NULL' <<<"$output"
}
