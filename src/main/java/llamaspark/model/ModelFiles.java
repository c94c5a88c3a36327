package llamaspark.model;

import java.nio.file.Path;
import llamaspark.BadInputException;
import llamaspark.model.gguf.GgufFile;
import llamaspark.model.gguf.GgufLlamaSpec;
import llamaspark.model.gguf.GgufWeights;
import llamaspark.model.gguf.MagicBytes;

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
}
