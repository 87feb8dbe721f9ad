#!/usr/bin/env python3
"""Validate loopcompat run reports against reports/schema/report-v1.schema.json,
plus the rules a schema cannot say (unique result keys, declared backends,
consistent `unexpected`, ordered percentiles).

  validate_schema.py SCHEMA REPORT...
  validate_schema.py SCHEMA --run LOOPCOMPAT [ARG...]   run it, validate its report

Exit 0 valid, 1 invalid, 77 (ctest's skip) if python3-jsonschema is missing.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed: skipping", file=sys.stderr)
    sys.exit(77)


def lint(doc):
    problems = []
    if doc["time_end"] < doc["time_start"]:
        problems.append("time_end is before time_start")
    seen = set()
    for i, r in enumerate(doc["results"]):
        key = (r["case"], r["backend"], r["variant"])
        where = "results[%d] %s %s" % (i, r["case"], r["backend"])
        if key in seen:
            problems.append("%s: duplicate (case, backend, variant)" % where)
        seen.add(key)
        b = doc["backends"].get(r["backend"])
        if b is None:
            problems.append("%s: backend not declared in backends" % where)
        elif not b["available"]:
            problems.append("%s: result for an unavailable backend" % where)
        allowed = set(r["known_intermittent"])
        if r["expected"] is not None:
            allowed.add(r["expected"])
        if r["unexpected"] != (r["status"] not in allowed):
            problems.append("%s: unexpected=%s disagrees with status/expected" % (where, r["unexpected"]))
        for name, m in r["measurements"].items():
            if m["kind"] == "distribution":
                order = [m["min"], m["p50"], m["p90"], m["p99"], m["max"]]
                if order != sorted(order):
                    problems.append("%s: measurement %s: percentiles out of order" % (where, name))
    return problems


def validate(validator, path):
    with open(path) as f:
        doc = json.load(f)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors:
        print("%s: %s: %s" % (path, "/".join(str(p) for p in e.absolute_path) or "(top)", e.message))
    if errors:
        return False
    problems = lint(doc)
    for p in problems:
        print("%s: %s" % (path, p))
    if not problems:
        print("%s: valid (%d results)" % (path, len(doc["results"])))
    return not problems


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    if argv[2] == "--run":
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "report.json")
            cmd = [argv[3], "run", "--quiet", "--output", out] + argv[4:]
            proc = subprocess.run(cmd)
            # 1 only means something was unexpected; the report is still written.
            if proc.returncode not in (0, 1):
                print("%s exited with %d" % (" ".join(cmd), proc.returncode))
                return 1
            return 0 if validate(validator, out) else 1
    ok = all([validate(validator, p) for p in argv[2:]])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
