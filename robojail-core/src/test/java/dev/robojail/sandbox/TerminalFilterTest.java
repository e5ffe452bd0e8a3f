package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The terminal output filter, on named sequences and on streams from seeded generators: each stream
 * is made of pieces whose filtered form is known (text, kept sequences as they are, dropped
 * sequences in 7-bit form, as UTF-8 encoded C1 controls and as raw 8-bit bytes), and must filter to
 * the pieces' filtered forms, whatever the reads it is split into.
 */
class TerminalFilterTest {
  private static final String E = "\u001b";

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String filter(String s) {
    return new String(
        new TerminalFilter().filter(utf8(s), 0, utf8(s).length), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        E + "]52;c;Y3VybCBldmlsIHwgc2gK\u0007", // the clipboard
        E + "]52;c;Y3VybCBldmlsIHwgc2gK" + E + "\\",
        E + "]52;p;?" + E + "\\", // a clipboard query would type it back
        E + "]0;PWNED\u0007", // titles
        E + "]1;PWNED\u0007",
        E + "]2;PWNED" + E + "\\",
        E + "]7;file://host/PWNED\u0007", // working directory
        E + "]8;;https://PWNED/\u0007", // hyperlink
        E + "]9;PWNED\u0007", // notifications
        E + "]777;notify;PWNED;x\u0007",
        E + "]1337;File=name=PWNED:AAAA\u0007", // iTerm2 file transfer
        E + "]4;1;rgb:ff/00/00\u0007", // palette and colour changes
        E + "]10;#ffffff\u0007",
        E + "]11;rgb:00/00/00" + E + "\\",
        E + "]104\u0007",
        E + "]50;PWNED\u0007", // font
        E + "]133;A\u0007",
        E + "]10;?;rgb:ff/00/00\u0007", // a query, then a change of the next colour (xterm)
        E + "]4;1;?;2;rgb:ff/00/00\u0007",
        E + "]30;PWNED\u0007", // Konsole's tab title
        E + "]lPWNED" + E + "\\", // dtterm's title
        E + "]LPWNED" + E + "\\",
        "\u0090$qm\u009c", // DECRQSS in UTF-8 encoded C1
        E + "[201~", // a bracketed paste's end, printed
        E + "Ptmux;" + E + E + "]52;c;PWNED\u0007" + E + "\\", // multiplexer passthrough
        E + "P$qm" + E + "\\", // DECRQSS
        E + "P+q544e" + E + "\\", // XTGETTCAP
        E + "Pq#0;2;0;0;0#0!10~-" + E + "\\", // sixel
        E + "_Gf=100;PWNED" + E + "\\", // APC: kitty graphics
        E + "^PWNED" + E + "\\", // PM
        E + "XPWNED" + E + "\\", // SOS
        E + "[21t", // window title report
        E + "[8;100;300t", // resize
        E + "[2t",
        E + "[12l", // local echo on
        E + "[20h",
        E + "[?3h", // 132 columns
        E + "[?1001h",
        E + "[62;1\"p", // conformance level
        E + "[1;1;1;10;10*y", // screen checksum
        E + "[i", // media copy
        E + "Z", // DECID
        E + "%G", // encoding
        E + " G", // 8-bit replies
        "\u0005", // ENQ
      })
  void eachDroppedSequenceIsGoneInEachEncoding(String sequence) {
    assertEquals("a|b", filter("a|" + sequence + "b"), sequence);
    String c1 = asC1(sequence);
    assertEquals("a|b", filter("a|" + c1 + "b"), "as UTF-8 C1: " + c1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        E + "[0m",
        E + "[1;31m",
        E + "[38;5;208m",
        E + "[48;2;10;20;30m",
        E + "[38:2::10:20:30m",
        E + "[4:3m",
        E + "[H",
        E + "[12;40H",
        E + "[3A",
        E + "[2J",
        E + "[K",
        E + "[?1049h",
        E + "[?1049l",
        E + "[?25l",
        E + "[?2004h",
        E + "[?1000;1006h",
        E + "[?1004h",
        E + "[?2026h",
        E + "[?2026$p",
        E + "[5 q",
        E + "[>1u",
        E + "[<u",
        E + "[?u",
        E + "[=5;1u",
        E + "[>4;2m",
        E + "[c",
        E + "[>c",
        E + "[>q",
        E + "[6n",
        E + "[2;20r",
        E + "[!p",
        E + "7",
        E + "8",
        E + "M",
        E + "=",
        E + "(0",
        E + "(B",
        E + "]11;?\u0007",
        E + "]10;?" + E + "\\",
        E + "]4;1;?\u0007",
        "\u000e",
        "\u000f",
        "\u0007",
        "é ✓ 𝄞 日本",
      })
  void eachKeptSequenceIsPassedAsItIs(String sequence) {
    assertEquals("a" + sequence + "b", filter("a" + sequence + "b"));
  }

