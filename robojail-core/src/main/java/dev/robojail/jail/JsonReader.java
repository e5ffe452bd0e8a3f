package dev.robojail.jail;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A strict reader of JSON text (RFC 8259) as a stream of tokens, for the state file only: {@link
 * StateCodec} reads {@code jails.json} with it on every command, and writes it with jackson-core.
 *
 * <p>Why not jackson-core's parser, as before: each of its parsers extends {@code
 * ParserMinimalBase}, whose class initialiser makes {@code BigDecimal} constants, and JDK 25's
 * {@code BigDecimal} initialiser squares its way to 5^65536: about 8 ms of CPU, a sixteenth of
 * {@code robojail run J -- true}, spent before the first token of a file that holds no decimal
 * number. No configuration of jackson-core avoids that class. What this reader accepts and refuses
 * is held to jackson-core's parser over seeded documents and their mutations ({@code
 * JsonReaderTest}).
 *
 * <p>Every problem is a {@link Malformed} with the line and column where it was found. Input is
 * UTF-8 (a byte order mark is skipped); several root values may follow each other, as jackson-core
 * allows, so that a caller can tell "more after the end" apart.
 */
final class JsonReader {
  /** What {@link #next()} found. */
  enum Token {
    START_OBJECT,
    END_OBJECT,
    START_ARRAY,
    END_ARRAY,
    PROPERTY_NAME,
    VALUE_STRING,
    VALUE_NUMBER_INT,
    VALUE_NUMBER_FLOAT,
    VALUE_TRUE,
    VALUE_FALSE,
    VALUE_NULL
  }

