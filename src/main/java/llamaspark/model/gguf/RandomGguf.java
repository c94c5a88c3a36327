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
import llamaspark.model.LlamaMath;
import llamaspark.model.RandomCheckpoint;
import llamaspark.model.quant.GgmlType;
import llamaspark.model.quant.Quantizer;
import llamaspark.tokenizer.Tokenizer;

/**
 * Writes a {@link RandomCheckpoint}'s model as a GGUF v3 file of one tensor type, with llama
 * metadata and a SentencePiece vocabulary (a given tokenizer's, or a synthetic one). Tensor data
 * is laid out in the generator's order, so the file streams out without holding the model.
 * As llama-quantize does, norms stay F32, and so do matrices whose rows are not a whole number of
 * the type's blocks. The classifier is tied (no output.weight) when the model shares it.
 */
public final class RandomGguf {
    private static final String[] LLAMA2C_TO_GGUF = {
        "wq", "attn_q", "wk", "attn_k", "wv", "attn_v", "wo", "attn_output",
        "w1", "ffn_gate", "w2", "ffn_down", "w3", "ffn_up"};

    private RandomGguf() {
    }

    public static void write(RandomCheckpoint model, GgmlType type, Tokenizer vocabulary, Path out) {
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writer(model, type, vocabulary).write(os, data(model, type));
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

    /** GGUF's name for llama2.c's tensor. */
    static String ggufName(String name, int layer) {
        if (name.equals("tok_embeddings")) {
            return "token_embd.weight";
        }
        if (name.equals("output")) {
            return "output.weight";
        }
        for (int i = 0; i < LLAMA2C_TO_GGUF.length; i += 2) {
            if (LLAMA2C_TO_GGUF[i].equals(name)) {
                return "blk." + layer + "." + LLAMA2C_TO_GGUF[i + 1] + ".weight";
            }
        }
        throw new IllegalArgumentException(name);
    }

    static GgufWriter writer(RandomCheckpoint model, GgmlType type, Tokenizer vocabulary) throws IOException {
        LlamaConfig c = model.config();
        if (vocabulary != null && vocabulary.vocabSize() != c.vocabSize()) {
            throw new BadInputException("make-checkpoint", "the tokenizer has " + vocabulary.vocabSize()
                    + " tokens but --vocab-size is " + c.vocabSize());
        }
        GgufWriter w = new GgufWriter(GgufFile.DEFAULT_ALIGNMENT);
        String a = GgufLlamaSpec.ARCH + ".";
        w.putString("general.architecture", GgufLlamaSpec.ARCH);
        w.putString("general.name", "llamaspark random " + c.dim() + "x" + c.layers());
        w.putUint32(a + "context_length", c.seqLen());
        w.putUint32(a + "embedding_length", c.dim());
        w.putUint32(a + "block_count", c.layers());
        w.putUint32(a + "feed_forward_length", c.hiddenDim());
        w.putUint32(a + "rope.dimension_count", c.headDim());
        w.putUint32(a + "attention.head_count", c.heads());
        w.putUint32(a + "attention.head_count_kv", c.kvHeads());
        w.putFloat32(a + "attention.layer_norm_rms_epsilon", LlamaMath.RMS_EPS);
        w.putFloat32(a + "rope.freq_base", 10000f);
        Vocabulary v = vocabulary != null ? Vocabulary.of(vocabulary) : Vocabulary.synthetic(c.vocabSize());
        w.putString(GgufVocabulary.MODEL, "llama");
        w.putArray(GgufVocabulary.TOKENS, GgufValueType.STRING, v.tokens);
        w.putArray(GgufVocabulary.SCORES, GgufValueType.FLOAT32, v.scores);
        w.putArray(GgufVocabulary.TOKEN_TYPE, GgufValueType.INT32, v.types);
        w.putUint32(GgufVocabulary.BOS, vocabulary != null ? vocabulary.bosId() : Tokenizer.BOS);
        w.putUint32(GgufVocabulary.EOS, vocabulary != null ? vocabulary.eosId() : Tokenizer.EOS);
        w.putUint32("tokenizer.ggml.unknown_token_id", 0);

        // the random matrices in generation order, then the norms
        model.forEachMatrix((name, layer, rows, cols, src) ->
                w.tensor(ggufName(name, layer), new long[] {cols, rows}, typeFor(type, cols)));
        int D = c.dim();
        for (int l = 0; l < c.layers(); l++) {
            w.tensor("blk." + l + ".attn_norm.weight", new long[] {D}, GgmlType.F32);
            w.tensor("blk." + l + ".ffn_norm.weight", new long[] {D}, GgmlType.F32);
        }
        w.tensor("output_norm.weight", new long[] {D}, GgmlType.F32);
        return w;
    }

    private static GgmlType typeFor(GgmlType type, int cols) {
        return cols % type.blockSize() == 0 ? type : GgmlType.F32;
    }

    /** Streams the tensor data of {@link #writer}'s table: each matrix generated row by row, quantized, written. */
    static GgufWriter.DataWriter data(RandomCheckpoint model, GgmlType type) {
        return sink -> {
            model.forEachMatrix((name, layer, rows, cols, src) -> {
                OutputStream os = sink.begin(ggufName(name, layer));
                GgmlType t = typeFor(type, cols);
                float[] row = new float[cols];
                ByteBuffer bytes = ByteBuffer.allocate((int) t.rowBytes(cols)).order(ByteOrder.LITTLE_ENDIAN);
                for (int r = 0; r < rows; r++) {
                    src.next(row);
                    Quantizer.quantizeRow(t, row, 0, cols, bytes, 0);
                    os.write(bytes.array());
                }
            });
            int D = model.config().dim();
            for (int l = 0; l < model.config().layers(); l++) {
                ones(D, sink.begin("blk." + l + ".attn_norm.weight"));
                ones(D, sink.begin("blk." + l + ".ffn_norm.weight"));
            }
            ones(D, sink.begin("output_norm.weight"));
        };
    }

    private static void ones(int n, OutputStream os) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(1f);
        }
        os.write(b.array());
    }
}
