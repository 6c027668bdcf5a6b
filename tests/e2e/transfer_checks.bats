#!/usr/bin/env bats
# ark-transfer's check phase, the cases it used to miss: keys that become
# duplicates only once converted (1 and '1' into text, two spellings of
# one timestamp), names the plan creates that the target schema already
# holds (an index, a sequence, a view...), rows named by rowid or key in
# every message.  PostgreSQL must be untouched whenever the run is refused.

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer

setup() {
	require_tool ark-transfer
	pg_newdb
}


# Keys SQLite holds apart that PostgreSQL would see equal: an untyped
# column with 1 and '1' (text), 2.5 and '2.5'; a TIMESTAMP key written
# three ways; a UUID in two cases; a BOOLEAN 1 and 'true' in a composite
# UNIQUE; a WITHOUT ROWID composite key; a partial unique index (a row
# outside its WHERE is no duplicate).  Not duplicates: 'A' and 'a' (text
# stays text), NULLs under UNIQUE.
make_dup_db() {
	sqlite3 "$1" "
		CREATE TABLE d (id INTEGER PRIMARY KEY, v); CREATE UNIQUE INDEX d_v ON d (v);
		INSERT INTO d VALUES (1, 1), (2, '1'), (3, 'A'), (4, 'a'), (5, NULL), (6, NULL), (7, 2.5), (8, '2.5');
		CREATE TABLE ts (t TIMESTAMP PRIMARY KEY, n INTEGER);
		INSERT INTO ts VALUES ('2020-01-01 10:00', 1), ('2020-01-01 10:00:00', 2), ('2020-01-01T10:00:00.000', 3), ('2020-01-02 10:00', 4);
		CREATE TABLE u (id INTEGER PRIMARY KEY, g UUID UNIQUE, b BOOLEAN, w TEXT, UNIQUE (b, w));
		INSERT INTO u VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 1, 'x'), (2, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'true', 'x'), (3, NULL, 0, 'x');
		CREATE TABLE k (a TEXT, t DATETIME, n, PRIMARY KEY (a, t)) WITHOUT ROWID;
		INSERT INTO k VALUES ('x', '2020-01-01 10:00', 1), ('x', '2020-01-01 10:00:00.000000', 2), ('y', '2020-01-01 10:00', 3);
		CREATE TABLE p (id INTEGER PRIMARY KEY, e, active INTEGER); CREATE UNIQUE INDEX p_e ON p (e) WHERE active = 1;
		INSERT INTO p VALUES (1, 1, 1), (2, '1', 0), (3, '1', 1);"
}

DUP_REFUSALS='ark-transfer: refused: table "d", rowid 2: a duplicate of rowid 1 under unique index "d_v" once converted: (v)=(1)
ark-transfer: refused: table "d", rowid 8: a duplicate of rowid 7 under unique index "d_v" once converted: (v)=(2.5)
ark-transfer: refused: table "k", key (a='"'x'"', t='"'2020-01-01 10:00:00.000000'"'): a duplicate of key (a='"'x'"', t='"'2020-01-01 10:00'"') under the PRIMARY KEY once converted: (a, t)=(x, 2020-01-01 10:00:00)
ark-transfer: refused: table "p", rowid 3: a duplicate of rowid 1 under unique index "p_e" once converted: (e)=(1)
ark-transfer: refused: table "ts", rowid 2: a duplicate of rowid 1 under the PRIMARY KEY once converted: (t)=(2020-01-01 10:00:00)
ark-transfer: refused: table "ts", rowid 3: a duplicate of rowid 1 under the PRIMARY KEY once converted: (t)=(2020-01-01 10:00:00)
ark-transfer: refused: table "u", rowid 2: a duplicate of rowid 1 under a UNIQUE constraint once converted: (g)=(a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11)
ark-transfer: refused: table "u", rowid 2: a duplicate of rowid 1 under a UNIQUE constraint once converted: (b, w)=(t, x)'

