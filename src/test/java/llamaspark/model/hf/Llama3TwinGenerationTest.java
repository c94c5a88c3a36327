package llamaspark.model.hf;

import llamaspark.model.TestModels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import llamaspark.NodeReference;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.EndTokens;
import llamaspark.generate.FinishReason;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.LlamaConfig;
import llamaspark.model.LlamaWeights;
import llamaspark.model.LoadedModel;
import llamaspark.model.ModelFiles;
import llamaspark.model.kernel.Backend;
import llamaspark.model.quant.GgmlType;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.BpeTokenizer;
import llamaspark.tokenizer.Llama3Corpus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Llama 3 shaped models end to end through the generator: the same seeded weights as a GGUF file
 * (gpt2 vocabulary, rope_freqs) and as a sharded Hugging Face directory (q/k stored rotate-half)
 * give the same tokens, over positions well past the RoPE scaling's original context (64); the
 * engine's logits equal an independent double-precision forward pass written the way transformers
 * computes a Llama (rotate-half RoPE on the stored q/k, Llama 3.1 inv_freq, GQA, head_dim);
 * prompts encode through the generator as llama3-tokenizer-js encodes them; a row ends on
 * {@code <|eot_id|>}.
 */
class Llama3TwinGenerationTest {
    @TempDir
    static Path dir;
    /** GQA (4 heads over 2), HD 16, tied, F32, 3 shards. */
    private static Llama3Twin gqa;
    /** HD 24 with D 64 and HN 4 (QD 96), untied, BF16, 2 shards. */
    private static Llama3Twin wide;

    @BeforeAll
    static void write() {
        gqa = Llama3Twin.write(dir.resolve("gqa"), GgmlType.F32, Llama3Twin.shape(true), 3, 31);
        wide = Llama3Twin.write(dir.resolve("wide"), GgmlType.BF16, Llama3Twin.wideHeads(false), 2, 32);
    }

    @Test
    void ggufAndHfGiveTheSameTokensPastTheOriginalContext() {
        assertTwinGenerations(gqa);
    }

    @Test
    void headDimOtherThanDimOverHeadsGivesTheSameTokens() {
        assertEquals(96, wide.model().config().qDim());
        assertTwinGenerations(wide);
    }

    private static void assertTwinGenerations(Llama3Twin twin) {
        for (Backend backend : new Backend[] {Backend.VECTOR_FMA, Backend.EJML}) {
            LoadedModel gguf = ModelFiles.open(twin.gguf(), null, backend, 0, 0);
            LoadedModel hf = ModelFiles.open(twin.hfDir(), null, backend, 0, 0);
            assertEquals("gguf", gguf.format());
            assertEquals("hf", hf.format());
            assertEquals(gguf.weights().config, hf.weights().config);
            assertEquals(256, hf.weights().config.seqLen(), "the model's context (below the default cap)");
            assertArrayEquals(gguf.weights().ropeFrequencies, hf.weights().ropeFrequencies);
            List<GenerationRequest> requests = new ArrayList<>();
            String[] prompts = {"Hello world", "The quick brown fox jumps", "naïve café — 日本語 🙂", "def f(x):\n\treturn x"};
            // ejml (float32 weights from the files) is slow on 128256 logits: one prompt; the vector backends all.
            for (int i = 0; i < (backend == Backend.EJML ? 1 : prompts.length); i++) {
                requests.add(new GenerationRequest("greedy" + i, prompts[i], SamplingParams.greedy(), 140, List.of()));
                requests.add(new GenerationRequest("topp" + i, prompts[i], new SamplingParams(1f, 0.9f, 0, 0f, 100 + i),
                        140, List.of()));
            }
            Map<String, GenerationResult> a = generate(gguf, requests, EndTokens.NONE);
            Map<String, GenerationResult> b = generate(hf, requests, EndTokens.NONE);
            for (GenerationRequest r : requests) {
                GenerationResult x = a.get(r.id()), y = b.get(r.id());
                assertNull(x.error(), r.id());
                assertEquals(140, x.completionTokens().length, r.id());
                assertTrue(x.promptTokens().length + 140 > 2 * Llama3Twin.SCALING.originalContext(),
                        "positions run well past the original context");
                assertArrayEquals(x.promptTokens(), y.promptTokens(), r.id());
                assertArrayEquals(x.completionTokens(), y.completionTokens(), backend + " " + r.id());
                assertEquals(x.completion(), y.completion(), r.id());
                if (!r.sampling().isGreedy()) { // (greedy on random weights soon repeats one token)
                    assertTrue(IntStream.of(x.completionTokens()).distinct().count() > 20, "not a degenerate sequence: " + r.id());
                }
            }
            assertNotEquals(Arrays.toString(a.get("greedy0").completionTokens()),
                    Arrays.toString(a.get("topp0").completionTokens()), "top-p sampled something else than greedy");
        }
    }

