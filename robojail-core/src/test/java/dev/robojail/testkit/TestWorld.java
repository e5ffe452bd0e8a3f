package dev.robojail.testkit;

import dev.robojail.jail.Dirs;
import dev.robojail.jail.Jails;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A user's world in a temporary directory: a HOME, robojail's XDG state, config and data
 * directories, and its config file, for tests of the library ({@link #jails()}) and of the command
 * line (as a process, with {@link #env()}). Nothing of the real user's setup is read.
 *
 * <p>Layout under the root: {@code home/}, {@code xdg/state}, {@code xdg/config}, {@code xdg/data};
 * repositories made with {@link #repo} go next to them.
 */
public final class TestWorld {
  private final Path root;
  private final Path home;

  private TestWorld(Path root, Path home) {
    this.root = root;
    this.home = home;
  }

  /**
   * A world under {@code tmp} (a JUnit {@code @TempDir}). {@code tmp} is made world-writable: the
   * namespace tests run again as nobody, and a jail's files are made by the jail's own processes.
   */
  public static TestWorld in(Path tmp) {
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      return new TestWorld(tmp, Files.createDirectories(tmp.resolve("home")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The temporary directory everything is under. */
  public Path root() {
    return root;
  }

  /** The user's home directory. */
  public Path home() {
    return home;
  }

  /** The environment variables that place robojail's directories, as a user's shell sets them. */
  public Map<String, String> env() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HOME", home.toString());
    env.put("XDG_STATE_HOME", root.resolve("xdg/state").toString());
    env.put("XDG_CONFIG_HOME", root.resolve("xdg/config").toString());
    env.put("XDG_DATA_HOME", root.resolve("xdg/data").toString());
    return env;
  }

  /** Robojail's directories in this world, resolved as {@link Jails#open()} resolves them. */
  public Dirs dirs() {
    Map<String, String> xdg = env();
    xdg.remove("HOME");
    return Dirs.resolve(xdg, home);
  }

  /** Writes robojail's config file ({@code config.toml}). */
  public TestWorld config(String toml) {
    try {
      Path file = dirs().configFile();
      Files.createDirectories(file.getParent());
      Files.writeString(file, toml, StandardCharsets.UTF_8);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Opens the library on this world, as a user's {@code Jails.open()} would. */
  public Jails jails() {
    return Jails.open(dirs(), home);
  }

  /** A new git repository named {@code name} under the root, with one commit of a README. */
  public TestRepo repo(String name) {
    TestRepo repo = TestRepo.init(root.resolve(name));
    repo.write("README", "hello\n").commit("initial");
    return repo;
  }
}
