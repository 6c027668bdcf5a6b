#!/usr/bin/env bats
# cron/ark-pg-backup-run, the wrapper that cron/crontab.example and
# cron/ark-pg-backup.service call: a backup end to end from an env file,
# its output to the system log (a stub `logger` on PATH records what it
# is given), its exit status passed on for cron's mail and systemd's
# OnFailure=, the repository lock, set-up errors (exit 2).

load helpers
load pg

CRON_DIR=$BATS_TEST_DIRNAME/../../cron
WRAPPER=$CRON_DIR/ark-pg-backup-run
BAD_CONNINFO='ARK_CONNINFO="host=127.0.0.1 port=1 user=nobody dbname=x connect_timeout=2"'

setup() {
	require_tool ark-pg-backup ark-checksum-verify
	pg_require
	enter_workdir
	pg_newdb
	psql_q "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 500) g" >/dev/null
	mkdir repo stub
	# a logger that records its arguments and each line it reads
	printf '%s\n' '#!/usr/bin/env bash' \
		'while IFS= read -r line; do printf "%s|%s\n" "$*" "$line"; done >>"$LOGGER_OUT"' >stub/logger
	chmod +x stub/logger
	export LOGGER_OUT=$PWD/syslog.txt
	unset INVOCATION_ID JOURNAL_STREAM ARK_LOG_STDERR
	{
		echo "ARK_REPO=$PWD/repo"
		echo "ARK_CONNINFO=\"$ARK_TEST_DB\""
		echo "ARK_OPTIONS=\"--keep-last 2 --metrics $PWD/ark.prom --jobs 2\""
		echo "ARK_BIN=$ARK_BIN"
	} >backup.env
}

bad_conninfo() {
	grep -v '^ARK_CONNINFO=' backup.env >b.env
	echo "$BAD_CONNINFO" >>b.env
	mv b.env backup.env
}

@test "a run from the env file: one verified archive, metrics, no output, exit 0" {
	PATH=$PWD/stub:$PATH run --separate-stderr "$WRAPPER" backup.env
	assert_status 0
	[[ -z $stderr && -z $output ]] || fail "output: $output / $stderr"
	local archives=(repo/*.ark)
	((${#archives[@]} == 1)) || fail "archives: ${archives[*]}"
	run --separate-stderr "$VERIFY" --deep "${archives[0]}"
	assert_status 0
	run --separate-stderr "$VERIFY" "${archives[0]}" "$ARK_TEST_DB"
	assert_status 0
	grep -qx "ark_pg_backup_exit_status{database=\"$PGDATABASE\"} 0" ark.prom ||
		fail "metrics: $(cat ark.prom)"
	# -q: a good run logs nothing
	[[ ! -s syslog.txt ]] || fail "logged: $(cat syslog.txt)"
}

@test "retention from ARK_OPTIONS (--keep-last 1 here): after two runs the newest is left" {
	local i first
	sed -i 's/--keep-last 2/--keep-last 1/' backup.env
	for i in 1 2; do
		PATH=$PWD/stub:$PATH run --separate-stderr "$WRAPPER" backup.env
		assert_status 0
		[[ -n ${first-} ]] || first=$(ls repo)
	done
	local archives=(repo/*.ark)
	((${#archives[@]} == 1)) || fail "archives: ${archives[*]}"
	[[ ${archives[0]} != "repo/$first" ]] || fail "the older archive was kept: $first"
}

@test "a failed backup: ark-pg-backup's status (11), its error in the log, one line for cron's mail" {
	bad_conninfo
	PATH=$PWD/stub:$PATH run --separate-stderr "$WRAPPER" backup.env
	assert_status 11
	[[ $stderr == "ark-pg-backup: backup of $PWD/repo failed, exit 11 (details in the system log)" ]] ||
		fail "stderr: $stderr"
	grep -q '^-t ark-pg-backup -p user.err|ark-pg-backup: error: ' syslog.txt ||
		fail "syslog: $(cat syslog.txt)"
	grep -q '^ark_pg_backup_exit_status{.*} 11$' ark.prom || fail "metrics: $(cat ark.prom)"
	[[ -z $(ls repo) ]] || fail "repo: $(ls repo)"
}

@test "an overlapping run fails at once with the lock's exit 8" {
	flock repo/.ark-pg-backup.lock sleep 30 &
	local holder=$!
	sleep 0.5
	PATH=$PWD/stub:$PATH run --separate-stderr timeout 20 "$WRAPPER" backup.env
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	assert_status 8
	[[ -z $(ls repo) ]] || fail "repo: $(ls repo)"
}

@test "with ARK_LOG_STDERR the errors stay on stderr for cron's mail" {
	bad_conninfo
	ARK_LOG_STDERR=1 run --separate-stderr "$WRAPPER" backup.env
	assert_status 11
	[[ $stderr == "ark-pg-backup: error: "* ]] || fail "stderr: $stderr"
	[[ ! -e syslog.txt ]] || fail "logged: $(cat syslog.txt)"
}

@test "set-up errors: exit 2 with one line naming what is wrong" {
	run --separate-stderr "$WRAPPER" missing.env
	assert_status 2
	[[ $stderr == "ark-pg-backup: cannot read missing.env (the repository and database to back up)" ]] || fail "$stderr"
	echo 'ARK_CONNINFO=x' >norepo.env
	run --separate-stderr "$WRAPPER" norepo.env
	assert_status 2
	[[ $stderr == "ark-pg-backup: norepo.env: ARK_REPO (the repository directory) is not set" ]] || fail "$stderr"
	printf 'ARK_REPO=%s\nARK_BIN=/nonexistent\n' "$PWD/repo" >nobin.env
	run --separate-stderr "$WRAPPER" nobin.env
	assert_status 2
	[[ $stderr == "ark-pg-backup: /nonexistent/ark-pg-backup: not found (set ARK_BIN in nobin.env)" ]] || fail "$stderr"
}

@test "the systemd unit and the crontab call the wrapper with the env file the example shows" {
	grep -qx 'ExecStart=/usr/local/share/ark/cron/ark-pg-backup-run /etc/ark/pg-backup.env' "$CRON_DIR/ark-pg-backup.service"
	grep -q '^OnCalendar=' "$CRON_DIR/ark-pg-backup.timer"
	grep -q 'ark-pg-backup-run /etc/ark/pg-backup.env$' "$CRON_DIR/crontab.example"
	(source "$CRON_DIR/pg-backup.env.example" && [[ -n $ARK_REPO && -n $ARK_OPTIONS ]])
}
