package dev.robojail.jail;

import dev.robojail.jail.JsonReader.Token;
import java.io.ByteArrayOutputStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.PrettyPrinter;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.DefaultPrettyPrinter;

/**
 * The JSON form of the state file. Paths and instants are written as plain strings so that the file
 * stays readable and editable by hand; the format has a version number so that a later robojail can
 * tell an old file from a corrupt one.
 *
 * <p>Written with jackson-core's streaming generator, not databind: databind's first use (building
 * its mapper, introspecting records) was most of {@code robojail list}'s start-up. Read with {@link
 * JsonReader}, which every command does, since any jackson-core parser costs a start {@code
 * BigDecimal}'s class initialiser (see there).
 */
final class StateCodec {
  static final int VERSION = 1;

  private StateCodec() {}

  /** The file could be parsed as JSON but does not describe jails, or could not be parsed. */
  static final class CorruptException extends Exception {
    private static final long serialVersionUID = 1L;

    CorruptException(String message) {
      super(message, null, false, false);
    }
  }

  record StoredFile(int version, Map<String, StoredJail> jails) {}

  record StoredJail(
      String repo,
      String branch,
      String baseCommit,
      String worktree,
      String gitDir,
      String created,
      List<String> entrypoint,
      String phase,
      StoredSupervisor owner,
      // Written by robojail before session records (SessionRecords): read, never written.
      List<StoredSupervisor> sessions,
      // Written by robojail before the lifecycle: a single session.
      StoredSupervisor supervisor,
      // Absent before agent profiles: none.
      String agent,
      // Absent for a jail that follows the configuration.
      StoredNetwork network) {}

  record StoredNetwork(String mode, List<String> allow, List<Integer> hostPorts) {}

  record StoredSupervisor(long pid, long startTime, String bootId) {}

  // Made when a state is written: a command that only reads it loads none of jackson-core.
  private static ObjectWriteContext indented() {
    return new ObjectWriteContext.Base() {
      @Override
      public PrettyPrinter getPrettyPrinter() {
        return new DefaultPrettyPrinter();
      }

      @Override
      public boolean hasPrettyPrinter() {
        return true;
      }
    };
  }

