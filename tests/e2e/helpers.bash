# helpers.bash - shared setup and assertions for the e2e suite.
#
# Loaded by every tests/e2e/*.bats with `load helpers`.  The tools are
# always called through $ARK_BIN, so the same suite runs against the
# default build and the ASan+UBSan build (make check-asan).

bats_require_minimum_version 1.5.0

E2E_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
: "${ARK_BIN:=$REPO_DIR/bin}"
: "${ARK_TEST_BUILD:=$REPO_DIR/build/default/tests}"
export ARK_BIN ARK_TEST_BUILD

SNAPSHOT=$ARK_BIN/ark-snapshot
VERIFY=$ARK_BIN/ark-checksum-verify
RESTORE=$ARK_BIN/ark-restore
WRITER=$ARK_TEST_BUILD/helpers/writer
INJECT=$ARK_TEST_BUILD/libinject.so
CHINOOK_SRC=$REPO_DIR/tests/data/chinook.sqlite
ARKFMT=$E2E_DIR/arkfmt.py

# A stamp as the tools write it: YYYYMMDDTHHMMSSZ.
STAMP_RE='[0-9]{8}T[0-9]{6}Z'
# The stamp in ark-snapshot's default archive names: YYYYMMDDTHHMMSS.mmmZ
# (milliseconds, fixed width, so the names sort in creation order).
ARCHIVE_STAMP_RE='[0-9]{8}T[0-9]{6}\.[0-9]{3}Z'

# python3 - the suite starts it hundreds of times, so it is made cheap:
#  - the interpreter `make check-e2e` resolved once (ARK_TEST_PYTHON), not
#    a version manager's shim first on PATH (pyenv's took over 1 s of
#    bash a start here, 8 times the CPU of the interpreter itself); unset
#    (bats run by hand), python3 as PATH finds it;
#  - -S: the tests use only the standard library, so site-packages and
#    their start-up hooks (.pth files, which here imported certifi at
#    every start) are left out.
python3() {
	command "${ARK_TEST_PYTHON:-python3}" -S "$@"
}

arkfmt() {
	python3 "$ARKFMT" "$@"
}

# Skip (loudly) when a tool has not been built; never pass silently.
require_tool() {
	local t
	for t in "$@"; do
		[[ -x $ARK_BIN/$t ]] || skip "$ARK_BIN/$t is not built"
	done
}

require_writer() {
	[[ -x $WRITER ]] || skip "writer helper $WRITER is not built (make $WRITER)"
}

require_inject() {
	[[ -f $INJECT ]] || skip "fault-injection shim $INJECT is not built"
}

# Run a command with the ENOSPC/EIO shim preloaded.  Under ASan the
# sanitizer runtime insists on being first in the link order; the shim
# only interposes write/fsync, so that check is switched off.
with_inject() {
	LD_PRELOAD=$INJECT \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$@"
}

