#!/usr/bin/env bats
# ark-transfer --archive DIR (the loaded schema and data kept as a pg
# archive) and a sqlite archive (ark-snapshot's) as SOURCE.  The archives
# are judged by ark-checksum-verify, ark-restore, tar/zstd/xxhsum and
# independent SQL on the restored database.

load helpers
load pg

TRANSFER=$ARK_BIN/ark-transfer

setup() {
	require_tool ark-transfer
	pg_newdb
	DB=$BATS_TEST_TMPDIR/chinook.sqlite
	copy_chinook "$DB"
	OUT=$BATS_TEST_TMPDIR/out
	mkdir "$OUT"
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir "$TMPDIR"
	enter_workdir
}

# newdb NAME: a second database beside the test's own; its conninfo.
newdb() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$PGDATABASE$1\"" >/dev/null
	echo "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$PGDATABASE$1"
}

# No relation and no ark schema in the test's database.

# the one archive in $OUT, named as ark-snapshot names them
the_archive() {
	local files
	files=$(ls -A "$OUT")
	[[ $files =~ ^$1-$ARCHIVE_STAMP_RE\.ark$ ]] ||
		{ fail "not one archive named $1-<stamp>.ark in $OUT:" "$files"; return 1; }
	echo "$OUT/$files"
}

# member ARCHIVE PATH: a member's raw content, by tar and zstd alone
member() {
	tar -xOf "$1" "$2" | zstd -dcq
}

@test "chinook --archive: verifies (--deep), restores into an empty database, equal to the source by ark and by independent SQL" {
	run --separate-stderr "$TRANSFER" --archive "$OUT" --json "$DB" "$ARK_TEST_DB"
	assert_status 0
	assert_stderr_empty
	printf '%s\n' "$output" >result.json
	archive=$(the_archive chinook)
	[[ $(stat -c %a "$archive") == 600 ]]
	[[ $(json_get result.json 'j["archive"]["path"]') == "$archive" ]]
	[[ $(json_get result.json 'j["archive"]["size"]') == $(stat -c %s "$archive") ]]
	[[ $(json_get result.json 'j["archive"]["xxh128"]') == $(xxh "$archive") ]]
	[[ $(json_get result.json 'j["source_kind"]') == sqlite ]]
	assert_dir_empty "$TMPDIR"

	run --separate-stderr "$VERIFY" --deep "$archive"
	assert_status 0
	assert_output_has "OK (pg archive of "
	assert_output_has "13 members"
	assert_output_has "deep: raw hashes and 11 table digests (15607 rows) ok"

	# what is in it, read without ark: target schema and names, the plan's
	# DDL, COPY text equal to what PostgreSQL holds
	tar -xOf "$archive" MANIFEST.json >manifest.json
	[[ $(json_get manifest.json 'j["kind"] + " " + j["tool"]') == "pg ark-transfer" ]]
	[[ $(json_get manifest.json 'j["source"]["type"]') == sqlite ]]
	[[ $(json_get manifest.json 'j["source"]["path"]') == "$DB" ]]
	[[ $(json_get manifest.json '"archive_path" in j["source"]') == False ]]
	[[ $(json_get manifest.json 'sorted(m["table"]["schema"] + "." + m["table"]["name"] for m in j["members"] if m["role"] == "pg-table-data")') == \
	   "['public.album', 'public.artist', 'public.customer', 'public.employee', 'public.genre', 'public.invoice', 'public.invoiceline', 'public.mediatype', 'public.playlist', 'public.playlisttrack', 'public.track']" ]]
	[[ $(json_get manifest.json '[m["table"]["columns"] for m in j["members"] if m.get("table", {}).get("name") == "invoice"][0][8]') == \
	   "{'name': 'total', 'type': 'numeric(10,2)'}" ]]
	member "$archive" schema/pre-data.sql.zst >pre.sql
	[[ $(grep -c '^CREATE TABLE "public"\.' pre.sql) == 11 ]]
	member "$archive" schema/post-data.sql.zst >post.sql
	[[ $(grep -c 'FOREIGN KEY' post.sql) == 11 ]]
	n=$(json_get manifest.json '[m["path"] for m in j["members"] if m.get("table", {}).get("name") == "track"][0]')
	[[ $(member "$archive" "$n" | sha256sum) == \
	   $(psql_q "COPY (SELECT trackid, name, albumid, mediatypeid, genreid, composer, milliseconds, bytes, unitprice FROM track) TO STDOUT" | sha256sum) ]]

	restored=$(newdb _restored)
	run --separate-stderr "$RESTORE" "$archive" "$restored"
	assert_status 0
	run --separate-stderr "$VERIFY" "$DB" "$restored"
	assert_status 0
	assert_output_has "11 tables: 11 equal, 0 different, 0 only in SOURCE, 0 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET"
	run --separate-stderr "$VERIFY" "$DB" "$archive"
	assert_status 0
	assert_output_has "11 tables: 11 equal, 0 different"
	run --separate-stderr "$VERIFY" "$archive" "$restored"
	assert_status 0
	assert_output_has "11 tables: 11 equal, 0 different"

	# independent SQL on the restored database
	export PGDATABASE=${PGDATABASE}_restored
	for t in Album Artist Customer Employee Genre Invoice InvoiceLine MediaType Playlist PlaylistTrack Track; do
		lite=$(sqlite3 "$DB" "SELECT count(*) FROM \"$t\"")
		pg=$(psql_q "SELECT count(*) FROM public.\"${t,,}\"")
		[[ $lite == "$pg" ]] || fail "$t: sqlite $lite rows, restored $pg"
	done
	[[ $(psql_q "SELECT sum(total) FROM invoice") == \
	   $(sqlite3 "$DB" "SELECT printf('%.2f', sum(Total)) FROM Invoice") ]]
	[[ $(psql_q "SELECT sum(milliseconds), sum(bytes) FROM track") == \
	   $(sqlite3 "$DB" "SELECT sum(Milliseconds) || '|' || sum(Bytes) FROM Track") ]]
	[[ $(psql_q "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND contype IN ('p', 'f')") == 22 ]]
	max=$(sqlite3 "$DB" "SELECT max(TrackId) FROM Track")
	next=$(psql_q "INSERT INTO track (name, mediatypeid, milliseconds, unitprice) VALUES ('new', 1, 1, 0.99) RETURNING trackid")
	((next > max)) || fail "identity hands out $next, SQLite's max is $max"
}

