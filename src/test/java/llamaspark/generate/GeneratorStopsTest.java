package llamaspark.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import llamaspark.Oracles;
import llamaspark.model.CheckpointReader;
import llamaspark.model.LlamaWeights;
import llamaspark.model.kernel.Backend;
import llamaspark.profile.Stage;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Stopping rules, finish reasons and bad rows, checked against the run.c oracles. */
class GeneratorStopsTest {
    private static LlamaWeights weights;
    private static Tokenizer tokenizer;
    private static final SamplingParams TOP_P_42 = new SamplingParams(1.0f, 0.9f, 0, 0f, 42);

    @BeforeAll
    static void load() {
        weights = CheckpointReader.read(Oracles.AIDREAMS260K, Backend.VECTOR.layout());
        tokenizer = Tokenizer.load(Oracles.AIDREAMS_TOKENIZER, weights.config.vocabSize());
    }

    private static Map<String, GenerationResult> run(boolean stopAtEos, StageProfile prof, GenerationRequest... requests) {
        Map<String, GenerationResult> out = new HashMap<>();
        BatchGenerator.create(weights, tokenizer,
                GeneratorOptions.of(Backend.VECTOR, 4).withEnds(stopAtEos ? EndTokens.BOS_AND_EOS : EndTokens.BOS), prof)
                .run(Arrays.asList(requests).iterator(), r -> out.put(r.id(), r));
        return out;
    }

    private static GenerationRequest request(String id, String prompt, SamplingParams p, int maxNew, String... stop) {
        return new GenerationRequest(id, prompt, p, maxNew, List.of(stop));
    }

    @Test
    void maxNewTokensCountsGeneratedTokensOnly() {
        GenerationResult r = run(true, StageProfile.disabled(),
                request("a", "Once upon a time", SamplingParams.greedy(), 7)).get("a");
        assertEquals(7, r.completionTokens().length);
        assertEquals(13, r.promptTokens().length);
        assertEquals(FinishReason.LENGTH, r.finishReason());
        int[] oracle = Oracles.ids("aidreams260K_greedy_once_upon_a_time").generated();
        assertArrayEquals(Arrays.copyOf(oracle, 7), r.completionTokens());
        assertEquals(tokenizer.decodeText(oracle, 0, 7, r.promptTokens()[12]), r.completion());
    }

    @Test
    void eosEndsTheRowAndIsNotInTheText() {
        // run.c printed EOS as "\n</s>\n" and went on; the job stops there.
        String name = "aidreams260K_topp_t1_p0.9_s42_once_upon_a_time";
        int[] oracle = Oracles.ids(name).generated();
        int eosAt = indexOf(oracle, Tokenizer.EOS);
        GenerationResult r = run(true, StageProfile.disabled(), request("a", "Once upon a time", TOP_P_42, 500)).get("a");
        assertEquals(FinishReason.EOS, r.finishReason());
        assertArrayEquals(Arrays.copyOf(oracle, eosAt + 1), r.completionTokens());
        String printed = new String(Oracles.text(name), StandardCharsets.UTF_8);
        assertEquals(printed, "Once upon a time" + r.completion() + "\n</s>\n\n");
    }

    @Test
    void sampledBosEndsTheRowLikeRunC() {
        GenerationResult r = run(false, StageProfile.disabled(), request("a", "", TOP_P_42, 500)).get("a");
        int[] oracle = Oracles.ids("aidreams260K_topp_t1_p0.9_s42_empty").generated();
        assertEquals(Tokenizer.BOS, oracle[oracle.length - 1]);
        assertArrayEquals(oracle, r.completionTokens());
        assertEquals(FinishReason.EOS, r.finishReason());
        assertTrue(r.completion().endsWith("\n</s>\n"), "EOS is ordinary text when it does not stop");
    }

    @Test
    void stopStringCutsTheCompletionBeforeIt() {
        String full = run(true, StageProfile.disabled(), request("a", "Once upon a time", SamplingParams.greedy(), 60))
                .get("a").completion();
        int cut = full.indexOf("kaleidoscope");
        assertTrue(cut > 0, full);
        GenerationResult r = run(true, StageProfile.disabled(),
                request("a", "Once upon a time", SamplingParams.greedy(), 60, "zzz", "kaleidoscope")).get("a");
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals(full.substring(0, cut), r.completion());
        String decoded = tokenizer.decodeText(r.completionTokens(), 0, r.completionTokens().length, r.promptTokens()[12]);
        assertTrue(decoded.endsWith("kaleidoscope") || decoded.contains("kaleidoscope"), "the tokens include the stop string: " + decoded);
    }

    @Test
    void seqLenEndsTheRow() {
        int seqLen = weights.config.seqLen();
        int[] prompt = new int[seqLen - 2];
        Arrays.fill(prompt, 300);
        prompt[0] = Tokenizer.BOS;
        GenerationRequest r = new GenerationRequest("long", "ids", prompt, SamplingParams.greedy(), 100, List.of());
        GenerationResult res = run(true, StageProfile.disabled(), r).get("long");
        assertEquals(FinishReason.LENGTH, res.finishReason());
        assertEquals(3, res.completionTokens().length, "positions 0..seq_len-1 hold prompt + all but the last token");
    }