# closed_stdout CMD... - run CMD with its stdout a pipe nobody reads (the
# read end closed, as after `| head -1` has quit) and SIGPIPE at its
# default, as a shell leaves it.
closed_stdout() {
	python3 -c '
import os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
os.close(w)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# fail MESSAGE... - print to the TAP output and fail the test.
fail() {
	printf '%s\n' "$@" >&2
	return 1
}

# Print the last `run` result; used in failure messages.
show_run() {
	printf 'exit status: %s\n' "$status"
	printf -- '--- stdout ---\n%s\n' "$output"
	printf -- '--- stderr ---\n%s\n' "${stderr-}"
}

# assert_status N - the last `run` exited with N.
assert_status() {
	if [[ $status != "$1" ]]; then
		show_run >&2
		fail "expected exit status $1, got $status"
	fi
}

# assert_output_has STRING - stdout of the last `run` contains STRING.
assert_output_has() {
	if [[ $output != *"$1"* ]]; then
		show_run >&2
		fail "stdout does not contain: $1"
	fi
}

# assert_stderr_has STRING - stderr of the last `run --separate-stderr`.
assert_stderr_has() {
	if [[ ${stderr-} != *"$1"* ]]; then
		show_run >&2
		fail "stderr does not contain: $1"
	fi
}

assert_stderr_empty() {
	if [[ -n ${stderr-} ]]; then
		show_run >&2
		fail "stderr is not empty"
	fi
}

assert_output_empty() {
	if [[ -n $output ]]; then
		show_run >&2
		fail "stdout is not empty"
	fi
}

# assert_error TOOL STRING - stderr is exactly one line
# "TOOL: error: ..." containing STRING (the style every tool follows).
assert_error() {
	local tool=$1 want=$2
	if [[ ${stderr-} != "$tool: error: "* || ${stderr-} == *$'\n'* ]]; then
		show_run >&2
		fail "stderr is not one line starting with '$tool: error: '"
	fi
	assert_stderr_has "$want"
}

# assert_files_equal A B
assert_files_equal() {
	cmp -s "$1" "$2" || fail "$1 and $2 differ"
}

# assert_dir_empty DIR - nothing at all in DIR (dot files included).
assert_dir_empty() {
	local left
	left=$(ls -A "$1")
	[[ -z $left ]] || fail "$1 is not empty:" "$left"
}

# assert_no_such PATH... - none of the paths exists (not even a dangling
# symlink).
assert_no_such() {
	local p
	for p in "$@"; do
		if [[ -e $p || -L $p ]]; then
			fail "$p exists but must not"
		fi
	done
}

# enter_workdir - cd into a fresh directory inside $BATS_TEST_TMPDIR (bats
# keeps its own temporaries, e.g. for `run --separate-stderr`, in
# $BATS_TEST_TMPDIR itself, so directory listings are taken here).
enter_workdir() {
	WORK=$BATS_TEST_TMPDIR/w
	mkdir -p "$WORK"
	cd "$WORK"
}

# copy_chinook DEST - a writable copy of the bundled sample database.
copy_chinook() {
	cp "$CHINOOK_SRC" "$1"
	chmod 0644 "$1"
}

# make_small_db DEST - 3 tables, a few hundred rows, a few pages: its
# archive is about 10 KiB, small enough to damage every byte of.
make_small_db() {
	sqlite3 "$1" <<'EOF'
PRAGMA page_size=1024;
CREATE TABLE artist(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE album(id INTEGER PRIMARY KEY, artist INTEGER REFERENCES artist,
                   title TEXT);
CREATE TABLE note(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
CREATE INDEX album_artist ON album(artist);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO artist SELECT i, 'artist ' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO album SELECT i, 1 + i % 100, 'album ' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO note SELECT 'k' || i, zeroblob(i) FROM n;
EOF
}

# snapshot_one DB OUT [OPTION...] - snapshot DB to the file or directory
# OUT, fail unless it exits 0, and print the archive path from the
# "archive: " line.
snapshot_one() {
	local db=$1 out=$2 text
	shift 2
	if ! text=$("$SNAPSHOT" "$@" -o "$out" "$db"); then
		fail "ark-snapshot $* -o $out $db failed"
		return 1
	fi
	text=$(sed -n 's/^archive: //p' <<<"$text")
	if [[ -z $text || ! -f $text ]]; then
		fail "no 'archive:' line naming a file: '$text'"
		return 1
	fi
	printf '%s\n' "$text"
}

# flip_byte FILE OFFSET [MASK] - XOR one byte of FILE in place (0x01).
flip_byte() {
	arkfmt flip "$@"
}

# dump DB - the database's SQL dump (read only).
dump() {
	sqlite3 "$1" .dump
}

# integrity DB - PRAGMA integrity_check
integrity() {
	sqlite3 "$1" 'PRAGMA integrity_check'
}

# keep_wal DB SQL - run SQL with automatic checkpoints off and leave the
# process without closing the connection, so the WAL keeps the changes
# (a clean close would checkpoint and delete it).  DB must be in WAL mode.
keep_wal() {
	python3 - "$1" "$2" <<'EOF'
import os, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA wal_autocheckpoint=0")
con.executescript(sys.argv[2])
sys.stdout.flush()
os._exit(0)
EOF
}

# xxh FILE - XXH3-128 of FILE as xxhsum -H2 prints it.
xxh() {
	xxhsum -H2 "$1" | cut -d' ' -f1
}

# json_get FILE EXPR - evaluate a Python expression on the JSON document
# in FILE, bound to `j`.
json_get() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# now_ms - a monotonic-enough wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# diag TEXT - visible in the TAP output even when the test passes.
diag() {
	printf '# %s\n' "$@" >&3
}
