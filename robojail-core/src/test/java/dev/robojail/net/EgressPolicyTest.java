package dev.robojail.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The allowlist and the proxy's decisions, with a resolver that answers from a table. */
class EgressPolicyTest {
  private static final Map<String, String> DNS =
      Map.of(
          "example.com", "93.184.215.14",
          "api.example.com", "93.184.215.15",
          "rebind.example.com", "127.0.0.1",
          "lan.example.com", "192.168.1.20",
          "cgnat.example.com", "100.64.0.9",
          "mapped.example.com", "::ffff:127.0.0.1",
          "dev.example.com", "10.1.2.3");

  private static EgressPolicy policy(String... entries) {
    return EgressPolicy.of(Allowlist.parse(List.of(entries)))
        .withResolver(
            name -> {
              String a = DNS.get(name);
              if (a == null) {
                throw new java.net.UnknownHostException(name);
              }
              return List.of(InetAddress.ofLiteral(a));
            });
  }

  private static EgressPolicy.Decision.Refused refused(EgressPolicy p, String host, int port) {
    return assertInstanceOf(EgressPolicy.Decision.Refused.class, p.decide(host, port));
  }

  private static EgressPolicy.Decision.Allowed allowed(EgressPolicy p, String host, int port) {
    return assertInstanceOf(EgressPolicy.Decision.Allowed.class, p.decide(host, port));
  }

  @Test
  void anAllowedNameConnectsToExactlyTheAddressItWasCheckedAt() {
    EgressPolicy.Decision.Allowed a = allowed(policy("example.com"), "example.com", 443);
    assertEquals("93.184.215.14", a.address().getHostAddress());
    assertEquals("example.com", a.host());
  }

  @Test
  void namesAreCanonicalBeforeMatching() {
    EgressPolicy p = policy("example.com");
    assertEquals("example.com", allowed(p, "EXAMPLE.Com.", 443).host());
    refused(p, "example.com..", 443);
    refused(p, "EXAMPLE.org", 443);
    assertEquals("xn--bcher-kva.example", HostNames.canonical("Bücher.example"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"example.com\0.evil.test", "example.com\r\nX: y", "exa mple.com", "", ".", "a..b"})
  void controlCharactersNulBytesAndBrokenNamesAreRefused(String host) {
    EgressPolicy.Decision.Refused r = refused(policy("*"), host, 443);
    assertFalse(r.host().chars().anyMatch(c -> c < 0x20), "printable: " + r.host());
  }

  @Test
  void wildcardsCoverSubdomainsOnlyAndPortsNarrow() {
    EgressPolicy p = policy("*.example.com:443");
    allowed(p, "api.example.com", 443);
    refused(p, "api.example.com", 80);
    refused(p, "example.com", 443);
    refused(p, "evilexample.com", 443);
  }

  @Test
  void ipLiteralsAreRefusedUnlessListed() {
    refused(policy("*"), "127.0.0.1", 80);
    refused(policy("*"), "[::1]", 80);
    refused(policy("*"), "10.0.0.1", 80);
    allowed(policy("*"), "93.184.215.14", 443); // "*" allows public addresses explicitly
    refused(policy("example.com"), "93.184.215.14", 443);
    allowed(policy("127.0.0.1:8080"), "127.0.0.1", 8080);
    refused(policy("127.0.0.1:8080"), "127.0.0.1", 8081);
    allowed(policy("[::1]"), "[::1]", 1);
    EgressPolicy.Decision.Refused r = refused(policy("*"), "127.0.0.1", 80);
    assertEquals("network_allow = [\"127.0.0.1:80\"]", r.allowLine());
  }

  @Test
  void numericNamesThatResolversReadAsAddressesAreRefused() {
    for (String h : List.of("2130706433", "0x7f000001", "127.1", "0177.0.0.1")) {
      refused(policy("*"), h, 80);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "rebind.example.com",
        "lan.example.com",
        "cgnat.example.com",
        "mapped.example.com",
        "dev.example.com"
      })
  void aNameResolvingToANonPublicAddressIsRefusedUnlessThatAddressIsListed(String name) {
    EgressPolicy.Decision.Refused r = refused(policy("*.example.com"), name, 80);
    assertTrue(r.reason().contains("not a public address"), r.reason());
    assertTrue(r.allowLine().startsWith("network_allow = [\"" + name + "\", \""), r.allowLine());
    String address = DNS.get(name).replace("::ffff:127.0.0.1", "127.0.0.1");
    allowed(policy("*.example.com", address), name, 80);
  }

  @Test
  void aRefusedNameIsToldTheLineThatWouldAllowIt() {
    EgressPolicy.Decision.Refused r = refused(policy("example.com"), "Other.Example.", 443);
    assertEquals("other.example", r.host());
    assertEquals("network_allow = [\"other.example\"]", r.allowLine());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"exa*mple.com", "*.*.com", "host:0", "host:65536", "host:x", "[::1", "::1:x:", ""})
  void badEntriesAreRejected(String entry) {
    assertThrows(IllegalArgumentException.class, () -> Allowlist.entry(entry));
  }

  @Test
  void theDefaultListParsesAndCoversTheAgentsAndRegistries() {
    Allowlist d = Allowlist.DEFAULT;
    for (String h :
        List.of(
            "api.anthropic.com",
            "api.openai.com",
            "registry.npmjs.org",
            "pypi.org",
            "repo.maven.apache.org",
            "github.com",
            "objects.githubusercontent.com")) {
      assertTrue(d.allowsName(h, 443), h);
      assertFalse(d.allowsName(h, 80), h);
    }
    assertFalse(d.allowsName("example.com", 443));
  }

  static Stream<Long> seeds() {
    return new Random(9).longs(40).boxed();
  }

  /**
   * Property: a name made of random letters, dots, case and control bytes is either refused or
   * canonical, and a canonical name is lower-case ASCII that canonicalises to itself.
   */
  @ParameterizedTest
  @MethodSource("seeds")
  void canonicalNamesAreStable(long seed) {
    Random r = new Random(seed);
    String alphabet = "aZ9-._\0\n\u00e9\u00c9";
    for (int i = 0; i < 200; i++) {
      StringBuilder b = new StringBuilder();
      for (int n = 1 + r.nextInt(20); n > 0; n--) {
        b.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      String c;
      try {
        c = HostNames.canonical(b.toString());
      } catch (IllegalArgumentException e) {
        continue;
      }
      assertEquals(c, HostNames.canonical(c), b.toString());
      assertTrue(c.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f && !Character.isUpperCase(ch)), c);
    }
  }
}
