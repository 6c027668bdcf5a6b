#!/usr/bin/env bats
# Archives crafted to attack the reader: paths outside the target, links,
# devices, FIFOs, directories, lying sizes, an oversized manifest, and
# things that are not archives at all.  ark-checksum-verify must refuse
# them with exit 4 and a message that names the problem; ark-restore must
# refuse them with exit 4 and create nothing, anywhere.
#
# The hostile member comes first (the genuine members of a real archive
# follow), so the reader meets it before anything else; see
# arkfmt.py cmd_hostile.

load helpers

setup_file() {
	[[ -x $SNAPSHOT ]] || return 0
	cd "$BATS_FILE_TMPDIR"
	make_small_db small.db
	"$SNAPSHOT" -q -o small.ark small.db >/dev/null
	export SMALL_ARK=$BATS_FILE_TMPDIR/small.ark
}

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	[[ -f $SMALL_ARK ]] || fail "setup_file did not make small.ark"
	# $WORK/run is the cwd, $WORK/run/t the target directory: an escape
	# relative to either lands in $WORK or $WORK/run.
	enter_workdir
	mkdir -p run/t
	cd run
	PASSWD_SUM=$(xxh /etc/passwd)
}

# hostile_case KIND MESSAGE ESCAPE... [-- ARGS for arkfmt hostile]
# Build the archive, check verify and restore refuse it with MESSAGE, and
# that none of the ESCAPE paths exists afterwards.
hostile_case() {
	local kind=$1 message=$2
	shift 2
	local -a args=() escapes=()
	while (($#)); do
		if [[ $1 == -- ]]; then
			shift
			args=("$@")
			break
		fi
		escapes+=("$1")
		shift
	done
	arkfmt hostile "$kind" "$SMALL_ARK" evil.ark "${args[@]}"
	tar -tvf evil.ark >tar-listing.txt 2>&1 || true

	run --separate-stderr "$VERIFY" evil.ark
	assert_status 4
	assert_output_has "evil.ark: FAILED"
	assert_error ark-checksum-verify "evil.ark: "
	assert_stderr_has "$message"

	run --separate-stderr "$VERIFY" --deep evil.ark
	assert_status 4
	assert_stderr_has "$message"

	run --separate-stderr "$RESTORE" evil.ark t/target.db
	assert_status 4
	assert_error ark-restore "$message"
	assert_dir_empty t
	run --separate-stderr "$RESTORE" --force evil.ark t/target.db
	assert_status 4
	assert_dir_empty t

	# nothing escaped: not beside the cwd, the target or the work dir
	assert_no_such "${escapes[@]}"
	[[ $(ls -A | sort | tr '\n' ' ') == "evil.ark t tar-listing.txt " ]] ||
		fail "new files in the cwd: $(ls -A)"
	[[ $(ls -A "$WORK") == run ]] || fail "new files in $WORK: $(ls -A "$WORK")"
	[[ $(xxh /etc/passwd) == "$PASSWD_SUM" ]] || fail "/etc/passwd changed"
}

@test "absolute member path /etc/passwd: unsafe path" {
	hostile_case file "has an unsafe path" -- /etc/passwd
}

@test "absolute member path to a fresh file: unsafe path, not created" {
	local abs=$BATS_TEST_TMPDIR/abs/x
	mkdir -p "$BATS_TEST_TMPDIR/abs"
	hostile_case file "has an unsafe path" "$abs" -- "$abs"
	[[ -z $(ls -A "$BATS_TEST_TMPDIR/abs") ]] || fail "created in abs/"
}

@test "member path ../escape: unsafe path" {
	hostile_case file "has an unsafe path" ../escape ../../escape t/../../escape \
		-- ../escape
}

@test "member path a/../../b: unsafe path" {
	hostile_case file "has an unsafe path" ../b b a ../../b -- a/../../b
}

@test "member path ./database.sqlite.zst and odd characters: unsafe path" {
	hostile_case file "has an unsafe path" -- ./database.sqlite.zst
	rm -f evil.ark tar-listing.txt
	hostile_case file "has an unsafe path" -- 'data base.sqlite.zst'
	rm -f evil.ark tar-listing.txt
	hostile_case file "has an unsafe path" -- 'a//b.sqlite.zst'
	rm -f evil.ark tar-listing.txt
	hostile_case file "has an unsafe path" -- "$(printf 'p%.0s' {1..300}).zst"
}

@test "a newline in a member name cannot forge a second stderr line" {
	# errors are one line "<tool>: error: ..."; a hostile name must be
	# escaped or cut, not printed raw
	hostile_case file "has an unsafe path" -- $'x\nark-restore: error: forged.sqlite.zst'
}

@test "hostile pax path record behind a benign ustar name: unsafe path" {
	hostile_case pax-path "has an unsafe path" ../escape.sqlite.zst \
		../../escape.sqlite.zst -- ../../escape.sqlite.zst
}

@test "GNU long name member with ..: unsafe path" {
	local long
	long=../$(printf 'y%.0s' {1..120})
	hostile_case gnu-longname "has an unsafe path" "$long" "../$long" -- "$long"
}

@test "symbolic link member (database.sqlite.zst -> /etc/passwd)" {
	hostile_case symlink "is a symbolic link" database.sqlite.zst \
		t/database.sqlite.zst -- database.sqlite.zst /etc/passwd
}

@test "symbolic link member pointing outside (link -> ../../outside)" {
	hostile_case symlink "is a symbolic link" link t/link ../outside \
		-- link ../../outside
}

@test "hard link member (database.sqlite.zst => /etc/shadow)" {
	hostile_case hardlink "is a hard link" database.sqlite.zst \
		t/database.sqlite.zst -- database.sqlite.zst /etc/shadow
}

@test "character device member" {
	hostile_case chardev "is a character device" null t/null -- null
}

@test "FIFO member" {
	hostile_case fifo "is a FIFO" fifo t/fifo -- fifo
}

@test "directory member" {
	hostile_case dir "is a directory" dir t/dir -- dir
	rm -f evil.ark tar-listing.txt
	hostile_case dir "is a directory" database.sqlite.zst \
		t/database.sqlite.zst -- database.sqlite.zst
}

@test "declared size 8 GiB-1 in the ustar header, small file: past the end" {
	hostile_case huge-ustar "past the end"
	grep -q 8589934591 tar-listing.txt ||
		fail "test bug: the header does not declare 8 GiB-1: $(cat tar-listing.txt)"
	assert_stderr_has "8589934591"
}

@test "declared size 8 GiB in the pax size record, small file: past the end" {
	hostile_case huge-pax "past the end"
	assert_stderr_has "8589934592"
}

@test "MANIFEST.json larger than 64 MiB: refused before it is read" {
	hostile_case huge-manifest "more than"
	assert_stderr_has "MANIFEST.json"
	rm -f evil.ark
}

@test "fully consistent archive whose data member path is ../evil.sqlite.zst" {
	hostile_case consistent-path "has an unsafe path" ../evil.sqlite.zst \
		evil.sqlite.zst ../../evil.sqlite.zst -- ../evil.sqlite.zst
}

@test "not an archive: text, random bytes, a gzip- or zstd-compressed ark: exit 4" {
	printf 'hello\n' >text.ark
	head -c 4096 /dev/urandom >random.ark
	head -c 10240 /dev/zero >zeros.ark
	gzip -c "$SMALL_ARK" >gz.ark
	zstd -q -c "$SMALL_ARK" >zst.ark
	local f
	for f in text random zeros gz zst; do
		run --separate-stderr "$VERIFY" "$f.ark"
		assert_status 4
		assert_output_has "$f.ark: FAILED"
		assert_error ark-checksum-verify "$f.ark: "
		run --separate-stderr "$RESTORE" "$f.ark" t/target.db
		assert_status 4
		assert_error ark-restore "$f.ark"
		assert_dir_empty t
	done
	run --separate-stderr "$VERIFY" text.ark
	assert_stderr_has "not an ark archive"
}

@test "empty file as ARCHIVE: exit 4, not an ark archive" {
	: >empty.ark
	run --separate-stderr "$VERIFY" empty.ark
	assert_status 4
	assert_output_has "empty.ark: FAILED"
	assert_error ark-checksum-verify "empty.ark: "
	assert_stderr_has "not an ark archive"
	run --separate-stderr "$RESTORE" empty.ark t/target.db
	assert_status 4
	assert_error ark-restore "empty.ark"
	assert_dir_empty t
}

@test "directory or device as ARCHIVE: exit 3, not a regular file" {
	mkdir dir.ark
	local a
	for a in dir.ark /dev/null; do
		run --separate-stderr "$VERIFY" "$a"
		assert_status 3
		assert_output_has "$a: FAILED"
		assert_error ark-checksum-verify "not a regular file"
		assert_stderr_has "$a"
		run --separate-stderr "$RESTORE" "$a" t/target.db
		assert_status 3
		assert_error ark-restore "not a regular file"
		assert_dir_empty t
	done
}

@test "FIFO as ARCHIVE: exit 3 at once, no hang waiting for a writer" {
	mkfifo fifo.ark
	run --separate-stderr timeout 3 "$VERIFY" fifo.ark
	assert_status 3
	assert_error ark-checksum-verify "not a regular file"
	run --separate-stderr timeout 3 "$RESTORE" fifo.ark t/target.db
	assert_status 3
	assert_error ark-restore "not a regular file"
	assert_dir_empty t
}

@test "ARCHIVE as a symlink to a hostile file is judged by its content" {
	arkfmt hostile symlink "$SMALL_ARK" evil.ark database.sqlite.zst /etc/passwd
	ln -s evil.ark link.ark
	run --separate-stderr "$VERIFY" link.ark
	assert_status 4
	assert_stderr_has "is a symbolic link"
	# while a symlink to a good archive is fine
	ln -s "$SMALL_ARK" good.ark
	run --separate-stderr "$VERIFY" good.ark
	assert_status 0
}
