package dev.weir.gateway.producer;

import dev.weir.storage.AppendCondition;
import dev.weir.storage.AttributeUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Several conditions on one append, decided in order: the first to reject or skip decides; else
 * the append proceeds with all their updates.
 */
public final class AllConditions implements AppendCondition {
    private final List<AppendCondition> conditions;

    private AllConditions(List<AppendCondition> conditions) {
        this.conditions = conditions;
    }

    /** The conditions that are not null, combined; null if there are none. */
    public static AppendCondition of(AppendCondition... conditions) {
        List<AppendCondition> present = Arrays.stream(conditions).filter(c -> c != null).toList();
        return present.isEmpty() ? null : present.size() == 1 ? present.get(0) : new AllConditions(present);
    }

    @Override
    public long[] reads() {
        return conditions.stream().flatMapToLong(c -> Arrays.stream(c.reads())).toArray();
    }

    @Override
    public Decision decide(long[] current, long nextOffset) {
        List<AttributeUpdate> updates = new ArrayList<>();
        int from = 0;
        for (AppendCondition c : conditions) {
            int n = c.reads().length;
            Decision d = c.decide(Arrays.copyOfRange(current, from, from + n), nextOffset);
            from += n;
            if (d instanceof Skip) {
                return d;
            }
            updates.addAll(((Proceed) d).updates());
        }
        return new Proceed(updates);
    }
}
