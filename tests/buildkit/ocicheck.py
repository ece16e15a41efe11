#!/usr/bin/env python3
"""testExportMultiPlatform's assertions on an OCI layout holding one multi-platform image.

usage: ocicheck.py DIR 'PLATFORM ARCH OS'...  (the index's entries, in order; each image has
one layer with whoami = "i am ARCH" and the label target=PLATFORM)
"""
import io, json, sys, tarfile

root, want = sys.argv[1], [w.split() for w in sys.argv[2:]]


def blob(d):
    return open("%s/blobs/sha256/%s" % (root, d["digest"].split(":", 1)[1]), "rb").read()


idx = json.loads(open(root + "/index.json").read())
lst = json.loads(blob(idx["manifests"][0]))
bad = []
if len(lst.get("manifests", [])) != len(want):
    sys.exit("index has %d manifests, want %d" % (len(lst.get("manifests", [])), len(want)))
for d, (plat, arch, os_) in zip(lst["manifests"], want):
    p = d.get("platform", {})
    got = "/".join([p.get("os", ""), p.get("architecture", "")] + ([p["variant"]] if p.get("variant") else []))
    if got != plat:
        bad.append("entry %s, want %s" % (got, plat))
    m = json.loads(blob(d))
    if len(m["layers"]) != 1:
        bad.append("%s: %d layers, want 1" % (plat, len(m["layers"])))
        continue
    with tarfile.open(fileobj=io.BytesIO(blob(m["layers"][0]))) as t:
        f = t.extractfile(t.getmember("whoami")).read().decode()
    if f != "i am " + arch:
        bad.append("%s: whoami %r" % (plat, f))
    c = json.loads(blob(m["config"]))
    if c.get("os") != os_ or c.get("architecture") != arch:
        bad.append("%s: config os/architecture %s/%s" % (plat, c.get("os"), c.get("architecture")))
    if c.get("config", {}).get("Labels", {}).get("target") != plat:
        bad.append("%s: label target=%r" % (plat, c.get("config", {}).get("Labels", {}).get("target")))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
