# robojail setup runner, x86-64 Linux.
#
# long rj_run(struct program *p)    (System V ABI: p in %rdi, result in %rax)
#
# Called from Java through an FFM downcall. It calls clone3 with CLONE_VM, so the child
# shares the JVM's memory but runs on its own stack and executes only the instructions
# below: no Java, no libc, no JVM state. The parent returns the child's pid (or -errno
# from clone3) to Java at once.
#
# The child walks an array of steps, one raw syscall each, and ends with execve (the last
# step). On a failure it is not told to tolerate, it records (step, errno, raw result) in
# the program header, which the parent can read because the memory is shared, and calls
# exit_group(127).
#
# struct program {                  offset
#     u64 clone_args;               0   pointer to struct clone_args
#     u64 clone_args_size;          8
#     u64 step_count;               16
#     u64 steps;                    24  pointer to step[step_count]
#     s64 failed_step;              32  -1 until a step fails
#     s64 failed_errno;             40  errno, or 0 when the result was unexpected
#     s64 failed_result;            48  raw %rax of the failed step
# };
# struct step {                     88 bytes
#     u64 nr;                       0   syscall number
#     u64 arg[6];                   8   rdi rsi rdx r10 r8 r9
#     u64 tolerated;                56  bit e set: errno e (< 64) is not a failure
#     u64 result_to;                64  if non-zero: store the result at this address
#     u64 flags;                    72  bits 0-5: arg i is the address of the value to use
#                                       bit 8: the result must equal `expected`
#     u64 expected;                 80
# };
#
# Assemble and compare with the bytes in X86_64Runner.java:
#   as --64 -o runner.o runner-x86_64.s && objcopy -O binary -j .text runner.o runner.bin

        .intel_syntax noprefix
        .text
        .globl rj_run
rj_run:
        push    rbx
        push    r12
        push    r13
        push    r14
        mov     r12, rdi                # r12 = program; callee-saved, so the child has it too
        mov     eax, 435                # SYS_clone3
        mov     rdi, [r12]
        mov     rsi, [r12 + 8]
        syscall
        test    rax, rax
        jz      child
        pop     r14                     # parent: pid, or -errno
        pop     r13
        pop     r12
        pop     rbx
        ret

child:                                  # on the new stack; only registers survive
        mov     r13, [r12 + 24]         # r13 = current step
        xor     r14d, r14d              # r14 = step index
next:
        cmp     r14, [r12 + 16]
        jae     ran_out
        mov     rbx, [r13 + 72]         # rbx = flags
        lea     rcx, [r13 + 8]          # rcx = &arg[0]
        sub     rsp, 48                 # six resolved arguments on the stack
        xor     edx, edx                # rdx = arg index
resolve:
        mov     rax, [rcx + rdx*8]
        bt      rbx, rdx
        jnc     1f
        mov     rax, [rax]              # indirect: the value lives at that address
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
        add     rsp, 48
        mov     rax, [r13]
        syscall
        cmp     rax, -4095
        jae     failed                  # -4095..-1: an errno
        bt      rbx, 8
        jnc     store
        cmp     rax, [r13 + 80]
        jne     unexpected
store:
        mov     rcx, [r13 + 64]
        test    rcx, rcx
        jz      advance
        mov     [rcx], rax
advance:
        add     r13, 88
        inc     r14
        jmp     next

failed:
        mov     rdx, rax
        neg     rdx                     # rdx = errno
        cmp     rdx, 64
        jae     record
        mov     rcx, [r13 + 56]
        bt      rcx, rdx
        jc      advance                 # tolerated
        jmp     record
unexpected:
        xor     edx, edx
        jmp     record
ran_out:                                # no step exec'd: report it as an unexpected end
        mov     rax, -1
        xor     edx, edx
record:
        mov     [r12 + 32], r14
        mov     [r12 + 40], rdx
        mov     [r12 + 48], rax
        mov     eax, 231                # SYS_exit_group
        mov     edi, 127
        syscall
        hlt                             # not reached
