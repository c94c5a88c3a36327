package llamaspark.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import llamaspark.BadInputException;

/**
 * Reads llama2.c's checkpoint format: a header of 7 int32 (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len; a negative vocab_size means a separate classifier follows),
 * then float32 tensors in run.c's order. Each tensor is memory-mapped and copied once into its
 * place in the kernel's layout, so the model is never held twice.
 */
public final class CheckpointReader {
    public static final int HEADER_BYTES = 7 * Integer.BYTES;

    private CheckpointReader() {
    }

    public static LlamaConfig readConfig(Path path) {
        try (FileChannel ch = ModelFiles.openChannel(path)) {
            return readConfig(path, ch);
        } catch (IOException e) {
            throw new BadInputException(path.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    public static LlamaWeights read(Path path, MatrixLayout layout) {
        try (FileChannel ch = ModelFiles.openChannel(path)) {
            LlamaConfig c = readConfig(path, ch);
            LlamaWeights w = LlamaWeights.allocate(c, layout);
            new Cursor(ch).readAll(c, w);
            return w;
        } catch (IOException e) {
            throw new BadInputException(path.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    private static LlamaConfig readConfig(Path path, FileChannel ch) throws IOException {
        String source = path.toString();
        long size = ch.size();
        if (size < HEADER_BYTES) {
            throw new BadInputException(source, "file is " + size + " bytes, too short for the "
                    + HEADER_BYTES + "-byte llama2.c checkpoint header");
        }
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (h.hasRemaining() && ch.read(h, h.position()) >= 0) {
            // read until the header is complete
        }
        h.flip();
        int dim = h.getInt(), hidden = h.getInt(), layers = h.getInt(), heads = h.getInt();
        int kvHeads = h.getInt(), vocab = h.getInt(), seqLen = h.getInt();
        LlamaConfig c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seqLen,
                vocab > 0).validate(source);
        long expected = HEADER_BYTES + 4L * c.checkpointFloats();
        if (size != expected) {
            throw new BadInputException(source, (size < expected ? "truncated" : "oversized")
                    + ": expected " + expected + " bytes for a checkpoint of " + c + ", but the file has "
                    + size + " bytes (" + Math.abs(size - expected) + (size < expected ? " missing)" : " extra)"));
        }
        return c;
    }

    /** Walks the tensors in file order. */
    private static final class Cursor {
        private final FileChannel ch;
        private long offset = HEADER_BYTES;

        Cursor(FileChannel ch) {
            this.ch = ch;
        }

        FloatBuffer next(long floats) throws IOException {
            ByteBuffer region = ch.map(FileChannel.MapMode.READ_ONLY, offset, floats * Float.BYTES);
            offset += floats * Float.BYTES;
            return region.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        }

        void rows(WeightMatrix m, int row0, int rows) throws IOException {
            m.layout().fill(next((long) rows * m.cols()), m.data(), row0, rows, m.cols());
        }

        void vectors(float[][] dst) throws IOException {
            for (float[] v : dst) {
                next(v.length).get(v);
            }
        }

        void readAll(LlamaConfig c, LlamaWeights w) throws IOException {
            int D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers();
            rows(w.tokenEmbedding, 0, c.vocabSize());
            vectors(w.rmsAttention);
            for (int l = 0; l < n; l++) rows(w.wqkv[l], 0, D);
            for (int l = 0; l < n; l++) rows(w.wqkv[l], D, KVD);
            for (int l = 0; l < n; l++) rows(w.wqkv[l], D + KVD, KVD);
            for (int l = 0; l < n; l++) rows(w.wo[l], 0, D);
            vectors(w.rmsFeedForward);
            for (int l = 0; l < n; l++) rows(w.w13[l], 0, FD);
            for (int l = 0; l < n; l++) rows(w.w2[l], 0, D);
            for (int l = 0; l < n; l++) rows(w.w13[l], FD, FD);
            next(D).get(w.rmsFinal);
            offset += 4L * c.seqLen() * c.headDim(); // freq_cis_real/imag: run.c computes RoPE itself
            if (!c.sharedClassifier()) {
                rows(w.classifier, 0, c.vocabSize());
            }
        }
    }
}
