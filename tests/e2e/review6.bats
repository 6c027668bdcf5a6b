#!/usr/bin/env bats
# review6: a hostile review of ark-transfer and ark-checksum-verify, on a
# real server.  Each test is a finding or an attack that held; every
# outcome is asserted exactly, PostgreSQL is judged by psql, SQLite by
# sqlite3.

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer

setup() {
	require_tool ark-transfer ark-checksum-verify
	pg_newdb
	cd "$BATS_TEST_TMPDIR"
}

@test "hostile table and column names: carried, verified, compared, the names exact in PostgreSQL" {
	python3 - <<'PY'
import sqlite3
c = sqlite3.connect('h.db')
names = ['q"uote', 'back\\slash', 'new\nline', 'tab\tx', '%s%n%d', 'x' * 300,
         'ÄBC', 'äbc', 'ark_staging_x']
for n in names:
    q = '"' + n.replace('"', '""') + '"'
    c.execute(f'CREATE TABLE {q} (id INTEGER PRIMARY KEY, {q} TEXT, "oid" TEXT, "rowid" INTEGER)')
    c.execute(f'INSERT INTO {q} VALUES (?,?,?,?)', (1, '\\N', '\\.', 5))
    c.execute(f'INSERT INTO {q} VALUES (?,?,?,?)', (2, 'a\\tb\n\\.\n', '', None))
c.commit()
PY
	before=$(sha256sum h.db)
	run --separate-stderr "$TRANSFER" -q h.db "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(sha256sum h.db) == "$before" ]]
	run psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
	[[ $output == 9 ]]
	# names exact (lower-cased ASCII only, 300 bytes cut to 63)
	run psql_q "SELECT string_agg(encode(convert_to(tablename, 'UTF8'), 'hex'), ',' ORDER BY tablename COLLATE \"C\") FROM pg_tables WHERE schemaname = 'public'"
	want=$(python3 -c "
names = ['q\"uote', 'back\\\\slash', 'new\nline', 'tab\tx', '%s%n%d', 'x' * 63, 'Äbc', 'äbc', 'ark_staging_x']
print(','.join(n.encode().hex() for n in sorted(names, key=lambda s: s.encode())))")
	[[ $output == "$want" ]] || fail "names: $output, want $want"
	# values byte for byte: the COPY-escape look-alikes stayed text
	run psql_q "SELECT encode(convert_to(string_agg(\"q\"\"uote\" || '|' || oid || '|' || coalesce(rowid::text, 'NULL'), '/' ORDER BY id), 'UTF8'), 'hex') FROM \"q\"\"uote\""
	[[ $output == "$(printf '%s' '\N|\.|5/a\tb'$'\n''\.'$'\n''||NULL' | od -An -tx1 | tr -d ' \n')" ]] || fail "values: $output"
	run --separate-stderr "$VERIFY" h.db "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	grep -q '^9 tables: 9 equal, 0 different' <<<"$output"
}
