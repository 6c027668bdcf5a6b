#!/usr/bin/env bats
# ark-restore ARCHIVE [CONNINFO] of pg archives (ark/pgrestore.h,
# ark-restore(1)): a rich database (pg_rich.sql: hostile names, NULLs,
# bytea, jsonb, numeric, timestamps, arrays, an enum, an empty table,
# keys, indexes, a view, a trigger) archived the way ark-pg-backup does
# (pg_dump sections and COPY, pg_spec_from_db.py) by ark's own writer
# (helpers/pgarchive_spec) and by the model (arkfmt.py pg-build), then
# restored and compared by ark's digest AND independently: each member
# unpacked with tar and zstd, sorted and hashed, against psql's COPY of
# the restored table, and pg_dump --schema-only of source and target.

load helpers
load pg

PGSPEC=$ARK_TEST_BUILD/helpers/pgarchive_spec
# ark's session settings (docs/digest.md), for psql's COPY TO
ARK_PGOPTIONS="-c client_encoding=UTF8 -c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3 -c bytea_output=hex"
WEIRD_SHOWN='"we"ird\nschema"."Tab\tle "x" \ ünï 表"'

setup() {
	require_tool ark-restore ark-checksum-verify
	[[ -x $PGSPEC ]] || skip "helper $PGSPEC is not built (make $PGSPEC)"
	pg_require
	enter_workdir
	DBP="r${BATS_TEST_NUMBER}_$$_"
}

assert_stderr_is() {
	if [[ ${stderr-} != "$1" ]]; then
		show_run >&2
		printf -- '--- wanted ---\n%s\n' "$1" >&2
		fail "stderr is not exactly the above"
	fi
}

# conn DB - the conninfo of database DB (Unix socket, no password).
conn() {
	printf 'host=%s port=%s user=%s dbname=%s' "$PGHOST" "$PGPORT" "$PGUSER" "$1"
}

# new_db NAME - an empty database.
new_db() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$1\"" >/dev/null
}

