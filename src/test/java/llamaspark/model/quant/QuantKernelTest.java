package llamaspark.model.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import llamaspark.model.Workers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every quantized kernel against the scalar reference: dequantize W with ggml's dequantizer
 * (itself checked against llama.cpp's gguf-py) and sum in order k = 0..K-1 with rounded
 * products, as run.c does. The run.c-order kernel must match bit for bit; the FMA kernel within
 * 1e-6 of sum |x * w| (a few float roundings of the largest partial sums). Shapes are odd (O not a
 * multiple of 16, N = 1, 5, 7, 32), matrices start at odd byte offsets, and mapped matrices are
 * cut into small chunks so row ranges cross chunk boundaries.
 */
class QuantKernelTest {
    private static final GgmlType[] TYPES = GgmlType.values();
    private static final int[] NS = {1, 5, 7, 8, 13, 19, 32};
    private static final Workers TWO = new Workers(2);

    @TempDir
    Path tmp;

    @AfterAll
    static void close() {
        TWO.close();
    }

    /** Random bytes of a valid W: quantized from random floats, or for Q5_K (no quantizer) random quants with sane scales. */
    static byte[] randomMatrix(GgmlType t, int O, int K, Random rnd) {
        int rb = (int) t.rowBytes(K);
        ByteBuffer b = ByteBuffer.allocate(O * rb).order(ByteOrder.LITTLE_ENDIAN);
        if (t == GgmlType.Q5_K) {
            rnd.nextBytes(b.array());
            for (int i = 0; i < O * K / 256; i++) {
                b.putShort(i * 176, Halfs.floatToHalf(0.01f * (rnd.nextFloat() + 0.1f)));
                b.putShort(i * 176 + 2, Halfs.floatToHalf(0.01f * rnd.nextFloat()));
            }
            return b.array();
        }
        float[] w = new float[K];
        for (int o = 0; o < O; o++) {
            for (int k = 0; k < K; k++) {
                w[k] = (float) rnd.nextGaussian() * 0.1f;
            }
            Quantizer.quantizeRow(t, w, 0, K, b, o * rb);
        }
        return b.array();
    }

    /** W in a heap buffer starting {@code lead} bytes in. */
    static QuantMatrix heap(GgmlType t, int O, int K, byte[] bytes, int lead) {
        ByteBuffer b = ByteBuffer.allocate(lead + bytes.length);
        b.position(lead);
        b.put(bytes);
        b.position(lead);
        return QuantMatrix.of(t, O, K, b);
    }

    static float[] reference(QuantMatrix w, float[] x, int N) {
        int O = w.rows(), K = w.cols();
        float[] out = new float[N * O], row = new float[K];
        for (int o = 0; o < O; o++) {
            w.dequantizeRow(o, row, 0);
            for (int n = 0; n < N; n++) {
                float s = 0;
                for (int k = 0; k < K; k++) {
                    s += row[k] * x[n * K + k];
                }
                out[n * O + o] = s;
            }
        }
        return out;
    }

    static float[] magnitude(QuantMatrix w, float[] x, int N) {
        int O = w.rows(), K = w.cols();
        float[] out = new float[N * O], row = new float[K];
        for (int o = 0; o < O; o++) {
            w.dequantizeRow(o, row, 0);
            for (int n = 0; n < N; n++) {
                double s = 0;
                for (int k = 0; k < K; k++) {
                    s += Math.abs(row[k] * x[n * K + k]);
                }
                out[n * O + o] = (float) s;
            }
        }
        return out;
    }

    static void check(QuantMatrix w, Workers workers, Random rnd, String what) {
        for (int N : NS) {
            float[] x = new float[N * w.cols()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.nextGaussian();
            }
            float[] want = reference(w, x, N), mag = magnitude(w, x, N);
            float[] exact = new float[N * w.rows()], fused = new float[N * w.rows()];
            QuantKernel.create(false, workers).matmul(exact, x, N, w);
            QuantKernel.create(true, workers).matmul(fused, x, N, w);
            for (int i = 0; i < want.length; i++) {
                String at = what + " N=" + N + " out " + i;
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(exact[i]),
                        at + ": run.c order " + exact[i] + " vs " + want[i]);
                float tol = 1e-6f * mag[i] + 1e-30f;
                assertTrue(Math.abs(fused[i] - want[i]) <= tol, at + ": fma " + fused[i] + " vs " + want[i] + " tol " + tol);
            }
        }
    }

    @Test
    void everyTypeOddShapesAndOffsets() {
        Random rnd = new Random(1);
        for (GgmlType t : TYPES) {
            for (int O : new int[] {1, 17, 45}) {
                int K = t.blockSize() == 256 ? 512 : 96;
                byte[] bytes = randomMatrix(t, O, K, rnd);
                for (int lead : new int[] {0, 3, 34}) {
                    check(heap(t, O, K, bytes, lead), null, rnd, t + " [" + O + ", " + K + "] at +" + lead);
                }
            }
        }
    }

    @Test
    void twoWorkersSplitPanels() {
        Random rnd = new Random(2);
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            int O = 16 * 9 + 5, K = 256;
            check(heap(t, O, K, randomMatrix(t, O, K, rnd), 1), TWO, rnd, t + " two workers");
        }
    }

    @Test
    void mappedInSmallChunksAtAnOffset() throws Exception {
        Random rnd = new Random(3);
        long saved = QuantMatrix.maxChunkBytes;
        try {
            for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.F16}) {
                int O = 37, K = 256;
                byte[] bytes = randomMatrix(t, O, K, rnd);
                Path f = tmp.resolve(t + ".bin");
                byte[] file = new byte[7 + bytes.length + 5];
                System.arraycopy(bytes, 0, file, 7, bytes.length);
                Files.write(f, file);
                // 3 rows per chunk (and one odd-sized last chunk)
                QuantMatrix.maxChunkBytes = 3 * t.rowBytes(K) + 1;
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    QuantMatrix w = QuantMatrix.map(ch, 7, t, O, K);
                    assertEquals(13, w.chunkCount());
                    float[] a = new float[K], b = new float[K];
                    QuantMatrix h = heap(t, O, K, bytes, 0);
                    for (int o = 0; o < O; o++) {
                        w.dequantizeRow(o, a, 0);
                        h.dequantizeRow(o, b, 0);
                        for (int k = 0; k < K; k++) {
                            assertEquals(Float.floatToRawIntBits(b[k]), Float.floatToRawIntBits(a[k]), t + " row " + o);
                        }
                    }
                    check(w, null, rnd, t + " mapped in chunks");
                }
            }
        } finally {
            QuantMatrix.maxChunkBytes = saved;
        }
    }
}
