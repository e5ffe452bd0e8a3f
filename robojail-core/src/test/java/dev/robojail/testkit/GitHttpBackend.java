package dev.robojail.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * git's smart HTTP for a test server, through the real {@code git http-backend} as a CGI program:
 * the repositories under {@code root} are served at {@code PREFIX/NAME.git}.
 */
public final class GitHttpBackend implements HttpHandler {
  private final Path root;
  private final String prefix;

  private GitHttpBackend(Path root, String prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  /** A handler for the context {@code prefix} (as {@code "/git"}) serving the bare repositories. */
  public static GitHttpBackend serving(Path root, String prefix) {
    return new GitHttpBackend(root, prefix);
  }

  @Override
  public void handle(HttpExchange x) throws IOException {
    ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
    Map<String, String> env = pb.environment();
    env.put("GIT_PROJECT_ROOT", root.toString());
    env.put("GIT_HTTP_EXPORT_ALL", "1");
    env.put("PATH_INFO", x.getRequestURI().getPath().substring(prefix.length()));
    env.put(
        "QUERY_STRING",
        x.getRequestURI().getRawQuery() == null ? "" : x.getRequestURI().getRawQuery());
    env.put("REQUEST_METHOD", x.getRequestMethod());
    String type = x.getRequestHeaders().getFirst("Content-Type");
    env.put("CONTENT_TYPE", type == null ? "" : type);
    env.put("REMOTE_ADDR", "127.0.0.1");
    String encoding = x.getRequestHeaders().getFirst("Content-Encoding");
    if (encoding != null) {
      env.put("HTTP_CONTENT_ENCODING", encoding);
    }
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    Process p = pb.redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (OutputStream in = p.getOutputStream();
        InputStream body = x.getRequestBody()) {
      body.transferTo(in);
    }
    byte[] out;
    try (InputStream o = p.getInputStream()) {
      out = o.readAllBytes();
    }
    String text = new String(out, StandardCharsets.ISO_8859_1); // one char per byte
    int split = text.indexOf("\r\n\r\n");
    int skip = 4;
    if (split < 0) {
      split = text.indexOf("\n\n");
      skip = 2;
    }
    int status = 200;
    for (String line : new String(out, 0, split, StandardCharsets.ISO_8859_1).split("\r?\n")) {
      int colon = line.indexOf(':');
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ")[0]);
      } else {
        x.getResponseHeaders().add(name, value);
      }
    }
    int length = out.length - split - skip;
    x.sendResponseHeaders(status, length == 0 ? -1 : length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(out, split + skip, length);
    }
  }
}
