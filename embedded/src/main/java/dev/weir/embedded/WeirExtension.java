package dev.weir.embedded;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;

/**
 * Starts and closes the brokers of {@link WeirBroker} fields and parameters. Registered by the
 * annotation itself; each broker lives in the JUnit store of the class or test it belongs to and is
 * closed as that context closes, so nothing is shared between test classes and parallel execution
 * needs no locking here.
 */
public final class WeirExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(WeirExtension.class);
    /** The broker a parameter gets when no field names one: the nearest in the store's hierarchy. */
    private static final String DEFAULT_KEY = "broker";

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Class<?> testClass = context.getRequiredTestClass();
        for (Field field : brokerFields(testClass, true)) {
            EmbeddedWeir weir = start(field.getAnnotation(WeirBroker.class));
            store(context, field, weir);
            field.set(null, weir);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Field field : brokerFields(instance.getClass(), false)) {
                EmbeddedWeir weir = start(field.getAnnotation(WeirBroker.class));
                store(context, field, weir);
                field.set(instance, weir);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedWeir.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        Optional<WeirBroker> annotation = parameter.findAnnotation(WeirBroker.class);
        if (annotation.isPresent() && (annotation.get().config().length > 0 || annotation.get().memoryBacked())) {
            // its own settings: its own broker, for this context
            String key = "parameter:" + parameter.getDeclaringExecutable() + "#" + parameter.getIndex();
            return store.getOrComputeIfAbsent(key, k -> new Resource(start(annotation.get())), Resource.class).weir;
        }
        return store.getOrComputeIfAbsent(DEFAULT_KEY, k -> new Resource(start(null)), Resource.class).weir;
    }

    private static void store(ExtensionContext context, Field field, EmbeddedWeir weir) {
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        Resource resource = new Resource(weir);
        store.put("field:" + field.getDeclaringClass().getName() + "." + field.getName(), resource);
        // Parameters get the first field's broker of the nearest context: a test's before its class's.
        String marker = "default-of:" + context.getUniqueId();
        if (store.get(marker) == null) {
            store.put(marker, Boolean.TRUE);
            store.put(DEFAULT_KEY, resource);
        }
    }

    private static List<Field> brokerFields(Class<?> type, boolean statics) {
        List<Field> out = new ArrayList<>();
        for (Field f : AnnotationSupport.findAnnotatedFields(type, WeirBroker.class, field ->
                Modifier.isStatic(field.getModifiers()) == statics, HierarchyTraversalMode.TOP_DOWN)) {
            if (f.getType() != EmbeddedWeir.class) {
                throw new ExtensionConfigurationException("@WeirBroker field " + f + " must be of type EmbeddedWeir");
            }
            if (Modifier.isFinal(f.getModifiers())) {
                throw new ExtensionConfigurationException("@WeirBroker field " + f + " must not be final");
            }
            f.setAccessible(true);
            out.add(f);
        }
        return out;
    }

    private static EmbeddedWeir start(WeirBroker settings) {
        EmbeddedWeir.Builder b = EmbeddedWeir.builder();
        if (settings != null) {
            for (String entry : settings.config()) {
                int eq = entry.indexOf('=');
                if (eq <= 0) {
                    throw new ExtensionConfigurationException("@WeirBroker config entry must be key=value: " + entry);
                }
                b.config(entry.substring(0, eq).trim(), entry.substring(eq + 1));
            }
            if (settings.memoryBacked()) {
                b.memoryBacked();
            }
        }
        return b.start();
    }

    /** Closes its broker when the JUnit context that stores it closes; closing twice is harmless. */
    @SuppressWarnings("deprecation") // CloseableResource: AutoCloseable in the store is closed only from JUnit 5.13 on
    private static final class Resource implements ExtensionContext.Store.CloseableResource {
        final EmbeddedWeir weir;

        Resource(EmbeddedWeir weir) {
            this.weir = weir;
        }

        @Override
        public void close() {
            weir.close();
        }
    }
}
