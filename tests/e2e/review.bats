#!/usr/bin/env bats
# Hostile review of issue 5: defects found after the change was done,
# each with the test that failed before its fix.

load helpers

setup() {
	require_tool ark-snapshot ark-checksum-verify ark-restore
	enter_workdir
}

# ------------------------------------------------ the lock file of TARGET

@test "review: a symlink planted at TARGET's lock name is not followed (no file created where it points)" {
	local arc
	make_small_db small.db
	arc=$(snapshot_one small.db snap.ark)
	mkdir t
	ln -s "$PWD/created-by-ark" t/.app.db.ark-lock
	run --separate-stderr "$RESTORE" "$arc" t/app.db
	assert_status 5
	assert_output_empty
	[[ $stderr == "ark-restore: error: cannot open lock file 't/.app.db.ark-lock' (it is a symbolic link; remove it): Too many levels of symbolic links" ]] ||
		fail "stderr: $stderr"
	assert_no_such created-by-ark t/app.db
	[[ -L t/.app.db.ark-lock ]] || fail "the planted link was removed"
}

@test "review: a FIFO at TARGET's lock name: exit 5 at once, nothing touched" {
	local arc
	make_small_db small.db
	arc=$(snapshot_one small.db snap.ark)
	mkdir t
	mkfifo t/.app.db.ark-lock
	run --separate-stderr timeout 10 "$RESTORE" "$arc" t/app.db
	assert_status 5
	[[ $stderr == "ark-restore: error: lock file 't/.app.db.ark-lock' is not a regular file; remove it" ]] ||
		fail "stderr: $stderr"
	assert_no_such t/app.db
	[[ -p t/.app.db.ark-lock ]] || fail "the FIFO was removed"
}
