"${PY:-python3}" - <<EOF
import io, tarfile
def mk(name, entries, gz=False):
    with tarfile.open(name, "w:gz" if gz else "w") as t:
        for n, data in entries:
            i = tarfile.TarInfo(n); i.mode = 0o644; i.size = len(data)
            t.addfile(i, io.BytesIO(data))

mk("t.tar", [("foo", b"content0")])
mk("b.tar", [("bar", b"content1")])
EOF
