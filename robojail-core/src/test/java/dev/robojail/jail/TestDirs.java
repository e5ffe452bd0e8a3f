package dev.robojail.jail;

import java.nio.file.Path;
import java.util.Map;

/** Robojail's directories for a test: all of them under its temporary directory. */
final class TestDirs {
  private TestDirs() {}

  static Dirs under(Path tmp, Path home) {
    return Dirs.resolve(
        Map.of(
            "XDG_STATE_HOME", tmp.resolve("xdg/state").toString(),
            "XDG_CONFIG_HOME", tmp.resolve("xdg/config").toString(),
            "XDG_DATA_HOME", tmp.resolve("xdg/data").toString()),
        home);
  }
}
