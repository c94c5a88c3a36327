package llamaspark.model.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import llamaspark.model.quant.GgmlType;

/**
 * Writes one {@code .safetensors} file: the tensors are declared first (name, F32/F16/BF16, shape),
 * laid out back to back in that order; the caller then streams each one's bytes. The JSON header is
 * padded with spaces to a multiple of 8 bytes, as the reference writer does.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Pending(String name, GgmlType type, long[] shape, long begin, long end) {
    }

    private final List<Pending> tensors = new ArrayList<>();
    private long dataBytes;

    public SafetensorsWriter tensor(String name, GgmlType type, long... shape) {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) {
            throw new IllegalArgumentException("safetensors holds F32, F16 or BF16 here, not " + type);
        }
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        long bytes = n * type.blockBytes();
        tensors.add(new Pending(name, type, shape.clone(), dataBytes, dataBytes + bytes));
        dataBytes += bytes;
        return this;
    }

    /** The header bytes: length, then the padded JSON. */
    public byte[] header() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("__metadata__").put("format", "pt");
        for (Pending t : tensors) {
            ObjectNode o = root.putObject(t.name);
            o.put("dtype", t.type == GgmlType.F32 ? "F32" : t.type == GgmlType.F16 ? "F16" : "BF16");
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape) {
                shape.add(d);
            }
            o.putArray("data_offsets").add(t.begin).add(t.end);
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        while (b.hasRemaining()) {
            b.put((byte) ' ');
        }
        return b.array();
    }

    /** Bytes of all tensors' data. */
    public long dataBytes() {
        return dataBytes;
    }

    /** Values of {@code row} as {@code type}'s little-endian bytes into {@code dst} (from 0). */
    public static void encodeRow(GgmlType type, float[] row, ByteBuffer dst) {
        dst.clear();
        dst.order(ByteOrder.LITTLE_ENDIAN);
        for (float v : row) {
            switch (type) {
                case F32 -> dst.putFloat(v);
                case F16 -> dst.putShort(llamaspark.model.quant.Halfs.floatToHalf(v));
                case BF16 -> dst.putShort(llamaspark.model.quant.Halfs.floatToBf16(v));
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
    }

    /** Writes the header; the tensors' bytes must follow in declaration order, {@link #dataBytes} in all. */
    public void writeHeader(OutputStream os) throws IOException {
        os.write(header());
    }

    /** Names in declaration order. */
    public List<String> names() {
        return tensors.stream().map(Pending::name).toList();
    }

}