  @Test
  void keptC1ControlsAreWrittenIn7BitForm() {
    assertEquals(E + "[1;31mx", filter("\u009b1;31mx"));
    assertEquals(E + "]11;?" + E + "\\", filter("\u009d11;?\u009c"));
  }

  @Test
  void aModeListKeepsOnlyItsAllowedModes() {
    assertEquals(E + "[?1049;1006h", filter(E + "[?1049;3;1006;1001h"));
    assertEquals("", filter(E + "[?3;1001h"));
  }

  @Test
  void invalidUtf8AndRaw8BitControlsBecomeReplacementCharacters() {
    byte[] in = {'a', (byte) 0x9d, '5', '2', (byte) 0xc0, (byte) 0x9b, 'b', (byte) 0xff};
    String out = new String(new TerminalFilter().filter(in, 0, in.length), StandardCharsets.UTF_8);
    assertEquals("a\ufffd52\ufffd\ufffdb\ufffd", out);
  }

  @Test
  void aSequenceLongerThanTheBoundIsDroppedWholeAndHoldsNoMoreThanTheBound() {
    TerminalFilter f = new TerminalFilter();
    byte[] chunk = utf8("A".repeat(4096));
    assertEquals(0, f.filter(utf8(E + "]52;c;"), 0, 6).length);
    for (int i = 0; i < 256; i++) { // 1 MiB of clipboard payload, never terminated so far
      assertEquals(0, f.filter(chunk, 0, chunk.length).length);
      assertTrue(f.held() <= TerminalFilter.MAX_SEQUENCE, "held " + f.held());
    }
    byte[] end = utf8("\u0007after");
    assertEquals("after", new String(f.filter(end, 0, end.length), StandardCharsets.UTF_8));
    // A huge CSI is dropped too, and the text after it is kept.
    byte[] csi = utf8(E + "[" + "1;".repeat(5000) + "mok");
    assertEquals("ok", new String(f.filter(csi, 0, csi.length), StandardCharsets.UTF_8));
  }

  @Test
  void restoreTurnsOffWhatTheJailLeftOn() {
    TerminalFilter f = new TerminalFilter();
    byte[] in =
        utf8(
            E
                + "[?1049h"
                + E
                + "[>1u"
                + E
                + "[?1000;1006h"
                + E
                + "[?2004h"
                + E
                + "[?25l"
                + E
                + "[?2026h"
                + E
                + "[>4;2m"
                + E
                + "[5 q"
                + E
                + "="
                + E
                + "[31m");
    f.filter(in, 0, in.length);
    String r = new String(f.restore(), StandardCharsets.US_ASCII);
    assertEquals(
        E + "[?2026l" + E + "[<1u" + E + "[?1049l" + E + "[>4m" + E + "[?25h" + E + "[?1000l" + E
            + "[?1006l" + E + "[?2004l" + E + ">" + E + "[0 q" + E + "[0m",
        r);
  }

