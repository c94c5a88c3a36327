package llamaspark.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import llamaspark.BadInputException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading paths other than tokenizer.json, end ids, serialization, streaming of split characters. */
class BpeTokenizerTest {
    static BpeTokenizer hf;

    @BeforeAll
    static void load() {
        hf = HfTokenizerFiles.load(BpeTokenizerReferenceTest.TOKENIZER_JSON);
    }

    /** The arrays a GGUF file holds (tokenizer.ggml.tokens/merges/token_type, pre = llama-bpe), built from tokenizer.json. */
    @Test
    void ggufStyleArraysEncodeLikeTokenizerJson() throws Exception {
        JsonNode root = new ObjectMapper().readTree(BpeTokenizerReferenceTest.TOKENIZER_JSON.toFile());
        String[] tokens = new String[128256];
        int[] types = new int[128256];
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("model").path("vocab").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = BpeTokenizer.TYPE_NORMAL;
        }
        for (JsonNode a : root.path("added_tokens")) {
            tokens[a.path("id").asInt()] = a.path("content").asText();
            types[a.path("id").asInt()] = BpeTokenizer.TYPE_CONTROL;
        }
        JsonNode m = root.path("model").path("merges");
        String[] merges = new String[m.size()];
        for (int i = 0; i < merges.length; i++) {
            merges[i] = m.get(i).asText();
        }
        BpeTokenizer gguf = new BpeTokenizer(tokens, merges, types, "llama-bpe");
        assertEquals(128000, gguf.bosId());
        assertEquals(128001, gguf.eosId());
        assertArrayEquals(new int[] {128001, 128009}, gguf.endOfGenerationIds());
        for (String line : Llama3Corpus.lines(5L, 300)) {
            assertArrayEquals(hf.encode(line, true, false), gguf.encode(line, true, false), line);
        }
        assertThrows(BadInputException.class, () -> new BpeTokenizer(tokens, merges, types, "falcon"));
    }

    @Test
    void generationConfigEndIds(@TempDir Path dir) throws Exception {
        Path models = BpeTokenizerReferenceTest.TOKENIZER_JSON.getParent();
        Files.copy(models.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(models.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"bos_token_id\": 128000, \"eos_token_id\": [128001, 128008, 128009], \"do_sample\": true}");
        assertArrayEquals(new int[] {128001, 128009, 128008}, HfTokenizerFiles.load(dir).endOfGenerationIds());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 128008}");
        assertArrayEquals(new int[] {128001, 128009, 128008}, HfTokenizerFiles.load(dir).endOfGenerationIds());
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": \"x\"}");
        BadInputException e = assertThrows(BadInputException.class, () -> HfTokenizerFiles.load(dir));
        assertTrue(e.getMessage().contains("generation_config.json: eos_token_id is \"x\""), e.getMessage());
    }

    @Test
    void survivesJavaSerialization() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(hf);
        }
        TextTokenizer copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (TextTokenizer) in.readObject();
        }
        for (String line : Llama3Corpus.lines(6L, 50)) {
            assertArrayEquals(hf.encode(line, false, false), copy.encode(line, false, false));
        }
    }

    /** 🦙 is four bytes in more than one token: nothing comes out until the last one. */
    @Test
    void streamingHoldsBackSplitCharacters() {
        int[] ids = hf.encode("a🦙", false, false);
        assertTrue(ids.length >= 3, "expected 🦙 to take several tokens");
        StreamingDecoder d = new StreamingDecoder(hf, -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            String s = d.push(ids[i]);
            if (i > 0 && i < ids.length - 1) {
                assertEquals("", s);
            }
            sb.append(s);
        }
        assertEquals("a🦙", sb.toString());
        // Cut before the end: flush gives the replacement character, as a whole-sequence decode does.
        StreamingDecoder cut = new StreamingDecoder(hf, -1);
        String partial = cut.push(ids[0]) + cut.push(ids[1]) + cut.flush();
        assertEquals(hf.decodeText(ids, 0, 2, -1), partial);
        assertTrue(partial.endsWith("\uFFFD"));
    }

    @Test
    void unsupportedTokenizerJsonIsBadInput(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Unigram\"}}");
        BadInputException e = assertThrows(BadInputException.class, () -> Tokenizers.open(dir));
        assertTrue(e.getMessage().contains("model.type is \"Unigram\", expected \"BPE\""), e.getMessage());
    }
}