    @Test
    void badRowsGetAnErrorAndTheOthersGoOn() {
        int[] tooLong = new int[weights.config.seqLen() + 1];
        tooLong[0] = Tokenizer.BOS;
        Map<String, GenerationResult> out = run(true, StageProfile.disabled(),
                request("ok1", "I dream of", SamplingParams.greedy(), 5),
                new GenerationRequest("long", "x", tooLong, SamplingParams.greedy(), 5, List.of()),
                request("temp", "I dream of", new SamplingParams(-1f, 0.9f, 0, 0f, 1), 5),
                request("topp", "I dream of", new SamplingParams(1f, 1.5f, 0, 0f, 1), 5),
                request("topk", "I dream of", new SamplingParams(1f, 0.9f, -3, 0f, 1), 5),
                request("minp", "I dream of", new SamplingParams(1f, 0.9f, 0, 2f, 1), 5),
                request("maxnew", "I dream of", SamplingParams.greedy(), -1),
                new GenerationRequest("none", null, SamplingParams.greedy(), 5, List.of()),
                request("ok2", "Once upon a time", SamplingParams.greedy(), 5));
        assertEquals(9, out.size());
        assertTrue(out.get("ok1").ok());
        assertTrue(out.get("ok2").ok());
        assertEquals("row long: prompt is " + tooLong.length + " tokens, longer than the model's seq_len "
                + weights.config.seqLen(), out.get("long").error());
        assertTrue(out.get("temp").error().contains("temperature=-1.0 must be"), out.get("temp").error());
        assertTrue(out.get("topp").error().contains("top_p=1.5 must be in [0, 1]"));
        assertTrue(out.get("topk").error().contains("top_k=-3"));
        assertTrue(out.get("minp").error().contains("min_p=2.0"));
        assertTrue(out.get("maxnew").error().contains("max_new_tokens=-1"));
        assertTrue(out.get("none").error().contains("prompt is missing"));
        for (String id : List.of("long", "temp", "none")) {
            assertNull(out.get(id).completion());
            assertNull(out.get(id).finishReason());
            assertEquals(0, out.get(id).completionTokens().length);
        }
    }

    /**
     * A text the tokenizer cannot encode (here: a vocabulary without run.c's " " dummy-prefix
     * piece, where encode throws IllegalStateException) used to escape the row-error catch and
     * fail the whole task; now it is that row's error and the other rows go on.
     */
    @Test
    void aPromptTheTokenizerRejectsIsThatRowsError() {
        int V = weights.config.vocabSize();
        String[] pieces = new String[V];
        float[] scores = new float[V];
        pieces[0] = "<unk>";
        pieces[1] = "<s>";
        pieces[2] = "</s>";
        for (int i = 3; i < V; i++) {
            pieces[i] = i < 259 ? String.format("<0x%02X>", i - 3) : "piece" + i;
        }
        Tokenizer noSpace = Tokenizer.fromPieces(pieces, scores);
        Map<String, GenerationResult> out = new HashMap<>();
        try (BatchGenerator g = BatchGenerator.create(weights, noSpace, GeneratorOptions.of(Backend.VECTOR, 2), StageProfile.disabled())) {
            g.run(List.of(request("bad", "hello", SamplingParams.greedy(), 3),
                    request("ok", "", SamplingParams.greedy(), 3)).iterator(), r -> out.put(r.id(), r));
        }
        assertEquals(2, out.size());
        assertFalse(out.get("bad").ok());
        assertTrue(out.get("bad").error().startsWith("row bad: cannot tokenize the prompt: "), out.get("bad").error());
        assertNull(out.get("bad").completion());
        assertTrue(out.get("ok").ok());
        assertEquals(3, out.get("ok").completionTokens().length);
    }

    @Test
    void zeroNewTokensIsAnEmptyCompletion() {
        GenerationResult r = run(true, StageProfile.disabled(), request("z", "I dream of", SamplingParams.greedy(), 0)).get("z");
        assertTrue(r.ok());
        assertEquals("", r.completion());
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void profileCountsOneIterationPerStep() {
        StageProfile prof = new StageProfile();
        run(true, prof, request("a", "I dream of", SamplingParams.greedy(), 10), request("b", "Once", TOP_P_42, 10));
        // 10 steps: the first prefills both prompts and samples their first tokens.
        assertEquals(10, prof.calls(Stage.GENERATE_ITERATION));
        assertEquals(10, prof.calls(Stage.LLAMA_TOTAL));
        assertEquals(10L * weights.config.layers(), prof.calls(Stage.BLOCK_TOTAL));
        assertEquals(10, prof.calls(Stage.ARGMAX));
        assertEquals(10, prof.calls(Stage.TOP_P_LOGITS));
        assertTrue(prof.totalNanos(Stage.LLAMA_TOTAL) <= prof.totalNanos(Stage.GENERATE_ITERATION));
        assertTrue(prof.totalNanos(Stage.LLAMA_HEAD) > 0);
        assertFalse(prof.totalNanos(Stage.BLOCK_TOTAL) > prof.totalNanos(Stage.LLAMA_LAYERS));
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        throw new AssertionError(v + " not in " + Arrays.toString(a));
    }
}
