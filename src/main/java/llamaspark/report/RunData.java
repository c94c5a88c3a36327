package llamaspark.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * One job output as the report shows it, read back from its Parquet tables and run.json alone
 * (so a report can be rebuilt, or compared, long after the job). Aggregations run in Spark; only
 * their results come to the driver.
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
                              double taskSeconds, double tokensPerSecond, double engineMs) {
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
        return of(label, run, summary, rootTimings, Generations.of(spark.read().parquet(part.apply("generations"))));
    }

    /**
     * The report of an output from its parts as the job holds them before writing: run.json's tree,
     * the stage_summary rows, the stage_timings rows (any; the root stage's are used, in their
     * order) and the figures of generations. Equal to {@link #read} of what they are written to.
     */
    public static RunData of(String label, JsonNode run, List<Row> summary, List<Row> timings, Generations g) {
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
                    e.path("tokens_per_second").asDouble(), executorEngineMs.getOrDefault(id, 0.0)));
        }
        List<PartitionRow> partitions = new ArrayList<>();
        g.byPartition().forEach((k, p) -> partitions.add(new PartitionRow(k.partitionId(), k.executorId(),
                hosts.get(k.partitionId()), p[0], p[1], p[2], p[3], taskSeconds.getOrDefault(k.partitionId(), Double.NaN),
                engineMs.getOrDefault(k.partitionId(), 0.0))));
        return new RunData(label, run, stages, partitions, executors, g.histograms().get(0), g.histograms().get(1),
                g.histograms().get(2), g.finishReasons(), g.rows(), g.errorRows(), g.firstErrors());
    }

    /**
     * What the report shows of generations: rows and error rows, per finish reason, per partition
     * (rows, failed, prompt and completion tokens, by partition and executor), the histograms and
     * the first error rows by id.
     */
    public record Generations(long rows, long errorRows, Map<String, Long> finishReasons,
                              Map<PartitionKey, long[]> byPartition, List<Histogram> histograms, List<ErrorRow> firstErrors) {

        /**
         * Reads {@code gen} twice, however long: once grouped by partition, executor and finish
         * reason (rows, failures, tokens, and each histogram column's range over the rows that
         * succeeded), once for every histogram's bin counts; the error rows only when there are some.
         */
        public static Generations of(Dataset<Row> gen) {
            List<Column> aggs = new ArrayList<>(List.of(count(col("error")), sum("prompt_tokens"), sum("completion_tokens")));
            for (HistogramColumn c : HISTOGRAMS) {
                aggs.addAll(List.of(min(succeeded(c.name())), max(succeeded(c.name())), count(succeeded(c.name()))));
            }
            Map<PartitionKey, long[]> byPartition = new TreeMap<>(); // rows, failed, prompt tokens, completion tokens
            Map<String, Long> reasons = new TreeMap<>();
            double[] lo = new double[HISTOGRAMS.size()], hi = new double[HISTOGRAMS.size()];
            long[] n = new long[HISTOGRAMS.size()];
            Arrays.fill(lo, Double.POSITIVE_INFINITY);
            Arrays.fill(hi, Double.NEGATIVE_INFINITY);
            long rows = 0, errorRows = 0;
            for (Row r : gen.groupBy("partition_id", "executor_id", "finish_reason")
                    .agg(count(lit(1)), aggs.toArray(Column[]::new)).collectAsList()) {
                long groupRows = r.getLong(3), failed = r.getLong(4);
                rows += groupRows;
                errorRows += failed;
                reasons.merge(r.isNullAt(2) ? "error" : r.getString(2), groupRows, Long::sum);
                if (!r.isNullAt(0)) { // rows no task generated (later duplicates of an id) have no partition
                    long[] p = byPartition.computeIfAbsent(new PartitionKey(r.getInt(0), r.getString(1)), k -> new long[4]);
                    p[0] += groupRows;
                    p[1] += failed;
                    p[2] += longOr0(r, 5);
                    p[3] += longOr0(r, 6);
                }
                for (int h = 0; h < HISTOGRAMS.size(); h++) {
                    int f = 7 + 3 * h;
                    if (!r.isNullAt(f)) {
                        lo[h] = Math.min(lo[h], r.getDouble(f));
                        hi[h] = Math.max(hi[h], r.getDouble(f + 1));
                    }
                    n[h] += r.getLong(f + 2);
                }
            }

            List<Histogram> histograms = new ArrayList<>();
            List<Column> binCounts = new ArrayList<>();
            for (int h = 0; h < HISTOGRAMS.size(); h++) {
                HistogramColumn c = HISTOGRAMS.get(h);
                Histogram layout = Histogram.layout(c.name(), n[h], lo[h], hi[h], c.integer());
                histograms.add(layout);
                binCounts.addAll(layout.binCounts(succeeded(c.name())));
            }
            if (!binCounts.isEmpty()) {
                Row counted = gen.agg(binCounts.get(0), binCounts.subList(1, binCounts.size()).toArray(Column[]::new)).first();
                for (int h = 0, first = 0; h < histograms.size(); first += histograms.get(h).counts().length, h++) {
                    histograms.set(h, histograms.get(h).counted(counted, first));
                }
            }

            List<ErrorRow> errors = new ArrayList<>();
            if (errorRows > 0) {
                for (Row r : gen.where(col("error").isNotNull()).orderBy("id").limit(ERROR_EXAMPLES)
                        .select("id", "source", "error").collectAsList()) {
                    errors.add(new ErrorRow(r.getAs("id"), r.getAs("source"), r.getAs("error")));
                }
            }
            return new Generations(rows, errorRows, reasons, byPartition, histograms, errors);
        }
    }

    /** The columns the report draws as histograms, in the record's order: latency, prompt and completion tokens. */
    private static final List<HistogramColumn> HISTOGRAMS = List.of(new HistogramColumn("elapsed_ms", false),
            new HistogramColumn("prompt_tokens", true), new HistogramColumn("completion_tokens", true));

    /** A column drawn as a histogram; token counts get whole-number bins. */
    private record HistogramColumn(String name, boolean integer) {
    }

    /** A partition's rows as one executor wrote them (a resumed job's partition may have two). */
    public record PartitionKey(int partitionId, String executorId) implements Comparable<PartitionKey> {
        @Override
        public int compareTo(PartitionKey o) {
            int c = Integer.compare(partitionId, o.partitionId);
            return c != 0 ? c : Objects.compare(executorId, o.executorId, Comparator.nullsFirst(Comparator.naturalOrder()));
        }
    }

    /** {@code column} as a double for the rows that succeeded, else null (which aggregates skip). */
    private static Column succeeded(String column) {
        return when(col("error").isNull(), col(column).cast(DataTypes.DoubleType));
    }

    private static long longOr0(Row r, int field) {
        return r.isNullAt(field) ? 0L : ((Number) r.get(field)).longValue();
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

    /** A run's one-line description for comparisons: label, batch size, backend, partitions. */
    public String caption() {
        JsonNode p = run.path("parameters");
        return label + " (batch " + p.path("batch_size").asText("?") + ", " + p.path("backend").asText("?")
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
