package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import llamaspark.BadInputException;
import llamaspark.Oracles;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.CheckpointReader;
import llamaspark.model.KvPrecision;
import llamaspark.model.LlamaWeights;
import llamaspark.model.hf.Llama3Twin;
import llamaspark.model.quant.GgmlType;
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
        return jobOn(List.of("--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString()),
                args);
    }

    /** Runs the job with the model options {@code model} and {@code args}; returns the output directory. */
    private static Path jobOn(List<String> model, String... args) {
        Path out = dir.resolve("out" + runs++);
        List<String> all = new ArrayList<>(model);
        all.addAll(List.of("--out", out.toString()));
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
    void llama3AsHfDirectoryAndAsGgufGiveTheSameCompletions() throws Exception {
        // The same seeded Llama 3 shaped weights (BF16, untied, GQA, rope scaling with original context 64)
        // as a sharded Hugging Face directory and as a gpt2-vocabulary GGUF file.
        Llama3Twin twin = Llama3Twin.write(dir.resolve("llama3-twin"), GgmlType.BF16, false, 2, 41);
        Path prompts = write("llama3.jsonl", String.join("\n",
                "{\"id\": \"g1\", \"prompt\": \"Hello world\", \"temperature\": 0, \"max_new_tokens\": 90}",
                "{\"id\": \"g2\", \"prompt\": \"naïve café — 日本語 🙂\", \"temperature\": 0, \"max_new_tokens\": 70}",
                "{\"id\": \"p1\", \"prompt\": \"The quick brown fox\", \"temperature\": 1, \"top_p\": 0.9, \"seed\": 5, \"max_new_tokens\": 90}",
                "{\"id\": \"p2\", \"prompt\": \"def f(x):\\n\\treturn x\", \"temperature\": 0.8, \"top_p\": 0.95, \"seed\": 6, \"max_new_tokens\": 80}",
                "{\"id\": \"long\", \"prompt\": \"" + "word ".repeat(300) + "\", \"max_new_tokens\": 5}") + "\n");
        Path gguf = jobOn(List.of("--model", twin.gguf().toString()), "--prompts", prompts.toString(), "--partitions", "2",
                "--batch-size", "2");
        Path hf = jobOn(List.of("--model", twin.hfDir().toString()), "--prompts", prompts.toString(), "--partitions", "2",
                "--batch-size", "2");
        Map<String, Row> a = generations(gguf), b = generations(hf);
        assertEquals(5, a.size());
        assertEquals(a.keySet(), b.keySet());
        for (String id : List.of("g1", "g2", "p1", "p2")) {
            assertNull(a.get(id).getAs("error"), id);
            assertNull(b.get(id).getAs("error"), id);
            assertTrue(ids(a.get(id)).length > 60, id);
            assertArrayEquals(ids(a.get(id)), ids(b.get(id)), id);
            assertEquals((String) a.get(id).getAs("completion"), b.get(id).getAs("completion"), id);
            assertEquals((String) a.get(id).getAs("finish_reason"), b.get(id).getAs("finish_reason"), id);
        }
        assertTrue(((String) b.get("long").getAs("error")).contains("longer than the model's seq_len 256"),
                (String) b.get("long").getAs("error"));

        JsonNode run = new ObjectMapper().readTree(hf.resolve("run.json").toFile());
        assertEquals("hf", run.at("/model/format").asText());
        assertEquals(256, run.at("/model/context").asInt());
        assertEquals(16, run.at("/model/config/head_dim").asInt());
        assertEquals(21, run.at("/model/tensor_types/BF16").asInt());
        // The directory's digest is sha256sum's listing of its files, digested (README).
        Process p = new ProcessBuilder("sh", "-c", "LC_ALL=C sha256sum * | sha256sum").directory(twin.hfDir().toFile())
                .redirectErrorStream(true).start();
        String listing = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor());
        assertEquals(listing.split("\\s+")[0], run.at("/model/sha256").asText());
        assertEquals("gguf", new ObjectMapper().readTree(gguf.resolve("run.json").toFile()).at("/model/format").asText());

        JobOptions addFile = new JobOptions();
        new CommandLine(addFile).parseArgs("--model", twin.hfDir().toString(), "--model-from", "add-file",
                "--prompts", prompts.toString(), "--out", dir.resolve("never-hf").toString());
        BadInputException e = assertThrows(BadInputException.class, () -> GenerateJob.execute(spark, addFile));
        assertTrue(e.getMessage().contains("is a model directory: --model-from add-file ships single files"), e.getMessage());
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

    private static final String BAD = "src/test/resources/prompts-bad/";

    private static String error(Map<String, Row> g, String id) {
        assertTrue(g.containsKey(id), id + " in " + g.keySet());
        return g.get(id).getAs("error");
    }

    @Test
    void nonUtf8BytesAreErrorRowsNamingFileAndLine() {
        Map<String, Row> g = generations(job("--prompts", BAD + "non-utf8.txt," + BAD + "non-utf8.jsonl," + BAD + "non-utf8.csv",
                "--max-new-tokens", "3"));
        assertEquals(3 + 2 + 3, g.size(), g.keySet().toString());
        assertEquals("non-utf8.txt:2: not valid UTF-8: byte 0xFF at byte 9 of the line", error(g, "non-utf8.txt:2"));
        assertEquals("non-utf8.jsonl:2: not valid UTF-8: byte 0xE9 at byte 27 of the line", error(g, "non-utf8.jsonl:2"));
        assertEquals("non-utf8.csv:3: not valid UTF-8: byte 0xE9 at byte 5 of the line", error(g, "non-utf8.csv:3"));
        for (String ok : List.of("non-utf8.txt:1", "non-utf8.txt:3", "ok", "c1", "c3")) {
            assertNull(error(g, ok), ok);
        }
        assertTrue(g.values().stream().noneMatch(r -> r.getAs("prompt") != null && ((String) r.getAs("prompt")).contains("\uFFFD")));
    }

    @Test
    void misspeltFieldsAreErrorsWithTheClosestNameAndExtraColumnsAreIgnored() {
        Map<String, Row> g = generations(job("--prompts", BAD + "unknown-fields.jsonl", "--max-new-tokens", "3"));
        assertEquals("unknown-fields.jsonl:1: unknown field 'temprature'; did you mean 'temperature'?", error(g, "typo"));
        assertEquals("unknown-fields.jsonl:3: unknown field 'Top_P'; did you mean 'top_p'?", error(g, "case"));
        assertNull(error(g, "extra"), "a column far from every known name is metadata, not a typo");
        assertEquals("temperature", PromptFields.misspelled("temprature"));
        assertNull(PromptFields.misspelled("ix"), "two letters are too short to call a typo");
        assertEquals(3, PromptFields.levenshtein("kitten", "sitting"));
    }

    /**
     * A small one-split file is marked in one pass (no shuffle): the same duplicate_of as the
     * window over id gives, every later occurrence naming the first; a file in several splits
     * is not read as in order.
     */
    @Test
    void duplicatesMarkedInOrderAsTheWindowMarksThem(@TempDir Path dir) throws Exception {
        String[] ids = {"a", "b", "a", "c", "b", "a", "d", "e", "e"};
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            jsonl.append("{\"id\": \"").append(ids[i]).append("\", \"prompt\": \"p").append(i).append("\"}\n");
        }
        Path file = dir.resolve("dups.jsonl");
        Files.writeString(file, jsonl);
        PromptSource.Prompts prompts = PromptSource.prompts(spark, List.of(file.toString()), false);
        assertTrue(prompts.inOrder(), "one small split");
        Function<Dataset<Row>, Map<String, String>> bySource = d -> d.collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getAs("source"), r -> String.valueOf((Object) r.getAs("duplicate_of"))));
        Map<String, String> inOrder = bySource.apply(GenerateJob.markDuplicatesInOrder(prompts.rows()));
        assertEquals(bySource.apply(GenerateJob.markDuplicates(prompts.rows(), false)), inOrder);
        assertEquals(Map.of("dups.jsonl:1", "null", "dups.jsonl:2", "null", "dups.jsonl:3", "dups.jsonl:1",
                "dups.jsonl:4", "null", "dups.jsonl:5", "dups.jsonl:2", "dups.jsonl:6", "dups.jsonl:1",
                "dups.jsonl:7", "null", "dups.jsonl:8", "null", "dups.jsonl:9", "dups.jsonl:8"), inOrder);
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        String key = "mapreduce.input.fileinputformat.split.maxsize";
        String before = conf.get(key);
        conf.set(key, "100");
        try {
            assertFalse(PromptSource.prompts(spark, List.of(file.toString()), false).inOrder(), "several splits");
        } finally {
            if (before == null) {
                conf.unset(key);
            } else {
                conf.set(key, before);
            }
        }
    }

    @Test
    void duplicateIdsRunOnceAndLaterOnesNameTheFirst() throws Exception {
        Path out = job("--prompts", BAD + "duplicate-ids.jsonl", "--max-new-tokens", "3");
        List<Row> rows = spark.read().parquet(out.resolve("generations").toString()).collectAsList();
        assertEquals(3, rows.size());
        List<Row> a = rows.stream().filter(r -> "a".equals(r.getAs("id"))).toList();
        assertEquals(2, a.size());
        Row first = a.stream().filter(r -> r.getAs("error") == null).findFirst().orElseThrow();
        assertEquals("duplicate-ids.jsonl:1", first.getAs("source"));
        assertEquals("Once upon a time", first.getAs("prompt"));
        Row later = a.stream().filter(r -> r.getAs("error") != null).findFirst().orElseThrow();
        assertEquals("duplicate-ids.jsonl:3: duplicate id 'a'; its first occurrence, at duplicate-ids.jsonl:1, runs",
                later.getAs("error"));
        JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals(1, run.at("/rows/duplicates").asInt());
        assertEquals(1, run.at("/rows/failed").asInt());
    }

    @Test
    void parquetFilesWithDifferentSchemasEachRunTheirReadableRows() throws Exception {
        Path mixed = dir.resolve("mixed");
        Files.createDirectories(mixed);
        writeParquet(mixed.resolve("a.parquet"), List.of(org.apache.spark.sql.RowFactory.create(1, "Once upon a time", 0.0)),
                new org.apache.spark.sql.types.StructType().add("id", "int").add("prompt", "string").add("temperature", "double"));
        writeParquet(mixed.resolve("b.parquet"), List.of(org.apache.spark.sql.RowFactory.create("two", "I dream of", "a note"),
                        org.apache.spark.sql.RowFactory.create("three", "The end", null)),
                new org.apache.spark.sql.types.StructType().add("id", "string").add("prompt", "string").add("note", "string"));
        writeParquet(mixed.resolve("c.parquet"), List.of(org.apache.spark.sql.RowFactory.create("four", 5L, "hot"),
                        org.apache.spark.sql.RowFactory.create("five", 6L, null)),
                new org.apache.spark.sql.types.StructType().add("id", "string").add("prompt", "long").add("top_k", "string"));
        Map<String, Row> g = generations(job("--prompts", mixed.toString(), "--max-new-tokens", "3"));
        assertEquals(Set.of("1", "two", "three", "four", "five"), g.keySet());
        assertNull(error(g, "1"));
        assertEquals(0.0f, (float) g.get("1").getAs("temperature"));
        assertNull(error(g, "two"));
        assertNull(error(g, "three"));
        assertEquals("c.parquet:1: field 'prompt' must be a string, got 5", error(g, "four"));
        assertEquals("c.parquet:2: field 'prompt' must be a string, got 6", error(g, "five"));
    }

    @Test
    void linesKeepTheirNumbersWhenAFileSpansManySplits() throws Exception {
        // 400 lines of mixed length in ~1 KB splits: a line's number comes from the count of the
        // splits before it (a file of one split skips that count and starts at line 1).
        Path multi = Files.createDirectories(dir.resolve("multi-split"));
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 400; i++) {
            text.append("line ").append(i).append(" ").append("x".repeat(i % 37)).append('\n');
        }
        Files.writeString(multi.resolve("many.txt"), text);
        Files.writeString(multi.resolve("one.txt"), "alpha\nbeta\n");
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        String key = "mapreduce.input.fileinputformat.split.maxsize";
        String before = conf.get(key);
        conf.set(key, "1000");
        try {
            Dataset<Row> read = PromptSource.read(spark, List.of(multi.toString()));
            assertTrue(read.rdd().getNumPartitions() > 10, "many splits");
            Map<String, String> promptBySource = read.collectAsList().stream()
                    .collect(Collectors.toMap(r -> r.getAs("source"), r -> r.getAs("prompt")));
            assertEquals(402, promptBySource.size());
            for (int i = 1; i <= 400; i++) {
                assertEquals("line " + i + " " + "x".repeat(i % 37), promptBySource.get("many.txt:" + i));
            }
            assertEquals("beta", promptBySource.get("one.txt:2"));
        } finally {
            if (before == null) {
                conf.unset(key);
            } else {
                conf.set(key, before);
            }
        }
    }

    /** One Parquet file at {@code file}, written by Spark (which writes a directory of parts). */
    private static void writeParquet(Path file, List<Row> rows, org.apache.spark.sql.types.StructType schema) throws Exception {
        Path tmp = dir.resolve("tmp-" + file.getFileName());
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(tmp.toString());
        try (Stream<Path> parts = Files.list(tmp)) {
            Files.move(parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow(), file);
        }
    }

    @Test
    void noPromptsAtAllIsAnError() {
        BadInputException e = assertThrows(BadInputException.class, () -> job("--prompts", BAD + "blank.txt"));
        assertEquals(BAD + "blank.txt: holds no prompts (every file is empty or blank)", e.getMessage());
    }

    @Test
    void outputLocationIsCheckedBeforeGenerating() {
        Path missing = dir.resolve("no-such-parent").resolve("out");
        BadInputException e = assertThrows(BadInputException.class, () -> GenerateJob.execute(spark,
                options("--prompts", "data/prompts.txt", "--out", missing.toString())));
        assertEquals(missing + ": the parent directory file:" + missing.getParent() + " does not exist", e.getMessage());
        // /proc is a read-only mount on Linux.
        BadInputException ro = assertThrows(BadInputException.class, () -> GenerateJob.execute(spark,
                options("--prompts", "data/prompts.txt", "--out", "/proc/llamaspark-out")));
        assertTrue(ro.getMessage().startsWith("/proc/llamaspark-out: cannot write in file:/proc: "), ro.getMessage());
        assertEquals(1, ro.getMessage().lines().count());
    }

    @Test
    void maxErrorRateFailsTheRunAfterWritingEverything() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path out = dir.resolve("rate");
        JobResult r = GenerateJob.execute(spark, options("--prompts", BAD + "unknown-fields.jsonl", "--out", out.toString(),
                "--max-new-tokens", "3"));
        assertTrue(Files.exists(out.resolve("generations/_SUCCESS")));
        assertTrue(GenerateJob.errorRateExceeded(r, 0.5, new PrintStream(err, true)));
        String[] lines = err.toString().split("\\R");
        assertEquals("llamaspark job: 2 of 3 rows failed (66.7%, more than --max-error-rate 0.5); everything is written to "
                + r.outDir() + "; the first errors:", lines[0]);
        assertEquals(3, lines.length);
        assertTrue(lines[1].startsWith("  unknown-fields.jsonl:"), lines[1]);
        assertFalse(GenerateJob.errorRateExceeded(r, 0.7, new PrintStream(new ByteArrayOutputStream())));
    }

    private static JobOptions options(String... args) {
        List<String> all = new ArrayList<>(List.of("--model", Oracles.AIDREAMS260K.toString(),
                "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString()));
        all.addAll(List.of(args));
        JobOptions o = new JobOptions();
        new CommandLine(o).parseArgs(all.toArray(String[]::new));
        return o;
    }

    @Test
    void aRerunResumesFromTheRowsAnEarlierAttemptFinished() throws Exception {
        String[] common = {"--prompts", "data", "--max-new-tokens", "20", "--partitions", "2"};
        Map<String, Row> clean = generations(job(common));

        // What a killed attempt at `out` leaves: its manifest, 7 journalled rows, a half-written
        // chunk and a staging directory.
        Path out = dir.resolve("resumed");
        List<String> args = new ArrayList<>(List.of(common));
        args.addAll(List.of("--out", out.toString()));
        JobOptions o = options(args.toArray(String[]::new));
        ModelRef ref = ModelRef.create(spark.sparkContext(), o.model);
        WorkDir work = WorkDir.open(spark.sparkContext().hadoopConfiguration(), out.toString(),
                WorkDir.manifest(ref, o.jobDefaults()), false);
        Map<String, String> hashes = PromptSource.read(spark, List.of("data")).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r.getAs("input_hash")));
        List<String> ids = clean.keySet().stream().sorted().toList();
        RowJournal journal = new RowJournal(new RowJournal.Spec(work.chunks().toString(), 3, 60_000), 0, 99);
        for (String id : ids.subList(0, 7)) {
            journal.add(clean.get(id), hashes.get(id));
        }
        journal.close();
        Path workDir = Path.of(java.net.URI.create(work.path()));
        Files.writeString(workDir.resolve("chunks/.part-00001-98-000000.jsonl.tmp"), "{\"id\": \"half");
        Files.createDirectories(dir.resolve(".resumed.staging-old/generations"));

        JobResult r = GenerateJob.execute(spark, o);
        assertEquals(7, r.counts().reused());
        assertEquals(clean.size() - 7, r.counts().generated());
        Map<String, Row> resumed = generations(out);
        assertEquals(clean.keySet(), resumed.keySet());
        for (String id : ids) {
            assertArrayEquals(ids(clean.get(id)), ids(resumed.get(id)), id);
            assertEquals((String) clean.get(id).getAs("completion"), resumed.get(id).getAs("completion"), id);
            assertEquals((long) clean.get(id).getAs("seed"), (long) resumed.get(id).getAs("seed"), id);
        }
        JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals(7, run.at("/rows/reused").asInt());
        assertEquals(clean.size() - 7, run.at("/rows/generated").asInt());
        assertFalse(Files.exists(workDir), "the work directory goes once DIR is complete");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".resumed")).toList());
        }
    }

    @Test
    void aResumeWithOtherParametersIsRefusedUnlessFresh() throws Exception {
        Path out = dir.resolve("refused");
        JobOptions earlier = options("--prompts", "data/prompts.txt", "--out", out.toString(), "--max-new-tokens", "3");
        ModelRef ref = ModelRef.create(spark.sparkContext(), earlier.model);
        WorkDir.open(spark.sparkContext().hadoopConfiguration(), out.toString(),
                WorkDir.manifest(ref, earlier.jobDefaults()), false);
        JobOptions other = options("--prompts", "data/prompts.txt", "--out", out.toString(), "--max-new-tokens", "3",
                "--temperature", "0.5");
        BadInputException e = assertThrows(BadInputException.class, () -> GenerateJob.execute(spark, other));
        assertTrue(e.getMessage().startsWith(out + ": an unfinished earlier run at this --out ("), e.getMessage());
        assertTrue(e.getMessage().contains(" used a different temperature (1.0, now 0.5); rerun with its model and parameters "
                + "to resume it, or pass --fresh to discard its 0 chunk(s) of finished rows"), e.getMessage());
        assertFalse(Files.exists(out));
        JobOptions fresh = options("--prompts", "data/prompts.txt", "--out", out.toString(), "--max-new-tokens", "3",
                "--temperature", "0.5", "--fresh");
        assertEquals(8, GenerateJob.execute(spark, fresh).counts().generated());
    }

    @Test
    void aHalfCacheJobGivesTheEnginesTokensAndResumesOnlyWithIt() throws Exception {
        Path out = job("--prompts", "data/prompts.txt", "--max-new-tokens", "24", "--kv-cache", "f16");
        Map<String, Row> g = generations(out);
        assertEquals(8, g.size());
        for (Row r : g.values()) {
            GenerationRequest req = new GenerationRequest(r.getAs("id"), r.getAs("prompt"),
                    new SamplingParams(r.getAs("temperature"), r.getAs("top_p"), r.getAs("top_k"), r.getAs("min_p"), r.getAs("seed")),
                    r.getAs("max_new_tokens"), List.of());
            List<GenerationResult> alone = new ArrayList<>();
            BatchGenerator.create(weights, tokenizer, GeneratorOptions.of(Backend.parse(Backend.DEFAULT_NAME), 1).withKvCache(KvPrecision.F16),
                    StageProfile.disabled()).run(List.of(req).iterator(), alone::add);
            assertArrayEquals(alone.get(0).completionTokens(), ids(r), (String) r.getAs("id"));
        }
        assertEquals("f16", new ObjectMapper().readTree(out.resolve("run.json").toFile()).at("/parameters/kv_cache").asText());

        // A work directory's manifest names the cache; one written before the option existed was float32's.
        JobOptions o = options("--prompts", "data/prompts.txt", "--kv-cache", "f16");
        Map<String, Object> half = WorkDir.manifest(ModelRef.create(spark.sparkContext(), o.model), o.jobDefaults());
        assertEquals("f16", half.get("kv_cache"));
        Map<String, Object> older = new java.util.LinkedHashMap<>(half);
        older.remove("kv_cache");
        assertEquals(List.of("a different kv_cache (f32, now f16)"), WorkDir.differences(older, half));
        Map<String, Object> float32 = new java.util.LinkedHashMap<>(half);
        float32.put("kv_cache", "f32");
        assertEquals(List.of(), WorkDir.differences(older, float32));
    }

    private static final Path Q8_GGUF = Oracles.DIR.resolve("gguf/aidreams260K-q8_0.gguf");
    private static final Path F32_GGUF = Oracles.DIR.resolve("gguf/aidreams260K-f32.gguf");

    /** SHA-256 by coreutils' sha256sum, not by the project. */
    private static String sha256sum(Path file) throws Exception {
        Process p = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.split("\\s+")[0];
    }

    /** llama.cpp's greedy ids for an aidreams260K GGUF oracle. */
    private static int[] llamaCppIds(String file) throws Exception {
        for (String line : Files.readAllLines(Oracles.DIR.resolve("gguf").resolve(file))) {
            if (line.startsWith("generated_ids: ")) {
                return Arrays.stream(line.substring(15).trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            }
        }
        throw new AssertionError("no generated_ids in " + file);
    }

    @Test
    void ggufJobNeedsNoTokenizerAndGivesTheTokensOfTheBinAndOfLlamaCpp() throws Exception {
        Path greedy = write("greedy.jsonl", "{\"id\": \"once\", \"prompt\": \"Once upon a time\", \"temperature\": 0, \"max_new_tokens\": 64}\n"
                + "{\"id\": \"bos\", \"prompt\": \"\", \"temperature\": 0, \"max_new_tokens\": 64}\n");
        Map<String, Row> bin = generations(job("--prompts", greedy.toString()));
        Map<String, Row> q8 = generations(jobOn(List.of("--model", Q8_GGUF.toString()), "--prompts", greedy.toString(),
                "--partitions", "2"));
        String[][] oracles = {{"once", "llamacpp-aidreams260K-q8_0-once_upon_a_time.txt"}, {"bos", "llamacpp-aidreams260K-q8_0-bos_only.txt"}};
        for (String[] o : oracles) {
            assertNull(q8.get(o[0]).getAs("error"), o[0]);
            assertArrayEquals(ids(bin.get(o[0])), ids(q8.get(o[0])), o[0]);
            assertEquals((String) bin.get(o[0]).getAs("completion"), q8.get(o[0]).getAs("completion"), o[0]);
            // llama.cpp does not stop at EOS; the job does: its ids are llama.cpp's up to and with the first EOS.
            int[] cpp = llamaCppIds(o[1]);
            int[] got = ids(q8.get(o[0]));
            assertArrayEquals(Arrays.copyOf(cpp, got.length), got, o[0]);
            assertTrue(got.length == 64 || got[got.length - 1] == 2, o[0]);
        }
        assertEquals("aidreams260K-q8_0.gguf", q8.get("once").getAs("model"));
        assertEquals(sha256sum(Q8_GGUF), q8.get("once").getAs("model_sha256"));

        // The F32 file holds the .bin's weights: every sample prompt, sampled ones included, gives the same tokens.
        Map<String, Row> a = generations(job("--prompts", "data/prompts.jsonl"));
        Map<String, Row> b = generations(jobOn(List.of("--model", F32_GGUF.toString(), "--tokenizer", "ignored-for-gguf"),
                "--prompts", "data/prompts.jsonl"));
        assertEquals(a.keySet(), b.keySet());
        for (String id : a.keySet()) {
            assertArrayEquals(ids(a.get(id)), ids(b.get(id)), id);
            assertEquals((String) a.get(id).getAs("completion"), b.get(id).getAs("completion"), id);
        }
    }

    @Test
    void ggufModelIsOpenedOncePerJvmAndRunJsonSaysWhatItWas() throws Exception {
        JsonNode first = null;
        for (int i = 0; i < 2; i++) {
            Path out = jobOn(List.of("--model", Q8_GGUF.toString()), "--prompts", "data/prompts.txt", "--partitions", "3",
                    "--max-new-tokens", "5");
            JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
            assertEquals(3, run.at("/parameters/partitions").asInt());
            for (JsonNode e : run.get("executors")) {
                assertEquals(1, e.get("model_materialisations").asInt(), "three tasks, two jobs, one open: " + e);
                if (llamaspark.model.kernel.HugePagesTest.kernelAllowsThem()) { // this JVM, the local executor, runs with -XX:+UseTransparentHugePages
                    assertTrue(e.get("huge_pages_mb").asLong() > 0, e::toString);
                }
                assertEquals("path", e.at("/model_load/fetched").asText());
                assertTrue(e.at("/model_load/open_seconds").asDouble() > 0, e::toString);
            }
            if (first == null) {
                first = run;
            }
        }
        JsonNode m = first.get("model");
        assertEquals("gguf", m.get("format").asText());
        assertEquals(Q8_GGUF.toString(), m.get("path").asText());
        assertEquals("aidreams260K-q8_0.gguf", m.get("file").asText());
        assertEquals(Files.size(Q8_GGUF), m.get("size_bytes").asLong());
        assertEquals(sha256sum(Q8_GGUF), m.get("sha256").asText());
        assertEquals("path", m.get("delivery").asText());
        assertTrue(m.get("tokenizer").isNull(), "a GGUF file carries its vocabulary");
        // The oracle README: norms and the four ffn_down tensors stay F32, the other 26 weights are Q8_0.
        assertEquals(13, m.at("/tensor_types/F32").asInt(), m.toString());
        assertEquals(26, m.at("/tensor_types/Q8_0").asInt(), m.toString());
        assertEquals(64, m.at("/config/dim").asInt());
        assertEquals(512, m.at("/config/vocab_size").asInt());
        assertEquals(128, m.at("/config/seq_len").asInt());
    }

    @Test
    void aHadoopUriIsCopiedOncePerHostCheckedAndADamagedCopyIsReplaced() throws Exception {
        Path remote = Files.createDirectories(dir.resolve("remote")).resolve("aidreams260K-q8_0.gguf");
        Files.copy(Q8_GGUF, remote);
        Path cache = dir.resolve("model-cache");
        // ejml: a (model, backend) this JVM has not opened yet, so the executor fetches it too.
        List<String> model = List.of("--model", remote.toUri().toString(), "--model-cache-dir", cache.toString(),
                "--backend", "ejml");
        int copiedBefore = HostCopy.COPIED.get();
        JsonNode run = new ObjectMapper().readTree(jobOn(model, "--prompts", "data/prompts.txt", "--max-new-tokens", "5")
                .resolve("run.json").toFile());
        String sha = sha256sum(Q8_GGUF);
        Path copy = cache.resolve(sha).resolve("aidreams260K-q8_0.gguf");
        assertEquals(sha, sha256sum(copy));
        assertEquals("copy", run.at("/model/delivery").asText());
        assertEquals(remote.toUri().toString(), run.at("/model/path").asText());
        assertEquals("copied", run.at("/model/driver_copy").asText());
        assertEquals(Files.size(Q8_GGUF), run.at("/model/size_bytes").asLong());
        assertEquals(8, run.at("/rows/ok").asInt());
        JsonNode e = run.at("/executors/0");
        assertEquals("reused copy", e.at("/model_load/fetched").asText(), "the driver's host copy serves the executor on its host");
        assertEquals(1, HostCopy.COPIED.get() - copiedBefore, "one copy on this host");
        assertEquals(1, e.get("model_materialisations").asInt());

        // A damaged copy (same size, one byte changed) is found by its SHA-256 and replaced.
        byte[] bytes = Files.readAllBytes(copy);
        bytes[bytes.length / 2] ^= 1;
        Files.write(copy, bytes);
        run = new ObjectMapper().readTree(jobOn(model, "--prompts", "data/prompts.txt", "--max-new-tokens", "5")
                .resolve("run.json").toFile());
        assertEquals("replaced copy", run.at("/model/driver_copy").asText());
        assertEquals(sha, sha256sum(copy));
        run = new ObjectMapper().readTree(jobOn(model, "--prompts", "data/prompts.txt", "--max-new-tokens", "5")
                .resolve("run.json").toFile());
        assertEquals("reused copy", run.at("/model/driver_copy").asText());
        assertEquals(1, HostCopy.COPIED.get() - copiedBefore, "still one copy");
    }

    @Test
    void addFileShipsTheModelAndTheTokenizerThroughSpark() throws Exception {
        // ejml on the .bin: a (model, backend) no other test opens, so this job's executor fetches it.
        Path out = jobOn(List.of("--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--model-from", "add-file", "--backend", "ejml"), "--prompts", "data/prompts.txt", "--max-new-tokens", "5");
        JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals("add-file", run.at("/model/delivery").asText());
        assertEquals("llama2.c", run.at("/model/format").asText());
        assertEquals(4 * 9 + 2, run.at("/model/tensor_types/F32").asInt(), "4 layers x 9, the embedding (shared with the classifier), the final norm");
        assertEquals(sha256sum(Oracles.AIDREAMS_TOKENIZER), run.at("/model/tokenizer_sha256").asText());
        assertEquals("add-file", run.at("/executors/0/model_load/fetched").asText());
        assertEquals(8, run.at("/rows/ok").asInt());
    }

    @Test
    void badModelFilesAreOneLineThroughMainBeforeAnySparkTask() throws Exception {
        java.util.concurrent.atomic.AtomicInteger tasks = new java.util.concurrent.atomic.AtomicInteger();
        spark.sparkContext().addSparkListener(new org.apache.spark.scheduler.SparkListener() {
            @Override
            public void onTaskStart(org.apache.spark.scheduler.SparkListenerTaskStart start) {
                tasks.incrementAndGet();
            }
        });
        byte[] gguf = Files.readAllBytes(Q8_GGUF);
        Path truncated = write("truncated.gguf", "");
        Files.write(truncated, Arrays.copyOf(gguf, 1000));
        Path version = write("version.gguf", "");
        byte[] v9 = gguf.clone();
        v9[4] = 9;
        Files.write(version, v9);
        Path shortData = write("short-data.gguf", "");
        Files.write(shortData, Arrays.copyOf(gguf, gguf.length - 100));
        String[][] cases = {
            {truncated.toString(), truncated + ": truncated"},
            {shortData.toString(), shortData + ": tensor '"},
            {version.toString(), version + ": unsupported GGUF version 9, expected 2 or 3"},
            {Oracles.AIDREAMS260K.toString(), "--tokenizer: no tokenizer given (only GGUF files carry their own)"},
        };
        for (String[] c : cases) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = GenerateJob.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true),
                    "--prompts", "data", "--model", c[0], "--out", dir.resolve("never-" + runs++).toString());
            assertEquals(2, code, c[0]);
            String line = err.toString(StandardCharsets.UTF_8).strip();
            assertTrue(line.startsWith("llamaspark job: " + c[1]), line);
            assertEquals(1, line.lines().count(), line);
            assertTrue(!c[0].equals(shortData.toString()) || line.contains("past the end of the file"), line);
        }
        assertFalse(spark.sparkContext().isStopped(), "no session was started (nor this one stopped)");
        Thread.sleep(200); // the listener bus is asynchronous
        assertEquals(0, tasks.get(), "no Spark task ran");
    }

    /** The aidreams260K GGUF (llama.cpp's) with Zephyr's chat template added. */
    private static Path zephyrGguf() throws Exception {
        Path p = dir.resolve("zephyr.gguf");
        if (!Files.exists(p)) {
            ChatGguf.withTemplate(F32_GGUF, ChatAndBatchRowsTest.template("zephyr"), p);
        }
        return p;
    }

    private static String json(Object o) throws Exception {
        return new ObjectMapper().writeValueAsString(o);
    }

    @Test
    void messagesRowsAreRenderedWithTheModelsChatTemplate() throws Exception {
        List<llamaspark.chat.ChatMessage> chat = List.of(new llamaspark.chat.ChatMessage("system", "Tell stories."),
                new llamaspark.chat.ChatMessage("user", "Once upon a time"));
        List<Map<String, String>> messages = chat.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList();
        String zephyr = ChatAndBatchRowsTest.template("zephyr");
        String rendered = ChatAndBatchRowsTest.jinja(zephyr, chat, true, "<s>", "</s>");
        String renderedNoGen = ChatAndBatchRowsTest.jinja(zephyr, chat, false, "<s>", "</s>");
        String greedy = ", \"temperature\": 0, \"max_new_tokens\": 40}";
        Path in = write("chat.jsonl", String.join("\n",
                "{\"id\": \"chat\", \"messages\": " + json(messages) + greedy,
                "{\"id\": \"text\", \"prompt\": " + json(rendered) + greedy,
                "{\"id\": \"nogen\", \"add_generation_prompt\": false, \"messages\": " + json(messages) + greedy,
                "{\"id\": \"both\", \"prompt\": \"x\", \"messages\": " + json(messages) + "}"));
        Path parquetDir = dir.resolve("chat-parquet");
        Files.createDirectories(parquetDir);
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType().add("id", "string")
                .add("messages", org.apache.spark.sql.types.DataTypes.createArrayType(new org.apache.spark.sql.types.StructType()
                        .add("role", "string").add("content", "string"))).add("temperature", "float").add("max_new_tokens", "int");
        writeParquet(parquetDir.resolve("m.parquet"), List.of(org.apache.spark.sql.RowFactory.create("pq",
                chat.stream().map(m -> org.apache.spark.sql.RowFactory.create(m.role(), m.content())).toList(), 0f, 40)), schema);
        Map<String, Row> g = generations(jobOn(List.of("--model", zephyrGguf().toString()),
                "--prompts", in + "," + parquetDir, "--partitions", "2"));
        assertNull(g.get("chat").getAs("error"));
        assertEquals(rendered, g.get("chat").getAs("prompt"), "the row records the text its messages rendered to");
        assertEquals(renderedNoGen, g.get("nogen").getAs("prompt"));
        assertTrue(ids(g.get("chat")).length > 0);
        assertArrayEquals(ids(g.get("text")), ids(g.get("chat")), "greedy: as a prompt row holding the rendered text");
        assertEquals((int) g.get("text").getAs("prompt_tokens"), (int) g.get("chat").getAs("prompt_tokens"));
        assertEquals((String) g.get("text").getAs("completion"), g.get("chat").getAs("completion"));
        assertNull(g.get("pq").getAs("error"));
        assertArrayEquals(ids(g.get("chat")), ids(g.get("pq")), "a Parquet messages column reads alike");
        assertEquals(in.getFileName() + ":4: has both 'prompt' and 'messages'; give one of them", g.get("both").getAs("error"));

        // A model without a chat template: the messages rows are error rows, the others run.
        Map<String, Row> plain = generations(jobOn(List.of("--model", F32_GGUF.toString()), "--prompts", in.toString()));
        assertTrue(((String) plain.get("chat").getAs("error")).startsWith(in.getFileName()
                + ":1: field 'messages' needs a chat template, and the model has none"), (String) plain.get("chat").getAs("error"));
        assertNull(plain.get("text").getAs("error"));
    }

    @Test
    void openAiBatchFileRoundTripsThroughTheJob() throws Exception {
        String post = "\"method\": \"POST\", \"url\": ";
        String chat = "[{\"role\": \"user\", \"content\": \"Once upon a time\"}]";
        Path in = write("requests.jsonl", String.join("\n",
                "{\"custom_id\": \"c-text\", " + post + "\"/v1/completions\", \"body\": {\"model\": \"gpt-3.5-turbo-instruct\", "
                        + "\"prompt\": \"Once upon a time\", \"max_tokens\": 20, \"temperature\": 0}}",
                "{\"custom_id\": \"c-chat\", " + post + "\"/v1/chat/completions\", \"body\": {\"messages\": " + chat
                        + ", \"max_completion_tokens\": 20, \"temperature\": 0, \"stop\": [\"zzz\"]}}",
                "{\"custom_id\": \"c-n3\", " + post + "\"/v1/completions\", \"body\": {\"prompt\": \"The cat\", \"max_tokens\": 12, "
                        + "\"temperature\": 1, \"top_p\": 1, \"seed\": 5, \"n\": 3}}",
                "{\"custom_id\": \"c-text\", " + post + "\"/v1/completions\", \"body\": {\"prompt\": \"again\"}}",
                "{\"custom_id\": \"c-embed\", " + post + "\"/v1/embeddings\", \"body\": {\"input\": \"x\"}}",
                "",
                "{\"custom_id\": \"c-noprompt\", " + post + "\"/v1/completions\", \"body\": {\"max_tokens\": 3}}",
                "{\"custom_id\": \"c-broken\", " + post,
                "{\"custom_id\": \"c-chat2\", " + post + "\"/v1/chat/completions\", \"body\": {\"messages\": " + chat
                        + ", \"max_tokens\": 8, \"n\": 2}}"));
        Path out = jobOn(List.of("--model", zephyrGguf().toString()), "--prompts", in.toString(), "--partitions", "3",
                "--input-format", "openai-batch", "--output-format", "openai-batch");
        // By id; the later duplicate of c-text shares its id (its error row is checked in the file below).
        Map<String, Row> g = Arrays.stream((Row[]) spark.read().parquet(out.resolve("generations").toString()).collect())
                .collect(Collectors.toMap(r -> r.getAs("id"), r -> r, (a, b) -> a.getAs("error") == null ? a : b));
        List<String> lines = Files.readAllLines(out.resolve("openai-batch.jsonl"), StandardCharsets.UTF_8);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> o = new ArrayList<>();
        for (String line : lines) {
            o.add(json.readTree(line)); // each line parses as JSON
        }
        List<String> customIds = o.stream().map(n -> n.get("custom_id").isNull() ? null : n.get("custom_id").asText()).toList();
        assertEquals(Arrays.asList("c-text", "c-chat", "c-n3", "c-text", "c-embed", "c-noprompt", null, "c-chat2"), customIds,
                "one line per request, in input order; a line whose JSON is broken has no custom_id");
        for (JsonNode n : o) {
            List<String> fields = new ArrayList<>();
            n.fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("id", "custom_id", "response", "error"), fields, n::toString);
            assertTrue(n.get("id").asText().startsWith("batch_req_"), n::toString);
            assertTrue(n.get("response").isNull() != n.get("error").isNull(), n::toString);
        }
        assertEquals(8, o.stream().map(n -> n.get("id").asText()).distinct().count(), "ids are distinct");

        String[] okIds = {"c-text", "c-chat", "c-n3", "c-chat2"};
        int[] okLines = {0, 1, 2, 7};
        int[] n = {1, 1, 3, 2};
        for (int k = 0; k < okIds.length; k++) {
            JsonNode r = o.get(okLines[k]);
            assertEquals(200, r.at("/response/status_code").asInt(), r::toString);
            JsonNode body = r.at("/response/body");
            boolean isChat = okIds[k].startsWith("c-chat");
            assertEquals(isChat ? "chat.completion" : "text_completion", body.get("object").asText());
            assertEquals(n[k], body.get("choices").size(), okIds[k]);
            long prompt = 0, completion = 0;
            for (int i = 0; i < n[k]; i++) {
                Row row = g.get(n[k] == 1 ? okIds[k] : okIds[k] + "#" + i);
                assertNull(row.getAs("error"));
                JsonNode c = body.get("choices").get(i);
                assertEquals(i, c.get("index").asInt());
                assertEquals((String) row.getAs("completion"), isChat ? c.at("/message/content").asText() : c.get("text").asText());
                if (isChat) {
                    assertEquals("assistant", c.at("/message/role").asText());
                }
                String ours = row.getAs("finish_reason");
                assertEquals(ours.equals("length") ? "length" : "stop", c.get("finish_reason").asText());
                prompt = (int) row.getAs("prompt_tokens");
                completion += (int) row.getAs("completion_tokens");
            }
            assertEquals(prompt, body.at("/usage/prompt_tokens").asLong(), okIds[k]);
            assertEquals(completion, body.at("/usage/completion_tokens").asLong(), okIds[k]);
            assertEquals(prompt + completion, body.at("/usage/total_tokens").asLong(), okIds[k]);
        }
        assertEquals("gpt-3.5-turbo-instruct", o.get(0).at("/response/body/model").asText(), "body.model is recorded");
        assertEquals("zephyr.gguf", o.get(1).at("/response/body/model").asText());
        // n = 3 with a seed: seeds 5, 6, 7; without one: derived per choice, distinct.
        assertEquals(List.of(5L, 6L, 7L), List.of(g.get("c-n3#0").<Long>getAs("seed"), g.get("c-n3#1").<Long>getAs("seed"),
                g.get("c-n3#2").<Long>getAs("seed")));
        assertNotEquals(g.get("c-chat2#0").<Long>getAs("seed"), g.get("c-chat2#1").<Long>getAs("seed"));
        // The chat request's prompt is the model's template rendered (as @huggingface/jinja renders it).
        assertEquals(ChatAndBatchRowsTest.jinja(ChatAndBatchRowsTest.template("zephyr"),
                List.of(new llamaspark.chat.ChatMessage("user", "Once upon a time")), true, "<s>", "</s>"), g.get("c-chat").getAs("prompt"));

        String name = in.getFileName().toString();
        String[][] errors = {
            {"3", "duplicate_custom_id", name + ":4: duplicate custom_id 'c-text'; its first occurrence, at " + name + ":1, runs"},
            {"4", "invalid_request", name + ":5: field 'url' is \"/v1/embeddings\"; supported: /v1/completions, /v1/chat/completions"},
            {"5", "invalid_request", name + ":7: missing field 'body.prompt'"},
        };
        for (String[] e : errors) {
            JsonNode r = o.get(Integer.parseInt(e[0]));
            assertTrue(r.get("response").isNull());
            assertEquals(e[1], r.at("/error/code").asText(), r::toString);
            assertEquals(e[2], r.at("/error/message").asText());
        }
        assertEquals("invalid_request", o.get(6).at("/error/code").asText());
        assertTrue(o.get(6).at("/error/message").asText().startsWith(name + ":8: malformed JSON: "), o.get(6)::toString);
        // The Parquet: one row per choice, an error row per failed request.
        assertEquals(11, spark.read().parquet(out.resolve("generations").toString()).count());
        JsonNode run = json.readTree(out.resolve("run.json").toFile());
        assertEquals("openai-batch", run.at("/parameters/input_format").asText());
        assertEquals("openai-batch", run.at("/parameters/output_format").asText());
    }

    @Test
    void openAiBatchInputTakesJsonlOnlyAndFormatsAreChecked() {
        BadInputException e = assertThrows(BadInputException.class, () -> job("--prompts", "data/prompts.txt",
                "--input-format", "openai-batch"));
        assertTrue(e.getMessage().endsWith("data/prompts.txt: --input-format openai-batch reads .jsonl files only"), e.getMessage());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = GenerateJob.run(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), "--prompts", "data/prompts.txt",
                "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--output-format", "csv");
        assertEquals(2, code);
        assertEquals("llamaspark job: --output-format: 'csv' is not a format; expected parquet or openai-batch\n",
                err.toString(StandardCharsets.UTF_8));
    }
}
