package dev.robojail.jail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the jail's own index says is staged: read by robojail itself, never handed to git on the
 * host, and used only to tell staged from unstaged in {@code status}. The jail wrote this file and
 * can make it say anything; it decides nothing else (what changed is computed without it, see
 * {@link WorktreeSnapshot}). A file that is not an index robojail can read is no index at all.
 */
final class JailIndex {
  /** An index bigger than this is not read: status then calls every change unstaged. */
  static final long MAX_SIZE = 256L << 20;

  private static final int INTENT_TO_ADD = 0x2000;

  private record Entry(int mode, String id) {}

  private final Map<String, Entry> entries;

  private JailIndex(Map<String, Entry> entries) {
    this.entries = entries;
  }

  /** The index at {@code file} (not followed if a link), or empty if it is none robojail reads. */
  static Optional<JailIndex> read(Path file, boolean sha256) {
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > MAX_SIZE) {
        return Optional.empty();
      }
      byte[] bytes;
      try (SeekableByteChannel c =
          Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
        bytes = Channels.newInputStream(c).readNBytes((int) MAX_SIZE);
      }
      return Optional.of(new JailIndex(parse(ByteBuffer.wrap(bytes), sha256 ? 32 : 20)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  // The format of git's Documentation/gitformat-index.txt, versions 2 to 4; extensions are ignored.
  static Map<String, Entry> parse(ByteBuffer b, int idLength) {
    if (b.getInt() != 0x44495243) { // "DIRC"
      throw new IllegalArgumentException("not an index");
    }
    int version = b.getInt();
    if (version < 2 || version > 4) {
      throw new IllegalArgumentException("index version " + version);
    }
    int count = b.getInt();
    Map<String, Entry> entries = new HashMap<>();
    byte[] previous = new byte[0];
    for (int i = 0; i < count; i++) {
      int start = b.position();
      b.position(start + 24); // ctime, mtime, dev, ino
      int mode = b.getInt();
      b.position(b.position() + 12); // uid, gid, size
      byte[] id = new byte[idLength];
      b.get(id);
      int flags = b.getShort() & 0xffff;
      int extended = version >= 3 && (flags & 0x4000) != 0 ? b.getShort() & 0xffff : 0;
      byte[] path;
      if (version == 4) {
        int strip = varint(b);
        byte[] suffix = untilNul(b);
        if (strip > previous.length) {
          throw new IllegalArgumentException("bad prefix");
        }
        path = new byte[previous.length - strip + suffix.length];
        System.arraycopy(previous, 0, path, 0, previous.length - strip);
        System.arraycopy(suffix, 0, path, previous.length - strip, suffix.length);
      } else {
        path = untilNul(b);
        int length = b.position() - start;
        b.position(start + ((length + 7) & ~7)); // NUL-padded to a multiple of eight
      }
      previous = path;
      boolean stage0 = (flags & 0x3000) == 0;
      if (stage0 && (extended & INTENT_TO_ADD) == 0) {
        entries.put(
            new String(path, StandardCharsets.UTF_8),
            new Entry(mode, HexFormat.of().formatHex(id)));
      }
    }
    return entries;
  }

  private static int varint(ByteBuffer b) {
    int c = b.get() & 0xff;
    int value = c & 0x7f;
    while ((c & 0x80) != 0) {
      c = b.get() & 0xff;
      value = ((value + 1) << 7) | (c & 0x7f);
      if (value < 0) {
        throw new IllegalArgumentException("bad varint");
      }
    }
    return value;
  }

  private static byte[] untilNul(ByteBuffer b) {
    int start = b.position();
    while (b.get() != 0) {
      // scan
    }
    byte[] s = new byte[b.position() - start - 1];
    b.get(start, s);
    return s;
  }

  boolean contains(String path) {
    return entries.containsKey(path);
  }

  /** Whether the index holds exactly what the worktree has at {@code path}. */
  boolean matches(String path, Path worktree, boolean sha256) {
    Entry e = entries.get(path);
    if (e == null) {
      return false;
    }
    Optional<Entry> now = blob(worktree.resolve(path), sha256);
    return now.isPresent() && now.get().equals(new Entry(normalMode(e.mode()), e.id()));
  }

  private static int normalMode(int mode) {
    int type = mode & 0170000;
    if (type == 0100000) {
      return (mode & 0111) != 0 ? 0100755 : 0100644;
    }
    return mode;
  }

  /**
   * The mode and blob id git would record for the file: a symbolic link's target, never what it
   * points at; nothing for what is neither a regular file nor a link (a FIFO is never opened).
   */
  static Optional<Entry> blob(Path file, boolean sha256) {
    try {
      PosixFileAttributes a =
          Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      MessageDigest d = MessageDigest.getInstance(sha256 ? "SHA-256" : "SHA-1");
      if (a.isSymbolicLink()) {
        byte[] target = Files.readSymbolicLink(file).toString().getBytes(StandardCharsets.UTF_8);
        d.update(("blob " + target.length + "\0").getBytes(StandardCharsets.US_ASCII));
        d.update(target);
        return Optional.of(new Entry(0120000, HexFormat.of().formatHex(d.digest())));
      }
      if (!a.isRegularFile()) {
        return Optional.empty();
      }
      Set<PosixFilePermission> p = a.permissions();
      int mode = p.contains(PosixFilePermission.OWNER_EXECUTE) ? 0100755 : 0100644;
      try (SeekableByteChannel c =
              Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
          InputStream in = Channels.newInputStream(c)) {
        d.update(("blob " + c.size() + "\0").getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[65536];
        long left = c.size();
        for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
          d.update(buf, 0, n);
          left -= n;
        }
        if (left != 0) {
          return Optional.empty(); // it shrank while read: not what any index holds
        }
      }
      return Optional.of(new Entry(mode, HexFormat.of().formatHex(d.digest())));
    } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
