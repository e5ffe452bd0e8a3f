package dev.robojail.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A model API on the host's loopback that speaks just enough of the two wire protocols the real
 * agents use to make them run one tool command: Anthropic's Messages API, streamed ({@code POST
 * /v1/messages}, what Claude Code sends to {@code ANTHROPIC_BASE_URL}), and OpenAI's Responses API,
 * streamed ({@code POST /v1/responses}, what {@code codex exec} sends to a {@code model_providers}
 * entry with {@code wire_api = "responses"}). The shapes are the ones the agents' own code reads
 * (Claude Code 2.1, Codex 0.171), checked against the packages.
 *
 * <p>The first turn of a conversation is answered with one call of the agent's shell tool ({@code
 * Bash} for Claude Code, {@code exec_command} for Codex) running {@link #command}; the next turn,
 * which carries the tool's output, is recorded ({@link #toolOutputs}) and answered with a final
 * message that ends the turn. Requests the agent makes beside the conversation (titles, summaries:
 * requests without the shell tool) get a plain text answer; anything else is recorded as unexpected
 * and answered 404.
 */
public final class FakeModelApi implements AutoCloseable {
  /**
   * A tool command that proves where it ran: written in the agent's working directory, the jail's
   * worktree, and the jail's hostname is its name, which the output repeats.
   */
  public static final String PROOF_COMMAND =
      "uname -n > proof.txt && echo \"ran in $(cat proof.txt)\"";

  /** The id of the one tool call, in both protocols. */
  public static final String CALL_ID = "call_robojail_1";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpServer server;
  private final ExecutorService executor;
  private final String command;
  private final List<String> toolOutputs = new ArrayList<>();
  private final List<String> unexpected = new ArrayList<>();
  private final List<Map<String, List<String>>> conversationHeaders = new ArrayList<>();
  private int toolCalls;

  private FakeModelApi(String command, SSLContext tls) throws IOException {
    this.command = command;
    InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (tls == null) {
      server = HttpServer.create(loopback, 16);
    } else {
      HttpsServer https = HttpsServer.create(loopback, 16);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    }
    executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a server on an ephemeral port of {@code 127.0.0.1} whose tool call runs {@code cmd}. */
  public static FakeModelApi start(String cmd) {
    return start(cmd, null);
  }

  /**
   * As {@link #start(String)}, over HTTPS with the certificate of {@code tls} when it is not null,
   * as the vendors' APIs are reached (through a proxy's {@code CONNECT}).
   */
  public static FakeModelApi start(String cmd, SSLContext tls) {
    try {
      return new FakeModelApi(cmd, tls);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The port on the host's {@code 127.0.0.1}. */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * The lines of robojail's {@code config.toml} for a jail that reaches this server and nothing
   * else: the jail's own loopback, this port of the host's at {@code host.robojail.internal}, and
   * the agent packages under {@code agents} visible read-only.
   */
  public String jailConfig(Path agents) {
    return "network = \"none\"\nhost_ports = ["
        + port()
        + "]\nextra_ro_binds = [\""
        + agents
        + "\"]\n";
  }

  /** The shell command the tool call asks for. */
  public String command() {
    return command;
  }

  /** How many times the server answered with the tool call. */
  public synchronized int toolCalls() {
    return toolCalls;
  }

  /** The tool outputs the agent sent back for {@link #CALL_ID}, in order. */
  public synchronized List<String> toolOutputs() {
    return List.copyOf(toolOutputs);
  }

  /** Requests neither protocol covers (method, path). */
  public synchronized List<String> unexpected() {
    return List.copyOf(unexpected);
  }

  /** The headers of each conversation request (the ones offered the shell tool). */
  public synchronized List<Map<String, List<String>>> conversationHeaders() {
    return List.copyOf(conversationHeaders);
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String path = x.getRequestURI().getPath();
      byte[] body = x.getRequestBody().readAllBytes();
      if (x.getRequestMethod().equals("POST") && path.equals("/v1/messages")) {
        answer(x, "text/event-stream", messages(JSON.readTree(body), x));
      } else if (x.getRequestMethod().equals("POST") && path.endsWith("/responses")) {
        answer(x, "text/event-stream", responses(JSON.readTree(body), x));
      } else {
        synchronized (this) {
          unexpected.add(x.getRequestMethod() + " " + x.getRequestURI());
        }
        x.sendResponseHeaders(404, -1);
      }
    } catch (RuntimeException e) {
      synchronized (this) {
        unexpected.add("failed: " + e);
      }
      throw e;
    }
  }

  private static void answer(HttpExchange x, String type, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", type);
    x.sendResponseHeaders(200, bytes.length);
    x.getResponseBody().write(bytes);
  }

  private static boolean offers(JsonNode request, String tool) {
    for (JsonNode t : request.path("tools")) {
      if (t.path("name").asString("").equals(tool)) {
        return true;
      }
    }
    return false;
  }

  private synchronized void conversation(HttpExchange x) {
    conversationHeaders.add(Map.copyOf(x.getRequestHeaders()));
  }

  // Anthropic Messages, streamed: message_start, one content block (start, delta, stop),
  // message_delta with the stop reason, message_stop.
  private String messages(JsonNode request, HttpExchange x) {
    boolean shellOffered = offers(request, "Bash");
    String result = null;
    for (JsonNode message : request.path("messages")) {
      for (JsonNode block : message.path("content")) {
        if (block.path("type").asString("").equals("tool_result")
            && block.path("tool_use_id").asString("").equals(CALL_ID)) {
          result = text(block.path("content"));
        }
      }
    }
    ObjectNode block;
    ObjectNode delta;
    String stop;
    if (shellOffered) {
      conversation(x);
    }
    if (shellOffered && result == null) {
      synchronized (this) {
        toolCalls++;
      }
      block = JSON.createObjectNode().put("type", "tool_use").put("id", CALL_ID);
      block.put("name", "Bash").putObject("input");
      ObjectNode input = JSON.createObjectNode().put("command", command);
      input.put("description", "Write the proof file");
      delta =
          JSON.createObjectNode()
              .put("type", "input_json_delta")
              .put("partial_json", input.toString());
      stop = "tool_use";
    } else {
      if (result != null) {
        synchronized (this) {
          toolOutputs.add(result);
        }
      }
      block = JSON.createObjectNode().put("type", "text").put("text", "");
      delta = JSON.createObjectNode().put("type", "text_delta").put("text", "Done.");
      stop = "end_turn";
    }
    StringBuilder sse = new StringBuilder();
    ObjectNode start = JSON.createObjectNode().put("type", "message_start");
    ObjectNode message = start.putObject("message");
    message.put("id", "msg_robojail").put("type", "message").put("role", "assistant");
    message.put("model", request.path("model").asString("fake")).putArray("content");
    message.putNull("stop_reason").putNull("stop_sequence");
    message.putObject("usage").put("input_tokens", 1).put("output_tokens", 1);
    event(sse, start);
    ObjectNode blockStart =
        JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
    blockStart.set("content_block", block);
    event(sse, blockStart);
    ObjectNode blockDelta =
        JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
    blockDelta.set("delta", delta);
    event(sse, blockDelta);
    event(sse, JSON.createObjectNode().put("type", "content_block_stop").put("index", 0));
    ObjectNode end = JSON.createObjectNode().put("type", "message_delta");
    end.putObject("delta").put("stop_reason", stop).putNull("stop_sequence");
    end.putObject("usage").put("output_tokens", 1);
    event(sse, end);
    event(sse, JSON.createObjectNode().put("type", "message_stop"));
    return sse.toString();
  }

  // A tool result's content is a string or a list of text blocks.
  private static String text(JsonNode content) {
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder b = new StringBuilder();
    for (JsonNode part : content) {
      b.append(part.path("text").asString(""));
    }
    return b.toString();
  }

  // OpenAI Responses, streamed: response.created, one response.output_item.done (the function
  // call, or the final message), response.completed with its usage.
  private String responses(JsonNode request, HttpExchange x) {
    boolean shellOffered = offers(request, "exec_command");
    String output = null;
    for (JsonNode item : request.path("input")) {
      if (item.path("type").asString("").equals("function_call_output")
          && item.path("call_id").asString("").equals(CALL_ID)) {
        output = text(item.path("output"));
      }
    }
    if (shellOffered) {
      conversation(x);
    }
    ObjectNode item = JSON.createObjectNode();
    if (shellOffered && output == null) {
      synchronized (this) {
        toolCalls++;
      }
      item.put("type", "function_call").put("call_id", CALL_ID).put("name", "exec_command");
      item.put("arguments", JSON.createObjectNode().put("cmd", command).toString());
    } else {
      if (output != null) {
        synchronized (this) {
          toolOutputs.add(output);
        }
      }
      item.put("type", "message").put("role", "assistant").put("id", "msg_robojail");
      ArrayNode content = item.putArray("content");
      content.addObject().put("type", "output_text").put("text", "Done.");
    }
    StringBuilder sse = new StringBuilder();
    ObjectNode created = JSON.createObjectNode().put("type", "response.created");
    created.putObject("response").put("id", "resp_robojail");
    event(sse, created);
    ObjectNode done = JSON.createObjectNode().put("type", "response.output_item.done");
    done.put("output_index", 0).set("item", item);
    event(sse, done);
    ObjectNode completed = JSON.createObjectNode().put("type", "response.completed");
    ObjectNode usage =
        completed.putObject("response").put("id", "resp_robojail").putObject("usage");
    usage.put("input_tokens", 1).putNull("input_tokens_details").put("output_tokens", 1);
    usage.putNull("output_tokens_details").put("total_tokens", 2);
    event(sse, completed);
    return sse.toString();
  }

  private static void event(StringBuilder sse, ObjectNode event) {
    sse.append("event: ")
        .append(event.path("type").asString())
        .append("\ndata: ")
        .append(event)
        .append("\n\n");
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
  }
}
