package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import llamaspark.profile.StageProfile;
import org.junit.jupiter.api.Test;

/** An executor's line of run.json: its tasks summed, and its memory on huge pages as the tasks saw it. */
class ExecutorSummaryTest {
    private static TaskProfile task(long rows, long hugePageBytes) {
        return new TaskProfile("1", "host", 0, new StageProfile(), rows, 0, 10, 20, 2_000_000_000L, 1, null, hugePageBytes);
    }

    private static JobResult.ExecutorSummary empty() {
        return new JobResult.ExecutorSummary("1", "host", 0, 0, 0, 0.0, 0, null, -1);
    }

    @Test
    void hugePagesAreTheLargestATaskSawInMegabytes() throws Exception {
        JobResult.ExecutorSummary e = empty().plus(task(3, 0)).plus(task(4, 1536L << 20)).plus(task(5, 512L << 20));
        assertEquals(3, e.partitions());
        assertEquals(12, e.rows());
        assertEquals(1536L, e.hugePagesMb());
        JsonNode json = new ObjectMapper().valueToTree(e);
        assertEquals(1536, json.get("huge_pages_mb").asLong());
        assertFalse(json.has("huge_page_bytes"), json::toString);
    }

    @Test
    void fourKilobytePagesShowAsZeroAndAnUnknownAsNull() {
        assertEquals(0L, empty().plus(task(1, 0)).hugePagesMb());
        JobResult.ExecutorSummary unknown = empty().plus(task(1, -1));
        assertNull(unknown.hugePagesMb());
        assertTrue(new ObjectMapper().valueToTree(unknown).get("huge_pages_mb").isNull());
    }
}
