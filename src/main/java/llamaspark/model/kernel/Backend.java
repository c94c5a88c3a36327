package llamaspark.model.kernel;

import java.util.Locale;
import llamaspark.BadInputException;
import llamaspark.model.MatrixLayout;

/** The matrix kernels a user can choose with {@code --backend}. */
public enum Backend {
    /** EJML, sequential dot products: run.c's order, bit for bit. */
    EJML(MatrixLayout.ROW_MAJOR),
    /** Vector API, multiply then add per lane: run.c's order, bit for bit, SIMD speed. */
    VECTOR(MatrixLayout.panels(VectorKernel.PANEL)),
    /** Vector API with fused multiply-add: fastest, logits differ from run.c in the last bits. */
    VECTOR_FMA(MatrixLayout.panels(VectorKernel.PANEL));

    private final MatrixLayout layout;

    Backend(MatrixLayout layout) {
        this.layout = layout;
    }

    public MatrixLayout layout() {
        return layout;
    }

    /** A new kernel instance (kernels keep per-thread scratch state). */
    public MatmulKernel newKernel() {
        try {
            switch (this) {
                case EJML:
                    return new EjmlKernel();
                case VECTOR:
                    return new VectorKernel(false);
                default:
                    return new VectorKernel(true);
            }
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("backend " + cliName() + " needs the Vector API: start the JVM with "
                    + "--add-modules jdk.incubator.vector (jobs/llamaspark does), or use --backend ejml", e);
        }
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
