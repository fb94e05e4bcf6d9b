package dev.weir.storage;

/**
 * @param startOffset          first offset still readable (advanced by truncation)
 * @param nextOffset           offset the next appended record will get (Kafka's log end offset)
 * @param sizeBytes            bytes of retained entries
 * @param maxTimestamp         largest entry timestamp ever appended, or -1
 * @param maxTimestampOffset   base offset of the entry that holds {@code maxTimestamp}, or -1
 */
public record SegmentInfo(String segment, long startOffset, long nextOffset, long sizeBytes,
                          long maxTimestamp, long maxTimestampOffset) {
}
