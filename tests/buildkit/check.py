#!/usr/bin/env python3
"""Checks one tests/buildkit case against the image xbuild built.

usage: check.py STORE TAG CASEFILE BUILDLOG RC [FIRST_TAG [FIRST_STORE]]
       check.py --batch FILE...   (each FILE holds those arguments, one a line; the result of
                                   each goes to FILE's name with .result instead of .args)

Reads the image straight from the OCI layout in STORE (index.json -> manifest -> config and
layers), merges the layers in memory (whiteouts and opaque dirs applied) and checks every
expectation line of CASEFILE (format: tests/buildkit/README.md). Prints one '# ...' diagnostic
line per failed expectation; exit 0 when all hold, 1 otherwise. --batch checks many cases in
one process (the runner's way: one interpreter start instead of one per case); a .result file
is "ok" or the diagnostic lines.
"""
import codecs, datetime, hashlib, re, json, shlex, sys, tarfile, posixpath

store = tag = casefile = buildlog = first_tag = first_store = None
rc = 0
problems = []


def setup(argv):
    """the globals of one check from its arguments"""
    global store, tag, casefile, buildlog, rc, first_tag, first_store
    store, tag, casefile, buildlog, rc = argv[0:5]
    first_tag = argv[5] if len(argv) > 5 else None
    first_store = argv[6] if len(argv) > 6 else store  # `fresh-store`: another store
    rc = int(rc)
    del problems[:]


