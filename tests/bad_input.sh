#!/bin/sh
# Bad input: every command given a missing file, a directory, an empty
# file, invalid JSON, JSON of the wrong shape, a file over the size cap or
# an unknown option must print exactly one line on stderr naming the
# problem and exit 2.
#
#   tests/bad_input.sh LOOPCOMPAT SOURCE_DIR [--table]
#
# --table prints the Markdown table of what each command said (the one in
# docs/bad-input.md).
set -u

# Absolute: the checks run in a scratch directory.
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
table=${3:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-bad-input.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1

good=$src/fuzz/corpus/report/two-results.json
exp=$src/cases/expectations.json
mkdir dir
: >empty.json
printf '{"format": "loopcompat-report", "results": [' >invalid.json
printf '[1, 2, 3]\n' >wrong-shape.json
# Sparse: 65 MiB that take no disk, over the tools' 64 MiB cap.
truncate -s 65M huge.json
# Nothing ever writes to it: a reader that opens it without O_NONBLOCK
# blocks for ever (fifo(7)).
mkfifo fifo.json

fails=0
total=0
# Builds without libcurl have no --baseline.
has_baseline=$("$bin" run --help 2>/dev/null | grep -e --baseline)

# check COMMAND-LABEL INPUT-LABEL EXPECTED-WORD ARGS...: exit 2, one line
# on stderr that contains EXPECTED-WORD (the file or the option named) and,
# for the inputs that have one, the words that say what is wrong with it.
check() {
    cmd=$1 what=$2 word=$3
    shift 3
    why=$(problem "$word")
    total=$((total + 1))
    # A hang is a failure too: timeout(1) ends it with exit 124.
    timeout 30 "$bin" "$@" >out.txt 2>err.txt </dev/null
    rc=$?
    lines=$(wc -l <err.txt | tr -d ' ')
    # A final line without a newline still counts as a line.
    if [ -s err.txt ] && [ "$(tail -c 1 err.txt | od -An -c | tr -d ' ')" != '\n' ]; then
        lines=$((lines + 1))
    fi
    msg=$(head -n 1 err.txt)
    ok=1
    [ "$rc" -eq 2 ] || ok=0
    [ "$lines" -eq 1 ] || ok=0
    printf '%s\n' "$msg" | grep -q -i -F -e "$word" || ok=0
    printf '%s\n' "$msg" | grep -q -i -F -e "$why" || ok=0
    if [ -n "$table" ]; then
        printf '| %s | %s | %s | `%s` |\n' "$cmd" "$what" "$rc" "$(printf '%s' "$msg" | sed 's/|/\\|/g')"
    fi
    if [ "$ok" -eq 0 ]; then
        fails=$((fails + 1))
        echo "FAIL: loopcompat $* -> exit $rc, $lines stderr line(s), wanted exit 2 and one line naming '$word' ('$why'):" >&2
        sed 's/^/    /' err.txt >&2
    fi
}

if [ -n "$table" ]; then
    echo '| command | input | exit | stderr (one line) |'
    echo '|---|---|---|---|'
fi

problem() {
    case $1 in
        missing.json) echo "No such file or directory" ;;
        dir) echo "is a directory" ;;
        huge.json) echo "larger than" ;;
        fifo.json) echo "not a regular file" ;;
        wrong-shape.json) echo "object" ;;
        *) echo "" ;;
    esac
}

inputs="missing.json dir empty.json invalid.json wrong-shape.json huge.json fifo.json"
label() {
    case $1 in
        missing.json) echo "missing file" ;;
        dir) echo "directory" ;;
        empty.json) echo "empty file" ;;
        invalid.json) echo "invalid JSON" ;;
        wrong-shape.json) echo "JSON of the wrong shape" ;;
        huge.json) echo "65 MiB file (over the size cap)" ;;
        fifo.json) echo "FIFO nothing writes to" ;;
    esac
}

for f in $inputs; do
    l=$(label "$f")
    check run "$l (--expectations)" "$f" run --expectations "$f" --case 'no/such-case' \
        --output out.json --quiet
    # --resume reads OUTPUT.journal: the same inputs under that name.  An
    # empty journal holds no results and is not an error (a run killed
    # before it wrote the header leaves one; tests/files_hardening.sh).
    case $f in
        missing.json) ;;
        dir) mkdir -p "res-$f.journal" ;;
        fifo.json) mkfifo "res-$f.journal" ;;
        *) cp "$f" "res-$f.journal" ;;
    esac
    [ "$f" = empty.json ] ||
        check run "$l (--resume journal)" "res-$f.journal" run --resume --expectations "$exp" \
            --case 'callbacks/*' --output "res-$f" --quiet
    if [ -n "$has_baseline" ]; then
        check run "$l (--baseline)" "$f" run --baseline "$f" --expectations "$exp" \
            --case 'no/such-case' --output out.json --quiet
    fi
    check diff "$l (BASE)" "$f" diff "$f" "$good"
    check diff "$l (NEW)" "$f" diff "$good" "$f"
    check merge "$l" "$f" merge "$good" "$f" -o matrix.json
    check render "$l" "$f" render "$f" --markdown out.md
    # Refused before any upload: port 9 (discard) is never contacted.
    check publish "$l" "$f" publish "$f" --url http://127.0.0.1:9/upload --retries 0
    check validate "$l" "$f" validate "$f"
done
# A file:// URL is opened by libcurl, which would block on the FIFO too.
# (Not in the table: the URL holds the scratch directory's path.)
if [ -n "$has_baseline" ] && [ -z "$table" ]; then
    check validate "FIFO as a file:// URL" "fifo.json" validate "file://$tmp/fifo.json"
    check diff "FIFO as a file:// URL" "fifo.json" diff "$good" "file://$tmp/fifo.json"
fi
for c in run list info diff merge render publish validate; do
    check "$c" "unknown option" "--frobnicate" "$c" --frobnicate
done
check "(none)" "unknown command" "frobnicate" frobnicate

if [ -n "$table" ]; then
    exit 0
fi
echo "bad input: $((total - fails)) of $total refused with one line and exit 2"
[ "$fails" -eq 0 ]
