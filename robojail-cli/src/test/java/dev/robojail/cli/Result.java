package dev.robojail.cli;

/** What a {@code robojail} command did: its exit status and everything it printed. */
record Result(int code, String out, String err) {}
