package llamaspark.model.gguf;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import llamaspark.BadInputException;
import llamaspark.model.LlamaConfig;
import llamaspark.model.LlamaWeights;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;
import llamaspark.model.quant.QuantMatrix;

/**
 * A llama GGUF file's weights dequantized to float32 {@link LlamaWeights} in a kernel's layout:
 * the run.c-order engine as it is, on any GGUF type. GGUF llama weights already use llama2.c's
 * rotary convention (adjacent pairs; llama.cpp's converters permute Hugging Face q/k into it), so
 * q and k are copied as they are.
 */
public final class GgufWeights {
    private GgufWeights() {
    }

    public static LlamaWeights read(GgufLlamaSpec spec, MatrixLayout layout) {
        String source = spec.file().path().toString();
        try (FileChannel ch = FileChannel.open(spec.file().path(), StandardOpenOption.READ)) {
            if (ch.size() != spec.file().fileSize()) {
                throw new BadInputException(source, "file changed size since its header was read");
            }
            return read(ch, spec, layout);
        } catch (IOException e) {
            throw new BadInputException(source, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * The weights multiplied straight from the file: every matrix a read-only memory map of its
     * tensor in the stored type (no float32 copy; wq|wk|wv and gate|up stacked as views), the
     * embedding's rows dequantized per token, only the norm vectors on the heap. For the vector
     * kernels, which decode blocks into their 16-row panels.
     */
    public static LlamaWeights map(GgufLlamaSpec spec) {
        String source = spec.file().path().toString();
        try (FileChannel ch = FileChannel.open(spec.file().path(), StandardOpenOption.READ)) {
            if (ch.size() != spec.file().fileSize()) {
                throw new BadInputException(source, "file changed size since its header was read");
            }
            return map(ch, spec); // a mapping stays valid after its channel closes
        } catch (IOException e) {
            throw new BadInputException(source, "cannot map: " + e.getMessage(), e);
        }
    }

    private static LlamaWeights map(FileChannel ch, GgufLlamaSpec spec) throws IOException {
        LlamaConfig c = spec.config();
        int n = c.layers(), D = c.dim();
        WeightMatrix embedding = WeightMatrix.quantized(GgufMapping.map(ch, spec.tokenEmbedding()));
        WeightMatrix classifier = spec.output() == null ? embedding
                : WeightMatrix.quantized(GgufMapping.map(ch, spec.output()));
        float[][] rmsAttention = new float[n][D], rmsFeedForward = new float[n][D];
        WeightMatrix[] wqkv = new WeightMatrix[n], wo = new WeightMatrix[n];
        WeightMatrix[] w13 = new WeightMatrix[n], w2 = new WeightMatrix[n];
        for (int l = 0; l < n; l++) {
            GgufLlamaSpec.Layer b = spec.layers().get(l);
            vector(ch, b.attnNorm(), rmsAttention[l]);
            vector(ch, b.ffnNorm(), rmsFeedForward[l]);
            wqkv[l] = WeightMatrix.quantized(mapped(ch, b.q()), mapped(ch, b.k()), mapped(ch, b.v()));
            wo[l] = WeightMatrix.quantized(mapped(ch, b.o()));
            w13[l] = WeightMatrix.quantized(mapped(ch, b.gate()), mapped(ch, b.up()));
            w2[l] = WeightMatrix.quantized(mapped(ch, b.down()));
        }
        float[] rmsFinal = new float[D];
        vector(ch, spec.outputNorm(), rmsFinal);
        return new LlamaWeights(c, embedding, rmsAttention, rmsFeedForward, wqkv, wo, w13, w2, rmsFinal, classifier,
                GgufRope.frequencies(spec));
    }

    private static QuantMatrix mapped(FileChannel ch, GgufTensorInfo t) throws IOException {
        return GgufMapping.map(ch, t);
    }

    private static LlamaWeights read(FileChannel ch, GgufLlamaSpec spec, MatrixLayout layout) throws IOException {
        LlamaConfig c = spec.config();
        LlamaWeights w = LlamaWeights.allocate(c, layout);
        int QD = c.qDim(), KVD = c.kvDim(), FD = c.hiddenDim();
        rows(ch, spec.tokenEmbedding(), w.tokenEmbedding, 0);
        for (int l = 0; l < c.layers(); l++) {
            GgufLlamaSpec.Layer b = spec.layers().get(l);
            vector(ch, b.attnNorm(), w.rmsAttention[l]);
            rows(ch, b.q(), w.wqkv[l], 0);
            rows(ch, b.k(), w.wqkv[l], QD);
            rows(ch, b.v(), w.wqkv[l], QD + KVD);
            rows(ch, b.o(), w.wo[l], 0);
            vector(ch, b.ffnNorm(), w.rmsFeedForward[l]);
            rows(ch, b.gate(), w.w13[l], 0);
            rows(ch, b.up(), w.w13[l], FD);
            rows(ch, b.down(), w.w2[l], 0);
        }
        vector(ch, spec.outputNorm(), w.rmsFinal);
        if (spec.output() != null) {
            rows(ch, spec.output(), w.classifier, 0);
        }
        return w.withRopeFrequencies(GgufRope.frequencies(spec));
    }

    private static void rows(FileChannel ch, GgufTensorInfo t, WeightMatrix m, int row0) throws IOException {
        MatrixLayout layout = m.layout();
        float[] data = m.data();
        int cols = m.cols();
        TensorRows.read(ch, t, 0, t.rows(), (row, values) ->
                layout.fill(FloatBuffer.wrap(values), data, row0 + (int) row, 1, cols));
    }

    private static void vector(FileChannel ch, GgufTensorInfo t, float[] dst) throws IOException {
        float[] v = TensorRows.readAll(ch, t);
        System.arraycopy(v, 0, dst, 0, dst.length);
    }
}
