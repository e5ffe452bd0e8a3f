package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * {@link JsonReader}, the state file's reader, held to jackson-core's parser (which read the file
 * before) as a property over seeded random documents and their mutations: both accept exactly the
 * same texts as one object or array, and give the same tokens with the same names, strings and
 * numbers.
 */
class JsonReaderTest {
  private static final JsonFactory JACKSON = new JsonFactory();

  static LongStream seeds() {
    return LongStream.range(0, 300);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void acceptsAndReadsWhatJacksonDoes(long seed) {
    Random r = new Random(seed);
    StringBuilder doc = new StringBuilder();
    container(r, doc, 0);
    String text = doc.toString();
    assertEquals(jackson(text), mine(text), text);
    // and every mutation of it: a character dropped, doubled or put in
    for (int i = 0; i < 40; i++) {
      String mutated = mutate(r, text);
      assertEquals(jackson(mutated), mine(mutated), mutated);
    }
  }

  @Test
  void edgesOfTheGrammarAgreeWithJackson() {
    for (String text :
        List.of(
            "{}",
            "[]",
            " \t\r\n{ } \r\n",
            "\uFEFF{}",
            "{\"a\":1}{}",
            "{\"a\":01}",
            "{\"a\":-0}",
            "{\"a\":-}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":1e5}",
            "{\"a\":1E+5}",
            "{\"a\":1e-5}",
            "{\"a\":+1}",
            "{\"a\":99999999999999999999999}",
            "{\"a\":NaN}",
            "{\"a\":tru}",
            "{\"a\":truex}",
            "{\"a\":nul}",
            "{\"a\":\"\\u00e9\\uD83D\\uDE00\\ud800\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\'\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\u12G4\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"\u0001\"}",
            "{\"a\":\"\u007f\u0080\"}",
            "{\"a\":1,}",
            "[1,]",
            "[,1]",
            "{,}",
            "{\"a\"}",
            "{\"a\" 1}",
            "{'a':1}",
            "{a:1}",
            "{\"a\":1 \"b\":2}",
            "[1 2]",
            "{\"a\":[}",
            "{\"a\":1]",
            "[{]}",
            "{\"a\":/*x*/1}",
            "{\"a\":1}\u0000",
            "{\"a\":1}\u00a0",
            "{\"a\":\"x\"",
            "{\"a\":\"x",
            "{\"a\"",
            "{")) {
      assertEquals(jackson(text), mine(text), text);
    }
  }

  @Test
  void jacksonsLimitsHoldToo() {
    for (int depth : new int[] {499, 500, 501, 100_000}) {
      String deep = "[".repeat(depth) + "]".repeat(depth);
      assertEquals(jackson(deep), mine(deep), "depth " + depth);
    }
    for (int length : new int[] {1000, 1001}) {
      String number = "[" + "7".repeat(length) + "]";
      assertEquals(jackson(number), mine(number), "number of " + length);
    }
    for (int length : new int[] {50_000, 50_001}) {
      String name = "{\"" + "n".repeat(length) + "\": 1}";
      assertEquals(jackson(name), mine(name), "name of " + length);
    }
  }

  @Test
  void bytesThatAreNotUtf8AreMalformed() {
    byte[] bytes = {'{', '"', 'a', '"', ':', '"', (byte) 0xc3, '"', '}'};
    assertThrows(JsonReader.Malformed.class, () -> all(new JsonReader(bytes)));
    assertEquals("rejected", jackson(bytes));
  }

  @Test
  void aProblemIsPlacedAtItsLineAndColumn() {
    JsonReader.Malformed e =
        assertThrows(
            JsonReader.Malformed.class,
            () -> all(reader("{\n  \"version\": 1,\r\n  \"jails\": {\n    \"a\" 1")));
    assertEquals(List.of(4, 9), List.of(e.line(), e.column()));
    e = assertThrows(JsonReader.Malformed.class, () -> all(reader("{\"a\": [1, 2,\n ]}")));
    assertEquals(List.of(2, 2), List.of(e.line(), e.column()));
    e = assertThrows(JsonReader.Malformed.class, () -> intOf("{\"a\": 3000000000}"));
    assertEquals(List.of(1, 7), List.of(e.line(), e.column()));
  }

  @Test
  void skipChildrenSkipsAWholeValue() throws Exception {
    JsonReader p = reader("{\"x\": {\"y\": [1, {\"z\": []}], \"w\": null}, \"v\": true}");
    p.next();
    p.next();
    assertEquals(JsonReader.Token.START_OBJECT, p.next());
    p.skipChildren();
    assertEquals(JsonReader.Token.END_OBJECT, p.current());
    assertEquals(JsonReader.Token.PROPERTY_NAME, p.next());
    assertEquals("v", p.name());
    assertEquals(JsonReader.Token.VALUE_TRUE, p.next());
  }

  private static void intOf(String text) throws JsonReader.Malformed {
    JsonReader p = reader(text);
    p.next();
    p.next();
    p.next();
    p.intValue();
  }

  private static void all(JsonReader p) throws JsonReader.Malformed {
    while (p.next() != null) {
      // read on
    }
  }

