package dev.weir.gateway.api;

import dev.weir.storage.BadAttributeUpdateException;
import dev.weir.storage.BadOffsetException;
import dev.weir.storage.ConditionFailedException;
import dev.weir.storage.SegmentNotFoundException;
import dev.weir.storage.StorageException;
import dev.weir.storage.StorageFullException;
import dev.weir.storage.StoreClosedException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;

/** The one place that turns failures into Kafka error codes. */
public final class KafkaErrors {
    private KafkaErrors() {
    }

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    public static Errors of(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof ApiException) {
            return Errors.forException(t);
        }
        if (t instanceof org.apache.kafka.common.config.ConfigException) {
            return Errors.INVALID_CONFIG;
        }
        if (t instanceof ConditionFailedException c && c.reason() instanceof Errors e) {
            return e;
        }
        if (t instanceof ConditionFailedException c && c.reason() instanceof RejectedRecords r) {
            return r.error();
        }
        if (t instanceof SegmentNotFoundException) {
            return Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (t instanceof StorageFullException) {
            return Errors.KAFKA_STORAGE_ERROR;
        }
        if (t instanceof BadOffsetException || t instanceof BadAttributeUpdateException) {
            return Errors.INVALID_RECORD;
        }
        if (t instanceof StoreClosedException || t instanceof dev.weir.storage.NotLeaderException) {
            return Errors.NOT_LEADER_OR_FOLLOWER;
        }
        if (t instanceof StorageException) {
            return Errors.KAFKA_STORAGE_ERROR;
        }
        return Errors.UNKNOWN_SERVER_ERROR;
    }

    /** A message for the client: the failure's own words where they are meant for users. */
    public static String message(Throwable failure) {
        Throwable t = unwrap(failure);
        Errors e = of(t);
        return e == Errors.UNKNOWN_SERVER_ERROR ? e.message() : t.getMessage();
    }
}
