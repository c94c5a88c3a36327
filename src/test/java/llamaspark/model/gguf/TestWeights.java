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
        assertArrayEquals(a.tokenEmbedding.data(), b.tokenEmbedding.data(), "token embedding");
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
