#!/bin/sh
# valgrind.sh [BINDIR]: the main paths of callmine-ingest and callmine-query under valgrind
# (memcheck), against a small mirror of the bundled fake Gong server.
#
# ingest: a full small run, a run through faults (5xx, a dropped connection, a truncated
#         body, malformed JSON, an expired cursor), --status, --plan, a usage error
# query:  sql, calls, show --format json, grep -i --speaker -C 1, grep -c, export --redact,
#         analyze, report, an SQL error, an unknown call and usage errors
#
# A case passes when the program exits with the status it should and valgrind reports
# nothing: no memory error, no definitely or indirectly lost block. Blocks libcurl, GnuTLS
# and glibc keep until exit ("still reachable") are fine. PCRE2's JIT is turned off for the
# query (CALLMINE_NO_JIT=1): its generated code makes memcheck report false positives.
# The last line is "N passed, M failed"; the exit status is non-zero if any case failed.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
bindir=${1:-${CALLMINE_BIN:-$here/bin}}
python=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
ingest=$bindir/callmine-ingest
query=$bindir/callmine-query

if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "valgrind: not installed; installing it with apt-get" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind \
            >/dev/null || exit 1
    else
        echo "valgrind: not installed (apt-get install valgrind)" >&2
        exit 1
    fi
fi
for b in "$ingest" "$query"; do
    [ -x "$b" ] || { echo "valgrind: $b missing: run make first" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/callmine-valgrind.XXXXXX")
servers=""
cleanup() {
    for pid in $servers; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME ARGS...: run tools/fakegong.py, set $url to its address
start_server() {
    name=$1
    shift
    "$python" "$here/tools/fakegong.py" --port 0 --rate 0 --seed 4 --calls 120 \
        --start 2024-01-01 --days 60 "$@" >"$work/$name.url" 2>"$work/$name.log" &
    servers="$servers $!"
    i=0
    while ! grep -q '^URL ' "$work/$name.url" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 300 ]; then
            echo "valgrind: fakegong did not start:" >&2
            cat "$work/$name.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    url=$(sed -n 's/^URL //p' "$work/$name.url")
}

VG="valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect"
VG="$VG --track-fds=no --num-callers=30"
passed=0
failed=0

# check NAME WANT_STATUS CMD...: run CMD under valgrind; pass when it exits WANT_STATUS and
# valgrind wrote nothing to its log (an exit status alone cannot tell a program's own
# status 1 from valgrind's --error-exitcode)
check() {
    name=$1
    want=$2
    shift 2
    log="$work/vg-$name.log"
    $VG --log-file="$log" "$@" >"$work/out-$name" 2>"$work/err-$name"
    got=$?
    if [ "$got" = "$want" ] && [ ! -s "$log" ]; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit $got, want $want)"
        sed 's/^/    /' "$log" | head -80
        tail -5 "$work/err-$name" | sed 's/^/    stderr: /'
    fi
}

export GONG_ACCESS_KEY=demo-key GONG_ACCESS_KEY_SECRET=demo-secret
export CALLMINE_BACKOFF_BASE=0.01 CALLMINE_TIMEOUT=20
unset CALLMINE_DB GONG_BEARER_TOKEN 2>/dev/null
window="--from 2024-01-01 --to 2024-03-01"

start_server plain
plain=$url
start_server faults \
    --fault '{"path": "/v2/calls/extensive", "kind": "status", "status": 503, "count": 2}' \
    --fault '{"path": "/v2/calls/extensive", "kind": "drop", "after": 1, "count": 1}' \
    --fault '{"path": "/v2/calls/transcript", "kind": "truncate", "count": 1}' \
    --fault '{"path": "/v2/calls/transcript", "kind": "malformed", "after": 1, "count": 1}' \
    --fault '{"path": "/v2/calls/extensive", "kind": "expire_cursor", "count": 1}' \
    --fault '{"path": "/v2/users", "kind": "status", "status": 429, "retry_after": 1, "count": 1}'
faults=$url
start_server storm \
    --fault '{"path": "/v2/calls/extensive", "kind": "status", "status": 500, "after": 1, "count": 100}'
storm=$url

db=$work/mirror.db
check ingest-full 0 "$ingest" --db "$db" --rate 0 --base-url "$plain" $window
check ingest-again 0 "$ingest" --db "$db" --rate 0 --base-url "$plain" $window --refresh-deals
check ingest-faults 0 "$ingest" --db "$work/faults.db" --rate 0 --base-url "$faults" $window
check ingest-storm 1 "$ingest" --db "$work/storm.db" --rate 0 --base-url "$storm" $window
check ingest-resume 0 "$ingest" --db "$work/storm.db" --rate 0 --base-url "$plain"
check ingest-status 0 "$ingest" --db "$db" --status
check ingest-plan 0 "$ingest" --db "$work/plan.db" --base-url "$plain" --plan $window
check ingest-usage 2 "$ingest" --db "$db" --bogus
check ingest-bad-key 3 env GONG_ACCESS_KEY_SECRET=wrong "$ingest" --db "$work/x.db" --rate 0 \
    --base-url "$plain" $window

export CALLMINE_NO_JIT=1
id=$(sqlite3 "$db" "SELECT call_id FROM transcripts ORDER BY call_id LIMIT 1" 2>/dev/null ||
     "$query" --db "$db" sql "SELECT call_id FROM transcripts ORDER BY call_id LIMIT 1" |
     sed -n 2p)
check query-sql 0 "$query" --db "$db" --format jsonl sql \
    "SELECT id, title, regexp_count(transcript_text(id), '(?i)pric') FROM calls LIMIT 20"
check query-calls 0 "$query" --db "$db" calls --from 2024-01-15 --rep a
check query-show-json 0 "$query" --db "$db" show "$id" --format json
check query-grep 0 "$query" --db "$db" grep -i 'pricing|budget' --speaker customer -C 1 \
    --color always
check query-grep-jsonl 0 "$query" --db "$db" --format jsonl grep -i '\bclarivox\b' \
    --speaker rep --max-hits 20
check query-grep-count 0 "$query" --db "$db" grep -c -i 'discount'
check query-export 0 "$query" --db "$db" export "$work/shared.db" --redact --from 2024-01-10
check query-analyze 0 "$query" --db "$db" --format jsonl analyze talk-ratio --by month
check query-report 0 "$query" --db "$db" report -o "$work/report.html" --from 2024-01-01
check query-sql-error 2 "$query" --db "$db" sql "SELECT nope FROM calls"
check query-unknown-call 1 "$query" --db "$db" show no-such-call
check query-usage 2 "$query" --db "$db" grep
check query-bad-pattern 2 "$query" --db "$db" grep 'pric(ing'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
