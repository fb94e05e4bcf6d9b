package dev.weir.storage;

/**
 * An {@link AppendCondition} rejected the append. {@link #reason()} is the condition's own account
 * of why (the store does not interpret it); nothing was written.
 */
public final class ConditionFailedException extends StorageException {
    private final transient Object reason;

    public ConditionFailedException(String message, Object reason) {
        super(message);
        this.reason = reason;
    }

    public Object reason() {
        return reason;
    }
}