  /** The text is not JSON, or a number does not fit: where, and what. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;
    private final int line;
    private final int column;

    Malformed(String problem, int line, int column) {
      super(problem, null, false, false);
      this.line = line;
      this.column = column;
    }

    int line() {
      return line;
    }

    int column() {
      return column;
    }
  }

  // jackson-core's default limits (StreamReadConstraints), so that both refuse the same texts.
  private static final int MAX_DEPTH = 500;
  private static final int MAX_NUMBER_LENGTH = 1000;
  private static final int MAX_NAME_LENGTH = 50_000;

  private static final int JUST_OPENED = 0;
  private static final int AFTER_VALUE = 1;

  private final String text;
  private int pos;
  private int line = 1;
  private int lineStart;
  // The open objects and arrays, innermost last, and for each whether a value came in it yet.
  private boolean[] isObject = new boolean[8];
  private int[] state = new int[8];
  private int depth;
  private boolean afterName;
  private Token current;
  private String value;
  private int tokenLine = 1;
  private int tokenColumn = 1;

  /**
   * @throws Malformed if the bytes are not UTF-8
   */
  JsonReader(byte[] bytes) throws Malformed {
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new Malformed("not UTF-8", 1, 1);
    }
    if (text.startsWith("\uFEFF")) {
      pos = 1;
      lineStart = 1;
    }
  }

  /** The token the last {@link #next()} returned; null before the first and at the end. */
  Token current() {
    return current;
  }

  /** The name of the current {@link Token#PROPERTY_NAME}. */
  String name() {
    return value;
  }

  /** The value of the current {@link Token#VALUE_STRING}, or the text of a number. */
  String string() {
    return value;
  }

  /** The current {@link Token#VALUE_NUMBER_INT} as a long. */
  long longValue() throws Malformed {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new Malformed("number out of range", tokenLine, tokenColumn);
    }
  }

  /** The current {@link Token#VALUE_NUMBER_INT} as an int. */
  int intValue() throws Malformed {
    long v = longValue();
    if (v != (int) v) {
      throw new Malformed("number out of range", tokenLine, tokenColumn);
    }
    return (int) v;
  }

  /** The line of the current token, from 1. */
  int line() {
    return tokenLine;
  }

  /** The column of the current token's first character, from 1. */
  int column() {
    return tokenColumn;
  }

  /** Past the end of the object or array the current token opens; nothing for any other. */
  void skipChildren() throws Malformed {
    if (current != Token.START_OBJECT && current != Token.START_ARRAY) {
      return;
    }
    int level = depth;
    while (depth >= level) {
      next();
    }
  }

  /**
   * The next token.
   *
   * @return null at the end of the text, after a whole value
   * @throws Malformed where the text stops being JSON
   */
  Token next() throws Malformed {
    skipWhitespace();
    markToken();
    if (afterName) {
      afterName = false;
      if (peek() != ':') {
        throw malformed("':' expected after a name");
      }
      pos++;
      skipWhitespace();
      markToken();
      return current = value();
    }
    if (depth == 0) {
      if (pos == text.length()) {
        return current = null;
      }
      return current = value();
    }
    int c = peek();
    if (c < 0) {
      throw malformed("unexpected end");
    }
    boolean object = isObject[depth - 1];
    char close = object ? '}' : ']';
    if (c == close) {
      pos++;
      depth--;
      return current = object ? Token.END_OBJECT : Token.END_ARRAY;
    }
    if (state[depth - 1] == AFTER_VALUE) {
      if (c != ',') {
        throw malformed("',' or '" + close + "' expected");
      }
      pos++;
      skipWhitespace();
      markToken();
      c = peek();
    }
    if (!object) {
      return current = value();
    }
    if (c != '"') {
      throw malformed("a name in quotes expected");
    }
    value = readString();
    if (value.length() > MAX_NAME_LENGTH) {
      throw malformed("a name longer than " + MAX_NAME_LENGTH + " characters");
    }
    // A string value may hold a lone surrogate (\uD800), as in jackson-core; a name may not.
    for (int i = 0; i < value.length(); i++) {
      char h = value.charAt(i);
      if (Character.isLowSurrogate(h)
          || (Character.isHighSurrogate(h)
              && !(i + 1 < value.length() && Character.isLowSurrogate(value.charAt(++i))))) {
        throw malformed("a name with an unpaired surrogate");
      }
    }
    afterName = true;
    return current = Token.PROPERTY_NAME;
  }

  // A value starts at pos; it counts as the enclosing one's next member from here.
  private Token value() throws Malformed {
    int c = peek();
    if (depth > 0) {
      state[depth - 1] = AFTER_VALUE;
    }
    switch (c) {
      case '{', '[' -> {
        pos++;
        open(c == '{');
        return c == '{' ? Token.START_OBJECT : Token.START_ARRAY;
      }
      case '"' -> {
        value = readString();
        return Token.VALUE_STRING;
      }
      case 't' -> {
        return literal("true", Token.VALUE_TRUE);
      }
      case 'f' -> {
        return literal("false", Token.VALUE_FALSE);
      }
      case 'n' -> {
        return literal("null", Token.VALUE_NULL);
      }
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw malformed(c < 0 ? "unexpected end" : "a value expected");
      }
    }
  }

  private void open(boolean object) throws Malformed {
    if (depth == MAX_DEPTH) {
      throw malformed("nested deeper than " + MAX_DEPTH);
    }
    if (depth == isObject.length) {
      isObject = Arrays.copyOf(isObject, depth * 2);
      state = Arrays.copyOf(state, depth * 2);
    }
    isObject[depth] = object;
    state[depth] = JUST_OPENED;
    depth++;
  }

  private Token literal(String word, Token token) throws Malformed {
    if (!text.startsWith(word, pos)) {
      throw malformed("a value expected");
    }
    pos += word.length();
    if (Character.isLetterOrDigit(peek())) {
      throw malformed("a value expected");
    }
    return token;
  }

  // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
  private Token number() throws Malformed {
    int start = pos;
    boolean whole = true;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (!digits()) {
      throw malformed("a digit expected");
    }
    if (peek() == '.') {
      pos++;
      whole = false;
      if (!digits()) {
        throw malformed("a digit expected");
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      whole = false;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!digits()) {
        throw malformed("a digit expected");
      }
    }
    int c = peek();
    if (Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '+') {
      throw malformed("not a number");
    }
    if (pos - start > MAX_NUMBER_LENGTH) {
      throw malformed("a number longer than " + MAX_NUMBER_LENGTH + " characters");
    }
    value = text.substring(start, pos);
    return whole ? Token.VALUE_NUMBER_INT : Token.VALUE_NUMBER_FLOAT;
  }

  private boolean digits() {
    int start = pos;
    while (peek() >= '0' && peek() <= '9') {
      pos++;
    }
    return pos > start;
  }

  private String readString() throws Malformed {
    pos++; // the opening quote
    StringBuilder s = null;
    int run = pos;
    while (true) {
      int c = peek();
      if (c < 0) {
        throw malformed("unexpected end in a string");
      }
      if (c == '"') {
        String done = s == null ? text.substring(run, pos) : s.append(text, run, pos).toString();
        pos++;
        return done;
      }
      if (c < 0x20) {
        throw malformed("a control character in a string");
      }
      if (c != '\\') {
        pos++;
        continue;
      }
      if (s == null) {
        s = new StringBuilder();
      }
      s.append(text, run, pos);
      pos++;
      int e = peek();
      pos++;
      switch (e) {
        case '"' -> s.append('"');
        case '\\' -> s.append('\\');
        case '/' -> s.append('/');
        case 'b' -> s.append('\b');
        case 'f' -> s.append('\f');
        case 'n' -> s.append('\n');
        case 'r' -> s.append('\r');
        case 't' -> s.append('\t');
        case 'u' -> s.append(hex4());
        default -> {
          pos--;
          throw malformed("an invalid escape in a string");
        }
      }
      run = pos;
    }
  }

  private char hex4() throws Malformed {
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int c = peek();
      int d =
          c >= '0' && c <= '9'
              ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) {
        throw malformed("four hex digits expected after \\u");
      }
      v = v * 16 + d;
      pos++;
    }
    return (char) v;
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '\n') {
        line++;
        lineStart = pos + 1;
      } else if (c == '\r') {
        // CR LF is one line end, as is a CR alone
        if (pos + 1 < text.length() && text.charAt(pos + 1) == '\n') {
          pos++;
        }
        line++;
        lineStart = pos + 1;
      } else if (c != ' ' && c != '\t') {
        return;
      }
      pos++;
    }
  }

  private int peek() {
    return pos < text.length() ? text.charAt(pos) : -1;
  }

  private void markToken() {
    tokenLine = line;
    tokenColumn = pos - lineStart + 1;
  }

  private Malformed malformed(String problem) {
    return new Malformed(problem, line, pos - lineStart + 1);
  }
}
