package llamaspark.model;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import llamaspark.BadInputException;
import llamaspark.model.gguf.GgufFile;
import llamaspark.model.gguf.GgufLlamaSpec;
import llamaspark.model.gguf.GgufTensorInfo;
import llamaspark.model.gguf.GgufVocabulary;
import llamaspark.model.gguf.MagicBytes;
import llamaspark.model.hf.HfLlamaSpec;
import llamaspark.tokenizer.Tokenizer;

/**
 * What a model file is, read from its header only (no weights): what the Spark driver checks and
 * records before any task starts. Every check {@link ModelFiles#open} makes of the header is made
 * here, so a bad file is one clear line on the driver: GGUF header, tensor table and vocabulary;
 * llama2.c header and file size; the llama2.c tokenizer against the vocabulary size.
 *
 * @param format      as {@link LoadedModel#format()}
 * @param tensorTypes as {@link LoadedModel#tensorTypes()}
 * @param ownVocabulary true when the model carries its tokenizer (GGUF, a Hugging Face directory's
 *                      tokenizer.json): a --tokenizer is then not used
 */
public record ModelHeader(String format, LlamaConfig config, Map<String, Integer> tensorTypes, boolean ownVocabulary) {

    /**
     * @param tokenizer the llama2.c tokenizer file; required unless the model is GGUF
     * @param heads     head count, only for .npz files
     * @param seqLen    context length, only for .npz files
     */
    public static ModelHeader read(Path model, Path tokenizer, int heads, int seqLen) {
        ModelHeader h = of(model, heads, seqLen);
        h.checkTokenizer(tokenizer);
        return h;
    }

    /** Checks the tokenizer that goes with this model: none for GGUF, else a llama2.c tokenizer of its vocabulary size. */
    public void checkTokenizer(Path tokenizer) {
        if (!ownVocabulary) {
            if (tokenizer == null) {
                throw new BadInputException("--tokenizer", "no tokenizer given (only GGUF files carry their own)");
            }
            Tokenizer.load(tokenizer, config.vocabSize());
        }
    }

    /**
     * The model file's header alone (a Hugging Face directory: config.json, the safetensors headers
     * and tokenizer.json). For GGUF and Hugging Face models the config's seqLen is the context the
     * engine will run them with ({@link ModelFiles#context}).
     */
    public static ModelHeader of(Path path, int heads, int seqLen) {
        if (HfLlamaSpec.isHfDir(path)) {
            HfLlamaSpec spec = ModelFiles.hfSpec(path, seqLen);
            ModelFiles.hfTokenizer(spec);
            ModelFiles.hfChatTemplate(path);
            return new ModelHeader("hf", spec.config(), spec.tensorTypes(), true);
        }
        ModelFiles.rejectOtherDirectory(path);
        if (NpzReader.isNpz(path)) {
            // An .npz has no header: its shape is that of its arrays. The study's small format; read and dropped.
            LlamaConfig c = ModelFiles.load(path, MatrixLayout.ROW_MAJOR, heads, seqLen).config;
            return new ModelHeader("npz", c, Map.of("F32", tensorCount(c)), false);
        }
        int magic = MagicBytes.read(path);
        if (magic == GgufFile.MAGIC) {
            GgufLlamaSpec spec = ModelFiles.ggufSpec(path, seqLen);
            GgufVocabulary.readText(spec.file().metadata());
            Map<String, Integer> types = new TreeMap<>();
            for (GgufTensorInfo t : spec.allTensors()) {
                types.merge(t.type().name(), 1, Integer::sum);
            }
            return new ModelHeader("gguf", spec.config(), types, true);
        }
        if (magic == Llama2cExport.MAGIC) {
            Llama2cExportReader.Header h = Llama2cExportReader.readHeader(path);
            return new ModelHeader("llama2.c-v" + h.version(), h.config(),
                    Map.of(h.version() == 2 ? "Q8_0 (llama2.c groups)" : "F32", tensorCount(h.config())), false);
        }
        LlamaConfig c = CheckpointReader.readConfig(path);
        return new ModelHeader("llama2.c", c, Map.of("F32", tensorCount(c)), false);
    }

    /** Per layer: 2 norms + wq, wk, wv, wo, w1, w2, w3; then the embedding, the final norm and a separate classifier. */
    private static int tensorCount(LlamaConfig c) {
        return c.layers() * 9 + (c.sharedClassifier() ? 2 : 3);
    }
}
