package dev.weir.gateway.group;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.Uuid;

/**
 * A server-side assignor of the KIP-848 consumer protocol: maps every partition of the topics the
 * members subscribe to onto exactly one subscribed member. Pure logic, deterministic for equal input.
 */
interface ServerAssignor {

    /** A member's subscription, resolved to topic ids, and its assignment in the previous target. */
    record Subscriber(String memberId, Set<Uuid> topics, Map<Uuid, Set<Integer>> previous) {
    }

    String name();

    /**
     * The target assignment: member id to topic id to partitions. {@code partitions} gives the
     * partition count of every subscribed topic that exists; {@code topicOrder} sorts topics (by name).
     */
    Map<String, Map<Uuid, Set<Integer>>> assign(List<Subscriber> members, Map<Uuid, Integer> partitions,
                                                Comparator<Uuid> topicOrder);

    static ServerAssignor named(String name) {
        return switch (name) {
            case UniformAssignor.NAME -> new UniformAssignor();
            case RangeAssignor.NAME -> new RangeAssignor();
            default -> null;
        };
    }

    static Map<String, Map<Uuid, Set<Integer>>> empty(List<Subscriber> members) {
        Map<String, Map<Uuid, Set<Integer>>> out = new LinkedHashMap<>();
        members.forEach(m -> out.put(m.memberId(), new TreeMap<>()));
        return out;
    }

    /**
     * Kafka's "uniform" assignor: balanced (members subscribed to the same topics differ by at most one
     * partition) and sticky (a member keeps what it had where balance allows), so rebalances move
     * as few partitions as possible.
     */
    final class UniformAssignor implements ServerAssignor {
        static final String NAME = "uniform";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Map<String, Map<Uuid, Set<Integer>>> assign(List<Subscriber> members, Map<Uuid, Integer> partitions,
                                                           Comparator<Uuid> topicOrder) {
            Map<String, Map<Uuid, Set<Integer>>> out = empty(members);
            Map<String, Integer> counts = new HashMap<>();
            members.forEach(m -> counts.put(m.memberId(), 0));
            Map<Long, String> owner = new HashMap<>();
            List<Uuid> topics = new ArrayList<>(partitions.keySet());
            topics.sort(topicOrder);
            Map<Uuid, Integer> topicIndex = new HashMap<>();
            for (int i = 0; i < topics.size(); i++) {
                topicIndex.put(topics.get(i), i);
            }
            // Keep what each member had and may still have.
            for (Subscriber m : members) {
                m.previous().forEach((topic, ps) -> {
                    Integer n = partitions.get(topic);
                    if (n == null || !m.topics().contains(topic)) {
                        return;
                    }
                    for (int p : ps) {
                        long key = key(topicIndex.get(topic), p);
                        if (p < n && !owner.containsKey(key)) {
                            owner.put(key, m.memberId());
                            out.get(m.memberId()).computeIfAbsent(topic, t -> new TreeSet<>()).add(p);
                            counts.merge(m.memberId(), 1, Integer::sum);
                        }
                    }
                });
            }
            // Give every other partition to the least loaded member subscribed to its topic.
            for (Uuid topic : topics) {
                for (int p = 0; p < partitions.get(topic); p++) {
                    if (owner.containsKey(key(topicIndex.get(topic), p))) {
                        continue;
                    }
                    Subscriber best = null;
                    for (Subscriber m : members) {
                        if (m.topics().contains(topic)
                                && (best == null || counts.get(m.memberId()) < counts.get(best.memberId()))) {
                            best = m;
                        }
                    }
                    if (best != null) {
                        owner.put(key(topicIndex.get(topic), p), best.memberId());
                        out.get(best.memberId()).computeIfAbsent(topic, t -> new TreeSet<>()).add(p);
                        counts.merge(best.memberId(), 1, Integer::sum);
                    }
                }
            }
            // Move partitions from the most to the least loaded eligible members until balanced.
            boolean moved = true;
            while (moved) {
                moved = false;
                for (Subscriber from : members) {
                    Map<Uuid, Set<Integer>> fromAssigned = out.get(from.memberId());
                    for (Uuid topic : new ArrayList<>(fromAssigned.keySet())) {
                        for (int p : new ArrayList<>(fromAssigned.getOrDefault(topic, Set.of()))) {
                            Subscriber to = null;
                            for (Subscriber m : members) {
                                if (m.topics().contains(topic) && counts.get(m.memberId()) < counts.get(from.memberId()) - 1
                                        && (to == null || counts.get(m.memberId()) < counts.get(to.memberId()))) {
                                    to = m;
                                }
                            }
                            if (to == null) {
                                continue;
                            }
                            fromAssigned.get(topic).remove(p);
                            if (fromAssigned.get(topic).isEmpty()) {
                                fromAssigned.remove(topic);
                            }
                            out.get(to.memberId()).computeIfAbsent(topic, t -> new TreeSet<>()).add(p);
                            counts.merge(from.memberId(), -1, Integer::sum);
                            counts.merge(to.memberId(), 1, Integer::sum);
                            moved = true;
                        }
                    }
                }
            }
            return out;
        }

        private static long key(int topic, int partition) {
            return ((long) topic << 32) | partition;
        }
    }

    /**
     * Kafka's "range" assignor: per topic, the subscribed members in member id order each take a
     * contiguous range, the first ones one partition more when the count does not divide evenly, so
     * co-partitioned topics land together.
     */
    final class RangeAssignor implements ServerAssignor {
        static final String NAME = "range";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Map<String, Map<Uuid, Set<Integer>>> assign(List<Subscriber> members, Map<Uuid, Integer> partitions,
                                                           Comparator<Uuid> topicOrder) {
            Map<String, Map<Uuid, Set<Integer>>> out = empty(members);
            List<Uuid> topics = new ArrayList<>(partitions.keySet());
            topics.sort(topicOrder);
            for (Uuid topic : topics) {
                List<String> subscribed = new ArrayList<>();
                members.stream().filter(m -> m.topics().contains(topic)).forEach(m -> subscribed.add(m.memberId()));
                if (subscribed.isEmpty()) {
                    continue;
                }
                subscribed.sort(Comparator.naturalOrder());
                int n = partitions.get(topic);
                int each = n / subscribed.size();
                int extra = n % subscribed.size();
                int next = 0;
                for (int i = 0; i < subscribed.size(); i++) {
                    int take = each + (i < extra ? 1 : 0);
                    if (take == 0) {
                        continue;
                    }
                    Set<Integer> ps = out.get(subscribed.get(i)).computeIfAbsent(topic, t -> new TreeSet<>());
                    for (int p = next; p < next + take; p++) {
                        ps.add(p);
                    }
                    next += take;
                }
            }
            return out;
        }
    }
}
