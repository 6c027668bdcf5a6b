#!/usr/bin/env bats
# pg archives (docs/archive-format.md, "Kind pg"): written by parallel
# workers through ark/pgarchive.h (tests/helpers/pgarchive_writer),
# checked by ark-checksum-verify and without ark (tar, zstd, xxhsum), read
# back by PostgreSQL itself, written independently by the model
# (arkfmt.py pg-build), and forged: every hostile manifest value is
# refused with its exact message and exit 4.

load helpers
load pg

PGW=$ARK_TEST_BUILD/helpers/pgarchive_writer
# pgarchive_writer's fixed creation time
CREATED=2025-11-30T00:00:00Z

setup() {
	require_tool ark-checksum-verify ark-restore
	[[ -x $PGW ]] || skip "helper $PGW is not built (make $PGW)"
	enter_workdir
}

# assert_stderr_is TEXT - stderr of the last run is exactly TEXT.
assert_stderr_is() {
	if [[ ${stderr-} != "$1" ]]; then
		show_run >&2
		fail "stderr is not exactly: $1"
	fi
}

# unpack ARCHIVE DIR - tar -x, every .zst decompressed, xxhsum -c quiet.
unpack() {
	mkdir -p "$2"
	tar -xf "$1" -C "$2" || fail "tar -x $1"
	(cd "$2" && find . -name '*.zst' -exec zstd -q -d {} \; &&
		xxhsum -c --quiet XXH128SUMS) || fail "$1: xxhsum -c"
}

