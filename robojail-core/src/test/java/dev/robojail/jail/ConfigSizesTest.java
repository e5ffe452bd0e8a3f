package dev.robojail.jail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The size settings: memory and the tmpfs sizes, with their units and their errors. */
class ConfigSizesTest {
  private static final Path HOME = Path.of("/home/u");
  @TempDir Path dir;

  private Config load(String toml) throws Exception {
    return ConfigLoader.load(Files.writeString(dir.resolve("config.toml"), toml), HOME);
  }

  @Test
  void sizesAreBoundedByDefault() {
    assertEquals(8L << 30, Config.DEFAULTS.maxMemory());
    assertEquals(1L << 30, Config.DEFAULTS.tmpSize());
    assertEquals(4L << 30, Config.DEFAULTS.homeSize());
  }

  @Test
  void sizesTakeUnitsOrBytes() throws Exception {
    Config c = load("max_memory = \"512M\"\ntmp_size = \"64k\"\nhome_size = 1048576\n");
    assertEquals(512L << 20, c.maxMemory());
    assertEquals(64L << 10, c.tmpSize());
    assertEquals(1L << 20, c.homeSize());
    assertEquals(3L << 40, load("max_memory = \"3T\"\n").maxMemory());
    assertEquals(100, load("tmp_size = \"100\"\n").tmpSize());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"0", "-1", "\"0G\"", "\"1.5G\"", "\"G\"", "\"4 GB\"", "\"9999999999T\"", "true"})
  void aWrongSizeIsOneClearLineNamingTheKeyAndTheLine(String value) throws Exception {
    Path file = Files.writeString(dir.resolve("config.toml"), "\ntmp_size = " + value + "\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, HOME));
    assertTrue(
        e.getMessage().startsWith(file + ":2: tmp_size must be a size such as 512M"),
        e.getMessage());
    assertEquals(-1, e.getMessage().indexOf('\n'));
  }

  // Below the floor, the sandbox's own setup could fill its memory cgroup, and the OOM killer would
  // end the JVM that shares the child's memory while it sets up.
  @ParameterizedTest
  @ValueSource(strings = {"250000", "\"1M\"", "33554431"})
  void aMemoryLimitBelowTheFloorIsOneClearLineNamingTheFileAndTheLine(String value)
      throws Exception {
    Path file = Files.writeString(dir.resolve("config.toml"), "\n\nmax_memory = " + value + "\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, HOME));
    assertTrue(
        e.getMessage().startsWith(file + ":3: max_memory must be at least 32M"), e.getMessage());
    assertEquals(-1, e.getMessage().indexOf('\n'));
  }

  @Test
  void theFloorItselfIsAllowed() throws Exception {
    assertEquals(ConfigLoader.MIN_MEMORY, load("max_memory = \"32M\"\n").maxMemory());
    assertEquals(ConfigLoader.MIN_MEMORY, load("max_memory = 33554432\n").maxMemory());
  }
}
