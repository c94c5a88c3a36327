package llamaspark.report;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What the report shows of generations: rows and error rows, rows per finish reason, per partition
 * (as one executor wrote it) rows, failed rows, prompt and completion tokens, the histograms of
 * the rows that succeeded, and the first error rows by id.
 *
 * <p>Counted in two plain passes over the seven columns they need (a row's group and figures, then
 * every histogram's bins once the ranges are known), each partition summing into arrays that the
 * driver adds up: the same counts, sums, minima and maxima Spark SQL's aggregates give, without the
 * seconds a cold driver spends planning and compiling a dozen aggregates and one more per bin.
 */
public record GenerationFigures(long rows, long errorRows, Map<String, Long> finishReasons,
                                Map<RunData.PartitionKey, long[]> byPartition, List<Histogram> histograms,
                                List<RunData.ErrorRow> firstErrors) {

    /** The columns the report draws as histograms, in order: latency, prompt and completion tokens. */
    static final List<HistogramColumn> HISTOGRAMS = List.of(new HistogramColumn("elapsed_ms", false),
            new HistogramColumn("prompt_tokens", true), new HistogramColumn("completion_tokens", true));

    /** A column drawn as a histogram; token counts get whole-number bins. */
    record HistogramColumn(String name, boolean integer) {
    }

    // The fields the passes read, in this order.
    private static final int PARTITION = 0, EXECUTOR = 1, REASON = 2, FAILED = 3, PROMPT = 4, COMPLETION = 5, FIRST_HISTOGRAM = 6;

    /** The figures of the generations table {@code gen} (any Dataset with its columns). */
    public static GenerationFigures of(Dataset<Row> gen) {
        List<org.apache.spark.sql.Column> columns = new ArrayList<>(List.of(col("partition_id"), col("executor_id"),
                col("finish_reason"), col("error").isNotNull(), col("prompt_tokens"), col("completion_tokens")));
        for (HistogramColumn c : HISTOGRAMS) {
            columns.add(col(c.name()));
        }
        JavaRDD<Row> rows = gen.select(columns.toArray(org.apache.spark.sql.Column[]::new)).javaRDD();

        Partial all = new Partial();
        for (Partial p : rows.mapPartitions(it -> {
            Partial p = new Partial();
            while (it.hasNext()) {
                p.add(it.next());
            }
            return List.of(p).iterator();
        }).collect()) {
            all.merge(p);
        }

        Map<RunData.PartitionKey, long[]> byPartition = new TreeMap<>(); // rows, failed, prompt tokens, completion tokens
        Map<String, Long> reasons = new TreeMap<>();
        long total = 0, errorRows = 0;
        for (Map.Entry<List<Object>, long[]> e : all.groups.entrySet()) {
            Integer partition = (Integer) e.getKey().get(PARTITION);
            String reason = (String) e.getKey().get(REASON);
            long[] g = e.getValue();
            total += g[0];
            errorRows += g[1];
            reasons.merge(reason == null ? "error" : reason, g[0], Long::sum);
            if (partition != null) { // rows no task generated (later duplicates of an id) have no partition
                long[] p = byPartition.computeIfAbsent(new RunData.PartitionKey(partition, (String) e.getKey().get(EXECUTOR)),
                        k -> new long[4]);
                for (int i = 0; i < 4; i++) {
                    p[i] += g[i];
                }
            }
        }

        List<Histogram> histograms = new ArrayList<>();
        for (int h = 0; h < HISTOGRAMS.size(); h++) {
            HistogramColumn c = HISTOGRAMS.get(h);
            histograms.add(Histogram.layout(c.name(), all.n[h], all.lo[h], all.hi[h], c.integer()));
        }
        if (histograms.stream().anyMatch(x -> x.counts().length > 0)) {
            double[] min = histograms.stream().mapToDouble(Histogram::min).toArray();
            double[] width = histograms.stream().mapToDouble(Histogram::width).toArray();
            int[] bins = histograms.stream().mapToInt(x -> x.counts().length).toArray();
            long[][] counted = new long[bins.length][];
            for (int h = 0; h < bins.length; h++) {
                counted[h] = new long[bins[h]];
            }
            for (long[][] part : rows.mapPartitions(it -> {
                long[][] c = new long[bins.length][];
                for (int h = 0; h < bins.length; h++) {
                    c[h] = new long[bins[h]];
                }
                while (it.hasNext()) {
                    Row r = it.next();
                    if (r.getBoolean(FAILED)) {
                        continue;
                    }
                    for (int h = 0; h < bins.length; h++) {
                        int f = FIRST_HISTOGRAM + h;
                        if (!r.isNullAt(f)) {
                            int bin = Histogram.bin(((Number) r.get(f)).doubleValue(), min[h], width[h], bins[h]);
                            if (bin >= 0) {
                                c[h][bin]++;
                            }
                        }
                    }
                }
                return List.<long[][]>of(c).iterator();
            }).collect()) {
                for (int h = 0; h < bins.length; h++) {
                    for (int i = 0; i < bins[h]; i++) {
                        counted[h][i] += part[h][i];
                    }
                }
            }
            for (int h = 0; h < histograms.size(); h++) {
                histograms.set(h, histograms.get(h).withCounts(counted[h]));
            }
        }

        List<RunData.ErrorRow> errors = new ArrayList<>();
        if (errorRows > 0) {
            for (Row r : gen.where(col("error").isNotNull()).orderBy("id").limit(RunData.ERROR_EXAMPLES)
                    .select("id", "source", "error").collectAsList()) {
                errors.add(new RunData.ErrorRow(r.getAs("id"), r.getAs("source"), r.getAs("error")));
            }
        }
        return new GenerationFigures(total, errorRows, reasons, byPartition, histograms, errors);
    }

    /** One partition's sums: per (partition, executor, finish reason) group, and each histogram's range. */
    private static final class Partial implements Serializable {
        private static final long serialVersionUID = 1L;
        /** [partition_id, executor_id, finish_reason] -> rows, failed rows, prompt tokens, completion tokens. */
        final Map<List<Object>, long[]> groups = new HashMap<>();
        /** Per histogram, over the rows that succeeded and have a value: the least and greatest value, and how many. */
        final double[] lo = new double[HISTOGRAMS.size()], hi = new double[HISTOGRAMS.size()];
        final long[] n = new long[HISTOGRAMS.size()];

        Partial() {
            Arrays.fill(lo, Double.POSITIVE_INFINITY);
            Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        }

        void add(Row r) {
            List<Object> key = Arrays.asList(r.isNullAt(PARTITION) ? null : r.getInt(PARTITION), r.getString(EXECUTOR),
                    r.getString(REASON));
            long[] g = groups.computeIfAbsent(key, k -> new long[4]);
            boolean failed = r.getBoolean(FAILED);
            g[0]++;
            g[1] += failed ? 1 : 0;
            g[2] += r.isNullAt(PROMPT) ? 0 : r.getInt(PROMPT);
            g[3] += r.isNullAt(COMPLETION) ? 0 : r.getInt(COMPLETION);
            if (!failed) {
                for (int h = 0; h < n.length; h++) {
                    int f = FIRST_HISTOGRAM + h;
                    if (!r.isNullAt(f)) {
                        double x = ((Number) r.get(f)).doubleValue();
                        lo[h] = Math.min(lo[h], x);
                        hi[h] = Math.max(hi[h], x);
                        n[h]++;
                    }
                }
            }
        }

        Partial merge(Partial o) {
            o.groups.forEach((k, v) -> {
                long[] g = groups.computeIfAbsent(k, x -> new long[4]);
                for (int i = 0; i < 4; i++) {
                    g[i] += v[i];
                }
            });
            for (int h = 0; h < n.length; h++) {
                lo[h] = Math.min(lo[h], o.lo[h]);
                hi[h] = Math.max(hi[h], o.hi[h]);
                n[h] += o.n[h];
            }
            return this;
        }
    }
}
