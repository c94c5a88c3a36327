package llamaspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import llamaspark.Oracles;
import llamaspark.model.CheckpointReader;
import llamaspark.model.LlamaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands, run in-process with stdout and stderr captured. */
class CliTest {

    private record Run(int exit, byte[] out, String err) {
    }

    private static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int exit = Main.run(args);
            return new Run(exit, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void generatePrintsWhatRunCPrints() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-t", "1.0", "-p", "0.9", "-s", "42", "-n", "100", "-i", "Once upon a time", "--batch-size", "3");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(Oracles.text("aidreams260K_topp_t1_p0.9_s42_once_upon_a_time"), r.out());
    }

    @Test
    void profilePrintsTheStageTableOnStderr() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-t", "0", "-n", "100", "-i", "I dream of", "--backend", "ejml", "--profile");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(Oracles.text("aidreams260K_greedy_i_dream_of"), r.out());
        assertTrue(r.err().contains("Operation"), r.err());
        assertTrue(r.err().matches("(?s).*\\n\\s+llama\\.head\\s+\\d+.*"), r.err());
        assertTrue(r.err().matches("(?s).*\\d+\\.\\d tok/s.*"), r.err());
    }

    @Test
    void maxNewTokensStopsAtEos() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-t", "1.0", "-p", "0.9", "-s", "42", "--max-new-tokens", "500", "-i", "Once upon a time");
        assertEquals(0, r.exit(), r.err());
        String oracle = new String(Oracles.text("aidreams260K_topp_t1_p0.9_s42_once_upon_a_time"), StandardCharsets.UTF_8);
        assertEquals(oracle.substring(0, oracle.indexOf("\n</s>")) + "\n", new String(r.out(), StandardCharsets.UTF_8));
    }

    @Test
    void badModelFileIsOneClearLine() throws Exception {
        Path bogus = Files.createTempFile("bogus", ".bin");
        Files.write(bogus, new byte[] {1, 2, 3});
        Run r = run("generate", "--model", bogus.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString());
        assertEquals(2, r.exit());
        assertEquals("llamaspark: " + bogus + ": file is 3 bytes, too short for the 28-byte llama2.c checkpoint header",
                r.err().strip());
    }

    @Test
    void tokenizerOfAnotherModelIsRejected() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.LLAMA2_TOKENIZER.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("llamaspark: " + Oracles.LLAMA2_TOKENIZER), r.err());
        assertTrue(r.err().contains("512"), r.err());
    }

    @Test
    void makeCheckpointWritesTheShapeAsked(@TempDir Path dir) {
        Path out = dir.resolve("tiny.bin");
        Run r = run("make-checkpoint", "--out", out.toString(), "--dim", "32", "--hidden-dim", "48", "--layers", "2",
                "--heads", "4", "--kv-heads", "2", "--vocab-size", "64", "--seq-len", "16", "--seed", "3");
        assertEquals(0, r.exit(), r.err());
        assertEquals(new LlamaConfig(32, 48, 2, 4, 2, 64, 16, true), CheckpointReader.readConfig(out));
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        String text = new String(r.out(), StandardCharsets.UTF_8);
        assertEquals(0, r.exit());
        assertTrue(text.contains("generate") && text.contains("make-checkpoint"), text);
    }
}
