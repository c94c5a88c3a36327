package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import llamaspark.Oracles;
import llamaspark.model.kernel.Backend;
import llamaspark.profile.StageProfile;

/** Helpers shared by the model tests: checkpoint bytes, the shared Python generator, a forward driver. */
public final class TestModels {
    static final Path MAKE_CHECKPOINT = Oracles.SHARED.resolve("bench").resolve("make_checkpoint.py");

    private TestModels() {
    }

    /** The 28-byte llama2.c header, little endian. */
    static byte[] header(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen) {
        return ByteBuffer.allocate(CheckpointReader.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kvHeads).putInt(vocab)
                .putInt(seqLen).array();
    }

    /** A header followed by {@code floats} float32 values 0.001 * i. */
    static Path writeBin(Path file, byte[] header, long floats) {
        ByteBuffer b = ByteBuffer.allocate(header.length + (int) (4 * floats)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header);
        for (int i = 0; i < floats; i++) {
            b.putFloat(0.001f * i);
        }
        return write(file, b.array());
    }

    static Path write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The floats after the header of a .bin. */
    static float[] floatsAfterHeader(Path file) {
        byte[] bytes = read(file);
        float[] out = new float[(bytes.length - CheckpointReader.HEADER_BYTES) / 4];
        ByteBuffer.wrap(bytes, CheckpointReader.HEADER_BYTES, bytes.length - CheckpointReader.HEADER_BYTES)
                .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Runs ../shared/bench/make_checkpoint.py with {@code args}; fails the test if it fails. */
    static void makeCheckpoint(String... args) {
        List<String> cmd = new ArrayList<>(List.of("python3", MAKE_CHECKPOINT.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "make_checkpoint.py timed out");
            assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed:\n"
                    + new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Feeds {@code tokens} one per step at positions 0, 1, ... of slot 0; returns each step's logits. */
    public static float[][] forwardSteps(LlamaWeights w, Backend backend, int... tokens) {
        try (Llama llama = new Llama(w, backend, 1, 4)) {
            StepBatch batch = new StepBatch(4, 1);
            float[][] logits = new float[tokens.length][w.config.vocabSize()];
            for (int pos = 0; pos < tokens.length; pos++) {
                batch.clear();
                batch.wantLogits(batch.add(tokens[pos], 0, pos));
                llama.forward(batch, logits[pos], StageProfile.disabled());
            }
            return logits;
        }
    }
}
