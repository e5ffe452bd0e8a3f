import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Rewrites the classes of a jar compiled for Java 5 as Java 8 class files, with stack maps made by
 * the JDK's ClassFile API, so that the AOT cache can hold them: JDK 25 leaves out every class that
 * the old verifier checks (class files before version 50, and those without stack maps), and
 * picocli 4.7.7 is Java 5 bytecode. The code is the same instruction for instruction.
 *
 * <pre>java UpgradeClasses.java OUT_DIR JAR...</pre>
 *
 * Each jar is written to OUT_DIR under its own name: rewritten if it has such classes, else copied
 * as it is (byte for byte).
 */
public final class UpgradeClasses {
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    for (int i = 1; i < args.length; i++) {
      Path in = Path.of(args[i]);
      Path out = dir.resolve(in.getFileName());
      if (!upgrade(in, out)) {
        Files.copy(in, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private static boolean upgrade(Path in, Path out) throws IOException {
    try (var loader = new URLClassLoader(new URL[] {in.toUri().toURL()}, null);
        var jar = new JarFile(in.toFile());
        var os = new JarOutputStream(Files.newOutputStream(out))) {
      var cf =
          ClassFile.of(
              ClassFile.ClassHierarchyResolverOption.of(
                  ClassHierarchyResolver.defaultResolver()
                      .orElse(ClassHierarchyResolver.ofResourceParsing(loader))));
      int upgraded = 0;
      for (JarEntry e : jar.stream().toList()) {
        // Signatures would no longer match, and the version-9 module-info is left alone.
        if (e.getName().startsWith("META-INF/")
            && e.getName().matches("META-INF/[^/]*\\.(SF|RSA|DSA|EC)")) {
          continue;
        }
        byte[] bytes = jar.getInputStream(e).readAllBytes();
        if (e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/")) {
          var model = cf.parse(bytes);
          if (model.majorVersion() < ClassFile.JAVA_8_VERSION) {
            bytes =
                cf.transformClass(
                    model,
                    ClassTransform.transformingMethodBodies(CodeTransform.ACCEPT_ALL)
                        .andThen(
                            (b, el) -> {
                              if (!(el instanceof ClassFileVersion)) {
                                b.with(el);
                              }
                            })
                        .andThen(
                            ClassTransform.endHandler(
                                b -> b.with(ClassFileVersion.of(ClassFile.JAVA_8_VERSION, 0)))));
            upgraded++;
          }
        }
        var copy = new JarEntry(e.getName());
        copy.setTime(e.getTime());
        os.putNextEntry(copy);
        os.write(bytes);
        os.closeEntry();
      }
      if (upgraded > 0) {
        System.out.println("UpgradeClasses: " + upgraded + " classes of " + in.getFileName());
      }
      os.finish();
      return upgraded > 0;
    }
  }
}
