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

# A writer moves money between two tables in WAL mode, one transaction per
# move, while ark-transfer runs: PostgreSQL must hold one committed state
# (the sum over both tables is constant), whatever --jobs.
money_db() {
	python3 - <<'PY'
import sqlite3
c = sqlite3.connect('bank.db')
c.execute('PRAGMA journal_mode=WAL')
c.execute('CREATE TABLE a (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)')
c.execute('CREATE TABLE b (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)')
c.execute('CREATE TABLE pad (id INTEGER PRIMARY KEY, t TEXT)')
c.executemany('INSERT INTO a VALUES (?, 1000)', ((i,) for i in range(1, 20001)))
c.executemany('INSERT INTO b VALUES (?, 1000)', ((i,) for i in range(1, 20001)))
c.executemany('INSERT INTO pad VALUES (?, ?)', ((i, 'x' * 200) for i in range(1, 200001)))
c.commit()
PY
}

mover() {
	python3 - "$1" <<'PY' &
import sqlite3, random, sys, os
c = sqlite3.connect('bank.db', timeout=30, isolation_level=None)
n = 0
while not os.path.exists(sys.argv[1]):
    i, j, v = random.randint(1, 20000), random.randint(1, 20000), random.randint(1, 50)
    c.execute('BEGIN IMMEDIATE')
    c.execute('UPDATE a SET amount = amount - ? WHERE id = ?', (v, i))
    c.execute('UPDATE b SET amount = amount + ? WHERE id = ?', (v, j))
    c.execute('COMMIT')
    n += 1
open('moves', 'w').write(str(n))
PY
}

