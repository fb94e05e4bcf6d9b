package dev.weir.storage;

/** A conditional append whose expected offset was not the segment's next offset. */
public class BadOffsetException extends StorageException {
    private final long expectedOffset;
    private final long actualOffset;

    public BadOffsetException(String segment, long expectedOffset, long actualOffset) {
        super("segment " + segment + ": expected next offset " + expectedOffset + " but it is " + actualOffset);
        this.expectedOffset = expectedOffset;
        this.actualOffset = actualOffset;
    }

    public long expectedOffset() {
        return expectedOffset;
    }

    public long actualOffset() {
        return actualOffset;
    }
}
