package llamaspark.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import llamaspark.BadInputException;

/**
 * Reads llama2.c's versioned exports (layouts in {@link Llama2cExport}): version 1 (float32) and
 * version 2 (int8 groups with float32 scales, runq.c's format), which is dequantized to float32
 * here, at load: x = q * scale, as runq.c's {@code dequantize}.
 */
public final class Llama2cExportReader {
    private Llama2cExportReader() {
    }

    /** The export's header: shape, version and (version 2) group size. */
    public record Header(LlamaConfig config, int version, int groupSize) {
    }

    public static Header readHeader(Path path) {
        try (FileChannel ch = ModelFiles.openChannel(path)) {
            return readHeader(path.toString(), ch);
        } catch (IOException e) {
            throw new BadInputException(path.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    public static LlamaWeights read(Path path, MatrixLayout layout) {
        try (FileChannel ch = ModelFiles.openChannel(path)) {
            Header h = readHeader(path.toString(), ch);
            LlamaWeights w = LlamaWeights.allocate(h.config(), layout);
            new Cursor(ch, h).readAll(w);
            return w;
        } catch (IOException e) {
            throw new BadInputException(path.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    private static Header readHeader(String source, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < Llama2cExport.HEADER_BYTES) {
            throw new BadInputException(source, "file is " + size + " bytes, too short for the "
                    + Llama2cExport.HEADER_BYTES + "-byte llama2.c export header");
        }
        ByteBuffer h = ByteBuffer.allocate(Llama2cExport.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (h.hasRemaining() && ch.read(h, h.position()) >= 0) {
            // until the header is complete
        }
        h.flip();
        if (h.getInt() != Llama2cExport.MAGIC) {
            throw new BadInputException(source, "not a llama2.c export: bad magic");
        }
        int version = h.getInt();
        if (version != 1 && version != 2) {
            throw new BadInputException(source, "llama2.c export version " + version + " is not supported, expected 1 or 2");
        }
        int dim = h.getInt(), hidden = h.getInt(), layers = h.getInt(), heads = h.getInt();
        int kvHeads = h.getInt(), vocab = h.getInt(), seqLen = h.getInt();
        byte shared = h.get();
        int gs = version == 2 ? h.getInt() : 0;
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seqLen, shared != 0).validate(source);
        if (version == 2 && (gs <= 0 || dim % gs != 0)) {
            throw new BadInputException(source, "header field group_size=" + gs + " must be positive and divide dim=" + dim);
        }
        long expected = expectedSize(c, version, gs);
        if (size != expected) {
            throw new BadInputException(source, (size < expected ? "truncated" : "oversized")
                    + ": expected " + expected + " bytes for a version-" + version + " export of " + c
                    + ", but the file has " + size + " bytes");
        }
        return new Header(c, version, gs);
    }

    private static long expectedSize(LlamaConfig c, int version, int gs) {
        long D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers(), VS = c.vocabSize();
        long norms = (2 * n + 1) * D;
        long matrices = VS * D + n * (2 * D * D + 2 * KVD * D + 3 * FD * D) + (c.sharedClassifier() ? 0 : VS * D);
        return Llama2cExport.HEADER_BYTES + 4 * norms
                + (version == 1 ? 4 * matrices : matrices + 4 * (matrices / gs));
    }

    private static final class Cursor {
        private final FileChannel ch;
        private final Header h;
        private long offset = Llama2cExport.HEADER_BYTES;

        Cursor(FileChannel ch, Header h) {
            this.ch = ch;
            this.h = h;
        }

        private ByteBuffer map(long bytes) throws IOException {
            ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, offset, bytes).order(ByteOrder.LITTLE_ENDIAN);
            offset += bytes;
            return b;
        }

        void vectors(float[][] dst) throws IOException {
            for (float[] v : dst) {
                map(4L * v.length).asFloatBuffer().get(v);
            }
        }

        /** One matrix [rows, cols] of the file into m's rows from row0. */
        void matrix(WeightMatrix m, int row0, int rows) throws IOException {
            int cols = m.cols();
            long n = (long) rows * cols;
            if (h.version() == 1) {
                m.layout().fill(map(4 * n).asFloatBuffer(), m.data(), row0, rows, cols);
                return;
            }
            int gs = h.groupSize();
            ByteBuffer q = map(n);
            FloatBuffer s = map(4 * (n / gs)).asFloatBuffer();
            float[] line = new float[cols];
            FloatBuffer wrapped = FloatBuffer.wrap(line);
            long i = 0;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++, i++) {
                    line[c] = q.get((int) i) * s.get((int) (i / gs));
                }
                wrapped.clear();
                m.layout().fill(wrapped, m.data(), row0 + r, 1, cols);
            }
        }

        void readAll(LlamaWeights w) throws IOException {
            LlamaConfig c = h.config();
            int D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers();
            vectors(w.rmsAttention);
            vectors(w.rmsFeedForward);
            map(4L * D).asFloatBuffer().get(w.rmsFinal);
            matrix(w.tokenEmbedding, 0, c.vocabSize());
            for (int l = 0; l < n; l++) matrix(w.wqkv[l], 0, D);
            for (int l = 0; l < n; l++) matrix(w.wqkv[l], D, KVD);
            for (int l = 0; l < n; l++) matrix(w.wqkv[l], D + KVD, KVD);
            for (int l = 0; l < n; l++) matrix(w.wo[l], 0, D);
            for (int l = 0; l < n; l++) matrix(w.w13[l], 0, FD);
            for (int l = 0; l < n; l++) matrix(w.w2[l], 0, D);
            for (int l = 0; l < n; l++) matrix(w.w13[l], FD, FD);
            if (!c.sharedClassifier()) {
                matrix(w.classifier, 0, c.vocabSize());
            }
        }
    }
}
