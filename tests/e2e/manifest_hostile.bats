#!/usr/bin/env bats
# Forged manifests: every hash in these archives is right (arkfmt forge
# recomputes the tar headers, prefix_xxh128, XXH128SUMS and the tail after
# changing the manifest, and `xxhsum -c` agrees), so only the manifest's
# own validation stands between the value and its consumers.  Each field
# constraint of docs/archive-format.md ("Field constraints") is broken
# once: ark-checksum-verify and ark-restore must refuse with the exact
# status and message, never crash, and ark-restore must write nothing.
# Values a writer can legitimately produce at the edges are accepted.

load helpers

# The base archive has a fixed creation time, so messages are exact.
CREATED_UNIX=1763861880
CREATED=2025-11-23T01:38:00Z

setup_file() {
	[[ -x $SNAPSHOT ]] || return 0
	cd "$BATS_FILE_TMPDIR"
	make_small_db small.db
	"$SNAPSHOT" -q -o small.ark small.db >/dev/null
	python3 "$ARKFMT" forge small.ark base.ark \
		"created_unix=$CREATED_UNIX" "created=\"$CREATED\""
	export BASE_ARK=$BATS_FILE_TMPDIR/base.ark
}

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	[[ -f $BASE_ARK ]] || fail "setup_file did not make base.ark"
	enter_workdir
	cp "$BASE_ARK" base.ark
	mkdir t
}

# assert_stderr_is TEXT - stderr of the last run is exactly TEXT.
assert_stderr_is() {
	if [[ ${stderr-} != "$1" ]]; then
		show_run >&2
		fail "stderr is not exactly: $1"
	fi
}

# assert_consistent ARCHIVE - the standard tools find every hash right:
# the members' and the manifest's (xxhsum -c) and the prefix's.
assert_consistent() {
	local dir=$BATS_TEST_TMPDIR/x prefix_size
	rm -rf "$dir" && mkdir "$dir"
	tar -xmf "$1" -C "$dir" || fail "test bug: $1 is not a tar file"
	(cd "$dir" && zstd -q -d database.sqlite.zst &&
		xxhsum -c --quiet XXH128SUMS) ||
		fail "test bug: $1 is not consistent (xxhsum -c)"
	prefix_size=$(arkfmt manifest "$1" prefix_size)
	[[ $(head -c "$prefix_size" "$1" | xxhsum -H2 - | cut -d' ' -f1) == \
		$(arkfmt manifest "$1" prefix_xxh128) ]] ||
		fail "test bug: $1: prefix_xxh128 is not the prefix's hash"
	rm -rf "$dir"
}

# refused STATUS MESSAGE CHANGE... - forge base.ark with the CHANGEs
# (arkfmt KEY=JSON or -KEY); ark-checksum-verify, with and without --deep,
# and ark-restore must exit STATUS, each with exactly one error line
# "TOOL: error: forged.ark: MESSAGE", and ark-restore must leave t/ empty.
refused() {
	local want=$1 message=$2
	shift 2
	arkfmt forge base.ark forged.ark "$@"
	local deep
	for deep in "" --deep; do
		run --separate-stderr "$VERIFY" $deep forged.ark
		assert_status "$want"
		assert_output_has "forged.ark: FAILED"
		assert_stderr_is "ark-checksum-verify: error: forged.ark: $message"
	done
	run --separate-stderr "$RESTORE" forged.ark t/target.db
	assert_status "$want"
	assert_stderr_is "ark-restore: error: forged.ark: $message"
	assert_dir_empty t
}

# accepted CHANGE... - the forged archive verifies (--deep too) and
# restores, exit 0.
accepted() {
	arkfmt forge base.ark forged.ark "$@"
	run --separate-stderr "$VERIFY" --deep forged.ark
	assert_status 0
	run --separate-stderr "$RESTORE" forged.ark t/target.db
	assert_status 0
	rm -f t/target.db
}

@test "the base archive is consistent and accepted" {
	assert_consistent base.ark
	arkfmt forge base.ark same.ark
	cmp -s base.ark same.ark || fail "test bug: forge does not reproduce the archive"
	run --separate-stderr "$VERIFY" --deep base.ark
	assert_status 0
	assert_output_has "sqlite archive of $CREATED,"
}

@test "forged archives are consistent: the standard tools find every hash right" {
	# forge changes only the manifest text and the tar mtime, so these
	# stand for every case below
	local change
	for change in created_unix=99999999999999999 source.page_count=4294967295 \
		'source.host="h\u0007"' 'tool=""'; do
		arkfmt forge base.ark forged.ark "$change"
		assert_consistent forged.ark
	done
}

@test "created_unix beyond gmtime_r: exit 4 from both tools (verify crashed, restore accepted it)" {
	refused 4 'manifest: "created_unix" is 99999999999999999, outside 0..8589934591' \
		created_unix=99999999999999999
}

