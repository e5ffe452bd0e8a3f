package dev.robojail.ffm;

import java.util.HexFormat;

/**
 * The batch routine's machine code: the bytes {@code as --64} makes of {@code batch-x86_64.s},
 * which sits beside this file with its comments. A test reassembles the source and compares, so the
 * two cannot drift apart.
 */
final class X86_64Batch {
  static final String HEX =
      "53415441554989fc4989f54883ec304d85ed7456498b5c243831d2498b44d408480fa3d37308488b00"
          + "4885c0782e488904d4ffc283fa0672e2488b3c24488b742408488b5424104c8b5424184c8b442420"
          + "4c8b4c2428498b04240f0549894424404983c44849ffcdeba54883c43031c0415d415c5bc3";

  private X86_64Batch() {}

  static byte[] code() {
    return HexFormat.of().parseHex(HEX);
  }
}
