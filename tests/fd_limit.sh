#!/bin/sh
# A low open-file limit is the harness's problem, never a case's result.
#
#   tests/fd_limit.sh LOOPCOMPAT SOURCE_DIR
#
# 1. Under `ulimit -n 40`, `run -j 32` says it lowered -j, and its report
#    has the same rows and statuses as the same run without the limit: no
#    ERROR row.
# 2. Under a limit too low for even one case, `run` fails before running
#    anything: one line, exit 2, no journal left behind.
# Needs python3 (JSON comparisons); exits 77 (skipped) without it.
set -u

bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
exp=$src/cases/expectations.json
command -v python3 >/dev/null 2>&1 || { echo "fd_limit: python3 not found: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-fd-limit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
# Quick cases that need few fds of their own.
set -- --case 'callbacks/*' --case 'close/*' --case 'timers/call-later-order' --case 'timers/cancel' \
    --quiet --expectations "$exp"

"$bin" run "$@" -j 2 --output ref.json >ref.out 2>&1
rc=$?
[ "$rc" -le 1 ] || fail "the reference run exited $rc: $(tail -n 3 ref.out)"

# ---- 1. ulimit -n 40, -j 32 ----------------------------------------------
(ulimit -n 40 && exec "$bin" run "$@" -j 32 --output low.json) >low.out 2>low.err
rc=$?
[ "$rc" -le 1 ] || fail "the run under ulimit -n 40 exited $rc: $(tail -n 3 low.err)"
grep -q -- "-j 32 lowered to [0-9]" low.err || fail "no word of -j being lowered: $(cat low.err)"
python3 - ref.json low.json <<'EOF' || fail "the report under ulimit -n 40 differs from the reference"
import json, sys
ref, low = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda r: (r["case"], r["backend"], r["variant"])
errors = [r for r in low["results"] if r["status"] == "ERROR"]
for r in errors:
    print("ERROR row: %s %s: %s" % (r["case"], r["backend"], r["message"]))
a = {key(r): r["status"] for r in ref["results"]}
b = {key(r): r["status"] for r in low["results"]}
for k in sorted(set(a) | set(b), key=str):
    if a.get(k) != b.get(k):
        print("%s: %s without the limit, %s with it" % (k, a.get(k), b.get(k)))
print("ulimit -n 40, -j 32: %d results, %d ERROR" % (len(b), len(errors)))
sys.exit(1 if errors or a != b else 0)
EOF

# ---- 2. not even one case fits ---------------------------------------------
(ulimit -n 12 && exec "$bin" run "$@" -j 4 --output none.json) >none.out 2>none.err
rc=$?
[ "$rc" -eq 2 ] || fail "under ulimit -n 12: exit $rc, expected 2"
[ "$(wc -l <none.err | tr -d ' ')" -eq 1 ] || fail "under ulimit -n 12, not one line: $(cat none.err)"
grep -q "open-file limit" none.err || fail "under ulimit -n 12, the error does not name the limit: $(cat none.err)"
[ ! -e none.json.journal ] || fail "under ulimit -n 12, a journal was left behind"
echo "ulimit -n 12: exit $rc: $(cat none.err)"

[ "$fails" -eq 0 ] || exit 1
echo "fd_limit: ok"
