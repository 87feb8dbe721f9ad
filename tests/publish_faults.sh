#!/bin/sh
# publish's fault paths: a server that answers 503 (Retry-After: 1) then 201
# is retried through; one that accepts and never answers makes publish give
# up with exit 2 within its timeouts; a dead port gives exit 2 with one
# line of error.
#
#   publish_faults.sh LOOPCOMPAT FAULT_SERVER_PY WORKDIR
# Exit 77 (skipped) when python3 is not installed.
set -u
LC=$1 SERVER=$2 W=$3
command -v python3 >/dev/null || { echo "python3 not installed: skipping"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$W" && mkdir -p "$W" || exit 1
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# Sets PORT.  Not called inside $(...): the server would hold the
# substitution's pipe open.
start_server() { # MODE NAME
    python3 "$SERVER" "$1" "$W/$2.port" "$W/$2.log" > "$W/$2.server.out" 2>&1 &
    PIDS="$PIDS $!"
    i=0
    while [ ! -s "$W/$2.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s "$W/$2.port" ] || fail "fault server $1 did not start"
    PORT=$(cat "$W/$2.port")
}

# A small valid report to send.
cat > "$W/report.json" <<'JSON'
{"format": "loopcompat-report", "format_version": 1,
 "generator": {"name": "loopcompat", "version": "0.1.0", "revision": "test"},
 "time_start": 1732230000123, "time_end": 1732230000456,
 "run_info": {"platform_id": "linux-test-x86_64", "os": "linux", "os_version": "6.1",
              "arch": "x86_64", "libc": "glibc 2.36", "cpu_count": 1, "compiler": "gcc",
              "build_type": "Release"},
 "backends": {"poll": {"available": true, "timeout_granularity_ns": 1000000}},
 "platform_limits": {},
 "results": [{"case": "callbacks/call-soon-fifo", "backend": "poll", "variant": null,
              "status": "PASS", "expected": "PASS", "known_intermittent": [],
              "unexpected": false, "message": null, "duration_ms": 1, "evidence": {},
              "refs": [], "measurements": {}}]}
JSON

now() { date +%s; }

# 1. 503 then 201: retried, honouring Retry-After, and succeeds.
start_server 503-then-201 flaky
t0=$(now)
"$LC" publish "$W/report.json" --url "http://127.0.0.1:$PORT/up" --method POST --retries 3 \
    --timeout 10 > "$W/flaky.out" 2>&1
rc=$?
t1=$(now)
cat "$W/flaky.out"
[ $rc -eq 0 ] || fail "publish through a 503 exited $rc"
[ "$(wc -l < "$W/flaky.log")" -eq 2 ] || { cat "$W/flaky.log"; fail "want exactly 2 requests"; }
head -1 "$W/flaky.log" | grep -q "^POST /up 503 gzip none " || { cat "$W/flaky.log"; fail "first request"; }
sed -n 2p "$W/flaky.log" | grep -q "^POST /up 201 gzip none " || { cat "$W/flaky.log"; fail "second request"; }
grep -q "retrying in 1 s" "$W/flaky.out" || fail "no retry message"
[ $((t1 - t0)) -ge 1 ] || fail "did not wait for Retry-After"
echo "503 then 201: ok in $((t1 - t0)) s"

# 2. Accepts, never answers: two attempts of 2 s and a 1 s backoff, then exit 2.
start_server silent silent
t0=$(now)
"$LC" publish "$W/report.json" --url "http://127.0.0.1:$PORT/up" --timeout 2 --retries 1 \
    > "$W/silent.out" 2>&1
rc=$?
t1=$(now)
cat "$W/silent.out"
[ $rc -eq 2 ] || fail "publish to a silent server exited $rc, want 2"
[ $((t1 - t0)) -le 15 ] || fail "took $((t1 - t0)) s, beyond its timeouts"
[ $((t1 - t0)) -ge 4 ] || fail "gave up after $((t1 - t0)) s, before its timeouts"
tail -1 "$W/silent.out" | grep -q "^loopcompat publish: .*gave up after 2 attempts$" ||
    fail "last line is not the one-line give-up error"
echo "silent server: exit 2 after $((t1 - t0)) s"

# 3. Dead port: nothing listens on it.
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LC" publish "$W/report.json" --url "http://127.0.0.1:$DEAD/up" --retries 1 > "$W/dead.out" 2>&1
rc=$?
cat "$W/dead.out"
[ $rc -eq 2 ] || fail "publish to a dead port exited $rc, want 2"
tail -1 "$W/dead.out" | grep -q "gave up after 2 attempts" || fail "no give-up line"
echo "ok"
