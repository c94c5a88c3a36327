package llamaspark.report;

/**
 * Counts of a numeric column in {@link #BINS} equal bins from its minimum to its maximum, counted by
 * {@link GenerationFigures}, every histogram's bins in one pass. Bin i holds lo(i) <= x < lo(i + 1);
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

    /**
     * The bin of {@code x} among {@code bins} bins of {@code width} from {@code min}: Spark's
     * {@code least(floor((x - min) / width), bins - 1)} in the same double arithmetic; -1 below the first.
     */
    static int bin(double x, double min, double width, int bins) {
        long b = Math.min((long) Math.floor((x - min) / width), bins - 1);
        return b < 0 ? -1 : (int) b;
    }

    /** This layout with its bins' counts. */
    Histogram withCounts(long[] c) {
        if (c.length != counts.length) {
            throw new IllegalArgumentException(column + ": " + c.length + " counts for " + counts.length + " bins");
        }
        return new Histogram(column, n, min, max, width, c.clone());
    }
}
