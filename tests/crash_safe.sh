#!/bin/sh
# Crash-safe reports.
#
#   tests/crash_safe.sh LOOPCOMPAT SOURCE_DIR
#
# 1. `loopcompat run` killed with SIGKILL midway leaves a journal that
#    `loopcompat validate` accepts, holding every result completed before
#    the kill; the previous report is untouched; `run --resume` finishes
#    the run with the journal's results kept as they were.
# 2. A run into a destination it cannot write (a path under /proc; as root
#    also a read-only bind mount and a full tmpfs) fails with exit 2 and one
#    line, before running anything, and leaves the previous report as it was.
# Needs python3 (JSON comparisons); exits 77 (skipped) without it.
set -u

bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
exp=$src/cases/expectations.json
command -v python3 >/dev/null 2>&1 || { echo "crash_safe: python3 not found: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-crash-safe.XXXXXX")
mounts=""
cleanup() {
    for m in $mounts; do umount "$m" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
cd "$tmp" || exit 1

fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# The run: enough quick items that a kill lands in the middle.
set -- --case 'callbacks/*' --case 'timers/call-later-order' --case 'timers/cancel' \
    --case 'close/*' --case 'fds/*socketpair*' -j 2 --quiet --expectations "$exp"

# ---- 1. SIGKILL midway ----------------------------------------------------
"$bin" run "$@" --output full.json >full.out 2>&1
rc=$?
[ "$rc" -le 1 ] || fail "the reference run exited $rc: $(tail -n 3 full.out)"
total=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' full.json)
[ "$total" -ge 20 ] || fail "the reference run has only $total results"

cp full.json out.json
sum_before=$(cksum <out.json)
"$bin" run "$@" --output out.json >killed.out 2>&1 &
pid=$!
# Kill once about a third of the results are in the journal.
want=$((total / 3 + 1))
i=0
while [ "$(lines out.json.journal)" -le "$want" ] && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
done
seen=$(($(lines out.json.journal) - 1))
kill -KILL "$pid"
wait "$pid" 2>/dev/null
after=$(($(lines out.json.journal) - 1))
echo "killed the run with SIGKILL after $seen of $total results were journalled ($after at the end)"
[ "$seen" -gt 0 ] && [ "$seen" -lt "$total" ] || fail "the kill did not land midway ($seen of $total)"
[ "$(cksum <out.json)" = "$sum_before" ] || fail "the killed run changed the previous report"

if "$bin" validate out.json.journal >validate.out 2>&1; then
    n=$(sed -n 's/^ok: report v1, \([0-9]*\) results.*/\1/p' validate.out)
    echo "validate: $(cat validate.out)"
    [ "${n:-0}" -ge "$seen" ] || fail "the journal validates with $n results, $seen were completed"
    [ "${n:-0}" -eq "$after" ] || fail "the journal validates with $n results, it holds $after records"
else
    fail "validate refused the killed run's journal: $(cat validate.out)"
fi
# The other tools read it too: diff against the complete run.
"$bin" diff full.json out.json.journal --json >diff.json 2>diff.err
rc=$?
[ "$rc" -le 1 ] || fail "diff of the journal: exit $rc: $(cat diff.err)"
python3 - diff.json "$after" <<'EOF' || fail "diff read the journal with another number of results"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["new"]["results"] == int(sys.argv[2]), d["new"]
EOF

# Without --resume, the journal of the killed run is not overwritten.
"$bin" run "$@" --output out.json >again.out 2>again.err
rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l <again.err)" -eq 1 ] && grep -q -- "--resume" again.err ||
    fail "a new run over an interrupted run's journal: exit $rc, $(cat again.err)"

cp out.json.journal kept.journal
"$bin" run "$@" --output out.json --resume >resume.out 2>&1
rc=$?
[ "$rc" -le 1 ] || fail "run --resume exited $rc: $(tail -n 3 resume.out)"
grep -q "^resuming: $after of $total results" resume.out || fail "resume: $(head -n 1 resume.out)"
[ ! -e out.json.journal ] || fail "the journal is still there after the resumed run completed"
"$bin" validate out.json >/dev/null 2>&1 || fail "the resumed run's report does not validate"
python3 - out.json kept.journal "$total" <<'EOF' || fail "the resumed report lost or changed journalled results"
import json, sys
report = json.load(open(sys.argv[1]))
rows = report["results"]
assert len(rows) == int(sys.argv[3]), ("results", len(rows))
assert "incomplete" not in report
key = lambda r: (r["case"], r["backend"], r["variant"])
assert len({key(r) for r in rows}) == len(rows), "duplicate rows"
final = {key(r): r for r in rows}
lines = open(sys.argv[2], 'rb').read().split(b'\n')[1:]
kept = [json.loads(l)["result"] for l in lines if l.strip()]
for r in kept:
    assert final[key(r)] == r, ("changed", key(r))
print("resume kept %d journalled results and ran %d more" % (len(kept), len(rows) - len(kept)))
EOF

# ---- 2. unwritable and full destinations ----------------------------------
one='--case callbacks/call-soon-fifo --backend poll --quiet'
expect_refused() {
    what=$1 dir=$2
    sum=$(cksum <"$dir/prev.json")
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$bin" run $one --expectations "$exp" --output "$dir/prev.json" >w.out 2>w.err
    rc=$?
    if [ "$rc" -ne 2 ] || [ "$(wc -l <w.err)" -ne 1 ]; then
        fail "$what: exit $rc, stderr: $(cat w.err)"
    else
        echo "$what: exit 2: $(cat w.err)"
    fi
    [ "$(cksum <"$dir/prev.json")" = "$sum" ] || fail "$what: the previous report changed"
    leftovers=$(ls -A "$dir" | grep -v -e '^prev.json$' -e '^filler$')
    [ -z "$leftovers" ] || fail "$what: left files behind: $leftovers"
    grep -q "results:" w.out && fail "$what: cases ran before the destination was found unwritable"
}

# /proc/self: no regular files can be created there (proc(5)), even by root.
"$bin" run $one --expectations "$exp" --output /proc/self/lc-report.json >p.out 2>p.err
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <p.err)" -eq 1 ]; then
    echo "output under /proc/self: exit 2: $(cat p.err)"
else
    fail "output under /proc/self: exit $rc, stderr: $(cat p.err)"
fi

if [ "$(id -u)" -eq 0 ]; then
    mkdir ro full
    cp "$src/fuzz/corpus/report/two-results.json" ro/prev.json
    if mount --bind ro ro 2>/dev/null; then
        mounts="$tmp/ro $mounts"
        if mount -o remount,bind,ro ro 2>/dev/null; then
            expect_refused "read-only bind mount" ro
        else
            echo "read-only bind mount: remount refused here: not tried"
        fi
    else
        echo "read-only bind mount: mount refused here: not tried"
    fi
    if mount -t tmpfs -o size=64k tmpfs full 2>/dev/null; then
        mounts="$tmp/full $mounts"
        cp "$src/fuzz/corpus/report/two-results.json" full/prev.json
        dd if=/dev/zero of=full/filler bs=1024 count=1024 2>/dev/null
        expect_refused "full tmpfs (ENOSPC)" full
    else
        echo "full tmpfs: mount refused here: not tried"
    fi
else
    echo "read-only and full filesystems need root (mount): not tried"
fi

if [ "$fails" -ne 0 ]; then
    echo "crash_safe: $fails check(s) failed" >&2
    exit 1
fi
echo "crash_safe: all checks passed"
