package llamaspark.job;

import java.nio.file.Path;
import llamaspark.BadInputException;
import llamaspark.model.LlamaWeights;
import llamaspark.model.ModelFiles;
import llamaspark.model.kernel.Backend;
import llamaspark.tokenizer.Tokenizer;
import picocli.CommandLine.Option;

/** The model options of every command that runs one (a picocli mixin): the job, batch, generate, bench. */
public final class ModelOptions {
    @Option(names = "--model", description = "llama2.c checkpoint (.bin) or the study's .npz (the job: readable by the driver)")
    public Path model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin or the study's tokenizer.model.np (JSON)")
    public Path tokenizer;

    @Option(names = "--backend", defaultValue = Backend.DEFAULT_NAME, converter = BackendConverter.class,
            description = "matrix kernel: vector-fma (fastest; passes every greedy oracle), vector (run.c's sums bit for bit:"
                    + " reproduces llama2.c's sampled outputs exactly), ejml (reference). Default: ${DEFAULT-VALUE}")
    public Backend backend;

    @Option(names = "--heads", defaultValue = "0", description = "number of attention heads (only for .npz models, which do not record it)")
    public int heads;

    @Option(names = "--seq-len", defaultValue = "0", description = "context length (only for .npz models)")
    public int seqLen;

    /** Names the option at fault. */
    public void validate() {
        if (model == null) {
            throw new BadInputException("--model", "no model given");
        }
        if (tokenizer == null) {
            throw new BadInputException("--tokenizer", "no tokenizer given");
        }
    }

    public LlamaWeights loadWeights() {
        validate();
        return ModelFiles.load(model, backend.layout(), heads, seqLen);
    }

    public Tokenizer loadTokenizer(LlamaWeights weights) {
        return Tokenizer.load(tokenizer, weights.config.vocabSize());
    }

    static final class BackendConverter implements picocli.CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            return Backend.parse(value);
        }
    }
}
