package llamaspark.model.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import llamaspark.BadInputException;

/**
 * Little-endian reads from the front of a file through a small buffer, tracking the absolute
 * position as a long: the header of a GGUF file is read without ever reading its tensor data.
 * Running past the end of the file is reported as truncation, naming what was being read.
 */
final class HeaderInput {
    private final String source;
    private final FileChannel ch;
    private final long size;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    /** File position of buf's first byte. */
    private long bufStart;

    HeaderInput(String source, FileChannel ch) throws IOException {
        this.source = source;
        this.ch = ch;
        this.size = ch.size();
        buf.limit(0);
    }

    long position() {
        return bufStart + buf.position();
    }

    long size() {
        return size;
    }

    /** Makes {@code n} (at most the buffer's capacity) bytes available, or reports truncation. */
    private void need(int n, String what) throws IOException {
        if (buf.remaining() >= n) {
            return;
        }
        long pos = position();
        if (size - pos < n) {
            throw new BadInputException(source, "truncated: " + what + " at byte offset " + pos + " needs " + n
                    + " bytes but the file ends at " + size);
        }
        buf.compact();
        bufStart = pos;
        while (buf.position() < n) {
            if (ch.read(buf, bufStart + buf.position()) < 0) {
                throw new BadInputException(source, "truncated: file ended while reading " + what);
            }
        }
        buf.flip();
    }

    byte u8(String what) throws IOException {
        need(1, what);
        return buf.get();
    }

    short i16(String what) throws IOException {
        need(2, what);
        return buf.getShort();
    }

    int i32(String what) throws IOException {
        need(4, what);
        return buf.getInt();
    }

    long i64(String what) throws IOException {
        need(8, what);
        return buf.getLong();
    }

    float f32(String what) throws IOException {
        need(4, what);
        return buf.getFloat();
    }

    double f64(String what) throws IOException {
        need(8, what);
        return buf.getDouble();
    }

    /** A count or length stored as uint64, checked against what the rest of the file can hold. */
    long count(String what, long bytesEach) throws IOException {
        long pos = position();
        long n = i64(what);
        long left = size - position();
        if (n < 0 || (bytesEach > 0 && n > left / bytesEach)) {
            throw new BadInputException(source, "truncated or corrupt: " + what + " at byte offset " + pos + " is "
                    + Long.toUnsignedString(n) + " but only " + left + " bytes follow");
        }
        return n;
    }

    /** gguf_string: uint64 length, then that many UTF-8 bytes. */
    String string(String what) throws IOException {
        long length = count("length of " + what, 1);
        if (length > Integer.MAX_VALUE - 8) {
            throw new BadInputException(source, what + " is " + length + " bytes long, longer than any string");
        }
        byte[] bytes = new byte[(int) length];
        int at = 0;
        while (at < bytes.length) {
            need(1, what);
            int n = Math.min(buf.remaining(), bytes.length - at);
            buf.get(bytes, at, n);
            at += n;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
