package dev.weir.storage;

/**
 * @param baseOffset    offset of the first record of the first entry (the segment's next offset if
 *                      the append carried no entries)
 * @param nextOffset    the segment's next offset after this append
 * @param appendTimeMs  wall-clock time at which the sequencer accepted the append
 * @param startOffset   the segment's start offset at commit
 */
public record AppendResult(long baseOffset, long nextOffset, long appendTimeMs, long startOffset) {
}
