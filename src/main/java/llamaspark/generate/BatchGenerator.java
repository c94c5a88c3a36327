package llamaspark.generate;

import java.util.Arrays;
import java.util.Iterator;
import java.util.function.Consumer;
import llamaspark.BadInputException;
import llamaspark.model.Llama;
import llamaspark.model.LlamaConfig;
import llamaspark.model.LlamaWeights;
import llamaspark.model.StepBatch;
import llamaspark.model.Workers;
import llamaspark.profile.Stage;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.Sampler;
import llamaspark.tokenizer.TextTokenizer;

/**
 * Generates completions for a stream of requests with continuous batching: up to B rows run
 * together, each at its own position; when a row finishes, the next waiting request takes its
 * slot at once, so a batch is never held up by its longest row. Every step feeds the decode token
 * of each running row plus as much pending prompt (prefill) as the step's token budget allows,
 * then samples a token for each row whose prompt is fully in the cache.
 *
 * <p>A row's tokens depend only on its own prompt and parameters: the model computes each row
 * independently and each row has its own random generator seeded from its own seed.
 */
public final class BatchGenerator implements AutoCloseable {
    private final Workers workers;
    private final Llama llama;
    private final TextTokenizer tokenizer;
    private final boolean[] endOfGeneration;     // ids that end a row under BOS_AND_EOS [VS]
    private final EndTokens ends;
    private final StageProfile profile;
    private final Sampler[] samplers;             // one per thread [threads]
    private final StageProfile[] workerProfiles;  // one per thread, 0 = profile [threads]
    private final SamplingJob sampling = new SamplingJob();
    private final Sequence[] slots;               // the rows in flight [B]
    private final StepBatch batch;                // this step's rows [N <= stepTokens]
    private final float[] logits;                 // this step's logits, then probabilities [M <= B, VS]
    private final float[] logitMax;               // each logits row's largest value, from the classifier [M <= B]
    private final int[] outputSlot;               // slot of each logits row [M]
    private final int[] nextToken;                // token sampled for each logits row [M]
    private final GenerationResult[] finished;    // rows this step finished, for the sink after the tokenize timing [B]
    private final int vocabSize;
    private final int seqLen;
    private long generatedTokens;
    private long promptTokens;

