package llamaspark.model.hf;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import llamaspark.BadInputException;
import llamaspark.model.quant.GgmlType;
import llamaspark.model.quant.QuantMatrix;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets: [begin, end]}} plus an optional
 * {@code __metadata__}), then the data; offsets are relative to the data's start. Tensors are
 * row-major and little-endian, so a [rows, cols] F32/F16/BF16 tensor has ggml's row layout and
 * maps as a {@link QuantMatrix} of that type.
 */
public final class Safetensors {
    /** The safetensors format's own limit on the header. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A tensor of a safetensors file.
     *
     * @param shape  row-major dims, outermost first (a Linear weight is [out, in])
     * @param offset absolute file offset of the first byte
     */
    public record Tensor(Path file, String name, GgmlType type, long[] shape, long offset, long bytes) {
        /** Values per row: the last dim (1 for a scalar). */
        public long cols() {
            return shape.length == 0 ? 1 : shape[shape.length - 1];
        }

        /** Rows: the product of all dims but the last. */
        public long rows() {
            long r = 1;
            for (int i = 0; i < shape.length - 1; i++) {
                r *= shape[i];
            }
            return r;
        }

        public String describe() {
            return name + " " + type + " " + Arrays.toString(shape) + " in " + file.getFileName();
        }
    }

    private Safetensors() {
    }

    /** The tensors of {@code file}, in header order. */
    public static Map<String, Tensor> read(Path file) {
        String source = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new BadInputException(source, "file of " + size + " bytes is too short for a safetensors header");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0);
            long n = len.getLong(0);
            if (n < 2 || n > MAX_HEADER_BYTES || 8 + n > size) {
                throw new BadInputException(source, "header length " + n + " is not within the file of " + size
                        + " bytes (not a safetensors file?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            readFully(ch, header, 8);
            JsonNode root;
            try {
                root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (JacksonException e) {
                throw new BadInputException(source, "header is not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (root == null || !root.isObject()) {
                throw new BadInputException(source, "header is not a JSON object");
            }
            return tensors(file, root, 8 + n, size);
        } catch (NoSuchFileException e) {
            throw new BadInputException(source, "file not found", e);
        } catch (IOException e) {
            throw new BadInputException(source, "cannot read (" + e + ")", e);
        }
    }

    private static Map<String, Tensor> tensors(Path file, JsonNode root, long dataStart, long fileSize) {
        String source = file.toString();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonNode t = e.getValue();
            String where = "tensor '" + name + "'";
            String dtype = t.path("dtype").asText("");
            GgmlType type = switch (dtype) {
                case "F32" -> GgmlType.F32;
                case "F16" -> GgmlType.F16;
                case "BF16" -> GgmlType.BF16;
                default -> throw new BadInputException(source, where + " has dtype '" + dtype
                        + "'; only F32, F16 and BF16 are supported");
            };
            JsonNode shapeNode = t.path("shape");
            JsonNode offsets = t.path("data_offsets");
            if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
                throw new BadInputException(source, where + " needs a 'shape' array and 'data_offsets' [begin, end]");
            }
            long[] shape = new long[shapeNode.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.canConvertToLong() || d.asLong() < 0) {
                    throw new BadInputException(source, where + " has shape " + shapeNode + "; dims must be non-negative integers");
                }
                shape[i] = d.asLong();
                elements = Math.multiplyExact(elements, shape[i]);
            }
            long begin = offsets.get(0).asLong(-1), end = offsets.get(1).asLong(-1);
            long expected = elements * type.blockBytes();
            if (begin < 0 || end < begin || dataStart + end > fileSize) {
                throw new BadInputException(source, where + " has data_offsets " + offsets
                        + ", outside the data section of " + (fileSize - dataStart) + " bytes");
            }
            if (end - begin != expected) {
                throw new BadInputException(source, where + " has " + (end - begin) + " bytes of data, expected "
                        + expected + " for " + dtype + " " + shapeNode);
            }
            out.put(name, new Tensor(file, name, type, shape, dataStart + begin, end - begin));
        }
        return out;
    }

    /** {@code t} as a read-only memory-mapped [rows, cols] matrix. */
    public static QuantMatrix map(Tensor t) {
        try (FileChannel ch = FileChannel.open(t.file(), StandardOpenOption.READ)) {
            return QuantMatrix.map(ch, t.offset(), t.type(), toInt(t, t.rows()), toInt(t, t.cols()));
        } catch (IOException e) {
            throw new BadInputException(t.file().toString(), "cannot map tensor '" + t.name() + "' (" + e + ")", e);
        }
    }

    /** All values of {@code t} as float32, row-major (norm weights and other small tensors). */
    public static float[] readAll(Tensor t) {
        QuantMatrix m = map(t);
        long n = t.rows() * t.cols();
        if (n > Integer.MAX_VALUE - 8) {
            throw new BadInputException(t.file().toString(), "tensor '" + t.name() + "' has " + n
                    + " values, more than one array holds");
        }
        float[] all = new float[(int) n];
        for (int r = 0; r < m.rows(); r++) {
            m.dequantizeRow(r, all, r * m.cols());
        }
        return all;
    }

    private static int toInt(Tensor t, long v) {
        if (v > Integer.MAX_VALUE - 8) {
            throw new BadInputException(t.file().toString(), "tensor '" + t.name() + "' has a dim of " + v
                    + ", more than the engine addresses");
        }
        return (int) v;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }
}
