package llamaspark.job;

import java.nio.file.Path;
import llamaspark.BadInputException;
import llamaspark.model.KvPrecision;
import llamaspark.model.LoadedModel;
import llamaspark.model.ModelFiles;
import llamaspark.model.kernel.Backend;
import picocli.CommandLine.Option;

/** The model options of every command that runs one (a picocli mixin): the job, batch, generate, bench. */
public final class ModelOptions {
    @Option(names = "--model", description = "GGUF file, Hugging Face model directory (config.json, *.safetensors,"
            + " tokenizer.json), llama2.c checkpoint (.bin, legacy or version 1/2 export) or the study's .npz; the job"
            + " also takes a Hadoop URI (hdfs://, s3a://, file://) of a file, see --model-from")
    public String model;

    @Option(names = "--tokenizer", description = "llama2.c tokenizer.bin or the study's tokenizer.model.np (JSON);"
            + " not needed for GGUF files and Hugging Face directories, which carry their own vocabulary")
    public String tokenizer;

    @Option(names = "--backend", defaultValue = Backend.DEFAULT_NAME, converter = BackendConverter.class,
            description = "matrix kernel: vector-fma (fastest; passes every greedy oracle), vector (run.c's sums bit for bit:"
                    + " reproduces llama2.c's sampled outputs exactly), ejml (reference). Default: ${DEFAULT-VALUE}")
    public Backend backend;

    @Option(names = "--kv-cache", defaultValue = KvPrecision.DEFAULT_NAME, converter = KvCacheConverter.class,
            description = "KV cache precision: f32 (every oracle's), or f16 (IEEE half, llama.cpp's default: half the"
                    + " memory and the bytes attention reads; outputs can differ from f32's, see README). Default: ${DEFAULT-VALUE}")
    public KvPrecision kvCache = KvPrecision.F32;

    @Option(names = "--heads", defaultValue = "0", description = "number of attention heads (only for .npz models, which do not record it)")
    public int heads;

    @Option(names = "--seq-len", defaultValue = "0", description = "context length the engine allocates: required for .npz models; for GGUF and Hugging Face"
            + " models it replaces the model's context (default: the model's, at most 8192)")
    public int seqLen;

    @Option(names = "--model-from", defaultValue = "auto", converter = ModelSource.Converter.class,
            description = "the job: how executors get the model and tokenizer files: path (every node sees the path),"
                    + " copy (a Hadoop URI copied once per host), add-file (shipped by SparkContext.addFile), auto"
                    + " (copy for a URI with a scheme, else path). Default: ${DEFAULT-VALUE}")
    public ModelSource source = ModelSource.AUTO;

    @Option(names = "--model-cache-dir", description = "the job: where each host keeps copied model files"
            + " (default <spark.local.dir or java.io.tmpdir>/llamaspark-models)")
    public String cacheDir;

    /** Names the option at fault. */
    public void validate() {
        if (model == null) {
            throw new BadInputException("--model", "no model given");
        }
    }

    /** The model for the single-JVM commands (generate, batch, bench): a local file, its tokenizer, on the chosen backend. */
    public LoadedModel open() {
        validate();
        return ModelFiles.open(Path.of(model), tokenizer == null ? null : Path.of(tokenizer), backend, heads, seqLen);
    }

    static final class KvCacheConverter implements picocli.CommandLine.ITypeConverter<KvPrecision> {
        @Override
        public KvPrecision convert(String value) {
            return KvPrecision.parse(value);
        }
    }

    static final class BackendConverter implements picocli.CommandLine.ITypeConverter<Backend> {
        @Override
        public Backend convert(String value) {
            return Backend.parse(value);
        }
    }
}
