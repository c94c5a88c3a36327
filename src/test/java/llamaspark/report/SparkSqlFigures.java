package llamaspark.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The report's figures of generations as the report computed them before {@link GenerationFigures}:
 * Spark SQL aggregates (grouped by partition, executor and finish reason, then one count per
 * histogram bin). The reference {@link GenerationFigures#of} must equal.
 */
final class SparkSqlFigures {
    private SparkSqlFigures() {
    }

    static GenerationFigures of(Dataset<Row> gen) {
        List<GenerationFigures.HistogramColumn> histogramColumns = GenerationFigures.HISTOGRAMS;
        List<Column> aggs = new ArrayList<>(List.of(count(col("error")), sum("prompt_tokens"), sum("completion_tokens")));
        for (GenerationFigures.HistogramColumn c : histogramColumns) {
            aggs.addAll(List.of(min(succeeded(c.name())), max(succeeded(c.name())), count(succeeded(c.name()))));
        }
        Map<RunData.PartitionKey, long[]> byPartition = new TreeMap<>();
        Map<String, Long> reasons = new TreeMap<>();
        double[] lo = new double[histogramColumns.size()], hi = new double[histogramColumns.size()];
        long[] n = new long[histogramColumns.size()];
        Arrays.fill(lo, Double.POSITIVE_INFINITY);
        Arrays.fill(hi, Double.NEGATIVE_INFINITY);
        long rows = 0, errorRows = 0;
        for (Row r : gen.groupBy("partition_id", "executor_id", "finish_reason")
                .agg(count(lit(1)), aggs.toArray(Column[]::new)).collectAsList()) {
            long groupRows = r.getLong(3), failed = r.getLong(4);
            rows += groupRows;
            errorRows += failed;
            reasons.merge(r.isNullAt(2) ? "error" : r.getString(2), groupRows, Long::sum);
            if (!r.isNullAt(0)) {
                long[] p = byPartition.computeIfAbsent(new RunData.PartitionKey(r.getInt(0), r.getString(1)), k -> new long[4]);
                p[0] += groupRows;
                p[1] += failed;
                p[2] += longOr0(r, 5);
                p[3] += longOr0(r, 6);
            }
            for (int h = 0; h < histogramColumns.size(); h++) {
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
        for (int h = 0; h < histogramColumns.size(); h++) {
            GenerationFigures.HistogramColumn c = histogramColumns.get(h);
            Histogram layout = Histogram.layout(c.name(), n[h], lo[h], hi[h], c.integer());
            histograms.add(layout);
            Column x = succeeded(c.name());
            Column bin = when(x.isNotNull(), least(floor(x.minus(layout.min()).divide(layout.width())),
                    lit(layout.counts().length - 1)).cast("int"));
            for (int i = 0; i < layout.counts().length; i++) {
                binCounts.add(count(when(bin.equalTo(i), 1)));
            }
        }
        if (!binCounts.isEmpty()) {
            Row counted = gen.agg(binCounts.get(0), binCounts.subList(1, binCounts.size()).toArray(Column[]::new)).first();
            for (int h = 0, first = 0; h < histograms.size(); first += histograms.get(h).counts().length, h++) {
                long[] c = new long[histograms.get(h).counts().length];
                for (int i = 0; i < c.length; i++) {
                    c[i] = counted.getLong(first + i);
                }
                histograms.set(h, histograms.get(h).withCounts(c));
            }
        }
        List<RunData.ErrorRow> errors = new ArrayList<>();
        if (errorRows > 0) {
            for (Row r : gen.where(col("error").isNotNull()).orderBy("id").limit(RunData.ERROR_EXAMPLES)
                    .select("id", "source", "error").collectAsList()) {
                errors.add(new RunData.ErrorRow(r.getAs("id"), r.getAs("source"), r.getAs("error")));
            }
        }
        return new GenerationFigures(rows, errorRows, reasons, byPartition, histograms, errors);
    }

    private static Column succeeded(String column) {
        return when(col("error").isNull(), col(column).cast("double"));
    }

    private static long longOr0(Row r, int field) {
        return r.isNullAt(field) ? 0L : ((Number) r.get(field)).longValue();
    }
}
