#!/usr/bin/env bats
# ark-pg-backup --copy-to / --copy-to-command (ark/offsite.h,
# docs/repository.md "Offsite copies"): rclone against a local remote (a
# directory, defined by environment variables as a user would in cron):
# the copy arrives byte for byte and verifies; remote retention at crafted
# times removes exactly the documented set, --prune-dry-run nothing; a
# failing or missing rclone, a failing command: exit 18, the local archive
# kept and good, the exact message; a command gets its arguments without
# a shell; a killed copy leaves only NAME.partial, reported next time.

load helpers
load pg

setup() {
	require_tool ark-pg-backup ark-checksum-verify
	offsite_setup
}

backup() {
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "$CONN" -o repo "$@"
}

# the one archive in repo
local_archive() {
	local a=(repo/*.ark)
	[[ ${#a[@]} == 1 && -f ${a[0]} ]] || fail "not one archive in repo: ${a[*]}"
	printf '%s\n' "${a[0]}"
}

@test "rclone: the copy arrives as the same bytes and verifies (by hash, or by size where the remote has none); --json, --metrics and the text say so" {
	backup --json --copy-to "rclone:offsite:$WORK/remote/db" --metrics m.prom
	assert_status 0
	local ark name
	ark=$(local_archive)
	name=${ark#repo/}
	[[ $(ls -A remote/db) == "$name" ]] || fail "remote holds: $(ls -A remote/db)"
	cmp "$ark" "remote/db/$name" || fail "the remote copy differs"
	"$ARK_BIN/ark-checksum-verify" -q "remote/db/$name" || fail "the remote copy does not verify"
	assert_stderr_empty
	grep -qx "ark_pg_backup_offsite_success{database=\"$DB\"} 1" m.prom || fail "$(cat m.prom)"
	grep -qx "ark_pg_backup_exit_status{database=\"$DB\"} 0" m.prom || fail "$(cat m.prom)"
	python3 - "$output" "$WORK" <<'PY' || { show_run >&2; fail "json"; }
import json, sys
j = json.loads(sys.argv[1]); work = sys.argv[2]
o = j["offsite"]
name = j["archive"].split("/")[-1]
assert j["ok"] is True and j["exit_code"] == 0, j
assert o["method"] == "rclone" and o["target"] == "offsite:" + work + "/remote/db", o
assert o["remote"] == "offsite:" + work + "/remote/db/" + name, o
assert o["program"].endswith("/rclone"), o
assert o["copied"] is True and o["verified"] is True and o["hash_checked"] is True, o
assert o["retention_applied"] is False and o["entries"] == [], o
PY

	# a remote without a hash both sides have (crypt): checked by size,
	# and the text line says so
	export RCLONE_CONFIG_SEALED_TYPE=crypt RCLONE_CONFIG_SEALED_REMOTE=$WORK/sealed \
		RCLONE_CONFIG_SEALED_PASSWORD=$(rclone obscure not-a-secret)
	backup --copy-to rclone:sealed:
	assert_status 0
	[[ $output == *$'\n'"offsite: copied to sealed:$DB-"*".ark (verified: size only, no hash both sides have) in "*" s" ]] ||
		{ show_run >&2; fail "text line"; }
	[[ $(ls sealed | wc -l) == 1 ]] || fail "sealed: $(ls sealed)"
}

@test "remote retention at crafted times: exactly the documented set survives remotely; --prune-dry-run deletes nothing; other files are left alone" {
	# 2026-01-05 is a Monday; unix seconds of 10:00 UTC that day
	local base=1767607200 day=86400 stamp
	# the remote's past: the runs of pg_backup.bats's retention test, as
	# files named as ark names them (remote archives are judged by name)
	for stamp in 20260105T100000.000Z 20260105T110000.000Z 20260106T100000.000Z 20260107T100000.000Z \
		20260112T100000.000Z 20260113T100000.000Z 20260214T100000.000Z 20260316T100000.000Z; do
		echo "$stamp" >"remote/$DB-$stamp.ark"
	done
	# a killed copy's partial file, another stem's archive, a stranger
	echo partial >"remote/$DB-20260101T000000.000Z.ark.partial"
	echo other >remote/other-20260101T000000.000Z.ark
	echo notes >remote/README
	ARK_PG_BACKUP_TEST_NOW=$((base + 71 * day)) backup --keep-daily 2 --keep-weekly 2 --keep-monthly 3 \
		--prune-dry-run --copy-to "rclone:offsite:$WORK/remote"
	assert_status 0
	[[ $output == *"offsite partial copy: $DB-20260101T000000.000Z.ark.partial (left in place)
offsite would remove: $DB-20260105T100000.000Z.ark
offsite would remove: $DB-20260105T110000.000Z.ark
offsite would remove: $DB-20260106T100000.000Z.ark
offsite would remove: $DB-20260107T100000.000Z.ark
offsite would remove: $DB-20260112T100000.000Z.ark
offsite kept: $DB-20260113T100000.000Z.ark (monthly)
offsite kept: $DB-20260214T100000.000Z.ark (weekly, monthly)
offsite kept: $DB-20260316T100000.000Z.ark (daily)
offsite kept: $DB-20260317T100000.000Z.ark (newest, daily, weekly, monthly)" ]] || { show_run >&2; fail "dry run"; }
	[[ $stderr == "ark-pg-backup: warning: offsite: a killed copy's partial file (left in place): $DB-20260101T000000.000Z.ark.partial" ]] ||
		{ show_run >&2; fail "warning"; }
	[[ $(ls remote | wc -l) == 12 ]] || fail "the dry run deleted: $(ls remote)"

	ARK_PG_BACKUP_TEST_NOW=$((base + 71 * day + 60)) backup --json --keep-daily 2 --keep-weekly 2 --keep-monthly 3 \
		--copy-to "rclone:offsite:$WORK/remote"
	assert_status 0
	python3 - "$output" "$DB" <<'PY' || { show_run >&2; fail "json"; }
import json, sys
j = json.loads(sys.argv[1]); db = sys.argv[2]
o = j["offsite"]
assert o["retention_applied"] is True, o
fates = {e["name"]: (e["fate"], e.get("kept_by")) for e in o["entries"]}
assert fates[db + "-20260317T100100.000Z.ark"] == ("kept", "newest, daily, weekly, monthly"), fates
assert fates[db + "-20260317T100000.000Z.ark"] == ("removed", None), fates
assert fates[db + "-20260101T000000.000Z.ark.partial"] == ("partial copy", None), fates
assert sum(1 for f, _ in fates.values() if f == "removed") == 6, fates
assert "other-20260101T000000.000Z.ark" not in fates and "README" not in fates, fates
PY
	# the same survivors as the local repository's rules give
	# (pg_backup.bats), plus what is not ours
	run ls remote
	[[ $output == "README
other-20260101T000000.000Z.ark
$DB-20260101T000000.000Z.ark.partial
$DB-20260113T100000.000Z.ark
$DB-20260214T100000.000Z.ark
$DB-20260316T100000.000Z.ark
$DB-20260317T100100.000Z.ark" ]] || { show_run >&2; fail "survivors"; }
}

@test "a failing rclone (unknown remote): exit 18, the exact message, the local archive kept and good, metrics and --json say so" {
	backup --copy-to rclone:nosuchremote:backups --metrics m.prom --json
	assert_status 18
	local ark
	ark=$(local_archive)
	[[ $stderr == "ark-pg-backup: error: offsite copy of '$ark' failed (the local archive is written and verified): rclone copyto exited with status 1: Failed to create file system for destination \"nosuchremote:backups/\": didn't find section in config file" ]] ||
		{ show_run >&2; fail "message"; }
	"$ARK_BIN/ark-checksum-verify" -q "$ark" || fail "the local archive does not verify"
	grep -qx "ark_pg_backup_offsite_success{database=\"$DB\"} 0" m.prom || fail "$(cat m.prom)"
	grep -qx "ark_pg_backup_exit_status{database=\"$DB\"} 18" m.prom || fail "$(cat m.prom)"
	python3 - "$output" <<'PY' || { show_run >&2; fail "json"; }
import json, sys
j = json.loads(sys.argv[1])
assert j["ok"] is False and j["exit_code"] == 18 and j["error"] == "offsite copy failed", j
assert j["verified"] is True and j["offsite"]["copied"] is False, j
PY
}

@test "rclone missing: not in PATH, or --rclone naming nothing: exit 18 naming the package" {
	run --separate-stderr env PATH=/nonexistent "$ARK_BIN/ark-pg-backup" "$CONN" -o repo -q --copy-to "rclone:offsite:$WORK/remote"
	assert_status 18
	local ark
	ark=$(local_archive)
	[[ $stderr == "ark-pg-backup: error: offsite copy of '$ark' failed (the local archive is written and verified): rclone not found in PATH (install it: apt-get install rclone)" ]] ||
		{ show_run >&2; fail "message"; }
	rm "$ark"
	backup --rclone /nonexistent/rclone --copy-to "rclone:offsite:$WORK/remote"
	assert_status 18
	ark=$(local_archive)
	# text: the backup's lines, then the offsite line
	[[ $output == "backup: $ark "*$'\n'"offsite: NOT copied to offsite:$WORK/remote" ]] || { show_run >&2; fail "text"; }
	[[ $stderr == "ark-pg-backup: error: offsite copy of '$ark' failed (the local archive is written and verified): cannot run --rclone '/nonexistent/rclone' (install rclone: apt-get install rclone): No such file or directory" ]] ||
		{ show_run >&2; fail "message"; }
	assert_dir_empty remote
}

@test "--copy-to-command: no shell (a \$(...) and a space reach it as one argument), {} and {name}; exit 3 → exit 18 with its first error line" {
	cat >record <<EOF
#!/bin/sh
for a in "\$@"; do printf '[%s]\n' "\$a"; done >"$WORK/argv"
echo "uploaded" # stdout is not ark's
EOF
	cat >fails <<'EOF'
#!/bin/sh
echo "upload failed: bucket not found" >&2
echo "second line" >&2
exit 3
EOF
	chmod +x record fails
	local dir='repo $(touch pwned) x'
	mkdir "$dir"
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "$CONN" -o "$dir" --keep-last 3 \
		--copy-to-command "$WORK/record  --flag	{} s3://bucket/db/{name}"
	assert_status 0
	local ark=("$dir"/*.ark) name
	name=${ark[0]##*/}
	[[ $(cat argv) == "[--flag]
[$WORK/$dir/$name]
[s3://bucket/db/$name]" ]] || fail "argv: $(cat argv)"
	assert_no_such pwned "$dir/pwned" "$WORK/pwned"
	[[ $output == *$'\n'"offsite: copied by $WORK/record (exit status 0) in "*" s; no remote retention (a command cannot list the remote)" ]] ||
		{ show_run >&2; fail "text"; }
	[[ $output != *uploaded* ]] || fail "the command's stdout reached ark's"

	# through cron's wrapper: ARK_COPY_TO_COMMAND reaches ark whole
	{
		printf 'ARK_REPO=%q\n' "$WORK/$dir"
		printf 'ARK_CONNINFO=%q\n' "$CONN"
		printf 'ARK_BIN=%q\n' "$ARK_BIN"
		printf 'ARK_OPTIONS=%q\n' "--keep-last 3"
		printf 'ARK_COPY_TO_COMMAND=%q\n' "$WORK/record {name}	{}"
	} >backup.env
	rm argv
	ARK_LOG_STDERR=1 run --separate-stderr "$BATS_TEST_DIRNAME/../../cron/ark-pg-backup-run" backup.env
	assert_status 0
	ark=("$dir"/*.ark)
	[[ ${#ark[@]} == 2 ]] || fail "local archives: ${ark[*]}"
	name=${ark[1]##*/}
	[[ $(cat argv) == "[$name]
[$WORK/$dir/$name]" ]] || fail "argv: $(cat argv)"
	assert_no_such pwned "$dir/pwned" "$WORK/pwned"

	run --separate-stderr "$ARK_BIN/ark-pg-backup" "$CONN" -o "$dir" -q --copy-to-command "fails {}"
	assert_status 18
	[[ $stderr == "ark-pg-backup: error: offsite copy of '$dir/"*".ark' failed (the local archive is written and verified): --copy-to-command: 'fails' not found in PATH" ]] ||
		{ show_run >&2; fail "message"; }

	run --separate-stderr "$ARK_BIN/ark-pg-backup" "$CONN" -o "$dir" --json --copy-to-command "$WORK/fails {}"
	assert_status 18
	[[ $stderr == "ark-pg-backup: error: offsite copy of '$dir/"*".ark' failed (the local archive is written and verified): --copy-to-command '$WORK/fails' exited with status 3: upload failed: bucket not found" ]] ||
		{ show_run >&2; fail "message"; }
	python3 - "$output" <<'PY' || { show_run >&2; fail "json"; }
import json, sys
o = json.loads(sys.argv[1])["offsite"]
assert o["method"] == "command" and o["copied"] is False and o["retention_applied"] is False, o
assert "verified" not in o, o
PY
	[[ $(ls "$dir" | wc -l) == 4 ]] || fail "local archives: $(ls "$dir")"
	"$ARK_BIN/ark-checksum-verify" -q "$dir"/*.ark || fail "local archives do not verify"
}

@test "a copy killed mid-way leaves only NAME.partial on the remote, never a final name; the next run reports it and copies" {
	cat >slow-rclone <<EOF
#!/bin/sh
# rclone, but a copyto stalls once its file is there (a slow link)
if [ "\$1" = copyto ]; then
	rclone "\$@" || exit \$?
	touch "$WORK/copied"
	exec sleep 30
fi
exec rclone "\$@"
EOF
	chmod +x slow-rclone
	"$ARK_BIN/ark-pg-backup" -q "$CONN" -o repo --rclone "$WORK/slow-rclone" \
		--copy-to "rclone:offsite:$WORK/remote" 2>err &
	local pid=$! i ark name
	for ((i = 0; i < 200; i++)); do
		[[ -e copied ]] && break
		sleep 0.05
	done
	[[ -e copied ]] || fail "the copy did not start"
	kill -TERM "$pid"
	wait "$pid" && status=0 || status=$?
	[[ $status == 130 ]] || fail "exit $status: $(cat err)"
	[[ $(cat err) == "ark-pg-backup: error: interrupted by signal" ]] || fail "$(cat err)"
	ark=$(local_archive)
	name=${ark#repo/}
	[[ $(ls -A remote) == "$name.partial" ]] || fail "remote holds: $(ls -A remote)"

	backup --keep-last 5 --copy-to "rclone:offsite:$WORK/remote"
	assert_status 0
	[[ $output == *$'\n'"offsite: copied to offsite:$WORK/remote/$DB-"*".ark (verified: size and hash) in "*$' s\n'"offsite partial copy: $name.partial (left in place)
offsite kept: $DB-"*" (newest, last)" ]] || { show_run >&2; fail "text"; }
	[[ $stderr == "ark-pg-backup: warning: offsite: a killed copy's partial file (left in place): $name.partial" ]] ||
		{ show_run >&2; fail "warning"; }
	[[ $(ls remote | wc -l) == 2 && -e "remote/$name.partial" ]] || fail "remote holds: $(ls remote)"
}

@test "usage errors of --copy-to, --copy-to-command: exit 2, exact message, nothing done" {
	local cases=(
		"--copy-to offsite:x|--copy-to takes rclone:REMOTE:PATH"
		"--copy-to rclone:|--copy-to takes rclone:REMOTE:PATH"
		"--copy-to rclone:-x|--copy-to: the rclone target must not start with '-'"
		"--copy-to rclone:a:b --copy-to rclone:c:d|--copy-to may be given once"
		"--copy-to rclone:a:b --copy-to-command cp|--copy-to and --copy-to-command exclude each other"
		"--copy-to-command cp|--copy-to-command must hold {} (the archive's path)"
	)
	local c args
	for c in "${cases[@]}"; do
		read -r -a args <<<"${c%%|*}"
		run --separate-stderr "$ARK_BIN/ark-pg-backup" "$CONN" -o repo "${args[@]}"
		[[ $status == 2 && $stderr == "ark-pg-backup: error: ${c#*|}"$'\n'"Try 'ark-pg-backup --help' for more information." ]] ||
			{ show_run >&2; fail "case: $c"; }
	done
	run --separate-stderr "$ARK_BIN/ark-pg-backup" "$CONN" -o repo --copy-to-command "  "
	[[ $status == 2 && $stderr == "ark-pg-backup: error: --copy-to-command is empty"* ]] || { show_run >&2; fail "empty"; }
	assert_dir_empty repo
}
