package llamaspark.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import llamaspark.BadInputException;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.EndTokens;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.generate.RunCText;
import llamaspark.model.LlamaWeights;
import llamaspark.model.LoadedModel;
import llamaspark.profile.ProfileTable;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.TextTokenizer;
import picocli.CommandLine.ArgGroup;
import llamaspark.job.BatchFit;
import llamaspark.job.EngineOptions;
import llamaspark.job.ModelOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Completes one prompt, in B copies, and prints row 0. With {@code --steps N} it behaves like
 * llama2.c's {@code run -n N}: N positions in all, EOS does not stop, and stdout is byte for byte
 * what run.c prints (the prompt echoed, the completion, a newline).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Complete a prompt (B copies in one batch, row i seeded with seed + i) and print row 0 as llama2.c's run does.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Option(names = {"--prompt", "-i"}, defaultValue = "", description = "prompt text (default: empty, i.e. unconditional)")
    String prompt;

    @ArgGroup(exclusive = true)
    Length length;

    static final class Length {
        @Option(names = {"--steps", "-n"}, description = "run.c's -n: positions in all, prompt included (0 = seq_len); EOS does not stop")
        Integer steps;
        @Option(names = "--max-new-tokens", description = "generate at most this many tokens; EOS stops")
        Integer maxNewTokens;
    }

    @Option(names = {"--temperature", "-t"}, defaultValue = "1.0", description = "0 = greedy. Default: ${DEFAULT-VALUE}")
    float temperature;
    @Option(names = {"--top-p", "-p"}, defaultValue = "0.9", description = "nucleus sampling threshold (1 = off). Default: ${DEFAULT-VALUE}")
    float topP;
    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens (0 = off)")
    int topK;
    @Option(names = "--min-p", defaultValue = "0", description = "keep tokens at least min-p times as likely as the top one (0 = off)")
    float minP;
    @Option(names = {"--seed", "-s"}, defaultValue = "0", description = "random seed of row 0 (<= 0: the time, as run.c)")
    long seed;
    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stop = new ArrayList<>();
    @Mixin
    EngineOptions engine = new EngineOptions();
    @Option(names = "--profile", description = "print the stage table and tok/s on stderr")
    boolean profile;

    @Override
    public Integer call() {
        engine.validate();
        int batchSize = engine.batchSize, threads = engine.threads(Runtime.getRuntime().availableProcessors());
        LoadedModel loaded = options.open();
        LlamaWeights weights = loaded.weights();
        TextTokenizer tokenizer = loaded.tokenizer();
        batchSize = BatchFit.fit(weights.config, options.kvCache, batchSize, BatchFit.freeHeap(), "this JVM's",
                m -> System.err.println("llamaspark: " + m));
        int seqLen = weights.config.seqLen();
        int[] promptIds = tokenizer.encode(prompt, true, false);
        boolean runcMode = length == null || length.steps != null;
        int steps = runcMode ? (length == null || length.steps <= 0 || length.steps > seqLen ? seqLen : length.steps) : 0;
        int maxNew = runcMode ? Math.max(steps - promptIds.length + 1, 0) : length.maxNewTokens;
        long rowSeed = seed > 0 ? seed : System.currentTimeMillis() / 1000;
        SamplingParams sampling = new SamplingParams(temperature, topP, topK, minP, rowSeed).validate("options");

        List<GenerationRequest> requests = new ArrayList<>();
        for (int b = 0; b < batchSize; b++) {
            requests.add(new GenerationRequest("row" + b, prompt, sampling.withSeed(rowSeed + b), maxNew, stop));
        }
        StageProfile prof = profile ? new StageProfile() : StageProfile.disabled();
        GeneratorOptions g = GeneratorOptions.of(options.backend, batchSize).withKvCache(options.kvCache).withThreads(threads)
                .withEnds(runcMode ? EndTokens.BOS : EndTokens.BOS_AND_EOS);
        Map<String, GenerationResult> results = new HashMap<>();
        long start = System.nanoTime();
        long generated, promptTokenCount;
        try (BatchGenerator generator = BatchGenerator.create(weights, tokenizer, g, prof)) {
            generator.run(requests.iterator(), r -> results.put(r.id(), r));
            generated = generator.generatedTokens();
            promptTokenCount = generator.promptTokens();
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        GenerationResult row0 = results.get("row0");
        if (!row0.ok()) {
            throw new BadInputException("--prompt", row0.error());
        }
        if (runcMode) {
            int echo = Math.min(promptIds.length, steps + 1);
            System.out.writeBytes(RunCText.of(tokenizer, promptIds, echo, row0.completionTokens()));
        } else {
            // The completion as the job stores it: no end marker, cut before a stop string.
            byte[] prompted = RunCText.of(tokenizer, promptIds, promptIds.length, new int[0]);
            System.out.write(prompted, 0, prompted.length - 1);
            System.out.writeBytes((row0.completion() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        System.out.flush();
        if (profile) {
            PrintStream err = System.err;
            err.print(ProfileTable.format(prof));
            err.printf(Locale.ROOT, "batch %d, backend %s: %d prompt + %d generated tokens in %.3f s, %.1f tok/s%n",
                    batchSize, options.backend.cliName(), promptTokenCount, generated, seconds, generated / seconds);
        }
        return 0;
    }
}
