package llamaspark.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import llamaspark.Oracles;
import llamaspark.model.CheckpointReader;
import llamaspark.model.KvPrecision;
import llamaspark.model.LlamaWeights;
import llamaspark.model.kernel.Backend;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A row's tokens are the same whether it runs alone, in a batch of 7 mixed prompts, or in a
 * batch of 32 with rows finishing and new ones taking their slots, greedy and seeded top-p, and
 * whatever the number of threads.
 */
class BatchInvarianceTest {
    private static final String[] PROMPTS = {
        "Once upon a time", "I dream of", "", "The vectors", "Gradients unfold like petals in the morning",
        "a", "Precision whispers between tapestries of probability and light",
    };

    private static List<GenerationRequest> mixed() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            SamplingParams p = i % 2 == 0 ? new SamplingParams(1.0f, 0.9f, 0, 0f, 42 + i)
                    : SamplingParams.greedy();
            // Different lengths, so rows finish at different steps and slots get reused.
            requests.add(new GenerationRequest("r" + i, PROMPTS[i], p, 20 + 9 * i, List.of()));
        }
        return requests;
    }

    private static Map<String, GenerationResult> run(LlamaWeights w, Tokenizer t, Backend b, KvPrecision kv, int batch,
                                                     int stepTokens, List<GenerationRequest> requests) {
        return run(w, t, b, kv, batch, stepTokens, 1, requests);
    }

    private static Map<String, GenerationResult> run(LlamaWeights w, Tokenizer t, Backend b, KvPrecision kv, int batch,
                                                     int stepTokens, int threads, List<GenerationRequest> requests) {
        Map<String, GenerationResult> out = new HashMap<>();
        try (BatchGenerator g = BatchGenerator.create(w, t,
                GeneratorOptions.of(b, batch).withStepTokens(stepTokens).withThreads(threads).withKvCache(kv), StageProfile.disabled())) {
            g.run(requests.iterator(), r -> out.put(r.id(), r));
        }
        return out;
    }

    static Stream<Arguments> backendsAndCaches() {
        return Arrays.stream(Backend.values()).flatMap(b -> Arrays.stream(KvPrecision.values()).map(kv -> Arguments.of(b, kv)));
    }

    @ParameterizedTest(name = "{0}, {1} KV cache")
    @MethodSource("backendsAndCaches")
    void rowOutputDoesNotDependOnItsBatch(Backend backend, KvPrecision kv) {
        LlamaWeights w = CheckpointReader.read(Oracles.AIDREAMS260K, backend.layout());
        Tokenizer t = Tokenizer.load(Oracles.AIDREAMS_TOKENIZER, w.config.vocabSize());
        List<GenerationRequest> seven = mixed();

        Map<String, GenerationResult> alone = new HashMap<>();
        for (GenerationRequest r : seven) {
            alone.putAll(run(w, t, backend, kv, 1, 512, List.of(r)));
        }
        Map<String, GenerationResult> batch7 = run(w, t, backend, kv, 7, 512, seven);

        // Batch 32 over 70 requests: the seven mixed in among 63 others (continuous batching),
        // with a small step budget so long prompts are prefilled in chunks beside decoding rows.
        List<GenerationRequest> many = new ArrayList<>();
        for (int i = 0; i < 63; i++) {
            SamplingParams p = new SamplingParams(0.8f, 0.95f, 0, 0f, 1000 + i);
            many.add(new GenerationRequest("other" + i, PROMPTS[i % PROMPTS.length] + " and " + i, p, 5 + i % 40, List.of()));
            if (i % 9 == 4) {
                many.add(seven.get(i / 9));
            }
        }
        assertEquals(70, many.size());
        Map<String, GenerationResult> batch32 = run(w, t, backend, kv, 32, 40, many);
        Map<String, GenerationResult> threaded = run(w, t, backend, kv, 32, 40, 3, many);

        for (GenerationRequest r : seven) {
            GenerationResult a = alone.get(r.id());
            assertTrue(a.ok(), a.error());
            assertTrue(a.completionTokens().length > 0);
            assertArrayEquals(a.completionTokens(), batch7.get(r.id()).completionTokens(), r.id() + " in batch 7");
            assertArrayEquals(a.completionTokens(), batch32.get(r.id()).completionTokens(), r.id() + " in batch 32");
            assertEquals(a.completion(), batch32.get(r.id()).completion());
            assertEquals(a.finishReason(), batch32.get(r.id()).finishReason());
        }
        for (GenerationRequest r : many) {
            assertArrayEquals(batch32.get(r.id()).completionTokens(), threaded.get(r.id()).completionTokens(),
                    r.id() + " with three threads");
        }
        assertEquals(70, batch32.size(), "every request gets a result");
    }
}
