package dev.robojail.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The man pages and shell completion files of the distribution, written from the picocli model at
 * build time, so that they describe exactly the commands and options the jar parses; the
 * completions are {@link Completions}'s, as {@code robojail completion SHELL} prints them.
 *
 * <p>Man pages are roff written here: picocli-codegen's ManPageGenerator writes AsciiDoc, which
 * would need Asciidoctor (JRuby) in the build to become a man page.
 */
final class DistFiles {
  private DistFiles() {}

  /** Writes {@code share/man/man1}, bash, zsh and fish completions below {@code args[0]}. */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: DistFiles OUTPUT_DIR");
      System.exit(2);
    }
    write(Path.of(args[0]), model());
  }

  /** The command line as users get it; the jails are never opened while writing documents. */
  static CommandLine model() {
    return Robojail.commandLine(
        () -> {
          throw new IllegalStateException("documents only");
        });
  }

  static void write(Path share, CommandLine cl) throws IOException {
    Path man = Files.createDirectories(share.resolve("man/man1"));
    Files.writeString(man.resolve("robojail.1"), manPage(cl, List.of()));
    for (Map.Entry<String, CommandLine> sub : visibleSubcommands(cl)) {
      Files.writeString(
          man.resolve("robojail-" + sub.getKey() + ".1"),
          manPage(sub.getValue(), List.of(sub.getKey())));
    }
    for (Completions.Shell shell : Completions.Shell.values()) {
      write(share.resolve(completionFile(shell)), Completions.script(shell, cl));
    }
  }

  /** Where a shell looks for robojail's completion, below a prefix's {@code share}. */
  static String completionFile(Completions.Shell shell) {
    return switch (shell) {
      case bash -> "bash-completion/completions/robojail";
      case zsh -> "zsh/site-functions/_robojail";
      case fish -> "fish/vendor_completions.d/robojail.fish";
    };
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Map.Entry<String, CommandLine>> visibleSubcommands(CommandLine cl) {
    List<Map.Entry<String, CommandLine>> subs = new ArrayList<>();
    for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
      CommandSpec spec = e.getValue().getCommandSpec();
      // Aliases appear in the map too; each command is documented once, under its name.
      if (!spec.usageMessage().hidden() && spec.name().equals(e.getKey())) {
        subs.add(e);
      }
    }
    return subs;
  }

  // --- man ------------------------------------------------------------------------------------

  static String manPage(CommandLine cl, List<String> path) {
    CommandSpec spec = cl.getCommandSpec();
    String title = path.isEmpty() ? "robojail" : "robojail-" + String.join("-", path);
    String version = String.join(" ", spec.root().version());
    StringBuilder m = new StringBuilder();
    m.append(".TH ")
        .append(title.toUpperCase(Locale.ROOT))
        .append(" 1 \"\" \"")
        .append(roff(version))
        .append("\" \"robojail manual\"\n");
    m.append(".SH NAME\n")
        .append(roff(title))
        .append(" \\- ")
        // whatis(1) and apropos show this line alone: the description's first sentence
        .append(roff(firstLine(cl)))
        .append('\n');
    m.append(".SH SYNOPSIS\n.nf\n")
        .append(roff(cl.getHelp().synopsis(0).strip()))
        .append("\n.fi\n");
    String[] description = spec.usageMessage().description();
    if (description.length > 0) {
      m.append(".SH DESCRIPTION\n");
      for (String line : description) {
        m.append(roff(line)).append("\n.PP\n");
      }
    }
    if (!spec.positionalParameters().isEmpty()) {
      m.append(".SH ARGUMENTS\n");
      for (var p : spec.positionalParameters()) {
        if (p.hidden()) {
          continue;
        }
        m.append(".TP\n.I ")
            .append(roff(p.paramLabel()))
            .append('\n')
            .append(roff(String.join(" ", p.description())))
            .append('\n');
      }
    }
    if (!spec.options().isEmpty()) {
      m.append(".SH OPTIONS\n");
      for (OptionSpec o : spec.options()) {
        if (o.hidden()) {
          continue;
        }
        m.append(".TP\n.B ").append(roff(String.join(", ", o.names())));
        if (o.arity().max() > 0) {
          m.append(' ').append(roff(o.paramLabel()));
        }
        m.append('\n').append(roff(String.join(" ", o.description()))).append('\n');
      }
    }
    Map<String, String> exitCodes = spec.usageMessage().exitCodeList();
    if (!exitCodes.isEmpty()) {
      m.append(".SH EXIT STATUS\n");
      for (Map.Entry<String, String> e : exitCodes.entrySet()) {
        m.append(".TP\n.B ")
            .append(roff(e.getKey().strip()))
            .append('\n')
            .append(roff(e.getValue()))
            .append('\n');
      }
    }
    String[] footer = spec.usageMessage().footer();
    if (footer.length > 0) {
      // Examples and notes live in the footer of --help; the page shows them under the
      // footer's own heading.
      String heading =
          Ansi.OFF.string(spec.usageMessage().footerHeading()).replace("%n", "").strip();
      heading = heading.endsWith(":") ? heading.substring(0, heading.length() - 1) : heading;
      m.append(".SH ")
          .append(roff(heading.isEmpty() ? "NOTES" : heading.toUpperCase(Locale.ROOT)))
          .append("\n.nf\n");
      for (String line : footer) {
        m.append(roff(line)).append('\n');
      }
      m.append(".fi\n");
    }
    List<Map.Entry<String, CommandLine>> subs = visibleSubcommands(cl);
    if (!subs.isEmpty()) {
      m.append(".SH COMMANDS\n");
      for (Map.Entry<String, CommandLine> sub : subs) {
        m.append(".TP\n.B ")
            .append(roff(sub.getKey()))
            .append('\n')
            .append(roff(firstLine(sub.getValue())))
            .append('\n');
      }
      m.append(".SH SEE ALSO\n");
      List<String> refs = new ArrayList<>();
      for (Map.Entry<String, CommandLine> sub : subs) {
        refs.add(".BR robojail-" + roff(sub.getKey()) + " (1)");
      }
      m.append(String.join(",\n", refs)).append('\n');
    } else if (!path.isEmpty()) {
      m.append(".SH SEE ALSO\n.BR robojail (1)\n");
    }
    return m.toString();
  }

  private static String firstLine(CommandLine cl) {
    String[] d = cl.getCommandSpec().usageMessage().description();
    return d.length == 0 ? "" : d[0];
  }

  /**
   * Text as roff reads it literally: a backslash is roff's escape, and a line starting with a dot
   * or a quote would be a request.
   */
  static String roff(String text) {
    // picocli's texts are format strings (%n, %%), with markup that Ansi.OFF removes.
    String plain =
        Ansi.OFF
            .string(text)
            .replace("%n", "\n")
            .replace("%%", "%")
            .replace("\\", "\\e")
            .replace("-", "\\-");
    StringBuilder out = new StringBuilder();
    for (String line : plain.split("\n", -1)) {
      if (!out.isEmpty()) {
        out.append('\n');
      }
      if (line.startsWith(".") || line.startsWith("'")) {
        out.append("\\&");
      }
      // groff reads its input as Latin-1: anything else is written as the Unicode escape.
      line.codePoints()
          .forEach(
              c -> {
                if (c < 0x80) {
                  out.appendCodePoint(c);
                } else {
                  out.append(String.format(java.util.Locale.ROOT, "\\[u%04X]", c));
                }
              });
    }
    return out.toString();
  }
}
