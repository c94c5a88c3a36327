package llamaspark.model;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.SplittableRandom;
import llamaspark.BadInputException;

/**
 * Writes a llama2.c checkpoint of any shape with seeded random weights: every matrix entry
 * N(0, std), every RMSNorm weight 1, the RoPE tables as llama2.c's exporter writes them. Used to
 * make benchmark models of real shapes (the 15M-parameter one is too large to ship). Streams
 * tensor by tensor, to a temporary file moved into place at the end.
 */
public final class RandomCheckpoint {
    private final LlamaConfig config;
    private final long seed;
    private final float std;

    public RandomCheckpoint(LlamaConfig config, long seed, float std) {
        this.config = config.validate("make-checkpoint");
        this.seed = seed;
        this.std = std;
    }

    public void write(Path out) {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writeTo(os);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is what matters
            }
            throw new BadInputException(out.toString(), "cannot write checkpoint: " + e.getMessage(), e);
        }
    }

    private void writeTo(OutputStream os) throws IOException {
        LlamaConfig c = config;
        ByteBuffer header = ByteBuffer.allocate(CheckpointReader.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.layers()).putInt(c.heads()).putInt(c.kvHeads())
                .putInt(c.sharedClassifier() ? c.vocabSize() : -c.vocabSize()).putInt(c.seqLen());
        os.write(header.array());
        Writer w = new Writer(os, new SplittableRandom(seed));
        long D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers();
        w.random(c.vocabSize() * D);      // token_embedding_table
        w.ones(n * D);                     // rms_att_weight
        w.random(n * D * D);               // wq
        w.random(n * KVD * D);             // wk
        w.random(n * KVD * D);             // wv
        w.random(n * D * D);               // wo
        w.ones(n * D);                     // rms_ffn_weight
        w.random(n * FD * D);              // w1
        w.random(n * D * FD);              // w2
        w.random(n * FD * D);              // w3
        w.ones(D);                         // rms_final_weight
        w.rope(c.seqLen(), c.headDim(), true);
        w.rope(c.seqLen(), c.headDim(), false);
        if (!c.sharedClassifier()) {
            w.random(c.vocabSize() * D);  // wcls
        }
        w.flush();
    }

    /** Receives the random matrices in the order the seeded generator makes them. */
    public interface MatrixVisitor {
        /**
         * @param name  llama2.c's name: tok_embeddings, wq, wk, wv, wo, w1, w2, w3, output
         * @param layer the layer, or -1 for tok_embeddings and output
         * @param rows  call {@code rows.next(row)} exactly {@code rows} times, in order
         */
        void matrix(String name, int layer, int rows, int cols, RowSource source) throws IOException;
    }

    /** The next row of the current matrix. */
    public interface RowSource {
        void next(float[] row);
    }

    /**
     * Every random matrix of this model in generation order, row by row: the same values the
     * legacy writer streams (RMSNorm weights are all 1 and RoPE tables are not random), so every
     * format writes the same model.
     */
    public void forEachMatrix(MatrixVisitor v) throws IOException {
        LlamaConfig c = config;
        SplittableRandom rng = new SplittableRandom(seed);
        RowSource src = row -> {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) rng.nextGaussian() * std;
            }
        };
        int D = c.dim(), QD = c.qDim(), KVD = c.kvDim(), FD = c.hiddenDim(), n = c.layers();
        v.matrix("tok_embeddings", -1, c.vocabSize(), D, src);
        for (int l = 0; l < n; l++) v.matrix("wq", l, QD, D, src);
        for (int l = 0; l < n; l++) v.matrix("wk", l, KVD, D, src);
        for (int l = 0; l < n; l++) v.matrix("wv", l, KVD, D, src);
        for (int l = 0; l < n; l++) v.matrix("wo", l, D, QD, src);
        for (int l = 0; l < n; l++) v.matrix("w1", l, FD, D, src);
        for (int l = 0; l < n; l++) v.matrix("w2", l, D, FD, src);
        for (int l = 0; l < n; l++) v.matrix("w3", l, FD, D, src);
        if (!c.sharedClassifier()) {
            v.matrix("output", -1, c.vocabSize(), D, src);
        }
    }

    public LlamaConfig config() {
        return config;
    }

    private final class Writer {
        private final OutputStream os;
        private final SplittableRandom rng;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        Writer(OutputStream os, SplittableRandom rng) {
            this.os = os;
            this.rng = rng;
        }

        void put(float v) throws IOException {
            if (!buf.hasRemaining()) {
                flush();
            }
            buf.putFloat(v);
        }

        void random(long count) throws IOException {
            for (long i = 0; i < count; i++) {
                put((float) rng.nextGaussian() * std);
            }
        }

        void ones(long count) throws IOException {
            for (long i = 0; i < count; i++) {
                put(1.0f);
            }
        }

        void rope(int seqLen, int headDim, boolean cos) throws IOException {
            for (int pos = 0; pos < seqLen; pos++) {
                for (int j = 0; j < headDim / 2; j++) {
                    double angle = pos / Math.pow(10000.0, 2.0 * j / headDim);
                    put((float) (cos ? Math.cos(angle) : Math.sin(angle)));
                }
            }
        }

        void flush() throws IOException {
            os.write(buf.array(), 0, buf.position());
            buf.clear();
        }
    }
}
