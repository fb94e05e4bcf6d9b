package dev.weir.gateway.api;

import dev.weir.storage.ReadResult;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.DefaultRecordsSend;
import org.apache.kafka.common.record.internal.RecordsSend;
import org.apache.kafka.common.record.internal.TransferableRecords;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchResponse;

/**
 * Stored batches sent as they are: the first entries of a read, handed to the response encoder as
 * the read's own buffers (views of the cache's off-heap memory for a shared read), so that the
 * bytes go from the store to the socket without a copy. The read is held until
 * {@link #release(AbstractResponse)} is called for the response carrying it, once its bytes are
 * written or dropped.
 */
public final class StoredRecords implements TransferableRecords {
    private final ByteBuffer[] parts;
    private final int size;
    private final ReadResult read;

    /** The bytes of the first {@code count} entries of {@code read}, which this now holds. */
    public StoredRecords(ReadResult read, int count) {
        this.read = read;
        this.parts = read.bytes(count);
        int n = 0;
        for (ByteBuffer p : parts) {
            n += p.remaining();
        }
        this.size = n;
    }

    @Override
    public int sizeInBytes() {
        return size;
    }

    @Override
    public RecordsSend<? extends TransferableRecords> toSend() {
        return new DefaultRecordsSend<>(this);
    }

    @Override
    public int writeTo(TransferableChannel channel, int position, int length) throws IOException {
        int written = 0;
        int skip = position;
        for (ByteBuffer p : parts) {
            if (length <= 0) {
                break;
            }
            int n = p.remaining();
            if (skip >= n) {
                skip -= n;
                continue;
            }
            int take = Math.min(n - skip, length);
            ByteBuffer slice = p.slice(p.position() + skip, take);
            skip = 0;
            int w = channel.write(slice);
            written += w;
            length -= w;
            if (w < take) {
                break; // the channel is full; the send resumes from here
            }
        }
        return written;
    }

    /** Gives the read back. */
    public void release() {
        read.release();
    }

    /** Whether a response may carry stored records to release once written. */
    public static boolean holdsReads(AbstractResponse response) {
        return response instanceof FetchResponse;
    }

    /** Gives back the reads a response's records hold; for any response, after it is written or dropped. */
    public static void release(AbstractResponse response) {
        if (!(response instanceof FetchResponse fetch)) {
            return;
        }
        for (FetchResponseData.FetchableTopicResponse topic : fetch.data().responses()) {
            for (FetchResponseData.PartitionData partition : topic.partitions()) {
                if (partition.records() instanceof StoredRecords stored) {
                    stored.release();
                }
            }
        }
    }
}
