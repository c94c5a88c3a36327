package llamaspark.model.gguf;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import llamaspark.model.quant.GgmlType;

/**
 * Writes a GGUF version 3 file (little-endian): the metadata, the tensor table with offsets laid
 * out in the order tensors are added (each aligned to {@code general.alignment}), then the data,
 * streamed tensor by tensor by the caller. Values use {@link GgufMetadata}'s Java types.
 */
public final class GgufWriter {
    /** Streams every tensor's bytes, in the order the tensors were added. */
    @FunctionalInterface
    public interface DataWriter {
        void writeAll(TensorSink sink) throws IOException;
    }

    /** Where the data writer puts each tensor. */
    public interface TensorSink {
        /** Pads to tensor {@code name}'s offset; exactly its bytes must follow on the returned stream. */
        OutputStream begin(String name) throws IOException;
    }

    private record Pending(String name, long[] dims, GgmlType type, long offset, long bytes) {
    }

    private final LinkedHashMap<String, GgufMetadata.Value> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final int alignment;
    private long dataBytes;

    public GgufWriter(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + alignment);
        }
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) {
            put(GgufFile.ALIGNMENT_KEY, GgufValueType.UINT32, (long) alignment);
        }
    }

    public GgufWriter put(String key, GgufValueType type, Object value) {
        metadata.put(key, new GgufMetadata.Value(type, value));
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    public GgufWriter putUint32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putArray(String key, GgufValueType elementType, Object values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(elementType, values));
    }

    /** Adds a tensor (dims in ggml order, ne[0] = values per row); data is written in this order. */
    public GgufWriter tensor(String name, long[] dims, GgmlType type) {
        long elements = 1;
        for (long d : dims) {
            elements = Math.multiplyExact(elements, d);
        }
        long bytes = type.rowBytes(dims[0]) * (elements / dims[0]);
        long offset = GgufFile.align(dataBytes, alignment);
        tensors.add(new Pending(name, dims.clone(), type, offset, bytes));
        dataBytes = offset + bytes;
        return this;
    }

    /** Writes the header and the padding before the data section; returns the data section's start. */
    public long writeHeader(OutputStream os) throws IOException {
        Out out = new Out(os);
        header(out);
        out.flush();
        return out.written;
    }

    /** Bytes of the data section, from its start to the end of the last tensor. */
    public long dataBytes() {
        return dataBytes;
    }

    public void write(OutputStream os, DataWriter data) throws IOException {
        Out out = new Out(os);
        header(out);
        long dataStart = out.written;
        CountingStream counted = new CountingStream(os);
        int[] next = {0};
        data.writeAll(name -> {
            if (next[0] > 0) {
                check(tensors.get(next[0] - 1), counted.count);
            }
            if (next[0] >= tensors.size() || !tensors.get(next[0]).name.equals(name)) {
                throw new IllegalStateException("tensor " + name + " written out of order");
            }
            Pending t = tensors.get(next[0]++);
            out.written = dataStart + counted.count;
            out.zeros(dataStart + t.offset - out.written);
            out.flush();
            counted.count = t.offset;
            return counted;
        });
        if (next[0] != tensors.size()) {
            throw new IllegalStateException("only " + next[0] + " of " + tensors.size() + " tensors were written");
        }
        if (next[0] > 0) {
            check(tensors.get(next[0] - 1), counted.count);
        }
        out.written = dataStart + counted.count;
        out.pad(alignment);
        out.flush();
    }

    private void header(Out out) throws IOException {
        out.i32(GgufFile.MAGIC);
        out.i32(3);
        out.i64(tensors.size());
        out.i64(metadata.size());
        for (Map.Entry<String, GgufMetadata.Value> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.i32(e.getValue().type().id());
            out.value(e.getValue().type(), e.getValue().value());
        }
        for (Pending t : tensors) {
            out.string(t.name);
            out.i32(t.dims.length);
            for (long d : t.dims) {
                out.i64(d);
            }
            out.i32(t.type.id());
            out.i64(t.offset);
        }
        out.pad(alignment);
    }

    private static void check(Pending t, long endOffset) {
        if (endOffset != t.offset + t.bytes) {
            throw new IllegalStateException("tensor " + t.name + ": wrote " + (endOffset - t.offset)
                    + " bytes, expected " + t.bytes);
        }
    }

    /** Buffered little-endian output counting what it wrote. */
    private static final class Out {
        private final OutputStream os;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Out(OutputStream os) {
            this.os = os;
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                flush();
            }
        }

        void flush() throws IOException {
            os.write(buf.array(), 0, buf.position());
            buf.clear();
        }

        void u8(int v) throws IOException {
            room(1);
            buf.put((byte) v);
            written++;
        }

        void i16(int v) throws IOException {
            room(2);
            buf.putShort((short) v);
            written += 2;
        }

        void i32(int v) throws IOException {
            room(4);
            buf.putInt(v);
            written += 4;
        }

        void i64(long v) throws IOException {
            room(8);
            buf.putLong(v);
            written += 8;
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            for (byte x : b) {
                u8(x);
            }
        }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                u8(0);
            }
        }

        void pad(int alignment) throws IOException {
            zeros(GgufFile.align(written, alignment) - written);
        }

        void value(GgufValueType type, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> u8(((Number) v).intValue());
                case UINT16, INT16 -> i16(((Number) v).intValue());
                case UINT32, INT32 -> i32(((Number) v).intValue());
                case UINT64, INT64 -> i64(((Number) v).longValue());
                case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) v).floatValue()));
                case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> {
                    GgufArray a = (GgufArray) v;
                    i32(a.elementType().id());
                    int n = Array.getLength(a.values());
                    i64(n);
                    for (int i = 0; i < n; i++) {
                        value(a.elementType(), Array.get(a.values(), i));
                    }
                }
            }
        }
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream os;
        long count;

        CountingStream(OutputStream os) {
            this.os = os;
        }

        @Override
        public void write(int b) throws IOException {
            os.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            os.write(b, off, len);
            count += len;
        }
    }
}
