package dev.weir.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Run only by {@link WeirBrokerExtensionTest#parallelClassesEachGetTheirOwnBroker}, side by side
 * with {@link ParallelBrokerB} (the name keeps surefire from running it alone): classes in parallel,
 * the methods of each in order. Each holds its class broker until the other class is running too.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ParallelBrokerA {
    static final CyclicBarrier BOTH_RUNNING = new CyclicBarrier(2);
    static final Map<String, Integer> ports = new ConcurrentHashMap<>();
    @WeirBroker
    static EmbeddedWeir weir;

    @Test
    @Order(1)
    void holdsItsBrokerWhileTheOtherClassRuns() throws Exception {
        ports.put("A", weir.port());
        weir.createTopic("same-name", 1);
        BOTH_RUNNING.await(60, TimeUnit.SECONDS);
    }

    @Test
    @Order(2)
    void usesItsBroker() throws Exception {
        assertEquals(List.of("same-name"), WeirBrokerExtensionTest.listTopics(weir));
    }
}

/** See {@link ParallelBrokerA}. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ParallelBrokerB {
    @WeirBroker
    static EmbeddedWeir weir;

    @Test
    @Order(1)
    void holdsItsBrokerWhileTheOtherClassRuns() throws Exception {
        ParallelBrokerA.ports.put("B", weir.port());
        weir.createTopic("same-name", 1);
        ParallelBrokerA.BOTH_RUNNING.await(60, TimeUnit.SECONDS);
    }

    @Test
    @Order(2)
    void usesItsBroker() throws Exception {
        assertEquals(List.of("same-name"), WeirBrokerExtensionTest.listTopics(weir));
    }
}
