package dev.weir.storage;

/** An attribute update whose condition did not hold. */
public class BadAttributeUpdateException extends StorageException {
    private final long attributeId;
    private final long currentValue;

    public BadAttributeUpdateException(String segment, AttributeUpdate update, long currentValue) {
        super("segment " + segment + ": attribute " + update.id() + " " + update.type()
                + " failed, current value " + (currentValue == Attributes.NULL_VALUE ? "absent" : currentValue));
        this.attributeId = update.id();
        this.currentValue = currentValue;
    }

    public long attributeId() {
        return attributeId;
    }

    public long currentValue() {
        return currentValue;
    }
}