  private static JsonReader reader(String text) {
    try {
      return new JsonReader(text.getBytes(StandardCharsets.UTF_8));
    } catch (JsonReader.Malformed e) {
      throw new AssertionError(e);
    }
  }

  // The tokens of a text that is one object or array and nothing after it but white space, as
  // "TOKEN value" lines; otherwise "rejected".
  private static String mine(String text) {
    List<String> tokens = new ArrayList<>();
    try {
      JsonReader p = new JsonReader(text.getBytes(StandardCharsets.UTF_8));
      JsonReader.Token t = p.next();
      if (t != JsonReader.Token.START_OBJECT && t != JsonReader.Token.START_ARRAY) {
        return "rejected";
      }
      for (int depth = 0; ; t = p.next()) {
        tokens.add(
            t
                + switch (t) {
                  case PROPERTY_NAME, VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT ->
                      " " + p.string();
                  default -> "";
                });
        depth +=
            t == JsonReader.Token.START_OBJECT || t == JsonReader.Token.START_ARRAY
                ? 1
                : t == JsonReader.Token.END_OBJECT || t == JsonReader.Token.END_ARRAY ? -1 : 0;
        if (depth == 0) {
          break;
        }
      }
      return p.next() == null ? String.join("\n", tokens) : "rejected";
    } catch (JsonReader.Malformed e) {
      return "rejected";
    }
  }

  private static String jackson(String text) {
    return jackson(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String jackson(byte[] bytes) {
    List<String> tokens = new ArrayList<>();
    try (JsonParser p = JACKSON.createParser(ObjectReadContext.empty(), bytes)) {
      JsonToken t = p.nextToken();
      if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
        return "rejected";
      }
      for (int depth = 0; ; t = p.nextToken()) {
        tokens.add(
            t.name()
                + switch (t) {
                  case PROPERTY_NAME -> " " + p.currentName();
                  case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> " " + p.getString();
                  default -> "";
                });
        depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
        if (depth == 0) {
          break;
        }
      }
      return p.nextToken() == null ? String.join("\n", tokens) : "rejected";
    } catch (JacksonException e) {
      return "rejected";
    }
  }

  // --- documents as a state file has them, and worse -------------------------------------------

  private static final String[] SPACE = {"", " ", "\n", "\r\n", "\t", "  \n  "};

  private static void container(Random r, StringBuilder s, int depth) {
    boolean object = r.nextInt(3) > 0;
    s.append(object ? '{' : '[').append(SPACE[r.nextInt(SPACE.length)]);
    int n = depth > 4 ? 0 : r.nextInt(5);
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        s.append(SPACE[r.nextInt(SPACE.length)]).append(',').append(SPACE[r.nextInt(3)]);
      }
      if (object) {
        string(r, s);
        s.append(SPACE[r.nextInt(3)]).append(':').append(SPACE[r.nextInt(3)]);
      }
      value(r, s, depth);
    }
    s.append(SPACE[r.nextInt(SPACE.length)]).append(object ? '}' : ']');
  }

  private static void value(Random r, StringBuilder s, int depth) {
    switch (r.nextInt(8)) {
      case 0, 1 -> container(r, s, depth + 1);
      case 2, 3 -> string(r, s);
      case 4 -> s.append(r.nextLong(-1L << 40, 1L << 40));
      case 5 ->
          s.append(
              List.of("0", "-0", "1.5", "-2.25e10", "3E-2", "9223372036854775808", "1e+3")
                  .get(r.nextInt(7)));
      default -> s.append(List.of("true", "false", "null").get(r.nextInt(3)));
    }
  }

  private static final String[] PIECES = {
    "a",
    "Z",
    "0",
    "é",
    "日",
    "\uD83D\uDE00",
    " ",
    "'",
    "/",
    "\\\"",
    "\\\\",
    "\\/",
    "\\n",
    "\\t",
    "\\u00e9",
    "\\uD83D\\uDE00",
    "\\b",
    "\\f",
    "\\r",
    "{",
    "]",
    ":",
    ","
  };

  private static void string(Random r, StringBuilder s) {
    s.append('"');
    for (int i = r.nextInt(6); i > 0; i--) {
      s.append(PIECES[r.nextInt(PIECES.length)]);
    }
    s.append('"');
  }

  private static final String MUTATIONS = "{}[]:,\"\\ \n\r\t0123456789.eE+-atfnulrsx\u0001\u00a0é";

  private static String mutate(Random r, String text) {
    int at = r.nextInt(text.length());
    if (Character.isLowSurrogate(text.charAt(at)) && at > 0) {
      at--;
    }
    int width = Character.isHighSurrogate(text.charAt(at)) ? 2 : 1;
    String c = String.valueOf(MUTATIONS.charAt(r.nextInt(MUTATIONS.length())));
    return switch (r.nextInt(4)) {
      case 0 -> text.substring(0, at) + text.substring(at + width);
      case 1 -> text.substring(0, at + width) + text.substring(at);
      case 2 -> text.substring(0, at) + c + text.substring(at);
      default -> text.substring(0, at) + c + text.substring(at + width);
    };
  }
}
