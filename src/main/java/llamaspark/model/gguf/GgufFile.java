package llamaspark.model.gguf;

import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;
import llamaspark.BadInputException;
import llamaspark.model.quant.GgmlType;

/**
 * The header of a GGUF file (versions 2 and 3): metadata, tensor table and where the data
 * section starts. Reading it touches only the header bytes, through a buffered channel; tensor
 * data is left in the file for a memory map. All offsets and sizes are longs: files over 4 GiB
 * and tensors over 2 GiB are ordinary.
 *
 * <p>Layout (little-endian): magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata
 * count, the metadata key-values, the tensor infos (name, uint32 n_dims, uint64 ne[n_dims], uint32
 * type, uint64 offset), padding to {@code general.alignment} (default 32), the tensor data.
 */
public record GgufFile(Path path, int version, GgufMetadata metadata, List<GgufTensorInfo> tensors,
                       Map<String, GgufTensorInfo> tensorsByName, int alignment, long dataStart, long fileSize) {

    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";
    /** Nested arrays deeper than this are taken for corruption. */
    private static final int MAX_DEPTH = 8;

    /** True when the file starts with the GGUF magic. */
    public static boolean isGguf(Path path) {
        return MagicBytes.read(path) == MAGIC;
    }

    /** The tensor named {@code name}, or null. */
    public GgufTensorInfo tensor(String name) {
        return tensorsByName.get(name);
    }

    public static GgufFile read(Path path) {
        String source = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return read(path, ch);
        } catch (NoSuchFileException e) {
            throw new BadInputException(source, "no such model file");
        } catch (IOException e) {
            throw new BadInputException(source, "cannot read: " + e.getMessage(), e);
        }
    }

    private static GgufFile read(Path path, FileChannel ch) throws IOException {
        String source = path.toString();
        HeaderInput in = new HeaderInput(source, ch);
        if (in.size() < 4) {
            throw new BadInputException(source, "file is " + in.size() + " bytes, too short for a GGUF header");
        }
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw new BadInputException(source, String.format("not a GGUF file: magic bytes are %s, expected \"GGUF\"",
                    MagicBytes.describe(magic)));
        }
        int version = in.i32("version");
        if (version != 2 && version != 3) {
            String hint = version == 1 ? " (GGUF v1 predates 64-bit counts; re-convert the model)"
                    : Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3
                    ? " (a big-endian GGUF file; only little-endian files are read)" : "";
            throw new BadInputException(source, "unsupported GGUF version " + Integer.toUnsignedString(version)
                    + ", expected 2 or 3" + hint);
        }
        // a tensor info takes at least 8 (name length) + 4 + 4 + 8 bytes; a key-value at least 8 + 4 + 1
        long tensorCount = in.count("tensor count", 24);
        long kvCount = in.count("metadata count", 13);
        LinkedHashMap<String, GgufMetadata.Value> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("key of metadata entry " + i);
            int typeId = in.i32("type of metadata '" + key + "'");
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) {
                throw new BadInputException(source, "metadata '" + key + "' has unknown value type "
                        + Integer.toUnsignedString(typeId));
            }
            if (kv.containsKey(key)) {
                throw new BadInputException(source, "metadata key '" + key + "' appears twice");
            }
            kv.put(key, new GgufMetadata.Value(type, value(in, source, key, type, 0)));
        }
        GgufMetadata metadata = new GgufMetadata(source, kv);
        int alignment = metadata.has(ALIGNMENT_KEY) ? metadata.int32(ALIGNMENT_KEY) : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new BadInputException(source, "metadata key '" + ALIGNMENT_KEY + "' is " + alignment
                    + ", expected a power of two");
        }
        List<String> names = new ArrayList<>();
        List<long[]> dimsList = new ArrayList<>();
        List<int[]> typeIds = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string("name of tensor " + i);
            int nDims = in.i32("dimension count of tensor '" + name + "'");
            if (nDims < 0 || nDims > 4) {
                throw new BadInputException(source, "tensor '" + name + "' has " + Integer.toUnsignedString(nDims)
                        + " dimensions, expected 1 to 4");
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = in.i64("dimension " + d + " of tensor '" + name + "'");
                if (dims[d] <= 0) {
                    throw new BadInputException(source, "tensor '" + name + "' has dimension ne[" + d + "] = "
                            + Long.toUnsignedString(dims[d]) + ", expected a positive size");
                }
            }
            names.add(name);
            dimsList.add(dims);
            typeIds.add(new int[] {in.i32("type of tensor '" + name + "'")});
            offsets.add(in.i64("offset of tensor '" + name + "'"));
        }
        long dataStart = align(in.position(), alignment);
        long fileSize = in.size();
        List<GgufTensorInfo> tensors = new ArrayList<>(names.size());
        LinkedHashMap<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            GgufTensorInfo t = tensorInfo(source, names.get(i), dimsList.get(i), typeIds.get(i)[0], offsets.get(i),
                    alignment, dataStart, fileSize);
            if (byName.put(t.name(), t) != null) {
                throw new BadInputException(source, "tensor '" + t.name() + "' appears twice in the tensor table");
            }
            tensors.add(t);
        }
        return new GgufFile(path, version, metadata, Collections.unmodifiableList(tensors),
                Collections.unmodifiableMap(byName), alignment, dataStart, fileSize);
    }

    private static GgufTensorInfo tensorInfo(String source, String name, long[] dims, int typeId, long offset,
                                             int alignment, long dataStart, long fileSize) {
        GgmlType type = GgmlType.fromId(typeId);
        if (type == null) {
            throw new BadInputException(source, "tensor '" + name + "' has type " + GgufIds.describeType(typeId)
                    + ", which is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        }
        if (dims.length > 0 && dims[0] % type.blockSize() != 0) {
            throw new BadInputException(source, "tensor '" + name + "' of type " + type + " has rows of " + dims[0]
                    + " values, not a multiple of its block size " + type.blockSize());
        }
        if (offset < 0 || offset % alignment != 0) {
            throw new BadInputException(source, "tensor '" + name + "' has data offset "
                    + Long.toUnsignedString(offset) + ", expected a multiple of the alignment " + alignment);
        }
        long bytes;
        long elements = 1;
        try {
            for (long d : dims) {
                elements = Math.multiplyExact(elements, d);
            }
            long cols = dims.length == 0 ? 1 : dims[0];
            bytes = Math.multiplyExact(type.rowBytes(cols), elements / cols);
        } catch (ArithmeticException e) {
            throw new BadInputException(source, "tensor '" + name + "' has dimensions " + java.util.Arrays.toString(dims)
                    + " too large for any file");
        }
        long start = dataStart + offset;
        if (start < dataStart || bytes > fileSize - Math.min(start, fileSize)) {
            throw new BadInputException(source, "tensor '" + name + "' (" + type + ", " + bytes + " bytes at data offset "
                    + offset + ") ends at byte " + (start + bytes) + ", past the end of the file (" + fileSize
                    + " bytes): truncated file?");
        }
        return new GgufTensorInfo(name, dims, type, offset, start);
    }

    static long align(long position, int alignment) {
        return (position + alignment - 1) / alignment * alignment;
    }

    private static Object value(HeaderInput in, String source, String key, GgufValueType type, int depth)
            throws IOException {
        String what = "value of metadata '" + key + "'";
        switch (type) {
            case UINT8: return (short) (in.u8(what) & 0xFF);
            case INT8: return in.u8(what);
            case UINT16: return in.i16(what) & 0xFFFF;
            case INT16: return in.i16(what);
            case UINT32: return in.i32(what) & 0xFFFFFFFFL;
            case INT32: return in.i32(what);
            case UINT64:
            case INT64: return in.i64(what);
            case FLOAT32: return in.f32(what);
            case FLOAT64: return in.f64(what);
            case BOOL: {
                byte b = in.u8(what);
                if (b != 0 && b != 1) {
                    throw new BadInputException(source, "metadata '" + key + "' is a bool stored as " + (b & 0xFF)
                            + ", expected 0 or 1");
                }
                return b == 1;
            }
            case STRING: return in.string(what);
            case ARRAY: return array(in, source, key, depth);
            default: throw new IllegalStateException(type.toString());
        }
    }

    private static GgufArray array(HeaderInput in, String source, String key, int depth) throws IOException {
        if (depth >= MAX_DEPTH) {
            throw new BadInputException(source, "metadata '" + key + "' nests arrays deeper than " + MAX_DEPTH);
        }
        int typeId = in.i32("element type of array '" + key + "'");
        GgufValueType type = GgufValueType.fromId(typeId);
        if (type == null) {
            throw new BadInputException(source, "metadata array '" + key + "' has unknown element type "
                    + Integer.toUnsignedString(typeId));
        }
        long n = in.count("length of array '" + key + "'", minBytes(type));
        if (n > Integer.MAX_VALUE - 8) {
            throw new BadInputException(source, "metadata array '" + key + "' has " + n + " elements, too many");
        }
        int length = (int) n;
        Object values = switch (type) {
            case UINT8 -> new short[length];
            case INT8 -> new byte[length];
            case UINT16 -> new int[length];
            case INT16 -> new short[length];
            case UINT32, UINT64, INT64 -> new long[length];
            case INT32 -> new int[length];
            case FLOAT32 -> new float[length];
            case FLOAT64 -> new double[length];
            case BOOL -> new boolean[length];
            case STRING -> new String[length];
            case ARRAY -> new GgufArray[length];
        };
        for (int i = 0; i < length; i++) {
            Array.set(values, i, value(in, source, key + "[" + i + "]", type, depth + 1));
        }
        return new GgufArray(type, values);
    }

    private static long minBytes(GgufValueType t) {
        return switch (t) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64, STRING -> 8;
            case ARRAY -> 12;
        };
    }
}
