#!/usr/bin/env bats
# ark-pg-backup (ark/pgbackup.h, ark-pg-backup(1), docs/repository.md):
# a database of many object kinds backed up, restored into a new
# database and proven equal by ark's digests AND independently (pg_dump
# --schema-only, each member unpacked with tar and zstd against psql's
# COPY); retention at crafted times (ARK_PG_BACKUP_TEST_NOW); the lock;
# a run killed or cut off mid-COPY; wrong password, unreachable server,
# an old pg_dump; no password on pg_dump's argv; --json and --metrics.

load helpers
load pg

ARK_PGOPTIONS="-c client_encoding=UTF8 -c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex"

setup() {
	require_tool ark-pg-backup ark-restore ark-checksum-verify
	pg_require
	enter_workdir
}

conn() {
	printf 'host=%s port=%s user=%s dbname=%s' "$PGHOST" "$PGPORT" "$PGUSER" "$1"
}

new_db() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null
}

schema_dump() {
	pg_dump -d "$1" --schema-only | grep -v '^\\\(un\)\?restrict '
}

# The rich database: pg_rich.sql and the kinds it lacks (schemas, a
# domain, serial, a sequence, partitions, a matview, inheritance, a
# generated column, a foreign table, an unlogged table, an extension and
# its type, comments, large objects).
rich_db() {
	pg_newdb
	SRC=$PGDATABASE
	psql -X -q -v ON_ERROR_STOP=1 -f "$E2E_DIR/pg_rich.sql" >/dev/null || fail "pg_rich.sql"
	psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || fail "extras"
CREATE SCHEMA app;
CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);
CREATE TABLE app.ser (id serial PRIMARY KEY, n app.positive, v text);
INSERT INTO app.ser (n, v) VALUES (1, 'a'), (2, NULL), (3, 'c');
CREATE SEQUENCE app.counter START 100;
SELECT nextval('app.counter'), nextval('app.counter');
CREATE TABLE app.meas (id int, at date, v text) PARTITION BY RANGE (at);
CREATE TABLE app.meas_2024 PARTITION OF app.meas FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.meas_2025 PARTITION OF app.meas FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO app.meas SELECT i, date '2024-06-01' + i, 'v' || i FROM generate_series(1, 400) i;
CREATE INDEX meas_at ON app.meas (at);
CREATE MATERIALIZED VIEW app.mv AS SELECT count(*) AS n, max(v) AS top FROM app.meas;
CREATE TABLE app.inh_parent (a int);
CREATE TABLE app.inh_child (b int) INHERITS (app.inh_parent);
INSERT INTO app.inh_parent VALUES (1);
INSERT INTO app.inh_child VALUES (2, 3);
CREATE TABLE app.gen (a int, twice int GENERATED ALWAYS AS (a * 2) STORED);
INSERT INTO app.gen (a) VALUES (1), (2);
CREATE FOREIGN DATA WRAPPER dummy;
CREATE SERVER nowhere FOREIGN DATA WRAPPER dummy;
CREATE FOREIGN TABLE app.remote (x int) SERVER nowhere;
CREATE UNLOGGED TABLE app.scratch (k int);
INSERT INTO app.scratch VALUES (7);
COMMENT ON COLUMN app.ser.v IS 'a column comment';
CREATE EXTENSION citext SCHEMA app;
ALTER TABLE app.ser ADD COLUMN email app.citext UNIQUE;
UPDATE app.ser SET email = 'User' || id || '@Example.org';
SELECT lo_from_bytea(0, 'large object one'::bytea);
SELECT lo_from_bytea(0, decode('00ff5c0a', 'hex'));
SQL
	unset PGDATABASE
}


