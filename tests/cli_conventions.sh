#!/bin/sh
# The command line by convention: `help CMD`, and (as they land) colour,
# terminal output and exit codes.
#
#   tests/cli_conventions.sh LOOPCOMPAT SOURCE_DIR
set -u
bin=$1
src=$2
fails=0
tmp_opts=$(mktemp "${TMPDIR:-/tmp}/lc-cli-opts.XXXXXX")
trap 'rm -f "$tmp_opts"' EXIT INT TERM
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# `help CMD` prints what `CMD --help` prints, exit 0; the top-level help
# is not what it prints.  The commands: those the top-level help lists.
top=$("$bin" --help)
cmds=$(printf '%s\n' "$top" | sed -n '/^commands:/,/^$/p' | awk 'NF > 1 && /^  / {print $1}')
[ "$(echo $cmds | wc -w)" -ge 8 ] || fail "the top-level help lists too few commands: $cmds"
for c in $cmds; do
    want=$("$bin" "$c" --help 2>&1)
    got=$("$bin" help "$c" 2>&1)
    rc=$?
    [ "$rc" -eq 0 ] || fail "help $c exited $rc"
    [ "$got" = "$want" ] || fail "help $c differs from $c --help"
    [ "$got" != "$top" ] || fail "help $c printed the top-level help"
done
# Each command's help lists every option its parser accepts.  The options
# are read from the parser's source: getopt_long's table and short
# options, or a hand parser's lc_opt_value and strcmp calls.  An option of
# a shared table that this command refuses ("unknown option") is not its
# own (list has no --json).  A probe ends with --help, so that nothing
# runs: the option is parsed, then the help is printed.
parser_file() {
    case $1 in
    list | info) echo "$src/harness/cli_info.c" ;;
    *) grep -l "^int lc_$1_parse_args(" "$src"/harness/*.c | head -1 ;;
    esac
}
# options FILE: "name kind" lines, kind "arg" (takes a value) or "flag".
options() {
    sed -n 's/.*{"\([a-z][a-z-]*\)", *required_argument.*/--\1 arg/p
            s/.*{"\([a-z][a-z-]*\)", *\(no\|optional\)_argument.*/--\1 flag/p
            s/.*lc_opt_value([^"]*"[a-z]*",[^"]*"\(-[-a-z]*\)".*/\1 arg/p
            s/.*strcmp(argv\[i\], "\(--[a-z][-a-z]*\)").*/\1 flag/p' "$1"
    # getopt_long's short options: "j:" takes a value.
    sed -n 's/.*getopt_long(argc, argv, ":*\([a-zA-Z:]*\)".*/\1/p' "$1" |
        sed 's/\([a-zA-Z]\)\(:*\)/\1\2\n/g' | sed -n 's/^\([a-zA-Z]\):$/-\1 arg/p; s/^\([a-zA-Z]\)$/-\1 flag/p'
}
for c in $cmds; do
    f=$(parser_file "$c")
    [ -n "$f" ] && [ -f "$f" ] || { fail "$c: no parser found in harness/"; continue; }
    opts=$(options "$f" | sort -u)
    [ -n "$opts" ] || { fail "$c: no options read from $f"; continue; }
    chelp=$("$bin" "$c" --help 2>&1)
    printf '%s\n' "$opts" | while read -r o kind; do
        case $o in --help | -h) continue ;; esac
        if [ "$kind" = arg ]; then
            case $o in --*) probe="$o=x" ;; *) probe="$o x" ;; esac
        else
            probe=$o
        fi
        # shellcheck disable=SC2086 # "-o x": two words
        err=$("$bin" "$c" $probe --help 2>&1 >/dev/null </dev/null)
        case $err in *"unknown option"*) continue ;; esac
        printf '%s\n' "$chelp" | grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" ||
            echo "FAIL: $c --help does not list $o, which its parser accepts"
    done
done >"$tmp_opts" 2>&1
if [ -s "$tmp_opts" ]; then
    cat "$tmp_opts"
    fails=$((fails + $(wc -l <"$tmp_opts")))
fi
# And each option a command's help names is one its parser has.
for c in $cmds; do
    f=$(parser_file "$c")
    [ -n "$f" ] && [ -f "$f" ] || continue
    have=$(options "$f" | awk '{print $1}')
    for o in $("$bin" "$c" --help 2>&1 | grep -oE -- "(^|[ [,(])--[a-z][a-z-]*" | sed 's/^[ [,(]//' | sort -u); do
        printf '%s\n' "$have" | grep -qx -- "$o" || fail "$c --help names $o, which its parser does not accept"
    done
done

# An unknown command to help: one line naming it, exit 2.
err=$("$bin" help nosuchcmd 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 2 ] || fail "help nosuchcmd exited $rc, not 2"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "help nosuchcmd: not one line: $err"
case $err in *nosuchcmd*) ;; *) fail "help nosuchcmd does not name it: $err" ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-cli-conv.XXXXXX")
trap 'rm -rf "$tmp" "$tmp_opts"' EXIT INT TERM
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
# Options before, between or after the operands (getopt_long), and "--".
"$bin" merge --output "$tmp/m2.json" "$tmp/real.json" >/dev/null 2>&1 || fail "merge --output M R failed"
"$bin" validate -- "$tmp/m2.json" >/dev/null 2>&1 || fail "validate -- M failed"
"$bin" diff "$tmp/real.json" --json "$tmp/real.json" --tolerance=5 >/dev/null 2>&1 ||
    fail "diff R --json R --tolerance=5 failed"
err=$("$bin" diff --json=yes "$tmp/real.json" "$tmp/real.json" 2>&1 >/dev/null)
case $err in *"'--json' takes no value"*) ;; *) fail "diff --json=yes: $err" ;; esac
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
