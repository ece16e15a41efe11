"${PY:-python3}" - <<EOF
import tarfile
with tarfile.open("t.tar", "w") as t:
    i = tarfile.TarInfo("symlink"); i.type = tarfile.SYMTYPE; i.linkname = "../tmp/symlink-target"; i.mode = 0o755; t.addfile(i)
EOF
