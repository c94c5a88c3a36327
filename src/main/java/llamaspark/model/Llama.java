package llamaspark.model;

import static llamaspark.profile.Stage.*;

import llamaspark.model.kernel.Backend;
import llamaspark.model.kernel.MatmulKernel;
import llamaspark.profile.StageProfile;

/**
 * The batched forward pass. One instance serves up to {@code slots} sequences, each with its
 * own KV cache and position; a step runs every row of a {@link StepBatch} (prefill runs and
 * single decode tokens alike) through the layers together, so each weight matrix is read once
 * per step for the whole batch. Weights are shared and read-only; activations and cache belong to
 * this instance, which one thread drives. With several threads, matrix products split their
 * outputs and attention and SwiGLU split their rows; every value is computed by the same code
 * whatever the split, so results do not depend on the thread count.
 *
 * <p>Dimensions as in the study: N rows this step, D model, HN/KVHN heads, HD head, QD = HN * HD
 * (= D unless the model gives its head size), KVD = KVHN * HD, FD feed-forward, VS vocabulary,
 * L sequence, M rows that get logits.
 */
public final class Llama implements AutoCloseable {
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Workers workers;
    private final boolean ownsWorkers;
    private final MatmulKernel kernel;
    private final LayerOps[] ops;       // one per worker: they keep scratch buffers
    private final RopeTable rope;
    private final KvCache cache;
    private final int maxTokens;
    private final int slots;
    private final AttentionJob attentionJob = new AttentionJob();
    private final SwigluJob swigluJob = new SwigluJob();

    // Activations, row-major, sized for maxTokens rows and reused every step.
    private final float[] x;      // residual stream [N, D]
    private final float[] xb;     // normalised input of a sub-block [N, D]
    private final float[] qkv;    // q, k, v of each row [N, QD + 2*KVD]
    private final float[] heads;  // attention output of all heads, before wo [N, QD]
    private final float[] proj;   // output of wo / w2, before the residual add [N, D]
    private final float[] h13;    // gate (w1) and up (w3) projections [N, 2*FD]
    private final float[] h;      // SwiGLU output [N, FD]
    private final float[] last;   // final-normed rows that get logits [M <= slots, D]

    /** A single-threaded instance. */
    public Llama(LlamaWeights weights, Backend backend, int slots, int maxTokens) {
        this(weights, backend, slots, maxTokens, new Workers(1), true);
    }

    /** An instance whose steps use {@code workers}, which the caller owns (and closes). */
    public Llama(LlamaWeights weights, Backend backend, int slots, int maxTokens, Workers workers) {
        this(weights, backend, slots, maxTokens, workers, KvPrecision.F32);
    }

    /** As {@link #Llama(LlamaWeights, Backend, int, int, Workers)}, its KV cache in {@code kv} precision. */
    public Llama(LlamaWeights weights, Backend backend, int slots, int maxTokens, Workers workers, KvPrecision kv) {
        this(weights, backend, slots, maxTokens, workers, false, kv);
    }

    private Llama(LlamaWeights weights, Backend backend, int slots, int maxTokens, Workers workers, boolean owns) {
        this(weights, backend, slots, maxTokens, workers, owns, KvPrecision.F32);
    }

