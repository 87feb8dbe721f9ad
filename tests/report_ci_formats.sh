#!/bin/sh
# JUnit and TAP from loopcompat: the JUnit files (every status, from
# test_report_tools; and a real run's --junit) validate against junit.xsd
# (the Jenkins JUnit schema's rules), the schema check rejects what that
# schema rejects, and the real run's TAP has a plan that matches its test
# points.  prove (Test::Harness) passes TAP with only expected results and
# fails TAP with unexpected ones; --tap-version 14 and bad values.  Then
# diff flags a doctored copy of the run.
#
#   report_ci_formats.sh LOOPCOMPAT JUNIT_XSD SAMPLES_DIR EXPECTATIONS WORKDIR
# Exit 77 (skipped) when xmllint (libxml2-utils) or prove (perl) is not
# installed.
set -u
LC=$1 XSD=$2 SAMPLES=$3 EXP=$4 W=$5
command -v xmllint >/dev/null || { echo "xmllint not installed: skipping"; exit 77; }
command -v prove >/dev/null || { echo "prove (perl) not installed: skipping"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$W" && mkdir -p "$W" || exit 1

xmllint --noout --schema "$XSD" "$SAMPLES/statuses.xml" || fail "statuses.xml against the XSD"

"$LC" run --case 'fds/*' --case 'callbacks/*' -j 2 --quiet --expectations "$EXP" \
    --output "$W/run.json" --junit "$W/run.xml" --tap "$W/run.tap" > "$W/run.out" 2>&1
rc=$?
[ $rc -le 1 ] || { cat "$W/run.out"; fail "loopcompat run exited $rc"; }
"$LC" validate "$W/run.json" || fail "the run's report"
xmllint --noout --schema "$XSD" "$W/run.xml" || fail "the run's JUnit against the XSD"

# A distribution's histogram is in the report, not in the CI formats: they
# keep the percentiles.
"$LC" run --case timers/never-early --backend poll --quiet --expectations "$EXP" \
    --output "$W/hist.json" --junit "$W/hist.xml" --tap "$W/hist.tap" > "$W/hist.out" 2>&1
[ $? -le 1 ] || { cat "$W/hist.out"; fail "the timers run"; }
grep -q '"histogram"' "$W/hist.json" || fail "no histogram in the timers run's report"
grep -q 'p50' "$W/hist.xml" || fail "the timers run's JUnit lacks its percentiles"
if grep -q histogram "$W/hist.xml" "$W/hist.tap"; then fail "a histogram in the JUnit or TAP"; fi

# The XSD check can fail, on what the Jenkins schema rejects: skipped= on
# <testsuites>, message= on <skipped>, <properties> in a <testcase>.
reject() { # WHAT SED-EXPRESSION
    sed "$2" "$W/run.xml" > "$W/broken.xml"
    cmp -s "$W/run.xml" "$W/broken.xml" && fail "could not make a file with $1"
    if xmllint --noout --schema "$XSD" "$W/broken.xml" 2>/dev/null; then
        fail "the XSD accepted $1"
    fi
}
reject "skipped= on testsuites" 's/<testsuites name/<testsuites skipped="0" name/'
reject "message= on skipped" 's|</testcase>|<skipped message="m"/></testcase>|'
reject "properties in a testcase" \
    's|</testcase>|<properties><property name="a" value="b"/></properties></testcase>|'
# Every testcase of an expected refusal passes with status="UNSUPPORTED".
! grep -q '<skipped message=' "$W/run.xml" || fail "a <skipped> with message="

# junitparser (python3-junitparser, Debian) reads both files with the same
# counts as their attributes: tests, failures, errors, skipped per suite.
JP=""
for py in python3 /usr/bin/python3; do
    "$py" -c 'import junitparser' 2>/dev/null && { JP=$py; break; }
done
if [ -z "$JP" ]; then
    echo "junitparser not installed (python3-junitparser): not parsed with it"
else
    "$JP" - "$SAMPLES/statuses.xml" "$W/run.xml" <<'PY' || fail "junitparser"
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
want = {"statuses.xml": (8, 1, 3, 2)}  # the refusal is not skipped
for path in sys.argv[1:]:
    got = [0, 0, 0, 0]
    for suite in JUnitXml.fromfile(path):
        kinds = [type(r) for case in suite for r in case.result]
        n = (len(list(suite)), kinds.count(Failure), kinds.count(Error), kinds.count(Skipped))
        attrs = (suite.tests, suite.failures, suite.errors, suite.skipped)
        if n != attrs:
            sys.exit("%s: suite %s counts %s, attributes %s" % (path, suite.name, n, attrs))
        got = [a + b for a, b in zip(got, n)]
    exp = want.get(path.rsplit("/", 1)[-1])
    if exp and tuple(got) != exp:
        sys.exit("%s: tests, failures, errors, skipped %s, want %s" % (path, got, exp))
    print("junitparser: %s: %s" % (path.rsplit("/", 1)[-1], got))
PY
fi

# prove, Debian 12's TAP harness, reads the default (13): it passes the
# expected results, fails the unexpected ones, and the real run's TAP as
# the run's exit status says.
prove -e cat "$SAMPLES/expected.tap" > "$W/prove.out" 2>&1 || { cat "$W/prove.out"; fail "prove failed TAP of expected results"; }
if prove -e cat "$SAMPLES/statuses.tap" > "$W/prove.out" 2>&1; then
    fail "prove passed TAP with unexpected results"
fi
grep -q 'Tests: 8 Failed: 4)' "$W/prove.out" || { cat "$W/prove.out"; fail "prove did not count 4 unexpected of 8 (the expected FAIL is TODO)"; }
prove -e cat "$W/run.tap" > "$W/prove.out" 2>&1
prc=$?
[ $prc -eq $rc ] || { cat "$W/prove.out"; fail "prove exited $prc on the run's TAP, the run $rc"; }

N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$W/run.json")
[ "$(grep -c '<testcase ' "$W/run.xml")" -eq "$N" ] || fail "JUnit has not $N testcases"
[ "$(head -1 "$W/run.tap")" = "TAP version 13" ] || fail "TAP version line"
[ "$(sed -n 2p "$W/run.tap")" = "1..$N" ] || fail "TAP plan is not 1..$N"
awk -v n="$N" '
    /^(ok|not ok) / { k++; num = ($1 == "ok") ? $2 : $3; if (num != k) bad = 1 }
    END { exit (k == n && !bad) ? 0 : 1 }' "$W/run.tap" || fail "TAP test points are not 1..$N in order"
# --tap-version 14, and a bad value: one line, exit 2, nothing written.
"$LC" run --case 'callbacks/*' --quiet --expectations "$EXP" --output "$W/r14.json" \
    --tap "$W/r14.tap" --tap-version 14 > "$W/run14.out" 2>&1
[ $? -le 1 ] || { cat "$W/run14.out"; fail "run --tap-version 14"; }
[ "$(head -1 "$W/r14.tap")" = "TAP version 14" ] || fail "--tap-version 14 version line"
"$LC" run --case 'callbacks/*' --expectations "$EXP" --output "$W/r12.json" \
    --tap "$W/r12.tap" --tap-version 12 > "$W/r12.out" 2> "$W/r12.err"
rc12=$?
[ $rc12 -eq 2 ] || fail "--tap-version 12 exited $rc12, want 2"
[ "$(wc -l < "$W/r12.err")" -eq 1 ] || fail "--tap-version 12: not one line: $(cat "$W/r12.err")"
grep -q -- "--tap-version: '12' is not 13 or 14" "$W/r12.err" || fail "--tap-version 12: $(cat "$W/r12.err")"
[ ! -e "$W/r12.tap" ] && [ ! -e "$W/r12.json" ] || fail "--tap-version 12 wrote something"
# diff against a doctored copy of the real run: the first result that was
# as expected becomes an unexpected FAIL, and diff says so with exit 1.
python3 - "$W/run.json" "$W/doctored.json" > "$W/doctored.key" <<'PY' || fail "doctoring"
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["results"]:
    if not r["unexpected"] and r["expected"] not in (None, "FAIL"):
        r["status"], r["unexpected"], r["message"] = "FAIL", True, "doctored"
        print("%s %s" % (r["backend"], r["case"]))
        break
else:
    sys.exit("no result to doctor")
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
"$LC" diff "$W/run.json" "$W/doctored.json" > "$W/diff.out" 2>&1
rc=$?
cat "$W/diff.out"
[ $rc -eq 1 ] || fail "diff with a doctored regression exited $rc, want 1"
[ "$(grep -c '^REGRESSION ' "$W/diff.out")" -eq 1 ] || fail "want exactly one REGRESSION line"
grep -q "^REGRESSION  $(cat "$W/doctored.key"): " "$W/diff.out" || fail "the regression is not the doctored result"
"$LC" diff "$W/run.json" "$W/run.json" > /dev/null || fail "diff of a run with itself is not 0"
# run --baseline: a filtered run is compared within its filters (the rest of
# a wider baseline did not vanish), but a row inside them that the run lacks
# did: the baseline gets a row of a case id no run produces.
"$LC" run --case 'callbacks/*' --backend poll --quiet --expectations "$EXP" \
    --output "$W/narrow.json" --baseline "$W/run.json" > "$W/narrow.out" 2>&1 ||
    { cat "$W/narrow.out"; fail "a filtered run against a wider baseline exited $?"; }
grep -q ", 0 vanished" "$W/narrow.out" || fail "the filtered run: $(grep summary "$W/narrow.out")"
python3 - "$W/run.json" "$W/ghost.json" <<'PY' || fail "adding a ghost row"
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["results"]:
    if r["case"].startswith("callbacks/") and r["backend"] == "poll":
        g = dict(r, case="callbacks/no-such-case")
        doc["results"].append(g)
        break
json.dump(doc, open(sys.argv[2], "w"), indent=2)
PY
"$LC" run --case 'callbacks/*' --backend poll --quiet --expectations "$EXP" \
    --output "$W/ghostrun.json" --baseline "$W/ghost.json" > "$W/ghostrun.out" 2>&1
rc=$?
[ $rc -eq 1 ] || { cat "$W/ghostrun.out"; fail "a row that vanished inside the filters: exit $rc, want 1"; }
grep -q "^VANISHED .*callbacks/no-such-case" "$W/ghostrun.out" || fail "no VANISHED line: $(cat "$W/ghostrun.out")"
echo "ok: $N results in JUnit and TAP; the doctored regression flagged"
