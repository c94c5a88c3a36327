package llamaspark.model.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.FloatVector;
import llamaspark.model.KvCache;
import org.junit.jupiter.api.Test;

/** The width the kernels run at is the one asked for, and every layout follows it. */
class SimdTest {
    @Test
    void widthIsTheRequestedOneOrTheWidestOfTwo() {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int expected = "256".equals(System.getProperty("llamaspark.vector.bits")) || preferred < 512 ? 256 : 512;
        assertEquals(expected, Simd.BITS);
        assertEquals(expected, Simd.F.vectorBitSize());
        assertEquals(expected, Simd.I.vectorBitSize());
        assertEquals(expected, Simd.D.vectorBitSize());
        assertEquals(Simd.LANES, Simd.B.length());
    }

    @Test
    void layoutsFollowTheLanes() {
        assertEquals(Simd.F.length(), Simd.LANES);
        assertEquals(Simd.LANES, KvCache.BLOCK);
        assertEquals(2 * Simd.LANES, VectorKernel.PANEL);
        assertEquals(Simd.LANES == 16 ? 8 : 6, PanelTiles.TILE);
    }
}
