package llamaspark.job;

import java.util.Locale;
import java.util.function.Consumer;
import llamaspark.BadInputException;
import llamaspark.model.KvCache;
import llamaspark.model.LlamaConfig;

/**
 * Whether {@code --batch-size} slots fit the memory a task has, checked before generating: each
 * slot holds its KV cache (2 x layers x seq_len x KVD floats) and its activations (x, xb, xb2, q
 * [D], k, v [KVD], hb, hb2 [FD], att [HN x L], logits and sampler scratch [2 x VS]). A batch larger
 * than fits is lowered with a message; one that cannot hold a single slot is an error.
 */
public final class BatchFit {
    private BatchFit() {
    }

    /** Bytes one batch slot needs. */
    public static long slotBytes(LlamaConfig c) {
        long kv = 2L * c.layers() * KvCache.paddedLength(c.seqLen()) * c.kvDim();
        long activations = 4L * c.dim() + 2L * c.kvDim() + 2L * c.hiddenDim() + (long) c.heads() * c.seqLen()
                + 2L * c.vocabSize();
        return 4L * (kv + activations);
    }

    /**
     * The batch size to use: {@code batch}, or fewer slots when {@code batch} do not fit in
     * {@code availableBytes} (said through {@code note}).
     *
     * @param where what the memory is ("the task's", "this JVM's"), for messages
     */
    public static int fit(LlamaConfig c, int batch, long availableBytes, String where, Consumer<String> note) {
        long slot = slotBytes(c);
        // The KV cache is one Java array per layer: at most 2^31 floats over all slots.
        long perSlotPerLayer = (long) KvCache.paddedLength(c.seqLen()) * c.kvDim();
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
