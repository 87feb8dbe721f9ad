#!/bin/sh
# loopcompat(1): groff finds no problem in it (-ww: every warning), and it
# names every command the tool's --help lists.
#
#   tests/man_page.sh LOOPCOMPAT MANPAGE
set -u
bin=$1
page=$2
command -v groff >/dev/null 2>&1 || { echo "SKIP: groff is not installed (groff-base)"; exit 77; }
fails=0
warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
[ -z "$warn" ] || { echo "FAIL: groff warns: $warn"; fails=$((fails + 1)); }
# The commands: the indented lines of the top-level help's command list.
cmds=$("$bin" --help | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 && /^  / {print $1}')
[ -n "$cmds" ] || { echo "FAIL: no commands in --help"; exit 1; }
for c in $cmds; do
    grep -q "^\.B $c\b" "$page" || { echo "FAIL: the man page has no entry for $c"; fails=$((fails + 1)); }
done
[ "$fails" -eq 0 ] || exit 1
echo "man_page: no warnings; $(echo $cmds | wc -w) commands documented"
