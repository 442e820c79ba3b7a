# callmine: mirror Gong calls into one SQLite file, then query it offline.
#
#   make            bin/callmine-ingest, bin/callmine-query, bin/callmine.so
#   make test       unit tests, SQL tests, end-to-end tests (installs missing deps first)
#   make demo       fake Gong server -> demo.db -> a few analyses
#   make bench      throughput, memory and size figures
#   make check      clang-format and cppcheck
#   make install    PREFIX=/usr/local DESTDIR=   (make uninstall removes it again)
#   make SANITIZE=address,undefined test     sanitizer build (in build-san/)
#
# Sources are found by wildcard: a new ingest/x.c or tests/unit/test_x.c needs no edit here.

PREFIX  ?= /usr/local
CC      ?= cc
PYTHON  ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
PKGS    := libcurl libcjson sqlite3 zlib libpcre2-8 libdeflate
WERROR  ?= -Werror
SANITIZE ?=

# The extension is linked with -z defs, so a call it cannot make (a symbol of the query
# program, say) fails the build instead of `.load`; sanitizer runtimes come from the host
# program, so not under SANITIZE.
EXT_LDFLAGS := -Wl,-z,defs
ifneq ($(SANITIZE),)
  EXT_LDFLAGS :=
  BUILD   ?= build-san
  SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
  BUILD   ?= build
  SANFLAGS :=
endif
BIN := bin
ifneq ($(SANITIZE),)
  BIN := $(BUILD)/bin
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla \
        -Wwrite-strings $(WERROR)
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(SANFLAGS) \
               -Ischema -Iext -I$(BUILD)/gen
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS_INGEST = $(shell pkg-config --libs libcurl libcjson sqlite3 libdeflate 2>/dev/null) -lpthread -lm
LIBS_QUERY  = $(shell pkg-config --libs sqlite3 libpcre2-8 libdeflate libcjson 2>/dev/null) -lpthread -lm
LIBS_ALL    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

