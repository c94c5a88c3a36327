package llamaspark.job;

import java.util.Locale;
import java.util.function.Consumer;
import llamaspark.BadInputException;
import llamaspark.model.KvCache;
import llamaspark.model.KvPrecision;
import llamaspark.model.LlamaConfig;

/**
 * Whether {@code --batch-size} slots fit the memory a task has, checked before generating: each
 * slot holds its KV cache (2 x layers x seq_len x KVD values, 4 or 2 bytes each) and its activations (x, xb, xb2, q
 * [D], k, v [KVD], hb, hb2 [FD], att [HN x L], logits and sampler scratch [2 x VS]). A batch larger
 * than fits is lowered with a message; one that cannot hold a single slot is an error.
 */
public final class BatchFit {
    private BatchFit() {
    }

    /** Bytes one batch slot needs with a float32 KV cache. */
    public static long slotBytes(LlamaConfig c) {
        return slotBytes(c, KvPrecision.F32);
    }

    /** Bytes one batch slot needs with a KV cache of {@code kv} precision. */
    public static long slotBytes(LlamaConfig c, KvPrecision kv) {
        long kvValues = 2L * c.layers() * KvCache.paddedLength(c.seqLen()) * c.kvDim();
        long activations = 4L * c.dim() + 2L * c.kvDim() + 2L * c.hiddenDim() + (long) c.heads() * c.seqLen()
                + 2L * c.vocabSize();
        return kv.bytes() * kvValues + 4L * activations;
    }

    /**
     * The batch size to use: {@code batch}, or fewer slots when {@code batch} do not fit in
     * {@code availableBytes} (said through {@code note}).
     *
     * @param where what the memory is ("the task's", "this JVM's"), for messages
     */
    public static int fit(LlamaConfig c, int batch, long availableBytes, String where, Consumer<String> note) {
        return fit(c, KvPrecision.F32, batch, availableBytes, where, note);
    }

    /** {@link #fit(LlamaConfig, int, long, String, Consumer)} for a KV cache of {@code kv} precision. */
    public static int fit(LlamaConfig c, KvPrecision kv, int batch, long availableBytes, String where, Consumer<String> note) {
        long slot = slotBytes(c, kv);
        // The KV cache is one Java array per layer: at most 2^31 elements (a float, or an int of two halves) over all slots.
        long perSlotPerLayer = (long) KvCache.paddedLength(c.seqLen()) * c.kvDim() * kv.bytes() / 4;
        long fits = Math.min(Math.max(0, availableBytes) / slot, (Integer.MAX_VALUE - 8) / perSlotPerLayer);
        if (fits < 1) {
            throw new BadInputException("--batch-size", String.format(Locale.ROOT,
                    "one batch slot needs %s (KV cache and activations for seq_len %d) but %s memory has %s free for it; give the task more memory",
                    mib(slot), c.seqLen(), where, mib(availableBytes)));
        }
        if (batch > fits) {
            note.accept(String.format(Locale.ROOT, "--batch-size %d needs %s for KV caches and activations; %s memory has %s: using --batch-size %d",
                    batch, mib(slot * batch), where, mib(availableBytes), fits));
            return (int) fits;
        }
        return batch;
    }

    /** What this JVM can still give to batch slots: the heap not yet used, less a quarter for everything else. */
    public static long freeHeap() {
        Runtime r = Runtime.getRuntime();
        long free = r.maxMemory() - (r.totalMemory() - r.freeMemory());
        return free * 3 / 4;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}
