package dev.weir.gateway.config;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;

/**
 * A SCRAM user to create at start when it has no credential of that mechanism yet: the
 * {@code --add-scram} argument, in the syntax of Kafka's {@code kafka-storage format --add-scram}:
 * {@code SCRAM-SHA-256=[name=alice,password=alice-secret]}, optionally with {@code iterations=N}.
 * The password is used once to derive the stored credential and is not kept.
 */
public record ScramUser(String mechanism, String name, String password, int iterations) {
    public static final int DEFAULT_ITERATIONS = 4096;

    @Override
    public String toString() {
        return mechanism + " user " + name; // never the password
    }

    public static ScramUser parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0 || !spec.endsWith("]") || spec.charAt(eq + 1) != '[') {
            throw problem("expected MECHANISM=[name=...,password=...]");
        }
        String mechanism = spec.substring(0, eq).trim();
        if (!mechanism.equals("SCRAM-SHA-256") && !mechanism.equals("SCRAM-SHA-512")) {
            throw problem("the mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not " + mechanism);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        String body = spec.substring(eq + 2, spec.length() - 1);
        int i = 0;
        while (i < body.length()) {
            int e = body.indexOf('=', i);
            if (e < 0) {
                throw problem("expected key=value in " + mechanism + "=[...]");
            }
            String key = body.substring(i, e).trim();
            String value;
            int next;
            if (e + 1 < body.length() && body.charAt(e + 1) == '"') {
                int close = body.indexOf('"', e + 2);
                if (close < 0) {
                    throw problem("unterminated quoted value of " + key);
                }
                value = body.substring(e + 2, close);
                next = body.indexOf(',', close);
            } else {
                next = body.indexOf(',', e);
                value = body.substring(e + 1, next < 0 ? body.length() : next);
            }
            fields.put(key, value);
            i = next < 0 ? body.length() : next + 1;
        }
        String name = fields.remove("name");
        String password = fields.remove("password");
        String iterations = fields.remove("iterations");
        if (name == null || name.isEmpty() || password == null || password.isEmpty()) {
            throw problem("name and password are needed");
        }
        if (!fields.isEmpty()) {
            throw problem("unknown field(s) " + fields.keySet() + "; known: name, password, iterations");
        }
        int n = DEFAULT_ITERATIONS;
        if (iterations != null) {
            try {
                n = Integer.parseInt(iterations);
            } catch (NumberFormatException ex) {
                throw problem("iterations is not a number");
            }
            if (n < 4096 || n > 16384) {
                throw problem("iterations must be between 4096 and 16384");
            }
        }
        return new ScramUser(mechanism, name, password, n);
    }

    private static ConfigException problem(String why) {
        // The spec holds a password: it is not repeated in the message.
        return new ConfigException("--add-scram: " + why);
    }
}
