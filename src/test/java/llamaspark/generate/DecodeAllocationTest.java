package llamaspark.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.management.ThreadMXBean;
import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import llamaspark.Oracles;
import llamaspark.model.CheckpointReader;
import llamaspark.model.KvPrecision;
import llamaspark.model.LlamaWeights;
import llamaspark.model.kernel.Backend;
import llamaspark.model.kernel.Simd;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Once the JIT has compiled it, a decode step allocates nothing on the engine thread, with one
 * thread or two, from a float32 or a half-precision KV cache. Not a timing: each case runs in a JVM of its own (what one case compiled would
 * otherwise serve the next), the engine runs again and again until one whole run's decode steps
 * allocate (next to) nothing. An allocation in the step itself fails every JVM. JDK 17's C2
 * sometimes compiles the two-thread engine with boxed vectors (0.3 MB per step here) for the
 * rest of a JVM's life, depending on what it compiles when: that is reported and another JVM
 * tried, and the test fails only if every one of {@link #JVMS} allocates. README counts it.
 */
class DecodeAllocationTest {
    private static final int BATCH = 32, NEW_TOKENS = 120, MAX_RUNS = 200;
    private static final long DEADLINE_NANOS = 30_000_000_000L;
    /**
     * JVMs tried: the timing-dependent compile (above) showed in 2 of 63 two-thread JVMs of this
     * test's setting (one in CI); an allocation in the step shows in every one.
     */
    private static final int JVMS = 3;
    /** Bytes per step a clean run may still show (a counter read, a rare lazily built object). */
    private static final double CLEAN = 64;

    @ParameterizedTest(name = "{0} thread(s), {1} KV cache")
    @CsvSource({"1, F32", "2, F32", "1, F16", "2, F16"})
    void decodeStepsAllocateNothingOnceCompiled(int threads, KvPrecision kv) throws Exception {
        List<String> jvms = new ArrayList<>();
        for (int jvm = 0; jvm < JVMS; jvm++) {
            String out = childRun(threads, kv);
            if (out.startsWith("clean")) {
                return;
            }
            // A JVM whose compile boxed vectors: reported, and another JVM tried.
            System.err.println("DecodeAllocationTest: " + threads + " thread(s), " + kv + " KV cache, JVM " + (jvm + 1) + " allocated: " + out);
            jvms.add(out);
        }
        fail(threads + " thread(s): the decode steps allocated in every one of " + JVMS + " JVMs: " + jvms);
    }

    private static String childRun(int threads, KvPrecision kv) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector",
                // The child at this JVM's vector width (the pom's second test run forces 256 bits).
                "-Dllamaspark.vector.bits=" + Simd.BITS, "-cp", System.getProperty("java.class.path"),
                DecodeAllocationTest.class.getName(), Integer.toString(threads), kv.name(), Oracles.AIDREAMS260K.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /**
     * The child JVM (args: threads, KV cache precision, model[, tokenizer]): prints "clean" and the
     * run that was, or the bytes per step of the runs it tried.
     */
    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        LlamaWeights w = CheckpointReader.read(Path.of(args[2]), Backend.VECTOR_FMA.layout());
        Tokenizer t = Tokenizer.load(args.length > 3 ? Path.of(args[3]) : Oracles.AIDREAMS_TOKENIZER, w.config.vocabSize());
        GeneratorOptions options = GeneratorOptions.of(Backend.VECTOR_FMA, BATCH).withThreads(threads).withEnds(EndTokens.NONE)
                .withKvCache(KvPrecision.valueOf(args[1]));
        long start = System.nanoTime();
        List<String> tried = new ArrayList<>();
        for (int run = 0; run < MAX_RUNS && System.nanoTime() - start < DEADLINE_NANOS; run++) {
            double bytes = bytesPerDecodeStep(w, t, options);
            if (bytes <= CLEAN) {
                System.out.printf(Locale.ROOT, "clean: run %d, %.1f bytes per step%n", run, bytes);
                return;
            }
            if (tried.size() < 8) {
                tried.add(String.format(Locale.ROOT, "run %d: %.0f", run, bytes));
            }
        }
        System.out.println(tried);
    }

    /**
     * One run of BATCH greedy rows: the engine thread's bytes per decode step, over the steps
     * where no row finished (a finished row's result is built then, and that allocates).
     */
    private static double bytesPerDecodeStep(LlamaWeights w, Tokenizer t, GeneratorOptions options) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int b = 0; b < BATCH; b++) {
            // Prompts of different lengths, so attention rows end in partial vectors of every size.
            requests.add(new GenerationRequest("r" + b, "Once upon a time".repeat(1 + b % 3), SamplingParams.greedy(), NEW_TOKENS, List.of()));
        }
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long bytes = 0, steps = 0;
        int[] finished = {0};
        try (BatchGenerator gen = BatchGenerator.create(w, t, options, StageProfile.disabled())) {
            Iterator<GenerationRequest> it = requests.iterator();
            while (true) {
                boolean decoding = gen.generatedTokens() >= BATCH;
                int before = finished[0];
                long start = mx.getCurrentThreadAllocatedBytes();
                if (!gen.advance(it, r -> finished[0]++)) {
                    break;
                }
                long allocated = mx.getCurrentThreadAllocatedBytes() - start;
                if (decoding && finished[0] == before) {
                    bytes += allocated;
                    steps++;
                }
            }
        }
        return (double) bytes / steps;
    }
}
