package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import llamaspark.Oracles;
import llamaspark.model.LlamaConfig;
import llamaspark.model.RandomCheckpoint;
import llamaspark.progress.RowCounters;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The driver's live progress in local mode: one partition that takes seconds must show rows done
 * before it ends, which only executor heartbeats can tell the driver (a short heartbeat interval
 * here; the job's scripts set 2 s).
 */
class JobProgressTest {
    private static final Pattern LINE = Pattern.compile(
            "progress: rows (\\d+)/(\\d+|\\?).*, failed (\\d+), tokens (\\d+), .* (\\d+) tasks? on (\\d+) executors?, .*");
    private static SparkSession spark;
    private static Path model;
    /** Spark's own final values of the named accumulators, by name, as its UI shows them. */
    private static final Map<String, Long> accumulators = new ConcurrentHashMap<>();
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("llamaspark-progress-test")
                .config("spark.ui.enabled", "false").config("spark.executor.heartbeatInterval", "500ms").getOrCreate();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onStageCompleted(SparkListenerStageCompleted e) {
                for (AccumulableInfo a : scala.jdk.javaapi.CollectionConverters.asJava(e.stageInfo().accumulables()).values()) {
                    if (a.name().isDefined() && a.name().get().startsWith("llamaspark.") && a.value().isDefined()
                            && a.value().get() instanceof Long v) {
                        accumulators.put(a.name().get(), v);
                    }
                }
            }
        });
        // A random model of 6 layers, dim 384, over the 512-token vocabulary: milliseconds per
        // token, so one partition of a few rows at batch size 1 runs for seconds.
        model = dir.resolve("random.bin");
        new RandomCheckpoint(new LlamaConfig(384, 1024, 6, 6, 6, 512, 256, true), 7, 0.02f).write(model);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static String job(int maxNewTokens, String... args) throws Exception {
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, "Once upon a time\nI dream of\nThe vectors\nA neuron\n");
        List<String> all = new ArrayList<>(List.of("--model", model.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--prompts", prompts.toString(), "--out", dir.resolve("out-" + System.nanoTime()).toString(), "--partitions", "1",
                "--batch-size", "1", "--threads", "1", "--max-new-tokens", String.valueOf(maxNewTokens), "--seed", "3"));
        all.addAll(List.of(args));
        JobOptions o = new JobOptions();
        new CommandLine(o).parseArgs(all.toArray(String[]::new));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        JobResult r = GenerateJob.execute(spark, o, new PrintStream(buf, true, StandardCharsets.UTF_8));
        long tokens = spark.read().parquet(r.outDir() + "/generations").collectAsList().stream()
                .mapToLong(row -> ((Row) row).<Integer>getAs("completion_tokens")).sum();
        assertEquals(r.completionTokens(), tokens);
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void onePartitionShowsRowsDoneBeforeItEnds() throws Exception {
        String out = job(240, "--progress-interval", "0.1");
        List<long[]> lines = new ArrayList<>(); // [rows done, total or -1, failed, tokens, tasks, executors]
        for (String l : out.split("\n")) {
            Matcher m = LINE.matcher(l);
            assertTrue(m.matches(), l);
            lines.add(new long[] {Long.parseLong(m.group(1)), m.group(2).equals("?") ? -1 : Long.parseLong(m.group(2)),
                Long.parseLong(m.group(3)), Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6))});
        }
        assertTrue(lines.size() >= 5, out);
        // Seen while the one partition ran: some rows done, not all, and tokens with them.
        assertTrue(lines.stream().anyMatch(v -> v[1] == 4 && v[0] > 0 && v[0] < 4 && v[3] > 0 && v[4] >= 1), out);
        for (int i = 1; i < lines.size(); i++) {
            assertTrue(lines.get(i)[0] >= lines.get(i - 1)[0] && lines.get(i)[3] >= lines.get(i - 1)[3], out);
        }
        long[] last = lines.get(lines.size() - 1);
        assertEquals(4, last[0], out);
        assertEquals(4, last[1], out);
        assertEquals(0, last[2], out);
        assertEquals(1, last[5], "local mode: the driver is the one executor");
        assertTrue(out.endsWith("ETA 0:00:00\n"), out);

        // Spark's named accumulators end with the same totals.
        assertEquals(4L, accumulators.get(RowCounters.ROWS_READ));
        assertEquals(4L, accumulators.get(RowCounters.ROWS_DONE));
        assertEquals(last[3], accumulators.get(RowCounters.TOKENS));
        assertTrue(last[3] > 4 * 20, "rows ran long enough to be seen: " + last[3] + " tokens");
        assertEquals(null, accumulators.get(RowCounters.ROWS_FAILED), "no row failed, so Spark never showed it");
    }

    @Test
    void quietPrintsNothing() throws Exception {
        assertEquals("", job(5, "--quiet", "--progress-interval", "0.05"));
    }
}
