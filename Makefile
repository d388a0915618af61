# Makefile - builds lib/libmlops.a, every program in cmd/, the man pages and
# the tests. `make check` and `make demo` install missing Debian packages
# first (contrib/install-deps). SANITIZE=1 builds into build-san/ with
# AddressSanitizer and UndefinedBehaviorSanitizer.
#
# The library is every lib/DOMAIN/*.c (a new file or folder needs no edit
# here), compiled once per flavour into an archive that the programs and
# tests of that flavour link: $(O)/lib/libmlops.a (normal, or sanitized
# with SANITIZE=1) and $(O)/fuzz/lib/libmlops-fuzz.a (clang's libFuzzer
# instrumentation with ASan and UBSan) for the fuzz targets.

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
SHAREDIR = $(PREFIX)/share/mlops
COMPDIR = $(PREFIX)/share/bash-completion/completions
DOCDIR = $(PREFIX)/share/doc/mlops
# Installed in $(DOCDIR)/examples: scheduler, service and hook examples,
# and the example model repository of the README's tour and mlops-workflow(7).
EXAMPLES = contrib/systemd contrib/cron contrib/hooks examples/churn

CC ?= cc
FUZZ_CC ?= clang
PKG_CONFIG ?= pkg-config
PKGS = libgit2 yaml-0.1 sqlite3 zlib jansson libcrypto libmicrohttpd \
       libcurl xgboost libarchive

