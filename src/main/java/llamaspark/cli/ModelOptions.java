package llamaspark.cli;

import java.nio.file.Path;
import llamaspark.model.LlamaWeights;
import llamaspark.model.ModelFiles;
import llamaspark.model.kernel.Backend;
import llamaspark.tokenizer.Tokenizer;
import picocli.CommandLine.Option;

/** The options every command that runs a model shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "llama2.c checkpoint (.bin) or the study's .npz")
    Path model;

    @Option(names = "--tokenizer", required = true, description = "llama2.c tokenizer.bin or the study's tokenizer.model.np (JSON)")
    Path tokenizer;

    @Option(names = "--backend", defaultValue = "vector", converter = BackendConverter.class,
            description = "matrix kernel: vector (SIMD, run.c's sums), vector-fma (fastest), ejml (reference). Default: ${DEFAULT-VALUE}")
    Backend backend;

    @Option(names = "--heads", defaultValue = "0", description = "number of attention heads (only for .npz models, which do not record it)")
    int heads;

    @Option(names = "--seq-len", defaultValue = "0", description = "context length (only for .npz models)")
    int seqLen;

    LlamaWeights loadWeights() {
        return ModelFiles.load(model, backend.layout(), heads, seqLen);
    }

    Tokenizer loadTokenizer(LlamaWeights weights) {
        return Tokenizer.load(tokenizer, weights.config.vocabSize());
    }

    static final class BackendConverter implements picocli.CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            return Backend.parse(value);
        }
    }
}
