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
import tools.jackson.core.exc.StreamReadException;
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
      String phase,
      StoredSupervisor owner,
      List<StoredSupervisor> sessions,
      // Written by robojail before the lifecycle: a single session.
      StoredSupervisor supervisor,
      // Absent before agent profiles: none.
      String agent,
      // Absent for a jail that follows the configuration.
      StoredNetwork network) {}

  record StoredNetwork(String mode, List<String> allow, List<Integer> hostPorts) {}

  record StoredSupervisor(long pid, long startTime, String bootId) {}

  static byte[] encode(Map<JailName, JailState> jails) {
    Map<String, StoredJail> stored = new LinkedHashMap<>();
    for (JailState s : new TreeMap<>(jails).values()) {
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
              s.phase().name(),
              stored(s.owner()),
              s.sessions().stream().map(StateCodec::stored).toList(),
              null,
              s.agent().isEmpty() ? null : s.agent(),
              stored(s.network())));
    }
    return JSON.writeValueAsBytes(new StoredFile(VERSION, stored));
  }

  private static StoredNetwork stored(JailNetwork n) {
    return n.equals(JailNetwork.CONFIG)
        ? null
        : new StoredNetwork(n.mode() == null ? null : n.mode().key(), n.allow(), n.hostPorts());
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

  private static StoredSupervisor stored(Supervisor s) {
    return s == null ? null : new StoredSupervisor(s.pid(), s.startTime(), s.bootId());
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
    try {
      JailState.Phase phase = phase(where, j.phase());
      Supervisor owner = supervisor(where, j.owner());
      List<Supervisor> sessions = new java.util.ArrayList<>();
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
          Instant.parse(required(where, "created", j.created())),
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

  // The JSON library's own words name its classes and tokens; the user needs to know where.
  private static String describe(JacksonException e) {
    String first =
        e instanceof StreamReadException ? "it is not valid JSON" : "it is not a state file";
    TokenStreamLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      first += " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
    return first;
  }
}
