package llamaspark.model.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import llamaspark.BadInputException;
import llamaspark.model.LlamaConfig;
import llamaspark.model.RandomCheckpoint;
import llamaspark.model.RopeFrequencies;
import llamaspark.model.RopeScaling;
import llamaspark.model.quant.GgmlType;
import llamaspark.model.quant.Quantizer;

/**
 * Writes a {@link RandomCheckpoint}'s model as a Llama 3 style GGUF file: a byte-level BPE
 * ({@code gpt2}) vocabulary, {@code llama.rope.freq_base} = theta, the RMS epsilon, and for
 * Llama 3 RoPE scaling the {@code rope_freqs.weight} tensor of per-pair factors, as llama.cpp's
 * {@code convert_hf_to_gguf.py} writes a Llama 3.1 model. Matrices are of one type (rows that are
 * not whole blocks stay F32), norms and rope_freqs F32; the same seeded weights as every format.
 */
public final class RandomBpeGguf {
    /**
     * RoPE, norm and vocabulary settings (the shape comes from the checkpoint); {@code chatTemplate}
     * becomes {@code tokenizer.chat_template} (null: none).
     */
    public record Settings(GgmlType type, float ropeTheta, RopeScaling ropeScaling, float rmsEps,
                           GgufBpeVocabulary.Arrays vocabulary, String pre, int bosId, int eosId, int eotId,
                           String chatTemplate) {
        public Settings(GgmlType type, float ropeTheta, RopeScaling ropeScaling, float rmsEps,
                        GgufBpeVocabulary.Arrays vocabulary, String pre, int bosId, int eosId, int eotId) {
            this(type, ropeTheta, ropeScaling, rmsEps, vocabulary, pre, bosId, eosId, eotId, null);
        }
    }

    private RandomBpeGguf() {
    }

    public static void write(RandomCheckpoint model, Settings s, Path out) {
        LlamaConfig c = model.config();
        if (s.vocabulary().tokens().length != c.vocabSize()) {
            throw new BadInputException("make-checkpoint", "the tokenizer has " + s.vocabulary().tokens().length
                    + " tokens but --vocab-size is " + c.vocabSize());
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writer(model, s).write(os, data(model, s));
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is what matters
            }
            if (e instanceof BadInputException b) {
                throw b;
            }
            throw new BadInputException(out.toString(), "cannot write GGUF: " + e.getMessage(), e);
        }
    }

    private static GgufWriter writer(RandomCheckpoint model, Settings s) throws IOException {
        LlamaConfig c = model.config();
        GgufWriter w = new GgufWriter(GgufFile.DEFAULT_ALIGNMENT);
        String a = GgufLlamaSpec.ARCH + ".";
        w.putString("general.architecture", GgufLlamaSpec.ARCH);
        w.putString("general.name", "llamaspark random llama3 " + c.dim() + "x" + c.layers());
        w.putUint32(a + "context_length", c.seqLen());
        w.putUint32(a + "embedding_length", c.dim());
        w.putUint32(a + "block_count", c.layers());
        w.putUint32(a + "feed_forward_length", c.hiddenDim());
        w.putUint32(a + "rope.dimension_count", c.headDim());
        w.putUint32(a + "attention.head_count", c.heads());
        w.putUint32(a + "attention.head_count_kv", c.kvHeads());
        if (c.qDim() != c.dim()) { // llama.cpp writes the head size only when it is not D / HN
            w.putUint32(a + "attention.key_length", c.headDim());
            w.putUint32(a + "attention.value_length", c.headDim());
        }
        w.putUint32(a + "vocab_size", c.vocabSize());
        w.putFloat32(a + "attention.layer_norm_rms_epsilon", s.rmsEps());
        w.putFloat32(a + "rope.freq_base", s.ropeTheta());
        RopeScaling r = s.ropeScaling();
        if (r != null && r.type().equals(RopeScaling.LINEAR)) {
            w.putString(GgufRope.SCALING_TYPE, "linear");
            w.putFloat32(GgufRope.SCALING_FACTOR, r.factor());
        }
        GgufBpeVocabulary.put(w, s.vocabulary(), s.pre(), s.bosId(), s.eosId(), s.eotId());
        if (s.chatTemplate() != null) {
            w.putString(GgufVocabulary.CHAT_TEMPLATE, s.chatTemplate());
        }
        model.forEachMatrix((name, layer, rows, cols, src) ->
                w.tensor(RandomGguf.ggufName(name, layer), new long[] {cols, rows}, typeFor(s.type(), cols)));
        int D = c.dim();
        for (int l = 0; l < c.layers(); l++) {
            w.tensor("blk." + l + ".attn_norm.weight", new long[] {D}, GgmlType.F32);
            w.tensor("blk." + l + ".ffn_norm.weight", new long[] {D}, GgmlType.F32);
        }
        w.tensor("output_norm.weight", new long[] {D}, GgmlType.F32);
        if (llama3(s)) {
            w.tensor(GgufRope.FREQS_TENSOR, new long[] {c.headDim() / 2}, GgmlType.F32);
        }
        return w;
    }

    private static boolean llama3(Settings s) {
        return s.ropeScaling() != null && s.ropeScaling().type().equals(RopeScaling.LLAMA3);
    }

    private static GgmlType typeFor(GgmlType type, int cols) {
        return cols % type.blockSize() == 0 ? type : GgmlType.F32;
    }

    private static GgufWriter.DataWriter data(RandomCheckpoint model, Settings s) {
        return sink -> {
            model.forEachMatrix((name, layer, rows, cols, src) -> {
                OutputStream os = sink.begin(RandomGguf.ggufName(name, layer));
                GgmlType t = typeFor(s.type(), cols);
                float[] row = new float[cols];
                ByteBuffer bytes = ByteBuffer.allocate((int) t.rowBytes(cols)).order(ByteOrder.LITTLE_ENDIAN);
                for (int r = 0; r < rows; r++) {
                    src.next(row);
                    Quantizer.quantizeRow(t, row, 0, cols, bytes, 0);
                    os.write(bytes.array());
                }
            });
            LlamaConfig c = model.config();
            float[] ones = new float[c.dim()];
            java.util.Arrays.fill(ones, 1f);
            for (int l = 0; l < c.layers(); l++) {
                floats(ones, sink.begin("blk." + l + ".attn_norm.weight"));
                floats(ones, sink.begin("blk." + l + ".ffn_norm.weight"));
            }
            floats(ones, sink.begin("output_norm.weight"));
            if (llama3(s)) {
                floats(RopeFrequencies.llama3Factors(c.headDim(), s.ropeTheta(), s.ropeScaling()),
                        sink.begin(GgufRope.FREQS_TENSOR));
            }
        };
    }

    private static void floats(float[] v, OutputStream os) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        os.write(b.array());
    }
}