ifeq ($(SANITIZE),1)
O ?= build-san
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=undefined
OPT = -O1
else
O ?= build
SAN_FLAGS =
OPT = -O2
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wno-missing-field-initializers
CFLAGS ?= $(OPT) -g
ALL_CFLAGS = -std=c11 $(WARN) -D_GNU_SOURCE -DMLOPS_VERSION='"$(VERSION)"' \
	     -DMLOPS_SHAREDIR='"$(SHAREDIR)"' -Ilib -I$(O)/gen \
	     $(PKG_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS = -Wl,--as-needed $(SAN_FLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

LIB_SRC = $(sort $(wildcard lib/*/*.c))
LIB_OBJ = $(LIB_SRC:%.c=$(O)/%.o) $(O)/gen/schema.o
LIB = $(O)/lib/libmlops.a
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(O)/fuzz/%.o) $(O)/fuzz/gen/schema.o
FUZZ_LIB = $(O)/fuzz/lib/libmlops-fuzz.a

# A program is cmd/NAME.c plus, when it has one, the folder cmd/NAME/.
PROGRAMS = $(sort $(basename $(notdir $(wildcard cmd/*.c))))
BINS = $(PROGRAMS:%=$(O)/bin/%)

UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
UNIT = $(O)/tests/unit-tests
# LD_PRELOAD shims that inject faults, for the shell tests (tests/tools/).
TOOLS = $(O)/tests/sqlite-fault.so $(O)/tests/fault.so
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ = $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)
SQL = $(sort $(wildcard share/sql/*.sql))
MAN = $(wildcard man/man*/*.[0-9])

.PHONY: all deps check demo bench fuzz faults crash stress install uninstall clean \
	unit cli FORCE
.DELETE_ON_ERROR:

all: $(BINS) $(TOOLS)

deps:
	@contrib/install-deps $(if $(CI),--ci)

$(O)/gen/schema.c: $(SQL) lib/core/gen-schema.sh
	@mkdir -p $(@D)
	sh lib/core/gen-schema.sh $(SQL) > $@

$(O)/gen/schema.o: $(O)/gen/schema.c
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# An archive is made afresh, since `ar r` on an old one would replace a
# member by another of the same base name (lib/core/spec.o and
# lib/pipeline/spec.o), and again when its list of members changes
# (ARCHIVE.members, rewritten only then), so a removed source leaves it.
$(LIB): $(LIB_OBJ) $(LIB).members
$(LIB).members: MEMBERS = $(LIB_OBJ)
$(FUZZ_LIB): $(FUZZ_LIB_OBJ) $(FUZZ_LIB).members
$(FUZZ_LIB).members: MEMBERS = $(FUZZ_LIB_OBJ)

$(LIB) $(FUZZ_LIB):
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(filter %.o,$^)

%.members: FORCE
	@mkdir -p $(@D)
	@echo '$(MEMBERS)' | cmp -s - $@ || echo '$(MEMBERS)' >$@

define program_rule
$(1)_SRC = cmd/$(1).c $(sort $(wildcard cmd/$(1)/*.c))
$(O)/bin/$(1): $$($(1)_SRC:%.c=$(O)/%.o) $(LIB)
	@mkdir -p $$(@D)
	$$(CC) $(ALL_LDFLAGS) -o $$@ $$($(1)_SRC:%.c=$(O)/%.o) $(LIB) $(LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(O)/gen/unit-suites.h: $(UNIT_SRC)
	@mkdir -p $(@D)
	sed -n 's/^Suite \*\(suite_[a-z0-9_]*\)(void)$$/SUITE(\1)/p' \
		$(UNIT_SRC) > $@

$(O)/tests/unit/main.o: $(O)/gen/unit-suites.h
$(O)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Wno-missing-prototypes -MMD -MP \
		-c -o $@ $<

$(UNIT): $(UNIT_SRC:%.c=$(O)/%.o) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_SRC:%.c=$(O)/%.o) $(LIB) \
		$(CHECK_LIBS) $(LIBS)

$(O)/tests/%.so: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -D_GNU_SOURCE $(PKG_CFLAGS) $(CFLAGS) -fPIC \
		-shared -o $@ $< -ldl

# The fault library (tests/fault/fault.c) is built without sanitizers
# whatever the flavour. It replaces malloc, except in the sanitized
# flavour, where AddressSanitizer owns allocation (FAULT_NO_MALLOC).
$(O)/tests/fault.so: tests/fault/fault.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -D_GNU_SOURCE $(PKG_CFLAGS) -O2 -g -fPIC \
		$(if $(filter 1,$(SANITIZE)),-DFAULT_NO_MALLOC) \
		-shared -o $@ $< -ldl

# The fuzz flavour: the library is instrumented with
# -fsanitize=fuzzer-no-link (libFuzzer's way for code without a main) and
# each target, built with -fsanitize=fuzzer, links it.
FUZZ_CFLAGS = -std=c11 -g -O1 -D_GNU_SOURCE -DMLOPS_VERSION='"$(VERSION)"' \
	      -DMLOPS_SHAREDIR='"$(SHAREDIR)"' -Ilib -I$(O)/gen $(PKG_CFLAGS)
FUZZ_SAN = address,undefined
FUZZ_LIB_CC = $(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) \
	      -MMD -MP

$(O)/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_LIB_CC) -c -o $@ $<

$(O)/fuzz/gen/schema.o: $(O)/gen/schema.c
	@mkdir -p $(@D)
	$(FUZZ_LIB_CC) -c -o $@ $<

$(O)/fuzz/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -MMD -MP \
		-c -o $@ $<

$(FUZZ): $(O)/fuzz/%: $(O)/fuzz/tests/fuzz/%.o $(FUZZ_LIB)
	$(FUZZ_CC) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_LIB) \
		$(PKG_LIBS) -lpthread -lm

unit: $(UNIT)
	$(UNIT)

cli: $(BINS) $(TOOLS)
	tests/cli/run $(O)

check: deps
	@$(MAKE) --no-print-directory $(BINS) $(TOOLS) $(UNIT) $(FUZZ)
	@tests/run-all $(O)

# The long reliability runs (docs/RELIABILITY.md); `make check` runs a
# quick sample of each through tests/run-all.
faults: $(BINS) $(TOOLS)
	tests/fault/run $(O) full

crash: $(BINS) $(TOOLS)
	tests/crash/run $(O) $${CRASH_TRIALS:-100}

stress: $(BINS) $(TOOLS)
	tests/stress/run $(O) full

fuzz: $(FUZZ)
	tests/fuzz/run $(O) $${FUZZ_SECONDS:-60}

demo: deps
	@$(MAKE) --no-print-directory $(BINS)
	@contrib/demo/run $(O)/bin

# make bench [QUICK=1]: bench/run's report, also in bench/RESULTS.md.
bench:
	@contrib/install-deps --bench
	@$(MAKE) --no-print-directory $(BINS)
	@BENCH_QUICK=$(QUICK) bench/run $(O)/bin

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	for m in $(MAN); do \
		d=$(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$m)); \
		install -d $$d && install -m 644 $$m $$d || exit 1; \
	done
	cp -R share/. $(DESTDIR)$(SHAREDIR)/
	install -d $(DESTDIR)$(COMPDIR)
	for p in $(PROGRAMS); do \
		install -m 644 contrib/completion/mlops.bash \
			$(DESTDIR)$(COMPDIR)/$$p || exit 1; \
	done
	install -d $(DESTDIR)$(DOCDIR)/examples
	cp -R $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	find $(DESTDIR)$(DOCDIR)/examples -name __pycache__ -prune \
		-exec rm -rf {} +

# Removes what install put: the programs, the man pages, the completion
# files, and $(SHAREDIR) and $(DOCDIR), which are mlops's own.
uninstall:
	rm -f $(PROGRAMS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(PROGRAMS:%=$(DESTDIR)$(COMPDIR)/%)
	for m in $(MAN); do \
		rm -f $(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$m))/$$(basename $$m) \
			|| exit 1; \
	done
	rm -rf $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-san

-include $(shell find $(O) -name '*.d' 2>/dev/null)
