# pg.bash - PostgreSQL helpers for e2e tests (load pg after helpers).
#
# The suite runs under tests/with-pg, which started a throwaway server and
# exported PGHOST/PGPORT/PGUSER.  pg_newdb gives each test a database of its
# own, so tests never see each other's tables.

pg_require() {
	if [[ -z ${PGHOST-} || -z ${ARK_TEST_PGBIN-} ]]; then
		echo "no test server: run through tests/with-pg (make check-e2e does)" >&2
		return 1
	fi
}

# pg_newdb: create a fresh database and export PGDATABASE naming it, and
# ARK_TEST_DB, a conninfo for it over the Unix socket (no password).
pg_newdb() {
	pg_require || return 1
	local name="t_${BATS_TEST_NUMBER:-0}_$$_${RANDOM}"
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$name\"" >/dev/null || return 1
	export PGDATABASE=$name
	export ARK_TEST_DB="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$name"
}

# psql_q SQL: one query's unaligned tuples-only output.
psql_q() {
	psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"
}
