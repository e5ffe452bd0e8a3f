package dev.robojail.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starting a second JVM from a test, for behaviour that only shows when a JVM dies. */
final class TestJvm {
  private TestJvm() {}

  /** The java binary running this test. */
  static String java() {
    return ProcessHandle.current().info().command().orElseThrow();
  }

  /**
   * Where these classes were loaded from: works under surefire and under a console launcher, whose
   * java.class.path does not name the test classes.
   */
  static String classPath(Class<?>... classes) throws Exception {
    List<String> entries = new ArrayList<>();
    for (Class<?> c : classes) {
      entries.add(
          Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    }
    return String.join(":", entries);
  }
}
