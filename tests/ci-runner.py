#!/usr/bin/env python3
"""A small stand-in for GitHub Actions, GitLab CI and Kubernetes Jobs, for
tests/integration/ci-recipes.sh: it reads the recipes of examples/ci (and action.yml) with a
real YAML parser (python3-yaml), validates them, and runs their own commands -- the `run:`
blocks, `script:` lines and container commands, not copies -- on this machine.

  ci-runner.py validate FILE...
  ci-runner.py gh-matrix WORKFLOW JOB                 -> "INDEX<TAB>RUNS-ON" per combination
  ci-runner.py gh-job WORKFLOW JOB --state DIR --workspace DIR --action-dir DIR
               [--matrix-index N] [--set K=V]... [--ctx github.sha=V]...
  ci-runner.py gitlab-jobs FILE                       -> "JOB<TAB>STAGE<TAB>TAGS" in stage order
  ci-runner.py gitlab-job FILE JOB --state DIR --workspace DIR [--set K=V]...
  ci-runner.py k8s-jobs FILE                          -> "JOB<TAB>kubernetes.io/arch"
  ci-runner.py k8s-job FILE JOB --state DIR [--set K=V]...

--set K=V replaces the recipe's variable K (workflow/job env, GitLab variables, container env):
the registry, repositories and runner-local paths the test substitutes. Only what the recipes
use is implemented; anything else (an unknown `uses:`, an `if:`, an unknown expression) is an
error, never silently skipped. A step's output goes to stdout; the exit status is the job's.
"""
import argparse
import fnmatch
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
GH_CONTEXTS = {"env", "matrix", "inputs", "steps", "needs", "runner", "github", "secrets"}


class RecipeError(Exception):
    pass


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def bash_syntax(script, what):
    r = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    if r.returncode != 0:
        raise RecipeError("%s: bash -n: %s" % (what, r.stderr.strip()))


# ---------------------------------------------------------------- GitHub expressions

def lookup(ctx, path, where):
    parts = path.split(".")
    if parts[0] not in ctx:
        raise RecipeError("%s: unsupported expression context in ${{ %s }}" % (where, path))
    v = ctx
    for i, p in enumerate(parts):
        if not isinstance(v, dict) or p not in v:
            # as GitHub: an output a step or job did not set is empty; an unknown id is an error
            if i == 3 and parts[0] in ("steps", "needs") and parts[2] == "outputs":
                return ""
            raise RecipeError("%s: ${{ %s }} is not defined" % (where, path))
        v = v[p]
    return v


def evaluate(value, ctx, where):
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return "" if value is None else str(value)

    def sub(m):
        e = m.group(1)
        if not re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)*", e):
            raise RecipeError("%s: unsupported expression ${{ %s }}" % (where, e))
        v = lookup(ctx, e, where)
        return v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v)

    return EXPR.sub(sub, value)


