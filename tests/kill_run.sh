#!/bin/sh
# A `loopcompat run` killed with SIGKILL leaves nothing running.
#
#   tests/kill_run.sh LOOPCOMPAT SOURCE_DIR
#
# Runs the cases that start processes (subprocess/*, fork/*) with `echo`
# and `cat` on PATH replaced by stand-ins that start a daemon (setsid(1),
# a session of its own) and a plain background child before running the
# real program, so every subprocess case leaves both behind.  Then a run
# to its end, and runs killed with SIGKILL at several moments, must leave
# nothing running.  Survivors are every process whose environment holds
# the run's marker, or whose session is the run's (the run is started with
# setsid(1)), so both a child that replaced its environment and one that
# left the session are found.
# Needs python3 and setsid; exits 77 (skipped) without them.
set -u

bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
exp=$src/cases/expectations.json
for tool in python3 setsid; do
    command -v $tool >/dev/null 2>&1 || { echo "kill_run: $tool not found: skipped"; exit 77; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lc-kill-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0

mkdir "$tmp/bin"
for prog in echo cat; do
    real=$(command -v $prog)
    case $real in /*) ;; *) real=/bin/$prog ;; esac
    cat >"$tmp/bin/$prog" <<EOF
#!/bin/sh
setsid sleep 300 </dev/null >/dev/null 2>&1 &
sleep 300 </dev/null >/dev/null 2>&1 &
exec $real "\$@"
EOF
    chmod +x "$tmp/bin/$prog"
done

# The pids (not zombies) marked with $1 in their environment or in session
# $2, once none is left or after 5 s.
survivors() {
    python3 - "$1" "$2" <<'EOF'
import os, sys, time
marker, sid = sys.argv[1].encode(), sys.argv[2]
def scan():
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            stat = open("/proc/%s/stat" % p).read()
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] in ("Z", "X"):
                continue
            env = open("/proc/%s/environ" % p, "rb").read().split(b"\0")
        except (OSError, ValueError):
            continue
        if marker in env or fields[3] == sid:
            found.append(p)
    return found
deadline = time.monotonic() + 5
found = scan()
while found and time.monotonic() < deadline:
    time.sleep(0.05)
    found = scan()
print(" ".join(found))
EOF
}

# "end": the run is left to finish.
for delay in end 0.1 0.3 0.6 1.0 1.6; do
    marker="LC_KILL_RUN_TEST=$$-$delay"
    rm -f "$tmp/out.json" "$tmp/out.json.journal"
    PATH="$tmp/bin:$PATH" env "$marker" setsid "$bin" run --case 'subprocess/*' --case 'fork/*' -j 2 \
        --quiet --expectations "$exp" --output "$tmp/out.json" >"$tmp/run.out" 2>&1 &
    pid=$!
    # setsid(1) execs the run in place when it is not a group leader;
    # the session id is then the run's pid.
    if [ "$delay" = end ]; then
        wait "$pid"
        rc=$?
        [ "$rc" -le 1 ] || { echo "FAIL: the run exited $rc: $(tail -n 3 "$tmp/run.out")" >&2; fails=$((fails + 1)); }
        # Each subprocess case now names what it left.
        grep -q "leaked after the case" "$tmp/run.out" ||
            { echo "FAIL: no case was found leaking its stand-ins' processes" >&2; fails=$((fails + 1)); }
    else
        sleep "$delay"
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null
    fi
    if [ "$delay" = end ]; then
        when="after the run ended"
    else
        when="killed ${delay} s into the run ($(($( (wc -l <"$tmp/out.json.journal") 2>/dev/null || echo 1) - 1)) results journalled)"
    fi
    left=$(survivors "$marker" "$pid")
    if [ -n "$left" ]; then
        echo "FAIL: $when, still running:" >&2
        for p in $left; do
            echo "  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
        done
        kill -KILL $left 2>/dev/null
        fails=$((fails + 1))
    else
        echo "$when: nothing left running"
    fi
done
[ "$fails" -eq 0 ] || exit 1
echo "kill_run: ok"
