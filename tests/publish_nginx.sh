#!/bin/sh
# publish against a real nginx with WebDAV PUT: what the server stores and
# serves back is byte-identical to the file (a report, its JUnit and TAP, a
# rendered site with subdirectories made by MKCOL), each sent with the
# Content-Type of its name; with --gzip the stored object gunzips to the
# report; --latest stores the same bytes as latest.json; the bearer token
# from --token-env reaches the server and never appears in the tool's
# output; a report fetched over http loads like a file, and serves as a
# baseline, and a missing one is a warning with --baseline-missing=warn;
# headless Chromium loads the published site from nginx and sees its table.
#
#   publish_nginx.sh LOOPCOMPAT EXPECTATIONS WORKDIR
# Exit 77 (skipped) when nginx or curl is not installed.
set -u
LC=$1 EXP=$2 W=$3
# Absolute: the CI job below runs in a directory of its own.
LC=$(cd "$(dirname "$LC")" && pwd)/$(basename "$LC")
EXP=$(cd "$(dirname "$EXP")" && pwd)/$(basename "$EXP")
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null) || { echo "nginx not installed: skipping"; exit 77; }
[ -n "$NGINX" ] || { echo "nginx not installed: skipping"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed: skipping"; exit 77; }
[ -f /etc/nginx/mime.types ] || { echo "nginx's mime.types not installed: skipping"; exit 77; }

fail() { echo "FAIL: $*"; [ -f "$W/error.log" ] && tail -5 "$W/error.log"; exit 1; }

rm -rf "$W" && mkdir -p "$W/www" "$W/body" || exit 1
cleanup() { [ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# nginx refuses "user" unless the master runs as root (nginx.conf(5): user).
USER_LINE=""
[ "$(id -u)" = 0 ] && USER_LINE="user root;"

start_nginx() {
    PORT=$(free_port)
    cat > "$W/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
$USER_LINE
pid $W/nginx.pid;
error_log $W/error.log info;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    log_format t '\$request_method \$uri \$status \$http_content_encoding \$http_authorization [\$content_type]';
    access_log $W/access.log t;
    client_body_temp_path $W/body;
    proxy_temp_path $W/body;
    fastcgi_temp_path $W/body;
    uwsgi_temp_path $W/body;
    scgi_temp_path $W/body;
    server {
        listen 127.0.0.1:$PORT;
        root $W/www;
        location /reports/ {
            dav_methods PUT;
            create_full_put_path on;
            dav_access user:rw group:r all:r;
            client_max_body_size 64m;
        }
        # Without create_full_put_path: a PUT into a missing directory is
        # 409 Conflict, and publish makes the collections with MKCOL.
        location /site/ {
            dav_methods PUT MKCOL;
            dav_access user:rw group:r all:r;
            client_max_body_size 64m;
        }
    }
}
CONF
    "$NGINX" -p "$W" -c "$W/nginx.conf" -e "$W/error.log" &
    NGINX_PID=$!
    i=0
    while [ $i -lt 50 ]; do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# A port taken between free_port and nginx's bind: try another.
tries=0
until start_nginx; do
    tries=$((tries + 1))
    [ $tries -lt 5 ] || fail "nginx did not start"
    kill "$NGINX_PID" 2>/dev/null
done
BASE="http://127.0.0.1:$PORT"
echo "nginx on $BASE"

"$LC" run --case 'callbacks/*' --backend poll -j 2 --quiet --expectations "$EXP" \
    --output "$W/report.json" --junit "$W/junit.xml" --tap "$W/report.tap" > "$W/run.out" 2>&1
rc=$?
[ $rc -le 1 ] || { cat "$W/run.out"; fail "loopcompat run exited $rc"; }

# served_type PATH: the Content-Type nginx serves PATH with.
served_type() {
    curl -sf -o /dev/null -w '%{content_type}' "$BASE$1"
}
# sent_type PATH: the Content-Type publish's last PUT of PATH carried.
sent_type() {
    grep "^PUT $1 " "$W/access.log" | tail -1 | sed 's/.*\[\(.*\)\]$/\1/'
}
# same PATH FILE: what nginx serves at PATH is FILE's bytes.
same() {
    curl -sf "$BASE$1" -o "$W/back" || fail "GET $1"
    cmp "$2" "$W/back" || fail "$1 is not byte-identical to $2"
}

# 1. A dated report and its latest copy: the file's bytes, as they are.
SECRET="lc-secret-$$-token"
export LC_TEST_PUBLISH_TOKEN="$SECRET"
DATED=/reports/linux/2026-12-07T10-00-00Z.json
"$LC" publish "$W/report.json" --url "$BASE$DATED" --latest \
    --token-env LC_TEST_PUBLISH_TOKEN --retries 2 --timeout 20 > "$W/publish.out" 2>&1
rc=$?
cat "$W/publish.out"
[ $rc -eq 0 ] || fail "publish exited $rc"
[ "$(grep -c "HTTP 201" "$W/publish.out")" -eq 2 ] || fail "publish did not report HTTP 201 twice"
grep -q "$SECRET" "$W/publish.out" && fail "the token appeared in publish's output"
same "$DATED" "$W/report.json"
same /reports/linux/latest.json "$W/report.json"
grep -q "^PUT $DATED 201 - Bearer $SECRET \[application/json\]\$" "$W/access.log" ||
    { cat "$W/access.log"; fail "nginx did not see a plain PUT with application/json and the bearer token"; }
[ "$(served_type /reports/linux/latest.json)" = application/json ] ||
    fail "latest.json is served as $(served_type /reports/linux/latest.json)"
echo "report and latest: byte-identical ($(wc -c < "$W/report.json") bytes), served as application/json"

# A client reads it as JSON, as served.
python3 -c 'import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1]))
assert d["format"] == "loopcompat-report", d["format"]' "$BASE/reports/linux/latest.json" ||
    fail "json.load of the served report failed"

# 2. JUnit and TAP: their own types.
"$LC" publish "$W/junit.xml" --url "$BASE/reports/linux/junit.xml" > "$W/junit.out" 2>&1 ||
    { cat "$W/junit.out"; fail "publish junit.xml"; }
"$LC" publish "$W/report.tap" --url "$BASE/reports/linux/report.tap" > "$W/tap.out" 2>&1 ||
    { cat "$W/tap.out"; fail "publish report.tap"; }
same /reports/linux/junit.xml "$W/junit.xml"
same /reports/linux/report.tap "$W/report.tap"
[ "$(sent_type /reports/linux/junit.xml)" = application/xml ] || fail "junit.xml sent as $(sent_type /reports/linux/junit.xml)"
[ "$(sent_type /reports/linux/report.tap)" = "text/plain; charset=utf-8" ] || fail "report.tap sent as $(sent_type /reports/linux/report.tap)"
echo "junit and tap: byte-identical, sent as application/xml and text/plain"

# 3. --gzip: gzip on the wire and on disk, the report after gunzip.
"$LC" publish "$W/report.json" --url "$BASE/reports/linux/run-1.json.gz" --gzip > "$W/gz.out" 2>&1 ||
    { cat "$W/gz.out"; fail "publish --gzip"; }
grep -q "gzipped, application/json)" "$W/gz.out" || { cat "$W/gz.out"; fail "no gzip in the summary"; }
curl -sf "$BASE/reports/linux/run-1.json.gz" -o "$W/back.json.gz" || fail "GET of the gzipped report"
gunzip -c "$W/back.json.gz" > "$W/back.json" || fail "the stored object is not gzip"
cmp "$W/report.json" "$W/back.json" || fail "round trip changed the report"
grep -q "^PUT /reports/linux/run-1.json.gz 201 gzip - \[application/json\]\$" "$W/access.log" ||
    { cat "$W/access.log"; fail "nginx did not see PUT with gzip encoding"; }
echo "--gzip: the stored object gunzips to the report"

# The tools read reports over http, gunzipping what the server stored.
"$LC" diff "$W/report.json" "$BASE/reports/linux/run-1.json.gz" > "$W/diff.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$W/diff.out"; fail "diff against the published copy exited $rc"; }
"$LC" validate "$BASE/reports/linux/missing.json" > "$W/missing.out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "validate of a missing URL exited $rc, want 2"
grep -q "HTTP status 404" "$W/missing.out" || { cat "$W/missing.out"; fail "no HTTP 404 in the error"; }

# 4. The latest copy is a baseline; a missing one stops the run unless
#    --baseline-missing=warn, which says so on one line and goes on.
run_with() {
    "$LC" run --case 'callbacks/*' --backend poll -j 2 --quiet --expectations "$EXP" \
        --output "$W/again.json" "$@" > "$W/again.out" 2>&1
}
run_with --baseline "$BASE/reports/linux/latest.json"
rc=$?
[ $rc -le 1 ] || { cat "$W/again.out"; fail "run --baseline latest.json exited $rc"; }
grep -q "compared with the baseline" "$W/again.out" || fail "no comparison with the baseline"
run_with --baseline "$BASE/reports/linux/none.json"
rc=$?
[ $rc -eq 2 ] || { cat "$W/again.out"; fail "run with a 404 baseline exited $rc, want 2"; }
run_with --baseline "$BASE/reports/linux/none.json" --baseline-missing=warn
rc=$?
[ $rc -le 1 ] || { cat "$W/again.out"; fail "run --baseline-missing=warn with a 404 baseline exited $rc"; }
[ "$(grep -c "warning: --baseline: .*HTTP status 404" "$W/again.out")" -eq 1 ] ||
    { cat "$W/again.out"; fail "no one-line warning for the missing baseline"; }
grep -q "compared with the baseline" "$W/again.out" && fail "compared with a baseline that is missing"
echo "baseline: latest.json compared; a 404 is exit 2, or one warning with --baseline-missing=warn"

# 5. A rendered site, with a subdirectory two levels deep, to a location
#    without create_full_put_path: every file byte-identical, index.html
#    last, served as text/html.
"$LC" render "$W/report.json" --html "$W/site" > "$W/render.out" 2>&1 ||
    { cat "$W/render.out"; fail "render --html"; }
mkdir -p "$W/site/notes/deep" && printf 'a note\n' > "$W/site/notes/deep/a b.txt"
"$LC" publish "$W/site" --url "$BASE/site/" > "$W/site.out" 2>&1
rc=$?
cat "$W/site.out"
[ $rc -eq 0 ] || fail "publish of the site exited $rc"
n=$(find "$W/site" -type f | wc -l)
grep -q "published $W/site: $n files" "$W/site.out" || fail "not $n files published"
(cd "$W/site" && find . -type f) | while read -r f; do
    f=${f#./}
    curl -sf "$BASE/site/$(printf '%s' "$f" | sed 's/ /%20/g')" -o "$W/back" || { echo "GET $f"; exit 1; }
    cmp "$W/site/$f" "$W/back" || exit 1
done || fail "the published site differs from the rendered one"
grep -q "^MKCOL /site/notes/deep/ 201" "$W/access.log" || { cat "$W/access.log"; fail "no MKCOL of the subdirectory"; }
[ "$(grep '^PUT /site/' "$W/access.log" | grep ' 20[14] ' | tail -1 | cut -d' ' -f2)" = /site/index.html ] ||
    fail "index.html was not the last file sent"
case $(served_type /site/index.html) in text/html*) ;; *) fail "index.html served as $(served_type /site/index.html)" ;; esac
echo "site: $n files byte-identical, subdirectories made with MKCOL, index.html last"

# 6. A browser loads the published site from nginx and sees the table.
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -n "$CHROMIUM" ]; then
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$W/profile" \
        --dump-dom "$BASE/site/index.html" > "$W/dom.html" 2> "$W/chrome.err" ||
        { tail -5 "$W/chrome.err"; fail "chromium did not load the site"; }
    grep -q "<table" "$W/dom.html" || fail "no table in the DOM Chromium loaded"
    grep -q "callbacks/" "$W/dom.html" || fail "no case in the DOM Chromium loaded"
    grep -q "GET /site/index.html 200" "$W/access.log" || fail "Chromium did not fetch from nginx"
    echo "browser: the published index.html loads from nginx with its table"
