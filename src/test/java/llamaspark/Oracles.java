package llamaspark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The llama2.c reference outputs in ../shared/oracles and the models in ../shared/models. */
public final class Oracles {
    public static final Path SHARED = Path.of("..", "shared");
    public static final Path MODELS = SHARED.resolve("models");
    public static final Path DIR = SHARED.resolve("oracles");
    public static final Path STORIES260K = MODELS.resolve("stories260K.bin");
    public static final Path AIDREAMS260K = MODELS.resolve("aidreams260K.bin");
    public static final Path AIDREAMS_TOKENIZER = MODELS.resolve("tok512-aidreams.bin");
    public static final Path LLAMA2_TOKENIZER = MODELS.resolve("llama2-tokenizer.bin");

    private Oracles() {
    }

    /** One oracle: the prompt ids run.c encoded and the ids it sampled (a final BOS included). */
    public record Ids(String name, int[] prompt, int[] generated) {
    }

    public static Ids ids(String name) {
        try {
            List<String> lines = Files.readAllLines(DIR.resolve(name + ".ids"));
            return new Ids(name, parse(lines, "prompt:"), parse(lines, "generated:"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] text(String name) {
        try {
            return Files.readAllBytes(DIR.resolve(name + ".txt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] parse(List<String> lines, String key) {
        for (String line : lines) {
            if (line.startsWith(key)) {
                String rest = line.substring(key.length()).trim();
                return rest.isEmpty() ? new int[0] : Arrays.stream(rest.split("\\s+")).mapToInt(Integer::parseInt).toArray();
            }
        }
        throw new IllegalArgumentException("no line starting with " + key);
    }
}
