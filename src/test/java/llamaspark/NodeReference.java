package llamaspark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a script of src/test/node (the independent npm references) on JSON lines and reads its
 * JSON lines back. The packages are installed by jobs/test ({@code npm ci} in src/test/node).
 */
public final class NodeReference {
    public static final Path DIR = Path.of("src/test/node").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeReference() {}

    public static Path module(String relative) {
        Path p = DIR.resolve("node_modules").resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException(p + " is missing: run (cd src/test/node && npm ci --no-audit --no-fund)");
        }
        return p;
    }

    /** Writes {@code inputs} as JSON lines, runs {@code node script args... IN}, returns its JSON lines. */
    public static List<JsonNode> run(String script, List<?> inputs, String... args) throws IOException, InterruptedException {
        module("");
        Path in = Files.createTempFile("node-ref-in", ".jsonl");
        Path out = Files.createTempFile("node-ref-out", ".jsonl");
        Path err = Files.createTempFile("node-ref-err", ".txt");
        try {
            StringBuilder sb = new StringBuilder();
            for (Object o : inputs) {
                sb.append(JSON.writeValueAsString(o)).append('\n');
            }
            Files.writeString(in, sb, StandardCharsets.UTF_8);
            List<String> cmd = new ArrayList<>(List.of("node", script));
            cmd.addAll(List.of(args));
            cmd.add(in.toString());
            Process p = new ProcessBuilder(cmd).directory(DIR.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("node " + script + " failed: " + Files.readString(err));
            }
            List<JsonNode> result = new ArrayList<>();
            for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                if (!line.isEmpty()) {
                    result.add(JSON.readTree(line));
                }
            }
            if (result.size() != inputs.size()) {
                throw new IllegalStateException("node " + script + " gave " + result.size() + " lines for "
                        + inputs.size() + " inputs");
            }
            return result;
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
