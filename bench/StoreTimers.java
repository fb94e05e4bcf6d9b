import com.sun.tools.attach.VirtualMachine;
import java.util.Set;
import java.util.TreeSet;
import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Prints the store's group-commit timers of a running gateway, read over JMX through the attach
 * API (no JMX port needed): {@code java bench/StoreTimers.java PID}. Per container: entries per
 * commit, commit latency (LMDB's write transaction, with its data sync when storage.sync=true) and
 * flush latency (the meta-page sync that follows), in ms. Dropwizard's reservoirs favour the last
 * five minutes.
 */
public final class StoreTimers {
    private static final String[] ATTRIBUTES = {"Count", "Mean", "50thPercentile", "99thPercentile", "Max"};

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java bench/StoreTimers.java GATEWAY_PID");
            System.exit(2);
        }
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            Set<ObjectName> names = new TreeSet<>(server.queryNames(new ObjectName("dev.weir:*"), null));
            for (ObjectName name : names) {
                String metric = name.getKeyProperty("name");
                if (metric == null || !metric.matches("storage\\.container\\.\\d+\\.(commit-batch-size|commit-latency|flush-latency)")) {
                    continue;
                }
                StringBuilder line = new StringBuilder(metric);
                for (Attribute a : server.getAttributes(name, ATTRIBUTES).asList()) {
                    Object v = a.getValue();
                    line.append(' ').append(a.getName()).append('=')
                            .append(v instanceof Double d ? String.format("%.2f", d) : v);
                }
                System.out.println(line);
            }
        } finally {
            vm.detach();
        }
    }
}
