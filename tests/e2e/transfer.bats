#!/usr/bin/env bats
# ark-transfer: SQLite -> PostgreSQL, checked by ark's digests AND by
# independent SQL on both sides (sqlite3 and psql, no ark code involved).

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer

setup() {
	require_tool ark-transfer
	pg_newdb
	cp "$CHINOOK_SRC" "$BATS_TEST_TMPDIR/chinook.sqlite"
	DB=$BATS_TEST_TMPDIR/chinook.sqlite
}

# Every relation ark might leave: none in a database that was untouched.

@test "chinook: every table carried, counts, sums and values equal by independent SQL" {
	before=$(sha256sum "$DB")
	run --separate-stderr "$TRANSFER" -q "$DB" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(sha256sum "$DB") == "$before" ]]
	[[ ! -e $DB-wal && ! -e $DB-shm && ! -e $DB-journal ]]

	for t in Album Artist Customer Employee Genre Invoice InvoiceLine MediaType Playlist PlaylistTrack Track; do
		lite=$(sqlite3 "$DB" "SELECT count(*) FROM \"$t\"")
		pg=$(psql_q "SELECT count(*) FROM public.\"${t,,}\"")
		[[ $lite == "$pg" ]] || fail "$t: sqlite $lite rows, postgres $pg"
	done
	[[ $(psql_q "SELECT sum(total) FROM invoice") == \
	   $(sqlite3 "$DB" "SELECT printf('%.2f', sum(Total)) FROM Invoice") ]]
	[[ $(psql_q "SELECT sum(milliseconds), sum(bytes) FROM track") == \
	   $(sqlite3 "$DB" "SELECT sum(Milliseconds) || '|' || sum(Bytes) FROM Track") ]]
	[[ $(psql_q "SELECT name, unitprice FROM track WHERE trackid = 1") == \
	   'For Those About To Rock (We Salute You)|0.99' ]]
	[[ $(psql_q "SELECT invoicedate FROM invoice WHERE invoiceid = 1") == \
	   "$(sqlite3 "$DB" "SELECT InvoiceDate FROM Invoice WHERE InvoiceId = 1")" ]]
	# every text value, byte for byte, hashed on both sides
	lite=$(sqlite3 "$DB" "SELECT Name FROM Track ORDER BY TrackId" | sha256sum)
	pg=$(psql_q "SELECT name FROM track ORDER BY trackid" | sha256sum)
	[[ $lite == "$pg" ]]
	# keys, foreign keys, types, identity position
	[[ $(psql_q "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND contype = 'p'") == 11 ]]
	[[ $(psql_q "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND contype = 'f'") == 11 ]]
	[[ $(psql_q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.invoice'::regclass AND attname IN ('invoicedate','total','billingcity') ORDER BY attnum") == \
	   $'timestamp without time zone\ncharacter varying(40)\nnumeric(10,2)' ]]
	max=$(sqlite3 "$DB" "SELECT max(TrackId) FROM Track")
	next=$(psql_q "INSERT INTO track (name, mediatypeid, milliseconds, unitprice) VALUES ('new', 1, 1, 0.99) RETURNING trackid")
	((next > max)) || fail "identity hands out $next, SQLite's max is $max"
	run psql_q "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ark_%'"
	[[ $output == 0 ]]
}

@test "chinook: the summary names every table with equal digests; --json says the same" {
	run --separate-stderr "$TRANSFER" "$DB" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(grep -c ' equal$' <<<"$output") == 11 ]]
	grep -q '^playlisttrack  *8715  *8715  *0  *0  equal$' <<<"$output"
	grep -Eq '^11 tables, 15607 rows read, 15607 loaded into schema "public" in ' <<<"$output"
	pg_newdb
	run --separate-stderr "$TRANSFER" --json --schema=app "$DB" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	python3 - "$output" <<'PY'
import json, sys
o = json.loads(sys.argv[1])
assert o["ok"] is True and o["exit_code"] == 0, o
assert o["schema"] == "app", o
assert len(o["tables"]) == 11
for t in o["tables"]:
    assert t["verified"] is True, t
    assert t["source_digest"] == t["target_digest"], t
    assert t["rows_read"] == t["rows_loaded"], t
PY
	[[ $(psql_q "SELECT count(*) FROM app.track") == 3503 ]]
}

@test "--plan prints the plan and touches nothing, not even the server" {
	run --separate-stderr "$TRANSFER" --plan "$DB" "host=127.0.0.1 port=1 dbname=nowhere"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	grep -q 'invoicedate' <<<"$output"
	[[ -z $stderr ]]
	assert_target_untouched
}

@test "a table that exists in the target schema: exit 14, nothing changed" {
	psql_q "CREATE TABLE public.genre (x int)" >/dev/null
	run --separate-stderr "$TRANSFER" "$DB" "$ARK_TEST_DB"
	[[ $status == 14 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == 'ark-transfer: error: schema "public" already has a relation "genre"; transfer into another --schema, or drop it first' ]]
	[[ $(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 1 ]]
	[[ $(psql_q "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ark_%'") == 0 ]]
}

@test "text in an INTEGER column: refused before PostgreSQL is touched, every row listed" {
	db=$BATS_TEST_TMPDIR/bad.sqlite
	sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT);
		INSERT INTO t VALUES (1, 10, 'a'), (2, 'abc', 'b'), (3, 30, 'c'), (4, 'x y', 'd');"
	run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	[[ $(sed -n 1p <<<"$stderr") == "ark-transfer: refused: table \"t\", rowid 2, column \"n\": text that is not an integer as PostgreSQL prints it: 'abc'" ]]
	[[ $(sed -n 2p <<<"$stderr") == "ark-transfer: refused: table \"t\", rowid 4, column \"n\": text that is not an integer as PostgreSQL prints it: 'x y'" ]]
	[[ $(sed -n 3p <<<"$stderr") == 'ark-transfer: error: 2 values cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)' ]]
	[[ $(wc -l <<<"$stderr") == 3 ]]
	assert_target_untouched
}

@test "--widen carries the text in an INTEGER column as text, and says so" {
	db=$BATS_TEST_TMPDIR/bad.sqlite
	sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
		INSERT INTO t VALUES (1, 10), (2, 'abc'), (3, -9223372036854775808);"
	run --separate-stderr "$TRANSFER" --widen "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'n'") == text ]]
	[[ $(psql_q "SELECT n FROM t ORDER BY id") == $'10\nabc\n-9223372036854775808' ]]
}
