package llamaspark.model;

import static llamaspark.profile.Stage.*;

import llamaspark.model.kernel.Backend;
import llamaspark.model.kernel.MatmulKernel;
import llamaspark.profile.StageProfile;

/**
 * The batched forward pass. One instance serves up to {@code slots} sequences, each with its
 * own KV cache and position; a step runs every row of a {@link StepBatch} (prefill runs and
 * single decode tokens alike) through the layers together, so each weight matrix is read once
 * per step for the whole batch. Weights are shared and read-only; activations, cache and threads
 * belong to this instance, which one thread drives. With several threads, matrix products split
 * their outputs and attention splits its rows; every value is computed by the same code whatever
 * the split, so results do not depend on the thread count.
 *
 * <p>Dimensions as in the study: N rows this step, D model, HN/KVHN heads, HD head, FD
 * feed-forward, VS vocabulary, L sequence.
 */
public final class Llama implements AutoCloseable {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Workers workers;
    private final MatmulKernel kernel;
    private final LayerOps[] ops;
    private final RopeTable rope;
    private final KvCache cache;
    private final int maxTokens;
    private final int slots;
    private final RowJob attention = new RowJob(true);
    private final RowJob swiglu = new RowJob(false);

    // Activations, [maxTokens, width] row-major, reused every step.
    private final float[] x;      // residual stream [N, D]
    private final float[] xb;     // normalised input of a sub-block [N, D]
    private final float[] qkv;    // [N, D + 2*KVD]
    private final float[] heads;  // attention output before wo [N, D]
    private final float[] proj;   // output of wo / w2 [N, D]
    private final float[] h13;    // gate and up projections [N, 2*FD]
    private final float[] h;      // SwiGLU output [N, FD]
    private final float[] last;   // final-normed rows that get logits [slots, D]

    public Llama(LlamaWeights weights, Backend backend, int slots, int maxTokens) {
        this(weights, backend, slots, maxTokens, 1);
    }

    public Llama(LlamaWeights weights, Backend backend, int slots, int maxTokens, int threads) {
        if (!weights.layout().equals(backend.layout())) {
            throw new IllegalArgumentException("weights are in " + weights.layout() + " but backend "
                    + backend.cliName() + " needs " + backend.layout());
        }
        this.config = weights.config;
        this.weights = weights;
        this.slots = slots;
        this.maxTokens = maxTokens;
        this.workers = new Workers(threads);
        this.kernel = backend.newKernel(workers);
        this.ops = new LayerOps[threads];
        for (int i = 0; i < threads; i++) {
            ops[i] = backend.newOps(config);
        }
        int D = config.dim(), KVD = config.kvDim(), FD = config.hiddenDim();
        rope = new RopeTable(config.headDim(), config.seqLen());
        cache = new KvCache(config, slots);
        x = new float[maxTokens * D];
        xb = new float[maxTokens * D];
        qkv = new float[maxTokens * (D + 2 * KVD)];
        heads = new float[maxTokens * D];
        proj = new float[maxTokens * D];
        h13 = new float[maxTokens * 2 * FD];
        h = new float[maxTokens * FD];
        last = new float[slots * D];
    }

    public LlamaConfig config() {
        return config;
    }

    public int slots() {
        return slots;
    }

    public int maxTokens() {
        return maxTokens;
    }

    public MatmulKernel kernel() {
        return kernel;
    }

    /** This instance's threads, for work beside the forward pass (sampling). */
    public Workers workers() {
        return workers;
    }

    /** The layer operations of worker {@code i}. */
    public LayerOps ops(int i) {
        return ops[i];
    }