  /**
   * A locking shift (LS2, LS3) with line drawing designated into G2 or G3 would leave the user's
   * shell drawn in line-drawing characters after the jail ends, as SO with G1 would: SI undoes it.
   */
  @Test
  void restoreUndoesALockingShiftOfG2OrG3() {
    for (String shift : List.of("n", "o")) {
      TerminalFilter f = new TerminalFilter();
      byte[] in = utf8(E + "*0" + E + "+0" + E + shift + "qqq");
      assertEquals(
          E + "*0" + E + "+0" + E + shift + "qqq",
          new String(f.filter(in, 0, in.length), StandardCharsets.US_ASCII));
      assertEquals(
          "\u000f", new String(f.restore(), StandardCharsets.US_ASCII), "after ESC " + shift);
      byte[] back = utf8("\u000f");
      f.filter(back, 0, back.length);
      assertEquals(0, f.restore().length, "SI undid ESC " + shift + " already");
    }
  }

  @Test
  void restoreIsEmptyWhenTheJailTurnedOffWhatItTurnedOn() {
    TerminalFilter f = new TerminalFilter();
    byte[] in = utf8(E + "[?1049h" + E + "[?2004h" + E + "[?2004l" + E + "[?1049lplain");
    f.filter(in, 0, in.length);
    assertEquals(0, f.restore().length);
    assertEquals(0, new TerminalFilter().restore().length);
  }

  // ---- streams from seeded generators ----

  /** Part of a stream, and what the filter must turn it into. */
  record Piece(byte[] in, byte[] out) {}

  static LongStream seeds() {
    return LongStream.range(0, 300);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void aStreamFiltersToItsPiecesWhateverTheReadsItIsSplitInto(long seed) {
    Random r = new Random(seed);
    List<Piece> pieces = new ArrayList<>();
    for (int n = r.nextInt(60); n >= 0; n--) {
      pieces.add(piece(r));
    }
    byte[] in = concat(pieces.stream().map(Piece::in).toList());
    byte[] expected = concat(pieces.stream().map(Piece::out).toList());
    TerminalFilter whole = new TerminalFilter();
    assertArrayEquals(expected, whole.filter(in, 0, in.length), () -> show(in));
    for (int split = 0; split < 5; split++) {
      TerminalFilter f = new TerminalFilter();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int at = 0;
      while (at < in.length) {
        int n = 1 + r.nextInt(split == 0 ? 2 : 40); // split 0: one or two bytes per read
        n = Math.min(n, in.length - at);
        out.writeBytes(f.filter(in, at, n));
        at += n;
      }
      assertArrayEquals(expected, out.toByteArray(), () -> "split " + show(in));
      assertArrayEquals(whole.restore(), f.restore());
    }
    assertNothingDroppedSurvives(expected);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void randomBytesNeverProduceADroppedSequence(long seed) {
    Random r = new Random(seed);
    byte[] in = new byte[r.nextInt(4000)];
    String alphabet = E + "[]P^_X\\;?0123456789:tmhlu\u0007\u009b\u009d\u0090 $\"*%Z";
    byte[] a = utf8(alphabet);
    for (int i = 0; i < in.length; i++) {
      in[i] = r.nextInt(4) == 0 ? (byte) r.nextInt(256) : a[r.nextInt(a.length)];
    }
    TerminalFilter f = new TerminalFilter();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int at = 0; at < in.length; ) {
      int n = Math.min(1 + r.nextInt(64), in.length - at);
      out.writeBytes(f.filter(in, at, n));
      at += n;
    }
    assertNothingDroppedSurvives(out.toByteArray());
    assertNothingDroppedSurvives(f.restore());
  }

  private static Piece piece(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> text(r);
      case 1 -> kept(r);
      default -> dropped(r);
    };
  }

  private static Piece same(String s) {
    return new Piece(utf8(s), utf8(s));
  }

  private static Piece text(Random r) {
    String[] words = {
      "hello ", "é", "✓", "𝄞", "日本語", "\r\n", "\t", " ", "[31m", "]52;", "\\", "~"
    };
    StringBuilder s = new StringBuilder();
    for (int n = 1 + r.nextInt(6); n > 0; n--) {
      s.append(words[r.nextInt(words.length)]);
    }
    return same(s.toString());
  }