@test "a writer moving money between tables while the transfer runs: one consistent state loaded, for --jobs 1 and --jobs 8" {
	money_db
	for jobs in 1 8; do
		pg_newdb
		rm -f stop moves
		mover stop
		sleep 0.5
		run --separate-stderr "$TRANSFER" -q --jobs "$jobs" bank.db "$ARK_TEST_DB"
		touch stop
		wait
		[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
		(($(cat moves) > 0)) || fail "the writer made no move"
		run psql_q "SELECT (SELECT sum(amount) FROM a) + (SELECT sum(amount) FROM b), (SELECT count(*) FROM pad)"
		[[ $output == '40000000|200000' ]] || fail "--jobs $jobs: $output"
		[[ ! -e ${TMPDIR:-/tmp}/ark-source-copy ]]
	done
	run sqlite3 bank.db "PRAGMA integrity_check; SELECT (SELECT sum(amount) FROM a) + (SELECT sum(amount) FROM b)"
	[[ $output == $'ok\n40000000' ]]
}

# relations and schemas in the test's database other than the catalogs
target_state() {
	psql_q "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' ORDER BY 1"
}

@test "a user without CREATE on the database: exit 13, the reason named, the target untouched" {
	cp "$CHINOOK_SRC" c.db
	psql_q "CREATE ROLE weak_$$ LOGIN; REVOKE CREATE ON DATABASE \"$PGDATABASE\" FROM PUBLIC; CREATE TABLE public.keep (x int); INSERT INTO public.keep VALUES (7)" >/dev/null
	before=$(target_state)
	run --separate-stderr "$TRANSFER" -q c.db "host=$PGHOST port=$PGPORT user=weak_$$ dbname=$PGDATABASE"
	[[ $status == 13 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == "ark-transfer: error: role \"weak_$$\" may not create schemas in database \"$PGDATABASE\": ark-transfer builds the tables in a staging schema and moves them into \"public\" once verified; allow it with GRANT CREATE ON DATABASE \"$PGDATABASE\" TO \"weak_$$\"" ]] || fail "$stderr"
	[[ $(target_state) == "$before" ]]
	[[ $(psql_q "TABLE public.keep") == 7 ]]
	psql_q "DROP ROLE weak_$$" >/dev/null
}

@test "a user who may create tables in the target schema but not schemas: refused before anything, saying what to grant" {
	cp "$CHINOOK_SRC" c.db
	psql_q "CREATE ROLE app_$$ LOGIN; REVOKE CREATE ON DATABASE \"$PGDATABASE\" FROM PUBLIC; GRANT ALL ON SCHEMA public TO app_$$" >/dev/null
	run --separate-stderr "$TRANSFER" -q c.db "host=$PGHOST port=$PGPORT user=app_$$ dbname=$PGDATABASE"
	[[ $status == 13 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == "ark-transfer: error: role \"app_$$\" may not create schemas in database \"$PGDATABASE\": ark-transfer builds the tables in a staging schema and moves them into \"public\" once verified; allow it with GRANT CREATE ON DATABASE \"$PGDATABASE\" TO \"app_$$\"" ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0 ]]
	psql_q "GRANT CREATE ON DATABASE \"$PGDATABASE\" TO app_$$" >/dev/null
	run --separate-stderr "$TRANSFER" -q c.db "host=$PGHOST port=$PGPORT user=app_$$ dbname=$PGDATABASE"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT count(*) FROM public.track") == 3503 ]]
}

@test "passwords: never shown, from a URL, DATABASE_URL or a wrong .pgpass; a right .pgpass works" {
	cp "$CHINOOK_SRC" c.db
	psql_q "CREATE ROLE pw_$$ LOGIN PASSWORD 'Sekrit-99'; GRANT CREATE ON DATABASE \"$PGDATABASE\" TO pw_$$; GRANT ALL ON SCHEMA public TO pw_$$" >/dev/null
	url="postgresql://pw_$$:Wrong-77@127.0.0.1:$PGPORT/$PGDATABASE"
	want="ark-transfer: error: cannot connect to \"postgresql://pw_$$@127.0.0.1:$PGPORT/$PGDATABASE\": connection to server at \"127.0.0.1\", port $PGPORT failed: FATAL: password authentication failed for user \"pw_$$\""
	run --separate-stderr "$TRANSFER" -q c.db "$url"
	[[ $status == 12 && $stderr == "$want" ]] || { show_run; echo "$stderr"; false; }
	DATABASE_URL=$url run --separate-stderr "$TRANSFER" -q --json c.db
	[[ $status == 12 && $stderr == "$want" ]] || { show_run; echo "$stderr"; false; }
	[[ $output != *Wrong-77* ]]
	# the server is down: a different code, still no password
	run --separate-stderr "$TRANSFER" -q c.db "postgresql://pw_$$:Wrong-77@127.0.0.1:1/x"
	[[ $status == 11 && $stderr != *Wrong-77* ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == 'ark-transfer: error: cannot connect to "postgresql://pw_'$$'@127.0.0.1:1/x": connection to server at "127.0.0.1", port 1 failed: Connection refused'* ]]
	printf '127.0.0.1:%s:*:pw_%s:Sekrit-99\n' "$PGPORT" "$$" >pgpass
	chmod 600 pgpass
	PGPASSFILE=$PWD/pgpass run --separate-stderr "$TRANSFER" --json c.db "host=127.0.0.1 port=$PGPORT user=pw_$$ dbname=$PGDATABASE"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $output != *Sekrit* && $stderr != *Sekrit* ]]
	[[ $(psql_q "SELECT count(*) FROM public.track") == 3503 ]]
}

# ark-checksum-verify v.db TARGET after one change in PostgreSQL: its
# per-difference lines (no header, no summary timing).
compare_after() {
	psql_q "SET client_min_messages = warning; DROP TABLE IF EXISTS t, u, extra" >/dev/null
	"$TRANSFER" -q v.db "$ARK_TEST_DB"
	psql_q "$1" >/dev/null
	run --separate-stderr "$VERIFY" v.db "$ARK_TEST_DB"
	output=$(grep -E '^table "|  (DIFFERENT|only in SOURCE|only in TARGET)$' <<<"$output" || true)
}

