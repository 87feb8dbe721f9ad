#!/bin/sh
# Files the tools are pointed at, as a careless or hostile user would:
#
#   tests/files_hardening.sh LOOPCOMPAT SOURCE_DIR PART
#
# PART is one of
#   device         an output that is a character device (a node this test
#                  makes with mknod, never the system's) is written in place
#                  and stays a device; a block device, a FIFO nothing reads,
#                  a socket or a directory is refused with one line, exit 2
#   destinations   a bad --output ('', 'dir/', an existing directory) or an
#                  unwritable --junit/--tap fails before the first case and
#                  leaves nothing behind; the next run is not blocked
#   empty-journal  an empty or headerless journal (a run killed between
#                  creating it and writing its header) holds no results: a
#                  new run and --resume both start afresh and say so
#   same-file      an output that is an input, or another output, is refused
#   leftovers      temporary files a killed writer left next to its output,
#                  and the scratch directories of a killed run, are removed
#                  by the next run; live and foreign ones are kept
# (FIFOs given as inputs are in tests/bad_input.sh, with every other bad
# input of every reader.)
#
# Every command runs under timeout(1): a hang is a failure, not a stuck test.
# Exit 0 passed, 1 failed, 77 skipped (with the reason).
set -u

bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
part=$3
exp=$src/cases/expectations.json
good=$src/fuzz/corpus/report/two-results.json
# Short, so that a TMPDIR inside it is used for the runs' scratch directories
tmp=$(mktemp -d /tmp/lcf.XXXXXX)
# Background helpers (lock holders, a pipe reader) die with the test.
pids=""
trap 'kill $pids 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1
# The runs' scratch directories go here, away from other tests' runs.
mkdir t
export TMPDIR="$tmp/t"

fails=0
fail() { fails=$((fails + 1)) && echo "FAIL: $*" >&2; }
skip() {
    echo "$part: skipped: $*"
    exit 77
}
lc() { timeout 60 "$bin" "$@"; }
one="--case callbacks/call-soon-fifo --backend poll --quiet --expectations $exp"

# refused LABEL WORD CMD...: exit 2, one line on stderr containing WORD, no
# case run (no summary line on stdout).
refused() {
    label=$1 word=$2
    shift 2
    lc "$@" >r.out 2>r.err </dev/null
    rc=$?
    if [ "$rc" -ne 2 ] || [ "$(wc -l <r.err)" -ne 1 ] || ! grep -q -i -F -e "$word" r.err; then
        fail "$label: exit $rc, stderr: $(head -c 300 r.err)"
    elif grep -q -e "result" r.out; then
        fail "$label: refused only after running the cases"
    else
        echo "$label: exit 2: $(cat r.err)"
    fi
}

# unchanged LABEL: the scratch directory holds what `snap` recorded.
snap() { ls -A | grep -v -e '^r\.out$' -e '^r\.err$' -e '^snap\.txt$' -e '^now\.txt$' >snap.txt; }
unchanged() {
    ls -A | grep -v -e '^r\.out$' -e '^r\.err$' -e '^snap\.txt$' -e '^now\.txt$' >now.txt
    cmp -s snap.txt now.txt || fail "$1: left files behind: $(diff snap.txt now.txt | tr '\n' ' ')"
}

case $part in
device)
    [ "$(id -u)" -eq 0 ] || skip "mknod needs root"
    # Major 1, minor 3 is the null device (Documentation/admin-guide/devices.txt).
    mknod null c 1 3 2>/dev/null || skip "mknod refused here"
    is_null() {
        if [ -c null ] && [ "$(stat -c '%t:%T' null)" = "1:3" ]; then
            echo "$1: the device is still a device"
        else
            fail "$1: the device node was replaced: $(ls -l null)"
            rm -f null
            mknod null c 1 3
        fi
    }
    lc run $one --output null >o.txt 2>e.txt || fail "run --output null: exit $?: $(cat e.txt)"
    is_null "run --output"
    [ ! -e null.journal ] || fail "run --output null made null.journal"
    lc run $one --output r.json --junit null --tap null >o.txt 2>e.txt ||
        fail "run --junit/--tap null: exit $?: $(cat e.txt)"
    is_null "run --junit and --tap"
    lc merge "$good" -o null >o.txt 2>e.txt || fail "merge -o null: exit $?: $(cat e.txt)"
    is_null "merge -o"
    lc render "$good" --markdown null >o.txt 2>e.txt || fail "render --markdown null: exit $?"
    is_null "render --markdown"
    mkdir html && mknod html/index.html c 1 3
    lc render "$good" --html html >o.txt 2>e.txt || fail "render --html: exit $?: $(cat e.txt)"
    [ -c html/index.html ] || fail "render --html replaced the device index.html"
    # A pipe with a reader is written into, like a device.
    mkfifo pipe
    timeout 20 cat pipe >got.md &
    pids="$pids $!"
    sleep 0.2
    lc render "$good" --markdown pipe >o.txt 2>e.txt || fail "render into a read pipe: exit $?"
    wait $! 2>/dev/null
    [ -p pipe ] && grep -q "compatibility matrix" got.md ||
        fail "render into a read pipe: $(ls -l pipe), $(head -c 100 got.md)"
    # What has no place for a report is refused.
    mknod blk b 7 254 2>/dev/null || : >no-blk
    command -v python3 >/dev/null 2>&1 &&
        python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
    mkdir d
    snap
    # A FIFO nothing reads fails when written (O_NONBLOCK: ENXIO, fifo(7)).
    lc render "$good" --markdown pipe >r.out 2>r.err
    rc=$?
    [ "$rc" -eq 2 ] && [ "$(wc -l <r.err)" -eq 1 ] && grep -q FIFO r.err ||
        fail "render into a FIFO nothing reads: exit $rc: $(cat r.err)"
    if [ -b blk ]; then
        refused "merge -o block device" "block device" merge "$good" -o blk
        refused "run --tap block device" "block device" run $one --output r.json --tap blk
        [ -b blk ] || fail "the block device node was replaced"
    fi
    if [ -S sock ]; then
        refused "render --markdown socket" "socket" render "$good" --markdown sock
        [ -S sock ] || fail "the socket was replaced"
    fi
    refused "merge -o directory" "directory" merge "$good" -o d
    unchanged "refused devices"
    is_null "after the refusals"
    ;;

