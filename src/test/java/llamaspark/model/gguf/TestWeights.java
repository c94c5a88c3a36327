package llamaspark.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import llamaspark.model.LlamaWeights;

/** Compares two models' weights exactly. */
public final class TestWeights {
    private TestWeights() {
    }

    public static void assertSameWeights(LlamaWeights a, LlamaWeights b) {
        assertEquals(a.config, b.config);
        if (a.tokenEmbedding.layout().equals(b.tokenEmbedding.layout())) {
            assertArrayEquals(a.tokenEmbedding.data(), b.tokenEmbedding.data(), "token embedding");
        } else { // a tied embedding is stored in the classifier's layout
            float[] ra = new float[a.config.dim()], rb = new float[a.config.dim()];
            for (int t = 0; t < a.config.vocabSize(); t++) {
                a.tokenEmbedding.copyRow(t, ra, 0);
                b.tokenEmbedding.copyRow(t, rb, 0);
                assertArrayEquals(ra, rb, "token embedding row " + t);
            }
        }
        assertArrayEquals(a.classifier.data(), b.classifier.data(), "classifier");
        assertArrayEquals(a.rmsFinal, b.rmsFinal, "rms final");
        for (int l = 0; l < a.config.layers(); l++) {
            assertArrayEquals(a.rmsAttention[l], b.rmsAttention[l], "rms att " + l);
            assertArrayEquals(a.rmsFeedForward[l], b.rmsFeedForward[l], "rms ffn " + l);
            assertArrayEquals(a.wqkv[l].data(), b.wqkv[l].data(), "wqkv " + l);
            assertArrayEquals(a.wo[l].data(), b.wo[l].data(), "wo " + l);
            assertArrayEquals(a.w13[l].data(), b.w13[l].data(), "w13 " + l);
            assertArrayEquals(a.w2[l].data(), b.w2[l].data(), "w2 " + l);
        }
    }
}
