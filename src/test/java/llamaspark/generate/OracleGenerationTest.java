package llamaspark.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import llamaspark.OracleCatalog;
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
 * Every llama2.c oracle, through the batched generator in run.c mode, on every backend: the
 * prompt ids, the sampled ids and (where kept) the printed text, byte for byte. With a float32 KV
 * cache, as run.c's; and with a half-precision one, which gives the same tokens on these models
 * (README states it: not every model's).
 */
class OracleGenerationTest {

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (OracleCatalog.Case c : OracleCatalog.all()) {
            for (Backend b : Backend.values()) {
                for (KvPrecision kv : KvPrecision.values()) {
                    out.add(Arguments.of(c, b, kv));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}, {2} KV cache")
    @MethodSource("cases")
    void matchesRunC(OracleCatalog.Case c, Backend backend, KvPrecision kv) {
        LlamaWeights weights = CheckpointReader.read(c.model(), backend.layout());
        Tokenizer tokenizer = Tokenizer.load(c.tokenizer(), weights.config.vocabSize());
        Oracles.Ids oracle = c.ids();

        int[] prompt = c.promptIds() != null ? c.promptIds() : tokenizer.encode(c.prompt(), true, false);
        assertArrayEquals(oracle.prompt(), prompt, "prompt ids");

        int seqLen = weights.config.seqLen();
        int steps = c.steps() <= 0 || c.steps() > seqLen ? seqLen : c.steps();
        GenerationRequest request = new GenerationRequest(c.name(), c.prompt(), c.promptIds(),
                new SamplingParams(c.temperature(), c.topP(), 0, 0f, c.seed()), steps - prompt.length + 1, List.of());
        List<GenerationResult> results = new ArrayList<>();
        BatchGenerator.create(weights, tokenizer, GeneratorOptions.of(backend, 1).withEnds(EndTokens.BOS).withKvCache(kv), StageProfile.disabled())
                .run(List.of(request).iterator(), results::add);

        GenerationResult r = results.get(0);
        assertArrayEquals(oracle.generated(), r.completionTokens(), "generated ids");
        if (c.hasText()) {
            byte[] printed = RunCText.of(tokenizer, prompt, prompt.length, r.completionTokens());
            assertEquals(new String(Oracles.text(c.name()), StandardCharsets.UTF_8),
                    new String(printed, StandardCharsets.UTF_8), "printed text");
            assertArrayEquals(Oracles.text(c.name()), printed, "printed bytes");
        }
    }
}