@test "--archive: a failed transfer leaves no file in DIR (unconvertible value, target not empty, existing FILE)" {
	sqlite3 bad.sqlite "CREATE TABLE t(id INTEGER PRIMARY KEY, d DATE); INSERT INTO t VALUES (1, '2024-02-30');"
	run --separate-stderr "$TRANSFER" -q --archive "$OUT" bad.sqlite "$ARK_TEST_DB"
	assert_status 15
	assert_dir_empty "$OUT"
	assert_target_untouched

	psql_q "CREATE TABLE album (x int)"
	run --separate-stderr "$TRANSFER" -q --archive "$OUT" "$DB" "$ARK_TEST_DB"
	assert_status 14
	assert_error ark-transfer 'schema "public" already has a relation "album"; transfer into another --schema, or drop it first'
	assert_dir_empty "$OUT"
	assert_dir_empty "$TMPDIR"

	# a failure after every member was written (the swap finds a name
	# taken by a relation that is not a table of the plan): no file
	psql_q "DROP TABLE album; CREATE TABLE album_albumid_seq (x int)"
	run --separate-stderr "$TRANSFER" -q --archive "$OUT" "$DB" "$ARK_TEST_DB"
	assert_status 14
	assert_error ark-transfer 'schema "public" already has a table "album_albumid_seq", the name the plan gives the identity'"'"'s sequence of table "album"'
	assert_dir_empty "$OUT"
	assert_dir_empty "$TMPDIR"
	[[ $(psql_q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'") == 1 ]]

	# a file named that exists is never replaced, and refused before
	# PostgreSQL is touched
	echo keep >"$OUT/mine.ark"
	run --separate-stderr "$TRANSFER" -q --archive "$OUT/mine.ark" --schema other "$DB" "$ARK_TEST_DB"
	assert_status 7
	[[ $stderr == "ark-transfer: error: --archive: '$OUT/mine.ark' already exists; refusing to overwrite it" ]] ||
		{ show_run; false; }
	[[ $(cat "$OUT/mine.ark") == keep && $(ls -A "$OUT") == mine.ark ]]
	[[ $(psql_q "SELECT count(*) FROM pg_namespace WHERE nspname = 'other' OR nspname LIKE 'ark_%'") == 0 ]]

	run --separate-stderr "$TRANSFER" --archive "$OUT/missing/" "$DB" "$ARK_TEST_DB"
	assert_status 5
	[[ $stderr == "ark-transfer: error: --archive: cannot write '$OUT/missing/': directory '$OUT/missing' does not exist" ]] ||
		{ show_run; false; }
	run --separate-stderr "$TRANSFER" --plan --archive "$OUT" "$DB"
	assert_status 2
	[[ $stderr == "ark-transfer: error: --archive does not go with --plan (nothing is loaded, so nothing is archived)"$'\n'"Try 'ark-transfer --help' for more information." ]] ||
		{ show_run; false; }
	[[ $(ls -A "$OUT") == mine.ark ]]
}

@test "--archive: two runs into one DIR give two archives, nothing overwritten; a FILE name is taken as given" {
	run --separate-stderr "$TRANSFER" -q --archive "$OUT/" --schema one "$DB" "$ARK_TEST_DB"
	assert_status 0
	first=$(the_archive chinook)
	sum=$(sha256sum "$first")
	run --separate-stderr "$TRANSFER" -q --archive "$OUT" --schema two "$DB" "$ARK_TEST_DB"
	assert_status 0
	[[ $(ls -A "$OUT" | wc -l) == 2 ]]
	[[ $(sha256sum "$first") == "$sum" ]]
	for a in "$OUT"/*.ark; do
		[[ $(basename "$a") =~ ^chinook-$ARCHIVE_STAMP_RE\.ark$ ]]
	done
	second=$(ls "$OUT"/*.ark | grep -v "$first")
	[[ $(tar -xOf "$second" MANIFEST.json | python3 -c 'import json,sys; print(sorted({m["table"]["schema"] for m in json.load(sys.stdin)["members"] if "table" in m}))') == "['two']" ]]
	# pre-data creates the schema, as pg_dump does: it restores into an
	# empty database
	restored=$(newdb _r)
	run --separate-stderr "$RESTORE" "$second" "$restored"
	assert_status 0
	[[ $(member "$second" schema/pre-data.sql.zst | head -1) == 'CREATE SCHEMA "two";' ]]
	[[ $(PGDATABASE=${PGDATABASE}_r psql_q "SELECT count(*) FROM two.track") == 3503 ]]

	run --separate-stderr "$TRANSFER" -q --archive "$OUT/named.ark" --schema three "$DB" "$ARK_TEST_DB"
	assert_status 0
	run --separate-stderr "$VERIFY" "$OUT/named.ark"
	assert_status 0
	[[ $(ls -A "$OUT" | wc -l) == 3 ]]
}

@test "a sqlite archive as SOURCE: verified, transferred, identical; --archive records it; the temporary image is gone" {
	snap=$(snapshot_one "$DB" "$BATS_TEST_TMPDIR/")
	run --separate-stderr "$TRANSFER" --archive "$OUT" --schema app "$snap" "$ARK_TEST_DB"
	assert_status 0
	assert_stderr_empty
	[[ ${lines[-1]} == "archive: $OUT/chinook-"* ]] || { show_run; false; }
	[[ ${lines[-2]} == "source: archive '$snap', every hash verified" ]] || { show_run; false; }
	assert_dir_empty "$TMPDIR"
	archive=$(the_archive chinook)

	run --separate-stderr "$VERIFY" --schema app "$snap" "$ARK_TEST_DB"
	assert_status 0
	assert_output_has "11 tables: 11 equal, 0 different, 0 only in SOURCE, 0 only in TARGET; 15607 rows in SOURCE, 15607 in TARGET"
	run --separate-stderr "$VERIFY" --compare --schema app "$snap" "$archive"
	assert_status 0
	assert_output_has "11 tables: 11 equal, 0 different"

	tar -xOf "$archive" MANIFEST.json >manifest.json
	tar -xOf "$snap" MANIFEST.json >snap.json
	[[ $(json_get manifest.json 'j["source"]["archive_path"]') == "$snap" ]]
	[[ $(json_get manifest.json 'j["source"]["archive_xxh128"]') == $(xxh "$snap") ]]
	# the database's identity is the snapshot's
	for k in path size schema_xxh128 page_count sqlite_version; do
		[[ $(json_get manifest.json "j['source']['$k']") == $(json_get snap.json "j['source']['$k']") ]] ||
			fail "source.$k differs"
	done

	run --separate-stderr "$TRANSFER" --json --schema app2 "$snap" "$ARK_TEST_DB"
	assert_status 0
	printf '%s\n' "$output" >result.json
	[[ $(json_get result.json 'j["source_kind"]') == "sqlite archive" ]]
	[[ $(json_get result.json 'j["archive"]') == None ]]
	assert_dir_empty "$TMPDIR"
}

@test "a damaged sqlite archive as SOURCE: exit 4 with the archive's message, PostgreSQL untouched, no temporary left; a pg archive: exit 3" {
	sqlite3 small.sqlite "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'one'), (2, 'two');"
	snap=$(snapshot_one small.sqlite "$BATS_TEST_TMPDIR/")
	cp "$snap" bad.ark
	flip_byte bad.ark 1600
	run --separate-stderr "$TRANSFER" --archive "$OUT" bad.ark "$ARK_TEST_DB"
	assert_status 4
	[[ $stderr =~ ^"ark-transfer: error: bad.ark: member 'database.sqlite.zst': stored data hash mismatch (manifest "[0-9a-f]{32}", actual "[0-9a-f]{32}")"$ ]] ||
		{ show_run; false; }
	assert_output_empty
	assert_target_untouched
	assert_dir_empty "$TMPDIR"
	assert_dir_empty "$OUT"

	# a flipped byte in its first header: still an archive (by its name)
	cp "$snap" head.ark
	flip_byte head.ark 0
	run --separate-stderr "$TRANSFER" head.ark "$ARK_TEST_DB"
	assert_status 4
	assert_error ark-transfer "head.ark"
	assert_target_untouched

	# the intact one goes through
	run --separate-stderr "$TRANSFER" -q --archive "$OUT" "$snap" "$ARK_TEST_DB"
	assert_status 0
	[[ $(psql_q "SELECT string_agg(v, ',' ORDER BY id) FROM t") == one,two ]]
	pgarchive=$(the_archive small)

	# an archive of kind pg is not a SQLite source
	pg_newdb
	run --separate-stderr "$TRANSFER" "$pgarchive" "$ARK_TEST_DB"
	assert_status 3
	[[ $stderr == "ark-transfer: error: $pgarchive: a 'pg' archive, not a SQLite one" ]] || { show_run; false; }
	assert_target_untouched
	assert_dir_empty "$TMPDIR"
}

@test "--data-only --archive: the loaded tables' rows, no pre-data (the tables are the application's), sequences as post-data" {
	sqlite3 app.sqlite "CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, done INTEGER);
		INSERT INTO item VALUES (1, 'a', 0), (2, 'b', 1), (7, 'c', 1);"
	ddl='CREATE TABLE item (id bigserial PRIMARY KEY, name text NOT NULL, done boolean, created timestamptz DEFAULT now())'
	psql_q "$ddl"
	run --separate-stderr "$TRANSFER" -v --jobs 3 --data-only --archive "$OUT" app.sqlite "$ARK_TEST_DB"
	assert_status 0
	# the thread budget: one table, so the rest of --jobs compresses it
	assert_stderr_has 'ark-transfer: debug: archiving table "item" with 2 zstd workers'
	archive=$(the_archive app)
	[[ -z $(member "$archive" schema/pre-data.sql.zst) ]]
	member "$archive" schema/post-data.sql.zst | grep -q 'setval'
	tar -xOf "$archive" MANIFEST.json >manifest.json
	[[ $(json_get manifest.json '[m["table"] for m in j["members"] if "table" in m]') == \
	   "[{'schema': 'public', 'name': 'item', 'columns': [{'name': 'id', 'type': 'bigint'}, {'name': 'name', 'type': 'text'}, {'name': 'done', 'type': 'boolean'}]}]" ]]
	[[ $(member "$archive" data/0000001.copy.zst) == $'1\ta\tf\n2\tb\tt\n7\tc\tt' ]]
	# equal to the source (the application's extra column is not in it)
	run --separate-stderr "$VERIFY" app.sqlite "$archive"
	assert_status 0
	assert_output_has "1 table: 1 equal"
	run --separate-stderr "$VERIFY" --deep "$archive"
	assert_status 0
	# restorable into the application's (empty) tables
	restored=$(newdb _app)
	PGDATABASE=${PGDATABASE}_app psql_q "$ddl"
	run --separate-stderr "$RESTORE" --table item "$archive" "$restored"
	assert_status 0
	[[ $(PGDATABASE=${PGDATABASE}_app psql_q "SELECT id, name, done FROM item ORDER BY id") == $'1|a|f\n2|b|t\n7|c|t' ]]
}