def expressions(obj):
    if isinstance(obj, str):
        yield from (m.group(1) for m in EXPR.finditer(obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from expressions(k)
            yield from expressions(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from expressions(v)


# ---------------------------------------------------------------- validation

def validate_expressions(doc, where, allowed):
    for e in expressions(doc):
        root = e.split(".")[0]
        if root not in allowed:
            raise RecipeError("%s: expression ${{ %s }} uses context %r (allowed: %s)"
                              % (where, e, root, ", ".join(sorted(allowed))))


def validate_github_workflow(doc, f):
    for k in ("name", "jobs"):
        if k not in doc:
            raise RecipeError("%s: workflow has no %r" % (f, k))
    if "on" not in doc and True not in doc:  # YAML 1.1 reads the key `on` as true
        raise RecipeError("%s: workflow has no 'on'" % f)
    validate_expressions(doc, f, GH_CONTEXTS - {"inputs"})
    jobs = doc["jobs"]
    for name, job in jobs.items():
        w = "%s: job %s" % (f, name)
        if "runs-on" not in job or not job.get("steps"):
            raise RecipeError("%s: needs runs-on and steps" % w)
        needs = job.get("needs", [])
        for n in [needs] if isinstance(needs, str) else needs:
            if n not in jobs:
                raise RecipeError("%s: needs unknown job %s" % (w, n))
        ids = set()
        for i, s in enumerate(job["steps"]):
            sw = "%s step %d" % (w, i + 1)
            if ("run" in s) == ("uses" in s):
                raise RecipeError("%s: needs exactly one of run and uses" % sw)
            if "if" in s:
                raise RecipeError("%s: 'if' is not supported by this runner" % sw)
            if "run" in s:
                bash_syntax(s["run"], sw)
            if "id" in s:
                ids.add(s["id"])
        for e in expressions(job):
            p = e.split(".")
            if p[0] == "steps" and p[1] not in ids:
                raise RecipeError("%s: ${{ %s }} names no step id" % (w, e))


def validate_action(doc, f):
    for k in ("name", "description", "runs"):
        if k not in doc:
            raise RecipeError("%s: action has no %r" % (f, k))
    if doc["runs"].get("using") != "composite":
        raise RecipeError("%s: runs.using must be composite" % f)
    validate_expressions(doc, f, {"inputs", "steps", "env", "github", "runner"})
    inputs = doc.get("inputs", {})
    ids = set()
    for i, s in enumerate(doc["runs"]["steps"]):
        sw = "%s step %d" % (f, i + 1)
        if "run" not in s or "shell" not in s:
            raise RecipeError("%s: a composite step needs run and shell" % sw)
        bash_syntax(s["run"], sw)
        ids.add(s.get("id"))
    for e in expressions(doc):
        p = e.split(".")
        if p[0] == "inputs" and p[1] not in inputs:
            raise RecipeError("%s: ${{ %s }} names no input" % (f, e))
        if p[0] == "steps" and p[1] not in ids:
            raise RecipeError("%s: ${{ %s }} names no step id" % (f, e))


GL_RESERVED = {"variables", "stages", "default", "include", "workflow", "image", "services",
               "before_script", "after_script", "cache"}


def gitlab_resolve(doc, name, seen=()):
    job = doc.get(name)
    if not isinstance(job, dict):
        raise RecipeError("GitLab: job %s does not exist" % name)
    if name in seen:
        raise RecipeError("GitLab: extends loop at %s" % name)
    base = {}
    ext = job.get("extends", [])
    for e in [ext] if isinstance(ext, str) else ext:
        base = merge(base, gitlab_resolve(doc, e, seen + (name,)))
    out = merge(base, {k: v for k, v in job.items() if k != "extends"})
    return out


def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def gitlab_jobs(doc):
    return [k for k in doc if k not in GL_RESERVED and not k.startswith(".")]


def validate_gitlab(doc, f):
    stages = doc.get("stages")
    if not stages:
        raise RecipeError("%s: no stages" % f)
    jobs = gitlab_jobs(doc)
    if not jobs:
        raise RecipeError("%s: no jobs" % f)
    for name in jobs:
        job = gitlab_resolve(doc, name)
        w = "%s: job %s" % (f, name)
        if job.get("stage") not in stages:
            raise RecipeError("%s: stage %r is not in stages" % (w, job.get("stage")))
        if not job.get("script"):
            raise RecipeError("%s: no script" % w)
        if not isinstance(job.get("tags", []), list):
            raise RecipeError("%s: tags must be a list" % w)
        for n in job.get("needs", []):
            n = n["job"] if isinstance(n, dict) else n
            if n not in jobs:
                raise RecipeError("%s: needs unknown job %s" % (w, n))
            if stages.index(gitlab_resolve(doc, n)["stage"]) >= stages.index(job["stage"]):
                raise RecipeError("%s: needs %s of a later stage" % (w, n))
        bash_syntax(gitlab_script(job), w)


def gitlab_script(job):
    lines = list(job.get("before_script", [])) + list(job.get("script", []))
    return "set -e\n" + "\n".join(lines) + "\n"


def validate_k8s(docs, f):
    configmaps = {d["metadata"]["name"] for d in docs if d.get("kind") == "ConfigMap"}
    jobs = 0
    for d in docs:
        for k in ("apiVersion", "kind", "metadata"):
            if k not in d:
                raise RecipeError("%s: a document has no %s" % (f, k))
        if d["kind"] != "Job":
            continue
        jobs += 1
        w = "%s: Job %s" % (f, d["metadata"].get("name"))
        if d["apiVersion"] != "batch/v1":
            raise RecipeError("%s: apiVersion must be batch/v1" % w)
        spec = d["spec"]["template"]["spec"]
        if spec.get("restartPolicy") not in ("Never", "OnFailure"):
            raise RecipeError("%s: a Job's restartPolicy is Never or OnFailure" % w)
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        for v in vols.values():
            cm = v.get("configMap")
            if cm and cm["name"] not in configmaps and not cm.get("optional"):
                raise RecipeError("%s: volume %s: no ConfigMap %s in the file" % (w, v["name"], cm["name"]))
        for c in spec["containers"]:
            for k in ("name", "image", "command"):
                if k not in c:
                    raise RecipeError("%s: container has no %s" % (w, k))
            if "securityContext" not in c:
                raise RecipeError("%s: container %s states no securityContext" % (w, c["name"]))
            for m in c.get("volumeMounts", []):
                if m["name"] not in vols:
                    raise RecipeError("%s: volumeMount %s names no volume" % (w, m["name"]))
            bash_syntax(" ".join(c.get("args", [])) if c["command"][:1] != ["/bin/sh"] else c["args"][0], w)
    if not jobs:
        raise RecipeError("%s: no Job" % f)


def cmd_validate(a):
    bad = 0
    for f in a.files:
        try:
            docs = load_all(f)
            if not docs:
                raise RecipeError("%s: empty" % f)
            d = docs[0]
            base = os.path.basename(f)
            if base in ("action.yml", "action.yaml"):
                validate_action(d, f)
            elif base == ".gitlab-ci.yml":
                validate_gitlab(d, f)
            elif isinstance(d, dict) and "apiVersion" in d:
                validate_k8s(docs, f)
            elif isinstance(d, dict) and "jobs" in d:
                validate_github_workflow(d, f)
            else:
                raise RecipeError("%s: not a workflow, action, GitLab file or Kubernetes manifest" % f)
            print("valid: %s" % f)
        except (RecipeError, yaml.YAMLError, KeyError, TypeError, AttributeError, IndexError) as e:
            print("invalid: %s: %s" % (f, e))
            bad += 1
    return 1 if bad else 0


# ---------------------------------------------------------------- running scripts

def run_script(script, env, cwd, shell=("bash", "--noprofile", "--norc", "-eo", "pipefail"), user=None):
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False, dir=env.get("RUNNER_TEMP")) as t:
        t.write(script)
    os.chmod(t.name, 0o755)
    argv = list(shell) + [t.name]
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups", "--"] + argv
    sys.stdout.flush()
    r = subprocess.run(argv, env=env, cwd=cwd)
    os.unlink(t.name)
    return r.returncode


def parse_kv_file(path):
    out = {}
    if not os.path.exists(path):
        return out
    lines = open(path).read().split("\n")
    i = 0
    while i < len(lines):
        l = lines[i]
        m = re.match(r"^([\w-]+)<<(.+)$", l)
        if m:
            key, delim, val = m.group(1), m.group(2), []
            i += 1
            while i < len(lines) and lines[i] != delim:
                val.append(lines[i])
                i += 1
            out[key] = "\n".join(val)
        elif "=" in l:
            k, v = l.split("=", 1)
            out[k] = v
        i += 1
    return out


def overrides(sets):
    out = {}
    for s in sets or []:
        k, v = s.split("=", 1)
        out[k] = v
    return out


# ---------------------------------------------------------------- GitHub Actions

def matrix_combos(job):
    m = job.get("strategy", {}).get("matrix")
    if not m:
        return [{}]
    combos = [{}]
    for k, vals in m.items():
        if k in ("include", "exclude"):
            continue
        combos = [dict(c, **{k: v}) for c in combos for v in vals]
    if m.get("include"):
        combos = [c for c in combos if c] + list(m["include"])
    return combos


def cmd_gh_matrix(a):
    wf = load(a.workflow)
    job = wf["jobs"][a.job]
    ctx = {"matrix": {}, "github": {}, "env": {}}
    for i, c in enumerate(matrix_combos(job)):
        ctx["matrix"] = c
        print("%d\t%s" % (i, evaluate(job["runs-on"], ctx, a.job)))
    return 0


def gh_env_block(block, ctx, where):
    return {k: evaluate(v, ctx, where) for k, v in (block or {}).items()}


class GitHubJob:
    def __init__(self, a):
        self.a = a
        self.state = os.path.abspath(a.state)
        self.ws = os.path.abspath(a.workspace)
        self.temp = os.path.join(self.state, "runner-temp", a.job + "-" + str(a.matrix_index))
        shutil.rmtree(self.temp, ignore_errors=True)
        os.makedirs(self.temp)
        os.makedirs(self.ws, exist_ok=True)
        ctxvals = overrides(a.ctx)
        self.github = {"repository": "owner/repo", "sha": "0" * 40, "actor": "ci", "workspace": self.ws}
        self.secrets = {}
        for k, v in ctxvals.items():
            root, _, name = k.partition(".")
            {"github": self.github, "secrets": self.secrets}[root][name] = v
        self.runner = {"temp": self.temp, "os": "Linux", "arch": "X64"}
        self.sets = overrides(a.set)

    def base_env(self):
        env = {k: v for k, v in os.environ.items()}
        env.update({"RUNNER_TEMP": self.temp, "GITHUB_WORKSPACE": self.ws, "CI": "true",
                    "GITHUB_ACTIONS": "true", "GITHUB_SHA": self.github["sha"],
                    "GITHUB_REPOSITORY": self.github["repository"]})
        return env

    def ctx(self, **more):
        c = {"github": self.github, "secrets": self.secrets, "runner": self.runner}
        c.update(more)
        return c

    def run(self):
        wf = load(self.a.workflow)
        job = wf["jobs"][self.a.job]
        matrix = matrix_combos(job)[self.a.matrix_index]
        needs = {}
        n = job.get("needs", [])
        for name in [n] if isinstance(n, str) else n:
            p = os.path.join(self.state, "needs", name + ".json")
            needs[name] = {"outputs": json.load(open(p)) if os.path.exists(p) else {}}
        env = gh_env_block(wf.get("env"), self.ctx(matrix=matrix, env={}), "workflow env")
        env.update(gh_env_block(job.get("env"), self.ctx(matrix=matrix, env=env), "job env"))
        env.update({k: v for k, v in self.sets.items()})
        steps = {}
        for i, s in enumerate(job["steps"]):
            where = "job %s step %d (%s)" % (self.a.job, i + 1, s.get("name", s.get("uses", "run")))
            c = self.ctx(matrix=matrix, env=env, steps=steps, needs=needs)
            senv = dict(env, **gh_env_block(s.get("env"), c, where))
            c["env"] = senv
            print("::group::%s" % where, flush=True)
            if "run" in s:
                outs, rc = self.run_step(s["run"], senv, evaluate(s.get("working-directory", ""), c, where))
            else:
                outs, rc = self.uses(s, c, senv, where)
            print("::endgroup::", flush=True)
            if rc != 0:
                print("%s failed with status %d" % (where, rc), flush=True)
                return rc
            if "id" in s:
                steps[s["id"]] = {"outputs": outs}
        outs = {k: evaluate(v, self.ctx(matrix=matrix, env=env, steps=steps, needs=needs), "job outputs")
                for k, v in job.get("outputs", {}).items()}
        os.makedirs(os.path.join(self.state, "needs"), exist_ok=True)
        json.dump(outs, open(os.path.join(self.state, "needs", self.a.job + ".json"), "w"))
        return 0

    def run_step(self, script, senv, wd, extra=None):
        out = os.path.join(self.temp, "output")
        open(out, "w").close()
        e = self.base_env()
        e.update(senv)
        e.update(extra or {})
        e["GITHUB_OUTPUT"] = out
        cwd = os.path.join(self.ws, wd) if wd else self.ws
        rc = run_script(script, e, cwd)
        return parse_kv_file(out), rc

    def uses(self, s, c, senv, where):
        u = s["uses"]
        w = {k: evaluate(v, c, where) for k, v in (s.get("with") or {}).items()}
        if u.startswith("actions/checkout@"):
            print("checkout: the workspace holds the sources already")
            return {}, 0
        if u.startswith("actions/upload-artifact@"):
            return {}, self.upload(w)
        if u.startswith("actions/download-artifact@"):
            return {}, self.download(w)
        if u == "./":
            return self.composite(w, senv, where)
        raise RecipeError("%s: uses %s is not supported by this runner" % (where, u))

    def upload(self, w):
        dest = os.path.join(self.state, "artifacts", w["name"])
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        n = 0
        for p in w["path"].split("\n"):
            p = p.strip()
            if not p:
                continue
            p = os.path.join(self.ws, p)
            if p.endswith("/") and os.path.isdir(p):
                shutil.copytree(p, dest, dirs_exist_ok=True, symlinks=True)
                n += 1
                continue
            for g in glob.glob(p):
                if os.path.isdir(g):
                    shutil.copytree(g, os.path.join(dest, os.path.basename(g)), symlinks=True)
                else:
                    shutil.copy2(g, dest)
                n += 1
        print("upload-artifact %s: %d paths" % (w["name"], n))
        if n == 0 and w.get("if-no-files-found") == "error":
            print("upload-artifact: no files found at %s" % w["path"])
            return 1
        return 0

    def download(self, w):
        root = os.path.join(self.state, "artifacts")
        path = os.path.join(self.ws, w.get("path", "."))
        names = sorted(os.listdir(root)) if os.path.isdir(root) else []
        if "name" in w:
            names = [x for x in names if x == w["name"]]
        elif "pattern" in w:
            names = [x for x in names if fnmatch.fnmatch(x, w["pattern"])]
        if not names:
            print("download-artifact: nothing matches %s" % w)
            return 1
        for x in names:
            d = path if ("name" in w or w.get("merge-multiple") in ("true", True)) else os.path.join(path, x)
            shutil.copytree(os.path.join(root, x), d, dirs_exist_ok=True, symlinks=True)
        print("download-artifact: %s -> %s" % (" ".join(names), path))
        return 0

    def composite(self, w, senv, where):
        adir = os.path.abspath(self.a.action_dir)
        act = load(os.path.join(adir, "action.yml"))
        inputs = {k: evaluate(v.get("default", ""), {}, "action defaults")
                  for k, v in act.get("inputs", {}).items()}
        for k, v in w.items():
            if k not in inputs:
                raise RecipeError("%s: the action has no input %s" % (where, k))
            inputs[k] = v
        steps = {}
        for i, s in enumerate(act["runs"]["steps"]):
            sw = "%s > action step %d (%s)" % (where, i + 1, s.get("name", ""))
            c = self.ctx(inputs=inputs, steps=steps, env=senv)
            e = dict(senv, **gh_env_block(s.get("env"), c, sw))
            print("::group::%s" % sw, flush=True)
            outs, rc = self.run_step(s["run"], e, "", {"GITHUB_ACTION_PATH": adir})
            print("::endgroup::", flush=True)
            if rc != 0:
                print("%s failed with status %d" % (sw, rc), flush=True)
                return {}, rc
            if "id" in s:
                steps[s["id"]] = {"outputs": outs}
        c = self.ctx(inputs=inputs, steps=steps, env=senv)
        return {k: evaluate(v["value"], c, "action outputs") for k, v in act.get("outputs", {}).items()}, 0


def cmd_gh_job(a):
    return GitHubJob(a).run()


# ---------------------------------------------------------------- GitLab CI

def expand(value, env):
    def sub(m):
        return env.get(m.group(1) or m.group(2), "")
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, str(value))


def cmd_gitlab_jobs(a):
    doc = load(a.file)
    stages = doc["stages"]
    jobs = sorted(gitlab_jobs(doc), key=lambda j: stages.index(gitlab_resolve(doc, j)["stage"]))
    for j in jobs:
        job = gitlab_resolve(doc, j)
        print("%s\t%s\t%s" % (j, job["stage"], ",".join(job.get("tags", []))))
    return 0


def cmd_gitlab_job(a):
    doc = load(a.file)
    job = gitlab_resolve(doc, a.job)
    for k in ("before_script", "script"):
        if k not in job and k in doc:
            job[k] = doc[k]
    sets = overrides(a.set)
    ws = os.path.abspath(a.workspace)
    state = os.path.abspath(a.state)
    os.makedirs(ws, exist_ok=True)
    env = dict(os.environ)
    env.update({"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": ws, "CI_JOB_NAME": a.job})
    env.update(sets)  # the predefined CI_* variables come from the test
    for k, v in list(doc.get("variables", {}).items()) + list(job.get("variables", {}).items()):
        env[k] = expand(v, env)
    env.update(sets)
    # artifacts of the jobs it needs (or of every earlier stage) are unpacked into the workspace
    stages = doc["stages"]
    needs = [n["job"] if isinstance(n, dict) else n for n in job.get("needs", [])] if "needs" in job else \
        [j for j in gitlab_jobs(doc) if stages.index(gitlab_resolve(doc, j)["stage"]) < stages.index(job["stage"])]
    for n in needs:
        src = os.path.join(state, "gitlab-artifacts", n)
        if os.path.isdir(src):
            shutil.copytree(src, ws, dirs_exist_ok=True, symlinks=True)
    rc = run_script(gitlab_script(job), env, ws, shell=("bash", "--noprofile", "--norc"))
    if rc == 0:
        dest = os.path.join(state, "gitlab-artifacts", a.job)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        for p in job.get("artifacts", {}).get("paths", []):
            for g in glob.glob(os.path.join(ws, expand(p, env))):
                rel = os.path.relpath(g, ws)
                if os.path.isdir(g):
                    shutil.copytree(g, os.path.join(dest, rel), dirs_exist_ok=True, symlinks=True)
                else:
                    os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
                    shutil.copy2(g, os.path.join(dest, rel))
    return rc


# ---------------------------------------------------------------- Kubernetes Jobs

def cmd_k8s_jobs(a):
    for d in load_all(a.file):
        if d.get("kind") == "Job":
            sel = d["spec"]["template"]["spec"].get("nodeSelector", {})
            print("%s\t%s" % (d["metadata"]["name"], sel.get("kubernetes.io/arch", "any")))
    return 0


def cmd_k8s_job(a):
    docs = load_all(a.file)
    job = [d for d in docs if d.get("kind") == "Job" and d["metadata"]["name"] == a.job][0]
    cms = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "ConfigMap"}
    spec = job["spec"]["template"]["spec"]
    c = spec["containers"][0]
    state = os.path.join(os.path.abspath(a.state), "k8s", a.job)
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    os.chmod(state, 0o755)
    mounts = {}
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        v = vols[m["name"]]
        d = os.path.join(state, "vol-" + v["name"])
        os.makedirs(d)
        if "configMap" in v:
            for k, val in cms[v["configMap"]["name"]]["data"].items():
                open(os.path.join(d, k), "w").write(val)
        elif "emptyDir" in v:
            os.chmod(d, 0o777)  # emptyDir: world-writable, as the kubelet makes it
        elif "secret" in v and not v["secret"].get("optional"):
            raise RecipeError("Job %s: secret volume %s is not optional" % (a.job, v["name"]))
        mounts[m["mountPath"]] = d
    env = dict(os.environ)
    sets = overrides(a.set)
    for e in c.get("env", []):
        val = sets.get(e["name"], str(e.get("value", "")))
        for mp, d in mounts.items():  # paths inside the pod -> the directories standing for the volumes
            if val == mp or val.startswith(mp + "/"):
                val = d + val[len(mp):]
        env[e["name"]] = val
    argv = list(c["command"]) + list(c.get("args", []))
    user = c.get("securityContext", {}).get("runAsUser")
    if user:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups", "--"] + argv
    sys.stdout.flush()
    return subprocess.run(argv, env=env, cwd=state).returncode


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    v = sp.add_parser("validate")
    v.add_argument("files", nargs="+")
    m = sp.add_parser("gh-matrix")
    m.add_argument("workflow")
    m.add_argument("job")
    j = sp.add_parser("gh-job")
    j.add_argument("workflow")
    j.add_argument("job")
    j.add_argument("--matrix-index", type=int, default=0)
    for q in (j,):
        q.add_argument("--workspace", required=True)
        q.add_argument("--action-dir", required=True)
        q.add_argument("--ctx", action="append")
    gl = sp.add_parser("gitlab-jobs")
    gl.add_argument("file")
    g = sp.add_parser("gitlab-job")
    g.add_argument("file")
    g.add_argument("job")
    g.add_argument("--workspace", required=True)
    kl = sp.add_parser("k8s-jobs")
    kl.add_argument("file")
    k = sp.add_parser("k8s-job")
    k.add_argument("file")
    k.add_argument("job")
    for q in (j, g, k):
        q.add_argument("--state", required=True)
        q.add_argument("--set", action="append")
    a = p.parse_args()
    try:
        return {"validate": cmd_validate, "gh-matrix": cmd_gh_matrix, "gh-job": cmd_gh_job,
                "gitlab-jobs": cmd_gitlab_jobs, "gitlab-job": cmd_gitlab_job,
                "k8s-jobs": cmd_k8s_jobs, "k8s-job": cmd_k8s_job}[a.cmd](a)
    except RecipeError as e:
        print("ci-runner: %s" % e, file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