@test "created_unix outside what a tar header's 11 octal digits hold: exit 4" {
	refused 4 'manifest: "created_unix" is 8589934592, outside 0..8589934591' \
		created_unix=8589934592 'created="2242-03-16T12:56:32Z"'
	refused 4 'manifest: "created_unix" is -1, outside 0..8589934591' \
		created_unix=-1 'created="1969-12-31T23:59:59Z"'
	refused 4 'manifest: "created_unix" is missing or not an integer' \
		'created_unix="1763861880"'
	refused 4 'manifest: "created_unix" is missing or not an integer' \
		-created_unix
}

@test "created_unix at the edges of the tar mtime field is accepted" {
	accepted created_unix=8589934591 'created="2242-03-16T12:56:31Z"'
	arkfmt forge base.ark late.ark created_unix=8589934591 'created="2242-03-16T12:56:31Z"'
	# the tar headers carry it, as the format says
	TZ=UTC tar -tvf late.ark | grep -q '2242-03-16 12:56 database.sqlite.zst' ||
		fail "tar does not show the 2242 mtime: $(TZ=UTC tar -tvf late.ark)"
	accepted created_unix=0 'created="1970-01-01T00:00:00Z"'
}

@test "created must be created_unix as UTC text" {
	refused 4 "manifest: \"created\" does not match \"created_unix\" ($CREATED)" \
		'created="2025-11-23T01:38:01Z"'
	refused 4 "manifest: \"created\" does not match \"created_unix\" ($CREATED)" \
		'created="2025-11-23T01:38:00+00:00"'
	refused 4 'manifest: "created" is missing or not a string' -created
}

@test "page_size x page_count that wraps to the image's size: exit 4 (restore accepted it)" {
	local pages huge
	pages=$(arkfmt manifest base.ark source page_count)
	[[ $(arkfmt manifest base.ark source page_size) == 1024 ]] ||
		fail "test bug: make_small_db is not 1024-byte pages"
	# 1024 x (2^54 + pages) = 2^64 + the image's size
	huge=$(((1 << 54) + pages))
	refused 4 "manifest: source: \"page_count\" is $huge, outside 0..4294967294" \
		"source.page_count=$huge"
	refused 4 'manifest: source: "page_count" is 4294967295, outside 0..4294967294' \
		source.page_count=4294967295
	refused 4 'manifest: source: "page_count" is missing or not an integer' \
		-source.page_count
}

@test "page_size must be a power of two from 512 to 65536" {
	local size
	for size in 1000 256 131072 0 -1024 1536; do
		refused 4 "manifest: source: \"page_size\" is $size, not a power of two from 512 to 65536" \
			"source.page_size=$size"
	done
	refused 4 'manifest: source: "page_size" is missing or not an integer' \
		'source.page_size="1024"'
	refused 4 'manifest: source: "page_size" is missing or not an integer' \
		-source.page_size
}

@test "page_size x page_count other than the image's size: --deep and restore refuse" {
	local pages raw
	pages=$(arkfmt manifest base.ark source page_count)
	raw=$(arkfmt manifest base.ark members 0 raw_size)
	arkfmt forge base.ark forged.ark "source.page_count=$((pages + 1))"
	assert_consistent forged.ark
	# every hash is right and every field in range: plain verify passes
	run --separate-stderr "$VERIFY" forged.ark
	assert_status 0
	local message="forged.ark: the image's raw size does not match the source's page_size x page_count ($raw bytes, not 1024 x $((pages + 1)))"
	run --separate-stderr "$VERIFY" --deep forged.ark
	assert_status 4
	assert_stderr_is "ark-checksum-verify: error: $message"
	run --separate-stderr "$RESTORE" forged.ark t/target.db
	assert_status 4
	assert_stderr_is "ark-restore: error: $message"
	assert_dir_empty t
}

@test "the source's other numbers: in their SQLite ranges" {
	local pages
	pages=$(arkfmt manifest base.ark source page_count)
	refused 4 'manifest: source: "freelist_count" is 4294967296, outside 0..4294967295' \
		source.freelist_count=4294967296
	refused 4 'manifest: source: "size" is -1, outside 0..9223372036854775807' \
		source.size=-1
	refused 4 'manifest: source: "user_version" is 2147483648, outside -2147483648..2147483647' \
		source.user_version=2147483648
	refused 4 'manifest: source: "application_id" is -2147483649, outside -2147483648..2147483647' \
		source.application_id=-2147483649
	refused 4 'manifest: source: "user_version" is not an integer' \
		'source.user_version="0"'
	# freelist_count is the header's: a damaged one may exceed page_count
	accepted source.user_version=-2147483648 source.application_id=2147483647 \
		"source.freelist_count=$((pages + 1))"
}

