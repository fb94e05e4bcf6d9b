package dev.weir.gateway.catalog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Producer ids in a cluster: each node hands out ids from its own range, {@code (nodeId + 1) << 40}
 * upward, so any node answers InitProducerId without asking another (as Kafka brokers do with
 * blocks from the controller). The end of the block reserved last is kept in a file of the node's
 * data directory, written and flushed before any id of the block is handed out.
 */
final class NodeProducerIds {
    private static final long BLOCK = 1000;
    private final Path file;
    private final long rangeStart;
    private long next;
    private long reserved;

    NodeProducerIds(Path dataDir, int nodeId) {
        this.file = dataDir.resolve("producer-ids");
        this.rangeStart = (nodeId + 1L) << 40;
        try {
            long saved = Files.exists(file) ? Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).trim()) : 0;
            this.reserved = Math.max(rangeStart, saved);
            this.next = reserved;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read the producer id reservation " + file + ": " + e, e);
        }
    }

    synchronized long next() {
        if (next >= reserved) {
            save(next + BLOCK);
            reserved = next + BLOCK;
        }
        return next++;
    }

    private void save(long value) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, Long.toString(value), StandardCharsets.US_ASCII);
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reserve producer ids in " + file, e);
        }
    }
}
