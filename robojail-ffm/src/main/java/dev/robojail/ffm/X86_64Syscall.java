package dev.robojail.ffm;

import java.util.HexFormat;

/**
 * The raw system call routine's machine code: the bytes {@code as --64} makes of {@code
 * syscall-x86_64.s}, which sits beside this file with its comments. A test reassembles the source
 * and compares, so the two cannot drift apart.
 */
final class X86_64Syscall {
  static final String HEX = "4889f84889f74889d64889ca4d89c24d89c84c8b4c24080f05c3";

  private X86_64Syscall() {}

  static byte[] code() {
    return HexFormat.of().parseHex(HEX);
  }
}
