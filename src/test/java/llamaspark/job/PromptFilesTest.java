package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing of the text prompt formats, without Spark. */
class PromptFilesTest {

    @Test
    void txtIsOnePromptPerNonBlankLine() {
        List<PromptRow> rows = PromptFiles.parse(PromptFiles.Kind.TXT, "/x/p.txt", "first\n\n  \nsecond\r\nthird");
        assertEquals(List.of("p.txt:1", "p.txt:4", "p.txt:5"), rows.stream().map(PromptRow::id).toList());
        assertEquals(List.of("first", "second", "third"), rows.stream().map(PromptRow::prompt).toList());
    }

    @Test
    void jsonlFieldsAndErrorsWithLineNumbers() {
        List<PromptRow> rows = PromptFiles.parse(PromptFiles.Kind.JSONL, "dir/q.jsonl", String.join("\n",
                "{\"id\": \"a\", \"prompt\": \"hi\", \"max_new_tokens\": 5, \"temperature\": 0.5, \"top_p\": 0.8,"
                        + " \"top_k\": 3, \"min_p\": 0.05, \"seed\": 12345678901, \"stop\": [\"x\", \"y\"]}",
                "",
                "{\"prompt\": \"no id\", \"stop\": \"z\", \"seed\": \"77\"}",
                "{\"prompt\": \"oops\"",
                "{\"prompt\": 5}",
                "{\"prompt\": \"x\", \"temperature\": \"hot\"}",
                "{\"prompt\": \"x\", \"stop\": [1]}"));
        PromptRow a = rows.get(0);
        assertEquals("a", a.id());
        assertEquals(5, a.maxNewTokens());
        assertEquals(0.5f, a.temperature());
        assertEquals(0.8f, a.topP());
        assertEquals(3, a.topK());
        assertEquals(0.05f, a.minP());
        assertEquals(12345678901L, a.seed());
        assertEquals(List.of("x", "y"), a.stop());
        assertEquals("q.jsonl:1", a.source());
        PromptRow b = rows.get(1);
        assertEquals("q.jsonl:3", b.id());
        assertEquals(List.of("z"), b.stop());
        assertEquals(77L, b.seed());
        assertNull(b.temperature());
        assertTrue(rows.get(2).inputError().startsWith("q.jsonl:4: malformed JSON"), rows.get(2).inputError());
        assertEquals("q.jsonl:5: field 'prompt' must be a string, got 5", rows.get(3).inputError());
        assertEquals("q.jsonl:6: field 'temperature' must be a number, got \"hot\"", rows.get(4).inputError());
        assertEquals("q.jsonl:7: field 'stop' must hold strings, got 1", rows.get(5).inputError());
        assertEquals(6, rows.size());
    }

    @Test
    void csvWithHeaderQuotesAndRecordLines() {
        List<PromptRow> rows = PromptFiles.parse(PromptFiles.Kind.CSV, "p.csv",
                "prompt,top_k,stop,id\n\"Pixels, petals\",5,\"[\"\"x\"\"]\",\nThresholds,,,t2\n\"two\nlines\",1,,\n");
        assertEquals(3, rows.size());
        assertEquals("p.csv:2", rows.get(0).id());
        assertEquals("Pixels, petals", rows.get(0).prompt());
        assertEquals(5, rows.get(0).topK());
        assertEquals(List.of("x"), rows.get(0).stop());
        assertEquals("t2", rows.get(1).id());
        assertEquals("p.csv:3", rows.get(1).source());
        assertNull(rows.get(1).topK());
        assertEquals("two\nlines", rows.get(2).prompt());
        assertEquals("p.csv:4", rows.get(2).source());
    }

    @Test
    void csvWithoutPromptColumnIsOneErrorRow() {
        List<PromptRow> rows = PromptFiles.parse(PromptFiles.Kind.CSV, "p.csv", "text\nhello\n");
        assertEquals(1, rows.size());
        assertEquals("p.csv:1: the CSV header has no 'prompt' column", rows.get(0).inputError());
    }

    @Test
    void derivedSeedsAreStableAndDistinct() {
        assertEquals(RowSeeds.derive(42, "a"), RowSeeds.derive(42, "a"));
        assertTrue(RowSeeds.derive(42, "a") != RowSeeds.derive(42, "b"));
        assertTrue(RowSeeds.derive(42, "a") != RowSeeds.derive(43, "a"));
        assertTrue(RowSeeds.derive(0, "") > 0);
    }
}
