#!/usr/bin/env python3
"""Runs a command as UID:GID where no user namespace can be created, without touching the
host's settings: a child user namespace is created (ids 0..65535 mapped to themselves), its
own user.max_user_namespaces is set to 0 (the limit is per user namespace and binds every
namespace below it), then the command runs as UID:GID inside.
    no-userns.py UID GID COMMAND [ARGS...]      (run as root)"""
import ctypes, os, sys

CLONE_NEWUSER = 0x10000000
uid, gid, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
libc = ctypes.CDLL(None, use_errno=True)
go_r, go_w = os.pipe()
ready_r, ready_w = os.pipe()
pid = os.fork()
if pid == 0:
    if libc.unshare(CLONE_NEWUSER) != 0:
        sys.exit("unshare: " + os.strerror(ctypes.get_errno()))
    os.write(ready_w, b"x")
    os.read(go_r, 1)
    # no exec between unshare and this write: the namespace's full capability set applies
    with open("/proc/sys/user/max_user_namespaces", "w") as f:
        f.write("0")
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    os.execvp(argv[0], argv)
os.read(ready_r, 1)
for m in ("uid_map", "gid_map"):
    with open("/proc/%d/%s" % (pid, m), "w") as f:
        f.write("0 0 65536\n")
os.write(go_w, b"x")
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st))
