package dev.robojail.jail;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * A second copy of each jail's entry, one small file per jail ({@link JailLayout#record}), from
 * which {@code doctor --repair} rebuilds a state file that was lost or is corrupt. Only what never
 * changes while the jail lives is kept (and the repository, which {@code relocate} changes); the
 * lifecycle is not: a rebuilt jail is {@code READY}, or rolled back if its files are incomplete.
 * The files are outside every jail's reach.
 */
final class JailRecords {
  private JailRecords() {}

  /** Writes the jail's record, replacing any: written whole to a temporary file, then renamed. */
  static void write(JailLayout layout, JailState jail) {
    Path file = layout.record(jail.name());
    try {
      Files.createDirectories(file.getParent());
      Path temp = file.resolveSibling(file.getFileName() + ".tmp");
      JailState ready = jail.inPhase(JailState.Phase.READY, null);
      Files.write(temp, StateCodec.encode(Map.of(jail.name(), ready)));
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new JailException(
          TerminalSafe.sanitizeLine(
              "cannot write the record of jail "
                  + jail.name()
                  + " in "
                  + file.getParent()
                  + ": "
                  + StateStore.reason(e)),
          e);
    }
  }

  static void delete(JailLayout layout, JailName name) {
    try {
      Files.deleteIfExists(layout.record(name));
    } catch (IOException e) {
      // A record without a jail is reported by doctor --repair, never restored without files.
    }
  }

  /** A record that could be read, or the reason one could not. */
  record Found(Path file, JailState jail, String problem) {}

  /** Every record in the layout. */
  static List<Found> readAll(JailLayout layout) {
    List<Found> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(layout.records(), "*.json")) {
      for (Path f : files) {
        try {
          SortedMap<JailName, JailState> one = StateCodec.decode(Files.readAllBytes(f));
          if (one.size() != 1) {
            found.add(new Found(f, null, "holds " + one.size() + " jails"));
          } else {
            found.add(new Found(f, one.values().iterator().next(), null));
          }
        } catch (IOException e) {
          found.add(new Found(f, null, StateStore.reason(e)));
        } catch (StateCodec.CorruptException e) {
          found.add(new Found(f, null, e.getMessage()));
        }
      }
    } catch (IOException e) {
      // No records directory: nothing to rebuild from.
    }
    return found;
  }
}
