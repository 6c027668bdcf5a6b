#!/usr/bin/env bats
# Damaged archives are refused: every flipped byte, every truncation,
# trailing bytes, reordered / missing / extra / duplicated members, a newer
# format version, manifests that lie.  Nothing may be written when
# ark-restore refuses.
#
# Coverage of the flip test (the archive of make_small_db is ~11.5 KiB):
#   * every offset XOR 0x01 and every offset XOR 0xff, checked in batches
#     of 500 archives per ark-checksum-verify process (each must be listed
#     as FAILED with its own error line, the process must exit 4);
#   * XOR 0x01 at every structural offset (arkfmt.py structural_offsets:
#     the first two and last two bytes of every region - each member's
#     pax header block, pax records, padding, ustar header block, data,
#     data padding, the end blocks -, the first and last byte of every
#     header field, the first byte, "=" and newline of every pax record)
#     and at every 23rd offset (~800 runs), one process per damaged copy:
#     exit status exactly 4, one error line;
#   * every 7th offset with --deep (batches), every 97th with ark-restore.
# Truncation: at every length (batches), and one process per length at
# every 512-byte boundary and 300 pseudo-random lengths.
#
# Under ASan (make check-asan sets ARK_TEST_SWEEP=coarse) these sweeps are
# coarser: the default pass has proved every outcome, the ASan pass looks
# for memory errors, where one ASan process costs ~10 default ones.  Then
# the batches flip the structural offsets and every 5th byte (both masks)
# and truncate at the sampled lengths; the per-process flips take the
# structural offsets and every 97th byte, ark-restore every 389th; the
# per-process truncations 40 random lengths besides the boundaries.

load helpers

# sweep DEFAULT COARSE - the spec of a sweep: COARSE under
# ARK_TEST_SWEEP=coarse (make check-asan), DEFAULT otherwise.
sweep() {
	if [[ ${ARK_TEST_SWEEP-} == coarse ]]; then
		echo "$2"
	else
		echo "$1"
	fi
}

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
	enter_workdir
	cp "$SMALL_ARK" small.ark
	run --separate-stderr "$VERIFY" small.ark
	assert_status 0
}

@test "the small archive is small (so that every byte can be damaged)" {
	local size
	size=$(stat -c %s small.ark)
	diag "small.ark is $size bytes"
	((size >= 4096 && size <= 16384)) || fail "small.ark is $size bytes"
	# and it has the layout the damage below is aimed at
	[[ $(tar -tf small.ark | tr '\n' ' ') == "database.sqlite.zst MANIFEST.json XXH128SUMS " ]] ||
		fail "unexpected members"
}

@test "flip: every byte XOR 0x01 and XOR 0xff is detected (batched verify)" {
	run arkfmt flipcheck batch small.ark "$VERIFY" "$(sweep all structure+every:5)" 0x01,0xff
	diag "${lines[0]}"
	[[ $status == 0 ]] || fail "$output"
}

@test "flip: every structural offset and every 23rd byte, one verify run each: exit 4, one error line" {
	run arkfmt flipcheck single small.ark "$VERIFY" \
		"$(sweep structure+every:23 structure+every:97)" 0x01
	diag "${lines[0]}"
	[[ $status == 0 ]] || fail "$output"
}

@test "flip: every 7th byte is detected by verify --deep too" {
	run arkfmt flipcheck batch small.ark "$VERIFY" every:7 0x01 --deep
	diag "${lines[0]}"
	[[ $status == 0 ]] || fail "$output"
}

@test "flip: data member flips are reported as a stored hash mismatch" {
	local off
	off=$(arkfmt manifest small.ark members 0 data_offset)
	flip_byte small.ark $((off + 100))
	run --separate-stderr "$VERIFY" small.ark
	assert_status 4
	assert_output_has "small.ark: FAILED"
	assert_error ark-checksum-verify "small.ark: "
	assert_stderr_has "database.sqlite.zst"
	assert_stderr_has "hash mismatch"
}

@test "truncate: at every length 1..size-1 (batched verify)" {
	run arkfmt truncheck batch small.ark "$VERIFY" "$(sweep all sample)"
	diag "${lines[0]}"
	[[ $status == 0 ]] || fail "$output"
}

@test "truncate: at 512-byte boundaries, random lengths, size-1: exit 4 each" {
	run arkfmt truncheck single small.ark "$VERIFY" "$(sweep sample sample:40)"
	diag "${lines[0]}"
	[[ $status == 0 ]] || fail "$output"
	# and the message says so for a cut in the last block
	head -c $(($(stat -c %s small.ark) - 1)) small.ark >cut.ark
	run --separate-stderr "$VERIFY" cut.ark
	assert_status 4
	assert_error ark-checksum-verify "cut.ark: "
}

