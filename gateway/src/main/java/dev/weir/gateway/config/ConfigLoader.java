package dev.weir.gateway.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;

/**
 * Builds a {@link GatewayConfig} from, in rising precedence: built-in defaults, {@code --config FILE},
 * {@code WEIR_<KEY>} environment variables, and repeated {@code --set key=value}.
 */
public final class ConfigLoader {
    private ConfigLoader() {
    }

    public static GatewayConfig load(String[] args, Map<String, String> env) {
        Map<String, Object> values = new HashMap<>();
        Map<String, String> sets = new HashMap<>();
        List<ScramUser> scramUsers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--config" -> values.putAll(readFile(Path.of(requireNext(args, ++i, a))));
                case "--set" -> {
                    String kv = requireNext(args, ++i, a);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new ConfigException("--set expects key=value, got: " + kv);
                    }
                    sets.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
                }
                case "--add-scram" -> scramUsers.add(ScramUser.parse(requireNext(args, ++i, a)));
                default -> throw new ConfigException("unknown argument: " + a
                        + " (usage: [--config FILE] [--set key=value ...] [--add-scram MECHANISM=[name=U,password=P]])");
            }
        }
        for (String key : GatewayConfig.keys()) {
            String envName = "WEIR_" + key.replace('.', '_').toUpperCase(Locale.ROOT);
            String v = env.get(envName);
            if (v != null) {
                values.put(key, v);
            }
        }
        values.putAll(sets);
        for (String key : values.keySet()) {
            if (!GatewayConfig.DEFINITION.names().contains(key) && !GatewayConfig.isListenerKey(key)) {
                throw new ConfigException(key, values.get(key), "unknown configuration key");
            }
        }
        // A key with no default left empty (ssl.keystore.location=) is unset, as if absent.
        values.entrySet().removeIf(e -> String.valueOf(e.getValue()).isBlank()
                && GatewayConfig.DEFINITION.configKeys().containsKey(e.getKey())
                && GatewayConfig.DEFINITION.configKeys().get(e.getKey()).defaultValue == null);
        GatewayConfig config = new GatewayConfig(values);
        config.addScramUsers(scramUsers);
        return config;
    }

    private static String requireNext(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new ConfigException(flag + " needs a value");
        }
        return args[i];
    }

    private static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new HashMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
        return out;
    }
}
