package llamaspark.model.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;
import llamaspark.model.Workers;
import llamaspark.model.kernel.VectorKernel;

/**
 * Benchmark (not a test): ms per matmul, one thread, for the 15M model's classifier and FFN
 * shapes at N = 1 and N = 32: F32 on VectorKernel (panels) vs the quantized kernel per type.
 * Run: mvn -q -o test-compile && java --add-modules jdk.incubator.vector
 * -cp target/classes:target/test-classes llamaspark.model.quant.QuantBench [shape-prefix [N [fused]]]
 */
public final class QuantBench {
    private QuantBench() {
    }

    interface Op {
        void run();
    }

    static double median(Op op, int reps) {
        for (int i = 0; i < Math.max(20, reps); i++) {
            op.run();
        }
        // Thread CPU time, not wall time: on a loaded machine wall time counts the time descheduled.
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = mx.getCurrentThreadCpuTime();
            op.run();
            t[i] = (mx.getCurrentThreadCpuTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }

    public static void main(String[] args) {
        int[][] shapes = {{32000, 288}, {768, 288}, {288, 768}};
        String[] names = {"cls [32000,288]", "w1/w3 [768,288]", "w2 [288,768]"};
        GgmlType[] types = {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K};
        Workers one = new Workers(1);
        Random rnd = new Random(0);
        System.out.println("shape\tN\tkernel\tF32\tQ8_0\tQ4_0\tQ4_K\tQ6_K   (ms of thread CPU time per matmul, median, 1 thread)");
        for (int s = 0; s < shapes.length; s++) {
            int O = shapes[s][0], K = shapes[s][1];
            float[] w = new float[O * K];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextGaussian() * 0.05f;
            }
            WeightMatrix f32 = WeightMatrix.allocate(O, K, MatrixLayout.panels(VectorKernel.PANEL));
            f32.layout().fill(ByteBuffer.wrap(toBytes(w)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(), f32.data(), 0, O, K);
            QuantMatrix[] q = new QuantMatrix[types.length];
            for (int t = 0; t < types.length; t++) {
                if (K % types[t].blockSize() != 0) {
                    continue;
                }
                int rb = (int) types[t].rowBytes(K);
                ByteBuffer b = ByteBuffer.allocateDirect(O * rb).order(ByteOrder.LITTLE_ENDIAN);
                for (int o = 0; o < O; o++) {
                    Quantizer.quantizeRow(types[t], w, o * K, K, b, o * rb);
                }
                q[t] = QuantMatrix.of(types[t], O, K, b);
            }
            if (args.length > 0 && !names[s].startsWith(args[0])) {
                continue;
            }
            for (int N : args.length > 1 ? new int[] {Integer.parseInt(args[1])} : new int[] {1, 32}) {
                float[] x = new float[N * K], out = new float[N * O];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                int reps = O > 10000 ? (N == 1 ? 200 : 40) : 2000;
                for (boolean fused : args.length > 2 ? new boolean[] {Boolean.parseBoolean(args[2])} : new boolean[] {true, false}) {
                    VectorKernel vk = VectorKernel.create(fused, one);
                    QuantKernel qk = QuantKernel.create(fused, one);
                    StringBuilder line = new StringBuilder(names[s] + "\t" + N + "\t" + qk.name() + "\t");
                    line.append(String.format("%.3f", median(() -> vk.matmul(out, x, N, f32), reps)));
                    for (QuantMatrix m : q) {
                        line.append('\t').append(m == null ? "n/a" : String.format("%.3f", median(() -> qk.matmul(out, x, N, m), reps)));
                    }
                    System.out.println(line);
                }
            }
        }
        one.close();
    }

    private static byte[] toBytes(float[] w) {
        ByteBuffer b = ByteBuffer.allocate(4 * w.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(w);
        return b.array();
    }
}
