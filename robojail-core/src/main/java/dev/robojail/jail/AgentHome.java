package dev.robojail.jail;

import dev.robojail.sandbox.Mount;
import dev.robojail.sandbox.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The jail's own home ({@link JailLayout#home}) and what an agent profile puts in it: the user's
 * login copied in, the account data, the worktree's trust and the decision about the agent's own
 * sandbox, written in the jail's copy of the agent's settings; and the one thing that flows back to
 * the host: a credential the agent refreshed inside.
 *
 * <p>Everything here runs on the host, as the user, on a directory the jail wrote to, while nothing
 * runs in the jail (a session is started only after this, and the write-back runs after the jail's
 * PID 1, and with it every process of the jail, ended). Every path in the jail's home is therefore
 * walked one component at a time without following links; a link where robojail needs a directory
 * or a file is the jail's plant and is removed, never followed.
 */
final class AgentHome {
  /** The largest credential that flows back; real ones are a few hundred bytes. */
  static final int MAX_CREDENTIAL = 64 * 1024;

  /** The largest settings file of the jail robojail reads to add its keys. */
  private static final int MAX_SETTINGS = 4 * 1024 * 1024;

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  // In a holder: every run makes an AgentHome, and databind's start-up is paid only by agent jails.
  private static final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().build();
    static final JsonMapper STRICT =
        JsonMapper.builder()
            .enable(tools.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(tools.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
  }

  private final JailLayout layout;
  private final Path userHome;

  AgentHome(JailLayout layout, Path userHome) {
    this.layout = layout;
    this.userHome = userHome;
  }

  /** Makes the jail's home exist, a directory of its owner's alone (0700), and returns it. */
  Path ensure(JailName name) {
    Path home = layout.home(name);
    try {
      JailLayout.createPrivateDirectories(layout.homes());
      try {
        Files.createDirectory(home, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(home, LinkOption.NOFOLLOW_LINKS)) {
          throw new JailException(
              TerminalSafe.sanitizeLine("the jail's home " + home + " is not a directory"));
        }
      }
      Files.setPosixFilePermissions(home, OWNER_ONLY);
      return home;
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine("cannot make the jail's home " + home + ": " + e), e);
    }
  }

