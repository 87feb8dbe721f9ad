#!/bin/sh
# The README's picture (docs/lateness-cdf.svg) is what render --html draws
# from the published matrix today, byte for byte: a change to the matrix or
# to the figure's code that is not carried into the picture fails here.
#
#   render_readme_figure.sh LOOPCOMPAT SOURCE_DIR WORKDIR
set -u
LC=$1 SRC=$2 W=$3
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$W" && mkdir -p "$W" || exit 1
"$LC" render "$SRC/reports/published/matrix.json" --html "$W/site" > "$W/render.out" 2>&1 ||
    { cat "$W/render.out"; fail "render"; }
lines=$(grep -o '<polyline class="cdf"' "$W/site/lateness.svg" | wc -l)
[ "$lines" -ge 2 ] || fail "the figure has $lines lines; expected one per platform with epoll"
cmp -s "$W/site/lateness.svg" "$SRC/docs/lateness-cdf.svg" ||
    fail "docs/lateness-cdf.svg differs from the render; refresh it: loopcompat render reports/published/matrix.json --html DIR && cp DIR/lateness.svg docs/lateness-cdf.svg"
grep -q '(docs/lateness-cdf.svg)' "$SRC/README.md" || fail "README.md does not show docs/lateness-cdf.svg"
echo "ok: docs/lateness-cdf.svg is the render of the published matrix ($lines lines)"