destinations)
    mkdir dir
    snap
    # shellcheck disable=SC2086
    refused "run --output ''" "empty" run $one --output ''
    refused "run --output dir/" "dir/" run $one --output dir/
    refused "run --output dir (a directory)" "directory" run $one --output dir
    refused "run --output nodir/x/ (missing parent)" "nodir/x/" run $one --output nodir/x/
    refused "run --junit in a missing directory" "--junit" run $one --output r.json --junit nodir/j.xml
    # /proc/self: no regular file can be created there (proc(5)), even by root.
    refused "run --tap under /proc" "--tap" run $one --output r.json --tap /proc/self/lc.tap
    refused "merge -o in a missing directory" "nodir" merge "$good" -o nodir/m.json
    refused "render --markdown in a missing directory" "nodir" render "$good" --markdown nodir/m.md
    unchanged "refused destinations"
    [ -z "$(ls -A dir)" ] || fail "a refused destination left files in dir/: $(ls -A dir)"
    # Nothing left blocks the next run.
    lc run $one --output dir/ok.json >o.txt 2>e.txt
    rc=$?
    [ "$rc" -le 1 ] && [ -f dir/ok.json ] || fail "the run after the refusals: exit $rc: $(cat e.txt)"
    ;;

empty-journal)
    cp "$good" prev.json
    sum=$(cksum <prev.json)
    # starts KIND: a journal as a run killed before its header leaves it.
    starts() {
        case $1 in
        empty) : >prev.json.journal ;;
        torn) printf '{"format":"loopcompat-journal","format_' >prev.json.journal ;;
        esac
    }
    for kind in empty torn; do
        for resume in "" --resume; do
            label="$kind journal, run ${resume:-(new)}"
            starts $kind
            # shellcheck disable=SC2086
            lc run $one --output prev.json $resume >o.txt 2>e.txt
            rc=$?
            if [ "$rc" -gt 1 ]; then
                fail "$label: exit $rc: $(cat e.txt)"
            else
                grep -q "holds no results" e.txt || fail "$label: did not say so: $(cat e.txt)"
                [ "$(wc -l <e.txt)" -eq 1 ] || fail "$label: stderr: $(cat e.txt)"
                [ ! -e prev.json.journal ] || fail "$label: the journal is still there"
                lc validate prev.json >/dev/null 2>&1 || fail "$label: the report does not validate"
                [ "$(cksum <prev.json)" != "$sum" ] || fail "$label: no new report"
                echo "$label: exit $rc: $(cat e.txt)"
            fi
            cp "$good" prev.json
        done
    done
    # A journal that is not ours (no header of ours, one line) is left alone.
    printf 'notes\n' >prev.json.journal
    refused "someone else's file as the journal" "--resume" run $one --output prev.json
    [ "$(cat prev.json.journal)" = notes ] || fail "someone else's journal file was changed"
    [ "$(cksum <prev.json)" = "$sum" ] || fail "the previous report changed"
    ;;

