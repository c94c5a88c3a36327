package llamaspark.generate;

import java.io.Serializable;
import llamaspark.model.KvPrecision;
import llamaspark.model.kernel.Backend;

/**
 * How a {@link BatchGenerator} runs: the matrix backend, B rows at a time, at most
 * {@code stepTokens} rows (decode tokens plus prompt chunks) per forward step, the threads one
 * step may use, which tokens end a row, and the KV cache's precision.
 */
public record GeneratorOptions(Backend backend, int batchSize, int stepTokens, int threads, EndTokens ends,
                               KvPrecision kvCache) implements Serializable {

    public GeneratorOptions {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        if (stepTokens < batchSize) {
            throw new IllegalArgumentException("a step must hold one token per row: " + stepTokens + " < " + batchSize);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    /** B rows, one thread, a step budget of max(B, 512) tokens, rows ending at BOS or EOS, a float32 KV cache. */
    public static GeneratorOptions of(Backend backend, int batchSize) {
        return new GeneratorOptions(backend, batchSize, Math.max(batchSize, 512), 1, EndTokens.BOS_AND_EOS, KvPrecision.F32);
    }

    public GeneratorOptions withEnds(EndTokens e) {
        return new GeneratorOptions(backend, batchSize, stepTokens, threads, e, kvCache);
    }

    public GeneratorOptions withStepTokens(int n) {
        return new GeneratorOptions(backend, batchSize, n, threads, ends, kvCache);
    }

    public GeneratorOptions withThreads(int n) {
        return new GeneratorOptions(backend, batchSize, stepTokens, n, ends, kvCache);
    }

    public GeneratorOptions withKvCache(KvPrecision p) {
        return new GeneratorOptions(backend, batchSize, stepTokens, threads, ends, p);
    }
}
