#!/usr/bin/env bats
# ark-pg-backup while pgbench writes: every table is read in one snapshot,
# so the restored database keeps pgbench's invariant (each TPC-B
# transaction adds one delta to an account, a teller, a branch and the
# history): sum(abalance) = sum(tbalance) = sum(bbalance) = sum(delta),
# and each account's, teller's and branch's balance is the sum of its
# history's deltas.  Tables read at different moments break it: with the
# workers' SET TRANSACTION SNAPSHOT taken out, this test fails (-j 2:
# the largest table on one connection, the others after one another on
# the second; -j 4 reads all four at once, too close together to show).

load helpers
load pg

setup() {
	require_tool ark-pg-backup ark-restore
	pg_require
	enter_workdir
	PGBENCH=$ARK_TEST_PGBIN/pgbench
	[[ -x $PGBENCH ]] || PGBENCH=$(command -v pgbench) || skip "no pgbench"
	BENCH_PID=
}

teardown() {
	[[ -z $BENCH_PID ]] || { kill "$BENCH_PID" 2>/dev/null; wait "$BENCH_PID" 2>/dev/null || true; }
}

# sums DB - the four sums; then how many branches, tellers and accounts
# have a balance other than the sum of their history's deltas.
sums() {
	psql -X -A -t -q -d "$1" -c "
		SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' ||
		       (SELECT sum(tbalance) FROM pgbench_tellers) || ' ' ||
		       (SELECT sum(bbalance) FROM pgbench_branches) || ' ' ||
		       (SELECT coalesce(sum(delta), 0) FROM pgbench_history)" -c "
		SELECT (SELECT count(*) FROM pgbench_branches b WHERE b.bbalance <>
		        (SELECT coalesce(sum(delta), 0) FROM pgbench_history h WHERE h.bid = b.bid)) +
		       (SELECT count(*) FROM pgbench_tellers t WHERE t.tbalance <>
		        (SELECT coalesce(sum(delta), 0) FROM pgbench_history h WHERE h.tid = t.tid)) +
		       (SELECT count(*) FROM pgbench_accounts a LEFT JOIN (SELECT aid, sum(delta) AS d
		        FROM pgbench_history GROUP BY aid) h USING (aid) WHERE a.abalance <> coalesce(h.d, 0))"
}

@test "a backup taken while pgbench writes restores to one consistent snapshot" {
	pg_newdb
	db=$PGDATABASE
	"$PGBENCH" -i -s 4 -q "$db" >/dev/null 2>&1 || fail "pgbench -i"
	"$PGBENCH" -c 4 -T 60 -n "$db" >/dev/null 2>&1 3>&- &
	BENCH_PID=$!
	# writes under way before the backup starts
	for _ in $(seq 1 100); do
		[[ $(psql_q "SELECT count(*) FROM pgbench_history") -gt 50 ]] && break
		sleep 0.1
	done
	mkdir repo
	run --separate-stderr "$ARK_BIN/ark-pg-backup" -j 2 "$ARK_TEST_DB" -o repo
	assert_status 0
	during=$(psql_q "SELECT count(*) FROM pgbench_history")
	kill "$BENCH_PID"; wait "$BENCH_PID" 2>/dev/null || true; BENCH_PID=
	new_db_name=${db}_r
	psql_q "CREATE DATABASE \"$new_db_name\"" >/dev/null
	run --separate-stderr "$ARK_BIN/ark-restore" repo/*.ark "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$new_db_name"
	assert_status 0
	read -r a t b h < <(sums "$new_db_name" | head -1)
	bad=$(sums "$new_db_name" | tail -1)
	rows=$(psql -X -A -t -d "$new_db_name" -c "SELECT count(*) FROM pgbench_history")
	diag "history rows restored: $rows (source had $during when the backup ended)"
	((rows > 50)) || fail "the backup saw no writes ($rows history rows)"
	[[ $a == "$h" && $t == "$h" && $b == "$h" && $bad == 0 ]] ||
		fail "inconsistent: accounts $a tellers $t branches $b history $h, $bad balances off their history"
}
