"${PY:-python3}" - <<'PY'
import io, tarfile
def d(t, n):
    i = tarfile.TarInfo(n); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
with tarfile.open("rootfs.tar", "w") as t:
    d(t, "run/"); d(t, "var/")
    i = tarfile.TarInfo("var/run"); i.type = tarfile.SYMTYPE; i.linkname = "/run"; i.mode = 0o777; t.addfile(i)
with tarfile.open("payload.tar", "w") as t:
    for n in ("var/run/act/", "var/run/act/actions/", "var/run/act/actions/broad/", "var/run/act/actions/broad/.git/"):
        d(t, n)
    data = b"ref: refs/heads/main\n"
    i = tarfile.TarInfo("var/run/act/actions/broad/.git/HEAD"); i.size = len(data); i.mode = 0o644
    t.addfile(i, io.BytesIO(data))
    i = tarfile.TarInfo("var/run/act/actions/broad/.git/HEAD.link"); i.type = tarfile.LNKTYPE
    i.linkname = "var/run/act/actions/broad/.git/HEAD"; i.mode = 0o644; t.addfile(i)
PY
