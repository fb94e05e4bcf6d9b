package dev.weir.gateway.producer;

import dev.weir.storage.AppendCondition;
import dev.weir.storage.AttributeUpdate;
import dev.weir.storage.Attributes;
import dev.weir.storage.ConditionFailedException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.protocol.Errors;

/**
 * The end of a producer's transaction in one partition, decided with the commit or abort marker it
 * writes: the open transaction no longer holds the last stable offset back, an abort is added to
 * the partition's index of aborted transactions (so read_committed fetches can tell consumers what
 * to drop), and a marker of a newer epoch fences the producer's older epochs. All in the marker's
 * commit, so the index and the log never disagree, even across a crash.
 */
final class TransactionMarkerCheck implements AppendCondition {
    private final long producerId;
    private final short epoch;
    private final boolean commit;

    TransactionMarkerCheck(long producerId, short epoch, boolean commit) {
        this.producerId = producerId;
        this.epoch = epoch;
        this.commit = commit;
    }

    @Override
    public long[] reads() {
        return new long[] {ProducerStateCheck.attribute(producerId, 0),
                PartitionTransactions.openTransactionAttribute(producerId)};
    }

    @Override
    public Decision decide(long[] current, long nextOffset) {
        int known = ProducerStateCheck.knownEpoch(current[0]);
        if (epoch < known) {
            throw new ConditionFailedException("Marker epoch " + epoch + " of producer " + producerId
                    + " is older than the partition's " + known, Errors.INVALID_PRODUCER_EPOCH);
        }
        List<AttributeUpdate> updates = new ArrayList<>();
        long first = current[1];
        if (first != Attributes.NULL_VALUE) {
            updates.add(AttributeUpdate.replace(PartitionTransactions.openTransactionAttribute(producerId),
                    Attributes.NULL_VALUE));
            if (!commit) {
                updates.add(AttributeUpdate.replace(PartitionTransactions.abortedFirstAttribute(nextOffset), first));
                updates.add(AttributeUpdate.replace(PartitionTransactions.abortedProducerAttribute(nextOffset), producerId));
            }
        }
        if (epoch > known) {
            // A new epoch starts its sequences at 0, and the old epoch's batches are no one's duplicates.
            updates.add(AttributeUpdate.replace(ProducerStateCheck.attribute(producerId, 0),
                    ProducerStateCheck.newEpoch(epoch)));
        }
        return new Proceed(updates);
    }
}
