package llamaspark.model;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;

/**
 * Writes llama2.c's versioned exports (export.py) of a {@link RandomCheckpoint}: a 256-byte header
 * (uint32 magic 0x616b3432 "ak42", int32 version, the 7 int32 of the legacy header, uint8
 * shared_classifier, for version 2 an int32 group size, zero padding), then
 * <ul>
 * <li>version 1: float32 rms_att [L*D], rms_ffn [L*D], rms_final [D], then tok_embeddings, wq, wk,
 * wv, wo, w1, w2, w3 (each over all layers) and the classifier if not shared;</li>
 * <li>version 2: the same norms in float32, then each of those matrices (per layer) as int8 values
 * of the flattened tensor followed by one float32 scale per group: x = q * scale, with
 * scale = max|w| / 127 over the group and q = round-half-even(w / scale) (export.py's
 * {@code quantize_q80}).</li>
 * </ul>
 */
public final class Llama2cExport {
    public static final int MAGIC = 0x616b3432;
    public static final int HEADER_BYTES = 256;
    public static final int DEFAULT_GROUP_SIZE = 64;

    private Llama2cExport() {
    }

    public static void writeVersion1(RandomCheckpoint model, Path out) {
        write(out, os -> {
            os.write(header(model.config(), 1, 0));
            norms(model.config(), os);
            model.forEachMatrix((name, layer, rows, cols, src) -> {
                float[] row = new float[cols];
                ByteBuffer b = ByteBuffer.allocate(4 * cols).order(ByteOrder.LITTLE_ENDIAN);
                for (int r = 0; r < rows; r++) {
                    src.next(row);
                    b.clear();
                    for (float v : row) {
                        b.putFloat(v);
                    }
                    os.write(b.array());
                }
            });
        });
    }

    /** export.py's group size: {@code groupSize} halved until it divides dim. */
    public static int groupSize(LlamaConfig c, int groupSize) {
        int gs = groupSize;
        while (c.dim() % gs != 0) {
            gs /= 2;
        }
        return gs;
    }

    public static void writeVersion2(RandomCheckpoint model, int requestedGroupSize, Path out) {
        int gs = groupSize(model.config(), requestedGroupSize);
        write(out, os -> {
            os.write(header(model.config(), 2, gs));
            norms(model.config(), os);
            model.forEachMatrix((name, layer, rows, cols, src) -> {
                long n = (long) rows * cols;
                if (n % gs != 0) {
                    throw new BadInputException(out.toString(), name + " has " + n
                            + " values, not a multiple of the group size " + gs);
                }
                // q bytes stream out as made; the scales (n / gs floats) follow the tensor
                List<float[]> scales = new ArrayList<>();
                float[] scaleChunk = new float[1 << 16];
                int inChunk = 0;
                float[] row = new float[cols];
                float[] group = new float[gs];
                int filled = 0;
                byte[] q = new byte[gs];
                for (int r = 0; r < rows; r++) {
                    src.next(row);
                    for (float v : row) {
                        group[filled++] = v;
                        if (filled == gs) {
                            float scale = quantizeGroup(group, q);
                            os.write(q);
                            scaleChunk[inChunk++] = scale;
                            if (inChunk == scaleChunk.length) {
                                scales.add(scaleChunk);
                                scaleChunk = new float[scaleChunk.length];
                                inChunk = 0;
                            }
                            filled = 0;
                        }
                    }
                }
                scales.add(java.util.Arrays.copyOf(scaleChunk, inChunk));
                for (float[] chunk : scales) {
                    ByteBuffer b = ByteBuffer.allocate(4 * chunk.length).order(ByteOrder.LITTLE_ENDIAN);
                    for (float s : chunk) {
                        b.putFloat(s);
                    }
                    os.write(b.array());
                }
            });
        });
    }

    /** export.py's quantize_q80 on one group: returns the scale, fills q. */
    public static float quantizeGroup(float[] group, byte[] q) {
        float max = 0f;
        for (float v : group) {
            max = Math.max(max, Math.abs(v));
        }
        float scale = max / 127.0f;
        for (int i = 0; i < group.length; i++) {
            q[i] = (byte) Math.rint(group[i] / scale);
        }
        return scale;
    }

    private static byte[] header(LlamaConfig c, int version, int groupSize) {
        ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(MAGIC).putInt(version);
        h.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.layers()).putInt(c.heads()).putInt(c.kvHeads())
                .putInt(c.vocabSize()).putInt(c.seqLen());
        h.put((byte) (c.sharedClassifier() ? 1 : 0));
        if (version == 2) {
            h.putInt(groupSize);
        }
        return h.array();
    }

    private static void norms(LlamaConfig c, OutputStream os) throws IOException {
        int n = (2 * c.layers() + 1) * c.dim();
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(1f);
        }
        os.write(b.array());
    }

    private interface Body {
        void write(OutputStream os) throws IOException;
    }

    private static void write(Path out, Body body) {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                body.write(os);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is what matters
            }
            throw new BadInputException(out.toString(), "cannot write checkpoint: " + e.getMessage(), e);
        }
    }
}
