package llamaspark.model.gguf;

import llamaspark.model.TestModels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import llamaspark.Oracles;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.EndTokens;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.CheckpointReader;
import llamaspark.model.LlamaConfig;
import llamaspark.model.LlamaWeights;
import llamaspark.model.LoadedModel;
import llamaspark.model.Llama2cExport;
import llamaspark.model.ModelFiles;
import llamaspark.model.RandomCheckpoint;
import llamaspark.model.kernel.Backend;
import llamaspark.model.quant.GgmlType;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GGUF weights multiplied straight from the memory map (ModelFiles.open on the vector backends):
 * on the run.c-order backend exactly the logits (so the tokens) of the float32 model that
 * llama.cpp's Python package dequantized from each kq256 file; on vector-fma logits within a
 * stated tolerance of those; llama.cpp's own greedy ids on aidreams260K; and one random model
 * written as legacy .bin, version-1 .bin and GGUF F32 giving the same tokens on every backend.
 */
class MappedGgufTest {
    static final Path DIR = GgufOracleFilesTest.DIR;
    static final Path TOK512 = Oracles.SHARED.resolve("models").resolve("tok512-aidreams.bin");
    /** vector-fma against run.c order on the same weights: max |logit difference| allowed. */
    static final float FMA_TOLERANCE = 1e-4f;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q6_k"})
    void kq256MatchesItsDequantizedWeights(String type) {
        Path gguf = DIR.resolve("kq256-" + type + ".gguf");
        Path bin = DIR.resolve(type.equals("f32") ? "kq256.bin" : "kq256-" + type + ".dequantized.bin");
        LoadedModel mapped = ModelFiles.open(gguf, null, Backend.VECTOR, 0, 0);
        assertTrue(mapped.weights().wqkv[0].quantized(), "the vector backend multiplies the mapped tensors");
        LlamaWeights reference = CheckpointReader.read(bin, Backend.VECTOR.layout());
        int[] tokens = {1, 403, 87, 300, 12, 499, 250, 7};
        float[][] want = TestModels.forwardSteps(reference, Backend.VECTOR, tokens);
        float[][] got = TestModels.forwardSteps(mapped.weights(), Backend.VECTOR, tokens);
        for (int i = 0; i < tokens.length; i++) {
            assertArrayEquals(want[i], got[i], "run.c-order logits of step " + i);
        }
        assertArrayEquals(greedy(reference, mapped.tokenizer(), Backend.VECTOR, 40),
                greedy(mapped.weights(), mapped.tokenizer(), Backend.VECTOR, 40), "greedy tokens");

        LoadedModel fma = ModelFiles.open(gguf, null, Backend.VECTOR_FMA, 0, 0);
        float[][] fast = TestModels.forwardSteps(fma.weights(), Backend.VECTOR_FMA, tokens);
        float worst = 0;
        for (int i = 0; i < tokens.length; i++) {
            for (int v = 0; v < want[i].length; v++) {
                worst = Math.max(worst, Math.abs(fast[i][v] - want[i][v]));
            }
        }
        assertTrue(worst <= FMA_TOLERANCE, "vector-fma logits differ by up to " + worst);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Backend.class)
    void aidreamsGivesLlamaCppIds(Backend backend) throws IOException {
        for (String type : new String[] {"f32", "q8_0"}) {
            for (String prompt : new String[] {"once_upon_a_time", "bos_only"}) {
                List<String> lines = Files.readAllLines(DIR.resolve("llamacpp-aidreams260K-" + type + "-" + prompt + ".txt"));
                int[] promptIds = field(lines, "prompt_ids:");
                int[] expected = field(lines, "generated_ids:");
                LoadedModel model = ModelFiles.open(DIR.resolve("aidreams260K-" + type + ".gguf"), null, backend, 0, 0);
                assertEquals(backend != Backend.EJML, model.weights().classifier.quantized());
                assertArrayEquals(expected, generate(model.weights(), model.tokenizer(), backend, promptIds, expected.length),
                        type + " " + prompt);
            }
        }
    }

    @Test
    void sameModelInEveryFormatGivesTheSameTokens(@TempDir Path dir) {
        // Odd sizes: wk/wv and gate/up end in partial panels, so stacked parts write offset columns.
        LlamaConfig c = new LlamaConfig(72, 168, 2, 4, 2, 512, 64, false);
        RandomCheckpoint model = new RandomCheckpoint(c, 7, 0.1f);
        Path legacy = dir.resolve("m.bin"), v1 = dir.resolve("m-v1.bin"), gguf = dir.resolve("m.gguf");
        model.write(legacy);
        Llama2cExport.writeVersion1(model, v1);
        Tokenizer vocab = Tokenizer.load(TOK512, 512);
        RandomGguf.write(model, GgmlType.F32, vocab, gguf);
        int[] prompt = {1, 200, 300, 17};
        int[] first = null;
        for (Backend backend : Backend.values()) {
            for (Path file : new Path[] {legacy, v1, gguf}) {
                LoadedModel m = ModelFiles.open(file, TOK512, backend, 0, 0);
                assertEquals(file == gguf && backend != Backend.EJML, m.weights().wo[0].quantized());
                int[] got = generate(m.weights(), m.tokenizer(), backend, prompt, 30);
                if (first == null) {
                    first = got;
                    assertFalse(Arrays.stream(got).allMatch(t -> t == got[0]), "a model that says one token proves little");
                }
                assertArrayEquals(first, got, file.getFileName() + " on " + backend);
            }
        }
    }

    @Test
    void quantizedWeightsAreNotSerialized() {
        LoadedModel m = ModelFiles.open(DIR.resolve("kq256-q8_0.gguf"), null, Backend.VECTOR_FMA, 0, 0);
        var bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(m.weights());
            throw new AssertionError("mapped weights were serialized");
        } catch (java.io.NotSerializableException expected) {
            assertTrue(expected.getMessage().contains("mapped"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }


    static int[] greedy(LlamaWeights w, llamaspark.tokenizer.TextTokenizer tok, Backend backend, int n) {
        return generate(w, tok, backend, tok.encode("Once upon a time", true, false), n);
    }

    static int[] generate(LlamaWeights w, llamaspark.tokenizer.TextTokenizer tok, Backend backend, int[] prompt, int n) {
        List<GenerationResult> results = new ArrayList<>();
        GenerationRequest request = new GenerationRequest("r", null, prompt,
                new SamplingParams(0f, 0.9f, 0, 0f, 1L), n, List.of());
        BatchGenerator.create(w, tok, GeneratorOptions.of(backend, 1).withEnds(EndTokens.NONE), StageProfile.disabled())
                .run(List.of(request).iterator(), results::add);
        return results.get(0).completionTokens();
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
