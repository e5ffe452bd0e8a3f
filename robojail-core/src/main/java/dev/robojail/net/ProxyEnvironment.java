package dev.robojail.net;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a jail's environment needs so that the common clients use its egress proxy: curl, git, pip,
 * npm, Go, cargo and Node's own agents read {@code HTTP(S)_PROXY}, {@code ALL_PROXY} and {@code
 * NO_PROXY} (some the lower-case spelling, some the upper: both are set); Node's {@code fetch}
 * reads them only with {@code NODE_USE_ENV_PROXY=1} (Node 24 and 22.21 on; Node 20 ignores it);
 * Java reads only system properties ({@code -Dhttps.proxyHost}…), which are not set for it: the
 * variables a JVM obeys, {@code JAVA_TOOL_OPTIONS} and the launcher's {@code JDK_JAVA_OPTIONS},
 * make every {@code java} print "Picked up …" on standard error ({@code java -version}, {@code mvn
 * -v}, every Gradle or test JVM), so that tools reading that output no longer behave as outside;
 * the properties are in an argument file instead ({@link #javaArgsText()}), which a command names
 * ({@code java @/run/robojail/java-proxy.args …}). Maven's resolver reads neither, so it gets a
 * settings file with a {@code <proxy>} ({@link #mavenSettingsText()}) through {@code MAVEN_ARGS}.
 */
public final class ProxyEnvironment {
  /** Where the jail finds the Maven settings that name the proxy. */
  public static final String MAVEN_SETTINGS = "/run/robojail/maven-settings.xml";

  /** Where the jail finds the {@code java} argument file that names the proxy. */
  public static final String JAVA_ARGS = "/run/robojail/java-proxy.args";

  // The host ports' name too: its relay is not the proxy, and the proxy would refuse it.
  private static final String NO_PROXY = "localhost,127.0.0.1,::1," + HostPorts.NAME;

  private ProxyEnvironment() {}

  /** The proxy's URL inside the jail. */
  public static String url() {
    return "http://127.0.0.1:" + EgressProxy.PORT;
  }

  /** The variables, in a stable order. */
  public static Map<String, String> variables() {
    Map<String, String> env = new LinkedHashMap<>();
    for (String name : new String[] {"http_proxy", "https_proxy", "all_proxy"}) {
      env.put(name, url());
      env.put(name.toUpperCase(java.util.Locale.ROOT), url());
    }
    env.put("no_proxy", NO_PROXY);
    env.put("NO_PROXY", NO_PROXY);
    env.put("NODE_USE_ENV_PROXY", "1");
    env.put("MAVEN_ARGS", "-gs " + MAVEN_SETTINGS);
    return env;
  }

  /**
   * The files the variables and the README name, by their path inside the jail, in a stable order.
   */
  public static Map<String, String> files() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put(MAVEN_SETTINGS, mavenSettingsText());
    files.put(JAVA_ARGS, javaArgsText());
    return files;
  }

  /**
   * The {@code java} launcher's argument file: the proxy for {@code http} and {@code https} (Java's
   * {@code http.nonProxyHosts} serves both), the jail's own loopback and the host ports' name left
   * out.
   */
  public static String javaArgsText() {
    StringBuilder b = new StringBuilder();
    for (String protocol : new String[] {"http", "https"}) {
      b.append("-D").append(protocol).append(".proxyHost=127.0.0.1\n");
      b.append("-D").append(protocol).append(".proxyPort=").append(EgressProxy.PORT).append('\n');
    }
    return b.append("-Dhttp.nonProxyHosts=localhost|127.*|[::1]|")
        .append(HostPorts.NAME)
        .append('\n')
        .toString();
  }

  /**
   * Maven global settings with the proxy for http and https, so that the user's own {@code
   * ~/.m2/settings.xml}, if any, still applies on top.
   */
  public static String mavenSettingsText() {
    StringBuilder b = new StringBuilder();
    b.append("<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n  <proxies>\n");
    for (String protocol : new String[] {"http", "https"}) {
      b.append("    <proxy>\n")
          .append("      <id>robojail-")
          .append(protocol)
          .append("</id>\n      <active>true</active>\n      <protocol>")
          .append(protocol)
          .append("</protocol>\n      <host>127.0.0.1</host>\n      <port>")
          .append(EgressProxy.PORT)
          .append("</port>\n      <nonProxyHosts>localhost|127.*|[::1]|")
          .append(HostPorts.NAME)
          .append("</nonProxyHosts>\n")
          .append("    </proxy>\n");
    }
    b.append("  </proxies>\n</settings>\n");
    return b.toString();
  }
}
