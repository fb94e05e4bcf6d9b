package dev.weir.storage;

public class StorageFullException extends StorageException {
    public StorageFullException(String message) {
        super(message);
    }
}
