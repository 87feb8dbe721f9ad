#!/bin/sh
# The bash completion: subcommands, options and backend names, as bash's
# programmable completion would offer them (COMP_WORDS/COMP_CWORD set,
# COMPREPLY read).
#
#   tests/completion.sh LOOPCOMPAT COMPLETION_DIR
set -u
command -v bash >/dev/null 2>&1 || { echo "SKIP: no bash"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-completion.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# As installed: `loopcompat` on PATH, which the completion asks for backends.
ln -s "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" "$tmp/loopcompat"
PATH=$tmp:$PATH bash -c '
. "$1"
fails=0
# expect "WORDS..." "WANT": the completions of the last word, space-separated.
expect() {
    read -r -a COMP_WORDS <<<"$1"
    case $1 in *" ") COMP_WORDS+=("") ;; esac
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _loopcompat
    got="${COMPREPLY[*]}"
    if [ "$got" != "$2" ]; then
        echo "FAIL: \"$1<TAB>\" gives \"$got\", want \"$2\""
        fails=$((fails + 1))
    fi
}
expect "loopcompat r" "run render"
expect "loopcompat run --back" "--backend"
expect "loopcompat run --col" "--color --color=auto --color=always --color=never"
expect "loopcompat help va" "validate"
expect "loopcompat info --" "--json --help"
# Backends are the ones `loopcompat list` names: poll is on every platform.
expect "loopcompat run --backend pol" "poll"
expect "loopcompat run --backend select,pol" "select,poll"
[ "$(complete -p loopcompat)" = "complete -F _loopcompat loopcompat" ] ||
    { echo "FAIL: not registered for loopcompat"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] && echo "completion: all checks passed"
[ "$fails" -eq 0 ]
' sh "$2/loopcompat.bash"
rc=$?
# The zsh one, where zsh is installed: it parses.
if [ "$rc" -eq 0 ] && command -v zsh >/dev/null 2>&1; then
    zsh -n "$2/_loopcompat" || { echo "FAIL: _loopcompat does not parse"; rc=1; }
fi
exit "$rc"
