# Run inside a sandbox by KernelSurfaceTest. /work is a bind of a host directory whose file
# "secret" is covered; /ro is a read-only bind. Each line tries to see under the cover or to
# write through the read-only bind by cloning the mount (open_tree_attr, which needs no mount
# call), also from a nested user and mount namespace where the sandbox allows one, and prints
# "<name> <errno>" (0: the call succeeded). The test decides what must fail.
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
AT_FDCWD = -100
OPEN_TREE_CLONE, AT_RECURSIVE = 1, 0x8000
MOUNT_ATTR_RDONLY = 1
MS_BIND, MNT_DETACH = 4096, 2
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x20000


def attempt(name, nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[a if isinstance(a, bytes) else ctypes.c_long(a) for a in args])
    print(name, 0 if r >= 0 else ctypes.get_errno(), flush=True)
    return r


def clone_tree(name, path, flags, attr_clr):
    attr = (ctypes.c_uint64 * 4)(0, attr_clr, 0, 0)
    return attempt(name, 467, AT_FDCWD, path, OPEN_TREE_CLONE | flags,
                   ctypes.cast(attr, ctypes.c_void_p).value, 32)


def read_secret(name, tree):
    if tree < 0:
        return
    try:
        fd = os.open("secret", os.O_RDONLY, dir_fd=tree)
        print(name, 0 if os.read(fd, 64) else 61, flush=True)  # 61 ENODATA: the empty cover
    except OSError as e:
        print(name, e.errno, flush=True)


def write_through(name, tree):
    if tree < 0:
        return
    try:
        os.close(os.open("planted", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=tree))
        print(name, 0, flush=True)
    except OSError as e:
        print(name, e.errno, flush=True)


def attacks(prefix):
    read_secret(prefix + "secret_through_clone", clone_tree(prefix + "clone", b"/work", 0, 0))
    write_through(prefix + "write_through_clone",
                  clone_tree(prefix + "clone_rw", b"/ro", AT_RECURSIVE, MOUNT_ATTR_RDONLY))
    attempt(prefix + "umount_cover", 166, b"/work/secret", MNT_DETACH)
    attempt(prefix + "mount_bind", 165, b"/work", b"/ro", 0, MS_BIND, 0)


attacks("")
with open("/work/secret", "rb") as f:
    print("secret_direct", 0 if f.read(64) else 61, flush=True)
uid, gid = os.getuid(), os.getgid()
if attempt("nested_unshare", 272, CLONE_NEWUSER | CLONE_NEWNS) >= 0:
    # Mapping uid 0 of the sandbox takes CAP_SETFCAP there; unmapped, the process still holds
    # every capability over the new namespaces, which is what the attacks need.
    try:
        for name, line in (("setgroups", "deny"), ("uid_map", "0 %d 1" % uid),
                           ("gid_map", "0 %d 1" % gid)):
            with open("/proc/self/" + name, "w") as f:
                f.write(line)
        print("nested_map", 0, flush=True)
    except OSError as e:
        print("nested_map", e.errno, flush=True)
    attacks("nested_")
