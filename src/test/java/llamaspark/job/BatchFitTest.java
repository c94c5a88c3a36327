package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.model.KvPrecision;
import llamaspark.model.LlamaConfig;
import org.junit.jupiter.api.Test;

/** The batch-size check against a task's memory, on stories15M's shape. */
class BatchFitTest {
    private static final LlamaConfig STORIES15M = new LlamaConfig(288, 768, 6, 6, 6, 32000, 256, true);

    @Test
    void slotBytesAreTheKvCacheAndTheActivations() {
        long kv = 2L * 6 * 256 * 288;                              // keys and values, every layer and position
        long act = 4L * 288 + 2L * 288 + 2L * 768 + 6L * 256 + 2L * 32000;
        assertEquals(4 * (kv + act), BatchFit.slotBytes(STORIES15M));
    }

    @Test
    void aHalfCacheTakesTwoBytesPerValueAndFitsMoreSlots() {
        long kv = 2L * 6 * 256 * 288;
        long act = 4L * 288 + 2L * 288 + 2L * 768 + 6L * 256 + 2L * 32000;
        assertEquals(2 * kv + 4 * act, BatchFit.slotBytes(STORIES15M, KvPrecision.F16));
        long memory = 10 * BatchFit.slotBytes(STORIES15M);
        assertEquals(10, BatchFit.fit(STORIES15M, KvPrecision.F32, 64, memory, "the task's", s -> { }));
        assertEquals(memory / BatchFit.slotBytes(STORIES15M, KvPrecision.F16),
                BatchFit.fit(STORIES15M, KvPrecision.F16, 64, memory, "the task's", s -> { }));
        assertEquals(18, memory / BatchFit.slotBytes(STORIES15M, KvPrecision.F16));
        // One Java array per layer: an int holds two halves, so twice the slots of float32.
        LlamaConfig longContext = new LlamaConfig(4096, 11008, 32, 32, 32, 32000, 131072, false);
        long plenty = Long.MAX_VALUE / 4;
        assertEquals(3, BatchFit.fit(longContext, KvPrecision.F32, 64, plenty, "the task's", s -> { }));
        assertEquals(7, BatchFit.fit(longContext, KvPrecision.F16, 64, plenty, "the task's", s -> { }));
    }

    @Test
    void aBatchTooLargeIsLoweredWithAMessageAndOneThatCannotFitIsAnError() {
        long slot = BatchFit.slotBytes(STORIES15M);
        List<String> notes = new ArrayList<>();
        assertEquals(32, BatchFit.fit(STORIES15M, 32, 40 * slot, "the task's", notes::add));
        assertEquals(List.of(), notes);
        assertEquals(10, BatchFit.fit(STORIES15M, 64, 10 * slot + 5, "the task's", notes::add));
        assertEquals(List.of("--batch-size 64 needs 232.8 MiB for KV caches and activations; the task's memory has 36.4 MiB: using --batch-size 10"),
                notes);
        BadInputException e = assertThrows(BadInputException.class,
                () -> BatchFit.fit(STORIES15M, 4, slot - 1, "the task's", notes::add));
        assertEquals("--batch-size: one batch slot needs 3.6 MiB (KV cache and activations for seq_len 256) but the task's memory has 3.6 MiB free for it; give the task more memory",
                e.getMessage());
    }
}
