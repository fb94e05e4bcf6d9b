package dev.weir.replication;

import dev.weir.storage.LmdbSegmentStore;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;

/**
 * One container as a Ratis state machine: each committed log entry is one group commit's change
 * record, handed to the store's container in log order. The container keeps the index it applied
 * last in its own LMDB environment, so replays after a restart are skipped there.
 */
final class ContainerStateMachine extends BaseStateMachine {
    private final int container;
    private final LmdbSegmentStore store;
    private final RatisLog owner;

    ContainerStateMachine(int container, LmdbSegmentStore store, RatisLog owner) {
        this.container = container;
        this.store = store;
        this.owner = owner;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        // The container applies records in the order they are handed over, so the index counts as
        // applied now (Ratis wants it to move forward monotonically, which completions may not).
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return store.applyCommitted(container, entry.getIndex(),
                        entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer())
                .thenApply(v -> Message.EMPTY);
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        owner.leaderChanged(container, newLeaderId);
    }
}
