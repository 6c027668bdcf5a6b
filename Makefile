# ark - build, test and install.
#
#   make                 build bin/ark-* and lib/libark.a
#   make check           install missing deps, build, run every test (prove),
#                        then one summary line; non-zero if anything failed
#   make check-unit      the cmocka programs; make check-e2e: the bats files
#   make check-asan      the same suite built with ASan+UBSan
#   make demo            snapshot -> verify -> restore of the bundled sample
#   make bench           scripts/bench/snapshot on a generated ~1 GB database
#   make bench-transfer  scripts/bench/transfer: ark-transfer vs pgloader vs psql
#   make bench-pg        scripts/bench/pg: ark-pg-backup/ark-restore vs pg_dump/pg_restore
#   make install PREFIX=/usr/local DESTDIR=
#   make uninstall PREFIX=/usr/local DESTDIR=
#
# Dependencies are found with pkg-config; scripts/install-deps installs them.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKG_CONFIG ?= pkg-config

PKGS := sqlite3 libzstd libarchive libxxhash jansson libpq

# Objects go under $(BUILD); the default build puts binaries in bin/ and the
# library in lib/ as the layout promises, the sanitizer build keeps its own.
BUILD   ?= build/default
BINDIR  ?= bin
LIBA    ?= lib/libark.a

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wvla -Wpointer-arith -Wcast-qual -Wundef \
	-Wimplicit-fallthrough
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  ?=
DEPCFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libpq is not linked into the tools: lib/pg/pq.c opens it on first use
# (lib/pg/pq_internal.h says why); the unit tests that talk to the server
# through libpq directly link it.
DEPLIBS   := $(shell $(PKG_CONFIG) --libs $(filter-out libpq,$(PKGS)) 2>/dev/null)
PQLIBS    := $(shell $(PKG_CONFIG) --libs libpq 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(SAN) $(WARN) -Iinclude -Ilib \
	$(DEPCFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN) $(LDFLAGS)
LIBS = $(DEPLIBS) -lpthread -lm -ldl

LIB_SRC  := $(sort $(wildcard lib/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOLS    := $(notdir $(wildcard tools/ark-*))
TOOL_BIN := $(TOOLS:%=$(BINDIR)/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(filter-out tests/helpers/inject.c,$(sort $(wildcard tests/helpers/*.c)))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
MANS     := $(wildcard docs/man/*.1)

.PHONY: all deps check check-build check-unit check-e2e check-asan demo bench bench-transfer bench-pg install \
	uninstall clean

all: $(TOOL_BIN) $(LIBA)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BINDIR)/%: $(BUILD)/tools/%/main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS) $(PQLIBS) -lcmocka

$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(LIBS) -ldl

# An LD_PRELOAD shim for fault injection (ENOSPC and friends).
$(BUILD)/tests/libinject.so: tests/helpers/inject.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -fPIC -shared $(WARN) -o $@ $< -ldl

deps:
	@scripts/install-deps

TESTS_BUILT = $(UNIT_BIN) $(HELPER_BIN) $(BUILD)/tests/libinject.so

# The unit and e2e programs run beside a throwaway PostgreSQL server that
# tests/with-pg starts (and stops) for each step; its PG* variables point
# there.  A PostgreSQL test never skips: no server is a failure.
#
# make check runs every step even when one before it failed; tests/run-test
# notes each test program's counts in $(CHECK_LOG) and tests/check-summary
# closes with one line of everything that ran, then "N passed, N failed";
# the exit status is non-zero if anything failed.  A failed e2e test keeps
# its scratch directory and says where (tests/run-test).
CHECK_LOG := $(abspath build/check.log)
ARK_CHECK_LOG ?=
CHECK_STEP_PREFIX ?=

# Builds compile JOBS files at a time (make check is run without -j).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# $(call check_step,LABEL,TARGET): make TARGET; a failure is noted in the
# log under LABEL (the tests' own counts are noted by tests/run-test).
check_step = $(MAKE) -j$(JOBS) $(2) ARK_CHECK_LOG=$(CHECK_LOG) || { \
	printf '%s\t*\t0\t0\t0\t0\t%s\n' $(1) $$? >>$(CHECK_LOG); status=1; }
# $(call check_counted,LABEL,TARGET): the same for a target that runs no
# test programs of its own; it counts as one test, passed or failed.
check_counted = $(MAKE) -j$(JOBS) $(2) ARK_CHECK_LOG=$(CHECK_LOG); rc=$$?; \
	printf '%s\t%s\t1\t%s\t%s\t0\t%s\n' $(1) $(2) $$((rc == 0)) \
		$$((rc != 0)) $$rc >>$(CHECK_LOG); [ $$rc = 0 ] || status=1

# check-fuzz (the fuzzing section) is the short fuzz pass.
check: deps
	@mkdir -p $(dir $(CHECK_LOG)); rm -f $(CHECK_LOG); status=0; \
	$(call check_step,build,check-build); \
	$(call check_step,unit,check-unit); \
	$(call check_step,e2e,check-e2e); \
	$(call check_step,asan,check-asan); \
	$(call check_counted,fuzz,check-fuzz); \
	tests/check-summary $(CHECK_LOG) || status=1; \
	exit $$status

# Everything the tests run: the tools, the unit programs, the helpers.
check-build: all $(TESTS_BUILT)

# Test programs run two at a time (each in its own scratch directory and,
# for PostgreSQL, its own database), with their times shown: the suite
# is mostly waiting on processes, fsync and the server, not on the CPU.
PROVE_FLAGS ?= --timer -j2

# prove runs the programs in the order given: the slowest first (as
# measured in CI runs), so that the step does not end with one long
# program running alone; the others (new ones too) follow by name.
# $(call slow_first,NAMES,PATTERN,FILES): FILES with those NAMES first.
slow_first = $(foreach n,$(1),$(filter $(subst %,$(n),$(2)),$(3))) \
	$(filter-out $(foreach n,$(1),$(subst %,$(n),$(2))),$(3))
UNIT_SLOW := compare pg sqlite_schema pgtext_server
E2E_SLOW := review6 transfer_failures transfer_archive pg_backup review_light pg_backup_standby \
	pg_backup_consistency transfer_checks ux transfer_modes snapshot_hardening \
	signals pg_restore roundtrip corruption hostile manifest_hostile \
	transfer_values pg_archive transfer failure live

check-unit: $(UNIT_BIN)
	ARK_CHECK_LOG=$(ARK_CHECK_LOG) ARK_CHECK_STEP=$(CHECK_STEP_PREFIX)unit \
		tests/with-pg prove $(PROVE_FLAGS) --exec tests/run-test \
		$(call slow_first,$(UNIT_SLOW),$(BUILD)/tests/test_%,$(UNIT_BIN))

# Every e2e file; the sanitizer pass leaves out ASAN_SKIP_E2E (below).
E2E_FILES ?= $(call slow_first,$(E2E_SLOW),tests/e2e/%.bats,$(sort $(wildcard tests/e2e/*.bats)))

# The e2e helpers start python3 some hundreds of times: it is resolved once
# to the interpreter itself (tests/e2e/helpers.bash says why).
TEST_PYTHON = $${ARK_TEST_PYTHON:-$$(python3 -c 'import sys; print(sys.executable)')}

check-e2e: all $(TESTS_BUILT)
	ARK_TEST_PYTHON="$(TEST_PYTHON)" \
	ARK_BIN=$(abspath $(BINDIR)) ARK_TEST_BUILD=$(abspath $(BUILD)/tests) \
	ARK_CHECK_LOG=$(ARK_CHECK_LOG) ARK_CHECK_STEP=$(CHECK_STEP_PREFIX)e2e \
		tests/with-pg prove $(PROVE_FLAGS) --exec tests/run-test $(E2E_FILES)

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer
# (-k: the e2e tests run even when a unit test failed).  This pass looks for
# memory errors and undefined behaviour, not for outcomes the default pass
# has proved already: ARK_TEST_SWEEP=coarse lets an exhaustive sweep that
# starts one process per case take a coarser stride (corruption.bats says
# which, and what still covers every byte).
# The build first, JOBS at a time; then the tests (-j1: check-unit and
# check-e2e one after the other, each running two programs at a time).
ASAN_VARS = BUILD=build/asan BINDIR=build/asan/bin LIBA=build/asan/libark.a \
	OPT="-O1 -g -fno-omit-frame-pointer" \
	SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

# Not run again under ASan: build.bats (it checks the default build's
# binaries and make install), cron.bats (it tests a shell wrapper; the
# binary it calls is the same as in pg_backup.bats, which does run here)
# and the two review files, whose cases ran under ASan in their reviews
# (review_light.bats: the fused load and its fallback check, driven here
# by transfer_fused.bats and transfer_checks.bats; review_offsite.bats:
# the copy programs' handling, driven here by pg_backup_offsite.bats):
# the 20-minute CI budget.
ASAN_SKIP_E2E := tests/e2e/build.bats tests/e2e/cron.bats \
	tests/e2e/review_light.bats tests/e2e/review_offsite.bats

check-asan:
	@status=0; \
	$(MAKE) -k -j$(JOBS) $(ASAN_VARS) check-build || status=1; \
	$(MAKE) -k -j1 $(ASAN_VARS) CHECK_STEP_PREFIX=asan- \
		E2E_FILES="$(filter-out $(ASAN_SKIP_E2E),$(E2E_FILES))" \
		ARK_TEST_SWEEP=coarse ASAN_OPTIONS=detect_leaks=1 \
		check-unit check-e2e || status=1; \
	exit $$status

demo: deps
	$(MAKE) all
	scripts/demo

bench: all
	scripts/bench/snapshot

bench-transfer: all
	scripts/bench/transfer

bench-pg: all
	scripts/bench/pg

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/ark $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 include/ark/*.h $(DESTDIR)$(PREFIX)/include/ark/
	$(if $(MANS),install -m 0644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1/)

# Removes exactly what install put in place (and ark's own include/ark
# directory); the shared directories bin, lib, man1 stay.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(TOOLS)) \
		$(DESTDIR)$(PREFIX)/lib/$(notdir $(LIBA)) \
		$(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(MANS)))
	rm -rf $(DESTDIR)$(PREFIX)/include/ark

clean:
	rm -rf build bin lib/libark.a

.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- fuzzing (tests/fuzz/README.md) ----
#
#   make fuzz                     build both harnesses, fuzz each 60 s
#   make fuzz FUZZ_SECONDS=600    longer; FUZZ_ARGS= passes more flags
#   make check-fuzz               the short pass `make check` runs: the
#                                 reproducers in tests/fuzz/crashes, then
#                                 each harness CHECK_FUZZ_SECONDS (12 s)
#                                 from its seeds alone
#
# Two harnesses: fuzz_reader takes whole archives, fuzz_manifest takes a
# manifest and builds a consistent archive around it, so its mutations
# get past the hashes to the manifest's consumers.  The library and the
# harnesses are built with clang, libFuzzer, ASan and UBSan into
# build/fuzz/.  The seed corpora are copied to build/fuzz/corpus/NAME
# (which keeps what the fuzzer adds between runs), so tests/fuzz/corpus
# is never modified; crashes go to build/fuzz/artifacts/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
CHECK_FUZZ_SECONDS ?= 12
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	$(FUZZ_SAN) -Iinclude -Ilib $(DEPCFLAGS) -MMD -MP
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o)
FUZZ_NAMES   := reader manifest
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_RUN      = -timeout=30 -rss_limit_mb=2048 -dict=tests/fuzz/$(1).dict \
	-artifact_prefix=$(FUZZ_DIR)/artifacts/

.PHONY: fuzz fuzz-build check-fuzz

fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(DEPLIBS) -lpthread -lm -ldl

fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_DIR)/artifacts
	@set -e; for name in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$name; \
		cp -p tests/fuzz/corpus/$$name/* $(FUZZ_DIR)/corpus/$$name/; \
		echo "fuzz_$$name: $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) \
			$(call FUZZ_RUN,$$name) $(FUZZ_ARGS) \
			$(FUZZ_DIR)/corpus/$$name; \
	done

# Bounded: each harness runs CHECK_FUZZ_SECONDS from a fresh copy of its
# seeds (a corpus grown by `make fuzz` would spend the time replaying).
check-fuzz: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_DIR)/artifacts
	@set -e; for name in $(FUZZ_NAMES); do \
		crashes=$$(ls tests/fuzz/crashes/$$name/* 2>/dev/null || true); \
		if [ -n "$$crashes" ]; then \
			$(FUZZ_DIR)/fuzz_$$name -runs=1 $$crashes \
				>$(FUZZ_DIR)/check-$$name.log 2>&1 || \
			{ tail -40 $(FUZZ_DIR)/check-$$name.log; \
			  echo "check-fuzz: fuzz_$$name: a reproducer in tests/fuzz/crashes/$$name fails again"; \
			  exit 1; }; \
		fi; \
		rm -rf $(FUZZ_DIR)/check/$$name; \
		mkdir -p $(FUZZ_DIR)/check/$$name; \
		cp -p tests/fuzz/corpus/$$name/* $(FUZZ_DIR)/check/$$name/; \
		if $(FUZZ_DIR)/fuzz_$$name -max_total_time=$(CHECK_FUZZ_SECONDS) \
			$(call FUZZ_RUN,$$name) $(FUZZ_DIR)/check/$$name \
			>$(FUZZ_DIR)/check-$$name.log 2>&1; then \
			echo "check-fuzz: fuzz_$$name: $$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' $(FUZZ_DIR)/check-$$name.log) runs in $(CHECK_FUZZ_SECONDS) s, no finding"; \
		else \
			tail -60 $(FUZZ_DIR)/check-$$name.log; \
			echo "check-fuzz: fuzz_$$name found a bug; the input is in $(FUZZ_DIR)/artifacts/ (full log: $(FUZZ_DIR)/check-$$name.log)"; \
			exit 1; \
		fi; \
	done
