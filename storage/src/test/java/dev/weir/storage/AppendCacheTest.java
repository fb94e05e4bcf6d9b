package dev.weir.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The block cache: entries grow in place, chain blocks as they fill, and give back what was written. */
class AppendCacheTest {

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + i * 31);
        }
        return b;
    }

    private static byte[] read(AppendCache cache, int address, long from, int length) {
        byte[] out = new byte[length];
        cache.read(address, from, length, out, 0);
        return out;
    }

    @Test
    void appendsFillTheLastBlockInPlaceAndChainNewBlocksOnlyWhenItIsFull() {
        AppendCache cache = new AppendCache(AppendCache.BUFFER_BYTES);
        int address = cache.append(AppendCache.NO_ADDRESS, ByteBuffer.wrap(bytes(1000, 1)));
        int again = cache.append(address, ByteBuffer.wrap(bytes(1000, 2)));
        assertEquals(address, again, "an append that fits stays in the same block");
        assertEquals(AppendCache.BLOCK_BYTES, cache.usedBytes());
        int grown = cache.append(again, ByteBuffer.wrap(bytes(9000, 3)));
        assertNotEquals(again, grown, "the entry's address moves to its new last block");
        assertEquals(3 * AppendCache.BLOCK_BYTES, cache.usedBytes(), "11,000 bytes take three blocks");
        assertEquals(11_000, cache.length(grown));
        byte[] all = new byte[11_000];
        System.arraycopy(bytes(1000, 1), 0, all, 0, 1000);
        System.arraycopy(bytes(1000, 2), 0, all, 1000, 1000);
        System.arraycopy(bytes(9000, 3), 0, all, 2000, 9000);
        assertArrayEquals(all, read(cache, grown, 0, 11_000));
        assertArrayEquals(Arrays.copyOfRange(all, 4000, 9100), read(cache, grown, 4000, 5100), "a range across blocks");
    }

    @Test
    void aFullCacheRefusesWithoutWritingAndDeletedBlocksAreReused() {
        AppendCache cache = new AppendCache(AppendCache.BUFFER_BYTES);
        int big = cache.append(AppendCache.NO_ADDRESS, ByteBuffer.wrap(bytes(AppendCache.BUFFER_BYTES - 100, 5)));
        assertEquals(AppendCache.BUFFER_BYTES, cache.usedBytes());
        assertEquals(AppendCache.NO_ADDRESS, cache.append(AppendCache.NO_ADDRESS, ByteBuffer.wrap(bytes(10, 6))));
        assertEquals(AppendCache.NO_ADDRESS, cache.append(big, ByteBuffer.wrap(bytes(200, 6))), "no room for 200 more");
        int tail = cache.append(big, ByteBuffer.wrap(bytes(100, 7)));
        assertEquals(big, tail, "the last 100 bytes of room are still usable");
        cache.delete(tail);
        assertEquals(0, cache.usedBytes());
        int reused = cache.append(AppendCache.NO_ADDRESS, ByteBuffer.wrap(bytes(50, 8)));
        assertArrayEquals(bytes(50, 8), read(cache, reused, 0, 50));
    }

    @Test
    void theSourceBufferIsLeftAsItWas() {
        AppendCache cache = new AppendCache(AppendCache.BUFFER_BYTES);
        ByteBuffer data = ByteBuffer.wrap(bytes(5000, 9));
        data.position(10);
        int address = cache.append(AppendCache.NO_ADDRESS, data);
        assertEquals(10, data.position());
        assertArrayEquals(Arrays.copyOfRange(bytes(5000, 9), 10, 5000), read(cache, address, 0, 4990));
    }
}
