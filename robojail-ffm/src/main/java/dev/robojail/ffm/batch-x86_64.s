# robojail batch of system calls, x86-64 Linux.
#
# long rj_batch(struct call *calls, long count)    (System V ABI: calls in %rdi, count in %rsi)
#
# Called from Java through the one FFM downcall shape robojail links. It makes `count` system
# calls, one after the other, in the calling thread, and stores each one's raw result (-errno on
# failure) in its record; a failure does not stop the batch. A walk that makes a call per
# directory entry then crosses from Java into native code once per batch, not once per call: in
# cold code, the crossing (the linker's method-handle chain) costs several times the kernel's own
# work for a stat or an open.
#
# struct call {                     72 bytes
#     u64 nr;                       0   syscall number
#     u64 arg[6];                   8   rdi rsi rdx r10 r8 r9
#     u64 flags;                    56  bit i (0-5): arg i is the address of the value to use,
#                                       such as an earlier call's result; a negative value there
#                                       (that call's -errno) skips this call, and the value is its
#                                       result, so a call on a descriptor that failed to open is
#                                       never made on another one
#     s64 result;                   64
# };
#
# Returns 0. The caller's callee-saved registers are kept; the syscall instruction clobbers
# rcx and r11, which the caller does not expect to keep.
#
# Assemble and compare with the bytes in X86_64Batch.java:
#   as --64 -o batch.o batch-x86_64.s && objcopy -O binary -j .text batch.o batch.bin

        .intel_syntax noprefix
        .text
        .globl rj_batch
rj_batch:
        push    rbx
        push    r12
        push    r13
        mov     r12, rdi                # r12 = current call
        mov     r13, rsi                # r13 = calls left
        sub     rsp, 48                 # six resolved arguments
next:
        test    r13, r13
        jz      done
        mov     rbx, [r12 + 56]         # rbx = flags
        xor     edx, edx                # rdx = arg index
resolve:
        mov     rax, [r12 + 8 + rdx*8]
        bt      rbx, rdx
        jnc     1f
        mov     rax, [rax]              # indirect: the value lives at that address
        test    rax, rax
        js      store                   # an earlier failure: this call is not made
1:      mov     [rsp + rdx*8], rax
        inc     edx
        cmp     edx, 6
        jb      resolve
        mov     rdi, [rsp]
        mov     rsi, [rsp + 8]
        mov     rdx, [rsp + 16]
        mov     r10, [rsp + 24]
        mov     r8,  [rsp + 32]
        mov     r9,  [rsp + 40]
        mov     rax, [r12]
        syscall
store:
        mov     [r12 + 64], rax
        add     r12, 72
        dec     r13
        jmp     next
done:
        add     rsp, 48
        xor     eax, eax
        pop     r13
        pop     r12
        pop     rbx
        ret
