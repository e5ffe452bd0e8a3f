# robojail raw system call, x86-64 Linux.
#
# long rj_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
#
# Called from Java through the one FFM downcall shape robojail links (seven longs in, one out).
# It returns the kernel's result as the kernel gives it: -errno on failure, so no errno has to be
# captured from the C library after the call (the linker option for that made the JVM spin more
# method handles at start-up than anything else robojail links).
#
# System V passes nr, a0..a4 in rdi rsi rdx rcx r8 r9 and a5 on the stack above the return
# address; the kernel wants nr in rax and the arguments in rdi rsi rdx r10 r8 r9. The syscall
# instruction clobbers rcx and r11, which the caller does not expect to keep.
#
# Assemble and compare with the bytes in X86_64Syscall.java:
#   as --64 -o syscall.o syscall-x86_64.s && objcopy -O binary -j .text syscall.o syscall.bin

        .intel_syntax noprefix
        .text
        .globl rj_syscall
rj_syscall:
        mov     rax, rdi
        mov     rdi, rsi
        mov     rsi, rdx
        mov     rdx, rcx
        mov     r10, r8
        mov     r8, r9
        mov     r9, [rsp + 8]
        syscall
        ret
