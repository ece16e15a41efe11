#!/usr/bin/env python3
"""Writes base images for the benchmark into an OCI image layout, without xbuild or buildah
(so both builders start from the very same bytes).

  make-image.py LAYOUT NAME ARCH[/VARIANT] ROOTFS.tar [ARCH ROOTFS.tar ...]

One ARCH: LAYOUT gets an image manifest tagged NAME. Several: one image per ARCH plus an OCI
image index tagged NAME. The layer is the given tar, gzip-compressed (level 6, mtime 0). Push
the result with `skopeo copy [--all] oci:LAYOUT:NAME docker://...`.
"""
import gzip
import hashlib
import json
import os
import sys

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def put_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", d)
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)
    return "sha256:" + d, len(data)


def make_image(layout, arch, rootfs):
    arch, _, variant = arch.partition("/")
    with open(rootfs, "rb") as f:
        tar = f.read()
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    gz = gzip.compress(tar, compresslevel=6, mtime=0)
    ldig, lsize = put_blob(layout, gz)
    config = {
        "architecture": arch,
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "bench/make-image.py " + os.path.basename(rootfs)}],
    }
    if variant:
        config["variant"] = variant
    cdig, csize = put_blob(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": cdig, "size": csize},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": ldig, "size": lsize}],
    }
    mdig, msize = put_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    plat = {"architecture": arch, "os": "linux"}
    if variant:
        plat["variant"] = variant
    return {"mediaType": OCI_MANIFEST, "digest": mdig, "size": msize, "platform": plat}


def main(argv):
    if len(argv) < 5 or len(argv) % 2 != 1:
        sys.exit(__doc__)
    layout, name = argv[1], argv[2]
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    pairs = list(zip(argv[3::2], argv[4::2]))
    descs = [make_image(layout, a, r) for a, r in pairs]
    if len(descs) == 1:
        top = dict(descs[0])
    else:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs}
        d, n = put_blob(layout, json.dumps(index, sort_keys=True).encode())
        top = {"mediaType": OCI_INDEX, "digest": d, "size": n}
    top.pop("platform", None)
    top["annotations"] = {"org.opencontainers.image.ref.name": name}
    ipath = os.path.join(layout, "index.json")
    idx = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(ipath):
        with open(ipath) as f:
            idx = json.load(f)
    idx["manifests"] = [m for m in idx.get("manifests", [])
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != name]
    idx["manifests"].append(top)
    with open(ipath, "w") as f:
        json.dump(idx, f)
    print(top["digest"])


if __name__ == "__main__":
    main(sys.argv)
