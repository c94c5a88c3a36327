package llamaspark.model.gguf;

import java.nio.file.Path;
import llamaspark.model.LlamaWeights;
import llamaspark.model.MatrixLayout;
import llamaspark.tokenizer.Tokenizer;

/**
 * Everything a llama GGUF file holds for the engine: its description, its weights as float32 in
 * a kernel's layout and its vocabulary (no separate tokenizer file needed).
 */
public record GgufModel(GgufLlamaSpec spec, LlamaWeights weights, Tokenizer tokenizer) {

    public static GgufModel load(Path path, MatrixLayout layout) {
        GgufLlamaSpec spec = GgufLlamaSpec.of(GgufFile.read(path));
        Tokenizer tokenizer = GgufVocabulary.read(spec.file().metadata());
        return new GgufModel(spec, GgufWeights.read(spec, layout), tokenizer);
    }
}
