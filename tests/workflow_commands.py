#!/usr/bin/env python3
"""The CI workflow we ship and the example in docs/reports.md against the
real tool, so that neither drifts from the CLI:

- every `loopcompat` command line in a `run:` step names a command that
  exists, and the command itself takes its options and values: it is run
  with them and `--help` after them (getopt_long parses options in order,
  so an unknown option or a bad value is refused, exit 2, before `--help`
  prints the usage, exit 0); every long option is also named in the
  command's `--help`;
- a `run --baseline` reads something the same file writes: in the docs'
  example, the `latest` copy a `publish --latest` stores; in the workflow,
  a path the Actions cache restores; and it carries --baseline-missing=warn,
  so that the first run, with no baseline yet, works;
- the packages installed with apt-get are ones Ubuntu 22.04 and 24.04 have
  (the list below), with no browser: Ubuntu's chromium is a snap.

  workflow_commands.py LOOPCOMPAT WORKFLOW DOCS_MD
Exit 77 (skipped) when PyYAML is not installed.
"""
import os
import posixpath
import re
import shlex
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("python3-yaml not installed: skipping")
    sys.exit(77)

LC, WORKFLOW, DOCS = sys.argv[1:4]

# Packages the workflow and the example may install: each is in Ubuntu 22.04
# (jammy) and 24.04 (noble), main or universe, by packages.ubuntu.com.
# Not chromium or chromium-browser: transitional packages that install the
# snap, which a runner's apt-get cannot be relied on to do.
UBUNTU = {"build-essential", "cmake", "pkg-config", "check", "libsubunit-dev",
          "libjansson-dev", "libcurl4-openssl-dev", "liburing-dev", "zlib1g-dev",
          "nginx", "python3", "python3-yaml"}

failures = []
checked = 0


def fail(where, msg):
    failures.append("%s: %s" % (where, msg))


def expand(text, matrix):
    """Every expansion of ${{ matrix.K }} over the matrix' values; any other
    expression becomes X (a placeholder the options take as a value)."""
    texts = [text]
    for key, values in matrix.items():
        pat = "${{ matrix.%s }}" % key
        texts = [t.replace(pat, v) for t in texts for v in values] if pat in text else texts
    return [re.sub(r"\$\{\{[^}]*\}\}", "X", t) for t in texts]


def commands(script):
    """The simple commands of a shell script: lists of words."""
    lex = shlex.shlex(script.replace("\\\n", " "), posix=True, punctuation_chars=";&|")
    lex.whitespace = " \t\r"
    lex.whitespace_split = True
    out, cur = [], []
    for tok in lex:
        if tok in ("\n", ";", "&&", "||", "|", "&") or set(tok) <= set(";&|\n"):
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(tok)
    if cur:
        out.append(cur)
    return out


def lines_of(script):
    """commands() per line: YAML's folded (>) scalars are one line already."""
    return [c for line in script.split("\n") for c in commands(line)]


HELP = {}


def help_of(cmd):
    if cmd not in HELP:
        p = subprocess.run([LC, "help", cmd], capture_output=True, text=True)
        HELP[cmd] = (p.returncode, p.stdout)
    return HELP[cmd]


