package dev.robojail.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The one generator of robojail's completion scripts, for {@code robojail completion SHELL} and for
 * the files of the distribution alike, so that both are the same text.
 *
 * <p>Each script is made from the picocli model: the subcommands, their options (and which take a
 * value), and what each positional is. A positional labelled {@code JAIL} completes the jails'
 * names, which the script asks of the same robojail the user is typing ({@code list -q}: it reads
 * the state file and starts nothing), with its errors and input sent nowhere, so that a broken
 * configuration never prints into the user's command line. The three scripts share one way of
 * reading the line: the subcommand is the first word that is not an option, an option's value is
 * skipped, and for the commands that run a command in a jail nothing after the jail is an option.
 */
final class Completions {
  enum Shell {
    bash,
    zsh,
    fish
  }

  private Completions() {}

  /** The script for {@code shell}, from the model below {@code root}. */
  static String script(Shell shell, CommandLine root) {
    Model m = Model.of(root);
    return switch (shell) {
      case bash -> bash(m);
      case zsh -> zsh(m);
      case fish -> fish(m);
    };
  }

  /** What a positional or an option's value is: a jail's name, a file, one of some words. */
  private record Option(List<String> names, String help, String value) {}

  private record Slot(int from, int to, String kind) {}

  private record Sub(
      String name, String summary, List<Option> options, List<Slot> slots, boolean stops) {
    List<String> valued() {
      return options.stream()
          .filter(o -> o.value() != null)
          .flatMap(o -> o.names().stream())
          .toList();
    }
  }

  /**
   * The model as the scripts need it. Word lists are named {@code w0} (the subcommands), {@code
   * w1}… so that a script can test a kind without quoting the words.
   */
  private record Model(
      String name, List<Option> options, List<Sub> subs, Map<String, List<String>> words) {
    static Model of(CommandLine root) {
      Map<String, List<String>> words = new LinkedHashMap<>();
      List<Map.Entry<String, CommandLine>> visible = DistFiles.visibleSubcommands(root);
      List<String> names = visible.stream().map(Map.Entry::getKey).toList();
      words.put("w0", names);
      List<Sub> subs = new ArrayList<>();
      for (Map.Entry<String, CommandLine> e : visible) {
        CommandSpec spec = e.getValue().getCommandSpec();
        List<Slot> slots = new ArrayList<>();
        for (PositionalParamSpec p : spec.positionalParameters()) {
          if (p.hidden()) {
            continue;
          }
          String kind =
              e.getKey().equals("help")
                  ? "w0"
                  : p.paramLabel().equals("JAIL") ? "jail" : kind(p, words);
          if (kind != null) {
            slots.add(new Slot(p.index().min(), p.index().max(), kind));
          }
        }
        subs.add(
            new Sub(
                e.getKey(),
                summary(spec),
                options(spec, words),
                slots,
                e.getValue().isStopAtPositional()));
      }
      return new Model(root.getCommandName(), options(root.getCommandSpec(), words), subs, words);
    }

    private static List<Option> options(CommandSpec spec, Map<String, List<String>> words) {
      List<Option> options = new ArrayList<>();
      for (OptionSpec o : spec.options()) {
        if (!o.hidden()) {
          // null: a flag; "": a value with nothing to offer for it
          String value = null;
          if (o.arity().max() > 0) {
            String kind = kind(o, words);
            value = kind == null ? "" : kind;
          }
          options.add(new Option(List.of(o.names()), first(o.description()), value));
        }
      }
      return options;
    }

    // A file, one of the candidates picocli knows (an enum's constants), or nothing to offer.
    private static String kind(ArgSpec a, Map<String, List<String>> words) {
      if (a.type() == Path.class || a.auxiliaryTypes()[0] == Path.class) {
        return "file";
      }
      if (a.completionCandidates() == null) {
        return null;
      }
      List<String> values = new ArrayList<>();
      a.completionCandidates().forEach(values::add);
      String key = "w" + words.size();
      words.put(key, values);
      return key;
    }
  }

  // A command's header where it has one, else its description's first line.
  private static String summary(CommandSpec command) {
    String[] header = command.usageMessage().header();
    return first(header.length > 0 ? header : command.usageMessage().description());
  }

