import java.lang.reflect.Method;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Prints the ApiVersions list a default-configured Kafka broker of the kafka-clients jar on the
 * class path advertised, one line per API: id, name, min, max. Run by kafka-broker-versions.sh with
 * one old jar at a time, so it reaches that jar's classes by reflection only.
 *
 * ZK_BROKER (2.8, 3.0): what Kafka's DefaultApiVersionManager answered without forwarding, i.e.
 * ApiVersionsResponse.filterApis(RecordVersion.V2, ZK_BROKER). BROKER (KRaft, 3.3+): the broker's
 * APIs with the forwardable ones intersected with its controller's (a controller of the same
 * release), unstable last versions left out and client telemetry off, as a broker with default
 * settings answers.
 */
public class KafkaBrokerApiVersions {
    public static void main(String[] args) throws Exception {
        String listener = args[0];
        Class<?> apiKeys = Class.forName("org.apache.kafka.common.protocol.ApiKeys");
        Class<?> listenerType = Class.forName("org.apache.kafka.common.message.ApiMessageType$ListenerType");
        Class<?> response = Class.forName("org.apache.kafka.common.requests.ApiVersionsResponse");
        Class<?> recordVersion = Class.forName("org.apache.kafka.common.record.RecordVersion");
        Object v2 = enumValue(recordVersion, "V2");
        Object collection;
        if (listener.equals("ZK_BROKER")) {
            collection = find(response, "filterApis", 2).invoke(null, v2, enumValue(listenerType, "ZK_BROKER"));
        } else {
            Object controller = enumValue(listenerType, "CONTROLLER");
            Object broker = enumValue(listenerType, "BROKER");
            Set<?> controllerApis = (Set<?>) apiKeys.getMethod("apisForListener", listenerType).invoke(null, controller);
            Method collect = find(response, "collectApis", -1);
            Object controllerVersions = collect.getParameterCount() == 2
                    ? collect.invoke(null, controllerApis, false)
                    : collect.invoke(null, controller, controllerApis, false);
            Map<Object, Object> byKey = new HashMap<>();
            for (Object v : (Collection<?>) controllerVersions) {
                short id = (short) v.getClass().getMethod("apiKey").invoke(v);
                byKey.put(apiKeys.getMethod("forId", int.class).invoke(null, (int) id), v);
            }
            Method intersect = find(response, "intersectForwardableApis", -1);
            collection = switch (intersect.getParameterCount()) {
                case 4 -> intersect.getParameterTypes()[1] == recordVersion
                        ? intersect.invoke(null, broker, v2, byKey, false)       // 3.3 - 3.6
                        : intersect.invoke(null, broker, byKey, false, false);    // 4.x
                case 5 -> intersect.invoke(null, broker, v2, byKey, false, false); // 3.7 - 3.9
                default -> throw new IllegalStateException("unknown " + intersect);
            };
        }
        Map<Short, String> lines = new TreeMap<>();
        for (Object v : (Collection<?>) collection) {
            short id = (short) v.getClass().getMethod("apiKey").invoke(v);
            short min = (short) v.getClass().getMethod("minVersion").invoke(v);
            short max = (short) v.getClass().getMethod("maxVersion").invoke(v);
            Object key = apiKeys.getMethod("forId", int.class).invoke(null, (int) id);
            lines.put(id, id + "\t" + key + "\t" + min + "\t" + max);
        }
        lines.values().forEach(System.out::println);
    }

    private static Object enumValue(Class<?> type, String name) {
        for (Object c : type.getEnumConstants()) {
            if (((Enum<?>) c).name().equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException(type + " has no " + name);
    }

    private static Method find(Class<?> type, String name, int parameters) {
        for (Method m : type.getMethods()) {
            if (m.getName().equals(name) && (parameters < 0 || m.getParameterCount() == parameters)) {
                return m;
            }
        }
        throw new IllegalArgumentException(type + " has no " + name);
    }
}