def check_loopcompat(where, words):
    global checked
    checked += 1
    if len(words) < 2:
        fail(where, "loopcompat with no command")
        return
    cmd, args = words[1], words[2:]
    rc, text = help_of(cmd)
    if rc != 0:
        fail(where, "`loopcompat help %s` exited %d: no such command" % (cmd, rc))
        return
    for a in args:
        if a.startswith("--"):
            name = a.split("=", 1)[0]
            if not re.search(r"(^|[\s\[])%s([\s\[=,]|$)" % re.escape(name), text):
                fail(where, "%s %s: not named in `loopcompat %s --help`" % (cmd, name, cmd))
    p = subprocess.run([LC, cmd] + args + ["--help"], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.startswith(("usage", "loopcompat")):
        fail(where, "`loopcompat %s %s --help` exited %d: %s"
             % (cmd, " ".join(args), p.returncode, p.stderr.strip()))


def option(words, name, separate=True):
    """The value of --name VALUE (if separate) or --name=VALUE in words, or
    None."""
    for i, w in enumerate(words):
        if separate and w == name and i + 1 < len(words):
            return words[i + 1]
        if w.startswith(name + "="):
            return w[len(name) + 1:]
    return None


def latest_of(url, name):
    """The URL publish --latest[=name] writes besides url (publish_files.c)."""
    head, seg = url.rsplit("/", 1)
    if not name:
        m = re.search(r"(\.[^./]+\.gz|\.[^./]+)$", seg, re.I)
        name = "latest" + (m.group(1) if m else "")
    return head + "/" + name


def check_doc(label, doc):
    """Checks one workflow document; returns (baselines, latest URLs, cached
    paths) for the checks across commands."""
    baselines, latests, cached = [], set(), []
    for jname, job in (doc.get("jobs") or {}).items():
        matrix = {}
        strategy = (job.get("strategy") or {}).get("matrix") or {}
        for inc in strategy.get("include") or []:
            for k, v in inc.items():
                matrix.setdefault(k, []).append(str(v))
        for k, v in strategy.items():
            if k != "include" and isinstance(v, list):
                matrix.setdefault(k, []).extend(str(x) for x in v)
        for n, step in enumerate(job.get("steps") or []):
            where = "%s: job %s, step %d" % (label, jname, n + 1)
            if "actions/cache" in str(step.get("uses", "")):
                cached += str((step.get("with") or {}).get("path", "")).split()
            if "run" not in step:
                continue
            for script in expand(str(step["run"]), matrix):
                for words in lines_of(script):
                    prog = [w for w in words if w != "sudo"]
                    if prog[:2] == ["apt-get", "install"]:
                        for pkg in prog[2:]:
                            if not pkg.startswith("-") and pkg not in UBUNTU:
                                fail(where, "apt package %s is not one Ubuntu 22.04/24.04 has "
                                     "(or is not in this test's list)" % pkg)
                    if not words or posixpath.basename(words[0]) != "loopcompat":
                        continue
                    check_loopcompat(where, words)
                    if words[1:2] == ["run"] and option(words, "--baseline"):
                        baselines.append((where, option(words, "--baseline"), words))
                    # --latest takes its optional NAME only as --latest=NAME.
                    name = option(words, "--latest", separate=False)
                    if words[1:2] == ["publish"] and ("--latest" in words or name):
                        latests.add(latest_of(option(words, "--url") or "", name or ""))
    return baselines, latests, cached


def main():
    wf = yaml.safe_load(open(WORKFLOW))
    baselines, _, cached = check_doc(os.path.basename(WORKFLOW), wf)
    if not baselines:
        fail(WORKFLOW, "no `loopcompat run --baseline`")
    for where, base, words in baselines:
        if not any(base == c or base.startswith(c.rstrip("/") + "/") for c in cached):
            fail(where, "--baseline %s is not under a path the Actions cache restores (%s)"
                 % (base, ", ".join(cached) or "none"))
        if option(words, "--baseline-missing") != "warn":
            fail(where, "run --baseline without --baseline-missing=warn: the first run fails")
    # The workflow's publishing steps run on main only.
    for jname, job in wf["jobs"].items():
        for step in job.get("steps") or []:
            publishes = "publish" in str(step.get("run", "")) or "pages" in str(step.get("uses", ""))
            if publishes and "refs/heads/main" not in str(step.get("if", "")) + str(job.get("if", "")):
                fail(WORKFLOW, "job %s publishes outside main: %s" % (jname, step.get("name")))

    text = open(DOCS).read()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    examples = [yaml.safe_load(b) for b in blocks]
    examples = [e for e in examples if isinstance(e, dict) and "jobs" in e]
    if not examples:
        fail(DOCS, "no GitHub Actions example")
    for i, ex in enumerate(examples):
        label = "%s: example %d" % (os.path.basename(DOCS), i + 1)
        baselines, latests, _ = check_doc(label, ex)
        for where, base, words in baselines:
            if base not in latests:
                fail(where, "--baseline %s is not written by any publish --latest (%s)"
                     % (base, ", ".join(sorted(latests)) or "none"))
            if option(words, "--baseline-missing") != "warn":
                fail(where, "run --baseline without --baseline-missing=warn: the first run fails")

    for f in failures:
        print("FAIL: " + f)
    print("workflow_commands: %d loopcompat commands checked, %d problems" % (checked, len(failures)))
    return 1 if failures or checked == 0 else 0


sys.exit(main())
