#!/bin/sh
# run_regress.sh BINDIR: replay every saved fuzzer input through the harnesses built
# without libFuzzer (BINDIR/replay_<name>, from tests/fuzz/standalone.c): each file of
# tests/fuzz/regress/<name>/ (inputs that once crashed, hung or broke an invariant) and of
# tests/fuzz/corpus/<name>/ (the seeds). One process per input, so a failure names it.
# VALGRIND, when set, prefixes each run (as in make test-unit).
set -u
bindir=${1:?usage: run_regress.sh BINDIR}
here=$(dirname "$0")
n=0
failed=0
for kind in regress corpus; do
    for dir in "$here/$kind"/*/; do
        [ -d "$dir" ] || continue
        name=$(basename "$dir")
        bin=$bindir/replay_$name
        if [ ! -x "$bin" ]; then
            echo "fuzz regress: no replayer $bin for $dir" >&2
            failed=$((failed + 1))
            continue
        fi
        for f in "$dir"*; do
            [ -f "$f" ] || continue
            n=$((n + 1))
            if ! ${VALGRIND:-} "$bin" "$f" >/dev/null 2>"$bindir/replay.err"; then
                echo "fuzz regress: FAILED $name: $f" >&2
                sed 's/^/  /' "$bindir/replay.err" | head -40 >&2
                failed=$((failed + 1))
            fi
        done
    done
done
rm -f "$bindir/replay.err"
echo "fuzz regress: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
