package dev.weir.compat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Loopback ports chosen at run time; never hands out the same port twice in one test JVM. */
final class FreePorts {
    private static final Set<Integer> ISSUED = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    static int next() {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = socket.getLocalPort();
                if (ISSUED.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("no free loopback port", e);
            }
        }
        throw new IllegalStateException("no unissued free loopback port after 50 attempts");
    }
}
