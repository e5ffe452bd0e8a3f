package dev.robojail.jail;

import java.io.Serial;
import java.nio.file.Path;

/**
 * The configuration file is broken. The message reads like a compiler's: {@code
 * /home/u/.config/robojail/config.toml:3: network_enabled must be true or false, not "yes"}.
 */
public final class ConfigException extends JailException {
  @Serial private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final int column;

  /**
   * @param file the configuration file
   * @param line its 1-based line, or 0 when the problem is the file as a whole
   * @param column the 1-based column, or 0 when not known
   * @param problem what is wrong, one line
   */
  public ConfigException(Path file, int line, int column, String problem) {
    super(location(file, line, column) + ": " + problem);
    this.file = file;
    this.line = line;
    this.column = column;
  }

  public ConfigException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
    this.line = 0;
    this.column = 0;
  }

  private static String location(Path file, int line, int column) {
    if (line <= 0) {
      return file.toString();
    }
    return column > 0 ? file + ":" + line + ":" + column : file + ":" + line;
  }

  /** The configuration file. */
  public Path file() {
    return file;
  }

  /** The 1-based line of the problem, or 0. */
  public int line() {
    return line;
  }

  /** The 1-based column of the problem, or 0. */
  public int column() {
    return column;
  }
}
