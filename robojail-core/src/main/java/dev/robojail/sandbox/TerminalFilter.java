package dev.robojail.sandbox;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The output half of {@link TerminalRelay}: a streaming ECMA-48 parser over what the jail writes to
 * its terminal, which passes what a full-screen program needs and drops what reaches past the
 * screen of the user's terminal.
 *
 * <p>Dropped: every OSC but colour queries (so window and icon titles, the clipboard OSC 52,
 * hyperlinks OSC 8, palette and colour changes, the working directory OSC 7, notifications,
 * iTerm2's file transfer OSC 1337); every DCS, SOS, PM and APC string (so a multiplexer's
 * passthrough {@code ESC P tmux;}, DECRQSS, XTGETTCAP, sixel and kitty images); window operations
 * and reports ({@code CSI … t}); ENQ (answerback) and DECID ({@code ESC Z}); the sequences that
 * switch the terminal's encoding, 8-bit replies or conformance level ({@code ESC %}, {@code ESC
 * SP}, {@code CSI " p}); a checksum of the screen ({@code CSI * y}); and every CSI mode not on the
 * list below (local echo {@code CSI 12 l} among them). A hyperlink's text stays, without its link.
 *
 * <p>Kept: text, colours and attributes (SGR, 256 colours and truecolor, with {@code :} or {@code
 * ;}), cursor movement, save and restore, shape and visibility, erasing, scrolling regions,
 * character sets, the alternate screen, bracketed paste, mouse reporting, focus events,
 * synchronized output, application cursor keys and keypad, the kitty keyboard protocol and
 * modifyOtherKeys, and the queries whose answers are fixed in form (device attributes, cursor
 * position, mode reports, colour queries) that programs wait for.
 *
 * <p>The terminal decodes UTF-8 before it parses, so the filter does too: an invalid byte (a raw
 * 8-bit C1 control among them, or an overlong encoding of ESC) becomes U+FFFD, and a C1 control
 * encoded in UTF-8 (U+009B is CSI to terminals that honour C1) is parsed as the control it is; what
 * is kept is written in 7-bit form. The state survives any split of the stream across reads, and
 * holds at most {@link #MAX_SEQUENCE} characters of one sequence: a longer one is dropped whole.
 *
 * <p>{@link #restore()} gives the sequence that turns off what the kept sequences left on.
 */
final class TerminalFilter {
  /** The most characters of one control sequence or OSC string held while it is parsed. */
  static final int MAX_SEQUENCE = 512;

  private static final int ESC = 0x1b;
  private static final int BEL = 0x07;
  private static final int ENQ = 0x05;
  private static final int CAN = 0x18;
  private static final int SUB = 0x1a;
  private static final int SO = 0x0e;
  private static final int SI = 0x0f;
  private static final int REPLACEMENT = 0xfffd;

  // DEC private modes a program may set, with what each must be when the user gets the terminal
  // back: cursor keys, origin, autowrap, blink, cursor visibility, alternate screens, mouse
  // reporting and its encodings, focus events, alternate scroll, bracketed paste, synchronized
  // output, grapheme clusters.
  private static final Map<Integer, Boolean> PRIVATE_MODES =
      Map.ofEntries(
          Map.entry(1, false),
          Map.entry(6, false),
          Map.entry(7, true),
          Map.entry(12, false),
          Map.entry(25, true),
          Map.entry(47, false),
          Map.entry(1047, false),
          Map.entry(1048, false),
          Map.entry(1049, false),
          Map.entry(9, false),
          Map.entry(1000, false),
          Map.entry(1002, false),
          Map.entry(1003, false),
          Map.entry(1004, false),
          Map.entry(1005, false),
          Map.entry(1006, false),
          Map.entry(1007, false),
          Map.entry(1015, false),
          Map.entry(1016, false),
          Map.entry(2004, false),
          Map.entry(2026, false),
          Map.entry(2027, false));
  private static final Set<Integer> ALTERNATE_SCREENS = Set.of(47, 1047, 1049);
  private static final String ESC_FINALS = "78=>DEHMNOcno|}~";
  private static final String CSI_FINALS = "@ABCDEFGHIJKLMPSTXZ`abcdefgmnrsu";

  private enum State {
    GROUND,
    ESCAPE,
    ESCAPE_INTERMEDIATE,
    CSI,
    CSI_IGNORE,
    OSC,
    OSC_ESCAPE,
    STRING,
    STRING_ESCAPE
  }

  private State state = State.GROUND;
  private final StringBuilder seq = new StringBuilder();
  private boolean overflow;

  // UTF-8 decoding, WHATWG style: the bounds of the next continuation byte.
  private int need;
  private int codePoint;
  private int lower = 0x80;
  private int upper = 0xbf;

  private byte[] out = new byte[8192];
  private int outLength;

  // What the kept sequences left on, for restore().
  private final Map<Integer, Boolean> modes = new TreeMap<>();
  private boolean insert;
  private boolean keypad;
  private boolean cursorShape;
  private boolean attributes;
  private boolean scrollRegion;
  private boolean shifted;
  private boolean charset;
  private int kittyMain;
  private int kittyAlternate;
  private boolean kittyFlags;
  private final Map<Integer, Boolean> modifyKeys = new TreeMap<>();

  /** The bytes to write for {@code length} bytes the jail wrote. */
  byte[] filter(byte[] in, int offset, int length) {
    outLength = 0;
    for (int i = offset; i < offset + length; i++) {
      decode(in[i] & 0xff);
    }
    return Arrays.copyOf(out, outLength);
  }

  /** Characters of an unfinished sequence held now; never more than {@link #MAX_SEQUENCE}. */
  int held() {
    return seq.length();
  }

  /**
   * What turns off the modes the jail's kept sequences left on, in an order that works: the end of
   * synchronized output first, the alternate screen's keyboard modes before leaving it. Empty when
   * nothing was left on.
   */
  byte[] restore() {
    StringBuilder r = new StringBuilder();
    if (Boolean.TRUE.equals(modes.get(2026))) {
      r.append("\u001b[?2026l");
    }
    boolean alternate = ALTERNATE_SCREENS.stream().anyMatch(m -> Boolean.TRUE.equals(modes.get(m)));
    if (alternate) {
      pop(r, kittyAlternate);
      for (int m : List.of(1049, 1047, 47)) {
        if (Boolean.TRUE.equals(modes.get(m))) {
          r.append("\u001b[?").append(m).append('l');
        }
      }
    }
    pop(r, kittyMain);
    if (kittyFlags) {
      r.append("\u001b[=0;1u");
    }
    modifyKeys.forEach(
        (resource, on) -> {
          if (on) {
            r.append("\u001b[>").append(resource).append('m');
          }
        });
    List<String> off = new ArrayList<>();
    modes.forEach(
        (mode, on) -> {
          if (mode != 2026 && !ALTERNATE_SCREENS.contains(mode) && on != PRIVATE_MODES.get(mode)) {
            off.add(mode + (PRIVATE_MODES.get(mode) ? "h" : "l"));
          }
        });
    for (String m : off) {
      r.append("\u001b[?").append(m);
    }
    if (insert) {
      r.append("\u001b[4l");
    }
    if (keypad) {
      r.append("\u001b>");
    }
    if (cursorShape) {
      r.append("\u001b[0 q");
    }
    if (scrollRegion) {
      r.append("\u001b7\u001b[r\u001b8");
    }
    if (attributes) {
      r.append("\u001b[0m");
    }
    if (shifted) {
      r.append((char) SI);
    }
    if (charset) {
      r.append("\u001b(B");
    }
    return r.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private void forget() {
    modes.clear();
    modifyKeys.clear();
    insert =
        keypad = cursorShape = attributes = scrollRegion = shifted = charset = kittyFlags = false;
    kittyMain = kittyAlternate = 0;
  }

  private static void pop(StringBuilder r, int n) {
    if (n > 0) {
      r.append("\u001b[<").append(n).append('u');
    }
  }

  private void decode(int b) {
    if (need == 0) {
      if (b < 0x80) {
        parse(b);
      } else if (b >= 0xc2 && b <= 0xdf) {
        start(1, b & 0x1f, 0x80, 0xbf);
      } else if (b >= 0xe0 && b <= 0xef) {
        start(2, b & 0x0f, b == 0xe0 ? 0xa0 : 0x80, b == 0xed ? 0x9f : 0xbf);
      } else if (b >= 0xf0 && b <= 0xf4) {
        start(3, b & 0x07, b == 0xf0 ? 0x90 : 0x80, b == 0xf4 ? 0x8f : 0xbf);
      } else {
        parse(REPLACEMENT);
      }
      return;
    }
    if (b < lower || b > upper) {
      need = 0;
      lower = 0x80;
      upper = 0xbf;
      parse(REPLACEMENT);
      decode(b);
      return;
    }
    lower = 0x80;
    upper = 0xbf;
    codePoint = codePoint << 6 | (b & 0x3f);
    if (--need == 0) {
      parse(codePoint);
    }
  }

  private void start(int continuation, int bits, int low, int high) {
    need = continuation;
    codePoint = bits;
    lower = low;
    upper = high;
  }

  private void parse(int c) {
    if (c >= 0x80 && c <= 0x9f) {
      // A C1 control is ESC and its 7-bit partner to the terminal: 0x9b is ESC [, 0x9c ESC \.
      parse(ESC);
      parse(c - 0x40);
      return;
    }
    switch (state) {
      case GROUND -> ground(c);
      case ESCAPE -> escape(c);
      case ESCAPE_INTERMEDIATE -> escapeIntermediate(c);
      case CSI, CSI_IGNORE -> csi(c);
      case OSC -> osc(c);
      case OSC_ESCAPE -> {
        if (c == '\\') {
          state = State.GROUND;
          dispatchOsc("\u001b\\");
        } else {
          enter(State.ESCAPE);
          escape(c);
        }
      }
      case STRING -> {
        if (c == ESC) {
          state = State.STRING_ESCAPE;
        } else if (c == CAN || c == SUB) {
          state = State.GROUND;
        }
      }
      case STRING_ESCAPE -> {
        if (c == '\\') {
          state = State.GROUND;
        } else {
          enter(State.ESCAPE);
          escape(c);
        }
      }
    }
  }

  private void enter(State s) {
    state = s;
    seq.setLength(0);
    overflow = false;
  }

  private void ground(int c) {
    if (c == ESC) {
      enter(State.ESCAPE);
    } else if (c != ENQ) {
      if (c == SO) {
        shifted = true;
      } else if (c == SI) {
        shifted = false;
      }
      emit(c);
    }
  }

  // Returns true when c was a control that acts inside any sequence (and handled it).
  private boolean control(int c) {
    if (c == ESC) {
      enter(State.ESCAPE);
      return true;
    }
    if (c == CAN || c == SUB) {
      enter(State.GROUND);
      return true;
    }
    if (c < 0x20) {
      ground(c); // executed in place, as the terminal does
      return true;
    }
    if (c == 0x7f) {
      return true;
    }
    if (c > 0x7f) {
      enter(State.GROUND);
      ground(c);
      return true;
    }
    return false;
  }

  private void escape(int c) {
    if (control(c)) {
      return;
    }
    switch (c) {
      case '[' -> enter(State.CSI);
      case ']' -> enter(State.OSC);
      case 'P', 'X', '^', '_' -> enter(State.STRING);
      default -> {
        if (c < 0x30) {
          state = State.ESCAPE_INTERMEDIATE;
          seq.appendCodePoint(c);
        } else {
          state = State.GROUND;
          if (ESC_FINALS.indexOf(c) >= 0) {
            if (c == 'c') {
              forget(); // a full reset (RIS) leaves nothing on
            }
            if (c == '=' || c == '>') {
              keypad = c == '=';
            }
            if (c == 'n' || c == 'o') {
              // LS2/LS3 map G2/G3 into GL, as SO does G1: left so, the shell after the jail would
              // be drawn in whatever set those hold (line drawing); SI (LS0) undoes all three.
              shifted = true;
            }
            emit(ESC);
            emit(c);
          }
        }
      }
    }
  }

  private void escapeIntermediate(int c) {
    if (control(c)) {
      return;
    }
    if (c < 0x30) {
      if (seq.length() < 4) {
        seq.appendCodePoint(c);
      } else {
        overflow = true;
      }
      return;
    }
    state = State.GROUND;
    String i = seq.toString();
    // Character set designations, and the line size and alignment of ESC #; ESC % (encoding)
    // and ESC SP (8-bit replies) are dropped.
    boolean designate = i.length() == 1 && "()*+-./".indexOf(i.charAt(0)) >= 0;
    boolean line = i.equals("#") && "34568".indexOf(c) >= 0;
    if (!overflow && (designate || line)) {
      if (i.equals("(")) {
        charset = c != 'B';
      }
      emit(ESC);
      emitAll(i);
      emit(c);
    }
  }

  private void csi(int c) {
    if (control(c)) {
      return;
    }
    if (c >= 0x40) {
      boolean ignore = state == State.CSI_IGNORE || overflow;
      state = State.GROUND;
      if (!ignore) {
        dispatchCsi(seq.toString(), (char) c);
      }
      return;
    }
    if (state == State.CSI_IGNORE) {
      return;
    }
    boolean intermediates = !seq.isEmpty() && seq.charAt(seq.length() - 1) < 0x30;
    boolean marker = c >= '<' && c <= '?';
    if ((c >= 0x30 && intermediates) || (marker && !seq.isEmpty())) {
      state = State.CSI_IGNORE; // malformed: the terminal ignores it to its final byte
    } else if (seq.length() >= MAX_SEQUENCE) {
      overflow = true;
      state = State.CSI_IGNORE;
      seq.setLength(0);
    } else {
      seq.appendCodePoint(c);
    }
  }

  private void dispatchCsi(String s, char fin) {
    char prefix = !s.isEmpty() && s.charAt(0) >= '<' && s.charAt(0) <= '?' ? s.charAt(0) : 0;
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) < 0x30) {
      end--;
    }
    String params = s.substring(prefix == 0 ? 0 : 1, end);
    String intermediates = s.substring(end);
    boolean keep =
        switch (intermediates) {
          case "" ->
              switch (prefix) {
                case 0 -> plainCsi(params, fin);
                case '?' -> privateCsi(params, fin);
                case '>' -> greaterCsi(params, fin);
                case '<' -> fin == 'u' && kittyPop(params);
                case '=' -> (fin == 'c' || fin == 'u') && kittySet(fin);
                default -> false;
              };
          case " " -> prefix == 0 && fin == 'q' && cursorShape(params);
          case "!" -> prefix == 0 && fin == 'p';
          case "$" -> (prefix == 0 || prefix == '?') && fin == 'p';
          default -> false;
        };
    if (keep) {
      emit(ESC);
      emit('[');
      emitAll(s);
      emit(fin);
    }
  }

  private boolean plainCsi(String params, char fin) {
    if (fin == 'h' || fin == 'l') {
      // Insert mode only: 12 (SRM) turns local echo on, 20 (LNM) changes what Enter sends.
      List<String> kept = kept(params, p -> p == 4);
      if (!kept.isEmpty()) {
        insert = fin == 'h';
        emitCsi("", kept, fin);
      }
      return false;
    }
    if (CSI_FINALS.indexOf(fin) < 0) {
      return false;
    }
    if (fin == 'm') {
      attributes = true;
    } else if (fin == 'r') {
      scrollRegion = !params.isEmpty();
    }
    return true;
  }

  private boolean privateCsi(String params, char fin) {
    if (fin == 'h' || fin == 'l') {
      List<String> kept = kept(params, PRIVATE_MODES::containsKey);
      if (!kept.isEmpty()) {
        for (String p : kept) {
          int mode = Integer.parseInt(p);
          if (ALTERNATE_SCREENS.contains(mode) && fin == 'l') {
            kittyAlternate = 0; // the alternate screen's keyboard stack goes with it
          }
          modes.put(mode, fin == 'h');
        }
        emitCsi("?", kept, fin);
      }
      return false;
    }
    return "nuJKm".indexOf(fin) >= 0;
  }

  private boolean greaterCsi(String params, char fin) {
    if (fin == 'u') {
      if (onAlternate()) {
        kittyAlternate++;
      } else {
        kittyMain++;
      }
      return true;
    }
    if (fin == 'm') {
      String[] p = params.split(";", -1);
      if (!p[0].matches("\\d+")) {
        return false;
      }
      modifyKeys.put(Integer.parseInt(p[0]), p.length > 1 && p[1].matches("0*[1-9]\\d*"));
      return true;
    }
    return fin == 'c' || fin == 'q';
  }

  private boolean kittyPop(String params) {
    int n = params.matches("\\d{1,4}") ? Math.max(1, Integer.parseInt(params)) : 1;
    if (onAlternate()) {
      kittyAlternate = Math.max(0, kittyAlternate - n);
    } else {
      kittyMain = Math.max(0, kittyMain - n);
    }
    return true;
  }

  private boolean kittySet(char fin) {
    if (fin == 'u') {
      kittyFlags = true;
    }
    return true;
  }

  private boolean cursorShape(String params) {
    cursorShape = !params.isEmpty() && !params.matches("0+");
    return true;
  }

  private boolean onAlternate() {
    return ALTERNATE_SCREENS.stream().anyMatch(m -> Boolean.TRUE.equals(modes.get(m)));
  }

  private static List<String> kept(String params, java.util.function.IntPredicate allowed) {
    List<String> kept = new ArrayList<>();
    for (String p : params.split(";", -1)) {
      if (p.matches("\\d{1,5}") && allowed.test(Integer.parseInt(p))) {
        kept.add(p);
      }
    }
    return kept;
  }

  private void emitCsi(String prefix, List<String> params, char fin) {
    emit(ESC);
    emit('[');
    emitAll(prefix);
    emitAll(String.join(";", params));
    emit(fin);
  }

  private void osc(int c) {
    if (c == BEL) {
      state = State.GROUND;
      dispatchOsc("\u0007");
    } else if (c == ESC) {
      state = State.OSC_ESCAPE;
    } else if (c == CAN || c == SUB) {
      enter(State.GROUND);
    } else if (c >= 0x20) {
      if (seq.length() < MAX_SEQUENCE) {
        seq.appendCodePoint(c);
      } else {
        overflow = true;
      }
    }
  }

  // Colour queries only: their answers are the terminal's colours, in a fixed form.
  private void dispatchOsc(String terminator) {
    String s = seq.toString();
    if (!overflow && (s.matches("1[0-9](;\\?)+") || s.matches("4(;\\d{1,3};\\?)+"))) {
      emit(ESC);
      emit(']');
      emitAll(s);
      emitAll(terminator);
    }
  }

  private void emitAll(String s) {
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      emit(c);
      i += Character.charCount(c);
    }
  }

  private void emit(int c) {
    if (outLength + 4 > out.length) {
      out = Arrays.copyOf(out, out.length * 2);
    }
    if (c < 0x80) {
      out[outLength++] = (byte) c;
    } else if (c < 0x800) {
      out[outLength++] = (byte) (0xc0 | c >> 6);
      out[outLength++] = (byte) (0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      out[outLength++] = (byte) (0xe0 | c >> 12);
      out[outLength++] = (byte) (0x80 | (c >> 6 & 0x3f));
      out[outLength++] = (byte) (0x80 | (c & 0x3f));
    } else {
      out[outLength++] = (byte) (0xf0 | c >> 18);
      out[outLength++] = (byte) (0x80 | (c >> 12 & 0x3f));
      out[outLength++] = (byte) (0x80 | (c >> 6 & 0x3f));
      out[outLength++] = (byte) (0x80 | (c & 0x3f));
    }
  }
}
