#!/bin/sh
# The published matrix (reports/published/matrix.json: nine platforms)
# rendered as a site and loaded in headless Chromium:
#  - no console messages; the table's laid-out right edge at a 1366 px
#    window is inside the viewport (measured by the page's own script from
#    getBoundingClientRect, which is Chromium's layout, not a guess from
#    pixels), and folding platforms narrows it;
#  - screenshots at 1366 and 390 px wide, checked to be PNGs of that width;
#  - the structure, from the DOM Chromium built and the case pages: every
#    cell is a link to a panel that exists, every ref is a link, nothing is
#    fetched from elsewhere, no absolute path appears.
#
#   render_chromium.sh LOOPCOMPAT SOURCE_DIR WORKDIR
# Exit 77 (skipped) when Chromium or python3 is not installed.
set -u
LC=$1 SRC=$2 W=$3
CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
    { echo "chromium not installed: skipping"; exit 77; }
command -v python3 > /dev/null || { echo "python3 not installed: skipping"; exit 77; }
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

M=$SRC/reports/published/matrix.json
"$LC" render "$M" --html "$W/site" --expectations "$SRC/cases/expectations.json" > "$W/render.out" ||
    fail "render"
cat "$W/render.out"

# The console check must be able to fail: a page with an error shows up.
printf '<!DOCTYPE html><title>x</title><script>undefinedFunction();</script>' > "$W/bad.html"
chrome "file://$W/bad.html" --dump-dom > /dev/null 2> "$W/bad.err"
grep -q ':CONSOLE' "$W/bad.err" || fail "Chromium's console log is not visible; the check below would be blind"

chrome "file://$W/site/index.html" --window-size=1366,900 --dump-dom > "$W/dom.html" 2> "$W/chrome.err"
if grep ':CONSOLE' "$W/chrome.err"; then fail "console messages on the page"; fi
# Every platform but the first folded: the same cells, a narrower table.
sed 's/<input type="checkbox" id="fold\([1-9][0-9]*\)">/<input type="checkbox" id="fold\1" checked>/' \
    "$W/site/index.html" > "$W/site/folded.html"
chrome "file://$W/site/folded.html" --window-size=1366,900 --dump-dom > "$W/dom-folded.html" 2> "$W/chrome2.err"
chrome "file://$W/site/index.html#filter=UNSUPPORTED" --window-size=1366,900 --dump-dom \
    > "$W/dom-filtered.html" 2> "$W/chrome3.err"

for width in 1366 390; do
    chrome "file://$W/site/index.html" --hide-scrollbars --window-size=$width,1000 \
        --screenshot="$W/matrix-$width.png" > /dev/null 2> "$W/shot-$width.err"
    chrome "file://$W/site/cases/timers.resolution.html" --hide-scrollbars --window-size=$width,1600 \
        --screenshot="$W/case-$width.png" > /dev/null 2> "$W/shot-case-$width.err"
done

python3 - "$M" "$W" "$SRC/cases/expectations.json" <<'PY' || fail "structure"
import html, json, os, re, struct, sys
from html.parser import HTMLParser
matrix, w, exp_path = sys.argv[1:4]
m = json.load(open(matrix))
problems = []
def bad(msg):
    problems.append(msg)
    print("  " + msg)

# What the page should show, computed from the matrix independently.
rows = {(r["case"], r["variant"]) for r in m["results"]}
results = len(m["results"])
unsup = {(r["case"], r["variant"]) for r in m["results"] if r["status"] == "UNSUPPORTED"}
body = lambda d: dict(re.findall(r'(data-[a-z-]+)="(\d+)"', re.search(r"<body[^>]*>", d).group(0)))
dom = open(os.path.join(w, "dom.html")).read()
b = body(dom)
print("page:", b)
if int(b["data-cells"]) != results: bad("cells %s, results %d" % (b["data-cells"], results))
if int(b["data-rows"]) != len(rows): bad("rows %s, expected %d" % (b["data-rows"], len(rows)))
if int(b["data-table-width"]) > int(b["data-viewport"]):
    bad("the table overflows 1366 px: right edge %s > %s" % (b["data-table-width"], b["data-viewport"]))
f = body(open(os.path.join(w, "dom-folded.html")).read())
if not int(f["data-table-width"]) < int(b["data-table-width"]) or f["data-cells"] != b["data-cells"]:
    bad("folding: %s then %s" % (b, f))
shown = re.search(r"(\d+) of (\d+) rows shown", open(os.path.join(w, "dom-filtered.html")).read())
if not shown or int(shown.group(1)) != len(unsup): bad("filter UNSUPPORTED: %s, want %d" % (shown and shown.group(0), len(unsup)))

