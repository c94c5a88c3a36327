package llamaspark.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Success$;
import org.apache.spark.TaskState$;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.scheduler.TaskLocality$;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.Option;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * How the listener sums what Spark tells it, fed the events Spark posts (heartbeats of running
 * tasks, task ends) in the orders retries and late heartbeats produce.
 */
class SparkProgressTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[1]").appName("llamaspark-progress-listener")
                .config("spark.ui.enabled", "false").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** Our accumulators' values as a task reports them: [read, done, failed, tokens]. */
    private static scala.collection.immutable.Seq<AccumulableInfo> values(RowCounters c, long read, long done, long failed, long tokens) {
        long[] ids = {c.rowsRead.id(), c.rowsDone.id(), c.rowsFailed.id(), c.tokens.id()};
        long[] v = {read, done, failed, tokens};
        List<AccumulableInfo> infos = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            infos.add(new AccumulableInfo(ids[i], Option.empty(), Option.apply(v[i]), Option.empty(), false, false, Option.empty()));
        }
        return CollectionConverters.asScala(infos).toList();
    }

    private static TaskInfo task(long id, int partition, int attempt) {
        return new TaskInfo(id, partition, attempt, partition, 0L, "1", "host", TaskLocality$.MODULE$.PROCESS_LOCAL(), false);
    }

    private static void heartbeat(SparkProgress p, long taskId, scala.collection.immutable.Seq<AccumulableInfo> v) {
        List<Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>>> updates =
                List.of(new Tuple4<>(taskId, 1, 0, v));
        p.onExecutorMetricsUpdate(new SparkListenerExecutorMetricsUpdate("1", CollectionConverters.asScala(updates).toList(),
                scala.collection.immutable.Map$.MODULE$.empty()));
    }

    private static void end(SparkProgress p, TaskInfo t, boolean ok, scala.collection.immutable.Seq<AccumulableInfo> v) {
        t.setAccumulables(v);
        t.markFinished(ok ? TaskState$.MODULE$.FINISHED() : TaskState$.MODULE$.FAILED(), 1L);
        p.onTaskEnd(new SparkListenerTaskEnd(1, 0, "ResultTask", Success$.MODULE$, t, null, null));
    }

    @Test
    void runningTasksCountFromHeartbeatsAndEachPartitionOnceFromItsLastSuccessfulAttempt() {
        RowCounters c = new RowCounters(spark.sparkContext());
        try (SparkProgress p = new SparkProgress(spark.sparkContext(), c)) {
            TaskInfo a0 = task(10, 0, 0), b0 = task(11, 1, 0);
            p.onTaskStart(new SparkListenerTaskStart(1, 0, a0));
            p.onTaskStart(new SparkListenerTaskStart(1, 0, b0));
            heartbeat(p, 10, values(c, 0, 2, 0, 50));
            heartbeat(p, 11, values(c, 0, 1, 1, 20));
            Progress now = p.now();
            assertEquals(List.of(3L, 1L, 70L, 2, 1), List.of(now.rowsDone(), now.rowsFailed(), now.tokens(), now.runningTasks(), now.executors()));
            heartbeat(p, 10, values(c, 0, 3, 0, 80)); // the latest heartbeat replaces the one before
            assertEquals(4, p.now().rowsDone());

            end(p, a0, false, values(c, 0, 3, 0, 80)); // failed attempt: its rows go
            assertEquals(List.of(1L, 20L, 1), List.of(p.now().rowsDone(), p.now().tokens(), p.now().runningTasks()));
            heartbeat(p, 10, values(c, 0, 3, 0, 80)); // a late heartbeat of the ended attempt
            assertEquals(1, p.now().rowsDone());

            TaskInfo a1 = task(12, 0, 1);
            p.onTaskStart(new SparkListenerTaskStart(1, 0, a1));
            heartbeat(p, 12, values(c, 0, 1, 0, 30));
            assertEquals(2, p.now().rowsDone());
            end(p, a1, true, values(c, 0, 5, 0, 200));
            end(p, b0, true, values(c, 0, 4, 2, 90));
            now = p.now();
            assertEquals(List.of(9L, 2L, 290L, 0), List.of(now.rowsDone(), now.rowsFailed(), now.tokens(), now.runningTasks()));
            TaskInfo speculative = task(13, 0, 2); // another successful attempt of partition 0 replaces, not adds
            end(p, speculative, true, values(c, 0, 5, 0, 200));
            assertEquals(9, p.now().rowsDone());
            assertEquals(-1, p.now().rowsTotal(), "no stage read prompts yet");
        }
    }
}
