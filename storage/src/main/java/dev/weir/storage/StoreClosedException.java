package dev.weir.storage;

public class StoreClosedException extends StorageException {
    public StoreClosedException(String message) {
        super(message);
    }
}
