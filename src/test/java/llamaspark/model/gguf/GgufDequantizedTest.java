package llamaspark.model.gguf;

import java.nio.file.Path;
import llamaspark.model.CheckpointReader;
import llamaspark.model.MatrixLayout;
import llamaspark.model.ModelFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each kq256 GGUF file of llama.cpp, loaded as float32 weights, equals bit for bit its
 * dequantized .bin written by llama.cpp's Python gguf package (and the F32 file equals the
 * checkpoint it was converted from), in row-major and in panel layouts.
 */
class GgufDequantizedTest {
    static final Path DIR = GgufOracleFilesTest.DIR;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q6_k"})
    void equalsLlamaCppDequantization(String type) {
        Path gguf = DIR.resolve("kq256-" + type + ".gguf");
        Path bin = DIR.resolve(type.equals("f32") ? "kq256.bin" : "kq256-" + type + ".dequantized.bin");
        for (MatrixLayout layout : new MatrixLayout[] {MatrixLayout.ROW_MAJOR, MatrixLayout.panels(16)}) {
            var fromBin = CheckpointReader.read(bin, layout);
            var fromGguf = ModelFiles.load(gguf, layout, 0, 0);
            if (type.equals("f32") && fromBin.config.sharedClassifier()) {
                // the converter writes the tied classifier out as output.weight
                fromBin = withSeparate(fromBin);
            }
            TestWeights.assertSameWeights(withSeqLen(fromBin, fromGguf.config.seqLen()), fromGguf);
        }
    }

    private static llamaspark.model.LlamaWeights withSeqLen(llamaspark.model.LlamaWeights w, int seqLen) {
        var c = w.config;
        var config = new llamaspark.model.LlamaConfig(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                c.vocabSize(), seqLen, c.sharedClassifier());
        return new llamaspark.model.LlamaWeights(config, w.tokenEmbedding, w.rmsAttention, w.rmsFeedForward, w.wqkv,
                w.wo, w.w13, w.w2, w.rmsFinal, w.classifier);
    }

    private static llamaspark.model.LlamaWeights withSeparate(llamaspark.model.LlamaWeights w) {
        var c = w.config;
        var config = new llamaspark.model.LlamaConfig(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(),
                c.vocabSize(), c.seqLen(), false);
        return new llamaspark.model.LlamaWeights(config, w.tokenEmbedding, w.rmsAttention, w.rmsFeedForward, w.wqkv,
                w.wo, w.w13, w.w2, w.rmsFinal, w.classifier);
    }
}