    /** Runs one step; the logits of output j land in {@code logits[j * VS, (j + 1) * VS)}. */
    public void forward(StepBatch batch, float[] logits, StageProfile prof) {
        long tTotal = prof.start();
        final int N = batch.size(), D = config.dim(), KVD = config.kvDim();
        final int QKV = D + 2 * KVD;

        long t = prof.start();
        for (int i = 0; i < N; i++) {
            weights.tokenEmbedding.copyRow(batch.token(i), x, i * D);
        }
        prof.stop(LLAMA_EMBEDDING, t);

        long tLayers = prof.start();
        for (int l = 0; l < config.layers(); l++) {
            long tBlock = prof.start();
            long tAttention = prof.start();

            t = prof.start();
            for (int i = 0; i < N; i++) {
                LlamaMath.rmsnorm(xb, i * D, x, i * D, weights.rmsAttention[l], D);
            }
            prof.stop(ATTENTION_NORM, t);

            t = prof.start();
            kernel.matmul(qkv, xb, N, weights.wqkv[l]);
            prof.stop(ATTENTION_QKV, t);

            t = prof.start();
            for (int i = 0; i < N; i++) {
                rope.rotate(qkv, i * QKV, D, batch.pos(i));
                rope.rotate(qkv, i * QKV + D, KVD, batch.pos(i));
            }
            prof.stop(ATTENTION_ROPE, t);

            t = prof.start();
            for (int i = 0; i < N; i++) {
                cache.store(l, batch.slot(i), batch.pos(i), qkv, i * QKV + D, i * QKV + D + KVD);
            }
            prof.stop(ATTENTION_CACHE, t);

            t = prof.start();
            rows(attention, batch, l);
            prof.stop(ATTENTION_SCORES, t);

            t = prof.start();
            kernel.matmul(proj, heads, N, weights.wo[l]);
            LlamaMath.accumulate(x, 0, proj, 0, N * D);
            prof.stop(ATTENTION_OUTPUT, t);
            prof.stop(BLOCK_ATTENTION, tAttention);

            long tFeedForward = prof.start();
            t = prof.start();
            for (int i = 0; i < N; i++) {
                LlamaMath.rmsnorm(xb, i * D, x, i * D, weights.rmsFeedForward[l], D);
            }
            prof.stop(FEEDFORWARD_NORM, t);

            t = prof.start();
            kernel.matmul(h13, xb, N, weights.w13[l]);
            prof.stop(FEEDFORWARD_W1W3, t);

            t = prof.start();
            rows(swiglu, batch, l);
            prof.stop(FEEDFORWARD_SWIGLU, t);

            t = prof.start();
            kernel.matmul(proj, h, N, weights.w2[l]);
            LlamaMath.accumulate(x, 0, proj, 0, N * D);
            prof.stop(FEEDFORWARD_W2, t);
            prof.stop(BLOCK_FEEDFORWARD, tFeedForward);
            prof.stop(BLOCK_TOTAL, tBlock);
        }
        prof.stop(LLAMA_LAYERS, tLayers);

        int M = batch.outputs();
        t = prof.start();
        for (int j = 0; j < M; j++) {
            LlamaMath.rmsnorm(last, j * D, x, batch.logitRow(j) * D, weights.rmsFinal, D);
        }
        prof.stop(LLAMA_NORM, t);

        t = prof.start();
        if (M > 0) {
            kernel.matmul(logits, last, M, weights.classifier);
        }
        prof.stop(LLAMA_HEAD, t);
        prof.stop(LLAMA_TOTAL, tTotal);
    }

    private void rows(RowJob job, StepBatch batch, int layer) {
        job.batch = batch;
        job.layer = layer;
        workers.run(job);
        job.batch = null;
    }

    /** Attention or SwiGLU of a contiguous share of the step's rows, with that worker's ops. */
    private final class RowJob implements Workers.Job {
        private final boolean attention;
        StepBatch batch;
        int layer;

        RowJob(boolean attention) {
            this.attention = attention;
        }

        @Override
        public void run(int worker, int workers) {
            int N = batch.size(), D = config.dim(), QKV = D + 2 * config.kvDim(), FD = config.hiddenDim();
            LayerOps op = ops[worker];
            for (int i = Workers.from(N, worker, workers), end = Workers.from(N, worker + 1, workers); i < end; i++) {
                if (attention) {
                    op.attend(cache, layer, batch.slot(i), batch.pos(i), qkv, i * QKV, heads, i * D);
                } else {
                    op.swiglu(h, i * FD, h13, i * 2 * FD, i * 2 * FD + FD, FD);
                }
            }
        }
    }

    @Override
    public void close() {
        workers.close();
    }
}
