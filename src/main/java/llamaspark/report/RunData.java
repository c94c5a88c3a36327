package llamaspark.report;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import llamaspark.BadInputException;
import llamaspark.profile.Stage;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One job output as the report shows it, read back from its Parquet tables and run.json alone
 * (so a report can be rebuilt, or compared, long after the job). Generations are summed on the
 * executors ({@link GenerationFigures}); only the sums come to the driver.
 */
public record RunData(String label, JsonNode run, List<StageRow> stages, List<PartitionRow> partitions,
                      List<ExecutorRow> executors, Histogram latencyMs, Histogram promptTokens,
                      Histogram completionTokens, Map<String, Long> finishReasons, long rows, long errorRows,
                      List<ErrorRow> firstErrors) {

    /** How many error rows the report quotes. */
    static final int ERROR_EXAMPLES = 10;

    /** A stage_summary row. */
    public record StageRow(String stage, String parent, int level, long calls, double totalMs, double avgMs, double pct) {
    }

    /** One partition's task: rows and tokens from generations, engine time from stage_timings, task time from run.json. */
    public record PartitionRow(int partitionId, String executorId, String host, long rows, long failedRows,
                               long promptTokens, long completionTokens, double taskSeconds, double engineMs) {
        public double tokensPerSecond() {
            return taskSeconds > 0 ? completionTokens / taskSeconds : 0.0;
        }
    }

    /** One executor, as run.json sums it, with its engine time from stage_timings. */
    public record ExecutorRow(String executorId, String host, long partitions, long rows, long completionTokens,
                              double taskSeconds, double tokensPerSecond, double engineMs, Long hugePagesMb) {
    }

    /** An error row as generations holds it. */
    public record ErrorRow(String id, String source, String error) {
    }

    /** Reads the output directory {@code dir} (any Hadoop path). */
    public static RunData read(SparkSession spark, String dir) {
        return read(spark, new Path(dir).getName(), child -> new Path(dir, child).toString());
    }

    /** Reads an output whose parts are at {@code part.apply("generations")} and so on. */
    public static RunData read(SparkSession spark, String label, UnaryOperator<String> part) {
        for (String child : List.of("run.json", "stage_summary", "stage_timings", "generations")) {
            requireExists(spark, part.apply(child), child);
        }
        JsonNode run = readJson(spark, part.apply("run.json"));
        List<Row> summary = spark.read().parquet(part.apply("stage_summary")).collectAsList();
        List<Row> rootTimings = spark.read().parquet(part.apply("stage_timings"))
                .where(col("stage").equalTo(Stage.ROOT.label())).collectAsList();
        return of(label, run, summary, rootTimings, GenerationFigures.of(spark.read().parquet(part.apply("generations"))));
    }

    /**
     * The report of an output from its parts as the job holds them before writing: run.json's tree,
     * the stage_summary rows, the stage_timings rows (any; the root stage's are used, in their
     * order) and the figures of generations. Equal to {@link #read} of what they are written to.
     */
    public static RunData of(String label, JsonNode run, List<Row> summary, List<Row> timings, GenerationFigures g) {
        List<StageRow> stages = stages(summary);
        Map<Integer, Double> engineMs = new TreeMap<>();
        Map<Integer, String> hosts = new TreeMap<>();
        Map<String, Double> executorEngineMs = new TreeMap<>();
        for (Row r : timings) {
            if (!Stage.ROOT.label().equals(r.getAs("stage"))) {
                continue;
            }
            int p = r.getAs("partition_id");
            double ms = r.getAs("total_ms");
            engineMs.merge(p, ms, Double::sum);
            hosts.put(p, r.getAs("host"));
            executorEngineMs.merge(r.getAs("executor_id"), ms, Double::sum);
        }
        Map<Integer, Double> taskSeconds = new TreeMap<>();
        for (JsonNode t : run.path("tasks")) {
            taskSeconds.put(t.path("partition_id").asInt(), t.path("task_seconds").asDouble());
        }
        List<ExecutorRow> executors = new ArrayList<>();
        for (JsonNode e : run.path("executors")) {
            String id = e.path("executor_id").asText();
            executors.add(new ExecutorRow(id, e.path("host").asText(), e.path("partitions").asLong(),
                    e.path("rows").asLong(), e.path("completion_tokens").asLong(), e.path("task_seconds").asDouble(),
                    e.path("tokens_per_second").asDouble(), executorEngineMs.getOrDefault(id, 0.0),
                    // null: not said (a run.json from before the field, or a system without the figure)
                    e.path("huge_pages_mb").isNumber() ? e.path("huge_pages_mb").asLong() : null));
        }
        List<PartitionRow> partitions = new ArrayList<>();
        g.byPartition().forEach((k, p) -> partitions.add(new PartitionRow(k.partitionId(), k.executorId(),
                hosts.get(k.partitionId()), p[0], p[1], p[2], p[3], taskSeconds.getOrDefault(k.partitionId(), Double.NaN),
                engineMs.getOrDefault(k.partitionId(), 0.0))));
        return new RunData(label, run, stages, partitions, executors, g.histograms().get(0), g.histograms().get(1),
                g.histograms().get(2), g.finishReasons(), g.rows(), g.errorRows(), g.firstErrors());
    }

    /** A partition's rows as one executor wrote them (a resumed job's partition may have two). */
    public record PartitionKey(int partitionId, String executorId) implements Comparable<PartitionKey> {
        @Override
        public int compareTo(PartitionKey o) {
            int c = Integer.compare(partitionId, o.partitionId);
            return c != 0 ? c : Objects.compare(executorId, o.executorId, Comparator.nullsFirst(Comparator.naturalOrder()));
        }
    }

    private static List<StageRow> stages(List<Row> summary) {
        Map<String, StageRow> byStage = new LinkedHashMap<>();
        for (Row r : summary) {
            StageRow s = new StageRow(r.getAs("stage"), r.getAs("parent"), r.getAs("level"), r.getAs("calls"),
                    r.getAs("total_ms"), r.getAs("avg_ms"), r.getAs("pct"));
            byStage.put(s.stage(), s);
        }
        // The study's order (the tree, depth first), whatever order the Parquet file holds.
        List<StageRow> ordered = new ArrayList<>();
        for (Stage s : Stage.values()) {
            StageRow r = byStage.remove(s.label());
            if (r != null) {
                ordered.add(r);
            }
        }
        ordered.addAll(byStage.values());
        return ordered;
    }

    private static void requireExists(SparkSession spark, String file, String child) {
        Path p = new Path(file);
        try {
            if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                throw new BadInputException(file, "no " + child + ": expected a llamaspark job output directory "
                        + "(generations/, stage_timings/, stage_summary/, run.json)");
            }
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(SparkSession spark, String file) {
        Path p = new Path(file);
        try {
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (InputStream in = fs.open(p)) {
                return new ObjectMapper().readTree(in);
            }
        } catch (IOException e) {
            throw new BadInputException(file, "cannot read the job's run.json: " + e.getMessage(), e);
        }
    }

    /** A run's one-line description for comparisons: label, batch size, backend (and a half KV cache), partitions. */
    public String caption() {
        JsonNode p = run.path("parameters");
        String kv = p.path("kv_cache").asText("f32").equals("f32") ? "" : ", " + p.path("kv_cache").asText() + " KV cache";
        return label + " (batch " + p.path("batch_size").asText("?") + ", " + p.path("backend").asText("?") + kv
                + ", " + p.path("partitions").asText("?") + " partitions)";
    }

    public StageRow stage(String name) {
        for (StageRow s : stages) {
            if (s.stage().equals(name)) {
                return s;
            }
        }
        return null;
    }
}
