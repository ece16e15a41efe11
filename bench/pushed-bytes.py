#!/usr/bin/env python3
"""Bytes a push of REPO:TAG had to upload to the registry, base image excluded:

  pushed-bytes.py REGISTRY REPO TAG BASE_REPO BASE_TAG

Sums the manifest(s), configs and layers reachable from REPO:TAG (through an index, every child)
whose digests the base image (every child, too) does not reference. Plain HTTP (loopback)."""
import json
import sys
import urllib.request

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def get(reg, repo, ref):
    req = urllib.request.Request("http://%s/v2/%s/manifests/%s" % (reg, repo, ref),
                                 headers={"Accept": ACCEPT})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def walk(reg, repo, ref, out):
    """Adds digest -> size of every manifest/blob reachable from ref; returns top size."""
    raw = get(reg, repo, ref)
    m = json.loads(raw)
    if "manifests" in m:
        for c in m["manifests"]:
            out[c["digest"]] = c["size"]
            walk(reg, repo, c["digest"], out)
    else:
        if "config" in m:
            out[m["config"]["digest"]] = m["config"]["size"]
        for l in m.get("layers", []):
            out[l["digest"]] = l["size"]
    return len(raw)


def main():
    reg, repo, tag, brepo, btag = sys.argv[1:6]
    mine, base = {}, {}
    top = walk(reg, repo, tag, mine)
    walk(reg, brepo, btag, base)
    print(top + sum(s for d, s in mine.items() if d not in base))


if __name__ == "__main__":
    main()
