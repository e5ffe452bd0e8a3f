package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DirsTest {
  private static final Path HOME = Path.of("/home/u");

  @Test
  void defaultsFollowXdg() {
    Dirs dirs = Dirs.resolve(Map.of(), HOME);
    assertEquals(Path.of("/home/u/.local/share/robojail"), dirs.dataDir());
    assertEquals(Path.of("/home/u/.config/robojail/config.toml"), dirs.configFile());
    assertEquals(Path.of("/home/u/.local/state/robojail/jails.json"), dirs.stateFile());
    assertEquals(
        Path.of("/home/u/.local/share/robojail/jails/j1"), dirs.jailDir(JailName.of("j1")));
    assertEquals(Path.of("/home/u/.local/state/robojail/jails.json.lock"), dirs.stateLockFile());
  }

  @Test
  void variablesOverrideDefaults() {
    Dirs dirs =
        Dirs.resolve(
            Map.of("XDG_DATA_HOME", "/d", "XDG_CONFIG_HOME", "/c/", "XDG_STATE_HOME", "/s"), HOME);
    assertEquals(Path.of("/d/robojail"), dirs.dataDir());
    assertEquals(Path.of("/c/robojail/config.toml"), dirs.configFile());
    assertEquals(Path.of("/s/robojail/jails.json"), dirs.stateFile());
  }

  @Test
  void emptyOrRelativeVariablesAreIgnored() {
    Dirs dirs = Dirs.resolve(Map.of("XDG_DATA_HOME", "", "XDG_CONFIG_HOME", "rel/dir"), HOME);
    assertEquals(Path.of("/home/u/.local/share/robojail"), dirs.dataDir());
    assertEquals(Path.of("/home/u/.config/robojail/config.toml"), dirs.configFile());
  }
}
