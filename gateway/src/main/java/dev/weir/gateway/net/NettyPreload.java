package dev.weir.gateway.net;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.epoll.Epoll;

/** Netty's share of a cold start, begun early on another thread. No logger: touching it must not initialise logging. */
public final class NettyPreload {
    private NettyPreload() {
    }

    /**
     * Starts loading Netty (its epoll native library, the allocator its channels use) on a daemon thread and
     * returns at once, so that binding the listener later waits only for what is left.
     */
    public static void start() {
        // Netty's allocator events would bring up JFR's event machinery (tens of ms of a cold
        // start, its event classes outside the class archive); -Dio.netty.jfr.enabled=true opts in.
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
        Thread t = new Thread(() -> {
            Epoll.isAvailable();
            ByteBufAllocator.DEFAULT.directBuffer(1).release();
        }, "weir-netty-preload");
        t.setDaemon(true);
        t.start();
    }
}
