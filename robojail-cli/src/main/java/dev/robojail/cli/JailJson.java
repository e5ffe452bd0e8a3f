package dev.robojail.cli;

import dev.robojail.jail.JailState;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code --json} output of every command: one object with a {@code schemaVersion}, and a jail
 * described by the same fields wherever it appears, so that a script reading {@code list --json}
 * reads {@code status --json} the same way.
 *
 * <p>The schema version changes only when a field is removed, renamed or changes meaning; new
 * fields may appear in any version.
 */
final class JailJson {
  /** The version of the fields below and of each command's own. */
  static final int SCHEMA_VERSION = 1;

  private JailJson() {}

  /** A new top-level object, its schema version first. */
  static Map<String, Object> document() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("schemaVersion", SCHEMA_VERSION);
    return doc;
  }

  /**
   * What is known of a jail without looking into its worktree, in {@code list} and {@code status}.
   */
  static Map<String, Object> jail(Map<String, Object> into, JailState j) {
    into.put("name", j.name().value());
    into.put("state", ListCommand.state(j));
    into.put("running", j.isAlive());
    into.put("sessions", j.liveSessions().size());
    into.put("repo", j.repo().toString());
    into.put("branch", j.branch());
    into.put("baseCommit", j.baseCommit());
    into.put("worktree", j.worktree().toString());
    into.put("created", j.created().toString());
    into.put("entrypoint", j.entrypoint());
    return into;
  }

  static String write(Object value) {
    return JsonMapper.builder().build().writeValueAsString(value);
  }
}
