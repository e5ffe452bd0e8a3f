package dev.robojail.ffm;

import java.util.HexFormat;

/**
 * The x86-64 setup runner's machine code: the bytes {@code as --64} makes of {@code
 * runner-x86_64.s}, which sits beside this file with a comment on every step. A test reassembles
 * the source and compares, so the two cannot drift apart.
 */
final class X86_64Runner {
  static final String HEX =
      "534154415541564989fcb8b3010000498b3c24498b7424080f054885c07408415e415d415c5bc34d"
          + "8b6c24184531f64d3b7424100f8396000000498b5d48498d4d084883ec3031d2488b04d1480fa3d3"
          + "7303488b00488904d4ffc283fa0672e8488b3c24488b742408488b5424104c8b5424184c8b442420"
          + "4c8b4c24284883c430498b45000f05483d01f0ffff7325480fbae3087306493b45507530498b4d40"
          + "4885c974034889014983c55849ffc6e97bffffff4889c248f7da4883fa407319498b4d38480fa3d1"
          + "72deeb0d31d2eb0948c7c0ffffffff31d24d8974242049895424284989442430b8e7000000bf7f00"
          + "00000f05f4";

  private X86_64Runner() {}

  static byte[] code() {
    return HexFormat.of().parseHex(HEX);
  }
}
