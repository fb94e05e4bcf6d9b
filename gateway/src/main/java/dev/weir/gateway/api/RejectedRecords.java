package dev.weir.gateway.api;

import java.util.List;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ProduceResponse;

/**
 * The records of one produced batch that were refused, each named by its index in the batch (KIP-467).
 * The batch is refused whole, as Kafka refuses it; Produce v8+ answers carry these as {@code record_errors},
 * so the client fails exactly these records with their own reason and the rest as collateral.
 */
public record RejectedRecords(List<Rejected> records) {
    /** One refused record: its index in the batch, the error it alone would get, and why. */
    public record Rejected(int batchIndex, Errors error, String message) {
    }

    public RejectedRecords {
        records = List.copyOf(records);
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no record was rejected");
        }
    }

    public static RejectedRecords of(int batchIndex, Errors error, String message) {
        return new RejectedRecords(List.of(new Rejected(batchIndex, error, message)));
    }

    /** The partition's error, as Kafka's LogValidator decides it: a bad timestamp wins over any other reason. */
    public Errors error() {
        return records.stream().anyMatch(r -> r.error() == Errors.INVALID_TIMESTAMP)
                ? Errors.INVALID_TIMESTAMP : Errors.INVALID_RECORD;
    }

    /** The partition's {@code error_message}, in Kafka's words (clients show a record's own message instead). */
    public String message() {
        if (error() == Errors.INVALID_TIMESTAMP) {
            return "One or more records have been rejected due to invalid timestamp";
        }
        List<ProduceResponse.RecordError> shown = records.subList(0, Math.min(records.size(), 3)).stream()
                .map(r -> new ProduceResponse.RecordError(r.batchIndex(), r.message())).toList();
        return "One or more records have been rejected due to " + records.size() + " record errors in total, and only "
                + "showing the first three errors at most: " + shown;
    }
}
