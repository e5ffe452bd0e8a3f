package dev.robojail.net;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The destinations a jail may reach through its egress proxy, by host name. Each entry is one of
 *
 * <pre>
 * example.com          that name, any port
 * *.example.com        every name below it (not example.com itself)
 * example.com:443      that name, one port (also with a wildcard)
 * 192.0.2.7, [::1]:80  that address (also with a port): IP literals and names resolving to
 *                      non-public addresses are refused unless their address is listed
 * *                    every name and every public address
 * </pre>
 *
 * Names are compared in their {@link HostNames#canonical canonical} form.
 *
 * @param entries the entries, in the order they were given
 */
public record Allowlist(List<Entry> entries) {
  /**
   * What the built-in agent profiles need out of the box: the agents' API and login hosts, the
   * public package registries of the common ecosystems and the common git hosts, on port 443.
   */
  public static final List<String> DEFAULT_HOSTS =
      List.of(
          // Claude Code
          "api.anthropic.com:443",
          "claude.ai:443",
          "console.anthropic.com:443",
          "statsig.anthropic.com:443",
          "sentry.io:443",
          // Codex
          "api.openai.com:443",
          "auth.openai.com:443",
          "chatgpt.com:443",
          // npm, PyPI, crates, Maven Central, Go modules, RubyGems
          "registry.npmjs.org:443",
          "registry.yarnpkg.com:443",
          "pypi.org:443",
          "files.pythonhosted.org:443",
          "crates.io:443",
          "static.crates.io:443",
          "index.crates.io:443",
          "repo.maven.apache.org:443",
          "repo1.maven.org:443",
          "proxy.golang.org:443",
          "sum.golang.org:443",
          "rubygems.org:443",
          "index.rubygems.org:443",
          // git hosts
          "github.com:443",
          "api.github.com:443",
          "codeload.github.com:443",
          "*.githubusercontent.com:443",
          "gitlab.com:443",
          "bitbucket.org:443");

  /** The default allowlist. */
  public static final Allowlist DEFAULT = parse(DEFAULT_HOSTS);

  /** Copies the entries. */
  public Allowlist {
    entries = List.copyOf(entries);
  }

  /**
   * One entry.
   *
   * @param name the canonical name, {@code *.}-prefixed for subdomains, {@code *} for all; null for
   *     an address entry
   * @param address the address of an address entry, else null
   * @param port the one port allowed, or -1 for any
   * @param written the entry as written, for messages
   */
  public record Entry(String name, InetAddress address, int port, String written) {
    boolean matchesName(String canonical, int p) {
      if (name == null || (port >= 0 && port != p)) {
        return false;
      }
      if (name.equals("*")) {
        return true;
      }
      if (name.startsWith("*.")) {
        return canonical.endsWith(name.substring(1));
      }
      return name.equals(canonical);
    }

    boolean matchesAddress(InetAddress a, int p) {
      return address != null && address.equals(a) && (port < 0 || port == p);
    }
  }

  /**
   * Parses entries.
   *
   * @throws IllegalArgumentException naming the first bad entry and what is wrong with it
   */
  public static Allowlist parse(List<String> written) {
    List<Entry> entries = new ArrayList<>();
    for (String w : written) {
      entries.add(entry(w));
    }
    return new Allowlist(entries);
  }

  /**
   * Parses one entry.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static Entry entry(String written) {
    String host = written;
    int port = -1;
    if (written.startsWith("[")) {
      int close = written.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("an IPv6 address needs its closing ]");
      }
      host = written.substring(0, close + 1);
      String rest = written.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new IllegalArgumentException("write [address]:port");
        }
        port = port(rest.substring(1));
      }
    } else if (written.indexOf(':') == written.lastIndexOf(':') && written.indexOf(':') >= 0) {
      int colon = written.indexOf(':');
      host = written.substring(0, colon);
      port = port(written.substring(colon + 1));
    }
    if (host.equals("*")) {
      return new Entry("*", null, port, written);
    }
    Optional<InetAddress> address = HostNames.literal(host);
    if (address.isPresent()) {
      return new Entry(null, address.get(), port, written);
    }
    if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException("not an IPv6 address; write it as [address]");
    }
    boolean wildcard = host.startsWith("*.");
    String name = HostNames.canonical(wildcard ? host.substring(2) : host);
    if (name.indexOf('*') >= 0) {
      throw new IllegalArgumentException("a wildcard is allowed only as the first part: *.name");
    }
    if (HostNames.looksNumeric(name)) {
      throw new IllegalArgumentException("write an address as a dotted quad or in [brackets]");
    }
    return new Entry(wildcard ? "*." + name : name, null, port, written);
  }

  private static int port(String s) {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("the port must be a number from 1 to 65535");
    }
    int p = Integer.parseInt(s);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException("the port must be a number from 1 to 65535");
    }
    return p;
  }

  /** This list followed by {@code more}. */
  public Allowlist plus(Allowlist more) {
    List<Entry> all = new ArrayList<>(entries);
    all.addAll(more.entries);
    return new Allowlist(all);
  }

  /** Whether a canonical name may be reached on {@code port}. */
  public boolean allowsName(String canonical, int port) {
    return entries.stream().anyMatch(e -> e.matchesName(canonical, port));
  }

  /**
   * Whether an address may be reached on {@code port}: a listed address always, a public one also
   * under {@code *}.
   */
  public boolean allowsAddress(InetAddress address, int port) {
    for (Entry e : entries) {
      if (e.matchesAddress(address, port)) {
        return true;
      }
      if ("*".equals(e.name())
          && (e.port() < 0 || e.port() == port)
          && !HostNames.isNonPublic(address)) {
        return true;
      }
    }
    return false;
  }
}
