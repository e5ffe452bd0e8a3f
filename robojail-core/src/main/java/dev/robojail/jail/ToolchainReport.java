package dev.robojail.jail;

import java.util.List;

/**
 * What a jail gets of the toolchains in the user's home ({@code toolchains} and {@code path} in
 * {@code config.toml}), worded for the user, one line each.
 *
 * @param added each toolchain made visible read-only: its kind, its directories, and what it put on
 *     {@code PATH}
 * @param refused each directory not made visible, or link not followed, and why
 */
public record ToolchainReport(List<String> added, List<String> refused) {
  public ToolchainReport {
    added = List.copyOf(added);
    refused = List.copyOf(refused);
  }
}
