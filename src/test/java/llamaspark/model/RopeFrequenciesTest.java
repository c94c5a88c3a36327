package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import llamaspark.model.gguf.GgufBpeVocabulary;
import llamaspark.model.gguf.GgufFile;
import llamaspark.model.gguf.GgufLlamaSpec;
import llamaspark.model.gguf.GgufRope;
import llamaspark.model.gguf.RandomBpeGguf;
import llamaspark.model.quant.GgmlType;
import llamaspark.tokenizer.BpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RoPE frequencies against the published formulas, computed here independently in double: Meta's
 * {@code apply_scaling} (llama-models, Llama 3.1) and HF's {@code _compute_llama3_parameters}.
 */
class RopeFrequenciesTest {
    /** Llama 3.1 8B's config.json values. */
    static final RopeScaling LLAMA31 = RopeScaling.llama3(8f, 1f, 4f, 8192);

    /** Meta's apply_scaling, verbatim in double: new frequency of base frequency {@code freq}. */
    static double metaScaled(double freq, double factor, double low, double high, double oldContext) {
        double lowFreqWavelen = oldContext / low;
        double highFreqWavelen = oldContext / high;
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highFreqWavelen) {
            return freq;
        } else if (wavelen > lowFreqWavelen) {
            return freq / factor;
        }
        double smooth = (oldContext / wavelen - low) / (high - low);
        return (1 - smooth) * freq / factor + smooth * freq;
    }

    @Test
    void plainIsBitIdenticalToRopeTable() {
        int hd = 16, seqLen = 300;
        float[] freq = RopeFrequencies.plain(hd, 10000f);
        RopeTable table = new RopeTable(hd, seqLen);
        float[] x = new float[hd];
        for (int pos = 0; pos < seqLen; pos++) {
            for (int i = 0; i < hd; i += 2) {
                x[i] = 1f;
                x[i + 1] = 0f;
            }
            table.rotate(x, 0, hd, pos);
            for (int j = 0; j < hd / 2; j++) {
                float angle = pos * freq[j];
                assertEquals(Float.floatToIntBits((float) Math.cos(angle)), Float.floatToIntBits(x[2 * j]), "cos pos " + pos + " j " + j);
                assertEquals(Float.floatToIntBits((float) Math.sin(angle)), Float.floatToIntBits(x[2 * j + 1]), "sin pos " + pos + " j " + j);
            }
        }
    }

    @Test
    void llama3MatchesMetaFormulaPastTheOriginalContext() {
        for (int hd : new int[] {128, 64, 16}) {
            float theta = 500000f;
            float[] freq = RopeFrequencies.of(hd, theta, LLAMA31);
            int scaled = 0, blended = 0;
            for (int j = 0; j < hd / 2; j++) {
                double base = 1 / Math.pow(500000.0, 2.0 * j / hd);
                double expected = metaScaled(base, 8, 1, 4, 8192);
                double wavelen = 2 * Math.PI / base;
                scaled += wavelen > 8192 ? 1 : 0;
                blended += wavelen >= 2048 && wavelen <= 8192 ? 1 : 0;
                for (int pos : new int[] {8191, 8192, 8193, 12345, 32768, 65536, 100000, 131071}) {
                    double want = pos * expected;
                    float angle = pos * freq[j]; // the engine's float32 angle
                    double tol = 4e-7 * want + 1e-6;
                    assertEquals(Math.cos(want), Math.cos(angle), tol, "cos hd " + hd + " j " + j + " pos " + pos);
                    assertEquals(Math.sin(want), Math.sin(angle), tol, "sin hd " + hd + " j " + j + " pos " + pos);
                }
                assertEquals(expected, freq[j], expected * 3e-7, "freq hd " + hd + " j " + j);
            }
            assertTrue(scaled > 0, "hd " + hd + " has low frequencies divided by the factor");
            if (hd >= 64) {
                assertTrue(blended > 0, "hd " + hd + " has frequencies in the smooth band");
            }
        }
    }

    @Test
    void linearDividesEveryFrequency() {
        float[] plain = RopeFrequencies.plain(32, 10000f);
        float[] lin = RopeFrequencies.of(32, 10000f, RopeScaling.linear(4f));
        for (int j = 0; j < plain.length; j++) {
            assertEquals(1 / Math.pow(10000.0, 2.0 * j / 32) / 4, lin[j], lin[j] * 3e-7);
        }
    }

    /** GPT-2's byte-to-unicode table, from its published definition (printable bytes map to themselves). */
    static String[] byteLevelAlphabet() {
        String[] t = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            t[b] = String.valueOf((char) (printable ? b : 256 + n++));
        }
        return t;
    }

    @Test
    void ggufRopeFreqsTensorGivesTheLlama3Formula(@TempDir Path dir) {
        int hd = 64;
        LlamaConfig c = new LlamaConfig(128, 64, 1, 2, 1, 256, 32, true);
        int[] types = new int[256];
        java.util.Arrays.fill(types, BpeTokenizer.TYPE_NORMAL);
        Path file = dir.resolve("rope.gguf");
        RandomBpeGguf.write(new RandomCheckpoint(c, 7, 0.02f), new RandomBpeGguf.Settings(GgmlType.F32, 500000f,
                LLAMA31, 1e-5f, new GgufBpeVocabulary.Arrays(byteLevelAlphabet(), new String[0], types), "gpt2",
                -1, -1, -1), file);
        GgufFile gguf = GgufFile.read(file);
        assertTrue(gguf.tensor(GgufRope.FREQS_TENSOR) != null, "the file stores rope_freqs");
        float[] freq = GgufRope.frequencies(GgufLlamaSpec.of(gguf));
        for (int j = 0; j < hd / 2; j++) {
            double expected = metaScaled(1 / Math.pow(500000.0, 2.0 * j / hd), 8, 1, 4, 8192);
            assertEquals(expected, freq[j], expected * 3e-7, "j " + j);
        }
        assertTrue(Files.exists(file));
    }
}
