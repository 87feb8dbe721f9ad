#!/bin/sh
# The drift guard of the mutants (scripts/mutants): every patch here still
# applies to the tree without fuzz, changes only the library (backends/),
# and names the bug it plants on a "Bug:" line.  A refactor that moves the
# code a mutant plants its bug in fails this test, so the mutant is
# rewritten against the new code instead of rotting.
#
#   tests/mutants/apply_check.sh SOURCE_DIR
set -u
src=$1
dir=$src/tests/mutants
command -v patch >/dev/null 2>&1 || { echo "SKIP: no patch(1)"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-mutants.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0 n=0
for p in "$dir"/*.patch; do
    [ -e "$p" ] || break
    n=$((n + 1))
    name=$(basename "$p")
    grep -q '^Bug: ..........' "$p" || { echo "FAIL: $name: no 'Bug:' line naming the bug"; fails=$((fails + 1)); }
    files=$(sed -n 's|^+++ b/||p' "$p" | sed 's|[[:space:]].*||')
    [ -n "$files" ] || { echo "FAIL: $name: changes no file"; fails=$((fails + 1)); continue; }
    for f in $files; do
        case $f in
            backends/*) ;;
            *) echo "FAIL: $name: changes $f, outside backends/"; fails=$((fails + 1)) ;;
        esac
    done
    # --dry-run on the tree itself: nothing is written.
    if ! patch -d "$src" -p1 --dry-run --fuzz=0 -s -f <"$p" >"$tmp/out" 2>&1; then
        echo "FAIL: $name no longer applies:"
        sed 's/^/  /' "$tmp/out"
        fails=$((fails + 1))
    fi
done
[ "$n" -ge 40 ] || { echo "FAIL: $n mutants, want at least 40"; fails=$((fails + 1)); }
dups=$(ls "$dir" | sed -n 's/^\([0-9][0-9]*\)-.*\.patch$/\1/p' | sort | uniq -d)
[ -z "$dups" ] || { echo "FAIL: mutant numbers used twice: $dups"; fails=$((fails + 1)); }
echo "$n mutants checked, $fails failures"
[ "$fails" -eq 0 ]
