#!/bin/sh
# What a report or baseline (a file, or fetched from a server) can make the
# report tools print: printable text only, each finding on its one line, and
# no credential of a URL given on the command line.  The hostile report's
# message holds LF, CR, ESC sequences, BEL, BS, DEL, a C1 CSI, a
# right-to-left override and a line separator; its os_version holds '|',
# LF and ESC.  (The loader's patterns and enums keep such text out of the
# other fields a table cell shows: the Check suite untrusted_output feeds
# those to the renderers directly.)
#
#   untrusted_text.sh LOOPCOMPAT FAULT_SERVER_PY EXPECTATIONS WORKDIR
# Exit 77 (skipped) when python3 is not installed.
set -u
LC=$1 SERVER=$2 EXP=$3 W=$4
command -v python3 >/dev/null || { echo "python3 not installed: skipping"; exit 77; }
rm -rf "$W" && mkdir -p "$W/www" || exit 1
FAILED=0
bad() { echo "FAIL: $*"; FAILED=1; }
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# FILE has no control character but LF, no C1 control, no line or
# paragraph separator, no bidirectional control, and is valid UTF-8.
printable() {
    python3 -c 'import sys, unicodedata
try:
    t = open(sys.argv[1], "rb").read().decode("utf-8")
except UnicodeDecodeError:
    sys.exit(1)
sys.exit(1 if [c for c in t if c != "\n" and (unicodedata.category(c) == "Cc"
         or c in "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")]
         else 0)' "$1"
}

python3 - "$W" <<'PY' || exit 1
import json, sys
w = sys.argv[1]
HOSTILE = ("boom\nREGRESSION  poll callbacks/forged: PASS (as expected)\r"
           "\x1b[2J\x1b]0;owned\x07\x08\x7f\u009b31m\u202eevil\u2028next")
def report(os_version, rows):
    return {"format": "loopcompat-report", "format_version": 1,
            "generator": {"name": "loopcompat", "version": "0.1.0", "revision": "test"},
            "time_start": 1732230000123, "time_end": 1732230000456,
            "run_info": {"platform_id": "linux-test-x86_64", "os": "linux",
                         "os_version": os_version, "arch": "x86_64", "libc": "glibc 2.36",
                         "cpu_count": 1, "compiler": "gcc", "build_type": "Release"},
            "backends": {"poll": {"available": True, "timeout_granularity_ns": 1000000}},
            "platform_limits": {}, "results": rows}
def row(case, status, message, measurements=None):
    return {"case": case, "backend": "poll", "variant": None, "status": status,
            "expected": "PASS", "known_intermittent": [], "unexpected": status != "PASS",
            "message": message, "duration_ms": 1, "evidence": {}, "refs": [],
            "measurements": measurements or {}}
json.dump(report("6.1", [row("callbacks/call-soon-fifo", "PASS", None)]),
          open(w + "/base.json", "w"))
json.dump(report("6.1\n| forged | row |\x1b[31m", [row("callbacks/call-soon-fifo", "FAIL", HOSTILE)]),
          open(w + "/hostile.json", "w"))
# A baseline for `run`: its own row, and one the run will not have, whose
# message the VANISHED line shows.
json.dump(report("6.1", [row("callbacks/call-soon-fifo", "PASS", None),
                         row("callbacks/zz-forged", "FAIL", HOSTILE)]),
          open(w + "/www/baseline.json", "w"))
PY
cp "$W/hostile.json" "$W/www/hostile.json"

# 1. diff: one REGRESSION line, printable, the message shown escaped.
"$LC" diff "$W/base.json" "$W/hostile.json" > "$W/diff.out" 2> "$W/diff.err"
rc=$?
cat "$W/diff.out"
[ $rc -eq 1 ] || bad "diff exited $rc, want 1"
[ "$(wc -l < "$W/diff.out")" -eq 3 ] || bad "diff printed $(wc -l < "$W/diff.out") lines, want 3"
[ "$(grep -c REGRESSION "$W/diff.out")" -eq 1 ] || bad "the message forged a REGRESSION line"
printable "$W/diff.out" || bad "diff printed control characters"
grep -qF 'boom\x0aREGRESSION' "$W/diff.out" || bad "the message's LF is not shown as \\x0a"
grep -qF '\x0d\x1b[2J\x1b]0;owned\x07\x08\x7f\u009b31m\u202eevil\u2028next' "$W/diff.out" ||
    bad "the message's controls are not shown escaped"

