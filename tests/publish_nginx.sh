#!/bin/sh
# publish against a real nginx with WebDAV PUT: the stored object, fetched
# back and gunzipped, is byte-identical to the report; the bearer token from
# --token-env reaches the server and never appears in the tool's output; a
# report fetched over http loads like a file.
#
#   publish_nginx.sh LOOPCOMPAT EXPECTATIONS WORKDIR
# Exit 77 (skipped) when nginx or curl is not installed.
set -u
LC=$1 EXP=$2 W=$3
NGINX=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null) || { echo "nginx not installed: skipping"; exit 77; }
[ -n "$NGINX" ] || { echo "nginx not installed: skipping"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed: skipping"; exit 77; }

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
    log_format t '\$request_method \$uri \$status \$http_content_encoding \$http_authorization';
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
    --output "$W/report.json" > "$W/run.out" 2>&1
rc=$?
[ $rc -le 1 ] || { cat "$W/run.out"; fail "loopcompat run exited $rc"; }

SECRET="lc-secret-$$-token"
export LC_TEST_PUBLISH_TOKEN="$SECRET"
"$LC" publish "$W/report.json" --url "$BASE/reports/linux/run-1.json.gz" \
    --token-env LC_TEST_PUBLISH_TOKEN --retries 2 --timeout 20 > "$W/publish.out" 2>&1
rc=$?
cat "$W/publish.out"
[ $rc -eq 0 ] || fail "publish exited $rc"
grep -q "HTTP 201" "$W/publish.out" || fail "publish did not report HTTP 201"
grep -q "$SECRET" "$W/publish.out" && fail "the token appeared in publish's output"

curl -sf "$BASE/reports/linux/run-1.json.gz" -o "$W/back.json.gz" || fail "GET of the published report"
gunzip -c "$W/back.json.gz" > "$W/back.json" || fail "the stored object is not gzip"
cmp "$W/report.json" "$W/back.json" || fail "round trip changed the report"
echo "round trip: byte-identical after gunzip ($(wc -c < "$W/report.json") bytes)"

grep -q "^PUT /reports/linux/run-1.json.gz 201 gzip Bearer $SECRET\$" "$W/access.log" ||
    { cat "$W/access.log"; fail "nginx did not see PUT with gzip encoding and the bearer token"; }

# The tools read reports over http, gunzipping what the server stored.
"$LC" diff "$W/report.json" "$BASE/reports/linux/run-1.json.gz" > "$W/diff.out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$W/diff.out"; fail "diff against the published copy exited $rc"; }
"$LC" validate "$BASE/reports/linux/missing.json" > "$W/missing.out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "validate of a missing URL exited $rc, want 2"
grep -q "HTTP status 404" "$W/missing.out" || { cat "$W/missing.out"; fail "no HTTP 404 in the error"; }

# Overwrite in place: PUT again, 204 from nginx, still 2xx.
"$LC" publish "$W/report.json" --url "$BASE/reports/linux/run-1.json.gz" > "$W/again.out" 2>&1 ||
    { cat "$W/again.out"; fail "second publish (overwrite) failed"; }
echo "ok"
