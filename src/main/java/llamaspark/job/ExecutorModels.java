package llamaspark.job;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import llamaspark.model.LoadedModel;
import llamaspark.model.ModelFiles;
import org.apache.hadoop.conf.Configuration;

/**
 * The models this JVM (an executor, or the driver in local mode) has opened, one per
 * {@link ModelRef#key()}: every task of the JVM shares it. The first task to ask fetches the file
 * and opens it with {@link ModelFiles#open}; tasks asking meanwhile wait for it. A failed open is
 * not kept, so a retried task tries again.
 */
public final class ExecutorModels {
    private ExecutorModels() {
    }

    /**
     * What opening the model cost this JVM, reported by every task.
     *
     * @param opens        times this JVM opened this model (1 when shared as it should be)
     * @param fetched      how the file reached this JVM (path, add-file, copied, reused copy, replaced copy)
     * @param fetchSeconds locating or copying the files
     * @param openSeconds  {@link ModelFiles#open}: mapping, or reading, the weights and the tokenizer
     * @param hostCopies   files this JVM copied into the host cache (all models, all jobs)
     * @param hostCopiesReused   verified copies it found there and used
     * @param hostCopiesReplaced copies it found damaged and replaced
     */
    public record Stats(int opens, String fetched, double fetchSeconds, double openSeconds, int hostCopies,
                        int hostCopiesReused, int hostCopiesReplaced) implements Serializable {
    }

    /** An open model and how it was opened. */
    record Opened(LoadedModel model, String fetched, double fetchSeconds, double openSeconds) {
    }

    private static final class Slot {
        private Opened opened;
        private int opens;

        synchronized Opened get(ModelRef ref, Configuration conf, Path cacheRoot, String executor) {
            if (opened == null) {
                long t0 = System.nanoTime();
                FileRef.Fetched m = ref.model().fetch(conf, cacheRoot, executor);
                Path tok = ref.tokenizer() == null ? null : ref.tokenizer().fetch(conf, cacheRoot, executor).path();
                long t1 = System.nanoTime();
                LoadedModel model = ModelFiles.open(m.path(), tok, ref.backend(), ref.heads(), ref.seqLen());
                opens++;
                opened = new Opened(model, m.how(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
            }
            return opened;
        }

        synchronized int opens() {
            return opens;
        }
    }

    private static final ConcurrentHashMap<String, Slot> SLOTS = new ConcurrentHashMap<>();

    /** The model of {@code ref}, opened on first use in this JVM. */
    static Opened open(ModelRef ref, Configuration conf, Path cacheRoot, String executor) {
        return SLOTS.computeIfAbsent(ref.key(), k -> new Slot()).get(ref, conf, cacheRoot, executor);
    }

    /** This JVM's figures for {@code ref}'s model, once {@link #open} returned it. */
    static Stats stats(ModelRef ref, Opened o) {
        Slot s = SLOTS.get(ref.key());
        return new Stats(s == null ? 0 : s.opens(), o.fetched(), o.fetchSeconds(), o.openSeconds(),
                HostCopy.COPIED.get(), HostCopy.REUSED.get(), HostCopy.REPLACED.get());
    }

    /** Times this JVM opened {@code ref}'s model. */
    public static int opens(ModelRef ref) {
        Slot s = SLOTS.get(ref.key());
        return s == null ? 0 : s.opens();
    }
}
