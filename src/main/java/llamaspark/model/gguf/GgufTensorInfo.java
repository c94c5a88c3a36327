package llamaspark.model.gguf;

import java.util.Arrays;
import llamaspark.model.quant.GgmlType;

/**
 * One entry of a GGUF tensor table. {@code dims} are ggml's ne[]: ne[0] is the innermost
 * (contiguous) dimension, so a matrix W[rows, cols] has dims {cols, rows}. {@code offset} is
 * relative to the start of the data section; {@code fileOffset} is absolute.
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset, long fileOffset) {

    public long elements() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes of the tensor's data: rows of ne[0] values, each a whole number of blocks. */
    public long bytes() {
        long cols = dims.length == 0 ? 1 : dims[0];
        return Math.multiplyExact(type.rowBytes(cols), elements() / Math.max(cols, 1));
    }

    /** ne[0]: values per row. */
    public long cols() {
        return dims.length == 0 ? 1 : dims[0];
    }

    /** Product of ne[1..]: the number of rows. */
    public long rows() {
        return dims.length == 0 ? 1 : elements() / dims[0];
    }

    /** As llama.cpp prints it: name [ne0, ne1] type. */
    public String describe() {
        return name + " " + Arrays.toString(dims) + " " + type;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(dims, t.dims)
                && type == t.type && offset == t.offset && fileOffset == t.fileOffset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return describe() + " @" + offset;
    }
}