  // Without picocli's markup and line breaks, which a shell would show as they are.
  private static String first(String[] description) {
    return description.length == 0
        ? ""
        : Ansi.OFF.string(description[0]).replace("%n", " ").replace("%%", "%").strip();
  }

  // --- bash -----------------------------------------------------------------------------------

  private static String bash(Model m) {
    String f = "_" + m.name();
    StringBuilder s = new StringBuilder();
    s.append(preamble(m, Shell.bash, "${COMP_WORDS[0]}", "command -v -- \"$cmd\" >/dev/null 2>&1"));
    // The tables: options (and which take a value), positional kinds, word lists.
    s.append(
        lists(m, words -> sh(String.join(" ", words)), options -> sh(names(options)), "words"));
    // The walk of the line, the same in the three shells.
    s.append(f).append("() {\n");
    s.append("  local cur=${COMP_WORDS[COMP_CWORD]} sub= w i=1 n=0 done=0 skip=0\n");
    s.append("  local valued stop options kind words\n");
    s.append("  while (( i < COMP_CWORD )); do\n");
    s.append("    w=${COMP_WORDS[i]}; (( i++ ))\n");
    s.append("    [[ $w == -* ]] || { sub=$w; break; }\n  done\n");
    s.append("  if [[ -z $sub ]]; then\n");
    s.append("    if [[ $cur == -* ]]; then words=")
        .append(sh(names(m.options())))
        .append("; else ")
        .append(f)
        .append("_words w0; fi\n");
    s.append("    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\")); return 0\n  fi\n");
    s.append("  ").append(f).append("_sub \"$sub\"\n");
    s.append(walk(m, "COMP_WORDS", "COMP_CWORD"));
    s.append("  elif (( ! done )) && [[ $cur == -* ]]; then\n");
    s.append("    COMPREPLY=($(compgen -W \"$options\" -- \"$cur\")); return 0\n");
    s.append("  else\n    ").append(f).append("_kind \"$sub\" \"$n\"\n  fi\n");
    s.append("  case $kind in\n");
    s.append("    jail) COMPREPLY=($(compgen -W \"$(")
        .append(f)
        .append("_jails)\" -- \"$cur\")) ;;\n");
    s.append(
        "    file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n");
    s.append("    w*) ")
        .append(f)
        .append("_words \"$kind\"; COMPREPLY=($(compgen -W \"$words\" -- \"$cur\")) ;;\n");
    s.append("    *) COMPREPLY=() ;;\n  esac\n  return 0\n}\n\n");
    s.append("complete -F ").append(f).append(' ').append(m.name()).append('\n');
    return s.toString();
  }

  /**
   * The kind of a subcommand's Nth positional, and of an option's value, as bash and zsh (which
   * reads the same {@code case} and {@code ((…))}) both test them.
   */
  private static String tables(Model m) {
    String f = "_" + m.name();
    StringBuilder s = new StringBuilder();
    s.append(f).append("_kind() {\n  kind=\n  case $1 in\n");
    for (Sub sub : m.subs()) {
      if (!sub.slots().isEmpty()) {
        s.append("    ").append(sub.name()).append(")");
        for (Slot slot : sub.slots()) {
          s.append(" (( $2 >= ")
              .append(slot.from())
              .append(" && $2 <= ")
              .append(slot.to())
              .append(" )) && kind=")
              .append(slot.kind())
              .append(";");
        }
        s.append(" ;;\n");
      }
    }
    s.append("  esac\n  return 0\n}\n\n");
    s.append(f).append("_value() {\n  kind=\n  case \"$1 $2\" in\n");
    for (Sub sub : m.subs()) {
      for (Option o : sub.options()) {
        if (o.value() != null && !o.value().isEmpty()) {
          s.append("    ")
              .append(o.names().stream().map(n -> sh(sub.name() + " " + n)).collect(joining("|")))
              .append(") kind=")
              .append(o.value())
              .append(" ;;\n");
        }
      }
    }
    s.append("  esac\n  return 0\n}\n\n");
    return s.toString();
  }