db_exists() {
	[[ $(psql -X -A -t -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$1'") == 1 ]]
}

# schema_dump DB - pg_dump --schema-only without its random \restrict keys.
schema_dump() {
	pg_dump -d "$1" --schema-only | grep -v '^\\\(un\)\?restrict '
}

# everything DB - schema and data, to prove a database unchanged.
everything() {
	pg_dump -d "$1" | grep -v '^\\\(un\)\?restrict '
}

# rich_source - the source database (SRC) and spec.json of its archive.
rich_source() {
	pg_newdb
	SRC=$PGDATABASE
	psql -X -q -v ON_ERROR_STOP=1 -f "$E2E_DIR/pg_rich.sql" >/dev/null ||
		fail "pg_rich.sql"
	python3 "$E2E_DIR/pg_spec_from_db.py" spec.json || fail "spec"
	unset PGDATABASE
}

# rich_archive [OUT] - rich_source, written by ark's writer to OUT (a.ark).
rich_archive() {
	rich_source
	"$PGSPEC" spec.json "${1:-a.ark}" >/dev/null || fail "pgarchive_spec"
}


RICH_TABLES='equal "public"."child" 200 rows
equal "public"."empty" 0 rows
equal "public"."parent" 50 rows
equal "public"."plain" 301 rows
equal "we\"ird\nschema"."Tab\tle \"x\" \\ \u00fcn\u00ef \u8868" 4 rows'

# restored_ok DB - stdout of a whole restore of the rich archive into DB.
restored_ok() {
	local created=${2-}
	cat <<EOF
restored: a.ark -> database "$1" ($(conn "$1"))$created
table "public"."child": 200 rows loaded, digest equal
table "public"."empty": 0 rows loaded, digest equal
table "public"."parent": 50 rows loaded, digest equal
table "public"."plain": 301 rows loaded, digest equal
table $WEIRD_SHOWN: 4 rows loaded, digest equal
EOF
}

@test "a rich pg archive into an empty database: every digest equal, and equal by psql, tar, zstd and pg_dump" {
	rich_archive
	run --separate-stderr "$VERIFY" --deep a.ark
	assert_status 0
	new_db "${DBP}t"
	run --separate-stderr "$RESTORE" --jobs 2 a.ark "$(conn "${DBP}t")"
	assert_status 0
	assert_stderr_empty
	[[ $output == "$(restored_ok "${DBP}t")"$'\n'"5 tables, 555 rows, 5 of 5 digests equal; pre-data "*" statements, post-data "*" ("*" at once); "*" s" ]] ||
		fail "output: $output"
	run same_tables a.ark "${DBP}t"
	assert_status 0
	[[ $output == "$RICH_TABLES" ]] || fail "independent comparison: $output"
	schema_dump "$SRC" >src.sql
	schema_dump "${DBP}t" >target.sql
	diff src.sql target.sql || fail "pg_dump --schema-only differs"
	# the view, trigger and constraints work in the restored database
	[[ $(psql_q "SELECT count(*) FROM public.v" -d "${DBP}t" 2>/dev/null || psql -X -A -t -d "${DBP}t" -c 'SELECT count(*) FROM public.v') == 200 ]] ||
		fail "view"
	run psql -X -q -d "${DBP}t" -c "INSERT INTO public.child VALUES (1000, 999, NULL)"
	[[ $status != 0 && $output == *'violates foreign key constraint "child_parent_id_fkey"'* ]] ||
		fail "foreign key not restored: $output"
}

@test "the model's archive (arkfmt.py pg-build) restores the same, one job, --json" {
	rich_source
	arkfmt pg-build spec.json a.ark || fail "pg-build"
	new_db "${DBP}m"
	run --separate-stderr "$RESTORE" --json -j 1 a.ark "$(conn "${DBP}m")"
	assert_status 0
	assert_stderr_empty
	echo "$output" >r.json
	[[ $(json_get r.json '(j["ok"], j["kind"], j["database"], j["pre_data"], j["post_data"], j["tables_loaded"], j["rows_loaded"], j["verified"], [t["equal"] for t in j["tables"]])') == \
		"(True, 'pg', '${DBP}m', 'done', 'done', 5, 555, True, [True, True, True, True, True])" ]] ||
		fail "json: $output"
	[[ $(json_get r.json '(j["tables"][4]["schema"], j["tables"][4]["name"]) == ("we\"ird\nschema", "Tab\tle \"x\" \\ \u00fcn\u00ef \u8868")') == True ]] ||
		fail "json names: $output"
	[[ $(json_get r.json '[t["archive_digest"] == t["target_digest"] for t in j["tables"]]') == "[True, True, True, True, True]" ]] ||
		fail "digests: $output"
	run same_tables a.ark "${DBP}m"
	assert_status 0
	[[ $output == "$RICH_TABLES" ]] || fail "independent comparison: $output"
}

@test "a database that is not empty is refused (exit 14) and left as it was" {
	rich_archive
	new_db "${DBP}n"
	psql -X -q -d "${DBP}n" -c "CREATE TABLE public.other (x int); INSERT INTO public.other VALUES (1)"
	everything "${DBP}n" >before.sql
	run --separate-stderr "$RESTORE" a.ark "$(conn "${DBP}n")"
	assert_status 14
	assert_stderr_is "ark-restore: error: database \"${DBP}n\" is not empty: schema \"public\" holds \"other\" (restore into an empty database, --create a new one, or --clean)"
	assert_output_empty
	everything "${DBP}n" >after.sql
	diff before.sql after.sql || fail "the target changed"

	# a schema the archive creates, existing (empty): refused too
	new_db "${DBP}s"
	psql -X -q -d "${DBP}s" -c "CREATE SCHEMA \"we\"\"ird
schema\""
	run --separate-stderr "$RESTORE" a.ark "$(conn "${DBP}s")"
	assert_status 14
	assert_stderr_is "ark-restore: error: database \"${DBP}s\" is not empty: schema \"we\"ird\\nschema\", which the archive creates, exists (restore into an empty database, --create a new one, or --clean)"
}

@test "--create makes the database (exit 7 when it exists); --clean restores over a restored one" {
	rich_archive
	run --separate-stderr "$RESTORE" --create a.ark "$(conn "${DBP}c")"
	assert_status 0
	[[ $output == "$(restored_ok "${DBP}c" ", created")"$'\n'* ]] || fail "output: $output"
	run --separate-stderr "$RESTORE" --create a.ark "$(conn "${DBP}c")"
	assert_status 7
	assert_stderr_is "ark-restore: error: database \"${DBP}c\" exists already; --create makes a new one (without --create, ark-restore restores into an empty existing database)"

	# --clean: what the pre-data creates is dropped and created again,
	# a table that is not the archive's is kept; a changed row is back
	# as archived
	psql -X -q -v ON_ERROR_STOP=1 -d "${DBP}c" -c "UPDATE public.plain SET label = 'changed' WHERE id = 1; CREATE TABLE public.mine (x int); INSERT INTO public.mine VALUES (42)"
	run --separate-stderr "$RESTORE" --clean a.ark "$(conn "${DBP}c")"
	assert_status 0
	assert_stderr_empty
	[[ $output == "$(restored_ok "${DBP}c")"$'\n'"5 tables, 555 rows, 5 of 5 digests equal; pre-data "*"; --clean: 8 drops; "*" s" ]] ||
		fail "output: $output"
	[[ $(psql -X -A -t -d "${DBP}c" -c 'SELECT x FROM public.mine') == 42 ]] || fail "public.mine"
	run same_tables a.ark "${DBP}c"
	assert_status 0
	[[ $output == "$RICH_TABLES" ]] || fail "independent comparison: $output"
	schema_dump "$SRC" >src.sql
	psql -X -q -d "${DBP}c" -c 'DROP TABLE public.mine'
	schema_dump "${DBP}c" >target.sql
	diff src.sql target.sql || fail "pg_dump --schema-only differs after --clean"
}

# failing_archive OUT - the rich archive whose post-data ends in a foreign
# key the data breaks (child ids reach 200, parent's 50).
failing_archive() {
	rich_source
	python3 - <<'PY' || fail "spec"
import json
spec = json.load(open("spec.json"))
spec["post"] += "\nALTER TABLE ONLY public.child\n    ADD CONSTRAINT never FOREIGN KEY (id) REFERENCES public.parent(id);\n"
json.dump(spec, open("spec.json", "w"))
PY
	"$PGSPEC" spec.json "$1" >/dev/null || fail "pgarchive_spec"
}

FK_ERROR='insert or update on table "child" violates foreign key constraint "never"; Key (id)=(51) is not present in table "parent". (SQLSTATE 23503)'

@test "--single-transaction: a failing post-data statement leaves the target as it was" {
	failing_archive a.ark
	new_db "${DBP}1"
	everything "${DBP}1" >before.sql
	run --separate-stderr "$RESTORE" --single-transaction a.ark "$(conn "${DBP}1")"
	assert_status 13
	assert_output_empty
	assert_stderr_is "ark-restore: error: post-data: server \"$(conn "${DBP}1")\": $FK_ERROR
ark-restore: target state: database \"${DBP}1\": unchanged, the one transaction was rolled back"
	everything "${DBP}1" >after.sql
	diff before.sql after.sql || fail "the target changed"
	[[ $(psql -X -A -t -d "${DBP}1" -c "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')") == 0 ]] ||
		fail "relations left"
}

@test "without --single-transaction a failure says what the target holds" {
	failing_archive a.ark
	new_db "${DBP}p"
	run --separate-stderr "$RESTORE" -j 2 a.ark "$(conn "${DBP}p")"
	assert_status 13
	assert_output_empty
	assert_stderr_is "ark-restore: error: post-data: server \"$(conn "${DBP}p")\": $FK_ERROR
ark-restore: target state: database \"${DBP}p\": pre-data applied; 5 of 5 tables loaded; post-data partly applied (indexes and keys built at once are kept, the rest rolled back)
ark-restore:   loaded: \"public\".\"child\" (200 rows)
ark-restore:   loaded: \"public\".\"empty\" (0 rows)
ark-restore:   loaded: \"public\".\"parent\" (50 rows)
ark-restore:   loaded: \"public\".\"plain\" (301 rows)
ark-restore:   loaded: $WEIRD_SHOWN (4 rows)"
	# as said: the keys built at once are there, the rest (the first
	# foreign key, the trigger) rolled back with the failing one
	[[ $(psql -X -A -t -d "${DBP}p" -c "SELECT string_agg(conname || ':' || contype::text, ',' ORDER BY conname) FROM pg_constraint WHERE connamespace = 'public'::regnamespace") == \
		"child_note_check:c,child_pkey:p,parent_name_key:u,parent_pkey:p,plain_pkey:p" ]] ||
		fail "constraints"
	[[ $(psql -X -A -t -d "${DBP}p" -c "SELECT count(*) FROM pg_trigger WHERE tgname = 'child_touch'") == 0 ]] ||
		fail "trigger"
	# --json: the same state as keys; the tables were read back and
	# found equal as they were loaded, before post-data failed
	new_db "${DBP}q"
	run --separate-stderr "$RESTORE" --json -j 2 a.ark "$(conn "${DBP}q")"
	assert_status 13
	echo "$output" >r.json
	[[ $(json_get r.json '(j["ok"], j["exit_code"], j["error"], j["pre_data"], j["post_data"], j["tables_loaded"], j["verified"], all(t["equal"] for t in j["tables"]))') == \
		"(False, 13, 'server error', 'done', 'partial', 5, True, True)" ]] || fail "json: $output"
}

@test "--table: only those tables' data, into existing empty tables" {
	rich_archive
	run --separate-stderr "$RESTORE" --create a.ark "$(conn "${DBP}t")"
	assert_status 0
	psql -X -q -v ON_ERROR_STOP=1 -d "${DBP}t" -c "TRUNCATE public.plain; TRUNCATE \"we\"\"ird
schema\".\"Tab	le \"\"x\"\" \\ ünï 表\"; UPDATE public.parent SET name = 'kept' WHERE id = 1"
	run --separate-stderr "$RESTORE" --table plain -t "we\"ird
schema.Tab	le \"x\" \\ ünï 表" a.ark "$(conn "${DBP}t")"
	assert_status 0
	assert_stderr_empty
	[[ $output == "restored: a.ark -> database \"${DBP}t\" ($(conn "${DBP}t"))
table \"public\".\"plain\": 301 rows loaded, digest equal
table $WEIRD_SHOWN: 4 rows loaded, digest equal
2 tables, 305 rows, 2 of 2 digests equal; data only (--table); "*" s" ]] || fail "output: $output"
	# the other tables were not touched
	[[ $(psql -X -A -t -d "${DBP}t" -c "SELECT name FROM public.parent WHERE id = 1") == kept ]] ||
		fail "parent was restored too"
	run same_tables a.ark "${DBP}t"
	[[ ${lines[3]} == 'equal "public"."plain" 301 rows' && ${lines[4]} == "equal \"we\\\"ird\\nschema\".\"Tab\\tle \\\"x\\\" \\\\ \\u00fcn\\u00ef \\u8868\" 4 rows" ]] ||
		fail "independent comparison: $output"

	# a table holding rows: 14, unless --clean empties it first
	run --separate-stderr "$RESTORE" --table public.plain a.ark "$(conn "${DBP}t")"
	assert_status 14
	assert_stderr_is "ark-restore: error: table \"public\".\"plain\" in database \"${DBP}t\" holds rows (--clean empties it first)"
	run --separate-stderr "$RESTORE" --clean --table public.plain a.ark "$(conn "${DBP}t")"
	assert_status 0
	[[ $(psql -X -A -t -d "${DBP}t" -c "SELECT count(*) FROM public.plain") == 301 ]] || fail "rows"
	# a table that does not exist: 7, nothing loaded
	psql -X -q -d "${DBP}t" -c "DROP TABLE public.empty"
	run --separate-stderr "$RESTORE" --table empty a.ark "$(conn "${DBP}t")"
	assert_status 7
	assert_stderr_is "ark-restore: error: table \"public\".\"empty\" does not exist in database \"${DBP}t\": --table loads data into existing tables only (restore the whole archive, or create the table first)"
	# a name the archive does not have: a usage error
	run --separate-stderr "$RESTORE" --table nope a.ark "$(conn "${DBP}t")"
	assert_status 2
	assert_stderr_is "ark-restore: error: --table \"nope\": the archive has no such table
Try 'ark-restore --help' for more information."
}

@test "a table whose restored rows differ from the archive's: exit 16 naming it" {
	rich_archive
	run --separate-stderr "$RESTORE" --create a.ark "$(conn "${DBP}d")"
	assert_status 0
	# a column that rounds what the archive holds (numeric(12,2) values)
	psql -X -q -v ON_ERROR_STOP=1 -d "${DBP}d" -c "TRUNCATE public.plain; ALTER TABLE public.plain ALTER COLUMN amount TYPE numeric(12,1)"
	run --separate-stderr "$RESTORE" --table plain a.ark "$(conn "${DBP}d")"
	assert_status 16
	assert_output_empty
	[[ $stderr =~ ^"ark-restore: error: table \"public\".\"plain\": the restored rows differ from the archive's (digest 301:"[0-9a-f]{32}", archive 301:"[0-9a-f]{32}")"$'\n'"ark-restore: target state: database \"${DBP}d\": pre-data not part of the run (--table); 1 of 1 tables loaded; post-data not part of the run (--table)"$'\n'"ark-restore:   loaded: \"public\".\"plain\" (301 rows)"$ ]] ||
		{ show_run >&2; fail "stderr"; }
}

@test "a corrupt or forged archive is refused (exit 4) before the server is touched" {
	rich_archive
	# one flipped bit in the first table's stored bytes
	local offset
	offset=$(arkfmt manifest a.ark members | python3 -c 'import json, sys; m = json.load(sys.stdin); print(m[1]["data_offset"] + 10)')
	cp a.ark bad.ark
	arkfmt flip bad.ark "$offset"
	run --separate-stderr "$RESTORE" --create bad.ark "$(conn "${DBP}x")"
	assert_status 4
	assert_output_empty
	[[ $stderr =~ ^"ark-restore: error: bad.ark: member 'data/0000001.copy.zst': stored data hash mismatch (manifest "[0-9a-f]{32}", actual "[0-9a-f]{32}")"$ ]] ||
		{ show_run >&2; fail "stderr"; }
	! db_exists "${DBP}x" || fail "--create created the database of a corrupt archive"

	# every hash right, the manifest's digest forged: refused as well,
	# by the deep check that runs before anything is written
	arkfmt forge a.ark forged.ark 'members.1.content_digest="200:0123456789abcdef0123456789abcdef"' ||
		fail "forge"
	new_db "${DBP}f"
	run --separate-stderr "$RESTORE" forged.ark "$(conn "${DBP}f")"
	assert_status 4
	[[ $stderr =~ ^"ark-restore: error: forged.ark: member 'data/0000001.copy.zst': content digest mismatch (manifest 200:0123456789abcdef0123456789abcdef, actual 200:"[0-9a-f]{32}")"$ ]] ||
		{ show_run >&2; fail "stderr"; }
	[[ $(psql -X -A -t -d "${DBP}f" -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'we%'") == 0 ]] ||
		fail "written to"
}

@test "connection errors: wrong password 12 (never shown), no server 11; usage errors" {
	rich_archive
	new_db "${DBP}w"
	run --separate-stderr "$RESTORE" a.ark "host=127.0.0.1 port=$PGPORT user=$PGUSER dbname=${DBP}w password=wrong-secret-42"
	assert_status 12
	[[ $stderr == "ark-restore: error: cannot connect to \"host=127.0.0.1 port=$PGPORT user=$PGUSER dbname=${DBP}w\": "*"password authentication failed for user \"$PGUSER\""* ]] ||
		{ show_run >&2; fail "stderr"; }
	[[ $stderr != *wrong-secret* && $output != *wrong-secret* ]] || fail "the password was shown"
	# the right one from PGPASSWORD, over TCP, with DATABASE_URL
	DATABASE_URL="postgresql://$PGUSER@127.0.0.1:$PGPORT/${DBP}w" PGPASSWORD=$ARK_TEST_PGPASSWORD \
		run --separate-stderr "$RESTORE" -q a.ark
	assert_status 0
	assert_output_empty
	assert_stderr_empty

	run --separate-stderr "$RESTORE" a.ark "host=127.0.0.1 port=1 dbname=x connect_timeout=2"
	assert_status 11

	run --separate-stderr "$RESTORE" --force a.ark "$(conn x)"
	assert_status 2
	assert_stderr_is "ark-restore: error: a.ark is a pg archive: --force, --full-check and --allow-damaged apply to sqlite archives
Try 'ark-restore --help' for more information."
	run --separate-stderr "$RESTORE" --create --clean a.ark "$(conn x)"
	assert_status 2
	assert_stderr_is "ark-restore: error: --create and --clean exclude each other
Try 'ark-restore --help' for more information."
	# a sqlite archive: TARGET required, pg options refused
	make_small_db s.db
	"$SNAPSHOT" -q -o s.ark s.db || fail "snapshot"
	run --separate-stderr "$RESTORE" s.ark
	assert_status 2
	assert_stderr_is "ark-restore: error: s.ark is a sqlite archive: expected ARCHIVE and TARGET
Try 'ark-restore --help' for more information."
	run --separate-stderr "$RESTORE" --jobs 2 s.ark t.db
	assert_status 2
	assert_stderr_is "ark-restore: error: s.ark is a sqlite archive: --create, --clean, --table, --single-transaction and --jobs apply to pg archives
Try 'ark-restore --help' for more information."
	run --separate-stderr "$RESTORE" s.ark t.db
	assert_status 0
}

@test "a stop signal mid-load cancels the COPY: exit 130, the state said, the table empty" {
	python3 - <<'PY' || fail "spec"
import json
rows = "".join("%d\t%s\n" % (i, "x" * 200) for i in range(1, 600001))
json.dump({"source": {"type": "sqlite", "path": "/srv/big.db"},
           "pre": "CREATE TABLE public.big (i integer, t text);\n",
           "post": "ALTER TABLE ONLY public.big ADD CONSTRAINT big_pkey PRIMARY KEY (i);\n",
           "tables": [{"schema": "public", "name": "big",
                       "columns": [{"name": "i", "type": "integer"},
                                   {"name": "t", "type": "text"}],
                       "copy": rows}]}, open("spec.json", "w"))
PY
	"$PGSPEC" spec.json big.ark >/dev/null || fail "pgarchive_spec"
	new_db "${DBP}i"
	"$RESTORE" -j 1 big.ark "$(conn "${DBP}i")" >out.txt 2>err.txt &
	local pid=$! i copying=0
	for ((i = 0; i < 400; i++)); do
		if [[ $(psql -X -A -t -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ark-restore' AND query LIKE 'COPY %FROM STDIN%'") == 1 ]]; then
			copying=1
			break
		fi
		sleep 0.05
	done
	[[ $copying == 1 ]] || { kill $pid; fail "the COPY was never seen"; }
	# (TERM: a background job of a non-interactive shell ignores INT)
	kill -TERM $pid
	local rc=0
	wait $pid || rc=$?
	[[ $rc == 130 ]] || fail "exit $rc: $(cat err.txt)"
	[[ ! -s out.txt ]] || fail "stdout: $(cat out.txt)"
	[[ $(cat err.txt) == "ark-restore: error: interrupted by signal
ark-restore: target state: database \"${DBP}i\": pre-data applied; 0 of 1 tables loaded; post-data not applied
ark-restore:   not loaded: \"public\".\"big\"" ]] || fail "stderr: $(cat err.txt)"
	[[ $(psql -X -A -t -d "${DBP}i" -c "SELECT count(*) FROM public.big") == 0 ]] || fail "rows kept"
	sleep 0.2
	[[ $(psql -X -A -t -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ark-restore'") == 0 ]] ||
		fail "sessions left"
}
