package dev.weir.gateway.state;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Strings in the gateway's state records: a 4-byte length (-1 for null) and UTF-8 bytes. */
public final class RecordStrings {
    private RecordStrings() {
    }

    /** UTF-8 bytes of {@code s}, null for null: computed once for {@link #size} and {@link #put}. */
    public static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** Bytes {@link #put} writes for {@code b}. */
    public static int size(byte[] b) {
        return 4 + (b == null ? 0 : b.length);
    }

    public static void put(ByteBuffer into, byte[] s) {
        if (s == null) {
            into.putInt(-1);
        } else {
            into.putInt(s.length).put(s);
        }
    }

    public static String get(ByteBuffer from) {
        int n = from.getInt();
        if (n < 0) {
            return null;
        }
        byte[] s = new byte[n];
        from.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