  /**
   * Each subcommand's lists (its options, those that take a value) and the word lists, as bash
   * strings or zsh arrays: {@code list} and {@code options} write one, {@code wordsVariable} is
   * where {@code _robojail_words} puts a list.
   */
  private static String lists(
      Model m,
      java.util.function.Function<List<String>, String> list,
      java.util.function.Function<List<Option>, String> options,
      String wordsVariable) {
    String f = "_" + m.name();
    StringBuilder s = new StringBuilder();
    s.append(f).append("_sub() {\n  case $1 in\n");
    for (Sub sub : m.subs()) {
      s.append("    ")
          .append(sub.name())
          .append(") valued=")
          .append(list.apply(sub.valued()))
          .append(" stop=")
          .append(sub.stops() ? 1 : 0)
          .append(" options=")
          .append(options.apply(sub.options()))
          .append(" ;;\n");
    }
    s.append("    *) valued=")
        .append(list.apply(List.of()))
        .append(" stop=0 options=")
        .append(list.apply(List.of()))
        .append(" ;;\n  esac\n}\n\n");
    s.append(tables(m));
    s.append(f).append("_words() {\n  case $1 in\n");
    m.words()
        .forEach(
            (k, v) ->
                s.append("    ")
                    .append(k)
                    .append(") ")
                    .append(wordsVariable)
                    .append('=')
                    .append(list.apply(v))
                    .append(" ;;\n"));
    s.append("  esac\n}\n\n");
    return s.toString();
  }

  /**
   * The walk over the words after the subcommand (from {@code i}), the same in bash and zsh but for
   * the names of the words and of the current one's index: counts the positionals in {@code n}, and
   * leaves {@code skip} set when the word being completed is an option's value.
   */
  private static String walk(Model m, String words, String current) {
    String f = "_" + m.name();
    return "  for (( ; i < "
        + current
        + "; i++ )); do\n"
        + "    w=${"
        + words
        + "[i]}\n"
        + "    if (( skip )); then skip=0; continue; fi\n"
        + "    if (( ! done )) && [[ $w == -- ]]; then done=1; continue; fi\n"
        + "    if (( ! done )) && [[ $w == -* ]]; then\n"
        + "      [[ $w != *=* && \" ${valued[*]} \" == *\" $w \"* ]] && skip=1\n"
        + "      continue\n    fi\n"
        + "    (( n++, stop )) && done=1\n  done\n"
        + "  if (( skip )); then\n"
        + "    "
        + f
        + "_value \"$sub\" \"${"
        + words
        + "["
        + current
        + "-1]}\"\n";
  }

  /**
   * The script's first lines and the function that lists the jails, through {@code first} (the
   * command word as typed) when {@code found} says it is a command, else robojail on PATH.
   */
  private static String preamble(Model m, Shell shell, String first, String found) {
    return "# "
        + shell
        + " completion for "
        + m.name()
        + ", generated by `"
        + m.name()
        + " completion "
        + shell
        + "` from its command model.\n\n"
        + jailsComment()
        + "_"
        + m.name()
        + "_jails() {\n"
        + "  local cmd="
        + first
        + "\n"
        + "  [[ $cmd == \"~/\"* ]] && cmd=$HOME/${cmd#\"~/\"}\n"
        + "  "
        + found
        + " || cmd="
        + m.name()
        + "\n"
        + "  \"$cmd\" list -q </dev/null 2>/dev/null\n}\n\n";
  }

  private static String jailsComment() {
    return "# The jails' names, from the robojail being completed: `list -q` reads the state file and"
        + " starts\n# nothing; its errors are never shown on the command line being typed.\n";
  }

  private static String names(List<Option> options) {
    return options.stream().flatMap(o -> o.names().stream()).collect(joining(" "));
  }

  private static java.util.stream.Collector<CharSequence, ?, String> joining(String s) {
    return Collectors.joining(s);
  }

