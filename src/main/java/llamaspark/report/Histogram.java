package llamaspark.report;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;

/**
 * Counts of a numeric column in {@link #BINS} equal bins from its minimum to its maximum, counted by
 * Spark ({@link RunData} counts every histogram's bins in one pass). Bin i holds lo(i) <= x < lo(i + 1);
 * the last bin also holds the maximum.
 */
public record Histogram(String column, long n, double min, double max, double width, long[] counts) {
    static final int BINS = 20;

    public double lo(int bin) {
        return min + bin * width;
    }

    public double hi(int bin) {
        return min + (bin + 1) * width;
    }

    /**
     * The bins of {@code n} values from {@code min} to {@code max}, not yet counted: integer columns
     * get integer widths, so each bin is a whole range of token counts.
     */
    static Histogram layout(String column, long n, double min, double max, boolean integer) {
        if (n == 0) {
            return new Histogram(column, 0, 0, 0, 1, new long[0]);
        }
        double width = integer ? Math.max(1, Math.ceil((max - min + 1) / BINS)) : (max > min ? (max - min) / BINS : 1);
        int bins = (int) Math.min(BINS, Math.floor((max - min) / width) + 1);
        return new Histogram(column, n, min, max, width, new long[bins]);
    }

    /** One aggregate per bin, in bin order: how many values of {@code x} (a double, null to skip) fall in it. */
    List<Column> binCounts(Column x) {
        // least() skips nulls, so a skipped value must be kept out of the last bin explicitly.
        Column bin = when(x.isNotNull(), least(floor(x.minus(min).divide(width)), lit(counts.length - 1)).cast(org.apache.spark.sql.types.DataTypes.IntegerType));
        List<Column> aggs = new ArrayList<>(counts.length);
        for (int i = 0; i < counts.length; i++) {
            aggs.add(count(when(bin.equalTo(i), 1)));
        }
        return aggs;
    }

    /** This layout with its bins' counts taken from {@code row}, from field {@code first} on. */
    Histogram counted(Row row, int first) {
        long[] c = new long[counts.length];
        for (int i = 0; i < c.length; i++) {
            c[i] = row.getLong(first + i);
        }
        return new Histogram(column, n, min, max, width, c);
    }
}
