# callmine: mirror Gong calls into one SQLite file, then query it offline.
#
#   make            bin/callmine-ingest, bin/callmine-query, bin/callmine.so
#   make test       unit tests, SQL tests, end-to-end tests (installs missing deps first)
#   make demo       fake Gong server -> demo.db -> a few analyses
#   make bench      throughput, memory and size figures
#   make check      clang-format and cppcheck
#   make install    PREFIX=/usr/local DESTDIR=
#   make SANITIZE=address,undefined test     sanitizer build (in build-san/)
#
# Sources are found by wildcard: a new ingest/x.c or tests/unit/test_x.c needs no edit here.

PREFIX  ?= /usr/local
CC      ?= cc
PYTHON  ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
PKGS    := libcurl libcjson sqlite3 zlib libpcre2-8 libdeflate
WERROR  ?= -Werror
SANITIZE ?=

ifneq ($(SANITIZE),)
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
               -Ischema -I$(BUILD)/gen
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS_INGEST = $(shell pkg-config --libs libcurl libcjson sqlite3 libdeflate 2>/dev/null) -lpthread -lm
LIBS_QUERY  = $(shell pkg-config --libs sqlite3 libpcre2-8 libdeflate 2>/dev/null) -lpthread -lm
LIBS_ALL    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

SCHEMA_SRC := $(wildcard schema/*.c)
INGEST_SRC := $(wildcard ingest/*.c)
QUERY_SRC  := $(wildcard query/*.c)
EXT_SRC    := query/ext.c query/re.c schema/transcript.c schema/zblob.c schema/buf.c schema/err.c
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

.PHONY: all deps test test-unit test-sql test-e2e demo bench check install clean fuzz
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

# ---- build -------------------------------------------------------------------------------
$(BUILD)/gen/embedded.c: $(SQL_FILES) tools/embed_sql.sh
	@mkdir -p $(dir $@)
	sh tools/embed_sql.sh $@

$(BUILD)/gen/embedded.o: $(BUILD)/gen/embedded.c schema/embedded.h
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(wildcard schema/*.h ingest/*.h query/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -DSQLITE_CORE $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/pic/%.o: %.c $(wildcard schema/*.h query/*.h)
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
	$(CC) $(SANFLAGS) $(LDFLAGS) -shared $^ $(shell pkg-config --libs libpcre2-8 libdeflate 2>/dev/null) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -DSQLITE_CORE -Iingest -Iquery $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS) $< $(LIB_OBJ) $(LIBS_ALL) -o $@

# ---- tests -------------------------------------------------------------------------------
# make test installs what is missing, then builds and runs every layer in a sub-make so
# pkg-config is asked only after the deps are in place.
test: deps
	@$(MAKE) --no-print-directory test-all

.PHONY: test-all
test-all: all $(UNIT_BIN)
	@$(MAKE) --no-print-directory test-unit test-sql
	@CALLMINE_BIN=$(abspath $(BIN)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

test-unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do $(VALGRIND) ./$$t || fail=1; done; exit $$fail

test-sql: $(BIN)/callmine.so
	@sh tests/sql/run.sh $(BIN)/callmine

test-e2e: all
	@CALLMINE_BIN=$(abspath $(BIN)) $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

demo: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tools/demo.py

bench: deps
	@$(MAKE) --no-print-directory all
	@$(PYTHON) tools/bench.py

check:
	clang-format --dry-run --Werror schema/*.[ch] ingest/*.[ch] query/*.[ch] tests/unit/*.c
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
	  --suppress=missingIncludeSystem -Ischema schema ingest query

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/callmine
	install -m 755 $(BIN)/callmine-ingest $(BIN)/callmine-query $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BIN)/callmine.so $(DESTDIR)$(PREFIX)/lib/callmine/

clean:
	rm -rf build build-san bin
