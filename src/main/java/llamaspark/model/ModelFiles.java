package llamaspark.model;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import llamaspark.BadInputException;
import llamaspark.model.gguf.GgufFile;
import llamaspark.model.gguf.GgufLlamaSpec;
import llamaspark.model.gguf.GgufWeights;
import llamaspark.model.gguf.GgufTensorInfo;
import llamaspark.model.gguf.GgufVocabulary;
import llamaspark.model.gguf.MagicBytes;
import llamaspark.model.hf.HfLlamaSpec;
import llamaspark.model.hf.HfWeights;
import llamaspark.model.kernel.Backend;
import llamaspark.chat.ChatTemplate;
import llamaspark.tokenizer.BpeTokenizer;
import llamaspark.tokenizer.HfTokenizerFiles;
import llamaspark.tokenizer.TokenizerConfig;
import llamaspark.tokenizer.TextTokenizer;
import llamaspark.tokenizer.Tokenizer;

/**
 * Loads a model as float32 weights from any supported format, telling them apart by content: a
 * Hugging Face directory (config.json + safetensors), GGUF (magic "GGUF", dequantized), llama2.c
 * version 1/2 exports (magic "ak42"), NumPy .npz, else llama2.c's legacy header-only format.
 */
public final class ModelFiles {
    /**
     * The context the engine allocates (KV cache, rotary table) for a GGUF or Hugging Face model
     * when --seq-len is not given: the model's own, at most this. Llama 3.1 states 131072
     * positions, whose KV cache would be 16 GiB per row at 8B; --seq-len raises or lowers it.
     */
    public static final int DEFAULT_MAX_CONTEXT = 8192;

    private ModelFiles() {
    }

    /** A directory that is not a Hugging Face model is one clear line, not a failed read of a "file". */
    static void rejectOtherDirectory(Path path) {
        if (java.nio.file.Files.isDirectory(path) && !HfLlamaSpec.isHfDir(path)) {
            throw new BadInputException(path.toString(), "is a directory without config.json; a Hugging Face model"
                    + " directory holds config.json, *.safetensors and tokenizer.json");
        }
    }

    /** The context to run a model of context {@code modelContext} with: {@code seqLen} when positive, else the capped default. */
    public static int context(int modelContext, int seqLen) {
        return seqLen > 0 ? seqLen : Math.min(modelContext, DEFAULT_MAX_CONTEXT);
    }

    /** A GGUF file's spec with the context the engine runs it with ({@link #context}). */
    public static GgufLlamaSpec ggufSpec(Path path, int seqLen) {
        GgufLlamaSpec spec = GgufLlamaSpec.of(GgufFile.read(path));
        int context = context(spec.config().seqLen(), seqLen);
        return context == spec.config().seqLen() ? spec : spec.withContext(context);
    }

    /** A Hugging Face directory's spec with the context the engine runs it with ({@link #context}). */
    public static HfLlamaSpec hfSpec(Path dir, int seqLen) {
        HfLlamaSpec spec = HfLlamaSpec.of(dir);
        int context = context(spec.config().seqLen(), seqLen);
        return context == spec.config().seqLen() ? spec : spec.withContext(context);
    }

    /**
     * A Hugging Face directory's tokenizer (tokenizer.json; end ids also from generation_config.json),
     * checked against config.json's vocabulary size.
     */
    public static BpeTokenizer hfTokenizer(HfLlamaSpec spec) {
        BpeTokenizer t = HfTokenizerFiles.load(spec.dir());
        if (t.vocabSize() != spec.config().vocabSize()) {
            throw new BadInputException(HfTokenizerFiles.tokenizerJson(spec.dir()).toString(), "has " + t.vocabSize()
                    + " tokens but config.json's vocab_size is " + spec.config().vocabSize());
        }
        return t;
    }

    /** The chat template of tokenizer_config.json in {@code dir}, or null when there is none. */
    public static ChatTemplate hfChatTemplate(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        return java.nio.file.Files.isRegularFile(config) ? ChatTemplate.of(TokenizerConfig.load(config)) : null;
    }

