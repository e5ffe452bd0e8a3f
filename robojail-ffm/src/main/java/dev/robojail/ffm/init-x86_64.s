# robojail-init, x86-64 Linux: the PID 1 of a sandbox's PID namespace.
#
#   robojail-init CANDIDATE... -- ARGV0 ARG...
#
# A complete static ELF executable, header included, so that `objcopy -O binary` of the
# assembled object is the file itself. No libc, no dynamic loader, no writable segment:
# the few bytes of scratch memory live on the stack.
#
# The command is run as a child (not exec'd in place) because PID 1 of a PID namespace
# is special: the kernel does not deliver signals to it that it has no handler for, so a
# command that is PID 1 ignores SIGTERM and SIGINT, and orphans are re-parented to it, so
# a command that does not wait for them leaves zombies. This program:
#   0. makes itself non-dumpable, so that the command (same uid) cannot open /proc/1/mem
#      or take its descriptors: the kernel then asks for CAP_SYS_PTRACE. Dumpable is reset
#      at every execve of a readable, non-setuid file, so the command exec'd below is
#      dumpable again (core dumps and debuggers inside behave as usual);
#   1. blocks the signals it passes on, and SIGCHLD, and reads them from a signalfd;
#   2. forks; the child, when the init leads its session (the sandbox called setsid), gets
#      a process group of its own and makes it the terminal's foreground group, so that
#      Ctrl-C on the sandbox's terminal reaches the command and not the init (the tty
#      ioctl fails harmlessly when stdin is no terminal; SIGTTOU is still blocked, so a
#      background group may make the call). When the init does not lead its session it
#      shares the caller's session and terminal: the child then stays in the init's group,
#      since taking the host terminal's foreground or putting the command in a background
#      group of it (SIGTTIN on read) would break the caller's job control;
#   3. the child restores an empty signal mask and tries execve(CANDIDATE, ARGV, envp) for
#      each candidate path in turn, like execvp along PATH; when none can be exec'd it
#      exits 127;
#   4. the parent loops: a passed-on signal goes to the child's process group (or, when
#      there is no such group, to the child); on SIGCHLD it reaps every child that has
#      ended (orphans included) with wait4(-1, WNOHANG); when the command itself is
#      reaped it exits with its exit code, or 128 + the signal that killed it. Its exit
#      ends the PID namespace: the kernel kills whatever is left in it.
#
# Passed on: SIGHUP SIGINT SIGQUIT SIGUSR1 SIGUSR2 SIGPIPE SIGALRM SIGTERM SIGCONT SIGTSTP
# SIGTTIN SIGTTOU SIGWINCH. Not blocked: SIGKILL and SIGSTOP (cannot be), and the signals
# a fault raises (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT).
#
# Any failure before the fork exits 127.
#
# Assemble and compare with the bytes in X86_64Init.java:
#   as --64 -o init.o init-x86_64.s && objcopy -O binary -j .text init.o init

        .intel_syntax noprefix
        .set    BASE, 0x400000          # load address
        .set    FORWARDED, 0x83b7a07    # bit (n - 1) for signal n: the list above + SIGCHLD
        .set    SFD_CLOEXEC, 0x80000
        .set    TIOCSPGRP, 0x5410
        .set    PR_SET_DUMPABLE, 4
        .text

ehdr:                                   # Elf64_Ehdr
        .byte   0x7f, 'E', 'L', 'F'
        .byte   2, 1, 1, 0              # ELFCLASS64, little endian, version 1, System V ABI
        .quad   0
        .word   2                       # e_type = ET_EXEC
        .word   62                      # e_machine = EM_X86_64
        .long   1                       # e_version
        .quad   BASE + _start - ehdr    # e_entry
        .quad   phdr - ehdr             # e_phoff
        .quad   0                       # e_shoff: no sections
        .long   0                       # e_flags
        .word   64                      # e_ehsize
        .word   56                      # e_phentsize
        .word   2                       # e_phnum
        .word   0, 0, 0                 # e_shentsize, e_shnum, e_shstrndx
phdr:                                   # Elf64_Phdr: the whole file, read + execute
        .long   1                       # p_type = PT_LOAD
        .long   5                       # p_flags = PF_R | PF_X
        .quad   0                       # p_offset
        .quad   BASE                    # p_vaddr
        .quad   BASE                    # p_paddr
        .quad   end - ehdr              # p_filesz
        .quad   end - ehdr              # p_memsz
        .quad   0x1000                  # p_align
                                        # Elf64_Phdr: a stack that is not executable
        .long   0x6474e551              # p_type = PT_GNU_STACK
        .long   6                       # p_flags = PF_R | PF_W
        .quad   0, 0, 0, 0, 0
        .quad   16                      # p_align

mask:   .quad   FORWARDED
empty:  .quad   0

_start:                                 # [rsp] = argc, then argv[], NULL, envp[], NULL
        mov     rbx, rsp                # rbx = &argc
        lea     r13, [rbx + 16]         # find "--" from argv[1]
