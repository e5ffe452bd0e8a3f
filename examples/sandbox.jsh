// robojail from JShell: run a command in a sandbox and read its output. After a build:
//   "$(bin/require-jdk --print)/bin/jshell" \
//     --class-path robojail-ffm/target/classes:robojail-core/target/classes \
//     -R--enable-native-access=ALL-UNNAMED examples/sandbox.jsh
// (JShell ends a statement at the end of a line when it can, so each line ends with a dot.)
import dev.robojail.sandbox.*;

var repo = java.nio.file.Path.of(".").toAbsolutePath().normalize();
var p = Sandbox.builder().
    minimalSystem().
    readOnlyBind(repo, "/repo").
    workingDirectory("/repo").
    hostname("jshell-jail").
    command("/bin/sh", "-c", "echo hello from $(hostname), pid $$; ls /repo | head -3").
    stdout(Stdio.pipe()).
    start();
System.out.print(new String(p.getInputStream().readAllBytes()));
System.out.println("exit status " + p.waitFor());
/exit
