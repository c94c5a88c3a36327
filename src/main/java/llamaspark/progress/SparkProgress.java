package llamaspark.progress;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The job's live counts on the driver. The driver's accumulator values change only when a task
 * ends; a running task's values arrive in its executor's heartbeats
 * ({@code spark.executor.heartbeatInterval}). This listener keeps the latest heartbeat values per
 * running task and the final values per finished partition (a partition's last successful attempt:
 * failed attempts and retries are not counted twice), and sums them.
 */
public final class SparkProgress extends SparkListener implements AutoCloseable {
    private static final int READ = 0, DONE = 1, FAILED = 2, TOKENS = 3;

    private final SparkContext sc;
    private final RowCounters counters;
    private final long[] ids; // [4] accumulator ids, by READ, DONE, FAILED, TOKENS
    private final long start = System.nanoTime();
    private final Map<Long, long[]> running = new HashMap<>(); // task id -> [4] latest heartbeat values
    private final Set<Long> ended = new HashSet<>(); // task ids that ended: later heartbeats about them are stale
    private final Map<String, long[]> finished = new HashMap<>(); // "stage:partition" -> [4] final values
    private final Set<Long> runningTasks = new HashSet<>(); // task ids started, not ended
    private boolean totalKnown;
    /** The rows the job will run when the driver knows it beforehand, else -1. */
    private long total = -1;
    private boolean complete;

    /** Listens on {@code sc} for {@code counters} until {@link #close}. */
    public SparkProgress(SparkContext sc, RowCounters counters) {
        this.sc = sc;
        this.counters = counters;
        this.ids = new long[] {counters.rowsRead.id(), counters.rowsDone.id(), counters.rowsFailed.id(), counters.tokens.id()};
        sc.addSparkListener(this);
    }

    /** The counts now, from the listener's view and Spark's status tracker. */
    public synchronized Progress now() {
        int executors = sc.isLocal() ? 1 : Math.max(0, sc.statusTracker().getExecutorInfos().length - 1);
        if (complete) { // the driver's accumulators: exact once the job's action has returned
            return new Progress(System.nanoTime() - start, counters.rowsDone(), counters.rowsFailed(), counters.rowsRead(),
                    counters.tokens(), 0, executors);
        }
        long[] sum = new long[4];
        for (long[] v : finished.values()) {
            add(sum, v);
        }
        for (long[] v : running.values()) {
            add(sum, v);
        }
        return new Progress(System.nanoTime() - start, sum[DONE], sum[FAILED], total >= 0 ? total : totalKnown ? sum[READ] : -1,
                sum[TOKENS], runningTasks.size(), executors);
    }

    private static void add(long[] sum, long[] v) {
        for (int i = 0; i < sum.length; i++) {
            sum[i] += v[i];
        }
    }

    /** This task's values of our accumulators in {@code infos} ({@code update}: the task's own part). */
    private long[] values(Iterable<AccumulableInfo> infos) {
        long[] v = null;
        for (AccumulableInfo a : infos) {
            for (int i = 0; i < ids.length; i++) {
                if (a.id() == ids[i] && a.update().isDefined()) {
                    v = v == null ? new long[4] : v;
                    v[i] = ((Number) a.update().get()).longValue();
                }
            }
        }
        return v;
    }

    @Override
    public synchronized void onTaskStart(SparkListenerTaskStart e) {
        runningTasks.add(e.taskInfo().taskId());
    }

    @Override
    public synchronized void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate e) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> t
                : CollectionConverters.asJava(e.accumUpdates())) {
            long taskId = (Long) t._1();
            long[] v = values(CollectionConverters.asJava(t._4()));
            if (v != null && !ended.contains(taskId)) { // a heartbeat may arrive after its task ended
                running.put(taskId, v);
            }
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        TaskInfo t = e.taskInfo();
        runningTasks.remove(t.taskId());
        ended.add(t.taskId());
        running.remove(t.taskId());
        if (t.successful()) {
            long[] v = values(CollectionConverters.asJava(t.accumulables()));
            if (v != null) {
                finished.put(e.stageId() + ":" + t.index(), v);
            }
        }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted e) {
        // Once the stage that reads the prompts is done, the rows read are the total.
        if (e.stageInfo().failureReason().isEmpty() && e.stageInfo().accumulables().contains(ids[READ])) {
            totalKnown = true;
        }
    }

    /**
     * The rows the job will run, when the driver knows them before it starts (no earlier attempt
     * to subtract): shown from the start, where the rows read are the total only once the stage
     * that reads them ends (never before the end, when reading and generating are one stage).
     * -1: not known. Returns this.
     */
    public synchronized SparkProgress total(long rows) {
        total = rows;
        return this;
    }

    /**
     * Called when the job's action has returned: from then on the counts are the driver's
     * accumulator values, which Spark has merged from every task by then, while the listener's
     * events may still be on their way.
     */
    public synchronized void complete() {
        complete = true;
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