@test "duplicates that appear only once converted: every one refused by the check, both rows named, PostgreSQL untouched" {
	db=$BATS_TEST_TMPDIR/dup.sqlite
	make_dup_db "$db"
	before=$(sha256sum "$db")
	mkdir "$BATS_TEST_TMPDIR/tmp"
	run --separate-stderr "$TRANSFER" --tmpdir="$BATS_TEST_TMPDIR/tmp" "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected="$DUP_REFUSALS
ark-transfer: error: 8 values cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)"
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	assert_target_untouched
	[[ $(sha256sum "$db") == "$before" ]]
	# the keys were compared on disk in --tmpdir, and nothing is left there
	[[ -z $(ls -A "$BATS_TEST_TMPDIR/tmp") ]]
	# --plan lists the same, touching nothing
	run --separate-stderr "$TRANSFER" --plan "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	assert_target_untouched
}

@test "duplicates once converted, --widen: the constraints left out, each listed, every row carried as it was" {
	db=$BATS_TEST_TMPDIR/dup.sqlite
	make_dup_db "$db"
	run --separate-stderr "$TRANSFER" --widen --plan "$db"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	diff - <(grep '^relaxed:' <<<"$output") <<'EXP'
relaxed: table "d": unique index "d_v" left out: duplicate values under the unique index once converted
relaxed: table "k": primary key ("a", "t") left out: NULL or duplicate values under the PRIMARY KEY
relaxed: table "p": unique index "p_e" left out: duplicate values under the unique index once converted
relaxed: table "ts": primary key ("t") left out: NULL or duplicate values under the PRIMARY KEY
relaxed: table "u": unique constraint ("g") left out: duplicate values under the UNIQUE constraint
relaxed: table "u": unique constraint ("b", "w") left out: duplicate values under the UNIQUE constraint
EXP
	run --separate-stderr "$TRANSFER" -q --widen "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT string_agg(id || ':' || coalesce(v, '-'), ',' ORDER BY id) FROM d") == 1:1,2:1,3:A,4:a,5:-,6:-,7:2.5,8:2.5 ]]
	[[ $(psql_q "SELECT string_agg(n || ':' || t, ',' ORDER BY n) FROM ts") == '1:2020-01-01 10:00:00,2:2020-01-01 10:00:00,3:2020-01-01 10:00:00,4:2020-01-02 10:00:00' ]]
	[[ $(psql_q "SELECT count(*) FROM k") == 3 && $(psql_q "SELECT count(*) FROM u") == 3 && $(psql_q "SELECT count(*) FROM p") == 3 ]]
	# only the keys the data did not break are made
	[[ $(psql_q "SELECT string_agg(conrelid::regclass || '.' || conname, ',' ORDER BY conname) FROM pg_constraint WHERE contype IN ('p', 'u') AND connamespace = 'public'::regnamespace") == d.d_pkey,p.p_pkey,u.u_pkey ]]
	[[ $(psql_q "SELECT count(*) FROM pg_indexes WHERE indexname IN ('d_v', 'p_e')") == 0 ]]
}

