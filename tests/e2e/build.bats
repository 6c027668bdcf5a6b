#!/usr/bin/env bats
# make install / make uninstall, run on a copy of the built tree (so the
# make's current directory is a scratch one and the real tree is never
# touched): uninstall removes exactly what install put in place, and
# nothing in the current directory.

load helpers

setup() {
	# Run from make check-asan, MAKEFLAGS would carry BUILD=build/asan
	# and friends into these makes.
	unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
	[[ -x $REPO_DIR/bin/ark-snapshot && -f $REPO_DIR/lib/libark.a ]] ||
		skip "the default build (bin/, lib/libark.a) is not there"
	enter_workdir
	# The sources, bin/ and the default build's objects, times kept, so
	# `make install` (which depends on `all`) builds nothing.
	mkdir tree
	tar -C "$REPO_DIR" --exclude=./.git --exclude=./build/asan \
		--exclude=./build/fuzz --exclude=./build/check.log -cf - . |
		tar -C tree -xf -
	make -C tree -q all || skip "the default build is not up to date (run make)"
	MANS=$(cd tree/docs/man && ls *.1)
	HEADERS=$(cd tree/include/ark && ls *.h)
}

# installed_files - every file and link under dest/, sorted, relative.
installed_files() {
	(cd dest && find . ! -type d | sort)
}

@test "make install puts the tools, library, headers and man pages in DESTDIR" {
	run --separate-stderr make -C tree install DESTDIR="$PWD/dest" PREFIX=/usr/local
	assert_status 0
	local want name
	want=$(
		for name in ark-checksum-verify ark-pg-backup ark-restore ark-snapshot ark-transfer; do
			echo "./usr/local/bin/$name"
		done
		for name in $HEADERS; do echo "./usr/local/include/ark/$name"; done
		echo ./usr/local/lib/libark.a
		for name in $MANS; do echo "./usr/local/share/man/man1/$name"; done
	)
	diff <(sort <<<"$want") <(installed_files) || fail "installed files differ (- wanted, + found)"
	[[ -x dest/usr/local/bin/ark-snapshot ]] || fail "ark-snapshot is not executable"
}

@test "make uninstall removes everything make install put in DESTDIR" {
	make -C tree install DESTDIR="$PWD/dest" PREFIX=/usr/local >/dev/null
	run --separate-stderr make -C tree uninstall DESTDIR="$PWD/dest" PREFIX=/usr/local
	assert_status 0
	local left
	left=$(installed_files)
	[[ -z $left ]] || fail "left after uninstall:" "$left"
	assert_no_such dest/usr/local/include/ark
}

@test "make uninstall deletes nothing in the current directory" {
	make -C tree install DESTDIR="$PWD/dest" PREFIX=/usr/local >/dev/null
	local name planted=()
	# names the old rule turned into relative paths, and the tools' names
	for name in $MANS % ark-snapshot ark-restore ark-checksum-verify libark.a; do
		echo keep >"tree/$name"
		planted+=("tree/$name")
	done
	run --separate-stderr make -C tree uninstall DESTDIR="$PWD/dest" PREFIX=/usr/local
	assert_status 0
	for name in "${planted[@]}"; do
		[[ -f $name && $(cat "$name") == keep ]] || fail "uninstall deleted $name"
	done
	[[ -z $(installed_files) ]] || fail "left after uninstall: $(installed_files)"
}

@test "the tools do not load libpq until they talk to a server (lib/pg/pq.c)" {
	local tool
	for tool in ark-snapshot ark-checksum-verify ark-restore ark-transfer; do
		if ldd "$ARK_BIN/$tool" | grep -q 'libpq\.so'; then
			fail "$tool links libpq: every run would map its ~20 libraries"
		fi
	done
}