@test "pg archive from parallel workers: verify, --deep, --json, and without ark" {
	run --separate-stderr "$PGW" a.ark --tables 4 --rows 2000 --jobs 2
	assert_status 0
	[[ ${lines[0]} == path=a.ark ]] || fail "helper: ${lines[0]}"
	local helper_out=" ${lines[*]} "
	[[ $(stat -c %a a.ark) == 600 ]] || fail "a.ark is not 0600"
	# nothing else left: the spools were unnamed, the temporary renamed
	[[ $(ls -A) == a.ark ]] || fail "left: $(ls -A)"

	run --separate-stderr "$VERIFY" a.ark
	assert_status 0
	[[ $output =~ ^"a.ark: OK (pg archive of $CREATED, 6 members, "[0-9]+" bytes, "[0-9]+" raw)"$ ]] ||
		fail "verify: $output"
	run --separate-stderr "$VERIFY" --deep a.ark
	assert_status 0
	[[ $output =~ ", deep: raw hashes and 4 table digests (8000 rows) ok)"$ ]] ||
		fail "verify --deep: $output"
	run --separate-stderr "$VERIFY" --deep --json a.ark
	assert_status 0
	echo "$output" >v.json
	[[ $(json_get v.json 'j["kind"], j["tables_checked"], j["rows_checked"]') == "('pg', 4, 8000)" ]] ||
		fail "json: $output"

	# Without ark: the standard tools agree, and the model's digest of
	# each decompressed table is the manifest's.
	unpack a.ark x
	[[ -f x/schema/pre-data.sql && -f x/schema/post-data.sql ]] || fail "schema members"
	# (tables are numbered in the order workers began them: look them
	# up by name)
	local i got
	for i in 1 2 3 4; do
		got=$(python3 -c '
import json, sys
m = json.load(open("x/MANIFEST.json"))
for member in m["members"]:
    if member.get("table", {}).get("name") == "table_" + sys.argv[1]:
        print(member["path"][:-4], member["rows"], member["content_digest"])' "$i")
		[[ $got == "data/"*" 2000 $(arkfmt digest "x/${got%% *}")" ]] ||
			fail "table_$i: manifest says $got"
		# and the helper computed the same on its side
		[[ $helper_out == *" table=$i ${got##* } "* ]] || fail "helper's digest of table $i"
	done
}

@test "PostgreSQL reads each table member back exactly as archived" {
	pg_newdb
	run --separate-stderr "$PGW" a.ark --tables 7 --rows 500 --hostile-names
	assert_status 0
	run --separate-stderr "$VERIFY" --deep a.ark
	assert_status 0
	unpack a.ark x
	# Create each table from the manifest (names quoted), COPY the
	# member in, COPY it out: PostgreSQL prints the very same text, and
	# the model digests its output to the manifest's digest.
	python3 - <<'PY' >tables.tsv || fail "manifest"
import json
m = json.load(open("x/MANIFEST.json"))
q = lambda s: '"' + s.replace('"', '""') + '"'
for member in m["members"]:
    if member["role"] != "pg-table-data":
        continue
    t = member["table"]
    name = q(t["schema"]) + "." + q(t["name"])
    cols = ", ".join(q(c["name"]) + " " + c["type"] for c in t["columns"])
    print("\t".join(json.dumps(x) for x in (
        member["path"][:-4], "CREATE TABLE %s (%s)" % (name, cols),
        name, member["content_digest"])))
PY
	psql_q 'CREATE SCHEMA s' >/dev/null
	local path create name digest n=0
	while IFS=$'\t' read -r path create name digest; do
		path=$(jq -r . <<<"$path") create=$(jq -r . <<<"$create")
		name=$(jq -r . <<<"$name") digest=$(jq -r . <<<"$digest")
		psql_q "$create" >/dev/null || fail "create: $create"
		psql -X -q -v ON_ERROR_STOP=1 -c "COPY $name FROM STDIN" <"x/$path" ||
			fail "COPY FROM $path"
		psql -X -q -v ON_ERROR_STOP=1 -c "COPY $name TO STDOUT" >back.copy ||
			fail "COPY TO $path"
		assert_files_equal "x/$path" back.copy
		[[ $(arkfmt digest back.copy) == "$digest" ]] || fail "digest of $path"
		n=$((n + 1))
	done <tables.tsv
	[[ $n == 7 ]] || fail "$n tables"
	# the hostile names arrived as they are
	[[ $(psql_q "SELECT count(*) FROM pg_tables WHERE schemaname = 's' AND tablename IN (E'quote\"d', E'new\nline', E'tab\tand\\\\back', 'ünïcødé 表', 'a23456789b23456789c23456789d23456789e23456789f23456789g23456789', 'SELECT', 'table_7')") == 7 ]] ||
		fail "names: $(psql_q "SELECT tablename FROM pg_tables WHERE schemaname = 's'")"
}

@test "a pg archive written by the model (arkfmt pg-build) verifies" {
	cat >spec.json <<'EOF_SPEC'
{"tables": [
  {"schema": "public", "name": "t\n\"x\"", "columns": [{"name": "a", "type": "text"}, {"name": "b", "type": "bytea"}],
   "copy": "x\\ty\t\\\\x00ff\n\\N\t\\N\n"},
  {"schema": "public", "name": "empty", "columns": [{"name": "a", "type": "bigint"}], "copy": ""},
  {"schema": "public", "name": "no columns", "columns": [], "copy": "\n\n\n"}],
 "pre": "CREATE TABLE t (a text);\n"}
EOF_SPEC
	arkfmt pg-build spec.json m.ark
	run --separate-stderr "$VERIFY" --deep m.ark
	assert_status 0
	assert_output_has ", 5 members, "
	assert_output_has ", deep: raw hashes and 3 table digests (5 rows) ok)"
	# ark-restore of a pg archive takes TARGET for a PostgreSQL
	# connection (here a database name), never a file to write
	# (pg_restore.bats restores such archives)
	run --separate-stderr "$RESTORE" m.ark t.db
	assert_status 11
	[[ $stderr == "ark-restore: error: cannot connect to \"t.db\": "*'database "t.db" does not exist' ]] ||
		{ show_run >&2; fail "stderr"; }
	assert_no_such t.db
}

# refused MESSAGE CHANGE... - base.ark forged with the CHANGEs (every hash
# recomputed): ark-checksum-verify, with and without --deep, exits 4 with
# exactly "ark-checksum-verify: error: forged.ark: MESSAGE".
refused() {
	local message=$1 deep
	shift
	arkfmt forge base.ark forged.ark "$@"
	for deep in "" --deep; do
		run --separate-stderr "$VERIFY" $deep forged.ark
		assert_status 4
		assert_output_has "forged.ark: FAILED (corrupt)"
		assert_stderr_is "ark-checksum-verify: error: forged.ark: $message"
	done
}

accepted() {
	arkfmt forge base.ark forged.ark "$@"
	run --separate-stderr "$VERIFY" --deep forged.ark
	assert_status 0
}

make_base() {
	# one worker: members in a known order (pre, table_1, table_2, post)
	"$PGW" base.ark --jobs 1 --tables 2 --rows 3 >helper.out ||
		fail "helper failed"
	[[ $(arkfmt manifest base.ark members 1 path) == data/0000001.copy.zst ]] ||
		fail "base layout"
}

@test "forged pg manifests: every hostile value refused, exit 4" {
	make_base
	local n64=a23456789b23456789c23456789d23456789e23456789f23456789g234567890
	refused 'manifest: member #2: "name" is 0 bytes long, outside 1..63' \
		'members.1.table.name=""'
	refused 'manifest: member #2: "name" is 64 bytes long, outside 1..63' \
		"members.1.table.name=\"$n64\""
	refused 'manifest: member #2: "schema" is missing or not a string' \
		'-members.1.table.schema'
	refused 'manifest: member #3 holds the same table as member #2' \
		'members.2.table.name="table_1"'
	refused 'manifest: member #2: two columns have the same name' \
		'members.1.table.columns.1.name="id"'
	refused 'manifest: member #2: column #1: "type" holds a character outside non-control characters' \
		'members.1.table.columns.0.type="bigint\n; DROP TABLE x"'
	refused 'manifest: member #2: "columns" is missing or not an array' \
		'members.1.table.columns={}'
	refused 'manifest: member #2: "table" is missing or not an object' \
		'-members.1.table'
	refused 'manifest: member #2: "rows" is -1, outside 0..9223372036854775807' \
		'members.1.rows=-1'
	refused 'manifest: member #2: "content_digest" counts 3 rows, "rows" 2' \
		'members.1.rows=2'
	refused 'manifest: member #2: "content_digest" is missing or not <rows>:<32 lower-case hex digits>' \
		'members.1.content_digest="3:0123456789ABCDEF0123456789abcdef"'
	refused 'manifest: member #2: "content_digest" is missing or not <rows>:<32 lower-case hex digits>' \
		'-members.1.content_digest'
	refused 'manifest: member #2: the pre-data SQL is not at schema/pre-data.sql.zst' \
		'members.1.role="pg-pre-data"'
	refused 'manifest: member #1: role "sqlite-image" is not a pg archive'"'"'s' \
		'members.0.role="sqlite-image"'
	refused 'manifest: member #2: a table'"'"'s path is not data/NNNNNNN.copy.zst' \
		'members.1.path="data/1.copy.zst"'
	refused 'manifest: source: "type" is missing or not "sqlite" or "postgresql"' \
		'-source.type'
	refused 'manifest: source: "server_version" is 1, outside 90200..9999999' \
		'source={"type": "postgresql", "server_version": 1, "database": "app"}'
	refused 'manifest: source: "database" is 0 bytes long, outside 1..63' \
		'source={"type": "postgresql", "server_version": 150004, "database": ""}'
	# legal at the edges
	accepted 'members.1.table.name="a23456789b23456789c23456789d23456789e23456789f23456789g23456789"'
	accepted 'members.1.table.name="new\nline \"q\" \\ 表"'
	accepted 'members.2.table.schema="other"' 'members.2.table.name="table_1"'
	accepted 'source={"type": "postgresql", "server_version": 150004, "database": "app", "snapshot": "00000003-0000001B-1"}'
}

@test "a digest that does not describe its member: plain verify proves the bytes, --deep refuses" {
	make_base
	local actual
	actual=$(arkfmt manifest base.ark members 1 content_digest)
	arkfmt forge base.ark forged.ark \
		'members.1.content_digest="3:00000000000000000000000000000000"'
	run --separate-stderr "$VERIFY" forged.ark
	assert_status 0
	run --separate-stderr "$VERIFY" --deep forged.ark
	assert_status 4
	assert_stderr_is "ark-checksum-verify: error: forged.ark: member 'data/0000001.copy.zst': content digest mismatch (manifest 3:00000000000000000000000000000000, actual $actual)"
	# fewer rows, consistently claimed
	arkfmt forge base.ark forged.ark 'members.1.rows=2' \
		"members.1.content_digest=\"2:${actual#3:}\""
	run --separate-stderr "$VERIFY" --deep forged.ark
	assert_status 4
	assert_stderr_is "ark-checksum-verify: error: forged.ark: member 'data/0000001.copy.zst': content digest mismatch (manifest 2:${actual#3:}, actual $actual)"
	# a raw content whose last row has no newline
	cat >spec.json <<'EOF_SPEC'
{"tables": [{"schema": "s", "name": "t", "columns": [{"name": "a", "type": "text"}],
  "copy": "x\ny", "rows": 1, "content_digest": "1:00000000000000000000000000000001"}]}
EOF_SPEC
	arkfmt pg-build spec.json partial.ark
	run --separate-stderr "$VERIFY" partial.ark
	assert_status 0
	run --separate-stderr "$VERIFY" --deep partial.ark
	assert_status 4
	assert_stderr_is "ark-checksum-verify: error: partial.ark: member 'data/0000001.copy.zst': the COPY text does not end in a newline"
}

@test "pg archive writer: disk full, SIGTERM and SIGKILL leave no spool behind" {
	require_inject
	run --separate-stderr with_inject env ARK_INJECT_ENOSPC_AFTER=100000 \
		"$PGW" full.ark --tables 3 --rows 20000
	assert_status 5
	assert_stderr_has "No space left on device (disk full)"
	assert_dir_empty .

	run arkfmt killwhen TERM . '^\.big\.ark\.ark-tmp-' 0.3 -- \
		"$PGW" big.ark --big-rows --rows 3000 --tables 4
	assert_output_has "alive yes"
	assert_output_has "exit 130"
	assert_dir_empty .

	# SIGKILL: no handler runs; the archive's named temporary stays
	# (the next run's cleanup is the user's), but the spools were
	# unnamed and went with the process.
	run arkfmt killwhen KILL . '^\.big\.ark\.ark-tmp-' 0.3 -- \
		"$PGW" big.ark --big-rows --rows 3000 --tables 4
	assert_output_has "alive yes"
	assert_output_has "exit 137"
	[[ $(ls -A | grep -c .) == 1 && $(ls -A) == .big.ark.ark-tmp-* ]] ||
		fail "left after SIGKILL: $(ls -A)"
}

@test "pg archive writer: partial row and a caller digest that differs are refused" {
	run --separate-stderr "$PGW" p.ark --tables 2 --rows 10 --partial-row --jobs 1
	assert_status 1
	assert_stderr_is "pgarchive_writer: cannot archive table #2: its COPY text does not end in a newline"
	assert_dir_empty .
	run --separate-stderr "$PGW" p.ark --tables 1 --rows 10 --wrong-digest --jobs 1
	assert_status 1
	[[ $stderr == "pgarchive_writer: cannot archive table #1: what was written digests to 10:"*", not 11:"*" as its rows did" ]] ||
		fail "stderr: $stderr"
	assert_dir_empty .
}
