package llamaspark.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import llamaspark.Oracles;
import llamaspark.cli.Main;
import llamaspark.job.GenerateJob;
import llamaspark.job.JobOptions;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The job's report.html against the tables it is built from (read here with Spark and Jackson),
 * rendered by headless Chromium, and the job's Parquet tables read by DuckDB. One local job of
 * the aidreams260K model, with an error row and user text that must stay text.
 */
class ReportTest {
    private static final Path NODE_DIR = Path.of("src/test/node").toAbsolutePath();
    /** A prompt row whose id is markup and whose temperature is out of range: an error row shown in the report. */
    private static final String HOSTILE_ID = "<img src=x onerror=alert(1)> & \"quotes\"";

    private static SparkSession spark;
    @TempDir
    static Path dir;
    private static Path out;
    private static JsonNode run;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2]").appName("llamaspark-report-test")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
        Path prompts = dir.resolve("prompts.jsonl");
        ObjectMapper json = new ObjectMapper();
        Files.writeString(prompts, String.join("\n",
                json.writeValueAsString(Map.of("id", "script", "prompt", "<script>alert(1)</script> Once", "max_new_tokens", 9)),
                json.writeValueAsString(Map.of("id", HOSTILE_ID, "prompt", "I dream of", "temperature", -3)),
                "{\"id\": \"broken\", \"prompt\": ",
                "") + "\n");
        out = job("out-b4", "--prompts", "data/prompts.jsonl," + prompts, "--partitions", "3", "--batch-size", "4");
        run = json.readTree(out.resolve("run.json").toFile());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Path job(String name, String... args) {
        Path o = dir.resolve(name);
        List<String> all = new ArrayList<>(List.of("--model", Oracles.AIDREAMS260K.toString(),
                "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(), "--out", o.toString(), "--max-new-tokens", "60"));
        all.addAll(List.of(args));
        JobOptions options = new JobOptions();
        new CommandLine(options).parseArgs(all.toArray(String[]::new));
        GenerateJob.execute(spark, options);
        return o;
    }

    private static Document report(Path file) throws Exception {
        return Jsoup.parse(file.toFile(), "UTF-8");
    }

    private static List<Row> table(Path o, String name) {
        return spark.read().parquet(o.resolve(name).toString()).collectAsList();
    }

    private static double d(Element e, String attr) {
        assertTrue(e.hasAttr(attr), e.tagName() + " lacks " + attr);
        return Double.parseDouble(e.attr(attr));
    }

    private static long l(Element e, String attr) {
        assertTrue(e.hasAttr(attr), e.tagName() + " lacks " + attr);
        return Long.parseLong(e.attr(attr));
    }

    @Test
    void stageFiguresEqualStageSummaryAndStageTimings() throws Exception {
        Document doc = report(out.resolve("report.html"));
        List<Row> summary = table(out, "stage_summary");
        assertEquals(summary.size(), doc.select("#stage-summary tbody tr").size());
        assertEquals(summary.size(), doc.select("#stage-profile g.stage").size());
        for (Row r : summary) {
            String stage = r.getAs("stage");
            Element tr = doc.selectFirst("#stage-summary tr[data-stage=" + stage + "]");
            assertNotNull(tr, stage);
            assertEquals((long) r.getAs("calls"), l(tr, "data-calls"), stage);
            assertEquals((double) r.getAs("total_ms"), d(tr, "data-total-ms"), stage);
            assertEquals((double) r.getAs("avg_ms"), d(tr, "data-avg-ms"), stage);
            assertEquals((double) r.getAs("pct"), d(tr, "data-pct"), stage);
            Element box = doc.selectFirst("#stage-profile g[data-stage=" + stage + "]");
            assertEquals((double) r.getAs("total_ms"), d(box, "data-total-ms"), stage);
            assertEquals((double) r.getAs("pct"), d(box, "data-pct"), stage);
        }
        // The icicle's root spans the chart and its boxes nest inside their parents.
        Element root = doc.selectFirst("#stage-profile g[data-stage=generate.iteration] rect");
        assertEquals(Svg.WIDTH - 1, Double.parseDouble(root.attr("width")), 0.11);
        // Per partition and per executor, generate.iteration as stage_timings holds it.
        Map<Integer, Double> partitionMs = new HashMap<>();
        Map<String, Double> executorMs = new HashMap<>();
        for (Row r : table(out, "stage_timings")) {
            if (r.getAs("stage").equals("generate.iteration")) {
                partitionMs.merge(r.getAs("partition_id"), r.getAs("total_ms"), Double::sum);
                executorMs.merge(r.getAs("executor_id"), r.getAs("total_ms"), Double::sum);
            }
        }
        assertEquals(3, partitionMs.size());
        for (Map.Entry<Integer, Double> e : partitionMs.entrySet()) {
            Element tr = doc.selectFirst("#partitions tr[data-partition=" + e.getKey() + "]");
            assertEquals(e.getValue(), d(tr, "data-engine-ms"));
        }
        for (Map.Entry<String, Double> e : executorMs.entrySet()) {
            assertEquals(e.getValue(), d(doc.selectFirst("#executors tr[data-executor=" + e.getKey() + "]"), "data-engine-ms"));
        }
    }

    @Test
    void runFiguresEqualRunJson() throws Exception {
        Document doc = report(out.resolve("report.html"));
        // Every scalar of run.json, by its dotted path.
        Map<String, String> expected = new TreeMap<>();
        flatten("", run, expected);
        Map<String, String> shown = new TreeMap<>();
        for (Element tr : doc.select("#run tbody tr")) {
            shown.put(tr.attr("data-key"), tr.attr("data-value"));
        }
        assertEquals(expected, shown);
        assertTrue(shown.containsKey("model.sha256") && shown.containsKey("cluster.master") && shown.containsKey("parameters.batch_size"));
        assertEquals(run.path("wall_seconds").asDouble(), Double.parseDouble(shown.get("wall_seconds")));
        assertEquals(Svg.num(run.path("tokens_per_second").asDouble(), 1),
                doc.selectFirst("#summary .card[data-key=tokens_per_second] b").text());
        for (JsonNode e : run.path("executors")) {
            Element tr = doc.selectFirst("#executors tr[data-executor=" + e.path("executor_id").asText() + "]");
            assertEquals(e.path("rows").asLong(), l(tr, "data-rows"));
            assertEquals(e.path("partitions").asLong(), l(tr, "data-partitions"));
            assertEquals(e.path("completion_tokens").asLong(), l(tr, "data-completion-tokens"));
            assertEquals(e.path("task_seconds").asDouble(), d(tr, "data-task-seconds"));
            assertEquals(e.path("tokens_per_second").asDouble(), d(tr, "data-tokens-per-second"));
            assertEquals(e.path("huge_pages_mb").isNumber(), tr.hasAttr("data-huge-pages-mb"), e::toString);
            if (e.path("huge_pages_mb").isNumber()) {
                assertEquals(e.path("huge_pages_mb").asLong(), l(tr, "data-huge-pages-mb"));
            }
        }
        assertEquals(run.path("executors").size(), doc.select("#executor-chart g.bar").size());
        for (JsonNode t : run.path("tasks")) {
            Element tr = doc.selectFirst("#partitions tr[data-partition=" + t.path("partition_id").asInt() + "]");
            assertEquals(t.path("task_seconds").asDouble(), d(tr, "data-task-seconds"));
            assertEquals(t.path("executor_id").asText(), tr.attr("data-executor"));
        }
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> into) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = prefix + f.getKey();
            JsonNode v = f.getValue();
            if (v.isObject()) {
                flatten(key + ".", v, into);
            } else if (v.isArray()) {
                if (!key.equals("executors") && !key.equals("tasks")) {
                    List<String> parts = new ArrayList<>();
                    v.forEach(x -> parts.add(x.asText()));
                    into.put(key, String.join(", ", parts));
                }
            } else {
                into.put(key, v.isNull() ? "" : v.asText());
            }
        }
    }

    @Test
    void rowFiguresEqualGenerations() throws Exception {
        Document doc = report(out.resolve("report.html"));
        List<Row> gen = table(out, "generations");
        Map<Integer, long[]> byPartition = new TreeMap<>(); // rows, failed, prompt tokens, completion tokens
        Map<String, Long> reasons = new TreeMap<>();
        List<Row> ok = new ArrayList<>();
        TreeSet<String> errorIds = new TreeSet<>();
        for (Row r : gen) {
            long[] p = byPartition.computeIfAbsent(r.getAs("partition_id"), k -> new long[4]);
            p[0]++;
            Integer pt = r.getAs("prompt_tokens");
            Integer ct = r.getAs("completion_tokens");
            p[2] += pt == null ? 0 : pt;
            p[3] += ct == null ? 0 : ct;
            String reason = r.getAs("finish_reason");
            reasons.merge(reason == null ? "error" : reason, 1L, Long::sum);
            if (r.getAs("error") != null) {
                p[1]++;
                errorIds.add(r.getAs("id"));
            } else {
                ok.add(r);
            }
        }
        assertEquals(run.path("rows").path("failed").asLong(), errorIds.size());
        assertEquals(2, errorIds.size(), "the bad temperature and the broken line, none else: " + errorIds);
        for (Map.Entry<Integer, long[]> e : byPartition.entrySet()) {
            Element tr = doc.selectFirst("#partitions tr[data-partition=" + e.getKey() + "]");
            assertEquals(e.getValue()[0], l(tr, "data-rows"));
            assertEquals(e.getValue()[1], l(tr, "data-failed-rows"));
            assertEquals(e.getValue()[2], l(tr, "data-prompt-tokens"));
            assertEquals(e.getValue()[3], l(tr, "data-completion-tokens"));
        }
        Map<String, Long> shownReasons = new TreeMap<>();
        doc.select("#finish-reasons tbody tr").forEach(tr -> shownReasons.put(tr.attr("data-reason"), l(tr, "data-count")));
        assertEquals(reasons, shownReasons);
        // Errors: the count and the first ids, escaped: the markup in the id is text, not an element.
        assertEquals(errorIds.size(), l(doc.selectFirst("#errors"), "data-count"));
        List<String> shownIds = doc.select("#error-rows tbody tr").eachAttr("data-id");
        assertEquals(new ArrayList<>(errorIds), shownIds);
        assertTrue(shownIds.contains(HOSTILE_ID));
        assertTrue(doc.select("img, script").isEmpty(), "user text became markup");
        assertTrue(doc.select("#error-rows td").eachText().contains(HOSTILE_ID));
        // Histograms: recount every bin from the rows themselves.
        histogramMatches(doc, "latency-histogram", ok, "elapsed_ms");
        histogramMatches(doc, "prompt-tokens-histogram", ok, "prompt_tokens");
        histogramMatches(doc, "completion-tokens-histogram", ok, "completion_tokens");
    }

    private static void histogramMatches(Document doc, String id, List<Row> rows, String column) {
        Element svg = doc.getElementById(id);
        List<Element> bins = svg.select("g.bin");
        assertFalse(bins.isEmpty(), id);
        List<Double> values = new ArrayList<>();
        for (Row r : rows) {
            Object v = r.getAs(column);
            if (v != null) {
                values.add(((Number) v).doubleValue());
            }
        }
        assertEquals(values.size(), l(svg, "data-n"), id);
        long total = 0;
        for (int i = 0; i < bins.size(); i++) {
            double lo = d(bins.get(i), "data-lo");
            double hi = d(bins.get(i), "data-hi");
            boolean last = i == bins.size() - 1;
            long expected = values.stream().filter(x -> x >= lo - 1e-9 && (x < hi - 1e-9 || last)).count();
            assertEquals(expected, l(bins.get(i), "data-count"), id + " bin " + i);
            total += expected;
        }
        assertEquals(values.size(), total, id + ": every row in some bin");
    }

    /** node SCRIPT ARGS... in src/test/node; returns its JSON output. */
    private static JsonNode node(String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("node", script));
        cmd.addAll(List.of(args));
        File log = Files.createTempFile(dir, "node", ".err").toFile();
        Process p = new ProcessBuilder(cmd).directory(NODE_DIR.toFile()).redirectError(log).start();
        String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), script + " timed out");
        assertEquals(0, p.exitValue(), script + " failed: " + Files.readString(log.toPath()));
        return new ObjectMapper().readTree(stdout);
    }

    @Test
    void rendersInHeadlessChromiumWithNoErrorsAndNoNetwork() throws Exception {
        Path shot = Path.of("target/report-test.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        JsonNode r = node("report_render.mjs", out.resolve("report.html").toString(), shot.toString(), "--full");
        assertTrue(r.path("ok").asBoolean());
        assertEquals(0, r.path("pageErrors").size(), r.toString());
        assertEquals(0, r.path("consoleErrors").size(), r.toString());
        assertEquals(0, r.path("failedRequests").size(), r.toString());
        assertEquals(0, r.path("externalRequests").size(), r.toString());
        assertEquals(0, r.path("scripts").asInt(), "a report needs no script");
        Set<String> charts = new TreeSet<>();
        for (JsonNode s : r.path("svgs")) {
            assertTrue(s.path("width").asDouble() > 100 && s.path("height").asDouble() > 20, s.toString());
            assertTrue(s.path("shapes").asInt() > 0, s.toString());
            charts.add(s.path("id").asText());
        }
        assertEquals(Set.of("stage-profile", "executor-chart", "partition-chart", "latency-histogram",
                "prompt-tokens-histogram", "completion-tokens-histogram"), charts);
        Set<String> tables = new TreeSet<>();
        r.path("tables").forEach(t -> tables.add(t.path("id").asText()));
        assertTrue(tables.containsAll(Set.of("stage-summary", "executors", "partitions", "finish-reasons", "error-rows", "run")), tables.toString());
        assertTrue(Files.size(shot) > 10_000, "screenshot written");
    }

    private static final Map<String, List<String>> COLUMNS = Map.of(
            "generations", List.of("id", "prompt", "completion", "prompt_tokens", "completion_tokens", "token_ids",
                    "finish_reason", "max_new_tokens", "temperature", "top_p", "top_k", "min_p", "seed", "stop", "source",
                    "model", "model_sha256", "partition_id", "executor_id", "elapsed_ms", "error"),
            "stage_timings", List.of("executor_id", "host", "partition_id", "stage", "parent", "level", "calls",
                    "total_ms", "min_ms", "max_ms"),
            "stage_summary", List.of("stage", "parent", "level", "calls", "total_ms", "avg_ms", "pct"));

    @Test
    void duckDbReadsEveryTableAsSparkDoes() throws Exception {
        JsonNode duck = node("duckdb_read.mjs", out.toString());
        for (Map.Entry<String, List<String>> t : COLUMNS.entrySet()) {
            String name = t.getKey();
            List<String> sparkColumns = new ArrayList<>();
            for (StructField f : spark.read().parquet(out.resolve(name).toString()).schema().fields()) {
                sparkColumns.add(f.name());
            }
            List<String> duckColumns = new ArrayList<>();
            duck.path(name).path("columns").forEach(c -> duckColumns.add(c.path("name").asText()));
            assertEquals(t.getValue(), sparkColumns, name + ": the documented, stable columns");
            assertEquals(sparkColumns, duckColumns, name);
            sparkColumns.forEach(c -> assertTrue(c.matches("[a-z][a-z0-9]*(_[a-z0-9]+)*"), c + " is not snake_case"));
            assertEquals(table(out, name).size(), duck.path(name).path("count").asLong(), name);
        }
        Map<String, JsonNode> duckRows = new HashMap<>();
        duck.path("generations").path("rows").forEach(r -> duckRows.put(r.path("id").asText(), r));
        for (Row r : table(out, "generations")) {
            String id = r.getAs("id");
            JsonNode g = duckRows.get(id);
            assertNotNull(g, id);
            assertEquals(r.getAs("prompt"), g.path("prompt").isNull() ? null : g.path("prompt").asText(), id);
            assertEquals(r.getAs("completion"), g.path("completion").isNull() ? null : g.path("completion").asText(), id);
            assertEquals(r.getAs("error"), g.path("error").isNull() ? null : g.path("error").asText(), id);
            assertEquals(r.getAs("finish_reason"), g.path("finish_reason").isNull() ? null : g.path("finish_reason").asText(), id);
            assertEquals((double) r.getAs("elapsed_ms"), g.path("elapsed_ms").asDouble(), id);
            assertEquals((int) r.getAs("partition_id"), g.path("partition_id").asInt(), id);
            List<Integer> ids = r.isNullAt(r.fieldIndex("token_ids")) ? null : r.getList(r.fieldIndex("token_ids"));
            if (ids == null) {
                assertTrue(g.path("n_token_ids").isNull(), id);
            } else {
                assertEquals(ids.size(), g.path("n_token_ids").asInt(), id);
                assertEquals((int) r.getAs("completion_tokens"), ids.size(), id);
                if (!ids.isEmpty()) {
                    assertEquals((int) ids.get(0), g.path("first_token_id").asInt(), id);
                }
            }
            Object seed = r.getAs("seed");
            if (seed != null) {
                assertEquals((long) seed, Long.parseLong(g.path("seed").asText()), id);
            }
            Object topP = r.getAs("top_p");
            if (topP != null) {
                assertEquals((double) (float) topP, g.path("top_p").asDouble(), id);
            }
        }
        Map<String, JsonNode> duckStages = new HashMap<>();
        duck.path("stage_summary").path("rows").forEach(r -> duckStages.put(r.path("stage").asText(), r));
        for (Row r : table(out, "stage_summary")) {
            JsonNode s = duckStages.get((String) r.getAs("stage"));
            assertEquals((long) r.getAs("calls"), Long.parseLong(s.path("calls").asText()));
            assertEquals((double) r.getAs("total_ms"), s.path("total_ms").asDouble());
            assertEquals((double) r.getAs("pct"), s.path("pct").asDouble());
            assertEquals((int) r.getAs("level"), s.path("level").asInt());
        }
        double sparkTimings = table(out, "stage_timings").stream().mapToDouble(r -> r.getAs("total_ms")).sum();
        double duckTimings = 0;
        for (JsonNode r : duck.path("stage_timings").path("rows")) {
            duckTimings += r.path("total_ms").asDouble();
        }
        assertEquals(sparkTimings, duckTimings, 1e-9 * sparkTimings);
    }

    @Test
    void generationFiguresEqualSparkSqlAggregates() {
        // The job's generations (errors, three partitions), and again with every row's partition
        // gone (as later duplicates of an id have none) and its latency shifted, as one table.
        org.apache.spark.sql.Dataset<Row> gen = spark.read().parquet(out.resolve("generations").toString());
        org.apache.spark.sql.Dataset<Row> mixed = gen.unionByName(gen
                .withColumn("partition_id", org.apache.spark.sql.functions.lit(null).cast("int"))
                .withColumn("elapsed_ms", org.apache.spark.sql.functions.col("elapsed_ms").multiply(3.7).plus(0.1)));
        for (org.apache.spark.sql.Dataset<Row> d : List.of(gen, mixed)) {
            GenerationFigures expected = SparkSqlFigures.of(d), actual = GenerationFigures.of(d);
            assertEquals(expected.rows(), actual.rows());
            assertEquals(expected.errorRows(), actual.errorRows());
            assertEquals(expected.finishReasons(), actual.finishReasons());
            assertEquals(expected.byPartition().keySet(), actual.byPartition().keySet());
            expected.byPartition().forEach((k, v) -> assertEquals(java.util.Arrays.toString(v),
                    java.util.Arrays.toString(actual.byPartition().get(k)), k.toString()));
            assertEquals(expected.histograms().size(), actual.histograms().size());
            for (int h = 0; h < expected.histograms().size(); h++) {
                Histogram e = expected.histograms().get(h), a = actual.histograms().get(h);
                assertEquals(List.of(e.column(), e.n(), e.min(), e.max(), e.width()), List.of(a.column(), a.n(), a.min(), a.max(), a.width()));
                assertEquals(java.util.Arrays.toString(e.counts()), java.util.Arrays.toString(a.counts()), e.column());
                assertTrue(e.counts().length > 1, e.column() + ": more than one bin, or the test shows little");
            }
            assertEquals(expected.firstErrors(), actual.firstErrors());
        }
        assertEquals(2 * GenerationFigures.of(gen).rows(), GenerationFigures.of(mixed).rows());
    }

    @Test
    void reportCommandRebuildsTheSameReportAndComparesRuns() throws Exception {
        String written = Files.readString(out.resolve("report.html"));
        Files.delete(out.resolve("report.html"));
        assertEquals(0, Main.run("report", out.toString()));
        assertEquals(written, Files.readString(out.resolve("report.html")), "rebuilt from the Parquet output alone");

        Path other = job("out-b1", "--prompts", "data/prompts.jsonl", "--partitions", "2", "--batch-size", "1", "--kv-cache", "f16");
        Path compare = dir.resolve("compare.html");
        assertEquals(0, Main.run("report", out.toString(), other.toString(), "--out", compare.toString()));
        Document doc = report(compare);
        assertEquals(List.of("out-b4", "out-b1"), doc.select("#runs li").eachAttr("data-label"));
        assertTrue(doc.select("#runs li").get(1).text().startsWith("out-b1 (batch 1, vector-fma, f16 KV cache, 2 partitions)"),
                doc.select("#runs li").get(1).text());
        assertFalse(doc.select("#runs li").get(0).text().contains("KV cache"), "float32, the default, goes unsaid");
        List<List<Row>> summaries = List.of(table(out, "stage_summary"), table(other, "stage_summary"));
        for (int i = 0; i < 2; i++) {
            for (Row r : summaries.get(i)) {
                Element tr = doc.selectFirst("#stage-compare tr[data-stage=" + r.getAs("stage") + "]");
                assertEquals((double) r.getAs("avg_ms"), d(tr.selectFirst("td[data-run=" + i + "][data-avg-ms]"), "data-avg-ms"));
                assertEquals((double) r.getAs("pct"), d(tr.selectFirst("td[data-run=" + i + "][data-pct]"), "data-pct"));
            }
            assertNotNull(doc.getElementById("stage-profile-" + i));
        }
        JsonNode otherRun = new ObjectMapper().readTree(other.resolve("run.json").toFile());
        List<Double> tps = doc.select("#tokens-per-second-chart g.bar").stream().map(g -> d(g, "data-value")).toList();
        assertEquals(List.of(run.path("tokens_per_second").asDouble(), otherRun.path("tokens_per_second").asDouble()), tps);

        assertEquals(2, Main.run("report", dir.resolve("no-such-output").toString()), "bad input: one line, exit 2");
    }
}
