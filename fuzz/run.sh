#!/bin/sh
# Build the libFuzzer targets with clang and run each for a bounded time.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS defaults to 60 per target; TARGET defaults to all of them
# (report matrix expectations cli http).  The build goes to
# $LC_FUZZ_BUILD_DIR (default: build-fuzz in the source tree); new inputs
# and crash artifacts to $LC_FUZZ_WORK_DIR (default: <build dir>/fuzz-work),
# never into the seed corpora.  LC_FUZZ_JOBS=N runs N targets at once.
# LC_FUZZ_SEED=N fixes libFuzzer's random seed (CI: a run that can be
# repeated exactly); unset, every run explores from a new seed.
# Exits 1 if any target crashed, leaked, timed out or ran out of memory; the
# reproducer's path is printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-report matrix expectations cli http}
build=${LC_FUZZ_BUILD_DIR:-$src/build-fuzz}
work=${LC_FUZZ_WORK_DIR:-$build/fuzz-work}
jobs=${LC_FUZZ_JOBS:-1}

case $seconds in
    ''|*[!0-9]*) echo "fuzz/run.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac
if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz/run.sh: clang not found (libFuzzer comes with it)" >&2
    exit 2
fi

mkdir -p "$build"
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLC_FUZZ=ON -DLC_SANITIZE=address,undefined -DLC_BUILD_TESTS=OFF -DLC_BUILD_BENCH=OFF \
    >"$build/fuzz-configure.log" 2>&1 || { cat "$build/fuzz-configure.log" >&2; exit 2; }
cmake --build "$build" --target fuzz -j "${LC_FUZZ_BUILD_JOBS:-2}" >"$build/fuzz-build.log" 2>&1 ||
    { tail -40 "$build/fuzz-build.log" >&2; exit 2; }

# UBSan findings are crashes too; leaks are findings (detect_leaks is on).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1

run_one() {
    t=$1
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
    log=$work/$t.log
    start=$(date +%s)
    if "$build/fuzz/fuzz_$t" ${LC_FUZZ_SEED:+-seed="$LC_FUZZ_SEED"} \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
        -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" \
        "$work/corpus/$t" "$here/corpus/$t" >"$log" 2>&1; then
        rc=0
    else
        rc=$?
    fi
    end=$(date +%s)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz_$t: ok, $((end - start)) s, ${runs:-?} runs"
    else
        echo "fuzz_$t: FAILED (exit $rc) after $((end - start)) s; log $log"
        for a in "$work/artifacts/$t"/*; do
            [ -f "$a" ] || continue
            echo "  reproducer: $a"
            # Again with the target's own stderr open: its message says
            # which rule the input broke.
            "$build/fuzz/fuzz_$t" "$a" 2>&1 | grep -a -v -e '^INFO:' -e '^Running:' -e '^Executed' |
                head -n 3 | sed 's/^/    /'
        done
        grep -m 5 -E 'ERROR|runtime error|SUMMARY' "$log" | sed 's/^/  /'
    fi
    return "$rc"
}

fail=0
running=0
pids=""
for t in $targets; do
    if [ ! -f "$here/fuzz_$t.c" ]; then
        echo "fuzz/run.sh: unknown target '$t' (known: report matrix expectations cli http)" >&2
        exit 2
    fi
    run_one "$t" &
    pids="$pids $!"
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        for p in $pids; do wait "$p" || fail=1; done
        pids=""
        running=0
    fi
done
for p in $pids; do wait "$p" || fail=1; done
exit "$fail"