  static byte[] encode(Map<JailName, JailState> jails) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = new JsonFactory().createGenerator(indented(), out)) {
      g.writeStartObject();
      g.writeNumberProperty("version", VERSION);
      g.writeName("jails");
      g.writeStartObject();
      for (JailState s : new TreeMap<>(jails).values()) {
        g.writeName(s.name().value());
        g.writeStartObject();
        g.writeStringProperty("repo", s.repo().toString());
        g.writeStringProperty("branch", s.branch());
        g.writeStringProperty("baseCommit", s.baseCommit());
        g.writeStringProperty("worktree", s.worktree().toString());
        g.writeStringProperty("gitDir", s.gitDir().toString());
        g.writeStringProperty("created", s.created().toString());
        g.writeName("entrypoint");
        g.writeStartArray();
        for (String arg : s.entrypoint()) {
          g.writeString(arg);
        }
        g.writeEndArray();
        g.writeStringProperty("phase", s.phase().name());
        g.writeName("owner");
        write(g, s.owner());
        if (!s.agent().isEmpty()) {
          g.writeStringProperty("agent", s.agent());
        }
        if (!s.network().equals(JailNetwork.CONFIG)) {
          g.writeName("network");
          write(g, s.network());
        }
        g.writeEndObject();
      }
      g.writeEndObject();
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator g, Supervisor s) {
    if (s == null) {
      g.writeNull();
      return;
    }
    g.writeStartObject();
    g.writeNumberProperty("pid", s.pid());
    g.writeNumberProperty("startTime", s.startTime());
    g.writeStringProperty("bootId", s.bootId());
    g.writeEndObject();
  }

  private static void write(JsonGenerator g, JailNetwork n) {
    g.writeStartObject();
    g.writeStringProperty("mode", n.mode() == null ? null : n.mode().key());
    g.writeName("allow");
    g.writeStartArray();
    for (String entry : n.allow()) {
      g.writeString(entry);
    }
    g.writeEndArray();
    g.writeName("hostPorts");
    g.writeStartArray();
    for (int port : n.hostPorts()) {
      g.writeNumber(port);
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  // The state file is the user's, but checked as strictly as config: its entries reach the proxy.
  private static JailNetwork network(String where, StoredNetwork n) throws CorruptException {
    if (n == null) {
      return JailNetwork.CONFIG;
    }
    Config.NetworkMode mode = null;
    if (n.mode() != null) {
      try {
        mode = Config.NetworkMode.valueOf(n.mode().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new CorruptException(where + " has an unknown network mode");
      }
    }
    try {
      return new JailNetwork(
          mode,
          n.allow() == null ? List.of() : n.allow(),
          n.hostPorts() == null ? List.of() : n.hostPorts());
    } catch (InvalidInputException e) {
      throw new CorruptException(where + " has an " + e.getMessage());
    }
  }

  // --- reading: the shapes of the records above; a field this version does not know is skipped,
  // so that a later version's additions do not make this one call the file corrupt. ------------

  private static StoredFile readFile(JsonReader p) throws CorruptException, JsonReader.Malformed {
    Token first = p.next();
    if (first == null || first == Token.VALUE_NULL) {
      return null;
    }
    expect(p, Token.START_OBJECT);
    int version = 0;
    Map<String, StoredJail> jails = null;
    while (p.next() == Token.PROPERTY_NAME) {
      String field = p.name();
      p.next();
      switch (field) {
        case "version" -> version = intValue(p);
        case "jails" -> {
          if (p.current() != Token.VALUE_NULL) {
            expect(p, Token.START_OBJECT);
            jails = new LinkedHashMap<>();
            while (p.next() == Token.PROPERTY_NAME) {
              String name = p.name();
              p.next();
              jails.put(name, readJail(p));
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    if (p.next() != null) {
      throw new CorruptException("it is not valid JSON (" + where(p) + "more after the end)");
    }
    return new StoredFile(version, jails);
  }

  private static StoredJail readJail(JsonReader p) throws CorruptException, JsonReader.Malformed {
    if (p.current() == Token.VALUE_NULL) {
      return null;
    }
    expect(p, Token.START_OBJECT);
    String repo = null, branch = null, baseCommit = null, worktree = null, gitDir = null;
    String created = null, phase = null;
    List<String> entrypoint = null;
    StoredSupervisor owner = null, supervisor = null;
    List<StoredSupervisor> sessions = null;
    String agent = null;
    StoredNetwork network = null;
    while (p.next() == Token.PROPERTY_NAME) {
      String field = p.name();
      p.next();
      switch (field) {
        case "repo" -> repo = string(p);
        case "branch" -> branch = string(p);
        case "baseCommit" -> baseCommit = string(p);
        case "worktree" -> worktree = string(p);
        case "gitDir" -> gitDir = string(p);
        case "created" -> created = string(p);
        case "phase" -> phase = string(p);
        case "entrypoint" -> entrypoint = strings(p);
        case "owner" -> owner = readSupervisor(p);
        case "supervisor" -> supervisor = readSupervisor(p);
        case "agent" -> agent = string(p);
        case "network" -> network = readNetwork(p);
        case "sessions" -> {
          if (p.current() != Token.VALUE_NULL) {
            expect(p, Token.START_ARRAY);
            sessions = new ArrayList<>();
            while (p.next() != Token.END_ARRAY) {
              sessions.add(readSupervisor(p));
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    return new StoredJail(
        repo,
        branch,
        baseCommit,
        worktree,
        gitDir,
        created,
        entrypoint,
        phase,
        owner,
        sessions,
        supervisor,
        agent,
        network);
  }

  private static StoredNetwork readNetwork(JsonReader p)
      throws CorruptException, JsonReader.Malformed {
    if (p.current() == Token.VALUE_NULL) {
      return null;
    }
    expect(p, Token.START_OBJECT);
    String mode = null;
    List<String> allow = null;
    List<Integer> hostPorts = null;
    while (p.next() == Token.PROPERTY_NAME) {
      String field = p.name();
      p.next();
      switch (field) {
        case "mode" -> mode = string(p);
        case "allow" -> allow = strings(p);
        case "hostPorts" -> {
          if (p.current() != Token.VALUE_NULL) {
            expect(p, Token.START_ARRAY);
            hostPorts = new ArrayList<>();
            while (p.next() != Token.END_ARRAY) {
              hostPorts.add(intValue(p));
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    return new StoredNetwork(mode, allow, hostPorts);
  }

  private static StoredSupervisor readSupervisor(JsonReader p)
      throws CorruptException, JsonReader.Malformed {
    if (p.current() == Token.VALUE_NULL) {
      return null;
    }
    expect(p, Token.START_OBJECT);
    long pid = 0;
    long startTime = 0;
    String bootId = null;
    while (p.next() == Token.PROPERTY_NAME) {
      String field = p.name();
      p.next();
      switch (field) {
        case "pid" -> pid = longValue(p);
        case "startTime" -> startTime = longValue(p);
        case "bootId" -> bootId = string(p);
        default -> p.skipChildren();
      }
    }
    return new StoredSupervisor(pid, startTime, bootId);
  }

  private static List<String> strings(JsonReader p) throws CorruptException, JsonReader.Malformed {
    if (p.current() == Token.VALUE_NULL) {
      return null;
    }
    expect(p, Token.START_ARRAY);
    List<String> values = new ArrayList<>();
    while (p.next() != Token.END_ARRAY) {
      values.add(string(p));
    }
    return values;
  }

  private static String string(JsonReader p) throws CorruptException, JsonReader.Malformed {
    return switch (p.current()) {
      case VALUE_NULL -> null;
      case VALUE_STRING -> p.string();
      default -> throw mismatch(p, "a string");
    };
  }

  private static int intValue(JsonReader p) throws CorruptException, JsonReader.Malformed {
    if (p.current() != Token.VALUE_NUMBER_INT) {
      throw mismatch(p, "a whole number");
    }
    return p.intValue();
  }

  private static long longValue(JsonReader p) throws CorruptException, JsonReader.Malformed {
    if (p.current() != Token.VALUE_NUMBER_INT) {
      throw mismatch(p, "a whole number");
    }
    return p.longValue();
  }

  private static void expect(JsonReader p, Token token)
      throws CorruptException, JsonReader.Malformed {
    if (p.current() != token) {
      throw mismatch(p, token == Token.START_OBJECT ? "an object" : "an array");
    }
  }

  private static CorruptException mismatch(JsonReader p, String expected) {
    return new CorruptException("it is not a state file (" + where(p) + expected + " expected)");
  }

  private static String where(JsonReader p) {
    return "line " + p.line() + ", column " + p.column() + ": ";
  }

  static SortedMap<JailName, JailState> decode(byte[] bytes) throws CorruptException {
    SortedMap<JailName, JailState> result = new TreeMap<>();
    // robojail never writes an empty file: one is a truncated write, or someone's mistake, and
    // reading it as "no jails" would make every jail on disk unreachable.
    if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      throw new CorruptException("it is empty");
    }
    StoredFile file;
    try {
      file = readFile(new JsonReader(bytes));
    } catch (JsonReader.Malformed e) {
      throw new CorruptException(
          "it is not valid JSON (line " + e.line() + ", column " + e.column() + ")");
    }
    if (file == null) {
      throw new CorruptException("it holds no JSON object");
    }
    if (file.version() != VERSION) {
      throw new CorruptException(
          "its version is " + file.version() + ", this robojail understands " + VERSION);
    }
    if (file.jails() == null) {
      return result;
    }
    for (Map.Entry<String, StoredJail> e : file.jails().entrySet()) {
      JailName name;
      try {
        name = JailName.of(e.getKey());
      } catch (InvalidJailNameException x) {
        throw new CorruptException(x.getMessage());
      }
      result.put(name, jail(name, e.getValue()));
    }
    return result;
  }

  private static JailState jail(JailName name, StoredJail j) throws CorruptException {
    String where = "jail \"" + name + "\"";
    if (j == null) {
      throw new CorruptException(where + " is null");
    }
    try {
      JailState.Phase phase = phase(where, j.phase());
      Supervisor owner = supervisor(where, j.owner());
      List<Supervisor> sessions = new ArrayList<>();
      if (j.sessions() != null) {
        for (StoredSupervisor s : j.sessions()) {
          sessions.add(supervisor(where, s));
        }
      }
      if (j.supervisor() != null) {
        sessions.add(supervisor(where, j.supervisor()));
      }
      if ((phase == JailState.Phase.READY) != (owner == null)) {
        throw new CorruptException(where + " is " + phase + " with an owner that does not fit");
      }
      return new JailState(
          name,
          path(where, "repo", j.repo()),
          required(where, "branch", j.branch()),
          objectId(where, "baseCommit", j.baseCommit()),
          path(where, "worktree", j.worktree()),
          path(where, "gitDir", j.gitDir()),
          instant(required(where, "created", j.created())),
          j.entrypoint() == null ? List.of() : j.entrypoint(),
          phase,
          owner,
          sessions,
          agent(where, j.agent()),
          network(where, j.network()));
    } catch (DateTimeParseException e) {
      throw new CorruptException(where + " has an invalid \"created\" time");
    } catch (NullPointerException e) {
      // List.copyOf of an entrypoint with a null element.
      throw new CorruptException(where + " has a null in \"entrypoint\"");
    }
  }

  /**
   * {@link Instant#parse}, without its {@code DateTimeFormatter} (whose classes cost every command
   * that reads the state about 2 ms of CPU) for the one form robojail writes, {@link
   * Instant#toString}'s {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z}; any other text, or a field out of
   * range, goes to {@link Instant#parse}, so that both accept and refuse the same texts.
   */
  static Instant instant(String text) {
    int n = text.length();
    if (n >= 20
        && n <= 30
        && n != 21
        && text.charAt(4) == '-'
        && text.charAt(7) == '-'
        && text.charAt(10) == 'T'
        && text.charAt(13) == ':'
        && text.charAt(16) == ':'
        && (n == 20 || text.charAt(19) == '.')
        && text.charAt(n - 1) == 'Z') {
      int year = digits(text, 0, 4);
      int month = digits(text, 5, 7);
      int day = digits(text, 8, 10);
      int hour = digits(text, 11, 13);
      int minute = digits(text, 14, 16);
      int second = digits(text, 17, 19);
      int nanos = n == 20 ? 0 : digits(text, 20, n - 1);
      for (int i = n - 1; i < 29 && nanos >= 0; i++) {
        nanos *= 10;
      }
      if (year >= 0
          && month >= 1
          && month <= 12
          && day >= 1
          && day <= daysIn(year, month)
          && hour >= 0
          && hour <= 23
          && minute >= 0
          && minute <= 59
          && second >= 0
          && second <= 59
          && nanos >= 0) {
        return Instant.ofEpochSecond(
            epochDay(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second, nanos);
      }
    }
    return Instant.parse(text);
  }

  // By arithmetic: LocalDate's leap-year test initialises java.time.Year, whose parser is a
  // DateTimeFormatter.
  private static int daysIn(int year, int month) {
    boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return month == 2
        ? (leap ? 29 : 28)
        : month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
  }

  // Days from 1970-01-01 to a proleptic Gregorian date of a year from 0 (H. Hinnant's
  // days_from_civil).
  private static long epochDay(int year, int month, int day) {
    int y = month <= 2 ? year - 1 : year;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yearOfEra = y - era * 400;
    int dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return era * 146_097L + dayOfEra - 719_468;
  }

  // The decimal number text[from, to) spells, or -1 if it is not all ASCII digits.
  private static int digits(String text, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  // A profile's name is looked up, never run or used as a path; still only names a profile can
  // have.
  private static String agent(String where, String value) throws CorruptException {
    if (value == null || value.isEmpty()) {
      return "";
    }
    if (!AgentProfiles.NAME.matcher(value).matches()) {
      throw new CorruptException(where + " has an invalid \"agent\"");
    }
    return value;
  }

  private static JailState.Phase phase(String where, String value) throws CorruptException {
    if (value == null) {
      return JailState.Phase.READY;
    }
    try {
      return JailState.Phase.valueOf(value);
    } catch (IllegalArgumentException e) {
      throw new CorruptException(where + " has an unknown \"phase\"");
    }
  }

  private static Supervisor supervisor(String where, StoredSupervisor s) throws CorruptException {
    if (s == null) {
      return null;
    }
    return new Supervisor(s.pid(), s.startTime(), required(where, "bootId", s.bootId()));
  }

  private static String required(String where, String field, String value) throws CorruptException {
    if (value == null) {
      throw new CorruptException(where + " has no \"" + field + "\"");
    }
    return value;
  }

  // The base commit reaches git's command line on the host (diff, rev-list): anything but an
  // object id, such as an option a hand-edited or planted state file slipped in, is corruption.
  private static String objectId(String where, String field, String value) throws CorruptException {
    String id = required(where, field, value);
    if (!id.matches("[0-9a-f]{40}|[0-9a-f]{64}")) {
      throw new CorruptException(where + " has an invalid \"" + field + "\"");
    }
    return id;
  }

  private static Path path(String where, String field, String value) throws CorruptException {
    try {
      Path path = Path.of(required(where, field, value));
      if (!path.isAbsolute()) {
        throw new CorruptException(where + " has a relative \"" + field + "\"");
      }
      return path;
    } catch (InvalidPathException e) {
      throw new CorruptException(where + " has an invalid \"" + field + "\"");
    }
  }
}