def load_case(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            out.append((n, shlex.split(s, comments=False)))
    return out


def blob(digest, root=None):
    return open((root or store) + "/blobs/sha256/" + digest.split(":", 1)[1], "rb")


def manifest_digest(tag, root=None):
    idx = json.load(open((root or store) + "/index.json"))
    name = tag if ":" in tag.split("/")[-1] else tag + ":latest"
    for d in idx["manifests"]:
        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == name:
            return d["digest"]
    return None


def plat_of(d):
    p = d.get("platform", {})
    v = [p["variant"]] if p.get("variant") else []
    return "/".join([p.get("os", ""), p.get("architecture", "")] + v)


def image(tag, root=None, platform=None):
    """(manifest, config) of tag; from an index the entry of platform (default: the first)"""
    idx = json.load(open((root or store) + "/index.json"))
    name = tag if ":" in tag.split("/")[-1] else tag + ":latest"
    for d in idx["manifests"]:
        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == name:
            m = json.load(blob(d["digest"], root))
            if "manifests" in m:
                ents = [e for e in m["manifests"] if platform in (None, plat_of(e))]
                if not ents:
                    raise SystemExit("#   %s: no %s image in its index (%s)" % (
                        name, platform, " ".join(plat_of(e) for e in m["manifests"])))
                m = json.load(blob(ents[0]["digest"], root))
            return m, json.load(blob(m["config"]["digest"], root))
    raise SystemExit("# image %s not in the store" % name)


def norm(p):
    p = posixpath.normpath("/" + p.lstrip("./") if not p.startswith("/") else p)
    return "/" if p in ("/", "//", "/.") else p.rstrip("/")


def merge(manifest, root=None):
    fs = {}  # path -> dict(type, mode, uid, gid, data, target)
    for layer in manifest["layers"]:
        with blob(layer["digest"], root) as f, tarfile.open(fileobj=f, mode="r:*") as t:
            members = t.getmembers()
            for m in members:  # opaque markers first: they hide the lower layers only
                base = posixpath.basename(m.name)
                if base == ".wh..wh..opq":
                    d = norm(posixpath.dirname(m.name))
                    for k in [k for k in fs if k.startswith(d.rstrip("/") + "/")]:
                        del fs[k]
            for m in members:
                base = posixpath.basename(m.name)
                if base == ".wh..wh..opq":
                    continue
                if base.startswith(".wh."):
                    gone = norm(posixpath.join(posixpath.dirname(m.name), base[4:]))
                    for k in [k for k in fs if k == gone or k.startswith(gone + "/")]:
                        del fs[k]
                    continue
                p = norm(m.name)
                e = {"mode": m.mode & 0o7777, "uid": m.uid, "gid": m.gid, "target": None, "data": None}
                if m.isdir():
                    e["type"] = "d"
                elif m.issym():
                    e["type"], e["target"] = "l", m.linkname
                elif m.islnk():
                    src = fs.get(norm(m.linkname))
                    e["type"] = "f"
                    e["data"] = src["data"] if src else None
                    e["hardlink"] = norm(m.linkname)
                elif m.ischr() or m.isblk():
                    e["type"] = "c" if m.ischr() else "b"
                elif m.isfifo():
                    e["type"] = "p"
                else:
                    e["type"] = "f"
                    e["data"] = t.extractfile(m).read()
                if e["type"] != "d" and fs.get(p, {}).get("type") == "d":
                    for k in [k for k in fs if k.startswith(p + "/")]:
                        del fs[k]
                fs[p] = e
    return fs


def ts(rfc3339):
    """seconds since the epoch of an RFC 3339 time (fractions kept)"""

    s = rfc3339.replace("Z", "+00:00")
    frac = ""
    if "." in s:
        head, rest = s.split(".", 1)
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        frac, s = rest[:i], head + rest[i:]
    t = datetime.datetime.fromisoformat(s).timestamp()
    return t + (float("0." + frac) if frac else 0.0)


def unescape(s):
    return codecs.escape_decode(s.encode("utf-8"))[0]


def jpath(cfg, key):
    """Env, Labels.foo: below the config's "config"; /history.0.created_by: from its root"""
    cur = cfg if key.startswith("/") else cfg.get("config", {})
    for part in key.lstrip("/").split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit() and -len(cur) <= int(part) < len(cur):
            cur = cur[int(part)]
        elif part == "#" and isinstance(cur, (list, dict)):
            cur = len(cur)
        else:
            return None
    return cur


def check_file(fs, args, absent=False):
    path = norm(args[0])
    e = fs.get(path)
    if absent:
        if e is not None:
            problems.append("%s: should not exist (is type %s)" % (path, e["type"]))
        return
    if e is None:
        near = sorted(k for k in fs if k.startswith(posixpath.dirname(path).rstrip("/") + "/"))[:12]
        problems.append("%s: missing (beside it: %s)" % (path, " ".join(near) or "nothing"))
        return
    for kv in args[1:]:
        k, _, v = kv.partition("=")
        if k == "content":
            want = unescape(v)
            if e["data"] != want:
                problems.append("%s: content %r, want %r" % (path, e["data"], want))
        elif k == "contains":
            if e["data"] is None or unescape(v) not in e["data"]:
                problems.append("%s: content %r does not contain %r" % (path, e["data"], unescape(v)))
        elif k == "lacks":
            if e["data"] is None or unescape(v) in e["data"]:
                problems.append("%s: content %r contains %r" % (path, e["data"], unescape(v)))
        elif k == "sha256":
            got = hashlib.sha256(e["data"] or b"").hexdigest()
            if got != v:
                problems.append("%s: sha256 %s, want %s" % (path, got, v))
        elif k == "mode":
            if e["mode"] != int(v, 8):
                problems.append("%s: mode %04o, want %s" % (path, e["mode"], v))
        elif k == "owner":
            got = "%d:%d" % (e["uid"], e["gid"])
            if got != v:
                problems.append("%s: owner %s, want %s" % (path, got, v))
        elif k == "type":
            if e["type"] != v:
                problems.append("%s: type %s, want %s" % (path, e["type"], v))
        elif k == "target":
            if e["target"] != v:
                problems.append("%s: symlink target %r, want %r" % (path, e["target"], v))
        else:
            problems.append("line for %s: unknown key %s" % (path, k))


def main():
    case = load_case(casefile)
    log = open(buildlog, encoding="utf-8", errors="replace").read()
    errors = [a[1] for _, a in case if a[0] == "error"]
    if errors:
        if rc == 0:
            problems.append("the build succeeded; expected it to fail with %r" % errors[0])
        for want in errors:
            if want not in log:
                problems.append("the build's error does not contain %r" % want)
        if problems:
            tail = log.strip().splitlines()[-6:]
            problems.extend("  | " + l for l in tail)
        return
    if rc != 0:
        problems.append("the build failed (exit %d):" % rc)
        problems.extend("  | " + l for l in log.strip().splitlines()[-12:])
        return
    for n, a in case:
        if a[0] == "log" and a[1] not in log:
            problems.append("the build output does not contain %r" % a[1])
    need_fs = any(a[0] in ("file", "absent", "only", "same", "differs") for _, a in case)
    need_img = need_fs or any(a[0] == "config" for _, a in case)
    if not need_img:
        return
    # `platform OS/ARCH[/VARIANT]`: the checks are on that image of an index (default: the first)
    plat = ([a[1] for _, a in case if a[0] == "platform"] or [None])[0]
    manifest, cfg = image(tag, platform=plat)
    first = merge(image(first_tag, first_store, plat)[0], first_store) if first_tag else {}
    fs = merge(manifest) if need_fs else {}
    for n, a in case:
        op = a[0]
        if op == "file":
            check_file(fs, a[1:])
        elif op == "absent":
            check_file(fs, a[1:], absent=True)
        elif op == "only":  # the exact list of paths below a dir (or the whole image)
            d = norm(a[1])
            pre = "/" if d == "/" else d + "/"
            got = sorted(k[len(pre):] for k in fs if k.startswith(pre) and k != d)
            want = sorted(a[2:])
            if got != want:
                problems.append("paths under %s: %s, want %s" % (d, " ".join(got), " ".join(want)))
        elif op == "config":
            key, how, val = a[1], a[2], json.loads(a[3]) if len(a) > 3 else None
            got = jpath(cfg, key)
            if how == "=" and got != val:
                problems.append("config %s: %s, want %s" % (key, json.dumps(got), json.dumps(val)))
            elif how == "contains" and (not isinstance(got, str) or val not in got):
                problems.append("config %s: %s does not contain %s" % (key, json.dumps(got), json.dumps(val)))
            elif how == "has" and (got is None or val not in got):
                problems.append("config %s: %s does not hold %s" % (key, json.dumps(got), json.dumps(val)))
            elif how == "lacks" and got is not None and val in got:
                problems.append("config %s: %s holds %s" % (key, json.dumps(got), json.dumps(val)))
            elif how == "unset" and got not in (None, [], {}, ""):
                problems.append("config %s: %s, want unset" % (key, json.dumps(got)))
        elif op in ("same", "differs"):  # the file in the first build (before `mutate`)
            p = norm(a[1])
            x, y = first.get(p, {}).get("data"), fs.get(p, {}).get("data")
            if x is None or y is None:
                problems.append("%s: missing in one of the builds" % p)
            elif (x == y) != (op == "same"):
                problems.append("%s: %r then %r; want them %s" % (p, x, y, op))
        elif op == "same-image":  # both builds gave the same image digest
            a1, a2 = manifest_digest(first_tag, first_store), manifest_digest(tag)
            if a1 != a2:
                problems.append("first build %s, second %s: want the same image" % (a1, a2))
        elif op == "created-after":  # created later than IMAGE's, by less than SECONDS
            base = jpath(image(re.sub(r"@(base\d*)@", tag + r"-\1", a[1]))[1], "/created")
            got = jpath(cfg, "/created")
            d = ts(got) - ts(base) if got and base else None
            if d is None or not 0 < d < float(a[2]):
                problems.append("created %s, %s's %s: want it later by less than %ss" % (got, a[1], base, a[2]))
        elif op in ("upstream", "bud", "bud2", "error", "log", "mutate", "todo", "prepare",
                    "check-sh", "fresh-store", "platform"):
            pass
        else:
            problems.append("%s:%d: unknown expectation %r" % (casefile, n, op))


def check(argv):
    """the diagnostic lines of one check (empty: it holds)"""
    setup(argv)
    try:
        main()
    except SystemExit as e:  # an image missing from the store
        problems.append(str(e.code).lstrip("# "))
    except Exception as e:  # a bad case line or a broken image: a failure, not a crash
        problems.append("checker error: %s: %s" % (type(e).__name__, e))
    return ["#   " + p for p in problems]


if sys.argv[1:2] == ["--batch"]:
    for f in sys.argv[2:]:
        args = open(f, encoding="utf-8").read().split("\n")[:-1]
        out = check(args)
        with open(f[: -len(".args")] + ".result", "w", encoding="utf-8") as r:
            r.write("\n".join(out) + "\n" if out else "ok\n")
else:
    out = check(sys.argv[1:])
    for p in out:
        print(p)
    sys.exit(1 if out else 0)
