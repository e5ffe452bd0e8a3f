package dev.robojail.sandbox;

import dev.robojail.ffm.Syscalls;

/** The Linux namespaces a sandbox can have of its own. */
public enum Namespace {
  /** Its own user ids; needed for everything else without privileges. Always on. */
  USER(Syscalls.CLONE_NEWUSER),
  /** Its own mount table: the root filesystem the spec builds. Always on. */
  MOUNT(Syscalls.CLONE_NEWNS),
  /** Its own process ids: the command is PID 1 and sees only the sandbox's processes. */
  PID(Syscalls.CLONE_NEWPID),
  /** Its own System V IPC and POSIX message queues. */
  IPC(Syscalls.CLONE_NEWIPC),
  /** Its own hostname. */
  UTS(Syscalls.CLONE_NEWUTS),
  /** Its own network stack with only a loopback interface: no network. */
  NET(Syscalls.CLONE_NEWNET),
  /** Its own view of the cgroup tree. */
  CGROUP(Syscalls.CLONE_NEWCGROUP);

  private final long cloneFlag;

  Namespace(long cloneFlag) {
    this.cloneFlag = cloneFlag;
  }

  long cloneFlag() {
    return cloneFlag;
  }
}
