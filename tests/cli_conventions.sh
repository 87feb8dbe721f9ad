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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-cli-conv.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
esc=$(printf '\033')
# A short run: the fds cases on poll, present everywhere.
run="$bin run --backend poll --case fds/* --expectations $src/cases/expectations.json --output $tmp/r.json"
# count_esc: lines of stdin holding an escape sequence.
count_esc() { grep -c "$esc" || true; }
# on_tty ENV... : the run's stdout on a pseudo-terminal (script(1)), its
# stderr (the progress line) discarded.
on_tty() { env "$@" script -qec "$run 2>/dev/null" /dev/null </dev/null; }

# --color: always colours a pipe; the default (auto) does not.
n=$($run --color=always 2>/dev/null | count_esc)
[ "$n" -gt 0 ] || fail "--color=always on a pipe: no escape sequence"
n=$($run 2>/dev/null | count_esc)
[ "$n" -eq 0 ] || fail "auto on a pipe: $n lines with escape sequences"
if script -qec true /dev/null </dev/null >/dev/null 2>&1; then
    n=$(on_tty TERM=xterm NO_COLOR= | count_esc)
    [ "$n" -gt 0 ] || fail "auto on a terminal: no colour"
    n=$(on_tty TERM=xterm NO_COLOR=1 | count_esc)
    [ "$n" -eq 0 ] || fail "NO_COLOR=1 on a terminal: $n coloured lines"
    n=$(on_tty TERM=dumb NO_COLOR= | count_esc)
    [ "$n" -eq 0 ] || fail "TERM=dumb on a terminal: $n coloured lines"
    n=$(env TERM=xterm NO_COLOR= script -qec "$run --color=never 2>/dev/null" /dev/null </dev/null | count_esc)
    [ "$n" -eq 0 ] || fail "--color=never on a terminal: $n coloured lines"
else
    echo "note: script(1) cannot open a pseudo-terminal here: the terminal checks are not run"
fi
# No line of run's terminal output ends in a space: every available
# backend, so that the matrix has columns to pad; colour escapes removed.
out=$("$bin" run --case 'fds/*' --expectations "$src/cases/expectations.json" \
    --output "$tmp/all.json" --color=always 2>&1 | sed "s/$esc\[[0-9;]*m//g")
[ "$(printf '%s\n' "$out" | grep -c '^fds/')" -gt 0 ] || fail "no matrix rows in: $out"
n=$(printf '%s\n' "$out" | grep -c ' $' || true)
[ "$n" -eq 0 ] || fail "$n lines of run's output end with a space"

# Reals are written with 15 significant digits (json_flags.h): a
# measurement of 68.459 stays 68.459 in what merge and diff write, not
# 68.459000000000003.
sed -e 's/"value": 2$/"value": 68.459/' -e 's/"kind": "counter"/"kind": "value"/' "$src/fuzz/corpus/report/two-results.json" >"$tmp/real.json"
grep -q '"value": 68.459$' "$tmp/real.json" || fail "the sample report has no measurement to change"
"$bin" merge "$tmp/real.json" -o "$tmp/m.json" >/dev/null 2>&1 || fail "merge of the sample failed"
grep -q '"value": 68.459$' "$tmp/m.json" || fail "merge did not write 68.459: $(grep 68.45 "$tmp/m.json")"
# And no real in a run's report carries more than 15 significant digits.
long=$(grep -Eo '[0-9]+\.[0-9]+' "$tmp/all.json" | tr -d . | sed 's/^0*//' | awk 'length > 15' | head -1)
[ -z "$long" ] || fail "the run report has a real with more than 15 digits: $long"

# A server not reached exits 3, not 2 (bad input): port 9 (discard) on
# loopback, where nothing listens.  Builds without libcurl read no URL.
if "$bin" run --help | grep -q -e --baseline; then
    dead=http://127.0.0.1:9/r.json
    good=$src/fuzz/corpus/report/two-results.json
    expect_3() {
        what=$1
        shift
        err=$("$@" 2>&1 >/dev/null)
        rc=$?
        [ "$rc" -eq 3 ] || fail "$what exited $rc, want 3: $err"
        case $err in *127.0.0.1*) ;; *) fail "$what: the URL is not named: $err" ;; esac
    }
    expect_3 "validate URL" "$bin" validate "$dead"
    expect_3 "diff URL FILE" "$bin" diff "$dead" "$good"
    expect_3 "diff FILE URL" "$bin" diff "$good" "$dead"
    expect_3 "run --baseline URL" $run --baseline "$dead"
    expect_3 "publish" "$bin" publish "$good" --url "http://127.0.0.1:9/up" --retries 0
    # Bad input next to it stays 2: retrying would not fix it.
    "$bin" validate "$tmp/real.json.missing" "$dead" >/dev/null 2>&1
    rc=$?
    [ "$rc" -eq 2 ] || fail "validate MISSING URL exited $rc, want 2"
fi

err=$($run --color=sometimes 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 2 ] || fail "--color=sometimes exited $rc, not 2"
case $err in *--color*sometimes*) ;; *) fail "--color=sometimes: not named: $err" ;; esac

[ "$fails" -eq 0 ] || exit 1
echo "cli_conventions: all checks passed"
