#!/usr/bin/env python3
"""Validate loopcompat run reports against reports/schema/report-v1.schema.json,
plus the rules a schema cannot say (unique result keys, declared backends,
consistent `unexpected`, ordered percentiles, histograms that count the
samples in buckets of their scheme) and one this build's reports keep
although older ones need not: every UNSUPPORTED names the OS call and
errno that refused, or says decided_by library with its refs.

  validate_schema.py SCHEMA REPORT...
  validate_schema.py SCHEMA --run LOOPCOMPAT [ARG...]   run it, validate its report
  validate_schema.py SCHEMA --merge LOOPCOMPAT REPORT...   merge them, validate
                                                         the matrix (matrix-v1)

Exit 0 valid, 1 invalid, 77 (ctest's skip) if python3-jsonschema is missing.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is not installed: skipping", file=sys.stderr)
    sys.exit(77)


def log2x8(v):
    """The bucket [lo, hi) of the log2x8 scheme holding v (docs/reports.md)."""
    if v == 0:
        return (0.0, 0.0)
    m, e = math.frexp(abs(v))
    k = int(m * 16)
    lo, hi = math.ldexp(k, e - 4), math.ldexp(k + 1, e - 4)
    if v > 0:
        return (lo, hi)
    if lo == -v:  # closed above for negatives: the cell below
        lo, hi = log2x8(math.nextafter(-v, 0))
    return (-hi, -lo)


def histogram_problems(m):
    h = m.get("histogram")
    if h is None:
        return []
    out = []
    close = lambda x, y: abs(x - y) <= 1e-12 * abs(y)
    prev = None
    for lo, hi, count in h["buckets"]:
        a, b = log2x8(lo / 2 + hi / 2)
        if not (close(lo, a) and close(hi, b)):
            out.append("[%r, %r) is not a log2x8 bucket" % (lo, hi))
        if prev is not None and not (lo > prev[0] and lo >= prev[1]):
            out.append("[%r, %r) is not after [%r, %r)" % (lo, hi, prev[0], prev[1]))
        prev = (lo, hi)
    total = sum(b[2] for b in h["buckets"])
    if total != m["n"]:
        out.append("counts sum to %d, not n = %d" % (total, m["n"]))
    first, last = h["buckets"][0], h["buckets"][-1]
    if not (first[0] <= m["min"] <= first[1] or close(m["min"], first[0])):
        out.append("min %r is not in the first bucket" % m["min"])
    if not (last[0] <= m["max"] <= last[1] or close(m["max"], last[1])):
        out.append("max %r is not in the last bucket" % m["max"])
    return out


def refusal_explained(r):
    """An UNSUPPORTED result says who refused (DESIGN.md, docs/reports.md):
    the OS, by the call and errno that failed, or the library by design,
    with the documentation behind the choice in refs."""
    ev = r["evidence"]
    if ev.get("call") and ev.get("errno"):
        return True
    return ev.get("decided_by") == "library" and len(r["refs"]) > 0


def lint(doc):
    problems = []
    matrix = doc["format"] == "loopcompat-matrix"
    if not matrix and doc["time_end"] < doc["time_start"]:
        problems.append("time_end is before time_start")
    seen = set()
    for i, r in enumerate(doc["results"]):
        key = (r.get("platform"), r["case"], r["backend"], r["variant"])
        where = "results[%d] %s %s" % (i, r["case"], r["backend"])
        if key in seen:
            problems.append("%s: duplicate (case, backend, variant)" % where)
        seen.add(key)
        backends = doc["platforms"][r["platform"]]["backends"] if matrix else doc["backends"]
        b = backends.get(r["backend"])
        if b is None:
            problems.append("%s: backend not declared in backends" % where)
        elif not b["available"]:
            problems.append("%s: result for an unavailable backend" % where)
        allowed = set(r["known_intermittent"])
        if r["expected"] is not None:
            allowed.add(r["expected"])
        if r["unexpected"] != (r["status"] not in allowed):
            problems.append("%s: unexpected=%s disagrees with status/expected" % (where, r["unexpected"]))
        if not matrix and r["status"] == "UNSUPPORTED" and not refusal_explained(r):
            problems.append("%s: UNSUPPORTED without the OS call and errno that refused, or "
                            "decided_by library and refs" % where)
        for name, m in r["measurements"].items():
            if m["kind"] == "distribution":
                order = [m["min"], m["p50"], m["p90"], m["p99"], m["max"]]
                if order != sorted(order):
                    problems.append("%s: measurement %s: percentiles out of order" % (where, name))
                for p in histogram_problems(m):
                    problems.append("%s: measurement %s: histogram: %s" % (where, name, p))
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
    if argv[2] == "--merge":
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "matrix.json")
            cmd = [argv[3], "merge"] + argv[4:] + ["-o", out]
            if subprocess.run(cmd).returncode != 0:
                print("%s failed" % " ".join(cmd))
                return 1
            return 0 if validate(validator, out) else 1
    ok = all([validate(validator, p) for p in argv[2:]])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