    /**
     * @param heads  head count, needed only for .npz files (which do not record it)
     * @param seqLen context length, needed only for .npz files
     */
    public static LlamaWeights load(Path path, MatrixLayout layout, int heads, int seqLen) {
        if (HfLlamaSpec.isHfDir(path)) {
            return HfWeights.read(hfSpec(path, seqLen), layout);
        }
        rejectOtherDirectory(path);
        if (NpzReader.isNpz(path)) {
            if (heads <= 0 || seqLen <= 0) {
                throw new BadInputException(path.toString(), "an .npz checkpoint does not record n_heads or "
                        + "seq_len: give them (--heads, --seq-len)");
            }
            return NpzReader.read(path, heads, seqLen, layout);
        }
        int magic = MagicBytes.read(path);
        if (magic == GgufFile.MAGIC) {
            return GgufWeights.read(ggufSpec(path, seqLen), layout);
        }
        if (magic == Llama2cExport.MAGIC) {
            return Llama2cExportReader.read(path, layout);
        }
        return CheckpointReader.read(path, layout);
    }

    /**
     * The model at {@code path} ready for {@code backend}, with its tokenizer: the file's own
     * vocabulary for GGUF (a {@code tokenizer} given beside it is then ignored), else the llama2.c
     * tokenizer file {@code tokenizer}, which must be given. A GGUF file's matrices stay in the
     * file for the vector backends (mapped, multiplied in their stored type: {@code vector} gives
     * bit for bit the float32 model dequantized from the file, {@code vector-fma} decodes with
     * FMA); {@code ejml} gets them dequantized to float32. Other formats load as float32.
     *
     * <p>A Hugging Face directory is read the same way as GGUF (mapped in its stored F32/F16/BF16
     * for the vector backends, float32 for ejml), with the tokenizer of its tokenizer.json and the
     * chat template of its tokenizer_config.json.
     *
     * @param seqLen context length: required for .npz files; for GGUF and Hugging Face models, when
     *               positive, it replaces the model's context (as llama.cpp's -c does), else the
     *               model's context capped at {@link #DEFAULT_MAX_CONTEXT} is used
     */
    public static LoadedModel open(Path path, Path tokenizer, Backend backend, int heads, int seqLen) {
        if (HfLlamaSpec.isHfDir(path)) {
            HfLlamaSpec spec = hfSpec(path, seqLen);
            BpeTokenizer vocabulary = hfTokenizer(spec);
            LlamaWeights weights = backend == Backend.EJML ? HfWeights.read(spec, backend.layout()) : HfWeights.map(spec);
            return new LoadedModel(weights, vocabulary, "hf", spec.tensorTypes(), hfChatTemplate(path));
        }
        rejectOtherDirectory(path);
        if (!NpzReader.isNpz(path) && MagicBytes.read(path) == GgufFile.MAGIC) {
            GgufLlamaSpec spec = ggufSpec(path, seqLen);
            Map<String, Integer> types = new TreeMap<>();
            for (GgufTensorInfo t : spec.allTensors()) {
                types.merge(t.type().name(), 1, Integer::sum);
            }
            LlamaWeights weights = backend == Backend.EJML ? GgufWeights.read(spec, backend.layout())
                    : GgufWeights.map(spec);
            TextTokenizer vocabulary = GgufVocabulary.readText(spec.file().metadata());
            return new LoadedModel(weights, vocabulary, "gguf", types,
                    GgufVocabulary.chatTemplate(spec.file().metadata(), vocabulary));
        }
        if (tokenizer == null) {
            throw new BadInputException("--tokenizer", "no tokenizer given (only GGUF files carry their own)");
        }
        LlamaWeights weights = load(path, backend.layout(), heads, seqLen);
        String format = format(path);
        // Per layer: 2 norms + wq, wk, wv, wo, w1, w2, w3; then the embedding, the final norm and a separate classifier.
        int tensors = weights.config.layers() * 9 + (weights.config.sharedClassifier() ? 2 : 3);
        return new LoadedModel(weights, Tokenizer.load(tokenizer, weights.config.vocabSize()), format,
                Map.of(format.equals("llama2.c-v2") ? "Q8_0 (llama2.c groups)" : "F32", tensors), null);
    }

    /** The format of a file that is not GGUF, by its content. */
    private static String format(Path path) {
        if (NpzReader.isNpz(path)) {
            return "npz";
        }
        return MagicBytes.read(path) == Llama2cExport.MAGIC
                ? "llama2.c-v" + Llama2cExportReader.readHeader(path).version() : "llama2.c";
    }

    /** A model file opened for reading; a missing file is one line naming it. */
    static FileChannel openChannel(Path path) throws IOException {
        try {
            return FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new BadInputException(path.toString(), "no such model file");
        }
    }
}