else
    echo "note: chromium not installed: the browser check is not run"
fi

# 7. The CI job of docs/reports.md, twice, from a directory of its own: the
#    first run finds no baseline (404: one warning) and publishes its
#    report and latest.json; the second compares with that, and is green.
mkdir -p "$W/ci" || fail "mkdir ci"
for n in 1 2; do
    (cd "$W/ci" && "$LC" run --case 'callbacks/*' --backend poll -j 2 --quiet --expectations "$EXP" \
        --output report.json --junit junit.xml --tap report.tap \
        --baseline "$BASE/reports/ci/latest.json" --baseline-missing=warn) > "$W/ci/run$n.out" 2>&1
    rc=$?
    [ $rc -eq 0 ] || { cat "$W/ci/run$n.out"; fail "CI run $n exited $rc"; }
    (cd "$W/ci" && "$LC" publish report.json --url "$BASE/reports/ci/run-$n.json" --latest \
        --retries 4) > "$W/ci/publish$n.out" 2>&1 || { cat "$W/ci/publish$n.out"; fail "CI publish $n"; }
    (cd "$W/ci" && "$LC" render report.json --html site && "$LC" publish site --url "$BASE/reports/ci/site/") \
        > "$W/ci/site$n.out" 2>&1 || { cat "$W/ci/site$n.out"; fail "CI site $n"; }
    same /reports/ci/latest.json "$W/ci/report.json"
done
grep -q "warning: --baseline: .*HTTP status 404" "$W/ci/run1.out" || fail "CI run 1: no warning"
grep -q "warning" "$W/ci/run2.out" && fail "CI run 2 warned: $(grep warning "$W/ci/run2.out")"
grep -q "compared with the baseline" "$W/ci/run2.out" || fail "CI run 2 did not compare"
grep -q "^summary: 0 regressions" "$W/ci/run2.out" || { cat "$W/ci/run2.out"; fail "CI run 2: not 0 regressions"; }
echo "CI job twice: green without a baseline, then green against the first run's latest.json"

# Overwrite in place: PUT again, 204 from nginx, still 2xx.
"$LC" publish "$W/report.json" --url "$BASE$DATED" > "$W/again.out" 2>&1 ||
    { cat "$W/again.out"; fail "second publish (overwrite) failed"; }
grep -q "HTTP 204" "$W/again.out" || fail "overwrite: no HTTP 204"
echo "ok"