@test "the source's strings: bounded, and a fixed alphabet where ark or SQLite writes them" {
	local long
	long=$(printf 'p%.0s' {1..4095})
	refused 4 'manifest: source: "path" is 4096 bytes long, outside 1..4095' \
		"source.path=\"/$long\""
	refused 4 'manifest: source: "path" is 0 bytes long, outside 1..4095' \
		'source.path=""'
	refused 4 'manifest: source: "host" is 256 bytes long, outside 0..255' \
		"source.host=\"${long:0:256}\""
	refused 4 'manifest: source: "path" is not a string' source.path=null
	refused 4 'manifest: source: "journal_mode" holds a character outside [a-z0-9]' \
		'source.journal_mode="WAL"'
	refused 4 'manifest: source: "sqlite_version" holds a character outside [0-9.]' \
		'source.sqlite_version="3.40.1\n"'
	refused 4 'manifest: source: "schema_xxh128" is not a hash (32 lower-case hex digits)' \
		'source.schema_xxh128="00112233445566778899AABBCCDDEEFF"'
	refused 4 'manifest: "source" is missing or not an object' 'source=[]'
}

@test "integrity_check text and tables: bounded, rows not negative" {
	local long
	long=$(head -c 65537 /dev/zero | tr '\0' i)
	refused 4 'manifest: source: "integrity_check" is 65537 bytes long, outside 0..65536' \
		"source.integrity_check=\"$long\""
	refused 4 'manifest: source: "tables" is not an array' 'source.tables={}'
	refused 4 'manifest: source: tables #2 is not an object' \
		'source.tables=[{"name": "a", "rows": 1}, "b"]'
	refused 4 'manifest: source: tables #1: "rows" is -1, outside 0..9223372036854775807' \
		'source.tables=[{"name": "a", "rows": -1}]'
	refused 4 'manifest: source: tables #1: "name" is missing or not a string' \
		'source.tables=[{"rows": 1}]'
	accepted "source.integrity_check=\"${long:1}\"" \
		'source.tables=[{"name": "", "rows": 0}, {"name": "t", "rows": 9223372036854775807}]'
}

@test "strings from the system may hold any character (printers escape them): accepted" {
	accepted 'source.path="/srv/a\nb\u001b[2J.db"' 'source.host="h\u0007\u009b"' \
		'source.integrity_check="row 1 missing from index \"i\nx\""' \
		'source.tables=[{"name": "t\r\n\u007fx", "rows": 1}]'
}

@test "tool, tool_version and kind: printable, bounded; unknown kinds and algorithms: 3" {
	local long
	long=$(printf 'v%.0s' {1..65})
	refused 4 'manifest: "tool" is 0 bytes long, outside 1..64' 'tool=""'
	refused 4 'manifest: "tool_version" is 65 bytes long, outside 1..64' \
		"tool_version=\"$long\""
	refused 4 'manifest: "tool" holds a character outside printable ASCII' \
		'tool="ark-snapshot\u001b[31m"'
	refused 4 'manifest: "tool_version" is missing or not a string' -tool_version
	refused 4 'manifest: "kind" holds a character outside [a-z0-9-]' \
		'kind="SQLITE"'
	refused 3 "archive kind 'mysql' is not supported" 'kind="mysql"'
	refused 3 'manifest: hash algorithm is not "xxh3-128"' 'hash="sha256"'
	refused 3 'manifest: compression is not "zstd"' 'compression="xz"'
}

@test "members: role alphabet, lower-case hashes, raw sizes that cannot add up past 2^63-1" {
	refused 4 'manifest: member #1: "role" holds a character outside [a-z0-9-]' \
		'members.0.role="sqlite image"'
	refused 4 'manifest: member #1: "stored_xxh128" is missing or not a hash (32 lower-case hex digits)' \
		"members.0.stored_xxh128=\"$(arkfmt manifest base.ark members 0 stored_xxh128 | tr a-f A-F)\""
	arkfmt two-members base.ark two.ark
	cp two.ark base.ark
	refused 4 "manifest: the members' raw sizes add up to more than 9223372036854775807 bytes" \
		members.0.raw_size=9223372036854775807 members.1.raw_size=1
}

@test "a --check manifest over 1 MiB (1100 tables with long names) verifies and restores" {
	# the reader's manifest limit was 1 MiB + 4 KiB per member, so
	# ark-snapshot wrote archives that both tools then refused (exit 4)
	python3 - many.db <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA page_size=1024")
con.execute("BEGIN")
for i in range(1100):
    con.execute('CREATE TABLE "%04d%s" (a)' % (i, "n" * 996))
con.commit()
PY
	run --separate-stderr "$SNAPSHOT" -q --check -o many.ark many.db
	assert_status 0
	local size
	size=$(arkfmt layout many.ark | json_get /dev/stdin \
		'[m["size"] for m in j["members"] if m["path"] == "MANIFEST.json"][0]')
	((size > 1048576 + 3 * 4096)) || fail "test bug: the manifest is only $size bytes"
	run --separate-stderr "$VERIFY" --deep many.ark
	assert_status 0
	run --separate-stderr "$RESTORE" many.ark t/many.db
	assert_status 0
	[[ $(sqlite3 t/many.db 'SELECT count(*) FROM sqlite_schema') == 1100 ]] ||
		fail "the restored database does not hold 1100 tables"
}
