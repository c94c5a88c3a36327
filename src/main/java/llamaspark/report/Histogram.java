package llamaspark.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Counts of a numeric column in {@link #BINS} equal bins from its minimum to its maximum, counted by
 * Spark. Bin i holds lo(i) <= x < lo(i + 1); the last bin also holds the maximum. Integer columns
 * get integer widths, so each bin is a whole range of token counts.
 */
public record Histogram(String column, long n, double min, double max, double width, long[] counts) {
    static final int BINS = 20;

    public double lo(int bin) {
        return min + bin * width;
    }

    public double hi(int bin) {
        return min + (bin + 1) * width;
    }

    static Histogram of(Dataset<Row> rows, String column, boolean integer) {
        Dataset<Row> values = rows.where(col(column).isNotNull()).select(col(column).cast("double").as("x"));
        Row range = values.agg(functions.min("x"), functions.max("x"), functions.count("x")).first();
        long n = range.getLong(2);
        if (n == 0) {
            return new Histogram(column, 0, 0, 0, 1, new long[0]);
        }
        double lo = range.getDouble(0);
        double hi = range.getDouble(1);
        double width = integer ? Math.max(1, Math.ceil((hi - lo + 1) / BINS)) : (hi > lo ? (hi - lo) / BINS : 1);
        int bins = (int) Math.min(BINS, Math.floor((hi - lo) / width) + 1);
        long[] counts = new long[bins];
        for (Row r : values.select(least(floor(col("x").minus(lo).divide(width)), lit(bins - 1)).cast("int").as("bin"))
                .groupBy("bin").count().collectAsList()) {
            counts[r.getInt(0)] += r.getLong(1);
        }
        return new Histogram(column, n, lo, hi, width, counts);
    }
}
