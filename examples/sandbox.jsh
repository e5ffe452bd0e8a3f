// robojail from JShell: run a command in a sandbox and read its output.
//   jshell --class-path robojail-ffm/target/classes:robojail-core/target/classes \
//          -R--enable-native-access=ALL-UNNAMED examples/sandbox.jsh
import dev.robojail.sandbox.*;

var p = Sandbox.builder()
    .minimalSystem()
    .readOnlyBind(java.nio.file.Path.of(".").toAbsolutePath().normalize(), "/repo")
    .workingDirectory("/repo")
    .hostname("jshell-jail")
    .command("/bin/sh", "-c", "echo hello from $(hostname), pid $$; ls /repo | head -5")
    .stdout(Stdio.pipe())
    .start();
System.out.print(new String(p.getInputStream().readAllBytes()));
System.out.println("exit status " + p.waitFor());
/exit