find:
        mov     rax, [r13]
        test    rax, rax
        jz      fail                    # no "--": nothing to run
        cmp     word ptr [rax], 0x2d2d  # "--"
        jne     1f
        cmp     byte ptr [rax + 2], 0
        je      found
1:      add     r13, 8
        jmp     find
found:                                  # r13 = &argv[k], the "--"
        cmp     qword ptr [r13 + 8], 0
        je      fail                    # no command after it
        sub     rsp, 144                # [rsp]: struct signalfd_siginfo; [rsp+128]: status

        mov     eax, 157                # prctl(PR_SET_DUMPABLE, 0)
        mov     edi, PR_SET_DUMPABLE
        xor     esi, esi
        syscall
        test    rax, rax
        jnz     fail
        mov     eax, 14                 # rt_sigprocmask(SIG_BLOCK, &mask, NULL, 8)
        xor     edi, edi
        lea     rsi, [rip + mask]
        xor     edx, edx
        mov     r10d, 8
        syscall
        test    rax, rax
        jnz     fail
        mov     eax, 289                # signalfd4(-1, &mask, 8, SFD_CLOEXEC)
        mov     edi, -1
        lea     rsi, [rip + mask]
        mov     edx, 8
        mov     r10d, SFD_CLOEXEC
        syscall
        test    rax, rax
        js      fail
        mov     r15, rax                # r15 = signalfd
        mov     eax, 39                 # getpid()
        syscall
        mov     r14, rax
        mov     eax, 124                # getsid(0)
        xor     edi, edi
        syscall
        sub     r14, rax                # r14 = 0: the init leads its session
        mov     eax, 57                 # fork()
        syscall
        test    rax, rax
        js      fail
        jz      child
        mov     r12, rax                # r12 = the command's pid

wait_signal:
        xor     eax, eax                # read(signalfd, &siginfo, 128)
        mov     edi, r15d
        mov     rsi, rsp
        mov     edx, 128
        syscall
        cmp     rax, 128
        je      got_signal
        cmp     rax, -4                 # EINTR
        je      wait_signal
        jmp     fail
got_signal:
        mov     esi, [rsp]              # ssi_signo
        cmp     esi, 17                 # SIGCHLD
        je      reap
        mov     eax, 62                 # kill(-pid, signo): the command's process group
        mov     rdi, r12
        neg     rdi
        syscall
        test    rax, rax
        jz      wait_signal
        mov     eax, 62                 # no such group: kill(pid, signo)
        mov     rdi, r12
        mov     esi, [rsp]
        syscall
        jmp     wait_signal

reap:
        mov     eax, 61                 # wait4(-1, &status, WNOHANG, NULL)
        mov     rdi, -1
        lea     rsi, [rsp + 128]
        mov     edx, 1
        xor     r10d, r10d
        syscall
        test    rax, rax
        jle     wait_signal             # 0: none has ended; -ECHILD: no children left
        cmp     rax, r12
        jne     reap                    # an orphan: reaped, look for more
        mov     eax, [rsp + 128]
        mov     edi, eax
        and     edi, 0x7f               # WTERMSIG
        jz      exited
        add     edi, 128                # killed by a signal: 128 + its number
        jmp     exit
exited:
        shr     eax, 8
        movzx   edi, al                 # WEXITSTATUS
exit:
        mov     eax, 231                # exit_group(code)
        syscall

child:
        test    r14, r14
        jnz     unmask                  # not the session leader: stay in the caller's group
        mov     eax, 109                # setpgid(0, 0)
        xor     edi, edi
        xor     esi, esi
        syscall
        mov     eax, 39                 # getpid(): the new group's id
        syscall
        mov     [rsp + 128], eax
        mov     eax, 16                 # ioctl(0, TIOCSPGRP, &pgid)
        xor     edi, edi
        mov     esi, TIOCSPGRP
        lea     rdx, [rsp + 128]
        syscall
unmask:
        mov     eax, 14                 # rt_sigprocmask(SIG_SETMASK, &empty, NULL, 8)
        mov     edi, 2
        lea     rsi, [rip + empty]
        xor     edx, edx
        mov     r10d, 8
        syscall
        mov     rax, [rbx]
        lea     rbp, [rbx + rax*8 + 16] # rbp = envp = &argv[argc + 1]
        lea     r12, [rbx + 16]         # r12 = &argv[1], the first candidate
try:
        cmp     r12, r13
        jae     fail                    # every candidate failed
        mov     eax, 59                 # execve(candidate, &argv[k + 1], envp)
        mov     rdi, [r12]
        lea     rsi, [r13 + 8]
        mov     rdx, rbp
        syscall
        add     r12, 8                  # returned: it failed, try the next
        jmp     try

fail:
        mov     eax, 231                # exit_group(127)
        mov     edi, 127
        syscall
end:
