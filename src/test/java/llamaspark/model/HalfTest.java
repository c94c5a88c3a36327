package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Half} against numpy's float16 conversions (src/test/python/half_ref.py). */
class HalfTest {
    private static void python(String... args) throws IOException, InterruptedException {
        String[] cmd = new String[args.length + 2];
        cmd[0] = "python3";
        cmd[1] = Path.of("src/test/python/half_ref.py").toAbsolutePath().toString();
        System.arraycopy(args, 0, cmd, 2, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), "python3 numpy reference failed: " + out);
    }

    private static ByteBuffer read(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Floats where rounding to half is decided: every half's value, the midpoints between neighbours and their next floats, the range's ends, random bits. */
    private static float[] probes() {
        Random r = new Random(11);
        int n = 0;
        float[] x = new float[65536 * 4 + 200_000 + 16];
        for (int h = 0; h < 0x7C00; h++) { // every finite positive half and the midpoint above it
            float v = Half.toFloat(h), next = Half.toFloat(h + 1);
            float mid = (float) (((double) v + next) / 2); // exact: a half's midpoint has 12 significant bits
            x[n++] = v;
            x[n++] = -mid;
            x[n++] = Math.nextUp(mid);
            x[n++] = Math.nextDown(mid);
        }
        for (float v : new float[] {0f, -0f, 65504f, 65519.996f, 65520f, 65536f, 1e30f, Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 2.9802322e-8f, 2.9802326e-8f, 5.9604645e-8f,
                6.1035156e-5f, 6.1035152e-5f}) {
            x[n++] = v;
        }
        for (int i = 0; i < 100_000; i++) {
            x[n++] = Float.intBitsToFloat(r.nextInt());
            x[n++] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(12) - 8));
        }
        return java.util.Arrays.copyOf(x, n);
    }

    @Test
    void roundsAsNumpyDoes(@TempDir Path dir) throws Exception {
        float[] x = probes();
        ByteBuffer in = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            in.putFloat(v);
        }
        Path f32 = dir.resolve("in.f32"), u16 = dir.resolve("out.u16");
        Files.write(f32, in.array());
        python("narrow", f32.toString(), u16.toString());
        ByteBuffer out = read(u16);
        int nan = 0;
        for (float v : x) {
            int expected = out.getShort() & 0xFFFF, got = Half.fromFloat(v);
            if (Float.isNaN(v)) { // numpy keeps the payload's top bits; a NaN is a NaN
                assertTrue(Float.isNaN(Half.toFloat(got)), "NaN " + Integer.toHexString(Float.floatToRawIntBits(v)));
                nan++;
                continue;
            }
            assertEquals(expected, got, () -> v + " (bits " + Integer.toHexString(Float.floatToRawIntBits(v)) + ")");
        }
        assertTrue(nan > 0 && nan < x.length / 100, "random bits include a few NaNs: " + nan);
    }

    @Test
    void widensEveryHalfAsNumpyDoes(@TempDir Path dir) throws Exception {
        Path f32 = dir.resolve("all.f32");
        python("widen", f32.toString());
        ByteBuffer in = read(f32);
        for (int h = 0; h < 65536; h++) {
            float expected = in.getFloat(), got = Half.toFloat(h);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(got), "half " + Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got), "half " + Integer.toHexString(h));
            }
        }
    }
}
