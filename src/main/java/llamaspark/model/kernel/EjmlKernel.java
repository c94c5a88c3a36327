package llamaspark.model.kernel;

import java.util.IdentityHashMap;
import java.util.Map;
import llamaspark.model.MatrixLayout;
import llamaspark.model.WeightMatrix;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.mult.MatrixMatrixMult_FDRM;

/**
 * The reference kernel, on EJML. {@code multTransB} sums each dot product sequentially over k,
 * exactly like run.c's matmul, so this kernel reproduces llama2.c's logits bit for bit.
 * EJML wants its own matrix objects; they are created once per array and reused, so a step
 * allocates nothing. One instance per thread (the wrappers are mutable).
 */
public final class EjmlKernel implements MatmulKernel {
    private final Map<float[], FMatrixRMaj> views = new IdentityHashMap<>();

    @Override
    public MatrixLayout layout() {
        return MatrixLayout.ROW_MAJOR;
    }

    @Override
    public void matmul(float[] out, float[] x, int rows, WeightMatrix w) {
        if (!w.layout().rowMajor()) {
            throw new IllegalArgumentException("EJML kernel needs row-major weights, got " + w.layout());
        }
        FMatrixRMaj a = view(x, rows, w.cols());
        FMatrixRMaj b = view(w.data(), w.rows(), w.cols());
        FMatrixRMaj c = view(out, rows, w.rows());
        // Not CommonOps_FDRM.multTransB: for a one-row W it switches to MatrixVectorMult, which
        // starts each sum at the first product rather than at +0 (-0 instead of run.c's +0).
        MatrixMatrixMult_FDRM.multTransB(a, b, c);
    }

    /** A wrapper over {@code data} shaped rows x cols (reshaping within capacity keeps the array). */
    private FMatrixRMaj view(float[] data, int rows, int cols) {
        FMatrixRMaj m = views.get(data);
        if (m == null) {
            m = FMatrixRMaj.wrap(data.length / cols, cols, data);
            views.put(data, m);
        }
        m.reshape(rows, cols);
        return m;
    }

    @Override
    public boolean runcOrder() {
        return true;
    }

    @Override
    public String name() {
        return "ejml";
    }
}