@test "duplicates once converted, --reject: the first row of a key loaded, the later ones set aside as they were; exit 17" {
	db=$BATS_TEST_TMPDIR/dup.sqlite
	make_dup_db "$db"
	rej=$BATS_TEST_TMPDIR/rej.db
	run --separate-stderr "$TRANSFER" --reject="$rej" "$db" "$ARK_TEST_DB"
	[[ $status == 17 ]] || { show_run; echo "$stderr"; false; }
	expected="${DUP_REFUSALS//refused:/rejected:}
ark-transfer: error: 7 rows set aside in \"$rej\"; every other row is loaded and verified"
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	[[ $(psql_q "SELECT string_agg(id || ':' || coalesce(v, '-'), ',' ORDER BY id) FROM d") == 1:1,3:A,4:a,5:-,6:-,7:2.5 ]]
	[[ $(psql_q "SELECT string_agg(n::text, ',' ORDER BY n) FROM ts") == 1,4 ]]
	[[ $(psql_q "SELECT string_agg(a || n, ',' ORDER BY a) FROM k") == x1,y3 ]]
	[[ $(psql_q "SELECT string_agg(id::text, ',' ORDER BY id) FROM u") == 1,3 ]]
	[[ $(psql_q "SELECT string_agg(id::text, ',' ORDER BY id) FROM p") == 1,2 ]]
	# every key is made: the data no longer breaks them
	[[ $(psql_q "SELECT count(*) FROM pg_indexes WHERE indexname IN ('d_v', 'p_e', 'ts_pkey', 'k_pkey', 'u_g_key', 'u_b_w_key')") == 6 ]]
	# the later rows, exactly as they were (storage classes too)
	[[ $(sqlite3 "$rej" "SELECT id, typeof(v), v FROM d ORDER BY id") == $'2|text|1\n8|text|2.5' ]]
	[[ $(sqlite3 "$rej" "SELECT t, n FROM ts ORDER BY n") == $'2020-01-01 10:00:00|2\n2020-01-01T10:00:00.000|3' ]]
	[[ $(sqlite3 "$rej" "SELECT a, t FROM k") == 'x|2020-01-01 10:00:00.000000' ]]
	[[ $(sqlite3 "$rej" "SELECT id, g, b FROM u") == '2|A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11|true' ]]
	[[ $(sqlite3 "$rej" "SELECT \"row\", reason FROM ark_rejects WHERE \"table\" = 'ts' ORDER BY rowid") == $'rowid 2|a duplicate of rowid 1 under the PRIMARY KEY once converted\nrowid 3|a duplicate of rowid 1 under the PRIMARY KEY once converted' ]]
}

@test "--data-only: keys compared as the existing columns' types (text into timestamptz, numeric(10,2)): refused before anything is written" {
	db=$BATS_TEST_TMPDIR/app.sqlite
	sqlite3 "$db" "CREATE TABLE ev (id INTEGER PRIMARY KEY, at TEXT UNIQUE, amount TEXT UNIQUE);
		INSERT INTO ev VALUES (1, '2024-03-01 10:00:00Z', '1.5'), (2, '2024-03-01T12:00:00+02:00', '2.00'), (3, '2024-03-02 00:00', '1.50'), (4, '2024-03-03', '3')"
	psql_q "CREATE TABLE ev (id bigint PRIMARY KEY, at timestamptz UNIQUE, amount numeric(10,2) UNIQUE)" >/dev/null
	run --separate-stderr "$TRANSFER" --data-only "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected='ark-transfer: refused: table "ev", rowid 2: a duplicate of rowid 1 under a UNIQUE constraint once converted: (at)=(2024-03-01 10:00:00+00)
ark-transfer: refused: table "ev", rowid 3: a duplicate of rowid 1 under a UNIQUE constraint once converted: (amount)=(1.50)
ark-transfer: error: 2 values cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)'
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	[[ $(psql_q "SELECT count(*) FROM ev") == 0 ]]
}

@test "a key the check does not compare (jsonb numbers: [1.0] = [1]) is still judged by the server: exit 13, nothing left behind" {
	db=$BATS_TEST_TMPDIR/j.sqlite
	sqlite3 "$db" "CREATE TABLE j (id INTEGER PRIMARY KEY, v JSON UNIQUE); INSERT INTO j VALUES (1, '[1.0]'), (2, '[1]');"
	run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
	[[ $status == 13 ]] || { show_run; echo "$stderr"; false; }
	[[ $stderr == "ark-transfer: error: table \"j\": creating keys and indexes: server \"$ARK_TEST_DB\": could not create unique index \"j_v_key\"; Key (v)=([1.0]) is duplicated. (SQLSTATE 23505)" ]] || { echo "$stderr"; false; }
	# a failure the data causes is not kept for --resume: nothing is left
	assert_target_untouched
}