    @Test
    void logitsEqualAnIndependentTransformersStyleForwardPass() {
        for (Llama3Twin twin : new Llama3Twin[] {gqa, wide}) {
            HfLlamaSpec spec = HfLlamaSpec.of(twin.hfDir());
            HfReferenceForward ref = new HfReferenceForward(spec);
            int[] tokens = new int[150];
            java.util.SplittableRandom rng = new java.util.SplittableRandom(7);
            tokens[0] = Llama3Twin.BOS;
            for (int i = 1; i < tokens.length; i++) {
                tokens[i] = rng.nextInt(128000);
            }
            int[] check = {0, 1, 40, 63, 64, 65, 100, 149};
            double[][] want = ref.logits(tokens, check);
            for (Path model : new Path[] {twin.hfDir(), twin.gguf()}) {
                for (Backend backend : new Backend[] {Backend.VECTOR, Backend.EJML}) {
                    float[][] got = TestModels.forwardSteps(ModelFiles.open(model, null, backend, 0, 0).weights(), backend, tokens);
                    for (int k = 0; k < check.length; k++) {
                        double worst = 0, scale = 0;
                        int argWant = 0, argGot = 0;
                        double[] w = want[k];
                        float[] g = got[check[k]];
                        for (int v = 0; v < w.length; v++) {
                            worst = Math.max(worst, Math.abs(w[v] - g[v]));
                            scale = Math.max(scale, Math.abs(w[v]));
                            argWant = w[v] > w[argWant] ? v : argWant;
                            argGot = g[v] > g[argGot] ? v : argGot;
                        }
                        String what = model.getFileName() + " " + backend + " position " + check[k];
                        assertTrue(worst < 1e-4 * (1 + scale), what + ": max |logit difference| " + worst + " (max |logit| " + scale + ")");
                        assertEquals(argWant, argGot, what);
                    }
                }
            }
        }
    }

    @Test
    void rotaryScalingMattersPastTheOriginalContext() {
        // The reference itself, without scaling, is far from the engine past position 64: the check above has teeth.
        HfLlamaSpec spec = HfLlamaSpec.of(gqa.hfDir());
        int[] tokens = IntStream.range(0, 120).map(i -> i == 0 ? Llama3Twin.BOS : 1000 + 37 * i).toArray();
        double[][] scaled = new HfReferenceForward(spec).logits(tokens, new int[] {10, 119});
        double[][] plain = new HfReferenceForward(spec, false).logits(tokens, new int[] {10, 119});
        double early = 0, late = 0;
        for (int v = 0; v < scaled[0].length; v++) {
            early = Math.max(early, Math.abs(scaled[0][v] - plain[0][v]));
            late = Math.max(late, Math.abs(scaled[1][v] - plain[1][v]));
        }
        assertTrue(late > 1e-2, "unscaled RoPE changes logits at position 119 by " + late);
        assertTrue(early > 0, "pair 1 is blended, so even position 10 differs");
    }

