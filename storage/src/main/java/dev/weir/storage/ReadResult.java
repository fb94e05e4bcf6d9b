package dev.weir.storage;

import java.util.List;

/** Entries read and the segment's state at the time of the read. */
public record ReadResult(List<StoredEntry> entries, SegmentInfo info) {

    public int sizeBytes() {
        int n = 0;
        for (StoredEntry e : entries) {
            n += e.data().remaining();
        }
        return n;
    }
}
