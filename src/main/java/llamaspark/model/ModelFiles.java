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
import llamaspark.model.kernel.Backend;
import llamaspark.tokenizer.TextTokenizer;
import llamaspark.tokenizer.Tokenizer;

/**
 * Loads a model as float32 weights from any supported format, telling them apart by content: GGUF
 * (magic "GGUF", dequantized), llama2.c version 1/2 exports (magic "ak42"), NumPy .npz, else
 * llama2.c's legacy header-only format.
 */
public final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * @param heads  head count, needed only for .npz files (which do not record it)
     * @param seqLen context length, needed only for .npz files
     */
    public static LlamaWeights load(Path path, MatrixLayout layout, int heads, int seqLen) {
        if (NpzReader.isNpz(path)) {
            if (heads <= 0 || seqLen <= 0) {
                throw new BadInputException(path.toString(), "an .npz checkpoint does not record n_heads or "
                        + "seq_len: give them (--heads, --seq-len)");
            }
            return NpzReader.read(path, heads, seqLen, layout);
        }
        int magic = MagicBytes.read(path);
        if (magic == GgufFile.MAGIC) {
            return GgufWeights.read(GgufLlamaSpec.of(GgufFile.read(path)), layout);
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
     * @param seqLen context length: required for .npz files; for GGUF, when positive, it replaces
     *               the file's {@code context_length} (as llama.cpp's -c does)
     */
    public static LoadedModel open(Path path, Path tokenizer, Backend backend, int heads, int seqLen) {
        if (!NpzReader.isNpz(path) && MagicBytes.read(path) == GgufFile.MAGIC) {
            GgufLlamaSpec spec = GgufLlamaSpec.of(GgufFile.read(path));
            if (seqLen > 0) {
                spec = spec.withContext(seqLen);
            }
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