SCHEMA_SRC := $(wildcard schema/*.c)
INGEST_SRC := $(wildcard ingest/*.c)
# ext/ is the SQLite extension's own code (SQL functions, PCRE2 wrapper): built into
# callmine-query and, with the schema/ modules it needs, as bin/callmine.so.
EXT_DIR_SRC := $(wildcard ext/*.c)
QUERY_SRC  := $(wildcard query/*.c) $(EXT_DIR_SRC)
EXT_SRC    := $(EXT_DIR_SRC) schema/casefold.c schema/metrics.c schema/text.c schema/transcript.c schema/zblob.c \
              schema/buf.c schema/err.c
SQL_FILES  := $(wildcard sql/*.sql sql/analyses/*.sql)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

GEN_OBJ    := $(BUILD)/gen/embedded.o
SCHEMA_OBJ := $(SCHEMA_SRC:%.c=$(BUILD)/%.o) $(GEN_OBJ)
INGEST_OBJ := $(INGEST_SRC:%.c=$(BUILD)/%.o)
QUERY_OBJ  := $(QUERY_SRC:%.c=$(BUILD)/%.o)
EXT_OBJ    := $(EXT_SRC:%.c=$(BUILD)/pic/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# Everything but the two main.c files, for the unit tests to link against.
LIB_OBJ := $(SCHEMA_OBJ) $(filter-out $(BUILD)/ingest/main.o,$(INGEST_OBJ)) \
           $(filter-out $(BUILD)/query/main.o,$(QUERY_OBJ))

.PHONY: all deps test test-unit test-sql test-e2e demo bench check install uninstall clean fuzz
all: $(BIN)/callmine-ingest $(BIN)/callmine-query $(BIN)/callmine.so

# ---- dependencies: install only what a fresh Debian 12 lacks ---------------------------
DEB_PKGS := pkg-config libcurl4-openssl-dev libcjson-dev libsqlite3-dev zlib1g-dev \
            libpcre2-dev libdeflate-dev python3 python3-pytest sqlite3
deps:
	@missing=""; \
	command -v pkg-config >/dev/null 2>&1 || missing="pkg-config"; \
	if command -v pkg-config >/dev/null 2>&1; then \
	  for p in $(PKGS); do pkg-config --exists $$p || missing="$$missing $$p"; done; fi; \
	test -x /usr/bin/python3 && /usr/bin/python3 -c 'import pytest' 2>/dev/null || missing="$$missing pytest"; \
	command -v sqlite3 >/dev/null 2>&1 || missing="$$missing sqlite3"; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing$$missing; installing with apt-get" >&2; \
	  if [ "$$(id -u)" != 0 ]; then echo "deps: run as root, or install: $(DEB_PKGS)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS) >/dev/null; \
	fi

# npm-deps: for each folder of NPM_DIRS (the tests driven from Node: the report in a browser,
# the MCP server through the official SDK client), Debian's nodejs and npm when missing, then
# `npm ci` when the folder's node_modules is missing or older than its committed
# package-lock.json. `make npm-deps NPM_DIRS=tests/browser` does one folder.
NPM_DIRS ?= tests/browser tests/mcp
.PHONY: npm-deps
npm-deps:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo "npm-deps: nodejs/npm missing; installing with apt-get" >&2; \
	  if [ "$$(id -u)" != 0 ]; then echo "npm-deps: run as root, or install: nodejs npm" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	@for d in $(NPM_DIRS); do \
	  if [ ! -f $$d/node_modules/.package-lock.json ] || \
	     [ $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]; then \
	    echo "npm-deps: npm ci in $$d" >&2; \
	    (cd $$d && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || exit 1; \
	  fi; \
	done

# ---- build -------------------------------------------------------------------------------
$(BUILD)/gen/embedded.c: $(SQL_FILES) tools/embed_sql.sh
	@mkdir -p $(dir $@)
	sh tools/embed_sql.sh $@

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c schema/embedded.h
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(wildcard schema/*.h ingest/*.h query/*.h ext/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -DSQLITE_CORE $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/pic/%.o: %.c $(wildcard schema/*.h ext/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -fPIC -fvisibility=hidden $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BIN)/callmine-ingest: $(SCHEMA_OBJ) $(INGEST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) $(LDFLAGS) $^ $(LIBS_INGEST) -o $@

$(BIN)/callmine-query: $(SCHEMA_OBJ) $(QUERY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) $(LDFLAGS) $^ $(LIBS_QUERY) -o $@

$(BIN)/callmine.so: $(EXT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) $(LDFLAGS) -shared $(EXT_LDFLAGS) $^ $(shell pkg-config --libs libpcre2-8 libdeflate 2>/dev/null) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -DSQLITE_CORE -Iingest -Iquery $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS) $< $(LIB_OBJ) $(LIBS_ALL) -o $@

# ---- tests -------------------------------------------------------------------------------
# make test installs what is missing, then builds and runs every layer in a sub-make so
# pkg-config is asked only after the deps are in place.
test: deps npm-deps
	@$(MAKE) --no-print-directory test-all

# test_upgrade.py loads the plain extension into the stock sqlite3 shell (an ASan-built one
# needs the ASan runtime loaded first), so a sanitizer run builds bin/callmine.so too.
PLAIN_EXT := $(if $(SANITIZE),plain-ext)
.PHONY: plain-ext
plain-ext:
	@$(MAKE) --no-print-directory SANITIZE= bin/callmine.so

.PHONY: test-all
test-all: all $(UNIT_BIN) $(PLAIN_EXT)
	@$(MAKE) --no-print-directory test-unit test-sql test-fuzz-regress
	@CALLMINE_BIN=$(abspath $(BIN)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

test-unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do $(VALGRIND) ./$$t || fail=1; done; exit $$fail

# An ASan-built extension needs the ASan runtime loaded first in the stock sqlite3 shell.
ifneq ($(findstring address,$(SANITIZE)),)
  SQL_SHELL = env LD_PRELOAD=$(shell $(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 sqlite3
else
  SQL_SHELL = sqlite3
endif

test-sql: $(BIN)/callmine.so
	@SQLITE3="$(SQL_SHELL)" sh tests/sql/run.sh $(BIN)/callmine

test-e2e: all
	@CALLMINE_BIN=$(abspath $(BIN)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

demo: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tools/demo.py

# make bench: the fast parts; the 100,000-call parts too when that mirror is cached (under
# $CALLMINE_BENCH_CACHE, default ~/.cache/callmine/bench) or with BIG=1 (builds it: ~20 min).
BIG ?=
bench: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tools/bench.py $(if $(BIG),--big)

# schema/casefold_table.h is generated (tools/gen_casefold.py): its layout is the generator's.
FORMATTED := $(filter-out schema/casefold_table.h,\
               $(wildcard schema/*.[ch] ingest/*.[ch] query/*.[ch] ext/*.[ch] tests/unit/*.c))
check:
	clang-format --dry-run --Werror $(FORMATTED)
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem -Ischema -Iext schema ingest query ext

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs, the SQLite extension (for
# `.load PREFIX/lib/callmine/callmine`), the man pages and the bash completion (one file,
# linked under both program names so bash-completion finds it for either).
MANDIR   ?= $(PREFIX)/share/man/man1
COMPDIR  ?= $(PREFIX)/share/bash-completion/completions
INSTALLED := $(PREFIX)/bin/callmine-ingest $(PREFIX)/bin/callmine-query \
             $(PREFIX)/lib/callmine/callmine.so $(MANDIR)/callmine-ingest.1 \
             $(MANDIR)/callmine-query.1 $(COMPDIR)/callmine-query $(COMPDIR)/callmine-ingest

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/callmine $(DESTDIR)$(MANDIR) \
	  $(DESTDIR)$(COMPDIR)
	install -m 755 $(BIN)/callmine-ingest $(BIN)/callmine-query $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BIN)/callmine.so $(DESTDIR)$(PREFIX)/lib/callmine/
	install -m 644 man/callmine-ingest.1 man/callmine-query.1 $(DESTDIR)$(MANDIR)/
	install -m 644 completion/callmine.bash $(DESTDIR)$(COMPDIR)/callmine-query
	ln -sf callmine-query $(DESTDIR)$(COMPDIR)/callmine-ingest

# Removes exactly what install put there, then the directories it made when they are empty.
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	rmdir $(DESTDIR)$(PREFIX)/lib/callmine 2>/dev/null || true

clean:
	rm -rf build build-san bin

# ---- fuzzing -----------------------------------------------------------------------------
# make fuzz                 each tests/fuzz/fuzz_<name>.c under libFuzzer (clang) for
#                           FUZZ_SECONDS, on a scratch copy of its corpus in build/fuzz/
# make test-fuzz-regress    replay tests/fuzz/regress/ and corpus/ inputs through the same
#                           harnesses built with $(CC) and tests/fuzz/standalone.c (no clang)
# Each harness compiles the project sources it needs directly (FUZZ_SRC_<name>).
.PHONY: fuzz fuzz-deps fuzz-run test-fuzz-regress
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
FUZZ_DEB_PKGS := clang libclang-rt-dev
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_COMMON  := $(SCHEMA_SRC) $(BUILD)/gen/embedded.c
FUZZ_SRC_parse  := ingest/parse.c ingest/jsonwalk.c ingest/deals.c ingest/store.c
FUZZ_SRC_regex  := ext/re.c
FUZZ_SRC_out    := query/out.c
FUZZ_SRC_filter := query/filter.c query/stages.c ext/ext.c ext/re.c ext/analysis_fn.c \
                   ext/convo.c ext/mention.c ext/keysum.c
# the filter's SQL calls casefold() and regexp(): the extension, linked in as callmine-query has it
FUZZ_DEFS_filter := -DSQLITE_CORE
FUZZ_DEPS    := tests/fuzz/fuzz.h $(FUZZ_COMMON) $(FUZZ_SRC_parse) $(FUZZ_SRC_regex) \
                $(FUZZ_SRC_out) $(FUZZ_SRC_filter) $(wildcard schema/*.h ingest/*.h query/*.h ext/*.h)
FUZZ_LIBS     = $(shell pkg-config --libs libcjson sqlite3 libdeflate libpcre2-8 zlib 2>/dev/null) -lpthread -lm
FUZZ_INC     := -Iingest -Iquery -Iext -Itests/fuzz
# clang's own warnings never stop a fuzz run: the project flags minus -Werror
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(filter-out -Werror,$(WARN)) \
                -Ischema -I$(BUILD)/gen $(FUZZ_INC) -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all -g -O1

# clang and its libFuzzer runtime (Debian 12: clang, libclang-rt-dev -> libclang-rt-14-dev)
fuzz-deps: deps
	@mkdir -p $(FUZZ_DIR)
	@probe() { printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	    > $(FUZZ_DIR)/probe.c && $(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_DIR)/probe.c \
	    -o $(FUZZ_DIR)/probe >/dev/null 2>&1; }; \
	if ! command -v $(FUZZ_CC) >/dev/null 2>&1 || ! probe; then \
	  echo "fuzz: $(FUZZ_CC) with libFuzzer missing; installing $(FUZZ_DEB_PKGS) with apt-get" >&2; \
	  if [ "$$(id -u)" != 0 ]; then echo "fuzz: run as root, or install: $(FUZZ_DEB_PKGS)" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FUZZ_DEB_PKGS) >/dev/null; \
	  probe || { echo "fuzz: $(FUZZ_CC) -fsanitize=fuzzer still does not link" >&2; exit 1; }; \
	fi

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-run

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS_$*) $(PKG_CFLAGS) $< $(FUZZ_COMMON) $(FUZZ_SRC_$*) $(FUZZ_LIBS) -o $@

# The corpus grows in build/fuzz/corpus/<name> across runs; the repo's seeds and regress
# inputs are copied in first. Findings go to build/fuzz/crashes/<name>/.
fuzz-run: $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
	@fail=0; for h in $(FUZZ_NAMES); do \
	  c=$(FUZZ_DIR)/corpus/$$h; a=$(FUZZ_DIR)/crashes/$$h; mkdir -p $$c $$a; \
	  for f in tests/fuzz/corpus/$$h/* tests/fuzz/regress/$$h/*; do \
	    [ -f "$$f" ] && cp "$$f" $$c/; done; \
	  ./$(FUZZ_DIR)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$$a/ $$c > $(FUZZ_DIR)/$$h.log 2>&1; rc=$$?; \
	  n=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_DIR)/$$h.log); \
	  echo "fuzz $$h: $${n:-?} executions in $(FUZZ_SECONDS) s ($(FUZZ_DIR)/$$h.log)"; \
	  if [ $$rc != 0 ]; then fail=1; \
	    echo "fuzz $$h: FAILED (exit $$rc); input in $$a/, stack in $(FUZZ_DIR)/$$h.log" >&2; fi; \
	done; exit $$fail

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/standalone.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FUZZ_DEFS_$*) $(FUZZ_INC) $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS) $< tests/fuzz/standalone.c \
	  $(FUZZ_COMMON) $(FUZZ_SRC_$*) $(FUZZ_LIBS) -o $@

test-fuzz-regress: $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)
	@VALGRIND="$(VALGRIND)" sh tests/fuzz/run_regress.sh $(BUILD)/fuzz

# ---- valgrind ------------------------------------------------------------------------------
# make test-valgrind    both programs' main paths under memcheck against a small fake-server
#                       mirror (tests/valgrind.sh; installs valgrind when missing, as root)
.PHONY: test-valgrind
test-valgrind: all
	@CALLMINE_BIN=$(abspath $(BIN)) PYTHON=$(PYTHON) sh tests/valgrind.sh $(abspath $(BIN))
