package dev.robojail.net;

/**
 * Finds where a request body in HTTP/1.1's chunked coding ends, fed the bytes as they come in any
 * pieces, so that the proxy passes on exactly one request's body and nothing after it. Strict where
 * two readers could disagree: chunk sizes in hexadecimal of at most 15 digits, lines ended by CRLF
 * only, no bare CR or LF, and trailers of a bounded size.
 */
final class ChunkedBody {
  private enum State {
    SIZE,
    DATA,
    DATA_CR,
    DATA_LF,
    TRAILER,
    DONE
  }

  private static final int MAX_SIZE_LINE = 1024;

  private final int maxTrailer;
  private final StringBuilder line = new StringBuilder();
  private State state = State.SIZE;
  private long left;
  private int trailer;

  /**
   * @param maxTrailer the most bytes the trailer section may take, as for a request head
   */
  ChunkedBody(int maxTrailer) {
    this.maxTrailer = maxTrailer;
  }

  /** Whether the last chunk and the trailer section have been seen. */
  boolean done() {
    return state == State.DONE;
  }

  /**
   * Takes bytes of the body in order; returns how many of them belong to it (fewer than {@code len}
   * only once it is {@link #done()}: the rest follows the body).
   *
   * @throws IllegalArgumentException naming what is malformed
   */
  int feed(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end && state != State.DONE) {
      switch (state) {
        case DATA -> {
          int n = (int) Math.min(left, end - i);
          i += n;
          left -= n;
          if (left == 0) {
            state = State.DATA_CR;
          }
        }
        case DATA_CR -> {
          expect(b[i++], '\r', "a chunk's data must end with CRLF");
          state = State.DATA_LF;
        }
        case DATA_LF -> {
          expect(b[i++], '\n', "a chunk's data must end with CRLF");
          state = State.SIZE;
        }
        case SIZE, TRAILER -> {
          char c = (char) (b[i++] & 0xff);
          if (state == State.TRAILER && ++trailer > maxTrailer) {
            throw new IllegalArgumentException("the chunked body's trailer is too long");
          }
          if (line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
            if (c != '\n') {
              throw new IllegalArgumentException("a bare CR in the chunked body");
            }
            line.setLength(line.length() - 1);
            endOfLine();
          } else if (c == '\n') {
            throw new IllegalArgumentException("a bare LF in the chunked body");
          } else if (c == '\0') {
            throw new IllegalArgumentException("a NUL byte in the chunked body");
          } else {
            if (state == State.SIZE && line.length() >= MAX_SIZE_LINE) {
              throw new IllegalArgumentException("a chunk size line is too long");
            }
            line.append(c);
          }
        }
        case DONE -> throw new IllegalStateException();
      }
    }
    return i - off;
  }

  private void endOfLine() {
    String l = line.toString();
    line.setLength(0);
    if (state == State.TRAILER) {
      if (l.isEmpty()) {
        state = State.DONE;
      }
      return;
    }
    int semi = l.indexOf(';');
    String hex = semi < 0 ? l : l.substring(0, semi);
    if (hex.isEmpty()
        || hex.length() > 15
        || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 128)) {
      throw new IllegalArgumentException("an invalid chunk size");
    }
    left = Long.parseLong(hex, 16);
    state = left == 0 ? State.TRAILER : State.DATA;
  }

  private static void expect(byte got, char want, String message) {
    if (got != want) {
      throw new IllegalArgumentException(message);
    }
  }
}