    @Test
    void promptsEncodeThroughTheGeneratorAsLlama3TokenizerJs() throws Exception {
        LoadedModel gguf = ModelFiles.open(gqa.gguf(), null, Backend.VECTOR, 0, 0);
        assertTrue(gguf.tokenizer() instanceof BpeTokenizer, "a gpt2 GGUF vocabulary is byte-level BPE");
        List<String> lines = new ArrayList<>(Llama3Corpus.lines(2024, 300));
        lines.removeIf(String::isEmpty); // an empty prompt is an error row, not an encoding
        List<JsonNode> expected = NodeReference.run("llama3-tokens.mjs", lines, "js");
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            requests.add(new GenerationRequest("p" + i, lines.get(i), SamplingParams.greedy(), 0, List.of()));
        }
        Map<String, GenerationResult> got = generate(gguf, requests, EndTokens.BOS_AND_EOS);
        int compared = 0;
        for (int i = 0; i < lines.size(); i++) {
            GenerationResult r = got.get("p" + i);
            int[] js = new int[expected.get(i).size() + 1];
            js[0] = Llama3Twin.BOS;
            for (int j = 1; j < js.length; j++) {
                js[j] = expected.get(i).get(j - 1).asInt();
            }
            if (js.length > 256) {
                continue; // longer than the context: an error row, checked elsewhere
            }
            assertNull(r.error(), lines.get(i));
            assertArrayEquals(js, r.promptTokens(), lines.get(i));
            compared++;
        }
        assertTrue(compared > 250, compared + " prompts compared");
    }

    @Test
    void aRowEndsOnEotIdFromGenerationConfig() throws Exception {
        JsonNode gen = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(wide.hfDir().resolve("generation_config.json").toFile());
        assertTrue(gen.path("eos_token_id").toString().contains(Integer.toString(Llama3Twin.EOT)),
                "generation_config.json lists <|eot_id|>: " + gen);
        GenerationRequest r = new GenerationRequest("eot", "Hello there", SamplingParams.greedy(), 30, List.of());
        GenerationResult original = generate(ModelFiles.open(wide.hfDir(), null, Backend.VECTOR, 0, 0), List.of(r),
                EndTokens.NONE).get("eot");
        // A copy whose classifier has the rows of <|eot_id|> and of the 6th greedy token swapped: greedy
        // then picks <|eot_id|> where it picked that token (the argmax follows the row).
        int at = 5, swapped = original.completionTokens()[at];
        assertTrue(IntStream.of(Arrays.copyOf(original.completionTokens(), at)).noneMatch(t -> t == swapped || t == Llama3Twin.EOT));
        Path copy = Llama3Twin.withClassifierRowsSwapped(wide.hfDir(), dir.resolve("wide-eot"), swapped, Llama3Twin.EOT);
        LoadedModel hf = ModelFiles.open(copy, null, Backend.VECTOR, 0, 0);
        assertTrue(IntStream.of(hf.tokenizer().endOfGenerationIds()).anyMatch(id -> id == Llama3Twin.EOT));
        assertEquals(Llama3Twin.EOS, hf.tokenizer().eosId(), "EOS itself is <|end_of_text|>, not <|eot_id|>");
        GenerationResult free = generate(hf, List.of(r), EndTokens.NONE).get("eot");
        assertEquals(Llama3Twin.EOT, free.completionTokens()[at], "the swapped row is sampled: " + Arrays.toString(free.completionTokens()));
        assertArrayEquals(Arrays.copyOf(original.completionTokens(), at), Arrays.copyOf(free.completionTokens(), at));
        GenerationResult ended = generate(hf, List.of(r), EndTokens.BOS_AND_EOS).get("eot");
        assertEquals(FinishReason.EOS, ended.finishReason());
        assertArrayEquals(Arrays.copyOf(free.completionTokens(), at + 1), ended.completionTokens());
        assertEquals(hf.tokenizer().decodeText(free.completionTokens(), 0, at, -1), ended.completion());
        assertTrue(!ended.completion().contains("<|eot_id|>"), "the end token is not in the text");
    }

    @Test
    void contextIsCappedUnlessSeqLenSaysOtherwise() throws Exception {
        // Llama 3.1's config says 131072 positions; the engine allocates min(that, 8192) unless --seq-len says otherwise.
        Path copy = dir.resolve("gqa-131072");
        Files.createDirectories(copy);
        try (var files = Files.list(gqa.hfDir())) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path config = copy.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceAll("\"max_position_embeddings\"\\s*:\\s*256",
                "\"max_position_embeddings\" : 131072"));
        assertEquals(131072, HfLlamaSpec.of(copy).config().seqLen());
        assertEquals(ModelFiles.DEFAULT_MAX_CONTEXT, ModelFiles.open(copy, null, Backend.VECTOR, 0, 0).weights().config.seqLen());
        assertEquals(ModelFiles.DEFAULT_MAX_CONTEXT, llamaspark.model.ModelHeader.of(copy, 0, 0).config().seqLen());
        LoadedModel small = ModelFiles.open(copy, null, Backend.VECTOR, 0, 40);
        assertEquals(40, small.weights().config.seqLen());
        assertEquals(100, ModelFiles.open(gqa.gguf(), null, Backend.VECTOR, 0, 100).weights().config.seqLen());
        GenerationResult tooLong = generate(small, List.of(new GenerationRequest("long", "word ".repeat(60),
                SamplingParams.greedy(), 3, List.of())), EndTokens.BOS_AND_EOS).get("long");
        assertTrue(tooLong.error().contains("longer than the model's seq_len 40"), tooLong.error());
    }

    @Test
    void aDirectoryThatIsNotAModelIsOneLine() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(llamaspark.BadInputException.class,
                () -> ModelFiles.open(dir, null, Backend.VECTOR, 0, 0));
        assertEquals(dir + ": is a directory without config.json; a Hugging Face model directory holds config.json,"
                + " *.safetensors and tokenizer.json", e.getMessage());
    }

    static Map<String, GenerationResult> generate(LoadedModel m, List<GenerationRequest> requests, EndTokens ends) {
        Map<String, GenerationResult> out = new HashMap<>();
        try (BatchGenerator g = BatchGenerator.create(m.weights(), m.tokenizer(),
                GeneratorOptions.of(m.weights().layout().equals(Backend.EJML.layout()) ? Backend.EJML : Backend.VECTOR_FMA, 3)
                        .withEnds(ends), StageProfile.disabled())) {
            g.run(requests.iterator(), r -> out.put(r.id(), r));
        }
        return out;
    }


    /** The model's config has the twin's shape. */
    @Test
    void twinsHaveTheShapesTheTestsNeed() {
        LlamaConfig c = HfLlamaSpec.of(wide.hfDir()).config();
        assertEquals(24, c.headDim());
        assertEquals(2, c.kvHeads());
        assertTrue(Files.exists(wide.hfDir().resolve("model-00002-of-00002.safetensors")));
        assertTrue(Files.exists(gqa.hfDir().resolve("model-00003-of-00003.safetensors")));
    }
}