@test "compare: NULL vs '', -0 vs 0, a microsecond, JSON and numeric spelling, a key's case, a table on one side" {
	sqlite3 v.db "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, f REAL, n NUMERIC(10,2), d DATETIME, j JSON);
		INSERT INTO t VALUES (1, '', 0.0, 1.5, '2020-01-01 10:00:00', '{\"a\":1,\"bb\":2}');
		INSERT INTO t VALUES (2, NULL, 2.5, 2, '2020-01-01T10:00:00.5', '[1, 2.50]');
		CREATE TABLE u (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID; INSERT INTO u VALUES ('a	b', 'x'), ('Ä', 'y');"
	compare_after "UPDATE t SET s = NULL WHERE id = 1"
	[[ $status == 16 && $output == $'t                2            2  DIFFERENT\ntable "t": 1 changed, 0 missing in TARGET, 0 extra in TARGET (key id)\ntable "t", key (id=1), column "s": SOURCE \'\', TARGET NULL' ]] || { show_run; false; }
	compare_after "UPDATE t SET s = '' WHERE id = 2"
	[[ $status == 16 && $output == *$'\ntable "t", key (id=2), column "s": SOURCE NULL, TARGET \'\'' ]] || { show_run; false; }
	compare_after "UPDATE t SET f = '-0' WHERE id = 1"
	[[ $status == 16 && $output == *$'\ntable "t", key (id=1), column "f": SOURCE 0, TARGET -0' ]] || { show_run; false; }
	compare_after "UPDATE t SET d = d + interval '1 microsecond' WHERE id = 1"
	[[ $status == 16 && $output == *$'\ntable "t", key (id=1), column "d": SOURCE \'2020-01-01 10:00:00\', TARGET \'2020-01-01 10:00:00.000001\'' ]] || { show_run; false; }
	compare_after "UPDATE t SET j = '[1, 2.5]' WHERE id = 2"
	[[ $status == 16 && $output == *$'\ntable "t", key (id=2), column "j": SOURCE \'[1, 2.50]\', TARGET \'[1, 2.5]\'' ]] || { show_run; false; }
	compare_after "UPDATE u SET v = 'z' WHERE k = E'a\\tb'"
	[[ $status == 16 && $output == *$'\ntable "u", key (k=\'a\\tb\'), column "v": SOURCE \'x\', TARGET \'z\'' ]] || { show_run; false; }
	compare_after "UPDATE u SET k = 'ä' WHERE k = 'Ä'"
	[[ $status == 16 && $output == *$'\ntable "u", key (k=\'Ä\'): missing in TARGET\ntable "u", key (k=\'ä\'): extra in TARGET' ]] || { show_run; false; }
	compare_after "CREATE TABLE extra (x int)"
	[[ $status == 16 && $output == 'extra            -            0  only in TARGET' ]] || { show_run; false; }
	compare_after "DROP TABLE u"
	[[ $status == 16 && $output == 'u                2            -  only in SOURCE' ]] || { show_run; false; }
	# the same values spelled otherwise by PostgreSQL: equal
	compare_after "UPDATE t SET j = '{\"bb\": 2, \"a\": 1}', n = 1.50 WHERE id = 1"
	[[ $status == 0 ]] || { show_run; false; }
}

@test "a table wider than PostgreSQL's 1600 columns: refused by the plan (exit 15), PostgreSQL untouched; compared SQLite to SQLite" {
	# was: --plan said all is well (exit 0), the transfer failed at
	# CREATE TABLE (exit 13); at 2000 columns the check phase failed
	# with "too many columns in result set" (exit 6)
	for n in 1601 2000; do
		rm -f w.db
		python3 - "$n" <<'PY'
import sqlite3, sys
n = int(sys.argv[1])
c = sqlite3.connect('w.db')
c.execute('CREATE TABLE "w\nide" (id INTEGER PRIMARY KEY, %s)' % ', '.join(f'c{i} INTEGER' for i in range(n - 1)))
c.execute('INSERT INTO "w\nide" (id, c0) VALUES (1, 2)')
c.execute('CREATE TABLE ok (id INTEGER PRIMARY KEY)')
c.commit()
PY
		want="ark-transfer: error: table \"w\\nide\" has $n columns; a PostgreSQL table holds at most 1600"
		run --separate-stderr "$TRANSFER" --plan w.db
		[[ $status == 15 && $stderr == "$want" ]] || { show_run; echo "$stderr"; false; }
		before=$(target_state)
		run --separate-stderr "$TRANSFER" w.db "$ARK_TEST_DB"
		[[ $status == 15 && $stderr == "$want" ]] || { show_run; echo "$stderr"; false; }
		[[ $(target_state) == "$before" ]]
		cp w.db w2.db
		sqlite3 w2.db "UPDATE \"w"$'\n'"ide\" SET c0 = 3"
		run --separate-stderr "$VERIFY" w.db w2.db
		[[ $status == 16 ]] || { show_run; echo "$stderr"; false; }
		grep -qxF 'table "w\nide", key (id=1), column "c0": SOURCE 2, TARGET 3' <<<"$output" || { show_run; false; }
	done
}

@test "the connections killed mid-COPY (pg_terminate_backend): exit 13, the target as it was, no staging schema left" {
	python3 - <<'PY'
import sqlite3
c = sqlite3.connect('big.db')
for t in ('a', 'b'):
    c.execute(f'CREATE TABLE {t} (id INTEGER PRIMARY KEY, v TEXT)')
    c.executemany(f'INSERT INTO {t} VALUES (?, ?)', ((i, 'x' * 300) for i in range(1, 300001)))
c.commit()
PY
	psql_q "CREATE TABLE public.keep (x int); INSERT INTO public.keep VALUES (7)" >/dev/null
	before=$(target_state)
	"$TRANSFER" -q --jobs 2 big.db "$ARK_TEST_DB" 2>err &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		n=$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY %FROM STDIN%'")
		((n > 0)) && break
		sleep 0.05
	done
	((n > 0)) || fail "no COPY seen"
	psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'ark-transfer'" >/dev/null
	status=0
	wait "$pid" || status=$?
	[[ $status == 13 ]] || { cat err; fail "exit $status"; }
	grep -q 'terminating connection due to administrator command\|server closed the connection unexpectedly' err || { cat err; false; }
	[[ $(target_state) == "$before" ]] || { target_state; false; }
	[[ $(psql_q "TABLE public.keep") == 7 ]]
	# and the next run completes
	run --separate-stderr "$TRANSFER" -q big.db "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT count(*) FROM a") == 300000 ]]
}