# A file name given by the user is shown cleaned too.
NAME=$(printf 'bad\033[31mname.json')
"$LC" validate "$W/$NAME" > "$W/name.out" 2>&1
cat "$W/name.out"
printable "$W/name.out" || bad "validate printed a file name's ESC"
grep -qF 'bad\x1b[31mname.json: No such file or directory' "$W/name.out" ||
    bad "the file name is not shown escaped"

# The same hostile documents from a server, named by URLs with credentials.
python3 "$SERVER" serve "$W/port" "$W/server.log" "$W/www" > "$W/server.out" 2>&1 &
PIDS="$PIDS $!"
i=0
while [ ! -s "$W/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$W/port" ] || { echo "FAIL: the server did not start"; exit 1; }
PORT=$(cat "$W/port")
CRED="http://ci:pw-9876@127.0.0.1:$PORT"
SHOWN="http://***@127.0.0.1:$PORT"
no_secret() { # FILE WHAT
    if grep -qF -e pw-9876 -e SIG-5555 "$1"; then bad "$2 shows a URL's credentials"; fi
}

# 2. diff and diff --json with a baseline URL: the URL shown redacted.
"$LC" diff "$CRED/hostile.json?sig=SIG-5555" "$W/base.json" > "$W/diffurl.out" 2>&1
cat "$W/diffurl.out"
no_secret "$W/diffurl.out" "diff"
printable "$W/diffurl.out" || bad "diff of a URL printed control characters"
grep -qF "base $SHOWN/hostile.json?sig=*** (" "$W/diffurl.out" || bad "diff does not name the URL redacted"
"$LC" diff "$CRED/hostile.json?sig=SIG-5555" "$W/base.json" --json > "$W/diffurl.json" 2>&1
no_secret "$W/diffurl.json" "diff --json"

# 3. validate: "ok: ...: URL" redacted; an unreachable URL's error too.
"$LC" validate "$CRED/hostile.json?sig=SIG-5555" > "$W/validate.out" 2>&1 || bad "validate failed"
cat "$W/validate.out"
no_secret "$W/validate.out" "validate"
grep -qxF "ok: report v1, 1 results: $SHOWN/hostile.json?sig=***" "$W/validate.out" ||
    bad "validate does not name the URL redacted"
"$LC" validate "$CRED/missing.json?sig=SIG-5555" > "$W/validate404.out" 2>&1
cat "$W/validate404.out"
no_secret "$W/validate404.out" "validate's error"
[ "$(wc -l < "$W/validate404.out")" -eq 1 ] || bad "validate's error is not one line"

# 4. merge and render: the matrix keeps the input's name (sources), the
#    page shows it; neither keeps the credentials.
"$LC" merge "$CRED/hostile.json?sig=SIG-5555" -o "$W/matrix.json" > "$W/merge.out" 2>&1 ||
    bad "merge failed"
no_secret "$W/matrix.json" "the merged matrix"
no_secret "$W/merge.out" "merge"
"$LC" render "$CRED/hostile.json?sig=SIG-5555" --html "$W/html" --markdown "$W/matrix.md" \
    > "$W/render.out" 2>&1 || bad "render failed"
no_secret "$W/html/index.html" "the HTML page"
no_secret "$W/render.out" "render"

# 5. The Markdown: the hostile os_version cannot add a line or a table row,
#    nor carry a control character.
cat "$W/matrix.md"
printable "$W/matrix.md" || bad "the Markdown has control characters"
[ "$(grep -c '^- ' "$W/matrix.md")" -eq 1 ] || bad "the platform's line was split"
if grep -q '^| forged' "$W/matrix.md"; then bad "the os_version forged a table row"; fi

# 6. run --baseline URL: the baseline's message in the VANISHED line, and
#    the URL in the comparison's first line.  The run selects callbacks/*,
#    so the baseline's callbacks/zz-forged row is inside its selection.
"$LC" run --case 'callbacks/*' --backend poll --quiet --expectations "$EXP" \
    --output "$W/run.json" --baseline "$CRED/baseline.json?sig=SIG-5555" > "$W/run.out" 2>&1
rc=$?
cat "$W/run.out"
[ $rc -le 1 ] || bad "run --baseline exited $rc"
no_secret "$W/run.out" "run --baseline"
printable "$W/run.out" || bad "run --baseline printed control characters"
[ "$(grep -c '^VANISHED ' "$W/run.out")" -eq 1 ] || bad "want one VANISHED line"
if grep -q '^REGRESSION  poll callbacks/forged' "$W/run.out"; then bad "a forged line"; fi

[ $FAILED -eq 0 ] || exit 1
echo "ok"