  /**
   * Puts the profile's login and settings into the jail's home, after a refreshed credential of the
   * last run (if any) flowed back: see {@link #sync}.
   */
  void prepare(JailState jail, AgentProfile profile) {
    Path home = ensure(jail.name());
    sync(jail, profile);
    try {
      if (!profile.accountFile().isEmpty() || profile.settings() == AgentProfile.Settings.CLAUDE) {
        claudeJson(home, profile, jail.worktree().toString());
      }
      if (profile.settings() == AgentProfile.Settings.CODEX) {
        codexConfig(home, profile, jail.worktree().toString());
      }
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine(
              "cannot prepare the " + profile.name() + " settings in " + home + ": " + e),
          e);
    }
  }

  /**
   * Brings each credential of the profile up to date on both sides, against the digest robojail
   * recorded when both last agreed ({@link JailLayout#loginRecord}):
   *
   * <ul>
   *   <li>the host has no such file: nothing flows either way (a login made inside stays in that
   *       jail's home);
   *   <li>only the jail's copy changed, and it is a credential (a plain file with one link, at most
   *       {@link #MAX_CREDENTIAL} bytes, a JSON object with the profile's key): the agent refreshed
   *       its token, and that key's value alone flows back into the host's file ({@link
   *       #refreshed}), by an atomic rename beside it;
   *   <li>otherwise the host's file is copied in: the host's login wins over anything else the jail
   *       left there.
   * </ul>
   *
   * @return the credentials that flowed back, as paths relative to the home
   */
  List<String> sync(JailState jail, AgentProfile profile) {
    if (profile.credentials().isEmpty()) {
      return List.of();
    }
    Path home = ensure(jail.name());
    Path recordFile = layout.loginRecord(jail.name());
    Properties record = readRecord(recordFile);
    List<String> back = new java.util.ArrayList<>();
    for (String credential : profile.credentials()) {
      Path hostFile = userHome.resolve(credential);
      byte[] host = readHost(hostFile, MAX_CREDENTIAL);
      if (host == null) {
        continue;
      }
      byte[] inside = readInside(home, credential);
      String last = record.getProperty(credential, "");
      String hostDigest = digest(host);
      try {
        byte[] refreshed =
            inside != null && !digest(inside).equals(last) && hostDigest.equals(last)
                ? refreshed(host, inside, profile.credentialKey())
                : null;
        if (refreshed != null) {
          writeBack(hostFile, refreshed);
          if (!Arrays.equals(refreshed, inside)) {
            // Both sides agree on what flowed, so the next run copies nothing either way.
            writeInside(home, credential, refreshed);
          }
          record.setProperty(credential, digest(refreshed));
          back.add(credential);
        } else if (inside == null || !Arrays.equals(host, inside)) {
          writeInside(home, credential, host);
          record.setProperty(credential, hostDigest);
        } else {
          record.setProperty(credential, hostDigest);
        }
      } catch (IOException e) {
        throw new JailException(
            TerminalSafe.sanitizeLine(
                "cannot bring the login ~/"
                    + credential
                    + " up to date for jail "
                    + jail.name()
                    + ": "
                    + e),
            e);
      }
    }
    writeRecord(recordFile, record);
    return List.copyOf(back);
  }

  // The user's own file, as the user's tools read it (a link the user made is followed).
  private static byte[] readHost(Path file, int max) {
    try {
      if (!Files.isRegularFile(file) || Files.size(file) > max) {
        return null;
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The bytes of {@code relative} in the jail's home, or null unless every component on the way is
   * a real directory and the file a plain one with no other link, of at most {@link
   * #MAX_CREDENTIAL} bytes. A hard link could make the host read (and send back) a file the jail
   * cannot otherwise name; a link on the way, a file the jail chose.
   */
  static byte[] readInside(Path home, String relative) {
    return readPlain(home, relative, MAX_CREDENTIAL);
  }

  /** {@link #readInside} with a limit of {@code max} bytes. */
  private static byte[] readPlain(Path home, String relative, int max) {
    Path file = home;
    List<String> parts = List.of(relative.split("/"));
    try {
      for (int i = 0; i < parts.size(); i++) {
        file = file.resolve(parts.get(i));
        BasicFileAttributes a =
            Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        boolean last = i == parts.size() - 1;
        if (last ? !a.isRegularFile() : !a.isDirectory()) {
          return null;
        }
      }
      if ((Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS) != 1) {
        return null;
      }
      try (SeekableByteChannel in =
          Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
        // Read to one byte past the limit: the size seen above may have changed since.
        ByteBuffer buf = ByteBuffer.allocate(max + 1);
        while (buf.hasRemaining() && in.read(buf) > 0) {
          // until the end, or one byte too many
        }
        if (buf.position() > max) {
          return null;
        }
        return Arrays.copyOf(buf.array(), buf.position());
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * What of the jail's copy flows back, or null for nothing: the host's own file with only the
   * credential's key ({@code key}) set to the jail's value, written anew, so that no other key the
   * jail added or changed (an API key of another account, MCP or hook settings, a duplicate key two
   * JSON parsers would read differently, bytes after the object) reaches the host. The value must
   * be an object where the host's is one (a refresh replaces a login, never adds one the host did
   * not have), and an {@code account_id} in it must be the host's: a refresh keeps the account.
   * With no key named, the jail's file may only give the host's own keys new values of the same
   * JSON type.
   */
  static byte[] refreshed(byte[] host, byte[] inside, String key) {
    ObjectNode mine = strictObject(host);
    ObjectNode theirs = strictObject(inside);
    if (mine == null || theirs == null) {
      return null;
    }
    ObjectNode merged = mine.deepCopy();
    if (key.isEmpty()) {
      for (String name : theirs.propertyNames()) {
        JsonNode was = mine.get(name);
        if (was == null || was.getNodeType() != theirs.get(name).getNodeType()) {
          return null;
        }
        merged.set(name, theirs.get(name));
      }
    } else {
      if (!(mine.get(key) instanceof ObjectNode was)
          || !(theirs.get(key) instanceof ObjectNode now)) {
        return null;
      }
      JsonNode account = was.get("account_id");
      if (account != null && !account.equals(now.get("account_id"))) {
        return null;
      }
      merged.set(key, now);
    }
    return Json.MAPPER.writeValueAsBytes(merged);
  }

  // One JSON object and nothing after it, without a key given twice.
  private static ObjectNode strictObject(byte[] bytes) {
    try {
      JsonNode node = Json.STRICT.readTree(bytes);
      return node instanceof ObjectNode o ? o : null;
    } catch (JacksonException e) {
      return null;
    }
  }

  // Beside the real file, then renamed over it: the host's tools read either the old or the new
  // login, never half of one. Private to the user, as the agents make it.
  private static void writeBack(Path hostFile, byte[] bytes) throws IOException {
    Path real = hostFile.toRealPath();
    Path temp = Files.createTempFile(real.getParent(), "." + real.getFileName(), ".robojail");
    try {
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        out.write(ByteBuffer.wrap(bytes));
        out.force(true);
      }
      Files.move(temp, real, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Writes {@code relative} in the jail's home, replacing whatever the jail left there. */
  static void writeInside(Path home, String relative, byte[] bytes) throws IOException {
    Path file = directories(home, relative);
    Path temp = Files.createTempFile(file.getParent(), ".robojail-", ".tmp");
    try {
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
      Files.write(temp, bytes);
      // A rename replaces a link or a file at the name itself, and follows nothing.
      if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
        JailFiles.deleteTreeQuietly(file);
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Makes the directories of {@code relative} below {@code home}, one at a time, removing a link or
   * a file the jail left where a directory belongs; returns the path of the last component.
   */
  static Path directories(Path home, String relative) throws IOException {
    Path dir = home;
    String[] parts = relative.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      dir = dir.resolve(parts[i]);
      directory(dir);
    }
    return dir.resolve(parts[parts.length - 1]);
  }

  private static void directory(Path dir) throws IOException {
    Optional<BasicFileAttributes> a = attributes(dir);
    if (a.isPresent() && a.get().isDirectory()) {
      return;
    }
    if (a.isPresent()) {
      // A link or a file where a directory belongs: the jail's, and in the way.
      Files.delete(dir);
    }
    Files.createDirectory(dir);
  }

  private static Optional<BasicFileAttributes> attributes(Path p) throws IOException {
    try {
      return Optional.of(
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Makes the mount points of the sandbox's mounts that lie inside the jail's home (a bind of a
   * host directory below {@code ~}, a hidden path's cover) in the home directory on the host,
   * without following a link the jail planted there: the setup program's {@code mkdirat} would
   * follow one in a parent, and make a directory wherever it points.
   */
  static void prepareMountPoints(Path home, String homeInside, Sandbox sandbox) {
    String prefix = homeInside.endsWith("/") ? homeInside : homeInside + "/";
    for (Mount m : sandbox.mounts()) {
      String target = m.target();
      if (!target.startsWith(prefix)) {
        continue;
      }
      String relative = Path.of(target.substring(prefix.length())).normalize().toString();
      if (relative.isEmpty() || relative.startsWith("..")) {
        continue;
      }
      boolean directory =
          switch (m) {
            case Mount.Bind b -> b.directory();
            case Mount.Cover c -> c.directory();
            case Mount.File _, Mount.Symlink _ -> false;
            default -> true;
          };
      try {
        Path point = directories(home, relative);
        Optional<BasicFileAttributes> a = attributes(point);
        if (a.isPresent() && a.get().isSymbolicLink()) {
          Files.delete(point);
          a = Optional.empty();
        }
        if (m instanceof Mount.Symlink) {
          continue;
        }
        if (a.isEmpty()) {
          if (directory) {
            Files.createDirectory(point);
          } else {
            Files.createFile(point);
          }
        }
      } catch (IOException e) {
        throw new JailException(
            TerminalSafe.sanitizeLine(
                "cannot make the mount point " + target + " in the jail's home " + home + ": " + e),
            e);
      }
    }
  }

  /**
   * The jail's {@code ~/.claude.json}: the account keys copied from the host's (so the agent knows
   * who is logged in), and the worktree trusted. The rest of the file is the jail's own state.
   */
  private void claudeJson(Path home, AgentProfile profile, String worktree) throws IOException {
    String name = profile.accountFile().isEmpty() ? ".claude.json" : profile.accountFile();
    ObjectNode mine = jsonObject(readSettings(home, name));
    if (!profile.accountFile().isEmpty()) {
      ObjectNode host = jsonObject(readHost(userHome.resolve(profile.accountFile()), MAX_SETTINGS));
      for (String key : profile.accountKeys()) {
        if (host.has(key)) {
          mine.set(key, host.get(key));
        }
      }
    }
    if (profile.settings() == AgentProfile.Settings.CLAUDE) {
      JsonNode projects = mine.get("projects");
      ObjectNode all = projects instanceof ObjectNode o ? o : mine.putObject("projects");
      JsonNode existing = all.get(worktree);
      ObjectNode project = existing instanceof ObjectNode o ? o : all.putObject(worktree);
      project.put("hasTrustDialogAccepted", true);
      project.put("hasCompletedProjectOnboarding", true);
    }
    writeInside(home, name, Json.MAPPER.writeValueAsBytes(mine));
  }

  /**
   * Refuses, in one line, a command that would start the agent's own sandbox, which cannot work in
   * a jail ({@link AgentProfile#OWN_SANDBOX_OFF}): left to run, Codex's and Claude Code's first
   * sandboxed command fails, and the agent reports the turn done. The agent is looked for in the
   * command and behind the usual wrappers ({@link AgentCommand}: {@code env}, {@code npx}, {@code
   * sh -c}…). Codex asks for it on its command line ({@code --sandbox}/{@code -s} or {@code -c
   * sandbox_mode=} other than {@code danger-full-access}, {@code --full-auto}); robojail writes
   * {@code danger-full-access} into the jail's own config. Claude Code's is off unless settings
   * turn it on: {@code --settings} (JSON or a file), which wins over the files, or else the
   * worktree's settings (the project's, which win over the jail's home) or the home's.
   *
   * @param worktree the jail's worktree, whose {@code .claude} settings Claude Code reads
   * @param home the jail's home, likewise
   * @param homeInside the home's path inside the jail, for a {@code --settings} file there
   * @throws InvalidInputException naming what asks for the sandbox and what to do instead
   */
  static void refuseOwnSandbox(
      AgentProfile profile, List<String> command, Path worktree, Path home, String homeInside) {
    for (List<String> argv : AgentCommand.candidates(command)) {
      if (!AgentProfiles.runs(profile, argv)) {
        continue;
      }
      List<String> args = argv.subList(1, argv.size());
      String asked =
          switch (profile.settings()) {
            case CODEX -> codexSandboxOption(args);
            case CLAUDE -> claudeSandbox(args, worktree, home, homeInside);
            case NONE -> null;
          };
      if (asked != null) {
        throw new InvalidInputException(
            TerminalSafe.sanitizeLine(
                profile.name()
                    + "'s own sandbox is asked for ("
                    + asked
                    + "), but "
                    + AgentProfile.OWN_SANDBOX_OFF
                    + (profile.settings() == AgentProfile.Settings.CODEX
                        ? ": leave the option out (the jail's ~/.codex/config.toml has"
                            + " sandbox_mode = \"danger-full-access\")"
                        : ": set sandbox.enabled to false there")));
      }
    }
  }

  /**
   * {@link #refuseOwnSandbox(AgentProfile, List, Path, Path, String)} with the home at its own
   * path.
   */
  static void refuseOwnSandbox(
      AgentProfile profile, List<String> command, Path worktree, Path home) {
    refuseOwnSandbox(profile, command, worktree, home, home.toString());
  }

  // Claude Code's --settings wins over its settings files; the last one given counts.
  private static String claudeSandbox(
      List<String> args, Path worktree, Path home, String homeInside) {
    String given = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--")) {
        break;
      }
      if (a.equals("--settings") && i + 1 < args.size()) {
        given = args.get(++i);
      } else if (a.startsWith("--settings=")) {
        given = a.substring("--settings=".length());
      }
    }
    if (given == null) {
      return claudeSandboxSetting(worktree, home);
    }
    String where;
    byte[] bytes;
    if (given.strip().startsWith("{")) {
      where = "sandbox.enabled in --settings";
      bytes = given.getBytes(StandardCharsets.UTF_8);
    } else {
      where = "sandbox.enabled in --settings " + given;
      Optional<byte[]> read = settingsFile(given, worktree, home, homeInside);
      if (read.isEmpty()) {
        throw new InvalidInputException(
            TerminalSafe.sanitizeLine(
                "--settings "
                    + given
                    + " cannot be checked for sandbox.enabled from outside the jail ("
                    + AgentProfile.OWN_SANDBOX_OFF
                    + "): pass the settings as JSON, or as a plain file in the worktree or the"
                    + " jail's home"));
      }
      bytes = read.get();
    }
    JsonNode enabled = jsonObject(bytes).path("sandbox").path("enabled");
    if (enabled.isBoolean()) {
      return enabled.asBoolean() ? where : null;
    }
    return claudeSandboxSetting(worktree, home);
  }

  /**
   * The bytes of a {@code --settings} file as Claude Code in the jail would read them: relative to
   * the worktree (the command's working directory), or below the worktree or the home inside. Empty
   * when robojail cannot see that file as the jail will: elsewhere in the jail's tree, or not a
   * plain file (a link the jail planted would be followed by the agent, not by this check), or
   * spelled with {@code ~} or a variable that a shell inside expands. A file that does not exist
   * reads as {@code {}}: Claude Code refuses it itself.
   */
  private static Optional<byte[]> settingsFile(
      String given, Path worktree, Path home, String homeInside) {
    if (given.startsWith("~") || given.contains("$")) {
      return Optional.empty(); // a shell's -c script expands it inside, robojail cannot
    }
    Path p;
    try {
      p = worktree.resolve(given).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      return Optional.of(new byte[0]);
    }
    Path root;
    Path inside = Path.of(homeInside);
    if (p.startsWith(worktree)) {
      root = worktree;
    } else if (p.startsWith(inside)) {
      root = home;
      p = home.resolve(inside.relativize(p).toString());
    } else {
      return Optional.empty();
    }
    if (p.equals(root)) {
      return Optional.of(new byte[0]);
    }
    String relative = root.relativize(p).toString();
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.of(new byte[0]);
    }
    return Optional.ofNullable(readPlain(root, relative, MAX_SETTINGS));
  }

  private static final String FULL_ACCESS = "danger-full-access";

  // The option of Codex's command line that picks a sandboxed mode, as Codex's parser reads it.
  private static String codexSandboxOption(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String next = i + 1 < args.size() ? args.get(i + 1) : "";
      if (a.equals("--")) {
        return null;
      }
      if (a.equals("--full-auto")) {
        return a;
      }
      String mode = null;
      String config = null;
      if (a.equals("-s") || a.equals("--sandbox")) {
        mode = next;
      } else if (a.startsWith("--sandbox=")) {
        mode = a.substring("--sandbox=".length());
      } else if (a.startsWith("-s") && !a.startsWith("--")) {
        mode = a.substring(2);
      } else if (a.equals("-c") || a.equals("--config")) {
        config = next;
      } else if (a.startsWith("--config=")) {
        config = a.substring("--config=".length());
      } else if (a.startsWith("-c") && !a.startsWith("--")) {
        config = a.substring(2);
      }
      if (config != null) {
        int eq = config.indexOf('=');
        if (eq > 0 && config.substring(0, eq).strip().equals("sandbox_mode")) {
          mode = config.substring(eq + 1).strip().replaceAll("^[\"']|[\"']$", "");
        }
      }
      if (mode != null && !mode.equals(FULL_ACCESS)) {
        return (config != null ? "-c " + config : "--sandbox " + mode);
      }
    }
    return null;
  }

  // The first of Claude Code's settings files that turns its sandbox on: {"sandbox":{"enabled":
  // true}}. Read as a credential is, without following a link the jail planted.
  private static String claudeSandboxSetting(Path worktree, Path home) {
    for (Map.Entry<Path, String> f :
        List.of(
            Map.entry(worktree, ".claude/settings.local.json"),
            Map.entry(worktree, ".claude/settings.json"),
            Map.entry(home, ".claude/settings.json"))) {
      byte[] bytes = readInside(f.getKey(), f.getValue());
      if (jsonObject(bytes).path("sandbox").path("enabled").asBoolean(false)) {
        return "sandbox.enabled in " + f.getKey().resolve(f.getValue());
      }
    }
    return null;
  }

  private static final Pattern SANDBOX_MODE =
      Pattern.compile("(?m)^[ \\t]*sandbox_mode[ \\t]*=.*$");

  /**
   * The jail's {@code ~/.codex/config.toml}: the worktree trusted, and its own sandbox off ({@code
   * sandbox_mode = "danger-full-access"}, {@link AgentProfile#OWN_SANDBOX_OFF}), which Codex then
   * reports instead of failing its first command. The rest is the jail's own configuration.
   */
  private static void codexConfig(Path home, AgentProfile profile, String worktree)
      throws IOException {
    byte[] existing = readSettings(home, ".codex/config.toml");
    String text = existing == null ? "" : new String(existing, StandardCharsets.UTF_8);
    // Top-level keys come before the first table; sandbox_mode is one.
    int firstTable = firstTableHeader(text);
    String top = text.substring(0, firstTable);
    String rest = text.substring(firstTable);
    String line =
        "sandbox_mode = \"danger-full-access\" # robojail is the sandbox (set by robojail)";
    Matcher m = SANDBOX_MODE.matcher(top);
    top = m.find() ? m.replaceAll(Matcher.quoteReplacement(line)) : line + "\n" + top;
    String header = "[projects." + tomlString(worktree) + "]";
    if (!rest.contains(header)) {
      rest =
          rest
              + (rest.isEmpty() || rest.endsWith("\n") ? "" : "\n")
              + header
              + "\ntrust_level = \"trusted\"\n";
    }
    writeInside(home, ".codex/config.toml", (top + rest).getBytes(StandardCharsets.UTF_8));
  }

  private static int firstTableHeader(String text) {
    Matcher m = Pattern.compile("(?m)^[ \\t]*\\[").matcher(text);
    return m.find() ? m.start() : text.length();
  }

  private static String tomlString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static ObjectNode jsonObject(byte[] bytes) {
    if (bytes != null) {
      try {
        JsonNode node = Json.MAPPER.readTree(bytes);
        if (node instanceof ObjectNode o) {
          return o;
        }
      } catch (JacksonException e) {
        // broken: started afresh, as the agent itself would
      }
    }
    return Json.MAPPER.createObjectNode();
  }

  // The jail's own settings file, read as the jail's credentials are: no links, one name, bounded.
  private static byte[] readSettings(Path home, String relative) throws IOException {
    Path file = directories(home, relative);
    Optional<BasicFileAttributes> a = attributes(file);
    if (a.isEmpty() || !a.get().isRegularFile() || a.get().size() > MAX_SETTINGS) {
      return null;
    }
    if ((Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS) != 1) {
      return null;
    }
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      return in.readNBytes(MAX_SETTINGS);
    }
  }

  private static String digest(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Properties readRecord(Path file) {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException e) {
      // none yet: the host's login wins, as on a first run
    }
    return p;
  }

  private static void writeRecord(Path file, Properties record) {
    try {
      JailLayout.createPrivateDirectories(file.getParent());
      Map<String, String> sorted = new java.util.TreeMap<>();
      record.stringPropertyNames().forEach(k -> sorted.put(k, record.getProperty(k)));
      StringBuilder text = new StringBuilder();
      sorted.forEach(
          (k, v) ->
              text.append(k.replace(":", "\\:").replace("=", "\\="))
                  .append('=')
                  .append(v)
                  .append('\n'));
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(temp, text);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine("cannot record the login digests in " + file + ": " + e), e);
    }
  }

  /** For the profile's variables: the host's value of each login variable that is set. */
  static Map<String, String> loginVariables(AgentProfile profile, Map<String, String> hostEnv) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : profile.loginEnv()) {
      String v = hostEnv.get(name);
      if (v != null) {
        out.put(name, v);
      }
    }
    return out;
  }
}
