package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job on a real Spark standalone cluster (one Master, two one-core Workers on 127.0.0.1,
 * started by jobs/local-cluster from the Maven jars), submitted through jobs/llamaspark job.
 * The cluster is stopped even when a test fails.
 */
class LocalClusterIT {
    private static final Path OUT = Path.of("target", "it");
    /** jobs/local-cluster's port (LOCAL_CLUSTER_PORT, default 7077), so two checkouts can run this test at once. */
    private static final String MASTER = "spark://127.0.0.1:" + System.getenv().getOrDefault("LOCAL_CLUSTER_PORT", "7077");

    private record Run(int exit, String output) {
    }

    private static Run run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        File log = File.createTempFile("llamaspark-it", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " timed out after " + timeoutSeconds + " s:\n"
                    + java.nio.file.Files.readString(log.toPath()));
        }
        return new Run(p.exitValue(), java.nio.file.Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void startCluster() throws Exception {
        run(60, "jobs/local-cluster", "stop");
        Run r = run(180, "jobs/local-cluster", "start", "2");
        assertEquals(0, r.exit(), r.output());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        Run r = run(60, "jobs/local-cluster", "stop");
        assertEquals(0, r.exit(), r.output());
    }

    private static Map<String, Row> generations(SparkSession spark, Path out) {
        return Arrays.stream((Row[]) spark.read().parquet(out.resolve("generations").toString()).collect())
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r));
    }

    @Test
    void clusterRunEqualsLocalRunAndSpreadsOverTwoExecutors() throws Exception {
        Path cluster = OUT.resolve("cluster"), local = OUT.resolve("local");
        List<String> common = List.of("--prompts", "data/prompts.jsonl,data/prompts.txt", "--max-new-tokens", "40", "--overwrite");
        List<String> clusterCmd = new ArrayList<>(List.of("jobs/llamaspark", "job", "--master", MASTER,
                "--conf", "spark.cores.max=2", "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--out", cluster.toString(), "--partitions", "6", "--batch-size", "2"));
        clusterCmd.addAll(common);
        Run c = run(300, clusterCmd.toArray(String[]::new));
        assertEquals(0, c.exit(), c.output());
        assertTrue(c.output().contains("transformer_block.attention"), "the driver prints the stage table");
        assertTrue(c.output().contains("on 2 executor(s), master " + MASTER), c.output());

        List<String> localCmd = new ArrayList<>(List.of("jobs/llamaspark", "job", "--out", local.toString(),
                "--partitions", "1", "--batch-size", "16"));
        localCmd.addAll(common);
        Run l = run(300, localCmd.toArray(String[]::new));
        assertEquals(0, l.exit(), l.output());

        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            Map<String, Row> onCluster = generations(spark, cluster), onLocal = generations(spark, local);
            assertEquals(16, onCluster.size());
            assertEquals(onLocal.keySet(), onCluster.keySet());
            for (String id : onLocal.keySet()) {
                assertEquals((String) onLocal.get(id).getAs("completion"), onCluster.get(id).getAs("completion"), id);
                assertArrayEquals(onLocal.get(id).getList(onLocal.get(id).fieldIndex("token_ids")).toArray(),
                        onCluster.get(id).getList(onCluster.get(id).fieldIndex("token_ids")).toArray(), id);
            }
            Set<String> executors = onCluster.values().stream().map(r -> (String) r.getAs("executor_id")).collect(Collectors.toSet());
            assertEquals(2, executors.size(), executors.toString());

            List<Row> timings = spark.read().parquet(cluster.resolve("stage_timings").toString()).collectAsList();
            Set<String> timed = timings.stream().map(r -> (String) r.getAs("executor_id")).collect(Collectors.toSet());
            assertEquals(executors, timed);
            assertFalse(timed.contains("driver"));
            // Every partition that held prompts reports its stage times (hash partitioning may leave one empty).
            assertEquals(onCluster.values().stream().map(r -> (int) r.getAs("partition_id")).collect(Collectors.toSet()),
                    timings.stream().map(r -> (int) r.getAs("partition_id")).collect(Collectors.toSet()));

            JsonNode report = new ObjectMapper().readTree(cluster.resolve("run.json").toFile());
            assertEquals(2, report.at("/cluster/executor_count").asInt());
            for (JsonNode e : report.get("executors")) {
                assertEquals(1, e.get("model_materialisations").asInt(), "one model copy per executor JVM: " + e);
                if (llamaspark.model.kernel.HugePagesTest.kernelAllowsThem()) {
                    assertTrue(e.get("huge_pages_mb").asLong() > 0, "the executor's heap on huge pages: " + e);
                }
            }
            assertEquals(16, report.at("/rows/ok").asInt());
            assertExecutorsOnHugePages(report.at("/cluster/app_id").asText());
        } finally {
            spark.stop();
        }
    }

    /**
     * conf/spark-defaults.conf starts executors with -XX:+UseTransparentHugePages: each executor's
     * stderr (the Workers' work directories) opens with the command the Worker ran.
     */
    private static void assertExecutorsOnHugePages(String appId) throws IOException {
        Path state = Path.of(System.getenv().getOrDefault("LOCAL_CLUSTER_DIR", "target/local-cluster"));
        List<Path> stderr;
        try (var files = java.nio.file.Files.walk(state, 4)) {
            stderr = files.filter(f -> f.getFileName().toString().equals("stderr") && f.getParent().getParent().getFileName().toString().equals(appId))
                    .toList();
        }
        assertEquals(2, stderr.size(), "an executor log per worker for " + appId + ": " + stderr);
        for (Path f : stderr) {
            String command = java.nio.file.Files.readAllLines(f, StandardCharsets.UTF_8).get(0);
            assertTrue(command.startsWith("Spark Executor Command:") && command.contains("\"-XX:+UseTransparentHugePages\""), command);
        }
    }

    private static final String CLUSTER = "spark://127.0.0.1:7077";

    /** The generations of a run, by id, reduced to what must not change: token ids, completion, seed. */
    private static Map<String, List<Object>> essentials(SparkSession spark, Path out) {
        return generations(spark, out).entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> List.of(
                e.getValue().getList(e.getValue().fieldIndex("token_ids")), String.valueOf((Object) e.getValue().getAs("completion")),
                (Object) e.getValue().getAs("seed"))));
    }

    private static List<String> jobCommand(String master, Path out, Path prompts) {
        List<String> cmd = new ArrayList<>(List.of("jobs/llamaspark", "job", "--master", master));
        if (master.startsWith("spark:")) {
            cmd.addAll(List.of("--conf", "spark.cores.max=2", "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0"));
        }
        cmd.addAll(List.of("--out", out.toString(), "--prompts", prompts.toString(), "--partitions", "4",
                "--batch-size", "2", "--max-new-tokens", "60", "--checkpoint-rows", "4", "--checkpoint-seconds", "1"));
        return cmd;
    }

    /** Finished chunks in the work directory of {@code out}. */
    private static long chunks(Path out) throws IOException {
        Path dir = out.resolveSibling("." + out.getFileName() + ".llamaspark-work").resolve("chunks");
        if (!java.nio.file.Files.isDirectory(dir)) {
            return 0;
        }
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).count();
        }
    }

    /** Starts {@code command}; once the job has journalled {@code atLeast} chunks, runs {@code fault}; waits for the end. */
    private static Run runWithFault(List<String> command, Path out, int atLeast, Fault fault) throws Exception {
        File log = File.createTempFile("llamaspark-it-fault", ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (chunks(out) < atLeast) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("no journalled rows to fault after: " + java.nio.file.Files.readString(log.toPath()));
            }
            Thread.sleep(100);
        }
        fault.accept(p);
        if (!p.waitFor(200, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out:\n" + java.nio.file.Files.readString(log.toPath()));
        }
        return new Run(p.exitValue(), java.nio.file.Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }

    private interface Fault {
        void accept(Process job) throws Exception;
    }

    @Test
    void aKilledDriverOrExecutorLosesOnlyRowsInFlightAndTheRerunEqualsACleanRun() throws Exception {
        Path prompts = OUT.resolve("fault-prompts.txt");
        java.nio.file.Files.createDirectories(OUT);
        StringBuilder lines = new StringBuilder();
        String[] starts = {"Once upon a time", "I dream of", "The vectors", "Gradients unfold", "A neuron"};
        for (int i = 0; i < 120; i++) {
            lines.append(starts[i % starts.length]).append(" ").append(i).append('\n');
        }
        java.nio.file.Files.writeString(prompts, lines);
        Path clean = OUT.resolve("fault-clean"), driverKilled = OUT.resolve("fault-driver"), executorKilled = OUT.resolve("fault-executor");
        for (Path p : List.of(clean, driverKilled, executorKilled)) {
            run(30, "rm", "-rf", p.toString(), p.resolveSibling("." + p.getFileName() + ".llamaspark-work").toString());
        }

        Run c = run(300, jobCommand("local[2]", clean, prompts).toArray(String[]::new));
        assertEquals(0, c.exit(), c.output());

        // Kill the driver once some rows are journalled, then run the same command again.
        List<String> driverCmd = jobCommand(CLUSTER, driverKilled, prompts);
        Run killed = runWithFault(driverCmd, driverKilled, 2, job -> {
            job.destroyForcibly();
            job.waitFor();
        });
        assertTrue(killed.exit() != 0, killed.output());
        assertFalse(java.nio.file.Files.exists(driverKilled), "a killed run leaves no output directory");
        Run resumed = run(300, driverCmd.toArray(String[]::new));
        assertEquals(0, resumed.exit(), resumed.output());
        JsonNode report = new ObjectMapper().readTree(driverKilled.resolve("run.json").toFile());
        assertTrue(report.at("/rows/reused").asInt() > 0, report.toString());
        assertTrue(report.at("/rows/generated").asInt() > 0, "the kill came before the end: " + report);
        assertEquals(120, report.at("/rows/reused").asInt() + report.at("/rows/generated").asInt());

        // Kill one executor (a child of a worker that jobs/local-cluster started) mid-task.
        Run survived = runWithFault(jobCommand(CLUSTER, executorKilled, prompts), executorKilled, 2, job -> {
            long worker = Long.parseLong(java.nio.file.Files.readString(Path.of("target/local-cluster/pids/worker-1")).strip());
            ProcessHandle executor = ProcessHandle.of(worker).orElseThrow().descendants()
                    .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                    .findFirst().orElseThrow(() -> new AssertionError("no executor under worker " + worker));
            executor.destroyForcibly();
        });
        assertEquals(0, survived.exit(), survived.output());

        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            Map<String, List<Object>> expected = essentials(spark, clean);
            assertEquals(120, expected.size());
            assertEquals(expected, essentials(spark, driverKilled));
            assertEquals(expected, essentials(spark, executorKilled));
        } finally {
            spark.stop();
        }
    }

    /**
     * A GGUF file given as a file: URI (copy mode) on the two-executor cluster: the driver and both
     * executors run on this one host, so the file is copied into the host cache exactly once, every
     * executor opens the model once, and the tokens equal those of the same file read in place.
     */
    @Test
    void ggufFromAUriIsCopiedOncePerHostAndOpenedOncePerExecutor() throws Exception {
        Path cache = OUT.resolve("model-cache").toAbsolutePath();
        Path remote = OUT.resolve("remote").toAbsolutePath();
        for (Path p : List.of(cache, remote)) {
            if (java.nio.file.Files.exists(p)) {
                try (java.util.stream.Stream<Path> s = java.nio.file.Files.walk(p)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
        java.nio.file.Files.createDirectories(remote);
        Path gguf = java.nio.file.Files.copy(Path.of("..", "shared", "oracles", "gguf", "aidreams260K-q8_0.gguf"),
                remote.resolve("aidreams260K-q8_0.gguf"));
        Path cluster = OUT.resolve("cluster-gguf"), local = OUT.resolve("local-gguf");
        List<String> common = List.of("--prompts", "data/prompts.jsonl,data/prompts.txt", "--max-new-tokens", "40",
                "--overwrite", "--tokenizer", "ignored-for-gguf");
        List<String> clusterCmd = new ArrayList<>(List.of("jobs/llamaspark", "job", "--master", MASTER,
                "--conf", "spark.cores.max=2", "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                "--out", cluster.toString(), "--partitions", "6", "--batch-size", "2",
                "--model", gguf.toUri().toString(), "--model-cache-dir", cache.toString()));
        clusterCmd.addAll(common);
        Run c = run(300, clusterCmd.toArray(String[]::new));
        assertEquals(0, c.exit(), c.output());

        List<String> localCmd = new ArrayList<>(List.of("jobs/llamaspark", "job", "--out", local.toString(),
                "--partitions", "1", "--batch-size", "16", "--model", gguf.toString()));
        localCmd.addAll(common);
        Run l = run(300, localCmd.toArray(String[]::new));
        assertEquals(0, l.exit(), l.output());

        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            Map<String, Row> onCluster = generations(spark, cluster), onLocal = generations(spark, local);
            assertEquals(16, onCluster.size());
            assertEquals(onLocal.keySet(), onCluster.keySet());
            for (String id : onLocal.keySet()) {
                assertArrayEquals(onLocal.get(id).getList(onLocal.get(id).fieldIndex("token_ids")).toArray(),
                        onCluster.get(id).getList(onCluster.get(id).fieldIndex("token_ids")).toArray(), id);
            }
        } finally {
            spark.stop();
        }
        JsonNode report = new ObjectMapper().readTree(cluster.resolve("run.json").toFile());
        assertEquals("gguf", report.at("/model/format").asText());
        assertEquals("copy", report.at("/model/delivery").asText());
        assertEquals("copied", report.at("/model/driver_copy").asText(), "the driver's host had no copy yet");
        assertEquals(2, report.at("/cluster/executor_count").asInt());
        int copies = 1; // the driver's
        for (JsonNode e : report.get("executors")) {
            assertEquals(1, e.get("model_materialisations").asInt(), "one model open per executor JVM: " + e);
            assertEquals("reused copy", e.at("/model_load/fetched").asText(), e.toString());
            copies += e.at("/model_load/host_copies").asInt();
            assertEquals(0, e.at("/model_load/host_copies_replaced").asInt(), e.toString());
        }
        assertEquals(1, copies, "one host, one copy");
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(cache.resolve(report.at("/model/sha256").asText()))) {
            assertEquals(List.of("aidreams260K-q8_0.gguf"), s.map(p -> p.getFileName().toString()).toList());
        }
    }
}
