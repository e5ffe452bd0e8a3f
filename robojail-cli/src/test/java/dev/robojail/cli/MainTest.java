package dev.robojail.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

class MainTest {
  @Test
  void noOptionOrParameterHasATypeWhoseConverterMainLeavesOut() {
    // Main tells picocli not to register the java.time and java.sql converters (start-up time):
    // an option of such a type would then fail to convert in the installed command only.
    List<String> types = new ArrayList<>();
    collect(Robojail.commandLine(() -> null, new String[0]), types);
    assertTrue(types.size() > 20, "the whole model was walked: " + types);
    for (String type : types) {
      assertFalse(type.matches("java\\.(sql|time)\\..*"), type);
    }
  }

  private static void collect(CommandLine cl, List<String> types) {
    for (ArgSpec arg : cl.getCommandSpec().args()) {
      types.add(arg.type().getName());
      for (Class<?> aux : arg.auxiliaryTypes()) {
        types.add(aux.getName());
      }
    }
    for (CommandLine sub : cl.getSubcommands().values()) {
      collect(sub, types);
    }
  }
}
