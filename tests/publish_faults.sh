#!/bin/sh
# publish's fault paths: a server that answers 503 (Retry-After: 1) then 201
# is retried through; one that accepts and never answers makes publish give
# up with exit 3 within its timeouts; a dead port gives exit 3 with one
# line of error.  Then what a server or the user's input may not make it
# do: print the token or a URL's credentials (a server echoing them back),
# print control characters (a server's reason phrase and body), send a
# token that would inject a header, or send a token in plain text to a
# host that is not loopback.
#
#   publish_faults.sh LOOPCOMPAT FAULT_SERVER_PY WORKDIR
# Exit 77 (skipped) when python3 is not installed.
set -u
LC=$1 SERVER=$2 W=$3
command -v python3 >/dev/null || { echo "python3 not installed: skipping"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# The checks of what a server or the input may not make publish do go on
# after a failure, so that one run shows every one that fails.
FAILED=0
bad() { echo "FAIL: $*"; FAILED=1; }
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
    # 30 s: python3 alone took over 5 s to start on a loaded 2-core machine.
    while [ ! -s "$W/$2.port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
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

# FILE holds only printable ASCII and newlines.
printable() {
    python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
sys.exit(1 if [b for b in d if b != 10 and not 32 <= b < 127] else 0)' "$1"
}

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
# The file's bytes as they are: no Content-Encoding, its length.
SIZE=$(wc -c < "$W/report.json")
head -1 "$W/flaky.log" | grep -q "^POST /up 503 none none $SIZE\$" || { cat "$W/flaky.log"; fail "first request"; }
sed -n 2p "$W/flaky.log" | grep -q "^POST /up 201 none none $SIZE\$" || { cat "$W/flaky.log"; fail "second request"; }
grep -q "retrying in 1 s" "$W/flaky.out" || fail "no retry message"
[ $((t1 - t0)) -ge 1 ] || fail "did not wait for Retry-After"
echo "503 then 201: ok in $((t1 - t0)) s"

# 2. Accepts, never answers: two attempts of 2 s and a 1 s backoff, then exit 3 (network).
start_server silent silent
t0=$(now)
"$LC" publish "$W/report.json" --url "http://127.0.0.1:$PORT/up" --timeout 2 --retries 1 \
    > "$W/silent.out" 2>&1
rc=$?
t1=$(now)
cat "$W/silent.out"
[ $rc -eq 3 ] || fail "publish to a silent server exited $rc, want 3"
[ $((t1 - t0)) -le 15 ] || fail "took $((t1 - t0)) s, beyond its timeouts"
[ $((t1 - t0)) -ge 4 ] || fail "gave up after $((t1 - t0)) s, before its timeouts"
tail -1 "$W/silent.out" | grep -q "^loopcompat publish: .*gave up after 2 attempts$" ||
    fail "last line is not the one-line give-up error"
echo "silent server: exit 3 after $((t1 - t0)) s"

# 3. Dead port: nothing listens on it.
DEAD=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$LC" publish "$W/report.json" --url "http://127.0.0.1:$DEAD/up" --retries 1 > "$W/dead.out" 2>&1
rc=$?
cat "$W/dead.out"
[ $rc -eq 3 ] || fail "publish to a dead port exited $rc, want 3"
tail -1 "$W/dead.out" | grep -q "gave up after 2 attempts" || fail "no give-up line"
echo "dead port: exit 3"

# 3b. A WebDAV server that answers a PUT into a missing collection with 409
#     Conflict (RFC 4918 section 9.7.1): the collections above are made with
#     MKCOL, outermost first, and the PUT sent once more; with --latest, the
#     copy goes next to it without another MKCOL.
start_server webdav dav
"$LC" publish "$W/report.json" --url "http://127.0.0.1:$PORT/r/linux/run-1.json" --latest \
    --retries 0 > "$W/dav.out" 2>&1
rc=$?
cat "$W/dav.out" "$W/dav.log"
[ $rc -eq 0 ] || fail "publish to a WebDAV server without the collections exited $rc"
printf '%s\n' "PUT /r/linux/run-1.json 409" "MKCOL /r/ 201" "MKCOL /r/linux/ 201" \
    "PUT /r/linux/run-1.json 201" "PUT /r/linux/latest.json 201" > "$W/dav.want"
cut -d' ' -f1-3 "$W/dav.log" | cmp -s - "$W/dav.want" || fail "not the requests of RFC 4918: $(cat "$W/dav.log")"
echo "409 Conflict: collections made with MKCOL, then stored"

# 4. A server that echoes the request line and the Authorization header in
#    its reason phrase, and the header JSON-escaped in its body: the token
#    (in any of those forms, whole or cut) and the URL's credentials are
#    not printed.
start_server echo-auth echo
TOKEN='tok-Secret.4711/abc+def=='
COMPAT_TOKEN=$TOKEN "$LC" publish "$W/report.json" --token-env COMPAT_TOKEN --retries 0 \
    --url "http://pub:pw-5678@127.0.0.1:$PORT/up?token=qs-1234&x=1" > "$W/echo.out" 2>&1
rc=$?
cat "$W/echo.out"
[ $rc -eq 2 ] || bad "publish to a 401 exited $rc, want 2"
grep -q "^PUT /up?token=qs-1234&x=1 401 none Bearer " "$W/echo.log" ||
    { cat "$W/echo.log"; bad "the request did not carry the token"; }
for secret in Secret.4711 'abc+def' 'abc\/def' pw-5678 qs-1234; do
    if grep -qF -- "$secret" "$W/echo.out"; then bad "publish printed a secret: $secret"; fi
done
grep -qF "http://***@127.0.0.1:$PORT/up?token=***&x=1: HTTP 401 Unauthorized" "$W/echo.out" ||
    bad "the URL or the status line is not shown redacted"
[ "$(wc -l < "$W/echo.out")" -eq 1 ] || bad "not one line"
echo "echoing server: no secret printed"

# 5. A server whose reason phrase and body hold ESC sequences, BEL, BS,
#    CR, DEL, a C1 CSI, a byte that is not UTF-8 and a second line: one
#    line, printable, the controls shown as escapes.
start_server escapes esc
"$LC" publish "$W/report.json" --url "http://127.0.0.1:$PORT/up" --retries 0 > "$W/esc.out" 2>&1
rc=$?
od -c "$W/esc.out" | head -20
[ $rc -eq 2 ] || bad "publish to a 403 exited $rc, want 2"
[ "$(wc -l < "$W/esc.out")" -eq 1 ] || bad "the answer made more than one line"
printable "$W/esc.out" || bad "control characters or raw bytes reached the output"
grep -qF 'HTTP 403 Forbidden\x1b[2J\x1b]0;owned\x07\x08\x08\x7f: \x1b[31mred\x07' "$W/esc.out" ||
    bad "the reason phrase and body are not shown escaped"
grep -qF '\x0dloopcompat publish: stored\x08\x7f\u009b31m\xff' "$W/esc.out" ||
    bad "CR, BS, DEL, C1 or the invalid byte is not shown escaped"
echo "escapes: shown as escapes on one line"

# 6. A token that is not an RFC 6750 b64token (CR LF and a header, spaces
#    at an end, a character outside the set, '=' inside): one line, exit 2,
#    and no request made.
start_server echo-auth inj
for bad in "$(printf 'abc\r\nX-Injected: yes')" ' abc' 'abc ' 'ab,c' 'ab=c'; do
    COMPAT_TOKEN=$bad "$LC" publish "$W/report.json" --url "http://127.0.0.1:$PORT/up" \
        --token-env COMPAT_TOKEN --retries 0 > "$W/inj.out" 2>&1
    rc=$?
    cat "$W/inj.out"
    [ $rc -eq 2 ] || bad "a bad token exited $rc, want 2"
    [ "$(wc -l < "$W/inj.out")" -eq 1 ] || bad "a bad token: not one line"
    grep -q "^loopcompat publish: --token-env: COMPAT_TOKEN does not hold a bearer token" \
        "$W/inj.out" || bad "a bad token: not refused as such"
done
[ ! -s "$W/inj.log" ] || { cat "$W/inj.log"; bad "a request went out with a bad token"; }
echo "bad tokens: refused before any request"

# 7. A token over plain http:// to a host that is not loopback (192.0.2.1,
#    TEST-NET-1, RFC 5737) is refused before connecting; with
#    --allow-http-token it goes, after a one-line warning.
t0=$(now)
COMPAT_TOKEN=good-token "$LC" publish "$W/report.json" --url "http://192.0.2.1:9/up" \
    --token-env COMPAT_TOKEN --retries 0 --connect-timeout 1 > "$W/plain.out" 2>&1
rc=$?
cat "$W/plain.out"
[ $rc -eq 2 ] || bad "a token over http to 192.0.2.1 exited $rc, want 2"
[ "$(wc -l < "$W/plain.out")" -eq 1 ] || bad "the refusal is not one line"
grep -q "refusing to send the token in plain text (http://) to 192.0.2.1" "$W/plain.out" ||
    bad "not refused"
COMPAT_TOKEN=good-token "$LC" publish "$W/report.json" --url "http://192.0.2.1:9/up" \
    --token-env COMPAT_TOKEN --retries 0 --connect-timeout 1 --allow-http-token \
    > "$W/plain2.out" 2>&1
cat "$W/plain2.out"
head -1 "$W/plain2.out" |
    grep -qx "loopcompat publish: warning: the token goes in plain text (http://) to 192.0.2.1" ||
    bad "no warning with --allow-http-token"
t1=$(now)
[ $((t1 - t0)) -le 10 ] || bad "took $((t1 - t0)) s"
[ $FAILED -eq 0 ] || exit 1
echo "ok"
