package llamaspark.progress;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * The job's named accumulators, as Spark's UI shows them: rows read (the total), rows done, rows
 * failed, completion tokens. Executors add to them row by row and step by step; their running values reach the
 * driver in executor heartbeats, which {@link SparkProgress} reads.
 */
public final class RowCounters implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String ROWS_READ = "llamaspark.rows_read";
    public static final String ROWS_DONE = "llamaspark.rows_done";
    public static final String ROWS_FAILED = "llamaspark.rows_failed";
    public static final String TOKENS = "llamaspark.tokens";

    final LongAccumulator rowsRead;
    final LongAccumulator rowsDone;
    final LongAccumulator rowsFailed;
    final LongAccumulator tokens;

    public RowCounters(SparkContext sc) {
        rowsRead = sc.longAccumulator(ROWS_READ);
        rowsDone = sc.longAccumulator(ROWS_DONE);
        rowsFailed = sc.longAccumulator(ROWS_FAILED);
        tokens = sc.longAccumulator(TOKENS);
    }

    /** On an executor: one row finished. */
    public void row(boolean failed) {
        rowsDone.add(1);
        if (failed) {
            rowsFailed.add(1);
        }
    }

    /** On an executor: {@code n} more tokens generated (after each step, so long rows show motion too). */
    public void tokens(long n) {
        tokens.add(n);
    }

    /** On an executor: passes {@code rows} through, counting them as read. */
    public <T> Iterator<T> read(Iterator<T> rows) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public T next() {
                T t = rows.next();
                rowsRead.add(1);
                return t;
            }
        };
    }

    /** The driver's values: what finished tasks added (Spark's own count, for the UI and tests). */
    public long rowsDone() {
        return rowsDone.value();
    }

    public long rowsFailed() {
        return rowsFailed.value();
    }

    public long tokens() {
        return tokens.value();
    }

    public long rowsRead() {
        return rowsRead.value();
    }
}
