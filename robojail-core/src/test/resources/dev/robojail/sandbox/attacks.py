# Run inside a sandbox by SandboxTest: each line tries one attack with a raw system call and
# prints "<name> <errno>" (0 means the call succeeded). The test decides what must fail.
import ctypes

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
char = ctypes.create_string_buffer(b"x")
ptr = ctypes.cast(char, ctypes.c_void_p).value


def attempt(name, nr, *args):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    print(name, 0 if r >= 0 else ctypes.get_errno(), flush=True)


attempt("ptrace_traceme", 101, 0, 0, 0, 0)
attempt("tiocsti", 16, 0, 0x5412, ptr)
attempt("tiocsti_high_bits", 16, 0, -0xFFFFABEE, ptr)  # 0xffffffff00005412 as a signed long
attempt("tioclinux", 16, 0, 0x541C, ptr)
attempt("unshare_user", 272, 0x10000000)
attempt("clone3", 435, 0, 0)
attempt("bpf", 321, 0, 0, 0)
attempt("perf_event_open", 298, 0, 0, -1, -1, 0)
attempt("userfaultfd", 323, 0)
attempt("io_uring_setup", 425, 1, 0)
attempt("keyctl", 250, 0, 0, 0, 0, 0)
attempt("process_vm_readv", 310, 1, 0, 0, 0, 0, 0)
attempt("open_by_handle_at", 304, -100, 0, 0)
attempt("mount", 165, 0, ptr, 0, 0, 0)
attempt("umount2", 166, ptr, 2)
attempt("socket_inet", 41, 2, 1, 0)
attempt("socket_unix", 41, 1, 1, 0)
attempt("socket_packet", 41, 17, 3, 0)
attempt("socket_vsock", 41, 40, 1, 0)
