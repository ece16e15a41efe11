"${PY:-python3}" - <<EOF
import io, tarfile
def mk(name, entries, gz=False):
    with tarfile.open(name, "w:gz" if gz else "w") as t:
        for n, data in entries:
            i = tarfile.TarInfo(n); i.mode = 0o644; i.size = len(data)
            t.addfile(i, io.BytesIO(data))

t = tarfile.open("t.tar.gz", "w:gz")
d = tarfile.TarInfo("etc/dnf/"); d.type = tarfile.DIRTYPE; d.mode = 0o755; t.addfile(d)
i = tarfile.TarInfo("etc/dnf/dnf.conf"); i.size = 8; i.mode = 0o644; t.addfile(i, io.BytesIO(b"content0"))
t.close()
EOF
