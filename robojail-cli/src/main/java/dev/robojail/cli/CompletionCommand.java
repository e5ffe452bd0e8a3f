package dev.robojail.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Prints the completion script for a shell, as {@link Completions} makes it from the command model;
 * the distribution's completion files are the same text.
 */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = "Prints a shell completion script for robojail.",
    footerHeading = "%nExamples:%n",
    footer = {
      "  source <(robojail completion bash)           # in ~/.bashrc",
      "  source <(robojail completion zsh)            # in ~/.zshrc, after compinit",
      "  robojail completion fish > ~/.config/fish/completions/robojail.fish",
      "",
      "The scripts complete commands, options and the jails' names (from 'robojail list -q').",
      "An installed distribution has them in share/ already."
    })
final class CompletionCommand extends JailCommand {
  @Parameters(index = "0", paramLabel = "SHELL", description = "bash, zsh or fish.")
  Completions.Shell shell;

  @Override
  int doCall() {
    out().print(Completions.script(shell, spec.root().commandLine()));
    return Errors.OK;
  }
}
