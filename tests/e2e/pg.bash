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

# assert_target_untouched - the test's database holds no relation outside
# the system schemas and no schema but public and the system ones (no
# staging schema left, no --schema created): a refused run wrote nothing.
assert_target_untouched() {
	local n
	n=$(psql_q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog','information_schema','pg_toast')")
	[[ $n == 0 ]] || fail "relations were created: $n"
	n=$(psql_q "SELECT string_agg(nspname, ',') FROM pg_namespace WHERE nspname NOT IN ('public','pg_catalog','information_schema','pg_toast') AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'")
	[[ -z $n ]] || fail "a schema was created or left: $n"
}

# same_tables ARCHIVE DB - independent of ark: each table member as tar
# and zstd unpack it, its lines sorted and hashed, equals psql's COPY of
# the table's own rows in DB (FROM ONLY), sorted and hashed; prints one
# line per table, in the manifest's order.
same_tables() {
	PGOPTIONS=$ARK_PGOPTIONS python3 - "$1" "$2" <<'PY'
import hashlib, json, subprocess, sys
archive, db = sys.argv[1], sys.argv[2]
manifest = json.loads(subprocess.run(["tar", "-xOf", archive, "MANIFEST.json"],
                                     stdout=subprocess.PIPE, check=True).stdout)
q = lambda s: '"' + s.replace('"', '""') + '"'
def digest(data):
    lines = data.split(b"\n")
    assert lines[-1] == b""
    return hashlib.sha256(b"\n".join(sorted(lines[:-1]))).hexdigest(), len(lines) - 1
bad = 0
for m in manifest["members"]:
    if m["role"] != "pg-table-data":
        continue
    t = m["table"]
    stored = subprocess.run(["tar", "-xOf", archive, m["path"]],
                            stdout=subprocess.PIPE, check=True).stdout
    raw = subprocess.run(["zstd", "-dq"], input=stored, stdout=subprocess.PIPE,
                         check=True).stdout
    cols = ", ".join(q(c["name"]) for c in t["columns"])
    sql = "COPY (SELECT %s FROM ONLY %s.%s) TO STDOUT" % (cols, q(t["schema"]), q(t["name"]))
    live = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db,
                           "-c", sql], stdout=subprocess.PIPE, check=True).stdout
    a, b = digest(raw), digest(live)
    print("%s %s.%s %d rows" % ("equal" if a == b else "DIFFERENT",
                                 json.dumps(t["schema"]), json.dumps(t["name"]), a[1]))
    bad += a != b
sys.exit(1 if bad else 0)
PY
}

# The setup of the --copy-to tests (pg_backup_offsite.bats,
# review_offsite.bats): a work directory, rclone's remote "offsite:" a
# local directory ($WORK/remote) under an empty config file (nothing of
# the machine's own rclone config read), a repository, and a database
# $DB with a table of 50 rows; CONN connects to it.
offsite_setup() {
	command -v rclone >/dev/null || fail "rclone is not installed (scripts/install-deps)"
	pg_require
	enter_workdir
	: >"$WORK/rclone.conf"
	export RCLONE_CONFIG=$WORK/rclone.conf RCLONE_CONFIG_OFFSITE_TYPE=local
	mkdir -p "$WORK/remote" repo
	pg_newdb
	DB=$PGDATABASE
	psql_q "CREATE TABLE t (a int, b text); INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 50) i" >/dev/null
	unset PGDATABASE
	CONN="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$DB"
}
