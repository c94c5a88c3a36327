package llamaspark.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import llamaspark.BadInputException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenizerTest {
    private static final Path MODELS = Path.of("../shared/models");
    private static final Path ORACLES = Path.of("../shared/oracles");
    private static final Path TOK512 = MODELS.resolve("tok512-aidreams.bin");
    private static final Path LLAMA2 = MODELS.resolve("llama2-tokenizer.bin");

    private static Tokenizer tok512;
    private static Tokenizer llama2;

    @BeforeAll
    static void loadTokenizers() {
        tok512 = Tokenizer.load(TOK512, 512);
        llama2 = Tokenizer.load(LLAMA2, 32000);
    }

    private static Tokenizer tokenizerNamed(String name) {
        return name.equals("tok512") ? tok512 : llama2;
    }

    /** The ids on the line starting with {@code key + ":"} of an oracle .ids file. */
    private static int[] oracleIds(String oracle, String key) throws IOException {
        for (String line : Files.readAllLines(ORACLES.resolve(oracle + ".ids"))) {
            if (line.startsWith(key + ":")) {
                String rest = line.substring(key.length() + 1).trim();
                return rest.isEmpty() ? new int[0]
                        : Arrays.stream(rest.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            }
        }
        throw new AssertionError(oracle + ".ids has no " + key + " line");
    }

    // ------------------------------------------------------------------ encode vs run.c

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "aidreams260K_greedy_once_upon_a_time | tok512 | Once upon a time",
        "aidreams260K_greedy_i_dream_of | tok512 | I dream of",
        "aidreams260K_greedy_empty | tok512 | ''",
        "aidreams260K_topp_t1_p0.9_s42_once_upon_a_time | tok512 | Once upon a time",
        "aidreams260K_topp_t1_p0.9_s42_empty | tok512 | ''",
        "synth15M_seed0_greedy_once_upon_a_time | llama2 | once upon a time",
    })
    void encodeMatchesRunC(String oracle, String tokenizer, String prompt) throws IOException {
        int[] expected = oracleIds(oracle, "prompt");
        assertArrayEquals(expected, tokenizerNamed(tokenizer).encode(prompt, true, false));
    }

    @Test
    void oracleIdsAreTheOnesTheReadmeQuotes() throws IOException {
        // guards the .ids parsing above against silently reading the wrong line
        assertArrayEquals(new int[] {1, 429, 491, 433, 295, 429, 444, 445, 265, 262, 263, 342, 430},
                oracleIds("aidreams260K_greedy_once_upon_a_time", "prompt"));
        assertArrayEquals(new int[] {1, 303, 281, 269, 435, 447, 275}, oracleIds("aidreams260K_greedy_i_dream_of", "prompt"));
        assertArrayEquals(new int[] {1}, oracleIds("aidreams260K_greedy_empty", "prompt"));
        assertArrayEquals(new int[] {1, 2748, 2501, 263, 931}, oracleIds("synth15M_seed0_greedy_once_upon_a_time", "prompt"));
    }

    @Test
    void bosAndEosAreOptional() {
        int[] plain = tok512.encode("I dream of", false, false);
        assertArrayEquals(new int[] {303, 281, 269, 435, 447, 275}, plain);
        int[] both = tok512.encode("I dream of", true, true);
        assertEquals(Tokenizer.BOS, both[0]);
        assertEquals(Tokenizer.EOS, both[both.length - 1]);
        assertArrayEquals(plain, Arrays.copyOfRange(both, 1, both.length - 1));
        assertArrayEquals(new int[0], tok512.encode("", false, false));
        assertArrayEquals(new int[] {Tokenizer.BOS, Tokenizer.EOS}, tok512.encode("", true, true));
    }

    // ------------------------------------------------------------------ decode vs run.c's stdout

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "aidreams260K_greedy_once_upon_a_time, tok512",
        "aidreams260K_greedy_i_dream_of, tok512",
        "aidreams260K_greedy_empty, tok512",
        "aidreams260K_topp_t1_p0.9_s42_once_upon_a_time, tok512",
        "aidreams260K_topp_t1_p0.9_s42_empty, tok512",
        "synth15M_seed0_greedy_once_upon_a_time, llama2",
    })
    void printedPiecesMatchRunCStdout(String oracle, String tokenizer) throws IOException {
        Tokenizer tok = tokenizerNamed(tokenizer);
        int[] prompt = oracleIds(oracle, "prompt");
        int[] generated = oracleIds(oracle, "generated");
        int kept = generated.length > 0 && generated[generated.length - 1] == Tokenizer.BOS
                ? generated.length - 1 : generated.length; // run.c stops on a sampled BOS without printing it
        int[] seq = new int[prompt.length + kept];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(generated, 0, seq, prompt.length, kept);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int k = 1; k < seq.length; k++) {
            byte[] piece = tok.piece(seq[k - 1], seq[k]);
            if (Tokenizer.isPrintable(piece)) {
                out.write(piece, 0, piece.length);
            }
        }
        out.write('\n');
        byte[] expected = Files.readAllBytes(ORACLES.resolve(oracle + ".txt"));
        assertEquals(new String(expected, StandardCharsets.UTF_8), out.toString(StandardCharsets.UTF_8));
        assertArrayEquals(expected, out.toByteArray());
    }

    @Test
    void pieceDropsTheDummySpaceOnlyAfterBosAndDecodesBytePieces() {
        assertEquals(" once", llama2.pieceString(2748));
        assertArrayEquals("once".getBytes(StandardCharsets.UTF_8), llama2.piece(Tokenizer.BOS, 2748));
        assertArrayEquals(" once".getBytes(StandardCharsets.UTF_8), llama2.piece(931, 2748));
        assertEquals("<0x0A>", llama2.pieceString(13));
        assertArrayEquals(new byte[] {'\n'}, llama2.piece(931, 13));
        assertArrayEquals(new byte[] {(byte) 0xFF}, llama2.piece(Tokenizer.BOS, 3 + 0xFF));
        assertEquals("\n</s>\n", new String(llama2.piece(5, Tokenizer.EOS), StandardCharsets.UTF_8));
        // shared, precomputed arrays: printing a token allocates nothing
        assertSame(llama2.piece(931, 2748), llama2.piece(263, 2748));
        assertSame(llama2.piece(Tokenizer.BOS, 2748), llama2.piece(Tokenizer.BOS, 2748));
        assertThrows(IllegalArgumentException.class, () -> llama2.piece(0, 32000));
        assertThrows(IllegalArgumentException.class, () -> llama2.piece(0, -1));
    }

    @Test
    void isPrintableFollowsSafePrintf() {
        assertTrue(Tokenizer.isPrintable(new byte[] {'A'}));
        assertTrue(Tokenizer.isPrintable(new byte[] {' '}));
        assertTrue(Tokenizer.isPrintable(new byte[] {'~'}));
        for (byte ws : new byte[] {'\t', '\n', 0x0B, '\f', '\r'}) {
            assertTrue(Tokenizer.isPrintable(new byte[] {ws}), "whitespace " + ws);
        }
        assertFalse(Tokenizer.isPrintable(new byte[] {0}));
        assertFalse(Tokenizer.isPrintable(new byte[] {0x01}));
        assertFalse(Tokenizer.isPrintable(new byte[] {0x1F}));
        assertFalse(Tokenizer.isPrintable(new byte[] {0x7F}));
        assertFalse(Tokenizer.isPrintable(new byte[] {(byte) 0xE2}));
        assertTrue(Tokenizer.isPrintable(new byte[] {(byte) 0xE2, (byte) 0x96}));
        assertTrue(Tokenizer.isPrintable(new byte[0]));
    }

    // ------------------------------------------------------------------ byte fallback and round trips

    @Test
    void charactersMissingFromTheVocabularyFallBackToBytes() {
        for (String rare : new String[] {"\uD83E\uDD99", "\uD840\uDC0B"}) { // llama emoji, CJK ext. B U+2000B
            String text = "a " + rare;
            int[] ids = llama2.encode(text, true, false);
            byte[] utf8 = rare.getBytes(StandardCharsets.UTF_8);
            assertEquals(4, utf8.length);
            int[] tail = Arrays.copyOfRange(ids, ids.length - utf8.length, ids.length);
            for (int i = 0; i < utf8.length; i++) {
                assertEquals((utf8[i] & 0xFF) + 3, tail[i], "byte " + i + " of " + rare);
                assertEquals(String.format("<0x%02X>", utf8[i] & 0xFF), llama2.pieceString(tail[i]));
            }
            assertEquals(text, llama2.decodeText(ids, 1, ids.length, Tokenizer.BOS));
        }
    }

    @ParameterizedTest
    @CsvSource({"tok512", "llama2"})
    void textRoundTripsThroughDecodeText(String tokenizer) {
        Tokenizer tok = tokenizerNamed(tokenizer);
        for (String text : new String[] {
            "Once upon a time",
            "  two leading spaces, then   three,\n\nblank line\tand\ttabs \n",
            "\nstarts with a newline",
            "Привет, мир! naïve café \u2581 \uD83E\uDD99 done",
            " ",
        }) {
            int[] ids = tok.encode(text, true, true);
            assertEquals(text, tok.decodeText(ids, 1, ids.length - 1, Tokenizer.BOS), tokenizer + ": " + text);
        }
    }

    @Test
    void decodeTextRespectsTheRangeAndReplacesBrokenUtf8() {
        int[] ids = llama2.encode("a \uD83E\uDD99", false, false);
        // stop in the middle of the emoji's four byte tokens
        String cut = llama2.decodeText(ids, 0, ids.length - 2, 5);
        assertEquals(" a \uFFFD", cut);
        assertEquals("", llama2.decodeText(ids, 2, 2, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> llama2.decodeText(ids, 1, ids.length + 1, 5));
    }

    /**
     * run.c's encode() transcribed literally (every pass rescans every pair), as a reference for
     * the pair-caching version on many texts, including byte fallback and long merge chains.
     */
    private record RunCVocab(String[] vocab, float[] scores, Map<String, Integer> lookup) {
        static RunCVocab read(Path bin, int vocabSize) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
            buf.getInt();
            String[] vocab = new String[vocabSize];
            float[] scores = new float[vocabSize];
            Map<String, Integer> lookup = new java.util.HashMap<>();
            for (int i = 0; i < vocabSize; i++) {
                scores[i] = buf.getFloat();
                byte[] piece = new byte[buf.getInt()];
                buf.get(piece);
                vocab[i] = new String(piece, StandardCharsets.ISO_8859_1);
                lookup.putIfAbsent(vocab[i], i);
            }
            return new RunCVocab(vocab, scores, lookup);
        }
    }

    private static int[] runCEncode(RunCVocab ref, String text) {
        String[] vocab = ref.vocab();
        float[] scores = ref.scores();
        Map<String, Integer> lookup = ref.lookup();
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        List<Integer> tokens = new ArrayList<>();
        tokens.add(1);
        if (utf8.length > 0) {
            tokens.add(lookup.get(" "));
        }
        byte[] buffer = new byte[4];
        int len = 0;
        for (int c = 0; c < utf8.length; c++) {
            if ((utf8[c] & 0xC0) != 0x80) {
                len = 0;
            }
            buffer[len++] = utf8[c];
            if (c + 1 < utf8.length && (utf8[c + 1] & 0xC0) == 0x80 && len < 4) {
                continue;
            }
            Integer id = lookup.get(new String(buffer, 0, len, StandardCharsets.ISO_8859_1));
            if (id != null) {
                tokens.add(id);
            } else {
                for (int i = 0; i < len; i++) {
                    tokens.add((buffer[i] & 0xFF) + 3);
                }
            }
            len = 0;
        }
        while (true) {
            float best = -1e10f;
            int bestId = -1;
            int bestIdx = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                Integer id = lookup.get(vocab[tokens.get(i)] + vocab[tokens.get(i + 1)]);
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx == -1) {
                break;
            }
            tokens.set(bestIdx, bestId);
            tokens.remove(bestIdx + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    @ParameterizedTest
    @CsvSource({"tok512, 512", "llama2, 32000"})
    void encodeAgreesWithALiteralTranscriptionOfRunC(String tokenizer, int vocabSize) throws IOException {
        Tokenizer tok = tokenizerNamed(tokenizer);
        RunCVocab ref = RunCVocab.read(tokenizer.equals("tok512") ? TOK512 : LLAMA2, vocabSize);
        String[] alphabet = {"a", "e", "t", "h", "o", "n", "s", "r", "i", "d", " ", " ", "  ", "\n", "\t", ",", ".",
            "I", "O", "T", "the", "ing", "dream", "time", "Once", "upon", "\u043c\u0438\u0440", "\u00e9",
            "\u4e2d", "\uD83E\uDD99", "\u0001", "0", "7", "'", "\""};
        java.util.Random random = new java.util.Random(20240607L);
        for (int trial = 0; trial < 150; trial++) {
            StringBuilder text = new StringBuilder();
            int words = 1 + random.nextInt(25);
            for (int w = 0; w < words; w++) {
                text.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String t = text.toString();
            assertArrayEquals(runCEncode(ref, t), tok.encode(t, true, false), t);
        }
    }

    // ------------------------------------------------------------------ merge rules on a toy vocabulary

    private static Tokenizer toy(float scoreAb, float scoreBa, float scoreSpaceA) {
        return Tokenizer.fromPieces(
                new String[] {"<unk>", "\n<s>\n", "\n</s>\n", " ", "a", "b", "ab", "ba", " a", "a"},
                new float[] {0, 0, 0, -1, -2, -3, scoreAb, scoreBa, scoreSpaceA, -9});
    }

    @Test
    void mergeTakesTheHighestScoreAndTheLeftmostOnTies() {
        // " a" is the leftmost pair; "ab" and "ba" tie above it, so "ab" (left of "ba") wins
        assertArrayEquals(new int[] {3, 6, 4}, toy(-1f, -1f, -5f).encode("aba", false, false));
        // a strictly higher "ba" wins although it is further right, then " a" merges too
        assertArrayEquals(new int[] {8, 7}, toy(-1f, -0.5f, -5f).encode("aba", false, false));
        // run.c starts from best_score = -1e10, so a merge scoring that low never happens
        assertArrayEquals(new int[] {3, 4}, toy(-1f, -1f, -1e10f).encode("a", false, false));
        assertArrayEquals(new int[] {8}, toy(-1f, -1f, -9.9e9f).encode("a", false, false));
    }

    @Test
    void duplicatePiecesResolveToTheLowestId() {
        // "a" is both id 4 and id 9
        assertArrayEquals(new int[] {1, 3, 4, 4}, toy(-1f, -1f, -1e10f).encode("aa", true, false));
    }

    @Test
    void byteFallbackBeyondTheVocabularyIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> toy(-1f, -1f, -5f).encode("c", false, false));
        assertTrue(e.getMessage().contains("0x63"), e.getMessage());
    }

    @Test
    void maxTokenLengthComesFromTheFile() {
        assertEquals(10, tok512.maxTokenLength());
        assertEquals(27, llama2.maxTokenLength());
        assertEquals(512, tok512.vocabSize());
        assertEquals(32000, llama2.vocabSize());
        assertEquals(6, toy(0, 0, 0).maxTokenLength()); // "\n</s>\n"
    }

    @Test
    void survivesJavaSerializationAsForASparkBroadcast() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(tok512);
        }
        Tokenizer copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (Tokenizer) in.readObject();
        }
        String text = "Once upon a time, I dream of vectors.";
        assertArrayEquals(tok512.encode(text, true, true), copy.encode(text, true, true));
        int[] ids = copy.encode(text, true, false);
        assertEquals(text, copy.decodeText(ids, 1, ids.length, Tokenizer.BOS));
    }

    // ------------------------------------------------------------------ JSON format

    /** Scores straight from a llama2.c .bin, parsed independently of the code under test. */
    private static float[] binScores(Path bin, int vocabSize) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        buf.getInt();
        float[] scores = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            scores[i] = buf.getFloat();
            int length = buf.getInt();
            buf.position(buf.position() + length);
        }
        return scores;
    }

    @ParameterizedTest
    @CsvSource({"tok512, 512", "llama2, 32000"})
    void jsonTokenizerEncodesLikeTheBinOne(String tokenizer, int vocabSize, @TempDir Path dir) throws IOException {
        Tokenizer bin = tokenizerNamed(tokenizer);
        Path binFile = tokenizer.equals("tok512") ? TOK512 : LLAMA2;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < vocabSize; i++) {
            tokens.add(bin.pieceString(i));
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tokens", tokens);
        json.put("scores", binScores(binFile, vocabSize));
        Path file = dir.resolve("tokenizer.model.np");
        Files.writeString(file, " \n" + new ObjectMapper().writeValueAsString(json));

        Tokenizer fromJson = Tokenizer.load(file, vocabSize);
        assertEquals(vocabSize, fromJson.vocabSize());
        assertEquals(bin.maxTokenLength(), fromJson.maxTokenLength());
        for (String prompt : new String[] {
            "Once upon a time", "once upon a time", "I dream of", "",
            "Привет, мир! \uD83E\uDD99 naïve café", "  two  spaces\n\nnewlines\ttab",
        }) {
            assertArrayEquals(bin.encode(prompt, true, false), fromJson.encode(prompt, true, false), prompt);
        }
        for (int id = 0; id < vocabSize; id += 97) {
            assertArrayEquals(bin.piece(Tokenizer.BOS, id), fromJson.piece(Tokenizer.BOS, id));
        }
    }

    // ------------------------------------------------------------------ bad files

    private static String loadError(Path file, int vocabSize) {
        BadInputException e = assertThrows(BadInputException.class, () -> Tokenizer.load(file, vocabSize));
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "expected \"" + part + "\" in: " + message);
        }
    }

    /** Byte offset where entry {@code index} of a llama2.c .bin starts. */
    private static int entryOffset(byte[] bin, int index) {
        ByteBuffer buf = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        int off = 4;
        for (int i = 0; i < index; i++) {
            off += 8 + buf.getInt(off + 4);
        }
        return off;
    }

    @Test
    void truncatedBinSaysWhichTokenAndHowManyBytes(@TempDir Path dir) throws IOException {
        byte[] bin = Files.readAllBytes(TOK512);
        int at = entryOffset(bin, 300);
        int pieceLength = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN).getInt(at + 4);
        assertTrue(pieceLength >= 2);

        Path midHeader = dir.resolve("mid-header.bin");
        Files.write(midHeader, Arrays.copyOf(bin, at + 5));
        assertMentions(loadError(midHeader, 512), "mid-header.bin", "truncated at token 300 of 512",
                "need 8 bytes", "only 5 are left");

        Path midPiece = dir.resolve("mid-piece.bin");
        Files.write(midPiece, Arrays.copyOf(bin, at + 8 + pieceLength - 1));
        assertMentions(loadError(midPiece, 512), "mid-piece.bin", "truncated at token 300 of 512",
                "needs " + pieceLength + " bytes", "only " + (pieceLength - 1) + " are left");

        Path atBoundary = dir.resolve("at-boundary.bin");
        Files.write(atBoundary, Arrays.copyOf(bin, at));
        assertMentions(loadError(atBoundary, 512), "at-boundary.bin",
                "tokenizer has 300 tokens but the model's vocab_size is 512");

        Path empty = dir.resolve("empty.bin");
        Files.write(empty, new byte[0]);
        assertMentions(loadError(empty, 512), "empty.bin", "truncated", "4 bytes", "has 0");
    }

    @Test
    void binWithExtraEntriesIsAVocabularyMismatch(@TempDir Path dir) throws IOException {
        byte[] bin = Files.readAllBytes(TOK512);
        int from = entryOffset(bin, 509);
        byte[] longer = Arrays.copyOf(bin, bin.length + (bin.length - from));
        System.arraycopy(bin, from, longer, bin.length, bin.length - from); // repeat the last 3 entries
        Path file = dir.resolve("tok515.bin");
        Files.write(file, longer);
        assertMentions(loadError(file, 512), "tok515.bin", "tokenizer has 515 tokens but the model's vocab_size is 512",
                "end at byte " + bin.length, "file has " + longer.length + " bytes");

        Path garbage = dir.resolve("garbage.bin");
        Files.write(garbage, Arrays.copyOf(bin, bin.length + 3));
        assertMentions(loadError(garbage, 512), "garbage.bin", "more than 512 tokens", "3 left over");

        assertMentions(loadError(LLAMA2, 512), "llama2-tokenizer.bin", "tokenizer has 32000 tokens",
                "the model's vocab_size is 512");
    }

    @Test
    void wrongExpectedVocabSize() {
        assertMentions(loadError(TOK512, 32000), "tok512-aidreams.bin",
                "tokenizer has 512 tokens but the model's vocab_size is 32000");
    }

    @Test
    void negativeOrOverlongPieceLength(@TempDir Path dir) throws IOException {
        byte[] bin = Files.readAllBytes(TOK512);
        int at = entryOffset(bin, 7);
        byte[] negative = bin.clone();
        ByteBuffer.wrap(negative).order(ByteOrder.LITTLE_ENDIAN).putInt(at + 4, -5);
        Path file = dir.resolve("negative.bin");
        Files.write(file, negative);
        assertMentions(loadError(file, 512), "token 7 has length -5");

        byte[] smallMax = bin.clone();
        ByteBuffer.wrap(smallMax).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 3);
        Path small = dir.resolve("small-max.bin");
        Files.write(small, smallMax);
        assertMentions(loadError(small, 512), "bytes long but the header's max_token_length is 3");
    }

    @Test
    void missingFile(@TempDir Path dir) {
        Path file = dir.resolve("no-such-tokenizer.bin");
        assertMentions(loadError(file, 512), "no-such-tokenizer.bin", "not found");
        assertMentions(loadError(dir, 512), "cannot read");
    }

    @Test
    void badJsonFiles(@TempDir Path dir) throws IOException {
        Path noScores = dir.resolve("no-scores.json");
        Files.writeString(noScores, "{\"tokens\": [\"<unk>\", \"<s>\", \"</s>\"]}");
        assertMentions(loadError(noScores, 3), "no-scores.json", "missing \"scores\"");

        Path noTokens = dir.resolve("no-tokens.json");
        Files.writeString(noTokens, "{\"scores\": [0, 0, 0]}");
        assertMentions(loadError(noTokens, 3), "no-tokens.json", "missing \"tokens\"");

        Path uneven = dir.resolve("uneven.json");
        Files.writeString(uneven, "{\"tokens\": [\"<unk>\", \"<s>\", \"</s>\"], \"scores\": [0, 0]}");
        assertMentions(loadError(uneven, 3), "uneven.json", "\"tokens\" has 3 entries but \"scores\" has 2");

        Path malformed = dir.resolve("malformed.json");
        Files.writeString(malformed, "{\"tokens\": [\"<unk>\", \"<s>\"");
        assertMentions(loadError(malformed, 3), "malformed.json", "not valid JSON", "line 1");

        Path trailing = dir.resolve("trailing.json");
        Files.writeString(trailing, "{\"tokens\": [\"a\", \"b\", \"c\"], \"scores\": [0, 0, 0]} x");
        assertMentions(loadError(trailing, 3), "trailing.json", "not valid JSON");

        Path numberToken = dir.resolve("number-token.json");
        Files.writeString(numberToken, "{\"tokens\": [\"<unk>\", 7, \"</s>\"], \"scores\": [0, 0, 0]}");
        assertMentions(loadError(numberToken, 3), "tokens[1] is a number, expected a string");

        Path stringScore = dir.resolve("string-score.json");
        Files.writeString(stringScore, "{\"tokens\": [\"<unk>\", \"<s>\", \"</s>\"], \"scores\": [0, 0, \"x\"]}");
        assertMentions(loadError(stringScore, 3), "scores[2] is a string, expected a number");

        Path notArray = dir.resolve("not-array.json");
        Files.writeString(notArray, "{\"tokens\": \"abc\", \"scores\": [0, 0, 0]}");
        assertMentions(loadError(notArray, 3), "\"tokens\" is a string, expected an array");

        Path ok = dir.resolve("ok.json");
        Files.writeString(ok, "{\"tokens\": [\"<unk>\", \"<s>\", \"</s>\"], \"scores\": [0, 0, 0]}");
        assertEquals(3, Tokenizer.load(ok, 3).vocabSize());
        assertMentions(loadError(ok, 512), "ok.json", "tokenizer has 3 tokens but the model's vocab_size is 512");
    }
}
