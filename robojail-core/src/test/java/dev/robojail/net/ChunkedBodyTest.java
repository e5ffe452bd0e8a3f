package dev.robojail.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Where a chunked request body ends, whatever pieces it comes in, and what is refused. */
class ChunkedBodyTest {
  static LongStream seeds() {
    return LongStream.range(0, 200);
  }

  /** A random well-formed body (chunk extensions, trailers, upper- and lower-case hex). */
  private static byte[] body(Random r) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int chunks = r.nextInt(5);
    for (int i = 0; i < chunks; i++) {
      int n = 1 + r.nextInt(3000);
      String hex = Integer.toHexString(n);
      b.writeBytes(
          ((r.nextBoolean() ? hex.toUpperCase(java.util.Locale.ROOT) : hex)
                  + (r.nextBoolean() ? ";ext=" + i : "")
                  + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      byte[] data = new byte[n];
      r.nextBytes(data); // CR, LF and NUL inside data are data
      b.writeBytes(data);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    b.writeBytes("0\r\n".getBytes(StandardCharsets.US_ASCII));
    if (r.nextBoolean()) {
      b.writeBytes("X-Checksum: abc\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    return b.toByteArray();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void theBodyEndsExactlyWhereItsLastChunkAndTrailersDoInAnyPieces(long seed) {
    Random r = new Random(seed);
    byte[] body = body(r);
    byte[] after = "GET http://refused.test/ HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[body.length + after.length];
    System.arraycopy(body, 0, all, 0, body.length);
    System.arraycopy(after, 0, all, body.length, after.length);
    ChunkedBody c = new ChunkedBody(4096);
    int taken = 0;
    int at = 0;
    while (at < all.length && !c.done()) {
      int len = Math.min(all.length - at, 1 + r.nextInt(r.nextBoolean() ? 3 : 5000));
      int used = c.feed(all, at, len);
      assertTrue(used == len || c.done(), "a short take only at the end");
      taken += used;
      at += len;
    }
    assertTrue(c.done());
    assertEquals(body.length, taken, "the request after the body is not part of it");
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void aBodyCutShortIsNotDone(long seed) {
    Random r = new Random(seed);
    byte[] body = body(r);
    ChunkedBody c = new ChunkedBody(4096);
    assertEquals(body.length - 1, c.feed(body, 0, body.length - 1));
    assertFalse(c.done());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "5\nhello\r\n0\r\n\r\n", // bare LF after the size
        "5\r\nhello\n0\r\n\r\n", // data not ended by CRLF
        "5\r\nhelloX\r\n0\r\n\r\n", // more data than the size
        "\r\nhello\r\n0\r\n\r\n", // no size
        "-5\r\nhello\r\n0\r\n\r\n",
        "0x5\r\nhello\r\n0\r\n\r\n",
        " 5\r\nhello\r\n0\r\n\r\n",
        "1000000000000000\r\n", // 16 hex digits: past a long's range
        "5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n", // bare CR in a trailer
        "5\r\nhello\r\n0\r\nX: a\nb\r\n\r\n", // bare LF in a trailer
        "5;a\0b\r\nhello\r\n0\r\n\r\n", // NUL in an extension
      })
  void malformedBodiesAreRefused(String body) {
    byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
    assertThrows(IllegalArgumentException.class, () -> new ChunkedBody(4096).feed(b, 0, b.length));
  }

  @org.junit.jupiter.api.Test
  void trailersAndSizeLinesAreBounded() {
    byte[] trailer =
        ("0\r\nX: " + "a".repeat(5000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    assertThrows(
        IllegalArgumentException.class,
        () -> new ChunkedBody(4096).feed(trailer, 0, trailer.length));
    byte[] size = ("5;" + "e".repeat(2000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    assertThrows(
        IllegalArgumentException.class, () -> new ChunkedBody(4096).feed(size, 0, size.length));
  }
}
