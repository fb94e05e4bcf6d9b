package dev.weir.storage;

/** Constants for segment attributes: long ids mapping to long values. */
public final class Attributes {
    /** The value of an attribute that is not set. */
    public static final long NULL_VALUE = Long.MIN_VALUE;

    private Attributes() {
    }
}
