package dev.robojail.jail;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JSON form of the state file. Paths and instants are written as plain strings so that the file
 * stays readable and editable by hand; the format has a version number so that a later robojail can
 * tell an old file from a corrupt one.
 */
final class StateCodec {
  static final int VERSION = 1;

  // Fields added by a later version must not make this version call the file corrupt.
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();

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
      StoredSupervisor supervisor) {}

  record StoredSupervisor(long pid, long startTime, String bootId) {}

  static byte[] encode(Map<JailName, JailState> jails) {
    Map<String, StoredJail> stored = new LinkedHashMap<>();
    for (JailState s : new TreeMap<>(jails).values()) {
      Supervisor sup = s.supervisor();
      stored.put(
          s.name().value(),
          new StoredJail(
              s.repo().toString(),
              s.branch(),
              s.baseCommit(),
              s.worktree().toString(),
              s.gitDir().toString(),
              s.created().toString(),
              s.entrypoint(),
              sup == null ? null : new StoredSupervisor(sup.pid(), sup.startTime(), sup.bootId())));
    }
    return JSON.writeValueAsBytes(new StoredFile(VERSION, stored));
  }

  static SortedMap<JailName, JailState> decode(byte[] bytes) throws CorruptException {
    SortedMap<JailName, JailState> result = new TreeMap<>();
    if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      return result;
    }
    StoredFile file;
    try {
      file = JSON.readValue(bytes, StoredFile.class);
    } catch (JacksonException e) {
      throw new CorruptException(describe(e));
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
    StoredSupervisor sup = j.supervisor();
    try {
      return new JailState(
          name,
          path(where, "repo", j.repo()),
          required(where, "branch", j.branch()),
          required(where, "baseCommit", j.baseCommit()),
          path(where, "worktree", j.worktree()),
          path(where, "gitDir", j.gitDir()),
          Instant.parse(required(where, "created", j.created())),
          j.entrypoint() == null ? List.of() : j.entrypoint(),
          sup == null
              ? null
              : new Supervisor(
                  sup.pid(), sup.startTime(), required(where, "bootId", sup.bootId())));
    } catch (DateTimeParseException e) {
      throw new CorruptException(where + " has an invalid \"created\" time");
    } catch (NullPointerException e) {
      // List.copyOf of an entrypoint with a null element.
      throw new CorruptException(where + " has a null in \"entrypoint\"");
    }
  }

  private static String required(String where, String field, String value) throws CorruptException {
    if (value == null) {
      throw new CorruptException(where + " has no \"" + field + "\"");
    }
    return value;
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

  private static String describe(JacksonException e) {
    String message = e.getOriginalMessage();
    String first =
        message == null ? "invalid JSON" : message.lines().findFirst().orElse("").strip();
    TokenStreamLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      first += " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
    return TerminalSafe.sanitizeLine(first);
  }
}
