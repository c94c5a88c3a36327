package llamaspark.model;

import java.nio.file.Path;
import llamaspark.BadInputException;

/** Loads a model from either supported format, telling them apart by content. */
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
        return CheckpointReader.read(path, layout);
    }
}
