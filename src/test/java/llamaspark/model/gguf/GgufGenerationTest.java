package llamaspark.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.EndTokens;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.KvPrecision;
import llamaspark.model.LlamaMath;
import llamaspark.model.kernel.Backend;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine on llama.cpp's own GGUF files of aidreams260K (F32 and Q8_0, dequantized at load)
 * gives llama.cpp's greedy tokens: 64 ids, EOS not stopping, the prompt encoded by the file's
 * own vocabulary; with a float32 KV cache and with a half-precision one (llama.cpp's default).
 */
class GgufGenerationTest {

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(GgufOracleFilesTest.DIR)) {
            for (Path txt : files.filter(p -> p.getFileName().toString().startsWith("llamacpp-")).sorted().toList()) {
                for (Backend b : Backend.values()) {
                    for (KvPrecision kv : KvPrecision.values()) {
                        out.add(Arguments.of(txt.getFileName().toString(), b, kv));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}, {2} KV cache")
    @MethodSource("cases")
    void matchesLlamaCpp(String oracleName, Backend backend, KvPrecision kv) throws IOException {
        // llamacpp-aidreams260K-<type>-<prompt>.txt
        String[] parts = oracleName.replace(".txt", "").split("-", 4);
        Path gguf = GgufOracleFilesTest.DIR.resolve("aidreams260K-" + parts[2] + ".gguf");
        List<String> lines = Files.readAllLines(GgufOracleFilesTest.DIR.resolve(oracleName));
        int[] promptIds = field(lines, "prompt_ids:");
        int[] expected = field(lines, "generated_ids:");
        String prompt = parts[3].equals("bos_only") ? "" : "Once upon a time";

        GgufModel model = GgufModel.load(gguf, backend.layout());
        assertEquals(LlamaMath.RMS_EPS, model.spec().rmsEps(), "the engine's epsilon is the file's");
        assertEquals(10000f, model.spec().ropeTheta());
        int[] encoded = model.tokenizer().encode(prompt, true, false);
        assertArrayEquals(promptIds, encoded, "prompt ids");

        List<GenerationResult> results = new ArrayList<>();
        GenerationRequest request = new GenerationRequest(oracleName, null, encoded,
                new SamplingParams(0f, 0.9f, 0, 0f, 1L), expected.length, List.of());
        BatchGenerator.create(model.weights(), model.tokenizer(),
                        GeneratorOptions.of(backend, 1).withEnds(EndTokens.NONE).withKvCache(kv), StageProfile.disabled())
                .run(List.of(request).iterator(), results::add);
        assertArrayEquals(expected, results.get(0).completionTokens(), "generated ids");
    }

    private static int[] field(List<String> lines, String key) {
        for (String line : lines) {
            if (line.startsWith(key)) {
                return Arrays.stream(line.substring(key.length()).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
            }
        }
        throw new IllegalArgumentException("no " + key);
    }
}
