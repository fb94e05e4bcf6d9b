package dev.weir.storage;

/**
 * This replica does not lead the segment's container (or lost the lead before the write was
 * committed); {@link #leader()} names the node that does, or -1 when none is known yet.
 */
public final class NotLeaderException extends StorageException {
    private final int leader;

    public NotLeaderException(String message, int leader) {
        super(message);
        this.leader = leader;
    }

    public int leader() {
        return leader;
    }
}
