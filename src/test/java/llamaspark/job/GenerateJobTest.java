package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import llamaspark.BadInputException;
import llamaspark.Oracles;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.CheckpointReader;
import llamaspark.model.LlamaWeights;
import llamaspark.model.kernel.Backend;
import llamaspark.profile.Stage;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.Tokenizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The Spark job in local mode, on one SparkSession for the whole class. */
class GenerateJobTest {
    private static SparkSession spark;
    private static LlamaWeights weights;
    private static Tokenizer tokenizer;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("llamaspark-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
        weights = CheckpointReader.read(Oracles.AIDREAMS260K, Backend.VECTOR.layout());
        tokenizer = Tokenizer.load(Oracles.AIDREAMS_TOKENIZER, weights.config.vocabSize());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static int runs;

    /** Runs the job with the sample model and {@code args}; returns the output directory. */
    private static Path job(String... args) {
        Path out = dir.resolve("out" + runs++);
        List<String> all = new ArrayList<>(List.of("--model", Oracles.AIDREAMS260K.toString(),
                "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(), "--out", out.toString()));
        all.addAll(List.of(args));
        JobOptions o = new JobOptions();
        new CommandLine(o).parseArgs(all.toArray(String[]::new));
        GenerateJob.execute(spark, o);
        return out;
    }

    private static Map<String, Row> generations(Path out) {
        return Arrays.stream((Row[]) spark.read().parquet(out.resolve("generations").toString()).collect())
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r));
    }

    private static int[] ids(Row r) {
        List<Integer> l = r.getList(r.fieldIndex("token_ids"));
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Path write(String name, String content) throws Exception {
        Path p = dir.resolve("in-" + runs + "-" + name);
        Files.writeString(p, content);
        return p;
    }

    @Test
    void sampleJsonlPromptsReproduceTheRunCOracles() {
        // --backend vector: the top-p rows reproduce run.c's sampled outputs only in run.c's order.
        Map<String, Row> g = generations(job("--prompts", "data/prompts.jsonl", "--partitions", "3", "--batch-size", "4",
                "--backend", "vector"));
        assertEquals(8, g.size());
        String[][] cases = {
            {"greedy-once", "aidreams260K_greedy_once_upon_a_time", "Once upon a time"},
            {"greedy-dream", "aidreams260K_greedy_i_dream_of", "I dream of"},
            {"greedy-empty", "aidreams260K_greedy_empty", ""},
            {"topp-once", "aidreams260K_topp_t1_p0.9_s42_once_upon_a_time", "Once upon a time"},
            {"topp-empty", "aidreams260K_topp_t1_p0.9_s42_empty", ""},
        };
        for (String[] c : cases) {
            Row r = g.get(c[0]);
            assertNull(r.getAs("error"), c[0]);
            String printed = new String(Oracles.text(c[1]), StandardCharsets.UTF_8);
            int[] oracle = Oracles.ids(c[1]).generated();
            int eos = Arrays.stream(oracle).boxed().toList().indexOf(Tokenizer.EOS);
            String expected = eos < 0 ? printed.substring(0, printed.length() - 1) : printed.substring(0, printed.indexOf("\n</s>"));
            assertEquals(expected, c[2] + r.getAs("completion"), c[0]);
            int[] expectedIds = eos < 0 ? oracle : Arrays.copyOf(oracle, eos + 1);
            assertArrayEquals(expectedIds, ids(r), c[0]);
            assertEquals(eos < 0 ? "length" : "eos", r.getAs("finish_reason"), c[0]);
            assertEquals(expectedIds.length, (int) r.getAs("completion_tokens"));
        }
        Row stop = g.get("stop-at-comma");
        assertEquals("stop", stop.getAs("finish_reason"));
        assertEquals("", stop.getAs("completion"), "the greedy completion starts with a comma");
        assertArrayEquals(new String[] {","}, ((List<?>) stop.getList(stop.fieldIndex("stop"))).toArray());
        Row topk = g.get("topk-cool");
        assertEquals(0.7f, (float) topk.getAs("temperature"));
        assertEquals(20, (int) topk.getAs("top_k"));
        assertTrue((int) topk.getAs("completion_tokens") <= 40);
        assertEquals(RowSeeds.derive(42, "topk-cool"), (long) topk.getAs("seed"), "a row without a seed gets a derived one");
        assertEquals(42L, (long) g.get("topp-once").getAs("seed"));
        assertEquals("aidreams260K.bin", topk.getAs("model"));
        assertEquals(64, ((String) topk.getAs("model_sha256")).length());
    }

    @Test
    void everyInputFormatIsReadAndMatchesTheEngine() throws Exception {
        Path txt = write("p.txt", "Once upon a time\n\nI dream of\r\nThe vectors\n");
        Path jsonl = write("p.jsonl", "{\"prompt\": \"Gradients unfold\", \"max_new_tokens\": 12}\n{\"id\": 7, \"prompt\": \"A neuron\", \"temperature\": 0}\n");
        Path csv = write("p.csv", "prompt,top_k,stop\n\"Pixels, petals\",5,\"[\"\"x\"\"]\"\nThresholds,,\n");
        Path parquet = dir.resolve("in-parquet");
        spark.createDataFrame(List.of(
                        org.apache.spark.sql.RowFactory.create("pq-1", "Echoes of vectors", 0.5),
                        org.apache.spark.sql.RowFactory.create(null, "Classifications", 0.0)),
                new org.apache.spark.sql.types.StructType().add("id", "string").add("prompt", "string").add("temperature", "double"))
                .coalesce(1).write().parquet(parquet.toString());

        Map<String, Row> g = generations(job("--prompts", txt + "," + jsonl + "," + csv + "," + parquet,
                "--max-new-tokens", "20", "--batch-size", "3"));
        assertEquals(3 + 2 + 2 + 2, g.size(), g.keySet().toString());
        assertTrue(g.containsKey(txt.getFileName() + ":1"));
        assertTrue(g.containsKey(txt.getFileName() + ":3"), "line numbers count blank lines");
        assertTrue(g.containsKey(txt.getFileName() + ":4"));
        assertTrue(g.containsKey(jsonl.getFileName() + ":1"));
        assertTrue(g.containsKey("7"));
        assertTrue(g.containsKey(csv.getFileName() + ":2"));
        assertTrue(g.containsKey(csv.getFileName() + ":3"));
        assertTrue(g.containsKey("pq-1"));
        assertEquals(1, g.keySet().stream().filter(k -> k.startsWith("part-") && k.endsWith(":2")).count(), g.keySet().toString());
        g.values().forEach(r -> assertNull(r.getAs("error"), () -> r.toString()));
        assertEquals(5, (int) g.get(csv.getFileName() + ":2").getAs("top_k"));
        Row capped = g.get(jsonl.getFileName() + ":1");
        assertEquals(12, (int) capped.getAs("max_new_tokens"));
        assertTrue("length".equals(capped.getAs("finish_reason")) ? (int) capped.getAs("completion_tokens") == 12
                : (int) capped.getAs("completion_tokens") < 12, capped::toString);
        assertEquals(0.5f, (float) g.get("pq-1").getAs("temperature"));

        // Each row equals the engine run alone with the same parameters.
        for (Row r : g.values()) {
            List<String> stop = r.isNullAt(r.fieldIndex("stop")) ? List.of() : r.getList(r.fieldIndex("stop"));
            GenerationRequest req = new GenerationRequest(r.getAs("id"), r.getAs("prompt"),
                    new SamplingParams(r.getAs("temperature"), r.getAs("top_p"), r.getAs("top_k"), r.getAs("min_p"), r.getAs("seed")),
                    r.getAs("max_new_tokens"), stop);
            List<GenerationResult> alone = new ArrayList<>();
            BatchGenerator.create(weights, tokenizer, GeneratorOptions.of(Backend.parse(Backend.DEFAULT_NAME), 1), StageProfile.disabled())
                    .run(List.of(req).iterator(), alone::add);
            assertEquals(alone.get(0).completion(), r.getAs("completion"), (String) r.getAs("id"));
            assertArrayEquals(alone.get(0).completionTokens(), ids(r));
            assertEquals(alone.get(0).finishReason().label(), r.getAs("finish_reason"));
        }
    }

    @Test
    void outputDoesNotDependOnPartitionsOrBatchSize() {
        Map<String, Row> a = generations(job("--prompts", "data", "--partitions", "1", "--batch-size", "1", "--max-new-tokens", "30"));
        Map<String, Row> b = generations(job("--prompts", "data", "--partitions", "4", "--batch-size", "8", "--max-new-tokens", "30"));
        assertEquals(a.keySet(), b.keySet());
        assertEquals(8 + 8 + 3, a.size());
        assertEquals(4, b.values().stream().map(r -> (int) r.getAs("partition_id")).distinct().count());
        for (String id : a.keySet()) {
            assertArrayEquals(ids(a.get(id)), ids(b.get(id)), id);
            assertEquals((String) a.get(id).getAs("completion"), b.get(id).getAs("completion"), id);
            assertEquals((long) a.get(id).getAs("seed"), (long) b.get(id).getAs("seed"), id);
        }
    }

    @Test
    void badRowsLandWithAnErrorAndTheJobSucceeds() throws Exception {
        String longPrompt = "Once upon a time ".repeat(60);
        Path jsonl = write("bad.jsonl", String.join("\n",
                "{\"id\": \"good\", \"prompt\": \"I dream of\", \"temperature\": 0}",
                "{\"id\": \"broken\", \"prompt\": \"I dream",
                "{\"id\": \"long\", \"prompt\": \"" + longPrompt + "\"}",
                "{\"id\": \"topp\", \"prompt\": \"x\", \"top_p\": 2.0}",
                "{\"id\": \"nothing\"}",
                "{\"id\": \"typed\", \"prompt\": \"x\", \"top_k\": \"many\"}",
                "[1, 2]",
                "{\"id\": \"good2\", \"prompt\": \"Once upon a time\", \"max_new_tokens\": 5}") + "\n");
        Path out = job("--prompts", jsonl.toString(), "--max-new-tokens", "10");
        Map<String, Row> g = generations(out);
        assertEquals(8, g.size(), g.keySet().toString());
        assertNull(g.get("good").getAs("error"));
        assertEquals(5, (int) g.get("good2").getAs("completion_tokens"));
        String name = jsonl.getFileName().toString();
        assertTrue(((String) g.get(name + ":2").getAs("error")).startsWith(name + ":2: malformed JSON"), () -> g.get(name + ":2").toString());
        assertTrue(((String) g.get("long").getAs("error")).contains("longer than the model's seq_len 128"));
        assertTrue(((String) g.get("topp").getAs("error")).contains("top_p=2.0 must be in [0, 1]"));
        assertEquals(name + ":5: missing field 'prompt'", g.get("nothing").getAs("error"));
        assertEquals(name + ":6: field 'top_k' must be an integer, got \"many\"", g.get("typed").getAs("error"));
        assertTrue(((String) g.get(name + ":7").getAs("error")).contains(name + ":7: expected a JSON object"));
        for (String id : List.of("long", "topp", "nothing", name + ":2")) {
            assertNull(g.get(id).getAs("completion"), id);
            assertNull(g.get(id).getAs("token_ids"), id);
        }
        JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals(8, run.at("/rows/total").asInt());
        assertEquals(6, run.at("/rows/failed").asInt());
    }

    @Test
    void outputAppearsOnlyWhenCompleteAndIsNeverOverwrittenByAccident() throws Exception {
        Path out = job("--prompts", "data/prompts.txt", "--max-new-tokens", "3");
        assertTrue(Files.exists(out.resolve("generations/_SUCCESS")));
        assertTrue(Files.exists(out.resolve("run.json")));
        JobOptions again = new JobOptions();
        new CommandLine(again).parseArgs("--model", Oracles.AIDREAMS260K.toString(), "--tokenizer",
                Oracles.AIDREAMS_TOKENIZER.toString(), "--prompts", "data/prompts.csv", "--out", out.toString());
        BadInputException e = assertThrows(BadInputException.class, () -> GenerateJob.execute(spark, again));
        assertEquals(out + ": output directory exists; choose another --out or pass --overwrite", e.getMessage());
        assertEquals(8, generations(out).size(), "the old output is untouched");

        new CommandLine(again).parseArgs("--model", Oracles.AIDREAMS260K.toString(), "--tokenizer",
                Oracles.AIDREAMS_TOKENIZER.toString(), "--prompts", "data/prompts.csv", "--out", out.toString(), "--overwrite",
                "--max-new-tokens", "3");
        GenerateJob.execute(spark, again);
        assertEquals(3, generations(out).size(), "replaced by the new run");

        // A failing run leaves neither the directory nor its staging area behind.
        Path never = dir.resolve("never");
        JobOptions failing = new JobOptions();
        new CommandLine(failing).parseArgs("--model", dir.resolve("missing.bin").toString(), "--tokenizer",
                Oracles.AIDREAMS_TOKENIZER.toString(), "--prompts", "data/prompts.csv", "--out", never.toString());
        BadInputException missing = assertThrows(BadInputException.class, () -> GenerateJob.execute(spark, failing));
        assertTrue(missing.getMessage().contains("no such model file"), missing.getMessage());
        assertFalse(Files.exists(never));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.contains("staging")).toList());
        }
    }

    @Test
    void stageTimingsAndTheClusterSummary() throws Exception {
        Path out = job("--prompts", "data", "--partitions", "3", "--max-new-tokens", "20");
        Dataset<Row> timings = spark.read().parquet(out.resolve("stage_timings").toString());
        List<Row> rows = timings.collectAsList();
        assertEquals(3, rows.stream().map(r -> (int) r.getAs("partition_id")).distinct().count());
        assertTrue(rows.stream().allMatch(r -> "driver".equals(r.getAs("executor_id"))));
        assertTrue(rows.stream().anyMatch(r -> "transformer_block.attention".equals(r.getAs("stage"))
                && "transformer_block.total".equals(r.getAs("parent")) && (int) r.getAs("level") == 4));
        for (Row r : rows) {
            assertTrue((double) r.getAs("min_ms") <= (double) r.getAs("max_ms"));
            assertTrue((double) r.getAs("max_ms") <= (double) r.getAs("total_ms") + 1e-9);
        }
        Map<String, Row> summary = Arrays.stream((Row[]) spark.read().parquet(out.resolve("stage_summary").toString()).collect())
                .collect(Collectors.toMap(r -> r.getAs("stage"), r -> r));
        assertEquals(100.0, (double) summary.get("generate.iteration").getAs("pct"), 1e-9);
        long layerCalls = rows.stream().filter(r -> "transformer_block.total".equals(r.getAs("stage")))
                .mapToLong(r -> r.getAs("calls")).sum();
        assertEquals(layerCalls, (long) summary.get("transformer_block.total").getAs("calls"));
        long iterations = summary.get("generate.iteration").getAs("calls");
        assertEquals(iterations * weights.config.layers(), layerCalls);
        double head = summary.get("llama.head").getAs("total_ms");
        double total = summary.get("llama.total").getAs("total_ms");
        assertTrue(head > 0 && head < total);

        JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals(19, run.at("/rows/total").asInt());
        assertEquals(19, run.at("/rows/ok").asInt());
        assertEquals("local[2]", run.at("/cluster/master").asText());
        assertEquals("aidreams260K.bin", run.at("/model/file").asText());
        assertEquals(3, run.at("/parameters/partitions").asInt());
        assertTrue(run.at("/tokens/completion").asLong() > 0);
        assertTrue(run.at("/tokens_per_second").asDouble() > 0);
        assertEquals("driver", run.at("/executors/0/executor_id").asText());
        assertEquals(run.at("/tokens/completion").asLong(), run.at("/executors/0/completion_tokens").asLong());
        assertNotNull(Stage.byLabel(summary.keySet().iterator().next()));
    }

    @Test
    void badOptionsAreOneLineBeforeSparkStarts() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = GenerateJob.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true),
                "--prompts", "data", "--model", "m.bin", "--tokenizer", "t.bin", "--batch-size", "0");
        assertEquals(2, code);
        assertEquals("llamaspark job: --batch-size: 0 must be >= 1", err.toString().strip());
        err.reset();
        code = GenerateJob.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true),
                "--defaults", "nope.properties");
        assertEquals(2, code);
        assertEquals("llamaspark job: nope.properties: no such job defaults file", err.toString().strip());
        Map<String, String> unused = new HashMap<>();
        assertTrue(unused.isEmpty());
    }
}
