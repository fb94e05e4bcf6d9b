package dev.weir.storage;

import java.util.List;

/**
 * What to append and under which conditions.
 *
 * @param entries          appended atomically and in order; may be empty for an attribute-only update
 * @param expectedOffset   if not {@link #ANY_OFFSET}, the append happens only if the segment's next
 *                         offset equals it (a compare-and-set checked at sequencing time)
 * @param attributeUpdates applied in the same commit as the entries; if any fails, nothing is applied
 * @param condition        null, or a caller's check run at sequencing time before everything else
 */
public record Append(List<Entry> entries, long expectedOffset, List<AttributeUpdate> attributeUpdates,
                     AppendCondition condition) {
    public static final long ANY_OFFSET = -1L;

    public Append {
        entries = List.copyOf(entries);
        attributeUpdates = List.copyOf(attributeUpdates);
    }

    public Append(List<Entry> entries, long expectedOffset, List<AttributeUpdate> attributeUpdates) {
        this(entries, expectedOffset, attributeUpdates, null);
    }

    public static Append of(Entry... entries) {
        return new Append(List.of(entries), ANY_OFFSET, List.of());
    }

    public static Append of(List<Entry> entries) {
        return new Append(entries, ANY_OFFSET, List.of());
    }

    public Append expectingOffset(long offset) {
        return new Append(entries, offset, attributeUpdates, condition);
    }

    public Append withAttributeUpdates(List<AttributeUpdate> updates) {
        return new Append(entries, expectedOffset, updates, condition);
    }

    public Append withCondition(AppendCondition check) {
        return new Append(entries, expectedOffset, attributeUpdates, check);
    }
}
