package dev.weir.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pool of off-heap buffers behind shared reads that miss the cache. */
class ReadBuffersTest {
    @Test
    void sizesRoundUpToPowersOfTwoWithinTheBounds() {
        assertFalse(ReadBuffers.fits(ReadBuffers.MIN_BYTES - 1));
        assertTrue(ReadBuffers.fits(ReadBuffers.MIN_BYTES));
        assertTrue(ReadBuffers.fits(ReadBuffers.MAX_BYTES));
        assertFalse(ReadBuffers.fits(ReadBuffers.MAX_BYTES + 1L));
        assertEquals(0, ReadBuffers.sizeClass(ReadBuffers.MIN_BYTES));
        assertEquals(1, ReadBuffers.sizeClass(ReadBuffers.MIN_BYTES + 1));
        assertEquals(4, ReadBuffers.sizeClass(1 << 20));
        assertEquals(5, ReadBuffers.sizeClass((1 << 20) + 1));
        ReadBuffers pool = new ReadBuffers(1 << 20);
        ReadBuffers.Loan loan = pool.borrow(100_000);
        assertTrue(loan.buffer().isDirect());
        assertEquals(128 << 10, loan.buffer().capacity());
        assertEquals(100_000, loan.buffer().limit());
        assertEquals(0, loan.buffer().position());
        assertEquals(70_000, loan.slices(70_000)[0].remaining());
        loan.release();
    }

    @Test
    void aReleasedBufferIsReusedOnceAndOnlyWhileTheRetainedBytesStayWithinTheBound() {
        ReadBuffers pool = new ReadBuffers(1 << 20);
        ReadBuffers.Loan a = pool.borrow(1 << 20);
        ReadBuffers.Loan b = pool.borrow(1 << 20);
        assertEquals(2, pool.outstanding());
        a.release();
        a.release(); // idempotent: the buffer is not offered twice
        b.release();
        assertEquals(0, pool.outstanding());
        assertEquals(1 << 20, pool.retainedBytes(), "the second 1 MiB would pass the 1 MiB bound");

        ReadBuffers.Loan c = pool.borrow(600_000);
        assertSame(a.buffer(), c.buffer(), "a kept buffer of the size class is lent again");
        assertEquals(0, pool.retainedBytes());
        assertEquals(600_000, c.buffer().limit(), "the limit is the size borrowed, whatever the last loan was");
        ReadBuffers.Loan d = pool.borrow(600_000);
        assertNotSame(c.buffer(), d.buffer(), "a buffer is never lent to two readers at once");
        c.release();
        d.release();
    }
}
