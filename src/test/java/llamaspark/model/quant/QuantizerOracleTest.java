package llamaspark.model.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quantizer and dequantizer against llama.cpp: kq256.bin's float32 weights quantized here must
 * equal, byte for byte, the tensors llama-quantize wrote into kq256-TYPE.gguf; and each tensor of
 * those files dequantized here must equal, bit for bit, kq256-TYPE.dequantized.bin (written by
 * llama.cpp's Python gguf package). Tensor offsets come from the npm package @huggingface/gguf.
 */
class QuantizerOracleTest {
    private static Map<String, float[]> source;

    @BeforeAll
    static void load() throws Exception {
        source = Kq256.legacy(Kq256.DIR.resolve("kq256.bin"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q6_k"})
    void quantizerReproducesLlamaQuantize(String kind) throws Exception {
        Path file = Kq256.DIR.resolve("kq256-" + kind + ".gguf");
        ByteBuffer gguf = Kq256.map(file);
        List<Kq256.Tensor> tensors = Kq256.tensors(file);
        assertEquals(source.size(), tensors.size(), file + ": tensor count");
        Set<GgmlType> seen = EnumSet.noneOf(GgmlType.class);
        for (Kq256.Tensor t : tensors) {
            GgmlType type = GgmlType.fromId(t.type());
            assertNotNull(type, t.name() + ": type " + t.type());
            seen.add(type);
            float[] w = source.get(t.name());
            assertNotNull(w, t.name());
            assertEquals(w.length, (long) t.rows() * t.cols(), t.name() + " size");
            int rowBytes = (int) type.rowBytes(t.cols());
            ByteBuffer mine = ByteBuffer.allocate(rowBytes * t.rows()).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < t.rows(); r++) {
                Quantizer.quantizeRow(type, w, r * t.cols(), t.cols(), mine, r * rowBytes);
            }
            int bad = 0, first = -1;
            for (int i = 0; i < mine.capacity(); i++) {
                if (mine.get(i) != gguf.get((int) t.offset() + i)) {
                    bad++;
                    if (first < 0) {
                        first = i;
                    }
                }
            }
            assertEquals(0, bad, file.getFileName() + " " + t.name() + " (" + type + "): " + bad
                    + " bytes differ, first at byte " + first + " (block " + (first < 0 ? -1 : first / type.blockBytes()) + ")");
        }
        assertTrue(seen.size() >= 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q6_k"})
    void dequantizerReproducesGgufPy(String kind) throws Exception {
        Path file = Kq256.DIR.resolve("kq256-" + kind + ".gguf");
        Map<String, float[]> expected = Kq256.legacy(Kq256.DIR.resolve("kq256-" + kind + ".dequantized.bin"));
        ByteBuffer gguf = Kq256.map(file);
        for (Kq256.Tensor t : Kq256.tensors(file)) {
            GgmlType type = GgmlType.fromId(t.type());
            float[] want = expected.get(t.name());
            float[] got = new float[t.rows() * t.cols()];
            long rowBytes = type.rowBytes(t.cols());
            for (int r = 0; r < t.rows(); r++) {
                Dequantizer.dequantizeRow(type, gguf, t.offset() + r * rowBytes, got, r * t.cols(), t.cols());
            }
            for (int i = 0; i < got.length; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                    throw new AssertionError(file.getFileName() + " " + t.name() + " (" + type + ") value " + i
                            + ": got " + got[i] + ", gguf-py " + want[i]);
                }
            }
        }
    }
}
