# kms-plugins - plain GNU make. `make help` lists the targets.
#
# Objects and binaries go to $(BUILD) (build/, or build-san/ with SANITIZE=1)
# so a sanitizer build never mixes with a normal one.

PREFIX    ?= /usr
plugindir ?= $(PREFIX)/lib/nagios/plugins
mandir    ?= $(PREFIX)/share/man
DESTDIR   ?=

CC        ?= cc
PKG_CONFIG ?= pkg-config

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD     ?= build-san
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
SAN_LDFLAGS := -fsanitize=address,undefined
else
BUILD     ?= build
OPT       := -O2 -g -D_FORTIFY_SOURCE=2
SAN_LDFLAGS :=
endif

JANSSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS   := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
# libcurl is dlopen()ed at run time (common/fetch.c): only its header is used.
CURL_CFLAGS    := $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CHECK_CFLAGS   := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS     := $(shell $(PKG_CONFIG) --libs check 2>/dev/null || echo -lcheck)

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes
CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -fstack-protector-strong -fPIE \
            -Icommon $(JANSSON_CFLAGS) $(CURL_CFLAGS)
LDFLAGS  ?=
LDFLAGS  += -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SAN_LDFLAGS)
LDLIBS   := $(JANSSON_LIBS) -lresolv -ldl -lpthread -lm

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o)
PLUGIN_SRC := $(wildcard plugins/check_kms_*.c)
PLUGINS    := $(PLUGIN_SRC:plugins/%.c=$(BUILD)/%)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC   := $(wildcard tests/tools/*.c)
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
LIB        := $(BUILD)/libkmscommon.a

PYTHON  := /usr/bin/python3
PYTEST  := $(PYTHON) -m pytest -p no:cacheprovider
# packages the build and the tests need (Debian 12); `make deps` installs them
DEB_PKGS := build-essential git pkg-config libcurl4-openssl-dev libjansson-dev check \
            clang libclang-rt-14-dev valgrind jq openssl ca-certificates curl \
            python3 python3-pytest python3-jsonschema python3-impacket python3-nagiosplugin \
            nginx-light dnsmasq-base icinga2-bin icinga2-common nagios4-core \
            monitoring-plugins-basic tshark hyperfine time procps iproute2 \
            debhelper devscripts lintian fakeroot rpm nodejs graphite-carbon graphite-web \
            postgresql-15 icinga2-ido-pgsql icingaweb2 icingaweb2-module-monitoring \
            icingaweb2-module-graphite php-cli php-pgsql chromium

# keep objects between runs: without this make deletes the plugins' .o files
# as intermediates and rebuilds them every time
.SECONDARY:

.PHONY: all check check-unit check-integration check-sanitize valgrind check-all \
        deps install clean quickstart help
all: $(PLUGINS) $(TOOL_BIN)

$(BUILD)/%.o: %.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/check_kms_%: $(BUILD)/plugins/check_kms_%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/unit.o: tests/unit/unit.c tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/tests/unit.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/tests/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The PowerShell syntax check of the Windows exporter (test_exporter.py): no
# PowerShell runs here, so the tree-sitter grammar (WebAssembly, no native
# build) parses it. Pinned by the lock file; one place for every BUILD.
# npm comes with the machine's Node.js; without it the check is skipped.
PS_PARSER := build/ps-parser/node_modules/.installed
$(PS_PARSER): tests/integration/ps-parser/package.json tests/integration/ps-parser/package-lock.json
	@command -v npm >/dev/null || { echo "npm missing: test_exporter.py will skip the PowerShell syntax check"; exit 0; }; \
	mkdir -p build/ps-parser && \
	cp tests/integration/ps-parser/package.json tests/integration/ps-parser/package-lock.json build/ps-parser/ && \
	( cd build/ps-parser && npm ci --no-audit --no-fund --ignore-scripts ) && touch $@ || \
	echo "npm ci failed: test_exporter.py will skip the PowerShell syntax check"

# --- tests -------------------------------------------------------------------
check: check-unit check-integration

check-unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

check-integration: $(PLUGINS) $(TOOL_BIN) $(PS_PARSER)
	KMS_BUILD=$(CURDIR)/$(BUILD) $(PYTEST) -q tests/integration

check-sanitize:
	$(MAKE) SANITIZE=1 check

# Every plugin invocation of the integration suite runs under memcheck, the
# test files in two halves at once (tests/run-halves.sh: both cores); unit
# tests run under it too (CK_FORK=no keeps Check from forking away from it).
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no
valgrind: $(PLUGINS) $(TOOL_BIN) $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== valgrind $$t"; CK_FORK=no $(VALGRIND) $$t; done
	KMS_BUILD=$(CURDIR)/$(BUILD) KMS_WRAPPER="$(VALGRIND)" sh tests/run-halves.sh \
		$(BUILD)/valgrind $(PYTEST) -q

# What CI and the README's test command run: everything, three ways, then
# every fuzz target for a minute (fuzz-smoke, 2 at a time: about 5 min).
check-all: deps-if-missing
	$(MAKE) check
	$(MAKE) check-sanitize
	$(MAKE) valgrind
	$(MAKE) fuzz-smoke FUZZ_SECONDS=60

# --- setup -------------------------------------------------------------------
deps:
	@if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (apt-get)"; exit 1; fi
	apt-get update
	@# test_graphs.py makes its own IDO database: dbconfig must not make one
	printf 'icinga2-ido-pgsql icinga2-ido-pgsql/dbconfig-install boolean false\nicinga2-ido-pgsql icinga2-ido-pgsql/enable boolean false\n' | debconf-set-selections
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PKGS)

deps-if-missing:
	@missing=$$(dpkg-query -W -f='$${Package} $${Status}\n' $(DEB_PKGS) 2>&1 | grep -v ' installed$$' || true); \
	if [ -n "$$missing" ]; then echo "missing packages: $$missing"; $(MAKE) deps; fi

# The README's first command: build, then run the plugins on the samples.
quickstart: deps-if-missing all
	@sh packaging/samples/demo.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(plugindir)
	install -m 0755 $(PLUGINS) $(DESTDIR)$(plugindir)/
	install -d $(DESTDIR)$(mandir)/man1
	install -m 0644 $(wildcard packaging/man/*.1) $(DESTDIR)$(mandir)/man1/

clean:
	rm -rf build build-san build-fuzz

help:
	@echo "make [all|check|check-sanitize|valgrind|check-all|deps|quickstart|install|deb|rpm|clean]"
	@echo "  SANITIZE=1  build with AddressSanitizer + UBSan into build-san/"
	@echo "  PREFIX=/usr DESTDIR= plugindir=\$$(PREFIX)/lib/nagios/plugins"

# --- packages ----------------------------------------------------------------
# `make deb`: the Debian package from the tracked files of this checkout
# (git ls-files, as they are in the working tree), built in a temporary copy
# with packaging/debian as debian/; the .deb lands in $(BUILD)/ and lintian
# must report no error.
.PHONY: deb rpm
PKG_VERSION := $(shell sed -n 's/^\#define KMS_VERSION "\(.*\)"/\1/p' common/version.h)
deb:
	@command -v dpkg-buildpackage >/dev/null || { echo "make deb: dpkg-buildpackage missing (apt-get install devscripts debhelper; or make deps)"; exit 1; }
	@command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 || { echo "make deb: needs git and a git checkout (the package is built from git ls-files)"; exit 1; }
	@mkdir -p $(BUILD)
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	src=$$tmp/kms-plugins-$(PKG_VERSION); mkdir -p $$src; \
	git ls-files -z | grep -zv '^packaging/debian/' | \
	    tar --null -T - --ignore-failed-read -cf - | tar -xf - -C $$src; \
	cp -r packaging/debian $$src/debian; \
	(cd $$src && dpkg-buildpackage -b -us -uc) > $(BUILD)/deb-build.log 2>&1 || { tail -40 $(BUILD)/deb-build.log; exit 1; }; \
	rm -f $(BUILD)/kms-plugins_*.deb; cp $$tmp/kms-plugins_*.deb $(BUILD)/; \
	ls -l $(BUILD)/kms-plugins_*.deb
	@if command -v lintian >/dev/null; then lintian --fail-on error $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(BUILD)/kms-plugins_*.deb; fi

# `make rpm`: packaging/rpm/kms-plugins.spec with rpmbuild (Debian's rpm
# package has it); the source tarball comes from git ls-files. --nodeps
# because a Debian machine's rpm database knows none of the BuildRequires.
rpm:
	@command -v rpmbuild >/dev/null || { echo "make rpm: rpmbuild missing (apt-get install rpm, or use a Fedora/RHEL machine)"; exit 1; }
	@command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 || { echo "make rpm: needs git and a git checkout (the tarball is built from git ls-files)"; exit 1; }
	@mkdir -p $(BUILD)
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	mkdir -p $$tmp/SOURCES; \
	git ls-files | tar -czf $$tmp/SOURCES/kms-plugins-$(PKG_VERSION).tar.gz \
	    --transform 's,^,kms-plugins-$(PKG_VERSION)/,' -T -; \
	rpmbuild -bb --nodeps --define "_topdir $$tmp" --define "version $(PKG_VERSION)" --define "debug_package %{nil}" \
	    packaging/rpm/kms-plugins.spec > $(BUILD)/rpm-build.log 2>&1 || { tail -40 $(BUILD)/rpm-build.log; exit 1; }; \
	rm -f $(BUILD)/kms-plugins-*.rpm; cp $$tmp/RPMS/*/kms-plugins-[0-9]*.rpm $(BUILD)/; \
	ls -l $(BUILD)/kms-plugins-*.rpm

# --- fuzzing -----------------------------------------------------------------
# `make fuzz`: libFuzzer targets (fuzz/fuzz_*.c) built with clang, ASan and
# UBSan into build-fuzz/, each linked with only the common/ objects it needs
# (FUZZ_LINK_<target>), compiled the same way.
# `make fuzz-smoke`: run each target FUZZ_SECONDS on its seed corpus
# (fuzz/corpus/<target>/) and the regression inputs (fuzz/regressions/<target>/),
# FUZZ_JOBS targets at a time; any crash, leak, timeout (-timeout) or memory
# blow-up (-rss_limit_mb) fails. New inputs go to build-fuzz/work/, crash
# inputs to build-fuzz/artifacts/. fuzz/README.md has the details.
.PHONY: fuzz fuzz-smoke
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
                $(WARN) -Icommon -Ifuzz $(JANSSON_CFLAGS) $(CURL_CFLAGS)
FUZZ_SRC     := $(wildcard fuzz/fuzz_*.c)
FUZZ_BIN     := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_COMMON  := $(COMMON_SRC:%.c=$(FUZZ_BUILD)/%.o)

# What each target links: the common/ modules it reaches through #include,
# nothing more (tests/integration/test_layers.py keeps that graph acyclic).
# A new fuzz/fuzz_X.c needs its FUZZ_LINK_X. FUZZ_EXIT is the exit layer
# (die, vlog) with what it stands on.
FUZZ_EXIT             := output render result timeout range number text vlog xalloc state
FUZZ_LINK_range       := range number state
FUZZ_LINK_hresult     := hresult
FUZZ_LINK_render      := render result range number text vlog xalloc state
FUZZ_LINK_doc_scan    := doc-scan state xalloc
FUZZ_LINK_duration    := number timeutil $(FUZZ_EXIT)
FUZZ_LINK_rfc3339     := timeutil $(FUZZ_EXIT)
FUZZ_LINK_dns_srv     := dns_srv $(FUZZ_EXIT)
FUZZ_LINK_rpc_bind    := rpc_bind net dns_srv $(FUZZ_EXIT)
FUZZ_LINK_extra_opts  := options fetch $(FUZZ_EXIT)
FUZZ_LINK_doc         := doc doc-fast doc-scan sku hresult timeutil options fetch $(FUZZ_EXIT)
fuzz_objs = $(patsubst %,$(FUZZ_BUILD)/common/%.o,$(sort $(FUZZ_LINK_$(1))))

fuzz: $(FUZZ_BIN)

.SECONDARY: $(FUZZ_COMMON)

$(FUZZ_BUILD)/common/%.o: common/%.c $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

define FUZZ_TARGET
$(FUZZ_BUILD)/fuzz_$(1): fuzz/fuzz_$(1).c fuzz/fuzz.h $(call fuzz_objs,$(1))
	@test -n "$(FUZZ_LINK_$(1))" || { echo "Makefile: fuzz/fuzz_$(1).c has no FUZZ_LINK_$(1) (the objects it links)"; exit 1; }
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer -o $$@ $$< $(call fuzz_objs,$(1)) $$(LDLIBS)
endef
$(foreach t,$(FUZZ_SRC:fuzz/fuzz_%.c=%),$(eval $(call FUZZ_TARGET,$(t))))

fuzz-smoke: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_BUILD)/artifacts
	@echo "fuzz-smoke: $(words $(FUZZ_BIN)) targets x $(FUZZ_SECONDS) s, $(FUZZ_JOBS) at a time"
	@printf '%s\n' $(FUZZ_BIN:$(FUZZ_BUILD)/%=%) | xargs -P $(FUZZ_JOBS) -I{} sh fuzz/smoke.sh {} \
	    $(FUZZ_BUILD) $(FUZZ_SECONDS)

# --- benchmarks --------------------------------------------------------------
# `make bench`: cost per check beside check_tcp, a Python nagiosplugin check
# and jq, plus scaling to 1M clients; loopback peers only, ~10 min on 2
# cores. Writes bench/results.md (BENCH_QUICK=1: a few runs, for a smoke test).
.PHONY: bench
bench: all $(BUILD)/bench/spawn $(BUILD)/bench/dlopen
	KMS_BUILD=$(CURDIR)/$(BUILD) $(PYTHON) bench/run.py

# `make bench-regress`: this tree against BENCH_BASE (default the commit before
# the result model), every plugin as text and as --output-format json; writes
# bench/regress.md (a ratio over 1.05 is MISSED). About 5 min on 2 cores.
.PHONY: bench-regress
bench-regress: all $(BUILD)/bench/spawn
	KMS_BUILD=$(CURDIR)/$(BUILD) $(PYTHON) bench/regress.py

# the launcher that measures each run (static when libc.a is there, so its
# own few hundred KiB do not count in the command's peak RSS)
$(BUILD)/bench/spawn: bench/spawn.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -static -o $@ $< 2>/dev/null || \
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $<

$(BUILD)/bench/dlopen: bench/dlopen.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $< -ldl