    private Llama(LlamaWeights weights, Backend backend, int slots, int maxTokens, Workers workers, boolean owns,
                  KvPrecision kv) {
        if (!weights.layout().equals(backend.layout())) {
            throw new IllegalArgumentException("weights are in " + weights.layout() + " but backend "
                    + backend.cliName() + " needs " + backend.layout());
        }
        this.config = weights.config;
        this.weights = weights;
        this.slots = slots;
        this.maxTokens = maxTokens;
        this.workers = workers;
        this.ownsWorkers = owns;
        this.kernel = backend.newKernel(workers);
        this.ops = new LayerOps[workers.size()];
        for (int i = 0; i < ops.length; i++) {
            ops[i] = backend.newOps(config);
        }
        int D = config.dim(), QD = config.qDim(), KVD = config.kvDim(), FD = config.hiddenDim();
        rope = new RopeTable(weights.ropeFrequencies, config.seqLen());
        cache = new KvCache(config, slots, kv);
        x = new float[maxTokens * D];
        xb = new float[maxTokens * D];
        qkv = new float[maxTokens * (QD + 2 * KVD)];
        heads = new float[maxTokens * QD];
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

    /**
     * Runs one step, as run.c's forward: embed, then per layer an attention and a feed-forward
     * block with residual adds, then the final norm and the classifier for the M rows that want
     * logits. The logits of output j land in {@code logits[j * VS, (j + 1) * VS)}.
     */
    public void forward(StepBatch batch, float[] logits, StageProfile prof) {
        forward(batch, logits, null, prof);
    }

    /**
     * {@link #forward(StepBatch, float[], StageProfile)}, also putting each output's largest logit
     * (as {@link MatmulKernel#matmulWithRowMax} takes it) in {@code logitMax[j]} when it is not null.
     */
    public void forward(StepBatch batch, float[] logits, float[] logitMax, StageProfile prof) {
        long tTotal = prof.start();
        int N = batch.size(), M = batch.outputs();

        long t = prof.start();
        embed(batch, N);
        t = prof.lap(LLAMA_EMBEDDING, t);
        for (int l = 0; l < config.layers(); l++) {
            long tBlock = prof.start();
            attention(batch, l, prof);
            feedForward(batch, l, prof);
            prof.stop(BLOCK_TOTAL, tBlock);
        }
        t = prof.lap(LLAMA_LAYERS, t);
        finalNorm(batch, M);
        t = prof.lap(LLAMA_NORM, t);
        if (M > 0 && logitMax != null) {
            kernel.matmulWithRowMax(logits, last, M, weights.classifier, logitMax);
        } else if (M > 0) {
            kernel.matmul(logits, last, M, weights.classifier);
        }
        prof.stop(LLAMA_HEAD, t);
        prof.stop(LLAMA_TOTAL, tTotal);
    }

    /** x += wo · attention(rope(wqkv · rmsnorm(x))), the keys and values kept in the cache. */
    private void attention(StepBatch batch, int l, StageProfile prof) {
        int N = batch.size();
        long tBlock = prof.start(), t = tBlock;
        rmsnorm(xb, x, weights.rmsAttention[l], N);
        t = prof.lap(ATTENTION_NORM, t);
        kernel.matmul(qkv, xb, N, weights.wqkv[l]);
        t = prof.lap(ATTENTION_QKV, t);
        rope(batch);
        t = prof.lap(ATTENTION_ROPE, t);
        storeKeysAndValues(batch, l);
        t = prof.lap(ATTENTION_CACHE, t);
        attentionJob.run(batch, l);
        t = prof.lap(ATTENTION_SCORES, t);
        kernel.matmul(proj, heads, N, weights.wo[l]);
        LlamaMath.accumulate(x, 0, proj, 0, N * config.dim());
        prof.stop(ATTENTION_OUTPUT, t);
        prof.stop(BLOCK_ATTENTION, tBlock);
    }

    /** x += w2 · (silu(w1 · rmsnorm(x)) * (w3 · rmsnorm(x))). */
    private void feedForward(StepBatch batch, int l, StageProfile prof) {
        int N = batch.size();
        long tBlock = prof.start(), t = tBlock;
        rmsnorm(xb, x, weights.rmsFeedForward[l], N);
        t = prof.lap(FEEDFORWARD_NORM, t);
        kernel.matmul(h13, xb, N, weights.w13[l]);
        t = prof.lap(FEEDFORWARD_W1W3, t);
        swigluJob.run(N);
        t = prof.lap(FEEDFORWARD_SWIGLU, t);
        kernel.matmul(proj, h, N, weights.w2[l]);
        LlamaMath.accumulate(x, 0, proj, 0, N * config.dim());
        prof.stop(FEEDFORWARD_W2, t);
        prof.stop(BLOCK_FEEDFORWARD, tBlock);
    }

    private void embed(StepBatch batch, int N) {
        int D = config.dim();
        for (int i = 0; i < N; i++) {
            weights.tokenEmbedding.copyRow(batch.token(i), x, i * D);
        }
    }

    /** out[i] = rmsnorm(in[i]) * weight for the first N rows. */
    private void rmsnorm(float[] out, float[] in, float[] weight, int N) {
        int D = config.dim();
        for (int i = 0; i < N; i++) {
            LlamaMath.rmsnorm(out, i * D, in, i * D, weight, D, config.rmsEps());
        }
    }

    /** Rotates each row's query and key by its position. */
    private void rope(StepBatch batch) {
        int QD = config.qDim(), KVD = config.kvDim(), QKV = QD + 2 * KVD;
        for (int i = 0; i < batch.size(); i++) {
            rope.rotate(qkv, i * QKV, QD, batch.pos(i));
            rope.rotate(qkv, i * QKV + QD, KVD, batch.pos(i));
        }
    }

    private void storeKeysAndValues(StepBatch batch, int l) {
        int QD = config.qDim(), KVD = config.kvDim(), QKV = QD + 2 * KVD;
        for (int i = 0; i < batch.size(); i++) {
            cache.store(l, batch.slot(i), batch.pos(i), qkv, i * QKV + QD, i * QKV + QD + KVD);
        }
    }

    /** last[j] = rmsnorm(x[logitRow(j)]) for the M rows that get logits. */
    private void finalNorm(StepBatch batch, int M) {
        int D = config.dim();
        for (int j = 0; j < M; j++) {
            LlamaMath.rmsnorm(last, j * D, x, batch.logitRow(j) * D, weights.rmsFinal, D, config.rmsEps());
        }
    }

    /** heads[i] = attention of row i's query over its slot's cache; rows split between the workers. */
    private final class AttentionJob implements Workers.Job {
        private StepBatch batch;
        private int layer;

        void run(StepBatch b, int l) {
            batch = b;
            layer = l;
            workers.run(this);
            batch = null;
        }

        @Override
        public void run(int worker, int workers) {
            int N = batch.size(), QD = config.qDim(), QKV = QD + 2 * config.kvDim();
            LayerOps op = ops[worker];
            for (int i = Workers.from(N, worker, workers), end = Workers.from(N, worker + 1, workers); i < end; i++) {
                op.attend(cache, layer, batch.slot(i), batch.pos(i), qkv, i * QKV, heads, i * QD);
            }
        }
    }

    /** h[i] = silu(h13[i, :FD]) * h13[i, FD:]; rows split between the workers. */
    private final class SwigluJob implements Workers.Job {
        private int rows;

        void run(int N) {
            rows = N;
            workers.run(this);
        }

        @Override
        public void run(int worker, int workers) {
            int FD = config.hiddenDim();
            LayerOps op = ops[worker];
            for (int i = Workers.from(rows, worker, workers), end = Workers.from(rows, worker + 1, workers); i < end; i++) {
                op.swiglu(h, i * FD, h13, i * 2 * FD, i * 2 * FD + FD, FD);
            }
        }
    }

    @Override
    public void close() {
        if (ownsWorkers) {
            workers.close();
        }
    }
}
