#!/usr/bin/env bats
# ark-pg-backup against a hot standby (ark-pg-backup(1), "Hot standby"):
# a streaming replica of the test server, made with pg_basebackup, backed
# up while the primary writes on; the archive restores and equals the
# primary by ark's digest; unlogged tables are reported, not backed up.

load helpers
load pg

setup() {
	require_tool ark-pg-backup ark-restore ark-checksum-verify
	pg_require
	enter_workdir
	STANDBY=
}

teardown() {
	if [[ -n $STANDBY && -f $STANDBY/data/postmaster.pid ]]; then
		as_pg "$ARK_TEST_PGBIN/pg_ctl" -D "$STANDBY/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	[[ -z $STANDBY ]] || rm -rf "$STANDBY"
}

# as_pg CMD... - run CMD as the user the test server runs as.
as_pg() {
	local owner
	owner=$(stat -c %U "$ARK_TEST_PGDATA")
	if [[ $owner == "$(id -un)" ]]; then
		"$@"
	else
		(cd / && runuser -u "$owner" -- "$@")
	fi
}

# start_standby - a hot standby of the test server on its own socket.
start_standby() {
	STANDBY=$(mktemp -d /tmp/ark-standby-XXXXXX)
	chmod 0755 "$STANDBY"
	mkdir "$STANDBY/sock"
	chown "$(stat -c %U "$ARK_TEST_PGDATA")" "$STANDBY" "$STANDBY/sock"
	as_pg "$ARK_TEST_PGBIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres \
		-D "$STANDBY/data" -R -X stream -c fast >/dev/null 2>"$STANDBY/basebackup.log" ||
		fail "pg_basebackup: $(cat "$STANDBY/basebackup.log")"
	SPORT=$((PGPORT + 1))
	as_pg "$ARK_TEST_PGBIN/pg_ctl" -D "$STANDBY/data" -w -t 60 -l "$STANDBY/log" \
		-o "-k $STANDBY/sock -p $SPORT -c listen_addresses= -c hot_standby=on -c hot_standby_feedback=on" \
		start >/dev/null || fail "standby: $(cat "$STANDBY/log")"
	[[ $(psql -X -A -t -h "$STANDBY/sock" -p "$SPORT" -d postgres -c "SELECT pg_is_in_recovery()") == t ]] ||
		fail "not a standby"
}

@test "a hot standby is backed up: the archive equals the primary; unlogged tables are reported" {
	pg_newdb
	db=$PGDATABASE
	psql_q "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
		INSERT INTO t (v) SELECT md5(i::text) FROM generate_series(1, 20000) i;
		CREATE UNLOGGED TABLE scratch (k int); INSERT INTO scratch VALUES (1);
		SELECT lo_from_bytea(0, 'on the standby'::bytea)" >/dev/null
	start_standby
	psql_q "INSERT INTO t (v) VALUES ('after the base backup')"
	lsn=$(psql_q "SELECT pg_current_wal_lsn()")
	for _ in $(seq 1 100); do
		[[ $(psql -X -A -t -h "$STANDBY/sock" -p "$SPORT" -d postgres -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'") == t ]] && break
		sleep 0.1
	done
	mkdir repo
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "host=$STANDBY/sock port=$SPORT user=postgres dbname=$db" -o repo
	assert_status 0
	[[ ${lines[0]} == "backup: repo/$db-"*" ("*" bytes, 1 tables, 20001 rows, 1 sequences, 1 large objects) in "* ]] || { show_run >&2; fail "summary"; }
	[[ ${lines[1]} == *", PostgreSQL "*" standby, pg_dump "* ]] || { show_run >&2; fail "standby not said"; }
	[[ ${lines[2]} == 'not backed up: table "public"."scratch": unlogged: a standby does not have its rows' ]] || { show_run >&2; fail "unlogged"; }
	[[ $stderr == 'ark-pg-backup: warning: table "public"."scratch" not backed up: unlogged: a standby does not have its rows' ]] || { show_run >&2; fail "stderr"; }
	archive=$(ls repo/*.ark)
	run --separate-stderr "$ARK_BIN/ark-checksum-verify" "$archive" "$ARK_TEST_DB"
	# equal but for the unlogged table the standby could not read
	assert_status 16
	[[ ${lines[2]} == "table    SOURCE rows  TARGET rows  result" &&
		${lines[3]} == "scratch            -            1  only in TARGET" &&
		${lines[4]} == "t              20001        20001  equal" ]] || { show_run >&2; fail "compare"; }
	psql_q "CREATE DATABASE \"${db}_r\"" >/dev/null
	run --separate-stderr "$ARK_BIN/ark-restore" "$archive" "host=$PGHOST port=$PGPORT user=postgres dbname=${db}_r"
	assert_status 0
	# a standby sees sequences as the primary WAL-logs them: up to 32
	# values ahead (SEQ_LOG_VALS), so the next id skips, never repeats
	next=$(psql -X -A -t -q -d "${db}_r" -c "INSERT INTO t (v) VALUES ('x') RETURNING id")
	((next >= 20002 && next <= 20034)) || fail "next id $next"
	[[ $(psql -X -A -t -q -d "${db}_r" -c "SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata") == "on the standby" ]] ||
		fail "large object"
}
