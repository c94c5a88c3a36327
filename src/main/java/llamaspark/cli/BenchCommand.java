package llamaspark.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import llamaspark.BadInputException;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.EndTokens;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.LlamaConfig;
import llamaspark.model.LlamaWeights;
import llamaspark.model.kernel.HugePages;
import llamaspark.model.kernel.MemoryBandwidth;
import llamaspark.profile.Stage;
import llamaspark.model.LoadedModel;
import llamaspark.profile.ProfileTable;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.TextTokenizer;
import llamaspark.job.EngineOptions;
import llamaspark.model.KvCache;
import llamaspark.job.ModelOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The engine benchmark: B copies of a prompt, exactly N new tokens per row (no row stops early),
 * after warm-up runs; the study's stage table over the decode steps, and as the last line the
 * medians over the measured runs.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark the engine: prefill, then N decode steps of a batch of B; prints the stage table and ms/step.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Mixin
    EngineOptions engine = new EngineOptions();
    private int batchSize;
    private int threads;
    @Option(names = "--new-tokens", defaultValue = "200", description = "tokens generated per row. Default: ${DEFAULT-VALUE}")
    int newTokens;
    @Option(names = "--warmup", defaultValue = "1", description = "unmeasured runs first (JIT). Default: ${DEFAULT-VALUE}")
    int warmup;
    @Option(names = "--repeat", defaultValue = "3", description = "measured runs. Default: ${DEFAULT-VALUE}")
    int repeat;
    @Option(names = "--prompt", defaultValue = "once upon a time", description = "prompt text. Default: ${DEFAULT-VALUE}")
    String prompt;
    @Option(names = "--prompt-tokens", defaultValue = "0",
            description = "make the prompt this many tokens long by repeating it (e.g. 200 to time prefill)")
    int promptTokens;
    @Option(names = {"--temperature", "-t"}, defaultValue = "0", description = "0 = greedy. Default: ${DEFAULT-VALUE}")
    float temperature;
    @Option(names = {"--top-p", "-p"}, defaultValue = "0.9", description = "nucleus sampling threshold (1 = off). Default: ${DEFAULT-VALUE}")
    float topP;
    @Option(names = "--seed", defaultValue = "42", description = "row i is seeded with seed + i. Default: ${DEFAULT-VALUE}")
    long seed;

    @Override
    public Integer call() {
        engine.validate();
        batchSize = engine.batchSize;
        threads = engine.threads(Runtime.getRuntime().availableProcessors());
        if (newTokens < 2 || repeat < 1 || warmup < 0) {
            throw new BadInputException("bench", "needs --new-tokens >= 2, --repeat >= 1, --warmup >= 0");
        }
        // As the job opens it: a GGUF file's weights stay mapped, in their stored types.
        LoadedModel model = options.open();
        LlamaWeights weights = model.weights();
        TextTokenizer tokenizer = model.tokenizer();
        int[] ids = promptIds(tokenizer);
        if (ids.length + newTokens - 1 > weights.config.seqLen()) {
            throw new BadInputException("bench", ids.length + " prompt + " + newTokens + " new tokens exceed seq_len " + weights.config.seqLen());
        }
        // Measured before the runs, while nothing of ours competes for memory.
        double bandwidth = MemoryBandwidth.measure(BANDWIDTH_MB, 5);
        GeneratorOptions g = GeneratorOptions.of(options.backend, batchSize).withKvCache(options.kvCache).withThreads(threads)
                .withEnds(EndTokens.NONE);
        StageProfile decode = new StageProfile();
        double[] decodeMs = new double[repeat], prefillMs = new double[repeat];
        for (int run = 0; run < warmup + repeat; run++) {
            StageProfile prof = new StageProfile();
            Run r;
            try (BatchGenerator gen = BatchGenerator.create(weights, tokenizer, g, prof)) {
                r = measure(gen, prof, ids);
            }
            if (run >= warmup) {
                int m = run - warmup;
                decodeMs[m] = r.decodeMsPerStep;
                prefillMs[m] = r.prefillMsPerToken;
                decode.merge(prof);
                System.out.printf(Locale.ROOT, "run %d: prefill %.4f ms/token (%d tokens), decode %.3f ms/step median over %d steps,"
                        + " %.1f bytes allocated per decode step by the engine thread%n",
                        m + 1, r.prefillMsPerToken, batchSize * ids.length, r.decodeMsPerStep, r.decodeSteps, r.bytesPerStep);
            }
        }
        System.out.print(ProfileTable.format(decode));
        System.out.printf(Locale.ROOT, "model %s (%s, %s), backend %s, KV cache %s, threads %d, batch %d, prompt %d tokens, %d new tokens,"
                + " %d warmup + %d runs%n", java.nio.file.Path.of(options.model).getFileName(), model.format(), model.tensorTypes(),
                options.backend.cliName(), options.kvCache.cliName(), threads, batchSize, ids.length, newTokens, warmup, repeat);
        double d = median(decodeMs);
        printBounds(weights.config, weightBytes(weights), ids.length, decode, bandwidth, d);
        System.out.printf(Locale.ROOT, "decode_ms_per_step=%.3f prefill_ms_per_token=%.4f tokens_per_s=%.1f%n",
                d, median(prefillMs), 1000.0 * batchSize / d);
        return 0;
    }

    /** Bytes of the matrices a decode step reads: every layer's projections and the classifier, as stored. */
    private static double weightBytes(LlamaWeights w) {
        double bytes = bytes(w.classifier);
        for (int l = 0; l < w.config.layers(); l++) {
            bytes += bytes(w.wqkv[l]) + bytes(w.wo[l]) + bytes(w.w13[l]) + bytes(w.w2[l]);
        }
        return bytes;
    }

    private static double bytes(llamaspark.model.WeightMatrix m) {
        if (!m.quantized()) {
            return 4.0 * m.rows() * m.cols();
        }
        double bytes = 0;
        for (llamaspark.model.quant.QuantMatrix q : m.parts()) {
            bytes += (double) q.rows() * q.rowBytes();
        }
        return bytes;
    }

    /** MB read to measure the streaming bandwidth: well beyond one core's share of the caches. */
    private static final int BANDWIDTH_MB = 256;

    /**
     * What the memory allows: the weight-streaming floor of a step (every weight matrix read once,
     * in its stored type) and the attention bound (the keys and values the step's rows read, in the
     * cache's precision, the keys in whole blocks of {@link KvCache#BLOCK} positions) over the measured bandwidth, beside the measured figures; and the
     * matrix products' GFLOP/s and sampling's share of the step.
     */
    private void printBounds(LlamaConfig c, double weightBytes, int promptLength, StageProfile decode, double bandwidth,
                             double stepMs) {
        long D = c.dim(), KVD = c.kvDim(), FD = c.hiddenDim(), VS = c.vocabSize(), L = c.layers();
        long layerWeights = D * (D + 2 * KVD) + D * D + D * 2 * FD + FD * D;
        // Decode step j feeds position promptLength + j, so its attention reads T = promptLength + j + 1 positions.
        int steps = newTokens - 1;
        double kvBytes = 0;
        for (int j = 0; j < steps; j++) {
            long T = promptLength + j + 1, keyPositions = KvCache.paddedLength((int) T);
            kvBytes += (double) options.kvCache.bytes() * KVD * (keyPositions + T) * L * batchSize;
        }
        kvBytes /= steps;
        double iterations = decode.calls(Stage.GENERATE_ITERATION);
        double attentionMs = decode.totalMillis(Stage.ATTENTION_SCORES) / iterations;
        double headMs = decode.totalMillis(Stage.LLAMA_HEAD) / iterations;
        double otherMs = (decode.totalMillis(Stage.ATTENTION_QKV) + decode.totalMillis(Stage.ATTENTION_OUTPUT)
                + decode.totalMillis(Stage.FEEDFORWARD_W1W3) + decode.totalMillis(Stage.FEEDFORWARD_W2)) / iterations;
        double samplingMs = decode.totalMillis(Stage.DO_SAMPLING) / iterations;
        double iterationMs = decode.totalMillis(Stage.GENERATE_ITERATION) / iterations;
        double gb = bandwidth / 1e9, floorMs = weightBytes / bandwidth * 1e3, kvMs = kvBytes / bandwidth * 1e3;
        System.out.printf(Locale.ROOT, "memory: %.2f GB/s streaming read (one thread, best of 5 passes over %d MB)%n", gb, BANDWIDTH_MB);
        System.out.println(HugePages.describe());
        System.out.printf(Locale.ROOT, "weight floor: %.1f MB of weights per step / %.2f GB/s = %.3f ms; decode %.3f ms/step = %.2fx the floor%n",
                weightBytes / 1e6, gb, floorMs, stepMs, stepMs / floorMs);
        System.out.printf(Locale.ROOT, "attention bound: %.2f MB of keys and values per step / %.2f GB/s = %.3f ms;"
                + " attention.scores %.3f ms/step = %.2fx the bound%n", kvBytes / 1e6, gb, kvMs, attentionMs, attentionMs / kvMs);
        System.out.printf(Locale.ROOT, "matmul: head %.1f GFLOP/s, other products %.1f GFLOP/s; sampling %.1f%% of a step%n",
                2.0 * batchSize * D * VS / headMs / 1e6, 2.0 * batchSize * L * layerWeights / otherMs / 1e6,
                100 * samplingMs / iterationMs);
    }

    private record Run(double prefillMsPerToken, double decodeMsPerStep, int decodeSteps, double bytesPerStep) {
    }

    /**
     * One run: prefill lasts until every row has its first token; then decode steps. The profile
     * is reset after prefill, so the table covers decode steps as the study's does.
     */
    private Run measure(BatchGenerator gen, StageProfile prof, int[] ids) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int b = 0; b < batchSize; b++) {
            requests.add(new GenerationRequest("b" + b, prompt, ids,
                    new SamplingParams(temperature, topP, 0, 0f, seed + b), newTokens, List.of()));
        }
        var it = requests.iterator();
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long prefill = 0;
        // Steps: at most one per prompt token (prefill in chunks) plus one per new token.
        long[] steps = new long[newTokens + batchSize * ids.length];
        long[] allocated = new long[steps.length];
        int n = 0;
        boolean decoding = false;
        while (true) {
            long t0 = System.nanoTime();
            if (!gen.advance(it, r -> { })) {
                break;
            }
            long dt = System.nanoTime() - t0;
            if (decoding) {
                steps[n] = dt;
                allocated[n++] = mx.getCurrentThreadAllocatedBytes();
            } else {
                prefill += dt;
                if (gen.generatedTokens() >= batchSize) {
                    decoding = true;
                    prof.reset();
                }
            }
        }
        // The last step builds the results; allocation is counted over the steps before it.
        double bytesPerStep = n > 2 ? (double) (allocated[n - 2] - allocated[0]) / (n - 2) : 0;
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            ms[i] = steps[i] / 1e6;
        }
        return new Run(prefill / 1e6 / ((double) batchSize * ids.length), median(ms), n, bytesPerStep);
    }

    private int[] promptIds(TextTokenizer tokenizer) {
        int[] base = tokenizer.encode(prompt, true, false);
        if (promptTokens <= 0) {
            return base;
        }
        int[] ids = new int[promptTokens];
        int filler = 3; // a token that is neither BOS nor EOS, when the prompt gives none
        while (filler == tokenizer.bosId() || filler == tokenizer.eosId()) {
            filler++;
        }
        ids[0] = tokenizer.bosId();
        for (int i = 1; i < promptTokens; i++) {
            ids[i] = base.length > 1 ? base[1 + (i - 1) % (base.length - 1)] : filler;
        }
        return ids;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
