package dev.robojail.ffm;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test starts real user namespaces. It is tagged {@code namespace}, so that the as-nobody pass
 * ({@code .ci/as-nobody}) runs it again as uid 65534, and it is disabled, with the kernel's own
 * reason, where the kernel refuses them (bubblewrap's {@code ok_skip}); with {@code CI=true} a
 * refusal fails it instead, since CI machines have user namespaces and a skip there checks nothing.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag("namespace")
@ExtendWith(UserNamespaces.class)
public @interface NeedsUserNamespaces {}