@test "values: a 50 MB text and 20 MB blob of backslashes and NULs, an empty table, untyped 2^53+1 with a real, a mixed column, timestamp edges, hostile text keys" {
	# under ASan (ARK_TEST_SWEEP=coarse) 8 MB and 2 MB: still many
	# ARK_ROWS_SLICE slices and COPY chunks, at a fifth of the time
	local mb=50
	[[ ${ARK_TEST_SWEEP-} == coarse ]] && mb=8
	MB=$mb python3 - <<'PY'
import os
import sqlite3
mb = int(os.environ['MB'])
c = sqlite3.connect('v.db')
c.execute('CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT, b BLOB)')
c.execute('INSERT INTO big VALUES (1, ?, ?)', ('\\' * (mb << 20), b'\x00\\' * ((mb // 5) << 20)))
c.execute('CREATE TABLE empty (id INTEGER PRIMARY KEY, v TEXT)')
c.execute('CREATE TABLE nt (v)')
c.executemany('INSERT INTO nt VALUES (?)', [(9007199254740993,), (1.5,), (None,)])
c.execute('CREATE TABLE mix (id INTEGER PRIMARY KEY, v)')
c.executemany('INSERT INTO mix (v) VALUES (?)', [(1e100,), ('x',), (0.1,), (-0.0,), (9223372036854775807,), (float('inf'),)])
c.execute('CREATE TABLE ts (id INTEGER PRIMARY KEY, t TIMESTAMP, d DATE)')
c.executemany('INSERT INTO ts VALUES (?,?,?)', [(1, '9999-12-31 23:59:59.999999', '2000-02-29'), (2, '0001-01-01 00:00:00', '2000-02-28'), (3, '2020-06-30T23:59:59.9999990', '1999-12-31'), (4, '2020-01-01 00:00', '2020-01-01')])
c.execute('CREATE TABLE k (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID')
c.executemany('INSERT INTO k VALUES (?, ?)', [('\\N', 1), ('\\.', 2), ('a\tb\nc', 3), ('', 4), (' ', 5), ('%s', 6)])
c.commit()
PY
	run --separate-stderr "$TRANSFER" -q --jobs 8 v.db "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT length(v), v = repeat(E'\\\\', $mb << 20), length(b), b = decode(repeat('005c', ($mb / 5) << 20), 'hex') FROM big") == "$((mb << 20))|t|$((mb / 5 * 2 << 20))|t" ]]
	[[ $(psql_q "SELECT count(*) FROM empty") == 0 ]]
	[[ $(psql_q "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'nt'::regclass AND attname = 'v'") == numeric ]]
	[[ $(psql_q "SELECT string_agg(coalesce(v::text, 'NULL'), ',' ORDER BY v) FROM nt") == '1.5,9007199254740993,NULL' ]]
	[[ $(psql_q "SELECT string_agg(v, ',' ORDER BY id) FROM mix") == '1.0e+100,x,0.1,-0,9223372036854775807,Inf' ]]
	[[ $(psql_q "SELECT string_agg(t || '/' || d, ',' ORDER BY id) FROM ts") == '9999-12-31 23:59:59.999999/2000-02-29,0001-01-01 00:00:00/2000-02-28,2020-06-30 23:59:59.999999/1999-12-31,2020-01-01 00:00:00/2020-01-01' ]]
	[[ $(psql_q "SELECT string_agg(encode(convert_to(k, 'UTF8'), 'hex') || '=' || v, ',' ORDER BY v) FROM k") == '5c4e=1,5c2e=2,6109620a63=3,=4,20=5,2573=6' ]]
	run --separate-stderr "$VERIFY" v.db "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	psql_q "UPDATE k SET v = 9 WHERE k = E'a\\tb\\nc'" >/dev/null
	run --separate-stderr "$VERIFY" v.db "$ARK_TEST_DB"
	[[ $status == 16 ]] && grep -qxF 'table "k", key (k='"'"'a\tb\nc'"'"'), column "v": SOURCE 3, TARGET 9' <<<"$output" || { show_run; false; }
}

@test "the summary table stays aligned with non-ASCII table names" {
	sqlite3 n.db "CREATE TABLE \"äb\" (x); CREATE TABLE ab (x); INSERT INTO \"äb\" VALUES (1); INSERT INTO ab VALUES (1);"
	run --separate-stderr "$TRANSFER" n.db "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	python3 - "$output" <<'PY2'
import sys
rows = [l for l in sys.argv[1].split('\n') if l.startswith(('ab ', '\u00e4b '))]
assert len(rows) == 2 and len(rows[0]) == len(rows[1]), rows
PY2
}

@test "an existing schema that needs quoting, with other relations: the transfer joins them; a colliding sequence name: exit 14, untouched" {
	cp "$CHINOOK_SRC" c.db
	psql_q 'CREATE SCHEMA "My ""S"; CREATE TABLE "My ""S".other (x int); CREATE SEQUENCE "My ""S".album_albumid_seq; CREATE VIEW "My ""S".v AS SELECT 1 AS one' >/dev/null
	before=$(target_state)
	# (found before the load: check_target compares every name the plan
	# creates; it was found only at the swap)
	run --separate-stderr "$TRANSFER" -q --schema 'My "S' c.db "$ARK_TEST_DB"
	[[ $status == 14 && $stderr == 'ark-transfer: error: schema "My "S" already has a sequence "album_albumid_seq", the name the plan gives the identity'"'"'s sequence of table "album"; transfer into another --schema, or drop it first' ]] || { show_run; echo "$stderr"; false; }
	[[ $(target_state) == "$before" ]]
	psql_q 'DROP SEQUENCE "My ""S".album_albumid_seq' >/dev/null
	run --separate-stderr "$TRANSFER" -q --schema 'My "S' c.db "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q 'SELECT (SELECT count(*) FROM "My ""S".track), (SELECT one FROM "My ""S".v), (SELECT count(*) FROM "My ""S".other)') == '3503|1|0' ]]
	[[ $(psql_q "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ark%'") == 0 ]]
	run --separate-stderr "$VERIFY" --schema 'My "S' c.db "$ARK_TEST_DB"
	[[ $status == 16 ]] || { show_run; false; }   # "other" is only in TARGET
	grep -qx 'other                    -            0  only in TARGET' <<<"$output" || { show_run; false; }
	grep -q '^12 tables: 11 equal, 0 different, 0 only in SOURCE, 1 only in TARGET;' <<<"$output" || { show_run; false; }
}
