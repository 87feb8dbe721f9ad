#!/bin/sh
# Two real runs on this host (every backend, then poll alone) merged and
# rendered; the page loads in headless Chromium with no console messages,
# shows the expected number of cells, and its filter works; a screenshot is
# kept in WORKDIR as an artifact.
#
#   render_chromium.sh LOOPCOMPAT EXPECTATIONS WORKDIR
# Exit 77 (skipped) when Chromium is not installed.
set -u
LC=$1 EXP=$2 W=$3
CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
    { echo "chromium not installed: skipping"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$W" && mkdir -p "$W" || exit 1
W=$(cd "$W" && pwd)

chrome() { # URL ARGS...: Chromium with a throwaway profile and no network chatter
    url=$1
    shift
    rm -rf "$W/profile"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$W/profile" \
        --enable-logging=stderr --v=0 "$@" "$url"
}

for args in "all" "poll --backend poll"; do
    set -- $args
    name=$1
    shift
    "$LC" run "$@" -j 2 --quiet --expectations "$EXP" --output "$W/$name.json" > "$W/$name.out" 2>&1
    rc=$?
    [ $rc -le 1 ] || { cat "$W/$name.out"; fail "loopcompat run $* exited $rc"; }
done
"$LC" merge "$W/all.json" "$W/poll.json" -o "$W/matrix.json" || fail "merge"
"$LC" validate "$W/matrix.json" || fail "validate"
"$LC" render "$W/matrix.json" --html "$W/site" --markdown "$W/matrix.md" || fail "render"
grep -q '^| case |' "$W/matrix.md" || fail "no Markdown table"

# What the page should show, computed from the matrix independently.
set -- $(python3 - "$W/matrix.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
rows = {(r["case"], r["variant"]) for r in m["results"]}
cols = sum(b["available"] for p in m["platforms"].values() for b in p["backends"].values())
unsup = {(r["case"], r["variant"]) for r in m["results"] if r["status"] == "UNSUPPORTED"}
print(len(rows) * cols, len(rows), len(unsup))
PY
)
CELLS=$1 ROWS=$2 UNSUP=$3
echo "expect $CELLS cells in $ROWS rows; $UNSUP rows with an UNSUPPORTED cell"
[ "$CELLS" -gt 0 ] || fail "empty matrix"

# The console check must be able to fail: a page with an error shows up.
printf '<!DOCTYPE html><title>x</title><script>undefinedFunction();</script>' > "$W/bad.html"
chrome "file://$W/bad.html" --dump-dom > /dev/null 2> "$W/bad.err"
grep -q ':CONSOLE' "$W/bad.err" || fail "Chromium's console log is not visible; the check below would be blind"

chrome "file://$W/site/index.html" --dump-dom > "$W/dom.html" 2> "$W/chrome.err"
if grep ':CONSOLE' "$W/chrome.err"; then fail "console messages on the page"; fi
grep -q "<body data-cells=\"$CELLS\" data-rows=\"$ROWS\">" "$W/dom.html" ||
    { grep -o '<body[^>]*>' "$W/dom.html"; fail "cell count"; }
grep -q "$ROWS of $ROWS rows shown" "$W/dom.html" || fail "filter status line"

chrome "file://$W/site/index.html#filter=UNSUPPORTED" --dump-dom > "$W/dom-filtered.html" 2> "$W/chrome2.err"
if grep ':CONSOLE' "$W/chrome2.err"; then fail "console messages on the filtered page"; fi
grep -q "$UNSUP of $ROWS rows shown" "$W/dom-filtered.html" ||
    { grep -o '[0-9]* of [0-9]* rows shown' "$W/dom-filtered.html"; fail "filtering UNSUPPORTED"; }

chrome "file://$W/site/index.html" --hide-scrollbars --window-size=1600,2000 \
    --screenshot="$W/matrix.png" > /dev/null 2> "$W/chrome3.err"
[ "$(head -c 4 "$W/matrix.png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "no PNG screenshot"
echo "screenshot: $W/matrix.png"
echo "ok"