@test "trailing bytes: garbage, zero blocks, tar record padding: exit 4" {
	local size
	size=$(stat -c %s small.ark)
	{ cat small.ark; printf x; } >plus1.ark
	{ cat small.ark; printf '\0'; } >plus0.ark
	{ cat small.ark; head -c 512 /dev/urandom; } >plusrandom.ark
	{ cat small.ark; head -c 512 /dev/zero; } >plusblock.ark
	{ cat small.ark; head -c 1024 /dev/zero; } >plus2blocks.ark
	# GNU tar pads to 10240-byte records; an ark file is never padded
	{ cat small.ark; head -c $((10240 - size % 10240)) /dev/zero; } >record.ark
	{ cat small.ark; echo "appended text"; } >plustext.ark
	head -c 512 /dev/zero | cat - small.ark >prepended.ark
	local f
	for f in plus1 plus0 plusrandom plusblock plus2blocks record plustext prepended; do
		run --separate-stderr "$VERIFY" "$f.ark"
		assert_status 4
		assert_error ark-checksum-verify "$f.ark: "
		assert_output_has "$f.ark: FAILED"
	done
	run --separate-stderr "$VERIFY" plus2blocks.ark
	assert_stderr_has "extra bytes"
}

STRUCTURAL=(data-after-manifest sums-before-manifest dropped-data
	dropped-manifest dropped-sums duplicated-data duplicated-manifest
	extra-first extra-before-manifest extra-after-sums
	extra-tar-member-after-end no-end-blocks one-end-block)

@test "members reordered, dropped, duplicated, added; end blocks missing: exit 4" {
	run arkfmt variantcheck single small.ark "$VERIFY" "${STRUCTURAL[@]}"
	diag "${lines[0]}"
	[[ $status == 0 ]] || fail "$output"
	# the standard tools accept some of these: ark must not
	arkfmt variant extra-before-manifest small.ark extra.ark
	tar -tf extra.ark >/dev/null || fail "test bug: extra.ark is not a tar file"
	run --separate-stderr "$VERIFY" extra.ark
	assert_status 4
	assert_error ark-checksum-verify "extra.ark: "
	arkfmt variant duplicated-data small.ark dup.ark
	run --separate-stderr "$VERIFY" dup.ark
	assert_status 4
	assert_error ark-checksum-verify "dup.ark: "
	assert_stderr_has "twice"
}

@test "two data members swapped (the consistent original verifies): exit 4" {
	arkfmt two-members small.ark two.ark
	run --separate-stderr "$VERIFY" two.ark
	assert_status 0
	# every hash holds, but a sqlite archive has exactly one member
	run --separate-stderr "$VERIFY" --deep two.ark
	assert_status 4
	assert_error ark-checksum-verify "two.ark: "
	assert_stderr_has "a sqlite archive must hold one member"
	arkfmt variant swap-two-members two.ark swapped.ark
	run --separate-stderr "$VERIFY" swapped.ark
	assert_status 4
	assert_error ark-checksum-verify "swapped.ark: "
	run --separate-stderr "$RESTORE" swapped.ark target.db
	assert_status 4
	assert_no_such target.db
}

@test "ark-restore refuses damaged archives (4) and writes nothing" {
	run arkfmt flipcheck restore small.ark "$RESTORE" "$(sweep every:97 every:389)" 0x01
	diag "${lines[0]}"
	[[ $status == 0 ]] || fail "$output"
	run arkfmt variantcheck restore small.ark "$RESTORE" "${STRUCTURAL[@]}"
	[[ $status == 0 ]] || fail "$output"
	run arkfmt truncheck restore small.ark "$RESTORE" "$(sweep sample sample:40)"
	[[ $status == 0 ]] || fail "$output"
}

@test "ark-restore --force of a damaged archive leaves the existing TARGET alone" {
	mkdir t
	copy_chinook t/app.db
	cp t/app.db app-copy.db
	local off
	off=$(arkfmt manifest small.ark members 0 data_offset)
	flip_byte small.ark $((off + 10))
	run --separate-stderr "$RESTORE" --force small.ark t/app.db
	assert_status 4
	assert_error ark-restore "small.ark"
	cmp -s t/app.db app-copy.db || fail "TARGET was changed"
	[[ $(ls -A t) == app.db ]] || fail "left in t/: $(ls -A t)"
}