@test "keys compared converted agree with PostgreSQL's own equality, in bulk (2000 rows of mixed numbers, texts, timestamps)" {
	db=$BATS_TEST_TMPDIR/bulk.sqlite
	# v: untyped, a mix of integers, reals and their texts (text in
	# PostgreSQL); t: TIMESTAMP text in SQLite's formats.  INSERT OR
	# IGNORE: SQLite drops what it sees as equal itself.
	python3 - "$db" <<'PY'
import random, sqlite3, sys
random.seed(6)
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, v)")
db.execute("CREATE UNIQUE INDEX b_v ON b (v)")
db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, t TIMESTAMP UNIQUE)")
for i in range(2000):
    n = random.randint(0, 300)
    kind = random.randint(0, 4)
    v = [n, float(n) + 0.5, str(n), repr(float(n) + 0.5), 'x%d' % n][kind]
    db.execute("INSERT OR IGNORE INTO b (v) VALUES (?)", (v,))
    h, m, s = random.randint(0, 3), random.randint(0, 2), random.choice([0, 0, 0, 7])
    f = random.randint(0, 3)
    t = ['2024-01-01 %02d:%02d' % (h, m) if s == 0 else '2024-01-01 %02d:%02d:%02d' % (h, m, s),
         '2024-01-01 %02d:%02d:%02d' % (h, m, s),
         '2024-01-01T%02d:%02d:%02d.000' % (h, m, s),
         '2024-01-01 %02d:%02d:%02d.000000' % (h, m, s)][f]
    db.execute("INSERT OR IGNORE INTO c (t) VALUES (?)", (t,))
db.commit()
PY
	run --separate-stderr "$TRANSFER" --plan "$db"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	# the rowids ark refuses, per table
	ark=$(sed -n 's/^ark-transfer: refused: table "\([bc]\)", rowid \([0-9]*\): a duplicate of rowid [0-9]* under .*/\1 \2/p' <<<"$stderr" | sort)
	[[ $(wc -l <<<"$ark") -gt 100 ]] || { echo "$stderr"; false; }
	# PostgreSQL's verdict: the rows loaded without the keys (--widen),
	# each row whose value equals that of a row with a smaller id
	run --separate-stderr "$TRANSFER" -q --widen "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	pg=$(psql_q "SELECT 'b ' || id FROM b x WHERE EXISTS (SELECT 1 FROM b y WHERE y.v = x.v AND y.id < x.id)
		UNION ALL SELECT 'c ' || id FROM c x WHERE EXISTS (SELECT 1 FROM c y WHERE y.t = x.t AND y.id < x.id)" | sort)
	[[ $ark == "$pg" ]] || { diff <(echo "$ark") <(echo "$pg"); false; }
}

@test "names the plan creates that the target schema holds (an index, a sequence, a view, a materialized view, a type): refused before the load, exit 14" {
	db=$BATS_TEST_TMPDIR/names.sqlite
	sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT UNIQUE, name TEXT); CREATE INDEX t_name ON t (name);
		CREATE TABLE s (k TEXT PRIMARY KEY, v INTEGER);
		INSERT INTO t VALUES (1, 'a', 'x'); INSERT INTO s VALUES ('a', 1);"
	psql_q "CREATE TABLE other (id int)" >/dev/null
	check() { # SQL-to-create SQL-to-drop expected-message
		psql_q "$1" >/dev/null
		run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
		[[ $status == 14 && $stderr == "ark-transfer: error: $3" ]] || { show_run; echo "$stderr"; return 1; }
		[[ $(psql_q "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ark_%'") == 0 ]] || fail "a staging schema is left"
		[[ $(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 1 ]] || fail "tables were created"
		psql_q "$2" >/dev/null
	}
	check "CREATE INDEX t_pkey ON other (id)" "DROP INDEX t_pkey" \
		'schema "public" already has an index "t_pkey", the name the plan gives the index of the primary key of table "t"; transfer into another --schema, or drop it first'
	check "CREATE SEQUENCE t_code_key" "DROP SEQUENCE t_code_key" \
		'schema "public" already has a sequence "t_code_key", the name the plan gives the index of a unique constraint of table "t"; transfer into another --schema, or drop it first'
	check "CREATE VIEW t_name AS SELECT 1 AS x" "DROP VIEW t_name" \
		'schema "public" already has a view "t_name", the name the plan gives an index of table "t"; transfer into another --schema, or drop it first'
	check "CREATE MATERIALIZED VIEW t_id_seq AS SELECT 1 AS x" "DROP MATERIALIZED VIEW t_id_seq" \
		'schema "public" already has a materialized view "t_id_seq", the name the plan gives the identity'"'"'s sequence of table "t"; transfer into another --schema, or drop it first'
	check "CREATE INDEX s_pkey ON other (id)" "DROP INDEX s_pkey" \
		'schema "public" already has an index "s_pkey", the name the plan gives the index of the primary key of table "s"; transfer into another --schema, or drop it first'
	check "CREATE TYPE s AS ENUM ('a')" "DROP TYPE s" \
		'schema "public" already has a type "s"; transfer into another --schema, or drop it first'
	check "CREATE VIEW t AS SELECT 1 AS x" "DROP VIEW t" \
		'schema "public" already has a relation "t"; transfer into another --schema, or drop it first'
	# with none of them: the transfer goes through
	run --separate-stderr "$TRANSFER" -q "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
}

