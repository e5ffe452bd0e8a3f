package dev.robojail.jail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command lines a jailed command starts an agent with, as far as they can be read without
 * running anything: the command itself, and the command behind the usual wrappers ({@code env},
 * {@code timeout}, {@code nice}, {@code nohup}, {@code stdbuf}, {@code setsid}, {@code time},
 * {@code exec}), the package runners ({@code npx}, {@code npm exec}, {@code pnpm dlx}, {@code
 * bunx}, {@code yarn dlx}, with the agents' npm packages known by name) and a shell's {@code -c}
 * script, split into its simple commands. What a script file, an alias, {@code eval} or a variable
 * would run is not read: this serves {@link AgentHome#refuseOwnSandbox}, which turns a request the
 * jail cannot honour into one line before the run, and is no part of the jail's confinement.
 */
final class AgentCommand {
  private AgentCommand() {}

  private static final int MAX_DEPTH = 8;

  // The programs npm installs for the agents' packages.
  private static final Map<String, String> PACKAGES =
      Map.of("@openai/codex", "codex", "@anthropic-ai/claude-code", "claude");

  private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "zsh", "ksh", "mksh");

  // Wrappers whose options are words starting with "-", and which of those take a value.
  private static final Map<String, Set<String>> WRAPPERS =
      Map.of(
          "env", Set.of("-u", "--unset", "-C", "--chdir", "-S", "--split-string"),
          "timeout", Set.of("-s", "--signal", "-k", "--kill-after"),
          "nice", Set.of("-n", "--adjustment"),
          "nohup", Set.of(),
          "stdbuf", Set.of("-i", "-o", "-e"),
          "setsid", Set.of(),
          "time", Set.of("-f", "--format", "-o", "--output"),
          "exec", Set.of("-a"),
          "command", Set.of());

  /** Every command line {@code argv} is or runs, itself first. */
  static List<List<String>> candidates(List<String> argv) {
    List<List<String>> found = new ArrayList<>();
    collect(argv, found, 0);
    return List.copyOf(found);
  }

  private static void collect(List<String> argv, List<List<String>> found, int depth) {
    if (argv.isEmpty() || depth > MAX_DEPTH) {
      return;
    }
    found.add(List.copyOf(argv));
    String program = name(argv.getFirst());
    List<String> rest = argv.subList(1, argv.size());
    if (SHELLS.contains(program)) {
      shell(rest, found, depth);
    } else if (WRAPPERS.containsKey(program)) {
      wrapped(program, rest, found, depth);
    } else if (program.equals("npx") || program.equals("bunx")) {
      runner(rest, found, depth);
    } else if ((program.equals("npm") && !rest.isEmpty() && rest.getFirst().equals("exec"))
        || (Set.of("pnpm", "yarn").contains(program)
            && !rest.isEmpty()
            && rest.getFirst().equals("dlx"))) {
      runner(rest.subList(1, rest.size()), found, depth);
    }
  }

  private static String name(String program) {
    Path f = Path.of(program).getFileName();
    return f == null ? program : f.toString();
  }

  private static void wrapped(
      String wrapper, List<String> args, List<List<String>> found, int depth) {
    Set<String> valued = WRAPPERS.get(wrapper);
    int i = 0;
    while (i < args.size()) {
      String a = args.get(i);
      if (a.equals("--")) {
        i++;
        break;
      }
      if (wrapper.equals("env") && (a.equals("-S") || a.startsWith("--split-string="))) {
        // env -S splits its string into the command line itself.
        boolean separate = a.equals("-S");
        String line =
            separate
                ? (i + 1 < args.size() ? args.get(i + 1) : "")
                : a.substring("--split-string=".length());
        List<String> split = words(line);
        List<String> argv = new ArrayList<>(split == null ? List.of() : split);
        argv.addAll(args.subList(Math.min(args.size(), i + (separate ? 2 : 1)), args.size()));
        collect(argv, found, depth + 1);
        return;
      }
      if (a.startsWith("-") && a.length() > 1) {
        i += valued.contains(a) ? 2 : 1;
      } else if (wrapper.equals("env") && a.indexOf('=') > 0) {
        i++;
      } else {
        break;
      }
    }
    if (wrapper.equals("timeout") && i < args.size()) {
      i++; // the duration
    }
    if (i < args.size()) {
      collect(args.subList(i, args.size()), found, depth + 1);
    }
  }

  // npx [options] PACKAGE[@VERSION] ARGS, npx -p PACKAGE COMMAND ARGS, npx -c "COMMAND".
  private static void runner(List<String> args, List<List<String>> found, int depth) {
    int i = 0;
    while (i < args.size() && args.get(i).startsWith("-") && !args.get(i).equals("--")) {
      String a = args.get(i);
      if (a.equals("-c") || a.equals("--call")) {
        if (i + 1 < args.size()) {
          shell(List.of("-c", args.get(i + 1)), found, depth);
        }
        return;
      }
      i += a.equals("-p") || a.equals("--package") ? 2 : 1;
    }
    if (i < args.size() && args.get(i).equals("--")) {
      i++;
    }
    if (i >= args.size()) {
      return;
    }
    List<String> argv = new ArrayList<>(args.subList(i, args.size()));
    argv.set(0, program(argv.getFirst()));
    collect(argv, found, depth + 1);
  }

  // A package as npx names it, as the program it runs: "@openai/codex@0.1" is codex.
  private static String program(String spec) {
    int at = spec.indexOf('@', 1);
    String pkg = at > 0 ? spec.substring(0, at) : spec;
    return PACKAGES.getOrDefault(pkg, pkg);
  }

  // sh [options] -c SCRIPT [NAME ARGS]: each simple command of the script, split at ; & | and
  // newlines; a part that is not plain words (an unclosed quote) is left out.
  private static void shell(List<String> args, List<List<String>> found, int depth) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.matches("[-+][a-zA-Z]*[oO]") && !a.contains("c")) {
        i++; // -o's (or -euo's) value, the option's name: -o pipefail
        continue;
      }
      if (!a.startsWith("-") && !a.startsWith("+")) {
        return; // a script file
      }
      if (a.startsWith("-") && !a.startsWith("--") && a.contains("c")) {
        if (i + 1 < args.size()) {
          for (String part : args.get(i + 1).split("&&|\\|\\||[;&|\\n()]")) {
            List<String> argv = words(part);
            if (argv != null) {
              collect(argv, found, depth + 1);
            }
          }
        }
        return;
      }
    }
  }

  private static List<String> words(String line) {
    try {
      List<String> w = new ArrayList<>(ShellWords.split(line));
      // "exec codex", "VAR=x codex": the command after the assignments
      while (!w.isEmpty() && w.getFirst().matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
        w.removeFirst();
      }
      return w;
    } catch (InvalidInputException e) {
      return null;
    }
  }
}