  private static Piece kept(Random r) {
    int[] modes = {1, 7, 12, 25, 47, 1047, 1049, 1000, 1002, 1003, 1004, 1006, 2004, 2026};
    return same(
        switch (r.nextInt(12)) {
          case 0 -> E + "[" + sgr(r) + "m";
          case 1 -> E + "[" + r.nextInt(100) + ";" + r.nextInt(300) + "H";
          case 2 -> E + "[" + r.nextInt(10) + "ABCDJK".charAt(r.nextInt(6));
          case 3 -> E + "[?" + modes[r.nextInt(modes.length)] + (r.nextBoolean() ? "h" : "l");
          case 4 ->
              List.of(E + "[>1u", E + "[<u", E + "[?u", E + "[=3;1u", E + "[>4;1m")
                  .get(r.nextInt(5));
          case 5 -> List.of(E + "[c", E + "[>c", E + "[6n", E + "[?2026$p").get(r.nextInt(4));
          case 6 -> E + "[" + r.nextInt(7) + " q";
          case 7 -> E + "]" + (10 + r.nextInt(10)) + ";?" + (r.nextBoolean() ? "\u0007" : E + "\\");
          case 8 -> List.of(E + "(0", E + "(B", "\u000e", "\u000f").get(r.nextInt(4));
          case 9 -> List.of(E + "7", E + "8", E + "M", E + "D", E + "=", E + ">").get(r.nextInt(6));
          case 10 -> E + "[" + (1 + r.nextInt(10)) + ";" + (11 + r.nextInt(20)) + "r";
          default -> E + "[4" + (r.nextBoolean() ? "h" : "l");
        });
  }

  private static String sgr(Random r) {
    List<String> parts = new ArrayList<>();
    for (int n = r.nextInt(4); n >= 0; n--) {
      parts.add(
          switch (r.nextInt(5)) {
            case 0 -> Integer.toString(r.nextInt(110));
            case 1 -> "38;5;" + r.nextInt(256);
            case 2 -> "48;2;" + r.nextInt(256) + ";" + r.nextInt(256) + ";" + r.nextInt(256);
            case 3 -> "38:2::" + r.nextInt(256) + ":" + r.nextInt(256) + ":" + r.nextInt(256);
            default -> "4:" + r.nextInt(6);
          });
    }
    return String.join(";", parts);
  }

  private static String payload(Random r) {
    String[] words = {"PWNED", "c;Y3VybCB8IHNo", ";", "日本", "x y", "?"};
    StringBuilder s = new StringBuilder();
    for (int n = r.nextInt(5); n >= 0; n--) {
      s.append(words[r.nextInt(words.length)]);
    }
    return s.toString();
  }

  private static Piece dropped(Random r) {
    String st = r.nextBoolean() ? "\u0007" : E + "\\";
    String sequence =
        switch (r.nextInt(10)) {
          case 0 -> E + "]52;c;" + payload(r) + st;
          case 1 ->
              E
                  + "]"
                  + List.of(0, 1, 2, 7, 8, 9, 50, 777, 1337).get(r.nextInt(9))
                  + ";"
                  + payload(r)
                  + st;
          case 2 -> E + "]" + (r.nextBoolean() ? "4;1;" : "11;") + "rgb:ff/00/00" + st;
          case 3 -> E + "Ptmux;" + E + E + "]52;c;" + payload(r) + "\u0007" + E + "\\";
          case 4 ->
              E + List.of("P$q", "Pq#0", "_G", "^", "X").get(r.nextInt(5)) + payload(r) + E + "\\";
          case 5 -> E + "[" + List.of("21", "20", "8;1;1", "2", "14").get(r.nextInt(5)) + "t";
          case 6 ->
              E + "[" + List.of("12l", "20h", "?3h", "?1001h", "62;1\"p", "1*y").get(r.nextInt(6));
          case 7 -> E + List.of("Z", "%G", " G").get(r.nextInt(3));
          case 8 -> "\u0005";
          default -> E + "]" + "PWNED".repeat(r.nextInt(200)) + st;
        };
    if (r.nextInt(3) == 0) {
      return new Piece(utf8(asC1(sequence)), new byte[0]);
    }
    if (r.nextInt(4) == 0 && sequence.startsWith(E + "]52;") && !sequence.endsWith(E + "\\")) {
      // Raw 8-bit OSC: not UTF-8, so a replacement character and then plain text.
      String plain = sequence.substring(2).replace("PWNED", "raw");
      byte[] rest = utf8(plain);
      byte[] in = new byte[rest.length + 1];
      in[0] = (byte) 0x9d;
      System.arraycopy(rest, 0, in, 1, rest.length);
      return new Piece(in, utf8("\ufffd" + plain));
    }
    return new Piece(utf8(sequence), new byte[0]);
  }

