package dev.weir.storage;

import java.util.concurrent.CompletableFuture;

/**
 * A replicated log under the containers, for a store that is one replica of several: the leader's
 * sequencer proposes each group commit as a change record instead of committing it, and every
 * replica, the leader too, applies the records the log has committed, in log order, through
 * {@link LmdbSegmentStore#applyCommitted}. The store never imports the engine behind it.
 */
public interface ContainerLog {

    /** The largest change record a log must carry; a group's operations are cut to stay well below. */
    int MAX_RECORD_BYTES = (8 << 20) - (64 << 10);

    /** A replicated group takes operations of at most this many bytes together (a larger one goes alone). */
    int MAX_GROUP_BYTES = 4 << 20;

    /**
     * Proposes one group's change record for {@code container}. The future completes once the log
     * has committed the record and this replica has applied it, or fails when this replica cannot
     * get it committed (not the leader, timed out); then the record may or may not be applied later.
     */
    CompletableFuture<Void> propose(int container, byte[] changes);

    /** True while this replica leads {@code container}: only then does its sequencer take writes. */
    boolean isLeader(int container);

    /** The node id of the container's leader, or -1 when none is known. */
    int leaderOf(int container);
}
