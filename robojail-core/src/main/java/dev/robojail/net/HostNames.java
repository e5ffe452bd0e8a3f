package dev.robojail.net;

import java.net.IDN;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;

/**
 * Host names and addresses as the allowlist compares them. A name is canonicalised before it is
 * matched, so that {@code GitHub.COM.}, {@code github.com} and an IDNA spelling all meet the same
 * rule, and so that a name the kernel or a resolver would read differently from the allowlist (one
 * with a NUL byte, a control character or a second trailing dot) is refused rather than guessed at.
 */
public final class HostNames {
  private static final java.util.regex.Pattern DOTTED_QUAD =
      java.util.regex.Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");

  private HostNames() {}

  /**
   * The canonical form of a host name: at most one trailing dot stripped, IDNA to ASCII, lower
   * case, and every label 1-63 letters, digits or hyphens (an underscore is allowed too, since some
   * real service names have one).
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static String canonical(String raw) {
    return canonical(raw, false);
  }

  /**
   * {@code alwaysIdn} false: a name that is all ASCII skips {@link IDN}, whose first use loads
   * ICU's StringPrep tables (about 5 ms of every {@code run}, for the default allowlist's plain
   * names); IDNA leaves such a name as it is and rejects only empty or over-long labels, which the
   * checks below reject too. {@code HostNamesTest} holds both paths to the same answers.
   */
  static String canonical(String raw, boolean alwaysIdn) {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException("a host name cannot contain control characters");
      }
    }
    String s = raw.endsWith(".") ? raw.substring(0, raw.length() - 1) : raw;
    if (s.isEmpty()) {
      throw new IllegalArgumentException("the host name is empty");
    }
    String ascii;
    if (!alwaysIdn && s.chars().allMatch(c -> c < 0x80)) {
      ascii = s.toLowerCase(Locale.ROOT);
    } else {
      try {
        ascii = IDN.toASCII(s, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a valid international host name");
      }
    }
    if (ascii.length() > 253) {
      throw new IllegalArgumentException("the host name is longer than 253 characters");
    }
    for (String label : ascii.split("\\.", -1)) {
      if (label.isEmpty() || label.length() > 63) {
        throw new IllegalArgumentException("a part of the host name is empty or too long");
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
          throw new IllegalArgumentException("a host name has only letters, digits and hyphens");
        }
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        throw new IllegalArgumentException("a part of the host name starts or ends with a hyphen");
      }
    }
    return ascii;
  }

  /**
   * The address a host is spelled as, if it is an IP literal ({@code 192.0.2.1}, {@code [::1]} or
   * {@code ::1}); never a DNS query.
   */
  public static Optional<InetAddress> literal(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.indexOf(':') >= 0) {
      try {
        return Optional.of(Inet6Address.ofLiteral(h));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    // Only a plain dotted quad counts: "127.1", "2130706433" or "0177.0.0.1" mean different
    // addresses to different parsers, so they fall through to names and are refused as numeric.
    if (DOTTED_QUAD.matcher(h).matches()) {
      try {
        return Optional.of(Inet4Address.ofLiteral(h));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * Whether a numeric-looking name would be read as an address by some resolver even though it is
   * not a dotted quad ({@code 2130706433}, {@code 0x7f.1}, {@code 127.1}): such names are refused.
   */
  static boolean looksNumeric(String canonical) {
    String last = canonical.substring(canonical.lastIndexOf('.') + 1);
    return !last.isEmpty()
        && (last.chars().allMatch(c -> c >= '0' && c <= '9') || last.startsWith("0x"));
  }

  /**
   * Whether an address is not on the public internet: loopback, unspecified, private (RFC 1918,
   * IPv6 unique local), link-local, carrier-grade NAT (100.64.0.0/10), multicast, "this network"
   * (0.0.0.0/8), benchmarking (198.18.0.0/15) or reserved (240.0.0.0/4 and broadcast).
   */
  public static boolean isNonPublic(InetAddress a) {
    if (a.isLoopbackAddress()
        || a.isAnyLocalAddress()
        || a.isLinkLocalAddress()
        || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int o0 = b[0] & 0xff;
      int o1 = b[1] & 0xff;
      return o0 == 0
          || (o0 == 100 && o1 >= 64 && o1 < 128)
          || (o0 == 198 && (o1 == 18 || o1 == 19))
          || (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0)
          || o0 >= 240;
    }
    // IPv6: unique local fc00::/7, and addresses that embed IPv4 (mapped ::ffff:0:0/96, NAT64
    // 64:ff9b::/96) judged as the IPv4 address they reach
    if ((b[0] & 0xfe) == 0xfc) {
      return true;
    }
    boolean mapped = true;
    for (int i = 0; i < 10; i++) {
      mapped &= b[i] == 0;
    }
    mapped &= (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    boolean nat64 =
        (b[0] & 0xff) == 0
            && (b[1] & 0xff) == 0x64
            && (b[2] & 0xff) == 0xff
            && (b[3] & 0xff) == 0x9b;
    if (mapped || nat64) {
      try {
        return isNonPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
      } catch (java.net.UnknownHostException e) {
        return true;
      }
    }
    return false;
  }

  /** The address as the allowlist and the log spell it ({@code 127.0.0.1}, {@code ::1}). */
  public static String show(InetAddress a) {
    return a.getHostAddress();
  }

  /** A host as received, made safe to print and log: anything outside printable ASCII escaped. */
  public static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 300; i++) {
      char c = s.charAt(i);
      if (c >= 0x21 && c < 0x7f && c != '\\') {
        b.append(c);
      } else {
        b.append(String.format("\\x%02x", (int) c & 0xff));
      }
    }
    return b.toString();
  }
}