same-file)
    command -v python3 >/dev/null 2>&1 || skip "python3 not found"
    cp "$good" a.json
    cp "$good" b.json
    cp "$exp" e.json
    ln a.json hard.json
    ln -s a.json link.json
    mkdir page
    cp "$good" page/index.html
    sums=$(cat a.json b.json e.json page/index.html | cksum)
    snap
    refused "render a.json --markdown a.json" "a.json" render a.json --markdown a.json
    refused "render a.json --markdown ./a.json" "a.json" render a.json --markdown ./a.json
    refused "render a.json --markdown (a hard link)" "hard.json" render a.json --markdown hard.json
    refused "render a.json --markdown (a symlink)" "link.json" render a.json --markdown link.json
    refused "render page/index.html --html page" "index.html" render page/index.html --html page
    refused "merge a.json b.json -o b.json" "b.json" merge a.json b.json -o b.json
    refused "run --output c.json --junit c.json" "same file" run $one --output c.json --junit c.json
    refused "run --output c.json --tap ./c.json" "same file" run $one --output c.json --tap ./c.json
    refused "run --junit j.xml --tap j.xml" "same file" run $one --output c.json --junit j.xml --tap j.xml
    refused "run --junit OUTPUT.journal" "journal" run $one --output c.json --junit c.json.journal
    refused "run --output EXPECTATIONS" "same file" run --case callbacks/call-soon-fifo --backend poll \
        --quiet --expectations e.json --output e.json
    refused "run --output BASELINE" "same file" run $one --output b.json --baseline b.json
    [ "$(cat a.json b.json e.json page/index.html | cksum)" = "$sums" ] || fail "an input was changed"
    unchanged "refused same-file outputs"
    ;;

leftovers)
    command -v python3 >/dev/null 2>&1 || skip "python3 not found"
    # hold FILE: a live writer's lock on FILE (fcntl(2) F_SETLK, as the
    # tools take it; Python's fcntl.lockf is fcntl(2)).
    hold() {
        python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
time.sleep(120)' "$1" >"$1.held" 2>&1 &
        pids="$pids $!"
        i=0
        while ! grep -q locked "$1.held" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
        grep -q locked "$1.held" || fail "could not lock $1: $(cat "$1.held")"
    }
    # 1. Temporary files next to the report, the matrix and the page.
    for out in out.json m.json p.md; do
        cp "$good" "$out"
        echo stale >"$out.tmp-Ab3dE9" # killed in the final rename
        echo live >"$out.tmp-LiVe42"  # a writer that is still writing
        hold "$out.tmp-LiVe42"
        echo keep >"$out.tmp-notours"  # not a name of ours
        echo keep >"$out.tmp.Zz9Yy8"   # nor this
        if [ "$(id -u)" -eq 0 ]; then
            echo foreign >"$out.tmp-Fo4eiG" # someone else's
            chown 65534 "$out.tmp-Fo4eiG"
        fi
    done
    lc run $one --output out.json >o.txt 2>e.txt || fail "run: exit $?: $(cat e.txt)"
    lc merge "$good" -o m.json >o.txt 2>e.txt || fail "merge: exit $?: $(cat e.txt)"
    lc render "$good" --markdown p.md >o.txt 2>e.txt || fail "render: exit $?: $(cat e.txt)"
    for out in out.json m.json p.md; do
        [ ! -e "$out.tmp-Ab3dE9" ] || fail "$out: the stale temporary file is still there"
        [ -e "$out.tmp-LiVe42" ] || fail "$out: a live writer's temporary file was removed"
        [ -e "$out.tmp-notours" ] && [ -e "$out.tmp.Zz9Yy8" ] || fail "$out: a file not ours was removed"
        if [ "$(id -u)" -eq 0 ]; then
            [ -e "$out.tmp-Fo4eiG" ] || fail "$out: another user's file was removed"
        fi
    done
    echo "temporary files: the stale ones removed, live, foreign and unknown names kept"

    # 2. The scratch directories of a run killed with SIGKILL.
    mkdir t/loopcompat-run-NoLock # no lock file: not provably ours
    mkdir t/loopcompat-run-Live01 && : >t/loopcompat-run-Live01/lock
    hold t/loopcompat-run-Live01/lock
    # Not under timeout(1): the kill must reach the harness itself.
    "$bin" run --case 'callbacks/*' --case 'timers/*' --case 'close/*' -j 2 --quiet \
        --expectations "$exp" --output killed.json >k.out 2>&1 &
    pid=$!
    i=0
    while [ "$(cat killed.json.journal 2>/dev/null | wc -l)" -lt 3 ] && [ $i -lt 400 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    sleep 0.5 # the cases die with the harness (PR_SET_PDEATHSIG)
    left=$(ls -A t | grep -v -e '^loopcompat-run-NoLock$' -e '^loopcompat-run-Live01$')
    [ -n "$left" ] || fail "the killed run left nothing to clean (killed too early?)"
    echo "the killed run left in TMPDIR: $(echo $left)"
    lc run $one --output next.json >o.txt 2>e.txt || fail "the next run: exit $?: $(cat e.txt)"
    grep -q "removed 1 temporary directory" o.txt || fail "the next run did not say what it removed"
    after=$(ls -A t | grep -v -e '^loopcompat-run-NoLock$' -e '^loopcompat-run-Live01$')
    [ -z "$after" ] || fail "left after the next run: $(echo $after)"
    [ -d t/loopcompat-run-NoLock ] && [ -d t/loopcompat-run-Live01 ] ||
        fail "a directory not provably stale was removed"
    echo "the next run removed them and kept a live and an unknown one: $(grep removed o.txt)"
    ;;
*)
    echo "unknown part: $part" >&2
    exit 1
    ;;
esac

if [ "$fails" -ne 0 ]; then
    echo "$part: $fails check(s) failed" >&2
    exit 1
fi
echo "$part: all checks passed"
