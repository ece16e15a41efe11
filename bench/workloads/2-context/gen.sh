#!/bin/sh
# Context of workload 2 (deterministic): 4000 small text files in 40 directories (~20 MB),
# 64 MiB of incompressible bytes (seeded PRNG), a 64 MiB text file.
set -eu
ctx=$1
mkdir -p "$ctx"
python3 - "$ctx" <<'PY'
import os, random, sys
ctx = sys.argv[1]
rnd = random.Random(20261126)
words = ["int", "return", "static", "const", "char", "void", "struct", "if", "else", "for",
         "while", "size_t", "buffer", "error", "value", "index", "count", "result", "data"]
for d in range(40):
    dd = os.path.join(ctx, "src", "mod%02d" % d)
    os.makedirs(dd, exist_ok=True)
    for f in range(100):
        n = rnd.randint(1000, 9000)
        text = []
        size = 0
        while size < n:
            line = " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12))) + ";\n"
            text.append(line)
            size += len(line)
        with open(os.path.join(dd, "f%03d.c" % f), "w") as fh:
            fh.write("".join(text))
with open(os.path.join(ctx, "blob.bin"), "wb") as fh:
    for _ in range(64):
        fh.write(rnd.randbytes(1 << 20))
with open(os.path.join(ctx, "log.txt"), "w") as fh:
    size = 0
    i = 0
    while size < (64 << 20):
        line = "2026-11-26T12:%02d:%02d level=%s req=%08x path=/api/v1/%s status=%d took=%dms\n" % (
            (i // 60) % 60, i % 60, rnd.choice(["info", "warn", "debug"]), rnd.getrandbits(32),
            rnd.choice(words), rnd.choice([200, 200, 200, 404, 500]), rnd.randint(1, 900))
        fh.write(line)
        size += len(line)
        i += 1
PY
