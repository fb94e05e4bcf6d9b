package dev.weir.embedded;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An {@link EmbeddedWeir} for a JUnit 5 test, started before and closed after it:
 * <ul>
 * <li>on a {@code static} field: one broker for the test class (all its tests);</li>
 * <li>on an instance field: a fresh broker for each test;</li>
 * <li>on a parameter of type {@code EmbeddedWeir} of a test, lifecycle or {@code @BeforeAll} method:
 *     the broker of the test's or the class's field if there is one, else one for that test (or, in
 *     {@code @BeforeAll}, for the class); with {@link #config()} or {@link #memoryBacked()} set, one
 *     of its own. Once the class carries {@code @WeirBroker} (on itself or a field), its
 *     {@code EmbeddedWeir} parameters need no annotation.</li>
 * </ul>
 * Each test class gets brokers of its own, so classes may run in parallel.
 */
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(WeirExtension.class)
public @interface WeirBroker {
    /** Configuration entries, each {@code key=value}, as {@link EmbeddedWeir.Builder#config(String, String)}. */
    String[] config() default {};

    /** Data in a memory-backed directory (/dev/shm) instead of a temporary one. */
    boolean memoryBacked() default false;
}
