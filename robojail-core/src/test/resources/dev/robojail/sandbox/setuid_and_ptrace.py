# Run inside a sandbox by KernelSurfaceTest, in a writable directory that is a bind of a host
# directory: each line tries to plant a setuid or setgid file, or to reach into PID 1 as ptrace
# would, with a raw system call, and prints "<name> <errno>" (0: the call succeeded). The test
# decides what must fail, and checks on the host that nothing setuid was left behind.
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
AT_FDCWD = -100
O_WRONLY, O_RDWR, O_CREAT, O_DIRECTORY = 0o1, 0o2, 0o100, 0o200000
O_TMPFILE = 0o20000000 | O_DIRECTORY
S_IFREG = 0o100000


def attempt(name, nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[a if isinstance(a, bytes) else ctypes.c_long(a) for a in args])
    print(name, 0 if r >= 0 else ctypes.get_errno(), flush=True)
    return r


open("plain", "w").close()
fd = os.open("plain", os.O_RDONLY)
attempt("chmod_setuid", 90, b"plain", 0o4755)
attempt("chmod_setgid", 90, b"plain", 0o2755)
attempt("fchmod_setuid", 91, fd, 0o4755)
attempt("fchmodat_setuid", 268, AT_FDCWD, b"plain", 0o4755)
attempt("fchmodat2_setuid", 452, AT_FDCWD, b"plain", 0o6755, 0)
attempt("chmod_plain", 90, b"plain", 0o755)
attempt("open_creat_setuid", 2, b"open-made", O_WRONLY | O_CREAT, 0o4755)
attempt("openat_creat_setgid", 257, AT_FDCWD, b"openat-made", O_WRONLY | O_CREAT, 0o2755)
attempt("openat_tmpfile_setuid", 257, AT_FDCWD, b".", O_TMPFILE | O_RDWR, 0o4755)
attempt("creat_setuid", 85, b"creat-made", 0o4755)
attempt("mknod_setuid", 133, b"mknod-made", S_IFREG | 0o4755, 0)
attempt("mknodat_setuid", 259, AT_FDCWD, b"mknodat-made", S_IFREG | 0o4755, 0)
attempt("openat_creat_plain", 257, AT_FDCWD, b"plain-made", O_WRONLY | O_CREAT, 0o644)
attempt("openat2", 437, AT_FDCWD, b"plain", b"\0" * 24, 24)
attempt("mkdir_setgid", 83, b"setgid-dir", 0o2775)

pidfd = attempt("pidfd_open_1", 434, 1, 0)
attempt("pidfd_getfd", 438, pidfd if pidfd >= 0 else 0, 0, 0)
attempt("kcmp", 312, 1, os.getpid(), 0, 0, 0)  # KCMP_FILE of fd 0 in both
attempt("process_madvise", 440, pidfd if pidfd >= 0 else 0, 0, 0, 0, 0)
for name, path, mode in (("mem_1_write", "/proc/1/mem", os.O_RDWR), ("mem_1_read", "/proc/1/mem", os.O_RDONLY),
                         ("mem_self", "/proc/self/mem", os.O_RDONLY)):
    try:
        os.close(os.open(path, mode))
        print(name, 0, flush=True)
    except OSError as e:
        print(name, e.errno, flush=True)
