#!/bin/sh
# JUnit and TAP from loopcompat: the JUnit files (every status, from
# test_report_tools; and a real run's --junit) validate against junit.xsd,
# the schema check rejects a broken file, and the real run's TAP has a plan
# that matches its test points.  Then diff flags a doctored copy of the run.
#
#   report_ci_formats.sh LOOPCOMPAT JUNIT_XSD SAMPLES_DIR EXPECTATIONS WORKDIR
# Exit 77 (skipped) when xmllint (libxml2-utils) is not installed.
set -u
LC=$1 XSD=$2 SAMPLES=$3 EXP=$4 W=$5
command -v xmllint >/dev/null || { echo "xmllint not installed: skipping"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$W" && mkdir -p "$W" || exit 1

xmllint --noout --schema "$XSD" "$SAMPLES/statuses.xml" || fail "statuses.xml against the XSD"

"$LC" run --case 'fds/*' --case 'callbacks/*' -j 2 --quiet --expectations "$EXP" \
    --output "$W/run.json" --junit "$W/run.xml" --tap "$W/run.tap" > "$W/run.out" 2>&1
rc=$?
[ $rc -le 1 ] || { cat "$W/run.out"; fail "loopcompat run exited $rc"; }
"$LC" validate "$W/run.json" || fail "the run's report"
xmllint --noout --schema "$XSD" "$W/run.xml" || fail "the run's JUnit against the XSD"

# The XSD check can fail: a testcase without classname and time.
sed 's/ classname="[^"]*" time="[^"]*"//' "$W/run.xml" > "$W/broken.xml"
if xmllint --noout --schema "$XSD" "$W/broken.xml" 2>/dev/null; then
    fail "the XSD accepted a testcase without classname"
fi

N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["results"]))' "$W/run.json")
[ "$(grep -c '<testcase ' "$W/run.xml")" -eq "$N" ] || fail "JUnit has not $N testcases"
[ "$(head -1 "$W/run.tap")" = "TAP version 14" ] || fail "TAP version line"
[ "$(sed -n 2p "$W/run.tap")" = "1..$N" ] || fail "TAP plan is not 1..$N"
awk -v n="$N" '
    /^(ok|not ok) / { k++; num = ($1 == "ok") ? $2 : $3; if (num != k) bad = 1 }
    END { exit (k == n && !bad) ? 0 : 1 }' "$W/run.tap" || fail "TAP test points are not 1..$N in order"
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
echo "ok: $N results in JUnit and TAP; the doctored regression flagged"
