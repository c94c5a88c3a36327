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

    private static LlamaWeights read(FileChannel ch, GgufLlamaSpec spec, MatrixLayout layout) throws IOException {
        LlamaConfig c = spec.config();
        LlamaWeights w = LlamaWeights.allocate(c, layout);
        int D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim();
        rows(ch, spec.tokenEmbedding(), w.tokenEmbedding, 0);
        for (int l = 0; l < c.layers(); l++) {
            GgufLlamaSpec.Layer b = spec.layers().get(l);
            vector(ch, b.attnNorm(), w.rmsAttention[l]);
            rows(ch, b.q(), w.wqkv[l], 0);
            rows(ch, b.k(), w.wqkv[l], D);
            rows(ch, b.v(), w.wqkv[l], D + KVD);
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
        return w;
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
