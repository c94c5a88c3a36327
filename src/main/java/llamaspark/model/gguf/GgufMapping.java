package llamaspark.model.gguf;

import java.io.IOException;
import java.nio.channels.FileChannel;
import llamaspark.model.quant.QuantMatrix;

/** A GGUF tensor as a memory-mapped {@link QuantMatrix} W[rows = ne[1..], cols = ne[0]], no copy. */
public final class GgufMapping {
    private GgufMapping() {
    }

    public static QuantMatrix map(FileChannel ch, GgufTensorInfo t) throws IOException {
        long rows = t.rows(), cols = t.cols();
        if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(t.name() + " has " + rows + " rows of " + cols
                    + " values; rows and columns must each fit in an int");
        }
        return QuantMatrix.map(ch, t.fileOffset(), t.type(), (int) rows, (int) cols);
    }
}
