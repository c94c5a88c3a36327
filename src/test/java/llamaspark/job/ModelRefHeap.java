package llamaspark.job;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;

/**
 * Measurement (not a test): the driver's heap before and after making the model reference of a
 * model, and what the reference weighs serialized. {@code jobs/measure-model-ref} runs it:
 * <pre>java -cp ... llamaspark.job.ModelRefHeap --model FILE [--tokenizer T] [--model-from ...]</pre>
 */
public final class ModelRefHeap {
    private ModelRefHeap() {
    }

    private static long usedAfterGc(MemoryMXBean mem) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return mem.getHeapMemoryUsage().getUsed();
    }

    public static void main(String[] args) throws Exception {
        ModelOptions o = new ModelOptions();
        new CommandLine(o).parseArgs(args);
        SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
            long before = usedAfterGc(mem);
            long t0 = System.nanoTime();
            ModelRef ref = ModelRef.create(spark.sparkContext(), o);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long peakish = mem.getHeapMemoryUsage().getUsed();
            long after = usedAfterGc(mem);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(ref);
            }
            System.out.printf(Locale.ROOT, "model %s: %d bytes, format %s, tensor types %s%n", ref.model().name(),
                    ref.model().size(), ref.format(), ref.tensorTypes());
            System.out.printf(Locale.ROOT, "driver heap used after GC: before %.1f MiB, after %.1f MiB (%+.1f MiB; "
                            + "%.1f MiB before GC), model reference %d bytes serialized, made in %.2f s%n",
                    before / 1048576.0, after / 1048576.0, (after - before) / 1048576.0, peakish / 1048576.0,
                    bytes.size(), seconds);
        } finally {
            spark.stop();
        }
    }
}