  /** The sequence with its introducers and string terminators as UTF-8 encoded C1 controls. */
  private static String asC1(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0x1b && i + 1 < s.length() && "[]P^_X\\Z".indexOf(s.charAt(i + 1)) >= 0) {
        out.append((char) (s.charAt(++i) + 0x40));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static final Pattern SEQUENCE =
      Pattern.compile(
          "\u001b(?:\\[([<=>?]?)([0-9:;]*)([ -/]*)([@-~])|\\]([^\u0007\u001b]*)(?:\u0007|\u001b\\\\)|(.))",
          Pattern.DOTALL);

  /**
   * An independent check of what must never reach the user's terminal: valid UTF-8 only, no C1
   * control, no ENQ, no OSC but a colour query, no DCS/SOS/PM/APC, no window operation, no mode off
   * the list, no encoding or reply switches.
   */
  static void assertNothingDroppedSurvives(byte[] out) {
    String s;
    try {
      s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(out))
              .toString();
    } catch (CharacterCodingException e) {
      throw new AssertionError("not UTF-8: " + show(out), e);
    }
    assertTrue(s.chars().noneMatch(c -> (c >= 0x80 && c <= 0x9f) || c == 5), () -> show(out));
    int at = 0;
    while ((at = s.indexOf('\u001b', at)) >= 0) {
      Matcher m = SEQUENCE.matcher(s).region(at, s.length());
      assertTrue(m.lookingAt(), () -> "unterminated or unknown at " + show(out));
      if (m.group(4) != null) {
        char fin = m.group(4).charAt(0);
        String intermediates = m.group(3);
        assertTrue(fin != 't' && fin != 'i', () -> show(out));
        assertTrue(!intermediates.equals("\"") && !intermediates.equals("*"), () -> show(out));
        if ((fin == 'h' || fin == 'l') && m.group(1).isEmpty()) {
          assertEquals("4", m.group(2), () -> show(out));
        }
        if ((fin == 'h' || fin == 'l') && m.group(1).equals("?")) {
          for (String p : m.group(2).split(";")) {
            assertTrue(
                List.of(
                        "1", "6", "7", "12", "25", "47", "1047", "1048", "1049", "9", "1000",
                        "1002", "1003", "1004", "1005", "1006", "1007", "1015", "1016", "2004",
                        "2026", "2027")
                    .contains(p),
                () -> "mode " + p + " in " + show(out));
          }
        }
      } else if (m.group(5) != null) {
        assertTrue(
            m.group(5).matches("1[0-9](;\\?)+|4(;\\d{1,3};\\?)+"), () -> "OSC in " + show(out));
      } else {
        String c = m.group(6);
        assertTrue(
            "78=>DEHMNOcno|}~()*+-./#".contains(c.substring(0, 1)), () -> "ESC " + c + show(out));
      }
      at = m.end();
    }
    assertTrue(!s.contains("PWNED"), () -> show(out));
  }

  private static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    parts.forEach(out::writeBytes);
    return out.toByteArray();
  }

  private static String show(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      int c = x & 0xff;
      s.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
    }
    return s.toString();
  }
}
