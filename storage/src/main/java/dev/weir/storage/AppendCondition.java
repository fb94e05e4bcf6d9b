package dev.weir.storage;

import java.util.List;

/**
 * A caller's check of an append against the segment's attributes, run by the sequencer at
 * sequencing time, in order with every other operation on the segment and inside the same commit
 * as the data: Pravega's conditional append, generalized to a decision the caller computes from
 * the current values. It must be quick and side-effect free; the sequencer waits for it.
 *
 * <p>The decision either lets the append proceed (with attribute updates applied in the same
 * commit), or skips it (nothing is written and the append completes with the given result, e.g.
 * the offsets of an identical earlier append), or rejects it by throwing a
 * {@link ConditionFailedException}, which fails the append (any other exception fails it as a
 * {@link StorageException}).
 */
public interface AppendCondition {

    /** The attributes the decision reads. */
    long[] reads();

    /**
     * Decides given the current values of {@link #reads()} (absent ones are {@link Attributes#NULL_VALUE})
     * and the segment's next offset, which the append's first entry would get.
     */
    Decision decide(long[] current, long nextOffset);

    /** What to do with the append. */
    sealed interface Decision permits Proceed, Skip {
    }

    /** Append, applying these attribute updates as well. */
    record Proceed(List<AttributeUpdate> updates) implements Decision {
        public Proceed {
            updates = List.copyOf(updates);
        }
    }

    /** Do not append; complete with {@code result}. */
    record Skip(AppendResult result) implements Decision {
    }
}