@test "format_version 2 (otherwise consistent): exit 3, not supported" {
	# the model rebuilds the tool's archive byte for byte, so the changed
	# one is exactly what a consistent writer of that manifest would make
	arkfmt rebuild small.ark same.ark
	cmp -s small.ark same.ark || fail "test bug: arkfmt does not reproduce the layout"
	arkfmt rebuild small.ark v2.ark format_version=2
	# every hash in it is right: xxhsum -c agrees
	mkdir x && tar -xf v2.ark -C x
	(cd x && zstd -q -d database.sqlite.zst && xxhsum -c --quiet XXH128SUMS) ||
		fail "test bug: v2.ark is not consistent"
	run --separate-stderr "$VERIFY" v2.ark
	assert_status 3
	assert_output_has "v2.ark: FAILED"
	assert_error ark-checksum-verify "v2.ark: "
	assert_stderr_has "not supported"
	assert_stderr_has "version 2"
	run --separate-stderr "$RESTORE" v2.ark target.db
	assert_status 3
	assert_error ark-restore "not supported"
	assert_no_such target.db
	# an unknown older version is refused the same way
	arkfmt rebuild small.ark v0.ark format_version=0
	run --separate-stderr "$VERIFY" v0.ark
	assert_status 3
	assert_error ark-checksum-verify "v0.ark: "
	assert_stderr_has "not supported"
}

@test "consistent archives whose manifest lies: caught, exit 4, naming the archive" {
	local zero=00000000000000000000000000000000
	arkfmt rebuild small.ark stored.ark "members.0.stored_xxh128=\"$zero\""
	arkfmt rebuild small.ark prefix.ark "prefix_xxh128=\"$zero\""
	arkfmt rebuild small.ark nofmt.ark -format_version
	arkfmt rebuild small.ark strver.ark 'format_version="1"'
	arkfmt rebuild small.ark zip.ark 'format="zip"'
	arkfmt rebuild small.ark nomembers.ark -members
	arkfmt rebuild small.ark evilpath.ark 'members.0.path="../evil.sqlite.zst"'
	arkfmt rebuild small.ark offset.ark members.0.data_offset=1024
	local f
	for f in stored prefix nofmt strver zip nomembers evilpath offset; do
		run --separate-stderr "$VERIFY" "$f.ark"
		assert_status 4
		assert_output_has "$f.ark: FAILED"
		assert_error ark-checksum-verify "$f.ark: "
	done
}

@test "wrong raw_xxh128 or raw_size: plain verify passes, --deep and restore refuse" {
	arkfmt rebuild small.ark raw.ark 'members.0.raw_xxh128="00000000000000000000000000000000"'
	run --separate-stderr "$VERIFY" raw.ark
	assert_status 0
	run --separate-stderr "$VERIFY" --deep raw.ark
	assert_status 4
	assert_error ark-checksum-verify "raw.ark: "
	assert_stderr_has "hash mismatch"
	run --separate-stderr "$RESTORE" raw.ark target.db
	assert_status 4
	assert_no_such target.db
	local raw_size
	raw_size=$(arkfmt manifest small.ark members 0 raw_size)
	local n
	for n in $((raw_size - 1)) $((raw_size + 1)); do
		arkfmt rebuild small.ark size.ark "members.0.raw_size=$n"
		run --separate-stderr "$VERIFY" --deep size.ark
		assert_status 4
		assert_error ark-checksum-verify "size.ark: "
		run --separate-stderr "$RESTORE" size.ark target.db
		assert_status 4
		assert_no_such target.db
	done
	[[ $(ls -A | grep -c tmp) == 0 ]] || fail "temporaries left: $(ls -A)"
}

@test "an intact archive of a database that fails integrity_check: 9" {
	make_small_db bad.db
	sqlite3 bad.db "PRAGMA writable_schema=ON;
		UPDATE sqlite_schema SET sql = 'CREATE INDEX album_artist ON album(title)'
		WHERE name = 'album_artist';"
	[[ $(integrity bad.db | head -1) != ok ]] || fail "test bug: bad.db is fine"
	run --separate-stderr "$SNAPSHOT" --check -o bad.ark bad.db
	assert_status 9
	assert_error ark-snapshot "integrity"
	[[ -f bad.ark ]] || fail "--check failure: the archive is still written"
	run --separate-stderr "$VERIFY" bad.ark
	assert_status 0
	run --separate-stderr "$VERIFY" --deep bad.ark
	assert_status 9
	assert_output_has "bad.ark: FAILED"
	assert_error ark-checksum-verify "bad.ark: "
	assert_stderr_has "integrity_check"
	mkdir t
	run --separate-stderr "$RESTORE" bad.ark t/target.db
	assert_status 9
	assert_error ark-restore "integrity_check"
	assert_dir_empty t
}