@test "a rich database: backed up, restored into a new database, equal by ark's digests, by pg_dump and by psql" {
	rich_db
	mkdir repo
	run --separate-stderr "$ARK_BIN/ark-pg-backup" -j 2 "$(conn "$SRC")" -o repo
	assert_status 0
	archive=$(ls repo/*.ark)
	[[ $archive == repo/${SRC}-20[0-9][0-9][01][0-9][0-3][0-9]T[0-2][0-9][0-5][0-9][0-5][0-9].[0-9][0-9][0-9]Z.ark ]] || fail "name: $archive"
	[[ $(stat -c %a "$archive") == 600 ]] || fail "mode"
	[[ ${lines[0]} == "backup: $archive ("*" bytes, 12 tables, 963 rows, 3 sequences, 2 large objects) in "*" s" ]] || { show_run >&2; fail "summary"; }
	[[ $output != *"not backed up"* ]] || fail "skipped a table"
	[[ $stderr == "" ]] || { show_run >&2; fail "stderr"; }
	new_db "${SRC}_r"
	run --separate-stderr "$ARK_BIN/ark-restore" "$archive" "$(conn "${SRC}_r")"
	assert_status 0
	assert_output_has "12 tables, 963 rows, 12 of 12 digests equal"
	# ark's own comparison: the archive and the source against the copy
	for schema in public app $'we"ird\nschema'; do
		run --separate-stderr "$ARK_BIN/ark-checksum-verify" --schema "$schema" "$archive" "$(conn "${SRC}_r")"
		assert_status 0
		run --separate-stderr "$ARK_BIN/ark-checksum-verify" --schema "$schema" "$(conn "$SRC")" "$(conn "${SRC}_r")"
		assert_status 0
	done
	# independently of ark
	schema_dump "$SRC" >src.sql
	schema_dump "${SRC}_r" >target.sql
	diff src.sql target.sql || fail "pg_dump --schema-only differs"
	run same_tables "$archive" "$SRC"
	assert_status 0
	run same_tables "$archive" "${SRC}_r"
	assert_status 0
	[[ $(grep -c '^equal ' <<<"$output") == 12 ]] || fail "$output"
	for db in "$SRC" "${SRC}_r"; do
		psql -X -A -t -d "$db" -c "SELECT string_agg(encode(lo_get(oid), 'hex'), ',' ORDER BY oid) FROM pg_largeobject_metadata" \
			-c "SELECT n, top FROM app.mv" -c "SELECT count(*) FROM app.scratch" >"lo_$db.txt"
	done
	diff "lo_$SRC.txt" "lo_${SRC}_r.txt" || fail "large objects or matview differ"
	# identity, serial and plain sequences continue where the source was
	for db in "$SRC" "${SRC}_r"; do
		psql -X -A -t -q -d "$db" -c "INSERT INTO public.plain (label) VALUES ('next') RETURNING id" \
			-c "INSERT INTO app.ser (n) VALUES (9) RETURNING id" -c "SELECT nextval('app.counter')" >"seq_$db.txt"
	done
	diff "seq_$SRC.txt" "seq_${SRC}_r.txt" || fail "sequences differ"
	[[ $(tr '\n' ' ' <"seq_$SRC.txt") == "302 4 102 " ]] || fail "$(cat "seq_$SRC.txt")"
}

@test "--json: the archive, what it holds and the repository, one object" {
	rich_db
	mkdir repo
	run --separate-stderr "$ARK_BIN/ark-pg-backup" --json "$(conn "$SRC")" -o repo
	assert_status 0
	python3 - "$output" "$SRC" <<'PY' || fail "json"
import json, sys
j = json.loads(sys.argv[1])
assert j["ok"] is True and j["exit_code"] == 0, j
assert j["database"] == sys.argv[2] and j["tables"] == 12 and j["rows"] == 963, j
assert j["sequences"] == 3 and j["large_objects"] == 2 and j["large_objects_included"], j
assert j["verified"] is True and j["archive"].startswith("repo/"), j
assert [e["fate"] for e in j["repository"]] == ["kept"], j
assert j["not_backed_up"] == [], j
PY
}

@test "retention at crafted times: exactly the documented set survives; --prune-dry-run removes nothing" {
	pg_newdb
	db=$PGDATABASE
	psql_q "CREATE TABLE t (a int); INSERT INTO t VALUES (1)"
	mkdir repo
	# 2026-01-05 is a Monday; unix seconds of 10:00 UTC that day
	base=1767607200
	day=86400
	for offset in 0 3600 $day $((2 * day)) $((7 * day)) $((8 * day)) $((40 * day)) $((70 * day)); do
		ARK_PG_BACKUP_TEST_NOW=$((base + offset)) run --separate-stderr "$ARK_BIN/ark-pg-backup" -q "$(conn "$db")" -o repo
		assert_status 0
	done
	[[ $(ls repo | wc -l) == 8 ]] || fail "$(ls repo)"
	ark=(repo/*.ark)
	# a damaged archive of this database, and another database's archive
	head -c 3000 "${ark[0]}" >"repo/$db-20260101T000000.000Z.ark"
	cp "${ark[0]}" repo/other-20260101T000000.000Z.ark
	# a dead run's temporary
	touch "repo/.$db-20260101T010000.000Z.ark.ark-tmp-AbC123"
	ARK_PG_BACKUP_TEST_NOW=$((base + 71 * day)) run --separate-stderr "$ARK_BIN/ark-pg-backup" --keep-daily 2 --keep-weekly 2 --keep-monthly 3 --prune-dry-run "$(conn "$db")" -o repo
	assert_status 0
	expected_dry="removed leftover: .$db-20260101T010000.000Z.ark.ark-tmp-AbC123
bad archive: $db-20260101T000000.000Z.ark: "
	[[ $output == *"$expected_dry"* ]] || { show_run >&2; fail "dry run"; }
	[[ $(grep -c '^would remove: ' <<<"$output") == 5 ]] || { show_run >&2; fail "would remove"; }
	[[ $(ls repo/*.ark | wc -l) == 11 ]] || fail "the dry run removed files"
	[[ ! -e "repo/.$db-20260101T010000.000Z.ark.ark-tmp-AbC123" ]] || fail "leftover kept"
	ARK_PG_BACKUP_TEST_NOW=$((base + 71 * day + 60)) run --separate-stderr "$ARK_BIN/ark-pg-backup" --keep-daily 2 --keep-weekly 2 --keep-monthly 3 "$(conn "$db")" -o repo
	assert_status 0
	# the runs: Jan 5 10:00 and 11:00, Jan 6, Jan 7, Jan 12, Jan 13,
	# Feb 14, Mar 16, Mar 17 10:00 (dry run) and 10:01.  Daily 2: Mar 17
	# 10:01, Mar 16; weekly 2: Mar 17 10:01 (week of Mar 16), Feb 14 (the
	# last week before with one); monthly 3: Mar 17 10:01, Feb 14, Jan 13.
	# Mar 17 10:00 is neither the newest of its day, week nor month.
	run ls repo
	[[ $output == "other-20260101T000000.000Z.ark
$db-20260101T000000.000Z.ark
$db-20260113T100000.000Z.ark
$db-20260214T100000.000Z.ark
$db-20260316T100000.000Z.ark
$db-20260317T100100.000Z.ark" ]] || { show_run >&2; fail "survivors"; }
}

@test "a second run on the repository while one holds the lock fails at once, exit 8, nothing written" {
	pg_newdb
	mkdir repo
	exec 9>repo/.ark-pg-backup.lock
	flock -n 9
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "$ARK_TEST_DB" -o repo
	exec 9>&-
	assert_status 8
	[[ $stderr == "ark-pg-backup: error: repository 'repo' is in use by another ark-pg-backup (lock .ark-pg-backup.lock held); not starting a second run" ]] || { show_run >&2; fail "message"; }
	[[ $(ls -A repo) == .ark-pg-backup.lock ]] || fail "$(ls -A repo)"
}

@test "wrong password, unreachable server, old pg_dump: one clear line, documented exit code, nothing written" {
	pg_newdb
	mkdir repo
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "host=127.0.0.1 port=$PGPORT user=postgres dbname=$PGDATABASE password=wrong-secret" -o repo
	assert_status 12
	assert_error ark-pg-backup "password authentication failed"
	[[ $stderr != *wrong-secret* ]] || fail "the password was shown"
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "host=127.0.0.1 port=1 dbname=x connect_timeout=3" -o repo
	assert_status 11
	assert_error ark-pg-backup "127.0.0.1"
	printf '#!/bin/sh\necho "pg_dump (PostgreSQL) 11.22"\n' >old_pg_dump
	chmod +x old_pg_dump
	major=$(psql_q "SHOW server_version_num")
	major=$((major / 10000))
	run --separate-stderr "$ARK_BIN/ark-pg-backup" --pg-dump ./old_pg_dump "$ARK_TEST_DB" -o repo
	assert_status 3
	[[ $stderr == "ark-pg-backup: error: --pg-dump './old_pg_dump' is pg_dump 11, older than the server (PostgreSQL $major): install postgresql-client-$major (Debian/Ubuntu; the PGDG repository apt.postgresql.org has every version) and pass its pg_dump" ]] || { show_run >&2; fail "message"; }
	[[ $(ls -A repo) == .ark-pg-backup.lock ]] || fail "$(ls -A repo)"
}

@test "a password in CONNINFO reaches pg_dump through its environment, never its argv" {
	pg_newdb
	psql_q "CREATE TABLE t (a int); INSERT INTO t VALUES (1)"
	mkdir repo
	real=$(command -v pg_dump)
	cat >spy_pg_dump <<EOF
#!/bin/sh
[ "\$1" = --version ] && exec "$real" --version
printf '%s\n' "\$@" >>"$PWD/argv.txt"
printf '%s\n' "\${PGPASSWORD-unset}" >>"$PWD/env.txt"
exec "$real" "\$@"
EOF
	chmod +x spy_pg_dump
	run --separate-stderr "$ARK_BIN/ark-pg-backup" --pg-dump ./spy_pg_dump \
		"host=127.0.0.1 port=$PGPORT user=postgres dbname=$PGDATABASE password=$ARK_TEST_PGPASSWORD" -o repo
	assert_status 0
	! grep -q -- "$ARK_TEST_PGPASSWORD" argv.txt || fail "password on argv: $(cat argv.txt)"
	grep -q -- "^host=127.0.0.1 port=$PGPORT user=postgres dbname=$PGDATABASE\$" argv.txt || fail "$(cat argv.txt)"
	[[ $(sort -u env.txt) == "$ARK_TEST_PGPASSWORD" ]] || fail "env: $(cat env.txt)"
}

# wait_copy DB - until a backend of ark-pg-backup runs a COPY in DB.
wait_copy() {
	for _ in $(seq 1 200); do
		[[ $(psql -X -A -t -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1' AND application_name = 'ark-pg-backup' AND query LIKE 'COPY %'") != 0 ]] && return 0
		sleep 0.05
	done
	return 1
}

@test "SIGTERM, SIGKILL or a backend terminated mid-COPY: no archive under a final name; the next run succeeds" {
	pg_newdb
	db=$PGDATABASE
	psql_q "CREATE TABLE big AS SELECT i, md5(i::text) AS h, repeat('x', 50) AS pad FROM generate_series(1, 1500000) i"
	mkdir repo metrics
	# SIGTERM: exit 130, its temporaries removed
	"$ARK_BIN/ark-pg-backup" -q -j 1 "$ARK_TEST_DB" -o repo 2>err.txt &
	pid=$!
	wait_copy "$db" || fail "no COPY seen"
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[[ $status == 130 && $(cat err.txt) == "ark-pg-backup: error: interrupted by signal" ]] || fail "exit $status: $(cat err.txt)"
	[[ $(ls -A repo) == .ark-pg-backup.lock ]] || fail "left: $(ls -A repo)"
	# SIGKILL: nothing can clean up
	"$ARK_BIN/ark-pg-backup" -q -j 1 "$ARK_TEST_DB" -o repo &
	pid=$!
	wait_copy "$db" || fail "no COPY seen"
	kill -9 "$pid"
	wait "$pid" || true
	[[ -z $(ls repo) ]] || fail "a final name: $(ls repo)"
	# its temporary (the archive's; spools are unnamed O_TMPFILEs)
	leftover=$(ls -A repo | grep -v '^\.ark-pg-backup\.lock$') || true
	[[ $leftover == ".$db-"*".ark.ark-tmp-"* ]] || fail "leftover: $leftover"
	# the backend of the killed run may still be finishing
	psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'ark-pg-backup'" >/dev/null
	"$ARK_BIN/ark-pg-backup" -j 1 "$ARK_TEST_DB" -o repo --metrics metrics/ark.prom >out.txt 2>err.txt &
	pid=$!
	wait_copy "$db" || fail "no COPY seen"
	psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'ark-pg-backup' AND query LIKE 'COPY %'" >/dev/null
	status=0
	wait "$pid" || status=$?
	[[ $status == 13 ]] || fail "exit $status: $(cat err.txt)"
	[[ $(cat err.txt) == "ark-pg-backup: error: table \"public\".\"big\": server \""*"connection lost"* ]] || fail "$(cat err.txt)"
	[[ $(cat out.txt) == "removed leftover: $leftover" ]] || fail "$(cat out.txt)"
	[[ $(ls -A repo) == .ark-pg-backup.lock ]] || fail "left: $(ls -A repo)"
	grep -q '^ark_pg_backup_exit_status{database="'"$db"'"} 13$' metrics/ark.prom || fail "$(cat metrics/ark.prom)"
	! grep -q last_success metrics/ark.prom || fail "a success that never was"
	run --separate-stderr "$ARK_BIN/ark-pg-backup" -j 2 "$ARK_TEST_DB" -o repo --metrics metrics/ark.prom
	assert_status 0
	assert_output_has "1 tables, 1500000 rows"
	[[ $(ls repo) == "$db-"*Z.ark ]] || fail "$(ls repo)"
	python3 - metrics/ark.prom "$db" <<'PY' || fail "$(cat metrics/ark.prom)"
import sys, time
samples = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    name, value = line.rsplit(" ", 1)
    metric, labels = name.split("{", 1)
    assert labels == 'database="%s"}' % sys.argv[2], labels
    samples[metric] = float(value)
assert samples["ark_pg_backup_exit_status"] == 0
assert samples["ark_pg_backup_rows"] == 1500000 and samples["ark_pg_backup_tables"] == 1
assert abs(samples["ark_pg_backup_last_success_timestamp_seconds"] - time.time()) < 60
assert samples["ark_pg_backup_bytes"] > 0 and samples["ark_pg_backup_duration_seconds"] > 0
assert "ark_pg_backup_last_failure_timestamp_seconds" not in samples
PY
	# a failure after it keeps the last success
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "host=127.0.0.1 port=1 dbname=$db connect_timeout=3" -o repo --metrics metrics/ark.prom
	assert_status 11
	grep -q '^ark_pg_backup_last_success_timestamp_seconds{' metrics/ark.prom || fail "$(cat metrics/ark.prom)"
	grep -q '^ark_pg_backup_last_failure_timestamp_seconds{' metrics/ark.prom || fail "$(cat metrics/ark.prom)"
}

@test "a full disk (ENOSPC injected) mid-backup: exit 5, one line, nothing left in the repository" {
	require_inject
	pg_newdb
	psql_q "CREATE TABLE a AS SELECT i, md5(i::text) AS h FROM generate_series(1, 300000) i;
		CREATE TABLE b AS SELECT * FROM a" >/dev/null
	mkdir repo
	run --separate-stderr with_inject env ARK_INJECT_ENOSPC_AFTER=3000000 ARK_INJECT_PATH="$PWD/repo" \
		"$ARK_BIN/ark-pg-backup" -j 2 "$ARK_TEST_DB" -o repo
	assert_status 5
	assert_error ark-pg-backup "No space left on device"
	[[ $(ls -A repo) == .ark-pg-backup.lock ]] || fail "left: $(ls -A repo)"
	run --separate-stderr "$ARK_BIN/ark-pg-backup" -j 2 "$ARK_TEST_DB" -o repo
	assert_status 0
	assert_output_has "2 tables, 600000 rows"
}

@test "usage errors: exit 2 with the exact message; a missing repository: exit 5" {
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "dbname=x"
	assert_status 2
	[[ $stderr == "ark-pg-backup: error: -o REPO_DIR is required"$'\n'"Try 'ark-pg-backup --help' for more information." ]] || { show_run >&2; fail "no -o"; }
	run --separate-stderr "$ARK_BIN/ark-pg-backup" --keep-daily=7x -o . "dbname=x"
	assert_status 2
	[[ ${stderr%%$'\n'*} == "ark-pg-backup: error: --keep-daily takes 0 to 1000000" ]] || { show_run >&2; fail "keep"; }
	run --separate-stderr "$ARK_BIN/ark-pg-backup" -o . a b
	assert_status 2
	[[ ${stderr%%$'\n'*} == "ark-pg-backup: error: expected at most one CONNINFO" ]] || { show_run >&2; fail "two"; }
	run --separate-stderr "$ARK_BIN/ark-pg-backup" -o nowhere "dbname=x"
	assert_status 5
	[[ $stderr == "ark-pg-backup: error: cannot write 'nowhere': directory 'nowhere' does not exist" ]] || { show_run >&2; fail "missing"; }
	run --separate-stderr "$ARK_BIN/ark-pg-backup" --help
	assert_status 0
	[[ ${lines[0]} == "Usage: ark-pg-backup [OPTION]... [CONNINFO] -o REPO_DIR" ]] || fail "help"
	assert_output_has "  8    locked: another ark-pg-backup is using the repository"
}

@test "--no-large-objects: left out and said so; the restore has none" {
	pg_newdb
	psql_q "CREATE TABLE t (a int); INSERT INTO t VALUES (1); SELECT lo_from_bytea(0, 'x'::bytea)" >/dev/null
	mkdir repo
	run --separate-stderr "$ARK_BIN/ark-pg-backup" --no-large-objects "$ARK_TEST_DB" -o repo
	assert_status 0
	assert_output_has "1 tables, 1 rows, 0 sequences, 1 large objects NOT backed up) in "
	new_db "${PGDATABASE}_r"
	run --separate-stderr "$ARK_BIN/ark-restore" repo/*.ark "$(conn "${PGDATABASE}_r")"
	assert_status 0
	[[ $(psql -X -A -t -d "${PGDATABASE}_r" -c "SELECT count(*) FROM pg_largeobject_metadata") == 0 ]] || fail "large objects restored"
}

@test "a database name with quotes, a newline and a slash: a safe archive name, escaped in the output, retention finds its archives" {
	pg_require
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"we\"\"ird
d/b ü\"" >/dev/null
	mkdir repo
	for now in 1767607200 1767693600; do
		ARK_PG_BACKUP_TEST_NOW=$now run --separate-stderr "$ARK_BIN/ark-pg-backup" --keep-last 1 \
			"host=$PGHOST port=$PGPORT user=$PGUSER dbname='we\"ird
d/b ü'" -o repo
		assert_status 0
	done
	[[ $(ls repo) == "we_ird_d_b___-20260106T100000.000Z.ark" ]] || fail "$(ls repo)"
	[[ ${lines[1]} == 'database "we"ird\nd/b ü" ('* ]] || { show_run >&2; fail "escaped"; }
	[[ ${lines[2]} == "removed: we_ird_d_b___-20260105T100000.000Z.ark" ]] || { show_run >&2; fail "retention"; }
	psql -X -q -d postgres -c "DROP DATABASE \"we\"\"ird
d/b ü\"" >/dev/null
}
