package llamaspark.model.kernel;

import java.util.Locale;
import llamaspark.BadInputException;
import llamaspark.model.LayerOps;
import llamaspark.model.LlamaConfig;
import llamaspark.model.MatrixLayout;
import llamaspark.model.ScalarOps;
import llamaspark.model.Workers;

/** The matrix kernels a user can choose with {@code --backend}. */
public enum Backend {
    /** EJML, sequential dot products: run.c's order, bit for bit. */
    EJML(MatrixLayout.ROW_MAJOR),
    /** Vector API, multiply then add per lane: run.c's order, bit for bit, SIMD speed. */
    VECTOR(MatrixLayout.panels(VectorKernel.PANEL)),
    /** Vector API with fused multiply-add: fastest, logits differ from run.c in the last bits. */
    VECTOR_FMA(MatrixLayout.panels(VectorKernel.PANEL));

    /**
     * The default of every command: the fast path. It passes every greedy oracle (its logits differ
     * from run.c's only in the last bits); {@code vector} reproduces run.c's sampled outputs exactly.
     */
    public static final String DEFAULT_NAME = "vector-fma";

    private final MatrixLayout layout;

    Backend(MatrixLayout layout) {
        this.layout = layout;
    }

    public MatrixLayout layout() {
        return layout;
    }

    /** A new single-threaded kernel. */
    public MatmulKernel newKernel() {
        return newKernel(null);
    }

    /** A new kernel; the vector kernels split each product between {@code workers} (may be null). */
    public MatmulKernel newKernel(Workers workers) {
        try {
            switch (this) {
                case EJML:
                    return new EjmlKernel();
                case VECTOR:
                    return VectorKernel.create(false, workers);
                default:
                    return VectorKernel.create(true, workers);
            }
        } catch (NoClassDefFoundError e) {
            throw vectorApiMissing(e);
        }
    }

    /** The attention and activation work for one thread: scalar for EJML, SIMD for the vector kernels. */
    public LayerOps newOps(LlamaConfig config) {
        try {
            return this == EJML ? new ScalarOps(config) : VectorOps.create(config, this == VECTOR_FMA);
        } catch (NoClassDefFoundError e) {
            throw vectorApiMissing(e);
        }
    }

    private IllegalStateException vectorApiMissing(Throwable e) {
        return new IllegalStateException("backend " + cliName() + " needs the Vector API: start the JVM with "
                + "--add-modules jdk.incubator.vector (jobs/llamaspark does), or use --backend ejml", e);
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Backend parse(String s) {
        for (Backend b : values()) {
            if (b.cliName().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return b;
            }
        }
        throw new BadInputException("--backend", "unknown backend '" + s + "', expected vector, vector-fma or ejml");
    }
}