@test "rows are named the same way everywhere: rowid, or a WITHOUT ROWID table's key with its column names" {
	db=$BATS_TEST_TMPDIR/names.sqlite
	sqlite3 "$db" "CREATE TABLE w (\"a b\" TEXT, n INTEGER, v INTEGER, PRIMARY KEY (n, \"a b\")) WITHOUT ROWID;
		INSERT INTO w VALUES ('it''s', 2, 'seven');
		CREATE TABLE r (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO r VALUES (5, 'five');"
	run --separate-stderr "$TRANSFER" --plan "$db"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected=$(cat <<'EXP'
ark-transfer: refused: table "r", rowid 5, column "v": text that is not an integer as PostgreSQL prints it: 'five'
ark-transfer: refused: table "w", key (n=2, a b='it's'), column "v": text that is not an integer as PostgreSQL prints it: 'seven'
ark-transfer: error: 2 values cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)
EXP
)
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	# ark-checksum-verify names them so too (the SQLite side's refusal)
	psql_q "CREATE TABLE r (id bigint PRIMARY KEY, v bigint); INSERT INTO r VALUES (5, NULL)" >/dev/null
	sqlite3 "$db" "DROP TABLE w"
	run --separate-stderr "$ARK_BIN/ark-checksum-verify" "$db" "$ARK_TEST_DB"
	[[ $status == 16 ]] || { show_run; echo "$stderr"; false; }
	grep -qF 'table "r": SOURCE: table "r", rowid 5, column "v": text that is not an integer as PostgreSQL prints it: '"'five'" <<<"$output$stderr" || { show_run; echo "$stderr"; false; }
	# a table of 2000 columns has no room for the key in SQLite's result:
	# the row is found again by its place
	cd "$BATS_TEST_TMPDIR"
	python3 - <<'PY'
import sqlite3
c = sqlite3.connect('wide.db')
c.execute('CREATE TABLE w (id INTEGER PRIMARY KEY, %s)' % ', '.join('c%d INTEGER' % i for i in range(1999)))
c.execute("INSERT INTO w (id, c0) VALUES (1, 2), (7, 'five')")
c.commit()
PY
	cp wide.db wide2.db
	run --separate-stderr "$ARK_BIN/ark-checksum-verify" wide.db wide2.db
	[[ $status == 16 ]] || { show_run; echo "$stderr"; false; }
	grep -qF 'SOURCE: table "w", rowid 7, column "c0": text that is not an integer as PostgreSQL prints it: '"'five'" <<<"$output" || { show_run; false; }
}

@test "orphan foreign keys of a WITHOUT ROWID table: named by key (SQLite's check gives no rowid), and --reject sets them aside" {
	db=$BATS_TEST_TMPDIR/fk.sqlite
	sqlite3 "$db" "CREATE TABLE par (a TEXT, b INTEGER, PRIMARY KEY (a, b));
		CREATE TABLE ch (x TEXT, y INTEGER, z TEXT, PRIMARY KEY (z, x), FOREIGN KEY (x, y) REFERENCES par) WITHOUT ROWID;
		INSERT INTO par VALUES ('p', 1);
		INSERT INTO ch VALUES ('p', 1, 'ok'), ('p', 2, 'bad'), ('p', NULL, 'null'), ('q', 1, 'bad2');"
	run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
	[[ $status == 15 ]] || { show_run; echo "$stderr"; false; }
	expected=$(cat <<'EXP'
ark-transfer: refused: table "ch", key (z='bad', x='p'): foreign key to "par" has no parent row
ark-transfer: refused: table "ch", key (z='bad2', x='q'): foreign key to "par" has no parent row
ark-transfer: error: 2 values cannot be carried exactly; nothing was written (see the list above; --widen or --reject choose what to do)
EXP
)
	[[ $stderr == "$expected" ]] || { diff <(echo "$expected") <(echo "$stderr"); false; }
	assert_target_untouched
	run --separate-stderr "$TRANSFER" --reject="$BATS_TEST_TMPDIR/r.db" "$db" "$ARK_TEST_DB"
	[[ $status == 17 ]] || { show_run; echo "$stderr"; false; }
	[[ $(psql_q "SELECT string_agg(z, ',' ORDER BY z) FROM ch") == null,ok ]]
	[[ $(sqlite3 "$BATS_TEST_TMPDIR/r.db" "SELECT z, x, y FROM ch ORDER BY z; SELECT \"row\" FROM ark_rejects ORDER BY rowid") == $'bad|p|2\nbad2|q|1\nkey (z=\'bad\', x=\'p\')\nkey (z=\'bad2\', x=\'q\')' ]]
	[[ $(psql_q "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == 1 ]]
}

@test "large blobs: checked and loaded a slice at a time (peak memory under twice a 24 MiB value), carried byte for byte, digests equal" {
	big=$BATS_TEST_TMPDIR/big.sqlite
	db=$BATS_TEST_TMPDIR/blobs.sqlite
	python3 - "$big" "$db" <<'PY'
import random, sqlite3, sys
random.seed(4)
big = sqlite3.connect(sys.argv[1])
big.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB)")
big.execute("INSERT INTO b VALUES (1, ?)", (random.randbytes(24 << 20),))
big.commit()
db = sqlite3.connect(sys.argv[2])
db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB, note TEXT)")
# a value of several slices with a column after it; just over one
# slice; exactly one slice (not cut)
db.execute("INSERT INTO b VALUES (1, ?, 'after\ttab')", (random.randbytes((3 << 20) + 5),))
db.execute("INSERT INTO b VALUES (2, ?, 'x')", (random.randbytes((1 << 20) + 1),))
db.execute("INSERT INTO b VALUES (3, ?, NULL)", (random.randbytes(1 << 20),))
db.execute("CREATE TABLE w (k TEXT PRIMARY KEY, data BLOB, n INTEGER) WITHOUT ROWID")
db.execute("INSERT INTO w VALUES ('a', ?, 7)", (random.randbytes(2 << 20),))
db.commit()
PY
	# the check phase alone (--plan): it held the hex of the whole value
	# (48 MiB) and the buffer it grew in, 96 MiB in all
	run python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' "$TRANSFER" --plan "$big"
	read -r code mib <<<"$output"
	[[ $code == 0 ]] || { echo "exit $code"; false; }
	# (under ASan, whose shadow memory and quarantine count too, the
	# figure says nothing)
	if ! ldd "$TRANSFER" | grep -q libasan; then
		[[ $mib -lt 48 ]] || { echo "peak $mib MiB"; false; }
	fi
	run --separate-stderr "$TRANSFER" "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
	grep -Eq '^b +3 +3 +0 +0 +equal$' <<<"$output" || { show_run; false; }
	grep -Eq '^w +1 +1 +0 +0 +equal$' <<<"$output" || { show_run; false; }
	sums=$(python3 - "$db" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for i, d, n in db.execute("SELECT id, data, note FROM b ORDER BY id"):
    print("%d|%d|%s|%s" % (i, len(d), hashlib.md5(d).hexdigest(), n if n is not None else "-"))
PY
)
	[[ $(psql_q "SELECT id, length(data), md5(data), coalesce(note, '-') FROM b ORDER BY id") == "$sums" ]]
	# the SQLite side digested the same way by ark-checksum-verify
	run --separate-stderr "$ARK_BIN/ark-checksum-verify" "$db" "$ARK_TEST_DB"
	[[ $status == 0 ]] || { show_run; echo "$stderr"; false; }
}
