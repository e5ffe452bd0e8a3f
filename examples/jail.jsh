// robojail from JShell: make a jail of a repository, run a command that adds a file, print what
// the jail changed, destroy the jail. After a build (./mvnw -B verify), from the repository root:
//   "$(bin/require-jdk --print)/bin/jshell" -R--enable-native-access=ALL-UNNAMED \
//     --class-path "robojail-core/target/classes:robojail-ffm/target/classes:$(cat robojail-cli/target/runtime-classpath.txt)" \
//     examples/jail.jsh
// The repository is the current directory, or the one in the REPO environment variable.
// (JShell ends a statement at the end of a line when it can, so each line ends with a dot.)
import dev.robojail.jail.*;

var repo = java.nio.file.Path.of(System.getenv().getOrDefault("REPO", "."));
var jails = Jails.open();
var name = "jshell-" + ProcessHandle.current().pid();
var jail = jails.create(name, repo);
try {
    System.out.println("created jail " + name + " at " + jail.worktree());
    System.out.println("exit status " + jails.run(name, List.of("/bin/sh", "-c", "echo hello > HELLO.txt")));
    var status = jails.status(name);
    System.out.println(status.added() + " added, " + status.modified() + " modified, " +
        status.deleted() + " deleted; +" + status.insertions() + " -" + status.deletions() + " lines");
    status.changes().forEach(c -> System.out.println("  " + c.kind() + " " + c.path()));
} finally {
    var destroyed = jails.destroyJail(name, true);
    System.out.println("destroyed jail " + name + "; its branch: " + destroyed.outcome());
}
/exit