for name, width in [("matrix-1366", 1366), ("matrix-390", 390), ("case-1366", 1366), ("case-390", 390)]:
    data = open(os.path.join(w, name + ".png"), "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 10000:
        bad("%s.png: not a PNG, or empty (%d bytes)" % (name, len(data)))
    elif struct.unpack(">I", data[16:20])[0] != width:
        bad("%s.png: %d px wide" % (name, struct.unpack(">I", data[16:20])[0]))

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.cells, self.refs, self.urls, self.reftexts = [], set(), [], [], [], []
        self.in_ref = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a: self.ids.add(a["id"])
        for k in ("src", "href", "action", "data", "poster"):
            if k in a: self.urls.append((tag, k, a[k], a.get("class")))
        if tag == "td" and "c" in (a.get("class") or "").split():
            self.cells.append(None)
        if tag == "a" and self.cells and self.cells[-1] is None and self.stack and self.stack[-1] == "td":
            self.cells[-1] = a.get("href")
        if "ref" in (a.get("class") or "").split():
            self.refs.append(tag)
            self.in_ref = [tag, a.get("href"), ""]
        if tag not in ("br", "input", "meta", "link", "img", "wbr", "hr", "rect", "line", "polyline"):
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if self.in_ref and tag == self.in_ref[0]:
            self.reftexts.append((self.in_ref[2], self.in_ref[1]))
            self.in_ref = None
        while self.stack and self.stack.pop() != tag:
            pass
    def handle_data(self, d):
        if self.in_ref: self.in_ref[2] += d

site = os.path.join(w, "site")
pages = {}
for dirpath, _, files in os.walk(site):
    for fn in files:
        rel = os.path.relpath(os.path.join(dirpath, fn), site)
        text = open(os.path.join(dirpath, fn), encoding="utf-8").read()
        # No machine path: the build tree, the sources, the home of anyone.
        for p in (w, os.path.dirname(matrix), "/work/", "/home/", "/root/", "/tmp/", "file://"):
            if p in text: bad("%s: holds %s" % (rel, p))
        if fn.endswith(".html") and rel != "folded.html":
            pg = Page()
            pg.feed(dom if rel == "index.html" else text)
            pages[rel] = pg
if not any("build/kernel-matrix" in s for p in m["platforms"].values() for s in p.get("sources", [])):
    bad("the matrix has no directory in its sources: the runs column check is blind")
if "build/kernel-matrix" in open(os.path.join(site, "index.html")).read(): bad("runs column prints input directories")

idx = pages["index.html"]
if len(idx.cells) != results: bad("index: %d cells found by the parser, %d results" % (len(idx.cells), results))
for href in idx.cells:
    if not href: bad("a cell with no link"); continue
    page, _, anchor = href.partition("#")
    if page not in pages or anchor not in pages[page].ids:
        bad("cell link %s leads nowhere" % href)
for rel, pg in pages.items():
    for tag, attr, url, cls in pg.urls:
        if re.match(r"[a-z][a-z0-9+.-]*:", url):
            if not (tag == "a" and attr == "href" and "ref" in (cls or "").split() and url.startswith(("https://", "http://"))):
                bad("%s: %s %s=%s fetches or leaves the site" % (rel, tag, attr, url))
        elif url.startswith("/"):
            bad("%s: absolute link %s" % (rel, url))
    for tag in pg.refs:
        if tag != "a": bad("%s: a ref that is no link (<%s>)" % (rel, tag))
    for text, href in pg.reftexts:
        if not href: bad("%s: ref %s without href" % (rel, text))
# Every ref of the matrix, and of the expectations of its cases, is a link.
linked = {t for pg in pages.values() for t, h in pg.reftexts if h}
want = {ref for r in m["results"] for ref in r["refs"]}
cases = {r["case"] for r in m["results"]}
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "refs": want.update(v)
            else: walk(v)
    elif isinstance(o, list):
        for x in o: walk(x)
e = json.load(open(exp_path))
walk({c: v for c, v in e["cases"].items() if c in cases})
missing = sorted(want - linked)
print("refs: %d wanted, %d linked on the site" % (len(want), len(linked)))
# An expectation entry for a platform the matrix lacks is not shown.
shown_exp = [r for r in missing if any(r in json.dumps(x) for x in m["results"])]
for r in shown_exp: bad("ref not linked: " + r)
for r in set(want) & linked: pass
res = open(os.path.join(site, "cases", "timers.resolution.html")).read()
for d in ("lateness_0us", "lateness_50us", "lateness_100us", "lateness_1ms", "lateness_10ms"):
    if '<th scope="row">%s</th>' % d not in res: bad("timers/resolution: no %s figures" % d)
if "<polyline class=\"cdf\"" not in res: bad("timers/resolution: no CDF")
if "under QEMU (TCG)" not in dom or "under wine" not in dom: bad("platform headers lack where they ran")
sys.exit(1 if problems else 0)
PY
echo "screenshots: $W/matrix-1366.png $W/matrix-390.png $W/case-1366.png $W/case-390.png"
echo "ok"
