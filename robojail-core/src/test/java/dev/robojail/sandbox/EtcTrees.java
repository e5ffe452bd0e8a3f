package dev.robojail.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Random host {@code /etc} trees for the walk's tests, and the reference the walk is held to.
 *
 * <p>A tree is made by python3 from a list of operations on byte names, so that names NIO cannot
 * spell (not UTF-8, or under a C locale anything not ASCII) are made exactly: nested directories,
 * files of random modes, symbolic links (to files, to directories, out of the tree, dangling,
 * loops), hard links, FIFOs, sockets, a character device where the user may make one, and names
 * with spaces, newlines, escapes, non-UTF-8 bytes or dots.
 *
 * <p>The reference is robojail's walk as it was before it spoke to the kernel directly: NIO's
 * {@code SecureDirectoryStream}, each entry stat'ed once through a {@code PosixFileAttributeView}.
 * Its covers are taken as bytes (a {@code Path}'s URI keeps them), so that a name is compared as
 * the kernel has it, whatever the locale.
 */
final class EtcTrees {
  private static final String[] FILE_MODES = {
    "644", "600", "640", "604", "444", "755", "701", "000", "004", "400", "044"
  };
  private static final String[] DIR_MODES = {
    "755", "700", "711", "750", "705", "744", "770", "555", "751", "355"
  };
  // Name parts: plain, spaced, a newline, a terminal escape, not UTF-8, UTF-8 that is not ASCII.
  private static final byte[][] SUFFIXES = {
    {},
    {},
    {},
    " with space".getBytes(StandardCharsets.US_ASCII),
    "\nnewline".getBytes(StandardCharsets.US_ASCII),
    "\u001b[2J".getBytes(StandardCharsets.US_ASCII),
    {'-', (byte) 0xff, (byte) 0xfe},
    "-café".getBytes(StandardCharsets.UTF_8),
  };
  private static final byte[][] PREFIXES = {
    {}, {}, {}, {}, {'.'}, {'.', '.'}, {'.', '.', '.'}, {'.', '.', ' '}
  };

  private EtcTrees() {}

  /** Makes a random tree of about {@code size} entries in {@code etc}, which must not exist. */
  static void make(Path etc, long seed, int size) throws IOException, InterruptedException {
    Random r = new Random(seed);
    // A secret beside the tree, which links lead to: a walk that followed one would cover it.
    Path outside = etc.resolveSibling("outside").resolve("secret");
    Files.createDirectories(outside.getParent());
    Files.writeString(outside, "SECRET");
    Files.setPosixFilePermissions(
        outside, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    StringBuilder ops = new StringBuilder();
    List<byte[]> dirs = new ArrayList<>(List.of(new byte[0]));
    List<byte[]> files = new ArrayList<>();
    List<byte[]> all = new ArrayList<>();
    List<String> modes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      byte[] parent = dirs.get(r.nextInt(dirs.size()));
      byte[] path =
          join(
              parent,
              concat(
                  PREFIXES[r.nextInt(PREFIXES.length)],
                  ("e" + i).getBytes(StandardCharsets.US_ASCII),
                  r.nextInt(4) == 0 ? suffix(r, parent.length == 0) : new byte[0]));
      int kind = r.nextInt(20);
      if (kind < 5 && depth(path) < 5) {
        op(ops, "d", path, "");
        dirs.add(path);
        modes.add("m\t" + hex(path) + "\t" + DIR_MODES[r.nextInt(DIR_MODES.length)]);
      } else if (kind < 12 || files.isEmpty()) {
        op(ops, "f", path, "");
        files.add(path);
        modes.add("m\t" + hex(path) + "\t" + FILE_MODES[r.nextInt(FILE_MODES.length)]);
      } else if (kind < 16) {
        byte[] to =
            switch (r.nextInt(7)) {
              case 0 -> files.get(r.nextInt(files.size()));
              case 1 -> dirs.get(r.nextInt(dirs.size()));
              case 2 -> outside.toString().getBytes(StandardCharsets.UTF_8);
              case 3 -> "../outside/secret".getBytes(StandardCharsets.US_ASCII);
              case 4 -> "dangling".getBytes(StandardCharsets.US_ASCII);
              case 5 -> path; // a loop of one
              default -> all.isEmpty() ? path : all.get(r.nextInt(all.size()));
            };
        // Relative to the tree's root: a link from a subdirectory climbs to it first.
        byte[] target = to.length > 0 && to[0] == '/' ? to : concat(up(depth(path)), to);
        op(ops, "l", path, hex(target.length == 0 ? new byte[] {'.'} : target));
      } else if (kind < 17) {
        op(ops, "h", path, hex(files.get(r.nextInt(files.size()))));
      } else if (kind < 18) {
        op(ops, "p", path, "");
      } else if (kind < 19) {
        op(ops, "s", path, "");
      } else {
        op(ops, "c", path, "");
      }
      all.add(path);
    }
    // Deepest first, so that the maker can still enter while modes are set.
    for (int i = modes.size() - 1; i >= 0; i--) {
      ops.append(modes.get(i)).append('\n');
    }
    Files.createDirectory(etc);
    python(etc, MAKER, ops.toString());
  }

  /** Runs python3's {@code code} in {@code dir}, with {@code input} on its standard input. */
  static void python(Path dir, String code, String input) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import os, sys; os.chdir(sys.argv[1])\n" + code,
                dir.toString())
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
  }

  // Each line: op, hex path (relative to the tree), hex argument or octal mode. A device node
  // needs CAP_MKNOD, which an unprivileged user lacks: then there is none.
  private static final String MAKER =
      """
      import socket
      for line in sys.stdin:
          op, path, arg = line.rstrip('\\n').split('\\t')
          p = bytes.fromhex(path)
          if op == 'd': os.mkdir(p, 0o700)
          elif op == 'f':
              with open(p, 'wb') as f: f.write(b'x')
          elif op == 'l': os.symlink(bytes.fromhex(arg), p)
          elif op == 'h': os.link(bytes.fromhex(arg), p)
          elif op == 'p': os.mkfifo(p, 0o666)
          elif op == 's':
              here = os.open('.', os.O_RDONLY)
              d, _, n = p.rpartition(b'/')
              if d: os.chdir(d)
              s = socket.socket(socket.AF_UNIX); s.bind(n); s.close()
              os.fchdir(here); os.close(here)
          elif op == 'c':
              try: os.mknod(p, 0o20666, os.makedev(1, 3))
              except PermissionError: pass
          elif op == 'm': os.chmod(p, int(arg, 8), follow_symlinks=False)
      """;

  // A name that is not UTF-8 only below the top, where the walk can cover a directory above it:
  // at the top, the tree is refused (a test of its own).
  private static byte[] suffix(Random r, boolean top) {
    byte[] s = SUFFIXES[r.nextInt(SUFFIXES.length)];
    return top && utf8(s, s.length) == null ? new byte[0] : s;
  }

  private static void op(StringBuilder ops, String op, byte[] path, String arg) {
    ops.append(op).append('\t').append(hex(path)).append('\t').append(arg).append('\n');
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static byte[] join(byte[] parent, byte[] name) {
    return parent.length == 0 ? name : concat(parent, new byte[] {'/'}, name);
  }

  private static int depth(byte[] path) {
    int d = 0;
    for (byte b : path) {
      d += b == '/' ? 1 : 0;
    }
    return d;
  }

  private static byte[] up(int levels) {
    return "../".repeat(levels).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /**
   * What the walk must answer for {@code etc} at {@code target}: the reference's covers, each as
   * its target plus {@code /} for a directory, sorted, with one change the walk makes on purpose: a
   * cover whose path is not UTF-8 (which no mount target string can name) becomes its nearest
   * directory above that is, and the covers below that one go. {@code null} when there is none (the
   * walk must refuse the tree).
   */
  static List<String> expected(Path etc, String target) throws IOException {
    List<byte[]> covered = new ArrayList<>();
    List<Boolean> directory = new ArrayList<>();
    reference(etc, covered, directory);
    byte[] root = target.getBytes(StandardCharsets.UTF_8);
    List<String> covers = new ArrayList<>();
    for (int i = 0; i < covered.size(); i++) {
      byte[] inside = concat(root, covered.get(i));
      String s = utf8(inside, inside.length);
      if (s != null) {
        covers.add(s + (directory.get(i) ? "/" : ""));
        continue;
      }
      String above = null;
      for (int end = inside.length - 1; above == null && end > root.length; end--) {
        if (inside[end] == '/') {
          above = utf8(inside, end);
        }
      }
      if (above == null) {
        return null;
      }
      covers.add(above + "/");
    }
    return covers.stream()
        .filter(
            c -> covers.stream().noneMatch(o -> o.endsWith("/") && c.startsWith(o) && !c.equals(o)))
        .distinct()
        .sorted()
        .toList();
  }

  private static String utf8(byte[] b, int end) {
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b, 0, end)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** The walk's answer in {@link #expected}'s form. */
  static List<String> spelled(List<Mount.Cover> covers) {
    return covers.stream().map(c -> c.target() + (c.directory() ? "/" : "")).sorted().toList();
  }

  // The reference: each cover as its path's bytes below etc ("/name/name"), and whether it is a
  // directory.
  private static void reference(Path etc, List<byte[]> covered, List<Boolean> directory)
      throws IOException {
    try (DirectoryStream<Path> top = Files.newDirectoryStream(etc)) {
      walk((SecureDirectoryStream<Path>) top, etc, etc, covered, directory);
    }
  }

  private static final Set<PosixFilePermission> READABLE_DIR =
      Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);

  private static void walk(
      SecureDirectoryStream<Path> dir,
      Path path,
      Path etc,
      List<byte[]> covered,
      List<Boolean> directory) {
    for (Path entry : dir) {
      Path name = entry.getFileName();
      Path host = path.resolve(name);
      PosixFileAttributes attrs;
      try {
        attrs =
            dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .readAttributes();
      } catch (NoSuchFileException e) {
        continue;
      } catch (IOException e) {
        unreadable(host, etc, covered, directory);
        continue;
      }
      Set<PosixFilePermission> mode = attrs.permissions();
      if (attrs.isSymbolicLink()) {
        continue;
      }
      if (attrs.isDirectory()) {
        if (!mode.containsAll(READABLE_DIR)) {
          add(host, etc, true, covered, directory);
          continue;
        }
        try (SecureDirectoryStream<Path> sub =
            dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
          walk(sub, host, etc, covered, directory);
        } catch (NoSuchFileException e) {
          // gone since it was listed
        } catch (IOException e) {
          unreadable(host, etc, covered, directory);
        } catch (DirectoryIteratorException e) {
          add(host, etc, true, covered, directory);
        }
      } else if (attrs.isOther() || !mode.contains(PosixFilePermission.OTHERS_READ)) {
        add(host, etc, false, covered, directory);
      }
    }
  }

  private static void unreadable(
      Path host, Path etc, List<byte[]> covered, List<Boolean> directory) {
    if (Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
      add(host, etc, Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS), covered, directory);
    }
  }

  private static void add(
      Path host, Path etc, boolean dir, List<byte[]> covered, List<Boolean> directory) {
    byte[] all = bytes(host);
    byte[] base = bytes(etc);
    covered.add(java.util.Arrays.copyOfRange(all, base.length, all.length));
    directory.add(dir);
  }

  // A path's bytes as the kernel has them: a Path's URI percent-encodes them, whatever the locale.
  static byte[] bytes(Path p) {
    String raw = URI.create(p.toUri().toString()).getRawPath();
    if (raw.endsWith("/") && raw.length() > 1) {
      raw = raw.substring(0, raw.length() - 1);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toByteArray();
  }
}
