package dev.weir.storage;

public class SegmentNotFoundException extends StorageException {
    public SegmentNotFoundException(String message) {
        super(message);
    }
}
