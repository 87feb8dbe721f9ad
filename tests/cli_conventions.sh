#!/bin/sh
# The command line by convention: `help CMD`, and (as they land) colour,
# terminal output and exit codes.
#
#   tests/cli_conventions.sh LOOPCOMPAT SOURCE_DIR
set -u
bin=$1
src=$2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# `help CMD` prints what `CMD --help` prints, exit 0; the top-level help
# is not what it prints.
top=$("$bin" --help)
for c in run list info diff merge render publish validate; do
    want=$("$bin" "$c" --help 2>&1)
    got=$("$bin" help "$c" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] || fail "help $c exited $rc"
    [ "$got" = "$want" ] || fail "help $c differs from $c --help"
    [ "$got" != "$top" ] || fail "help $c printed the top-level help"
done
# An unknown command to help: one line naming it, exit 2.
err=$("$bin" help nosuchcmd 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 2 ] || fail "help nosuchcmd exited $rc, not 2"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "help nosuchcmd: not one line: $err"
case $err in *nosuchcmd*) ;; *) fail "help nosuchcmd does not name it: $err" ;; esac

[ "$fails" -eq 0 ] || exit 1
echo "cli_conventions: all checks passed"
