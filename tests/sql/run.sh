#!/bin/sh
# Run the SQL tests of the extension: sh tests/sql/run.sh bin/callmine
#
# Each tests/sql/*.sql runs in the stock sqlite3 shell on an in-memory database with the
# extension loaded; every output row must end in "|1", and any error fails. Then a few
# statements that must fail are run, each checked for its error message. The last line is
# "N passed, M failed"; the exit status is non-zero when anything failed.
set -u
# SQLITE3 may name another shell command, e.g. one preloading a sanitizer runtime.
SQLITE3=${SQLITE3:-sqlite3}

if [ $# -ne 1 ]; then
    echo "usage: sh tests/sql/run.sh PATH/TO/callmine (without .so)" >&2
    exit 2
fi
case $1 in
/*) ext=$1 ;;
*) ext=$(pwd)/$1 ;;
esac
cd "$(dirname "$0")/../.." || exit 2
if ! command -v "${SQLITE3%% *}" >/dev/null 2>&1; then
    echo "run.sh: the sqlite3 shell is not installed" >&2
    exit 2
fi
if [ ! -f "$ext.so" ] && [ ! -f "$ext" ]; then
    echo "run.sh: no extension at $ext.so" >&2
    exit 2
fi

pass=0
fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

for f in tests/sql/*.sql; do
    $SQLITE3 -batch :memory: -cmd ".load $ext" <"$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    while IFS= read -r line; do
        case $line in
        *'|1') pass=$((pass + 1)) ;;
        *)
            fail=$((fail + 1))
            echo "FAIL $f: $line"
            ;;
        esac
    done <"$tmp/out"
    if [ -s "$tmp/err" ] || [ $rc -ne 0 ]; then
        fail=$((fail + 1))
        echo "FAIL $f: sqlite3 exited with $rc:"
        sed 's/^/    /' "$tmp/err"
    fi
done

# expect_error NAME SQL MESSAGE: SQL must fail with MESSAGE in its error.
expect_error() {
    printf '%s\n' "$2" | $SQLITE3 -batch :memory: -cmd ".load $ext" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 0 ] && grep -qF -- "$3" "$tmp/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $1: expected an error with '$3', got exit $rc:"
        sed 's/^/    /' "$tmp/out" "$tmp/err"
    fi
}

# A table with broken transcripts, for the error cases below.
broken="CREATE TABLE transcripts(call_id TEXT PRIMARY KEY, size INTEGER NOT NULL, body BLOB NOT NULL, sentences INTEGER NOT NULL, monologues TEXT, fetched TEXT) WITHOUT ROWID;
INSERT INTO transcripts VALUES ('bad', 100, x'789c0102030405', 0, NULL, NULL);
INSERT INTO transcripts VALUES ('short', 1000, sqlar_compress(CAST(printf('%.500c', 'x') AS BLOB)), 0, NULL, NULL);
INSERT INTO transcripts VALUES ('nosize', 'x', x'00', 0, NULL, NULL);
INSERT INTO transcripts VALUES ('garbled', 14, CAST('not a sentence' AS BLOB), 0, NULL, NULL);
INSERT INTO transcripts VALUES ('garbled2', 16, CAST('1'||char(9)||'2'||char(9)||'s'||char(9)||'ok'||char(10)||'broken'||char(10) AS BLOB), 0, NULL, NULL);"

expect_error err-1.1 "select regexp('a(', 'x');" "bad pattern at offset 2: missing closing parenthesis"
expect_error err-1.2 "select regexp_count('x', '[z-a]');" "bad pattern at offset 3: range out of order in character class"
expect_error err-1.3 "select regexp_substr('x', 'a**');" "bad pattern at offset 2: "
expect_error err-1.4 "select 'x' REGEXP '(?<n>a)(?<n>b)';" "bad pattern at offset"
expect_error err-1.5 "select regexp(CAST(x'61ff' AS TEXT), 'a');" "bad pattern at offset 1: UTF-8 error"
expect_error err-1.6 "select regexp('a\\Cb', 'ab');" "bad pattern at offset"
expect_error err-2.1 "select regexp('(a+)+\$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!');" "pattern is too complex: match limit hit"
expect_error err-2.2 "select regexp_count('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', '(a|aa)+\$');" "pattern is too complex"
expect_error err-2.3 "select regexp_count(replace(hex(zeroblob(1500000)), '0', 'ab'), '(a|b)*');" "pattern is too complex"
expect_error err-3.1 "select regexp_count('x', 'x', 'q');" "regexp_count: unknown flag 'q'"
expect_error err-3.2 "select regexp_like('x', 'x', 'ix');" "regexp_like: unknown flag 'x'"
expect_error err-4.1 "select transcript_text('c1');" "no such table: main.transcripts"
expect_error err-4.2 "$broken select transcript_text('bad');" "transcript of call bad is corrupt"
expect_error err-4.3 "$broken select transcript_text('short');" "transcript of call short is corrupt"
expect_error err-4.4 "$broken select transcript_text('nosize');" "transcript of call nosize is corrupt"
expect_error err-4.5 "$broken select count(*) from transcript_sentences('bad');" "transcript of call bad is corrupt"
expect_error err-4.6 "$broken select count(*) from transcript_sentences('garbled');" "transcript of call garbled is corrupt: line 1 is malformed"
expect_error err-4.7 "$broken select count(*) from transcript_sentences('garbled2');" "transcript of call garbled2 is corrupt: line 2 is malformed"
expect_error err-4.8 "select count(*) from transcript_sentences('x');" "no such table: main.transcripts"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
