package llamaspark.model.gguf;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import llamaspark.BadInputException;
import llamaspark.model.RopeFrequencies;
import llamaspark.model.RopeScaling;

/**
 * The rotary frequencies of a llama GGUF file, as llama.cpp derives them: theta from
 * {@code llama.rope.freq_base}, divided per pair by the {@code rope_freqs.weight} tensor when the
 * file has one (llama.cpp's converter stores Llama 3.1 scaling that way), and by
 * {@code llama.rope.scaling.factor} when {@code llama.rope.scaling.type} is {@code linear}.
 */
public final class GgufRope {
    public static final String FREQS_TENSOR = "rope_freqs.weight";
    public static final String SCALING_TYPE = "llama.rope.scaling.type";
    public static final String SCALING_FACTOR = "llama.rope.scaling.factor";

    private GgufRope() {
    }

    /** The per-pair frequencies of {@code spec}'s file. [HD/2] */
    public static float[] frequencies(GgufLlamaSpec spec) {
        GgufFile file = spec.file();
        GgufMetadata m = file.metadata();
        int headDim = spec.ropeDim();
        String type = m.string(SCALING_TYPE, "none");
        RopeScaling scaling = switch (type) {
            case "none" -> null;
            case "linear" -> RopeScaling.linear(m.float32(SCALING_FACTOR)).validate(m.source());
            default -> throw new BadInputException(m.source(), "metadata key '" + SCALING_TYPE + "' is '" + type
                    + "'; only none and linear are supported (Llama 3 scaling comes as the rope_freqs tensor)");
        };
        float[] freq = RopeFrequencies.of(headDim, spec.ropeTheta(), scaling);
        GgufTensorInfo t = file.tensor(FREQS_TENSOR);
        if (t == null) {
            return freq;
        }
        if (t.elements() != headDim / 2) {
            throw new BadInputException(m.source(), "tensor '" + FREQS_TENSOR + "' has " + t.elements()
                    + " values, expected HD/2 = " + headDim / 2);
        }
        try (FileChannel ch = FileChannel.open(file.path(), StandardOpenOption.READ)) {
            return RopeFrequencies.divide(freq, TensorRows.readAll(ch, t));
        } catch (IOException e) {
            throw new BadInputException(m.source(), "cannot read tensor '" + FREQS_TENSOR + "' (" + e + ")", e);
        }
    }
}
