package dev.weir.storage;

/**
 * One change to a segment attribute, applied atomically with the append that carries it.
 *
 * @param comparand used by {@link Type#REPLACE_IF_EQUALS} only; {@link Attributes#NULL_VALUE}
 *                  means "the attribute must be absent"
 */
public record AttributeUpdate(long id, Type type, long value, long comparand) {

    public enum Type {
        /** Set only if the attribute is absent; otherwise fail. */
        NONE,
        /** Set unconditionally. */
        REPLACE,
        /** Set only if the new value is greater than the current one (or it is absent); else fail. */
        REPLACE_IF_GREATER,
        /** Set only if the current value equals the comparand; otherwise fail. */
        REPLACE_IF_EQUALS,
        /** Add the value to the current one (absent counts as 0). */
        ACCUMULATE
    }

    public static AttributeUpdate replace(long id, long value) {
        return new AttributeUpdate(id, Type.REPLACE, value, Attributes.NULL_VALUE);
    }

    public static AttributeUpdate replaceIfEquals(long id, long value, long expected) {
        return new AttributeUpdate(id, Type.REPLACE_IF_EQUALS, value, expected);
    }
}
