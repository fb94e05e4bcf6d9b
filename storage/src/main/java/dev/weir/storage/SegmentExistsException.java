package dev.weir.storage;

public class SegmentExistsException extends StorageException {
    public SegmentExistsException(String message) {
        super(message);
    }
}
