#!/usr/bin/env bats
# Hostile review of ark-pg-backup --copy-to / --copy-to-command (issue 7,
# "Beyond this machine"; ark/offsite.h, ark/proc.h, docs/repository.md
# "Offsite copies").  Each test is a finding: it failed when written and
# passes once the finding is fixed (the report of the review names the
# bug, the input, expected vs actual and a fix).  rclone is the real one
# against a local remote (a directory), as in pg_backup_offsite.bats;
# stand-ins are small scripts written into the test's directory.

load helpers
load pg

setup() {
	require_tool ark-pg-backup
	offsite_setup
}

teardown() {
	# a stand-in's process that outlived ark (the findings below): ended
	# by its own pid, recorded by the stand-in
	local f pid
	for f in "$WORK"/*.pid; do
		[[ -f $f ]] || continue
		pid=$(<"$f")
		# still the stand-in's sleep (not a reused pid)
		[[ $pid =~ ^[0-9]+$ && $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == "sleep "* ]] &&
			kill -KILL "$pid" 2>/dev/null
	done
	return 0
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

# Finding 1.  `rclone moveto` puts the copy under its final name before
# `rclone check` looks at it; when check then finds it different, the
# run exits 18 but the bad copy stays under the final name, where the
# next run's remote retention counts it as a good archive (it can be the
# one a daily/weekly slot keeps, and the newest one a restore after the
# server's loss picks).  The docs promise "a remote never shows a partial
# archive under a final name".
@test "a remote copy that rclone check finds different is not left under the archive's final name" {
	# rclone, but the data arriving under the final name is not the
	# archive's (a remote without server-side move copies, and the copy
	# went wrong)
	cat >bad-move-rclone <<EOF
#!/bin/sh
if [ "\$1" = moveto ]; then
	for last; do :; done
	rclone "\$@" || exit \$?
	printf x >>"\${last#offsite:}"
	exit 0
fi
exec rclone "\$@"
EOF
	chmod +x bad-move-rclone
	backup -q --rclone "$WORK/bad-move-rclone" --copy-to "rclone:offsite:$WORK/remote"
	assert_status 18
	local ark name
	ark=$(local_archive)
	name=${ark#repo/}
	[[ $stderr == "ark-pg-backup: error: offsite copy of '$ark' failed (the local archive is written and verified): the remote copy offsite:$WORK/remote/$name does not match the archive: rclone check exited with status 1: "* ]] ||
		{ show_run >&2; fail "message"; }
	[[ ! -e remote/$name ]] ||
		fail "the copy that failed rclone check is still under its final name: $(ls -l remote)"
}

# Finding 2.  A stop signal sends SIGTERM to the copy program's pid only,
# and ark's watchdog ends ark 800 ms later whatever the program did: a
# wrapper's child (a shell script that runs the uploader, an rclone
# wrapper without exec, a bash trap that waits for its foreground child)
# goes on uploading after ark exited 130 and released the repository's
# lock, so the next run can overlap it.  The docs say "SIGINT/SIGTERM
# stop the copy (the program gets SIGTERM)".
@test "SIGTERM during --copy-to-command: nothing the command started is still running once ark-pg-backup exited 130" {
	cat >upload <<EOF
#!/bin/sh
# a site's upload wrapper: the uploader runs in the foreground, a child
sh -c 'echo \$\$ >"\$1"; exec sleep 20' sh "$WORK/uploader.pid"
EOF
	chmod +x upload
	"$ARK_BIN/ark-pg-backup" -q "$CONN" -o repo --copy-to-command "$WORK/upload {}" 2>err &
	local pid=$! i uploader status
	for ((i = 0; i < 200; i++)); do
		[[ -s uploader.pid ]] && break
		sleep 0.05
	done
	[[ -s uploader.pid ]] || fail "the upload did not start"
	uploader=$(<uploader.pid)
	kill -TERM "$pid"
	wait "$pid" && status=0 || status=$?
	[[ $status == 130 ]] || fail "exit $status: $(cat err)"
	[[ $(cat err) == "ark-pg-backup: error: interrupted by signal" ]] || fail "$(cat err)"
	sleep 0.3
	# running: /proc has it and it is not a zombie (the container's init
	# may not reap orphans)
	local state
	state=$(awk '{ print $3 }' "/proc/$uploader/stat" 2>/dev/null) || state=
	[[ -z $state || $state == Z ]] ||
		fail "the uploader (pid $uploader, state $state) still runs after ark-pg-backup exited: $(ps -o pid,ppid,args -p "$uploader" | tail -1)"
}

# Finding 3.  ark reads the program's stdout and stderr until EOF, not
# until the program exits: a command that leaves a process behind holding
# them (ssh's ControlPersist master under scp/rsync, a daemon an upload
# tool starts) keeps ark-pg-backup running -- and the repository locked
# -- for as long as that process lives, after the copy is done.
@test "a command that exits 0 but leaves a background process holding its output: ark-pg-backup ends when the command does" {
	cat >persist <<EOF
#!/bin/sh
# copies, then leaves a helper running with the same stdout and stderr
# (as ssh -o ControlPersist=yes does)
cp "\$1" "$WORK/remote/"
sleep 6 &
echo \$! >"$WORK/helper.pid"
date +%s.%N >"$WORK/exited"
EOF
	chmod +x persist
	backup -q --copy-to-command "$WORK/persist {}"
	local ended
	ended=$(date +%s.%N)
	assert_status 0
	[[ -s exited ]] || fail "the command did not run"
	python3 -c 'import sys; d = float(sys.argv[1]) - float(sys.argv[2]); sys.exit(0 if d < 3 else f"ark-pg-backup ended {d:.1f} s after its command exited")' \
		"$ended" "$(<exited)"
}

# Finding 4.  The gauge ark_pg_backup_offsite_success is written only
# once the copy step was reached: a run with --copy-to that fails before
# it (server unreachable, archive fails verification, disk full) writes a
# textfile without it, so the series goes stale instead of 0 and an alert
# on "offsite_success == 0" stays silent on exactly the nights with no
# offsite copy.  docs/repository.md: "1: this run's archive was copied
# and, with rclone, verified remotely; 0 otherwise".
@test "--metrics with --copy-to or --copy-to-command: ark_pg_backup_offsite_success is 0 when the run fails before the copy" {
	local how
	for how in "--copy-to=rclone:offsite:$WORK/remote" "--copy-to-command=cp {} $WORK/remote/"; do
		rm -f m.prom
		run --separate-stderr "$ARK_BIN/ark-pg-backup" -q "host=127.0.0.1 port=1 dbname=$DB connect_timeout=5" \
			-o repo --metrics m.prom "$how"
		assert_status 11
		grep -q '^ark_pg_backup_exit_status{database="[^"]*"} 11$' m.prom || fail "$how: $(cat m.prom)"
		grep -q '^ark_pg_backup_offsite_success{database="[^"]*"} 0$' m.prom ||
			fail "$how: no ark_pg_backup_offsite_success 0 in:" "$(cat m.prom)"
	done
	assert_dir_empty remote
}

# Finding 5.  The remote's listing is held whole (up to 64 MiB of JSON)
# and parsed into one jansson tree before anything is filtered: about
# 1 KiB of memory per file of REMOTE:PATH, this database's or not (other
# files there are explicitly allowed: "other files are left alone").  A
# 57 MB listing (500000 files) took ark-pg-backup to 530 MB of RSS; past
# 64 MiB every run exits 18.  Measured here: ark's high-water mark (its
# VmHWM, read by the rclone stand-in through its parent pid) when rclone
# deletefile runs, after the listing, against the same at rclone copyto,
# before it; 20000 unrelated files in the remote directory.
@test "remote retention: ark-pg-backup's memory does not grow with the number of unrelated files in REMOTE:PATH" {
	mkdir remote/other
	python3 -c '
import os, sys
for i in range(20000):
    open(os.path.join(sys.argv[1], "wal-%024X" % i), "w").close()
' remote
	# one old archive of ours, so that retention runs rclone deletefile
	echo old >"remote/$DB-20200101T000000.000Z.ark"
	cat >hwm-rclone <<EOF
#!/bin/sh
case "\$1" in
copyto|deletefile)
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/\$PPID/status >"$WORK/hwm.\$1" ;;
esac
exec rclone "\$@"
EOF
	chmod +x hwm-rclone
	backup -q --keep-last 1 --rclone "$WORK/hwm-rclone" --copy-to "rclone:offsite:$WORK/remote"
	assert_status 0
	[[ -s hwm.copyto && -s hwm.deletefile ]] || fail "no high-water marks: $(ls)"
	assert_no_such "remote/$DB-20200101T000000.000Z.ark"
	local grown=$(($(<hwm.deletefile) - $(<hwm.copyto)))
	((grown < 8192)) ||
		fail "ark-pg-backup grew by $grown kB while listing a remote of 20000 files not its own ($(<hwm.copyto) kB -> $(<hwm.deletefile) kB)"
}

# Finding 6.  Secrets in an rclone connection string (an on-the-fly
# remote, ":crypt,remote=...,password=OBSCURED:" or ":s3,access_key_id=
# ...,secret_access_key=...:bucket") are printed by ark in the text
# report, the --json "target"/"remote" and every error message, i.e. into
# the journal, syslog and cron mail.  rclone's "obscured" passwords are
# reversible (rclone reveal).  ark should refuse such a target (pointing
# at RCLONE_CONFIG_<REMOTE>_<KEY>) or never print the parameters' values.
@test "an rclone connection string's password does not reach ark-pg-backup's report, --json or messages" {
	local secret
	secret=$(rclone obscure not-a-real-password)
	mkdir sealed
	backup --copy-to "rclone::crypt,remote=$WORK/sealed,password=$secret:app"
	[[ $output$stderr != *"$secret"* ]] || { show_run >&2; fail "the text report or a message holds the password"; }
	backup --json --copy-to "rclone::crypt,remote=$WORK/sealed,password=$secret:app"
	[[ $output$stderr != *"$secret"* ]] || { show_run >&2; fail "--json or a message holds the password"; }
	backup -q --copy-to "rclone::crypt,remote=$WORK/nosuchdir/x,password=$secret,filename_encryption=nonsense:app"
	[[ $status != 0 ]] || fail "a bad crypt remote was accepted"
	[[ $output$stderr != *"$secret"* ]] || { show_run >&2; fail "the error message holds the password"; }
}

# Finding 7 (minor).  rclone takes any option from RCLONE_<OPTION>; with
# RCLONE_PROGRESS=true in the job's environment (set for interactive use
# in a shared env file or profile) `rclone lsjson` writes its progress
# display into the JSON on stdout, and every run with --keep-* exits 18
# ("rclone lsjson printed no JSON list") although the copy was made and
# verified.  ark passes --ask-password=false already; --progress=false
# (and --use-json-log=false for the first error line) belong beside it.
@test "RCLONE_PROGRESS=true in the environment: remote retention still works" {
	RCLONE_PROGRESS=true backup -q --keep-last 2 --copy-to "rclone:offsite:$WORK/remote"
	assert_status 0
	[[ $(ls remote) == "$(basename "$(local_archive)")" ]] || fail "remote holds: $(ls remote)"
}
