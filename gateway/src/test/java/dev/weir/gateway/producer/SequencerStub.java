package dev.weir.gateway.producer;

import dev.weir.storage.AppendCondition;
import dev.weir.storage.AttributeUpdate;
import dev.weir.storage.Attributes;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** A partition's attributes and next offset, with conditions applied to them as the store's sequencer would. */
final class SequencerStub {
    final Map<Long, Long> attributes = new HashMap<>();
    long nextOffset;

    /** Offers an append of {@code records} records; its base offset (a skipped one's given offset). */
    long append(AppendCondition check, int records) {
        long[] current = Arrays.stream(check.reads()).map(id -> attributes.getOrDefault(id, Attributes.NULL_VALUE)).toArray();
        AppendCondition.Decision d = check.decide(current, nextOffset);
        if (d instanceof AppendCondition.Skip skip) {
            return skip.result().baseOffset();
        }
        for (AttributeUpdate u : ((AppendCondition.Proceed) d).updates()) {
            if (u.value() == Attributes.NULL_VALUE) {
                attributes.remove(u.id());
            } else {
                attributes.put(u.id(), u.value());
            }
        }
        long base = nextOffset;
        nextOffset += records;
        return base;
    }
}