    /**
     * A generator on {@code weights}: one team of {@code options.threads()} threads, which the
     * forward pass splits its work over and the samplers their rows, a fresh model instance of
     * the chosen backend for B slots, and one sampler per thread that goes with that backend.
     */
    public static BatchGenerator create(LlamaWeights weights, TextTokenizer tokenizer, GeneratorOptions options,
                                        StageProfile profile) {
        if (tokenizer.vocabSize() != weights.config.vocabSize()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize()
                    + " tokens, model " + weights.config.vocabSize());
        }
        return new BatchGenerator(weights, tokenizer, options, profile);
    }

    private BatchGenerator(LlamaWeights weights, TextTokenizer tokenizer, GeneratorOptions options, StageProfile profile) {
        LlamaConfig c = weights.config;
        this.workers = new Workers(options.threads());
        this.llama = new Llama(weights, options.backend(), options.batchSize(), options.stepTokens(), workers, options.kvCache());
        this.tokenizer = tokenizer;
        this.ends = options.ends();
        this.profile = profile;
        this.vocabSize = c.vocabSize();
        this.endOfGeneration = new boolean[vocabSize];
        for (int id : tokenizer.endOfGenerationIds()) {
            endOfGeneration[id] = true; // EOS, and e.g. Llama 3's <|eot_id|>
        }
        this.seqLen = c.seqLen();
        this.samplers = new Sampler[workers.size()];
        this.workerProfiles = new StageProfile[workers.size()];
        for (int i = 0; i < samplers.length; i++) {
            samplers[i] = Sampler.forBackend(vocabSize, options.backend());
            workerProfiles[i] = i == 0 ? profile : profile.enabled() ? new StageProfile() : StageProfile.disabled();
        }
        this.nextToken = new int[llama.slots()];
        this.finished = new GenerationResult[llama.slots()];
        this.slots = new Sequence[llama.slots()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Sequence(seqLen, tokenizer.maxTokenLength());
        }
        this.batch = new StepBatch(llama.maxTokens(), slots.length);
        this.logits = new float[slots.length * vocabSize];
        this.logitMax = new float[slots.length];
        this.outputSlot = new int[slots.length];
    }

    /** Runs every request to completion, handing each result to {@code sink} as soon as it is done. */
    public void run(Iterator<GenerationRequest> requests, Consumer<GenerationResult> sink) {
        while (advance(requests, sink)) {
            // each call is one step
        }
    }

    /**
     * Fills free slots from {@code requests} and runs one step. Returns false, having run
     * nothing, once every request is done; so a caller can pull results a few at a time.
     */
    public boolean advance(Iterator<GenerationRequest> requests, Consumer<GenerationResult> sink) {
        long tIteration = profile.start(); // admitting (tokenizing prompts) is part of the iteration it feeds
        if (admit(requests, sink) == 0) {
            return false;
        }
        step(sink, tIteration);
        return true;
    }

    public long generatedTokens() {
        return generatedTokens;
    }

    public long promptTokens() {
        return promptTokens;
    }

    /** Fills free slots from the queue; returns how many slots are busy. */
    private int admit(Iterator<GenerationRequest> requests, Consumer<GenerationResult> sink) {
        int active = 0;
        for (Sequence s : slots) {
            while (!s.busy() && requests.hasNext()) {
                GenerationRequest r = requests.next();
                long now = System.nanoTime();
                int[] prompt;
                long tTokenize = profile.start();
                try {
                    prompt = prepare(r);
                } catch (BadInputException e) {
                    sink.accept(GenerationResult.failed(r, new int[0], e.getMessage()));
                    continue;
                } finally {
                    profile.stop(Stage.GENERATE_TOKENIZE, tTokenize);
                }
                promptTokens += prompt.length;
                if (r.maxNewTokens() == 0) {
                    sink.accept(new GenerationResult(r, prompt, new int[0], "", FinishReason.LENGTH, null,
                            System.nanoTime() - now));
                    continue;
                }
                s.start(r, prompt, now);
            }
            if (s.busy()) {
                active++;
            }
        }
        return active;
    }

    private int[] prepare(GenerationRequest r) {
        String source = "row " + r.id();
        if (r.prompt() == null && r.promptTokens() == null) {
            throw new BadInputException(source, "prompt is missing");
        }
        r.sampling().validate(source);
        if (r.maxNewTokens() < 0) {
            throw new BadInputException(source, "max_new_tokens=" + r.maxNewTokens() + " must be >= 0");
        }
        int[] prompt = r.promptTokens() != null ? r.promptTokens().clone() : encode(source, r.prompt());
        for (int id : prompt) {
            if (id < 0 || id >= vocabSize) {
                throw new BadInputException(source, "prompt token id " + id + " is outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        if (prompt.length == 0) {
            throw new BadInputException(source, "prompt is empty after tokenizing");
        }
        if (prompt.length > seqLen) {
            throw new BadInputException(source, "prompt is " + prompt.length
                    + " tokens, longer than the model's seq_len " + seqLen);
        }
        return prompt;
    }

    /**
     * The row's prompt as tokens. Whatever the tokenizer rejects in a row's text is that row's
     * error, whatever exception type the tokenizer uses for it.
     */
    private int[] encode(String source, String prompt) {
        try {
            return tokenizer.encode(prompt, true, false);
        } catch (BadInputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadInputException(source, "cannot tokenize the prompt: " + e.getMessage(), e);
        }
    }

    private void step(Consumer<GenerationResult> sink, long tIteration) {
        batch.clear();
        int budget = batch.capacity();
        int outputs = 0;
        // Decode rows first (one token each), then prompt chunks with what is left of the budget.
        for (int pass = 0; pass < 2; pass++) {
            for (int si = 0; si < slots.length && budget > 0; si++) {
                Sequence s = slots[si];
                boolean decoding = s.fed >= s.promptLength;
                if (!s.busy() || s.fed == s.length || decoding != (pass == 0)) {
                    continue;
                }
                int take = Math.min(s.length - s.fed, budget);
                int row = -1;
                for (int j = 0; j < take; j++) {
                    row = batch.add(s.tokens[s.fed], si, s.fed);
                    s.fed++;
                }
                budget -= take;
                if (s.fed == s.length) {
                    batch.wantLogits(row);
                    outputSlot[outputs++] = si;
                }
            }
        }
        llama.forward(batch, logits, logitMax, profile);

        long tSampling = profile.start();
        sampling.outputs = outputs;
        workers.run(sampling);
        for (int w = 1; w < workerProfiles.length; w++) {
            profile.merge(workerProfiles[w]);
            workerProfiles[w].reset();
        }
        long tTokenize = profile.lap(Stage.DO_SAMPLING, tSampling);
        int done = 0;
        for (int j = 0; j < outputs; j++) {
            GenerationResult r = accept(slots[outputSlot[j]], nextToken[j]);
            if (r != null) {
                finished[done++] = r;
            }
        }
        profile.stop(Stage.GENERATE_TOKENIZE, tTokenize);
        // The sink writes or journals the row: output work, not tokenizing (still in the iteration).
        for (int j = 0; j < done; j++) {
            sink.accept(finished[j]);
            finished[j] = null;
        }
        profile.stop(Stage.GENERATE_ITERATION, tIteration);
    }

    /** Samples the next token of a share of the rows that have logits this step. */
    private final class SamplingJob implements Workers.Job {
        int outputs;

        @Override
        public void run(int worker, int workers) {
            for (int j = Workers.from(outputs, worker, workers), end = Workers.from(outputs, worker + 1, workers); j < end; j++) {
                Sequence s = slots[outputSlot[j]];
                nextToken[j] = samplers[worker].sample(logits, j * vocabSize, logitMax[j], s.request.sampling(), s.rng,
                        workerProfiles[worker]);
            }
        }
    }

    /** Appends the sampled token; the row's result when this token finishes it, else null. */
    private GenerationResult accept(Sequence s, int token) {
        int prev = s.lastToken();
        s.append(token);
        generatedTokens++;
        FinishReason done = null;
        if ((token == tokenizer.bosId() && ends != EndTokens.NONE) || (endOfGeneration[token] && ends == EndTokens.BOS_AND_EOS)) {
            done = FinishReason.EOS;
        } else if (s.appendText(tokenizer.piece(prev, token))) {
            done = FinishReason.STOP;
        } else if (s.generated() >= s.request.maxNewTokens() || s.length > seqLen) {
            done = FinishReason.LENGTH;
        }
        if (done == null) {
            return null;
        }
        GenerationResult r = new GenerationResult(s.request, Arrays.copyOf(s.tokens, s.promptLength),
                Arrays.copyOfRange(s.tokens, s.promptLength, s.length), s.completionText(), done, null,
                System.nanoTime() - s.startNanos);
        s.free();
        return r;
    }

    /** Stops the helper threads of the forward pass and the samplers. */
    @Override
    public void close() {
        workers.close();
    }
}