  /** Single-quoted for sh, bash and zsh: a quote is closed, escaped and reopened. */
  static String sh(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  // --- zsh ------------------------------------------------------------------------------------

  private static String zsh(Model m) {
    String f = "_" + m.name();
    StringBuilder s = new StringBuilder("#compdef ").append(m.name()).append('\n');
    s.append(preamble(m, Shell.zsh, "${words[1]}", "(( $+commands[$cmd] )) || [[ -x $cmd ]]"));
    s.append(
        lists(
            m,
            words -> "(" + words.stream().map(Completions::sh).collect(joining(" ")) + ")",
            options -> "(" + zshDescribed(options) + ")",
            "reply"));
    s.append(f).append("() {\n");
    s.append("  local cur=${words[CURRENT]} sub= w i=2 n=0 done=0 skip=0 stop kind\n");
    s.append("  local -a valued options reply commands\n  commands=(");
    for (Sub sub : m.subs()) {
      s.append(' ').append(sh(sub.name() + ":" + sub.summary()));
    }
    s.append(" )\n");
    s.append("  while (( i < CURRENT )); do\n");
    s.append("    w=${words[i]}; (( i++ ))\n");
    s.append("    [[ $w == -* ]] || { sub=$w; break; }\n  done\n");
    s.append("  if [[ -z $sub ]]; then\n");
    s.append("    if [[ $cur == -* ]]; then\n      options=(")
        .append(zshDescribed(m.options()))
        .append(")\n");
    s.append("      _describe -t options option options\n    else\n");
    s.append("      _describe -t commands '").append(m.name()).append(" command' commands\n");
    s.append("    fi\n    return\n  fi\n");
    s.append("  ").append(f).append("_sub \"$sub\"\n");
    s.append(walk(m, "words", "CURRENT"));
    s.append("  elif (( ! done )) && [[ $cur == -* ]]; then\n");
    s.append("    _describe -t options option options; return\n");
    s.append("  else\n    ").append(f).append("_kind \"$sub\" \"$n\"\n  fi\n");
    s.append("  case $kind in\n");
    s.append("    jail) reply=(${(f)\"$(").append(f).append("_jails)\"})\n");
    s.append("      compadd -J jails -X jail -- $reply ;;\n");
    s.append("    file) _files ;;\n");
    s.append("    w0) _describe -t commands command commands ;;\n");
    s.append("    w*) ").append(f).append("_words \"$kind\"; compadd -- $reply ;;\n");
    s.append("    *) return 1 ;;\n  esac\n}\n\n");
    // Autoloaded from fpath, the file is the function's body; sourced, it registers itself.
    s.append("if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then\n");
    s.append("  ").append(f).append(" \"$@\"\nelse\n");
    s.append("  compdef ").append(f).append(' ').append(m.name()).append("\nfi\n");
    return s.toString();
  }

  // _describe's NAME:DESCRIPTION pairs; a colon in the name would end it.
  private static String zshDescribed(List<Option> options) {
    return options.stream()
        .flatMap(o -> o.names().stream().map(n -> sh(n.replace(":", "\\:") + ":" + o.help())))
        .collect(joining(" "));
  }

  // --- fish -----------------------------------------------------------------------------------

  private static String fish(Model m) {
    String n = m.name();
    String f = "__" + n;
    List<String> l = new ArrayList<>();
    l.add("# fish completion for " + n + ", generated by `" + n + " completion fish`");
    l.add("# from its command model.");
    l.add("");
    l.add(jailsComment().strip());
    l.add("function " + f + "_jails");
    l.add("    set -l cmd (commandline -opc)[1]");
    l.add("    string match -q -- '~/*' $cmd; and set cmd $HOME/(string sub -s 3 -- $cmd)");
    l.add("    command -q -- $cmd; or set cmd " + n);
    l.add("    command $cmd list -q </dev/null 2>/dev/null");
    l.add("end");
    l.add("");
    l.add("# Where the cursor is, as lines the conditions below test: top (no subcommand yet),");
    l.add("# options:SUB (its options still apply), slot:KIND (what the positional here is).");
    l.add("function " + f + "_state");
    l.add("    set -l words (commandline -opc)");
    l.add("    set -l sub");
    l.add("    set -l i 2");
    l.add("    while test $i -le (count $words)");
    l.add("        set -l w $words[$i]");
    l.add("        set i (math $i + 1)");
    l.add("        string match -q -- '-*' $w; or begin; set sub $w; break; end");
    l.add("    end");
    l.add("    if test -z \"$sub\"");
    l.add("        echo top");
    l.add("        return");
    l.add("    end");
    l.add("    set -l valued");
    l.add("    set -l stop 0");
    l.add("    switch $sub");
    for (Sub sub : m.subs()) {
      l.add("        case " + sub.name());
      if (!sub.valued().isEmpty()) {
        l.add("            set valued " + String.join(" ", sub.valued()));
      }
      l.add("            set stop " + (sub.stops() ? 1 : 0));
    }
    l.add("    end");
    l.add("    set -l n 0");
    l.add("    set -l done 0");
    l.add("    set -l skip 0");
    l.add("    while test $i -le (count $words)");
    l.add("        set -l w $words[$i]");
    l.add("        set i (math $i + 1)");
    l.add("        if test $skip = 1");
    l.add("            set skip 0");
    l.add("        else if test $done = 0; and test \"$w\" = --");
    l.add("            set done 1");
    l.add("        else if test $done = 0; and string match -q -- '-*' $w");
    l.add(
        "            not string match -q -- '*=*' $w; and contains -- $w $valued; and set skip 1");
    l.add("        else");
    l.add("            set n (math $n + 1)");
    l.add("            test $stop = 1; and set done 1");
    l.add("        end");
    l.add("    end");
    l.add("    test $done = 0; and echo options:$sub");
    l.add("    # an option's value: fish completes it from the option's own line (its -r)");
    l.add("    test $skip = 1; and return");
    l.add("    switch $sub");
    for (Sub sub : m.subs()) {
      if (sub.slots().isEmpty()) {
        continue;
      }
      l.add("        case " + sub.name());
      for (Slot slot : sub.slots()) {
        l.add(
            "            test $n -ge "
                + slot.from()
                + " -a $n -le "
                + slot.to()
                + "; and echo slot:"
                + slot.kind());
      }
    }
    l.add("    end");
    l.add("end");
    l.add("");
    l.add("function " + f + "_at");
    l.add("    contains -- $argv[1] (" + f + "_state)");
    l.add("end");
    l.add("");
    l.add("complete -c " + n + " -f");
    for (Option o : m.options()) {
      l.add(fishOption(n, f + "_at top", o, m));
    }
    for (Sub sub : m.subs()) {
      l.add(
          "complete -c "
              + n
              + " -n "
              + fq(f + "_at top")
              + " -a "
              + sub.name()
              + " -d "
              + fq(sub.summary()));
    }
    for (Sub sub : m.subs()) {
      for (Option o : sub.options()) {
        l.add(fishOption(n, f + "_at options:" + sub.name(), o, m));
      }
    }
    List<String> kinds = new ArrayList<>();
    m.subs().forEach(s -> s.slots().forEach(slot -> kinds.add(slot.kind())));
    for (String kind : kinds.stream().distinct().toList()) {
      String cond = " -n " + fq(f + "_at slot:" + kind);
      switch (kind) {
        case "jail" -> l.add("complete -c " + n + cond + " -a '(" + f + "_jails)' -d jail");
        case "file" -> l.add("complete -c " + n + cond + " -F");
        case "w0" -> {
          for (Sub sub : m.subs()) {
            l.add("complete -c " + n + cond + " -a " + sub.name() + " -d " + fq(sub.summary()));
          }
        }
        default ->
            l.add("complete -c " + n + cond + " -a " + fq(String.join(" ", m.words().get(kind))));
      }
    }
    return String.join("\n", l) + "\n";
  }

  private static String fishOption(String n, String condition, Option o, Model m) {
    StringBuilder line = new StringBuilder("complete -c " + n + " -n " + fq(condition));
    for (String name : o.names()) {
      line.append(name.startsWith("--") ? " -l " + name.substring(2) : " -s " + name.substring(1));
    }
    if (o.value() != null) {
      // -x: a value, and no file names for it unless it is a file
      line.append(o.value().equals("file") ? " -r -F" : " -x");
      if (o.value().startsWith("w")) {
        line.append(" -a ").append(fq(String.join(" ", m.words().get(o.value()))));
      }
    }
    return line.append(" -d ").append(fq(o.help())).toString();
  }

  /** Single-quoted for fish, where a backslash escapes a backslash or a quote. */
  static String fq(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
