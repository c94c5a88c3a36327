package llamaspark.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

class StageProfileTest {

    private static StageProfile profile(long... nanos) {
        StageProfile p = new StageProfile();
        for (long n : nanos) {
            p.record(Stage.GENERATE_ITERATION, n);
            p.record(Stage.LLAMA_HEAD, n / 2);
        }
        return p;
    }

    @Test
    void twoProfilesMergeIntoTheProfileOfAllCalls() {
        StageProfile a = profile(10, 30);
        StageProfile b = profile(5, 100, 20);
        StageProfile all = profile(10, 30, 5, 100, 20);
        StageProfile merged = a.copy().merge(b);
        for (Stage s : Stage.values()) {
            assertEquals(all.calls(s), merged.calls(s), s.label());
            assertEquals(all.totalNanos(s), merged.totalNanos(s), s.label());
            assertEquals(all.minNanos(s), merged.minNanos(s), s.label());
            assertEquals(all.maxNanos(s), merged.maxNanos(s), s.label());
        }
        assertEquals(5, merged.minNanos(Stage.GENERATE_ITERATION));
        assertEquals(100, merged.maxNanos(Stage.GENERATE_ITERATION));
        assertEquals(0, merged.minNanos(Stage.ARGMAX), "a stage that never ran reports 0");
    }

    @Test
    void disabledProfileRecordsNothing() {
        StageProfile p = StageProfile.disabled();
        p.stop(Stage.LLAMA_TOTAL, p.start());
        assertEquals(0, p.calls(Stage.LLAMA_TOTAL));
    }

    @Test
    void survivesSerialization() throws Exception {
        StageProfile p = profile(7, 9);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        StageProfile back = (StageProfile) new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())).readObject();
        assertEquals(16, back.totalNanos(Stage.GENERATE_ITERATION));
        assertEquals(2, back.calls(Stage.LLAMA_HEAD));
    }

    @Test
    void tableHasTheStudyColumnsIndentedByLevel() {
        StageProfile p = profile(2_000_000, 4_000_000);
        String table = ProfileTable.format(p);
        String[] lines = table.split("\\R");
        assertTrue(lines[0].matches("Operation\\s+Calls\\s+Total\\(ms\\)\\s+Avg\\(ms\\)\\s+%Total"), lines[0]);
        assertTrue(lines[2].matches("generate\\.iteration\\s+2\\s+6\\.00\\s+3\\.000\\s+100\\.0%"), lines[2]);
        assertTrue(lines[3].matches("    llama\\.head\\s+2\\s+3\\.00\\s+1\\.500\\s+50\\.0%"), lines[3]);
        assertEquals(4, lines.length, "stages that never ran are left out");
    }

    @Test
    void stagesNestAsInTheStudy() {
        assertEquals(Stage.BLOCK_TOTAL, Stage.BLOCK_ATTENTION.parent());
        assertEquals(Stage.LLAMA_LAYERS, Stage.BLOCK_TOTAL.parent());
        assertEquals(Stage.DO_SAMPLING, Stage.TOP_P_LOGITS.parent());
        assertEquals(0, Stage.GENERATE_ITERATION.level());
        assertEquals(4, Stage.BLOCK_FEEDFORWARD.level());
        for (Stage s : Stage.values()) {
            if (s.parent() != null) {
                assertTrue(s.parent().ordinal() < s.ordinal(), "a parent prints before its children");
            }
        }
    }
}
