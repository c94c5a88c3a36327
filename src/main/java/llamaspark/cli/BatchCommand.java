package llamaspark.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import llamaspark.BadInputException;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.job.JobDefaults;
import llamaspark.job.JobOptions;
import llamaspark.job.OpenAiBatchOutput;
import llamaspark.job.PromptFiles;
import llamaspark.job.PromptRow;
import llamaspark.job.RowDefaults;
import llamaspark.model.LlamaWeights;
import llamaspark.model.LoadedModel;
import llamaspark.profile.ProfileTable;
import llamaspark.profile.StageProfile;
import llamaspark.progress.Progress;
import llamaspark.progress.ProgressOptions;
import llamaspark.progress.ProgressPrinter;
import llamaspark.tokenizer.TextTokenizer;
import org.apache.hadoop.conf.Configuration;
import llamaspark.job.BatchFit;
import llamaspark.job.EngineOptions;
import llamaspark.job.OutputFile;
import llamaspark.job.ModelOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The job's work in this JVM, without Spark: the same prompt files (txt, jsonl, csv), ids,
 * seeds and defaults, one engine, completions to a JSONL file. For small runs, and to measure
 * what Spark adds.
 */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = "Generate completions for prompt files in this JVM, without Spark (the job's inputs and seeds; JSONL out).")
final class BatchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions options;

    @Option(names = "--prompts", required = true, split = ",", description = "prompt files or directories (.txt, .jsonl, .csv)")
    List<String> prompts;
    @Option(names = "--out", required = true, description = "output .jsonl (written whole, then moved into place)")
    Path out;
    @Option(names = "--overwrite", description = "replace an existing output file")
    boolean overwrite;
    @Option(names = "--input-format", defaultValue = "prompts",
            description = "prompts (.txt/.jsonl/.csv rows) or openai-batch (.jsonl OpenAI batch requests). Default: ${DEFAULT-VALUE}")
    String inputFormat;
    @Option(names = "--output-format", defaultValue = "jsonl",
            description = "jsonl (one line per row), or openai-batch: --out holds one OpenAI batch output line per request, in input order. Default: ${DEFAULT-VALUE}")
    String outputFormat;
    /** Indexes (in the rows read) of later occurrences of an id or custom_id. */
    private final java.util.Set<Integer> duplicates = new java.util.HashSet<>();
    @Mixin
    EngineOptions engine = new EngineOptions();
    @Mixin
    RowDefaults rowDefaults = new RowDefaults();
    @Option(names = "--profile", description = "print the stage table on stderr") boolean profile;
    @Mixin
    ProgressOptions progress = new ProgressOptions();

    @Option(names = "--max-error-rate", defaultValue = "0.1",
            description = "exit with code 3 (after writing everything) when more than this fraction of rows failed. Default: ${DEFAULT-VALUE}")
    double maxErrorRate;

    @Override
    public Integer call() throws IOException {
        engine.validate();
        rowDefaults.validate();
        progress.validate();
        if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
            throw new BadInputException("--max-error-rate", maxErrorRate + " must be in [0, 1]");
        }
        JobOptions.format("--input-format", inputFormat, "prompts");
        JobOptions.format("--output-format", outputFormat, "jsonl");
        OutputFile.check(out, overwrite);
        long start = System.nanoTime();
        LoadedModel loaded = options.open();
        LlamaWeights weights = loaded.weights();
        TextTokenizer tokenizer = loaded.tokenizer();
        int batchSize = BatchFit.fit(weights.config, options.kvCache, engine.batchSize, BatchFit.freeHeap(), "this JVM's",
                m -> System.err.println("llamaspark: " + m));
        List<PromptRow> rows = readPrompts();
        JobDefaults defaults = rowDefaults.toJobDefaults();

        // What killed earlier runs left half-written beside --out goes; this run writes its own.
        String tmpPrefix = "." + out.getFileName() + ".tmp-";
        try (java.util.stream.Stream<Path> stale = Files.list(out.toAbsolutePath().getParent())) {
            for (Path p : stale.filter(p -> p.getFileName().toString().startsWith(tmpPrefix)).toList()) {
                Files.deleteIfExists(p);
            }
        }
        Path tmp = out.toAbsolutePath().resolveSibling(tmpPrefix + ProcessHandle.current().pid());
        StageProfile prof = profile ? new StageProfile() : StageProfile.disabled();
        ObjectMapper json = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        long ok = 0, failed = 0, tokens = 0;
        List<String> firstErrors = new ArrayList<>();
        boolean openAiOut = JobOptions.format("--output-format", outputFormat, "jsonl");
        // Results by row, for the OpenAI batch output (written in input order once all are done).
        GenerationResult[] results = openAiOut ? new GenerationResult[rows.size()] : null;
        String[] rowErrors = new String[rows.size()];
        try (OutputStream os = Files.newOutputStream(tmp);
             BatchGenerator generator = BatchGenerator.create(weights, tokenizer,
                     GeneratorOptions.of(options.backend, batchSize).withKvCache(options.kvCache)
                             .withThreads(engine.threads(Runtime.getRuntime().availableProcessors())), prof)) {
            long[] counts = new long[3];
            List<PromptRow> bad = new ArrayList<>();
            Map<GenerationRequest, Integer> rowOf = new IdentityHashMap<>();
            // Rows done so far, read by the progress thread: [done, failed, tokens].
            java.util.concurrent.atomic.AtomicLongArray live = new java.util.concurrent.atomic.AtomicLongArray(3);
            // Rows become requests as the generator admits them: a chat row's rendering and encoding
            // then happen inside the generate.iteration that admits it (timed as generate.chat_template).
            Iterator<GenerationRequest> requests = new Iterator<>() {
                private int i;
                private GenerationRequest next;

                @Override
                public boolean hasNext() {
                    while (next == null && i < rows.size()) {
                        int row = i++;
                        PromptRow r = rows.get(row);
                        String error = r.inputError();
                        if (error == null) {
                            try {
                                next = defaults.requestFor(r, loaded.chatTemplate(), tokenizer, prof);
                                rowOf.put(next, row);
                                continue;
                            } catch (BadInputException e) {
                                error = e.getMessage();
                            }
                        }
                        rowErrors[row] = error;
                        bad.add(PromptRow.error(r.id(), r.source(), error, r.request()));
                        live.incrementAndGet(0);
                        live.incrementAndGet(1);
                    }
                    return next != null;
                }

                @Override
                public GenerationRequest next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    GenerationRequest r = next;
                    next = null;
                    return r;
                }
            };
            long t0 = System.nanoTime();
            try (ProgressPrinter printer = ProgressPrinter.start(progress, () -> new Progress(System.nanoTime() - t0,
                    live.get(0), live.get(1), rows.size(), live.get(2), -1, -1), System.err, true)) {
                boolean more = true;
                while (more) {
                    more = generator.advance(requests, r -> {
                        if (results != null) {
                            results[rowOf.get(r.request())] = r;
                        } else {
                            write(json, os, record(r));
                        }
                        counts[r.ok() ? 0 : 1]++;
                        counts[2] += r.completionTokens().length;
                        if (!r.ok()) {
                            live.incrementAndGet(1);
                            if (firstErrors.size() < 5) {
                                firstErrors.add(r.error());
                            }
                        }
                        live.incrementAndGet(0);
                    });
                    live.set(2, generator.generatedTokens()); // step by step, so long rows show motion too
                }
            }
            for (PromptRow r : bad) {
                if (results == null) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", r.id());
                    m.put("source", r.source());
                    m.put("error", r.inputError());
                    write(json, os, m);
                }
                if (firstErrors.size() < 5) {
                    firstErrors.add(r.inputError());
                }
            }
            if (results != null) {
                writeOpenAiBatch(json, os, rows, results, rowErrors, loaded, System.currentTimeMillis() / 1000);
            }
            ok = counts[0];
            failed = counts[1] + bad.size();
            tokens = counts[2];
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (profile) {
            System.err.print(ProfileTable.format(prof));
        }
        System.err.printf(Locale.ROOT, "rows %d (ok %d, failed %d), completion tokens %d, wall %.2f s, %.1f tokens/s -> %s%n",
                ok + failed, ok, failed, tokens, seconds, tokens / seconds, out);
        long total = ok + failed;
        if (failed > maxErrorRate * total) {
            System.err.printf(Locale.ROOT, "llamaspark: %d of %d rows failed (%.1f%%, more than --max-error-rate %s); "
                    + "everything is written to %s; the first errors:%n", failed, total, 100.0 * failed / total, maxErrorRate, out);
            firstErrors.forEach(e -> System.err.println("  " + e));
            return 3;
        }
        return 0;
    }

    /**
     * The rows of every prompt file, strictly UTF-8, unknown fields caught; a later occurrence of
     * an id is an error row naming the first one. No prompts at all is an error.
     */
    private List<PromptRow> readPrompts() {
        List<PromptRow> rows = new ArrayList<>();
        Configuration hadoop = new Configuration();
        Map<PromptFiles.Kind, List<String>> files = PromptFiles.expand(prompts, hadoop,
                JobOptions.format("--input-format", inputFormat, "prompts"));
        for (PromptFiles.Kind kind : PromptFiles.Kind.values()) {
            for (String file : files.getOrDefault(kind, List.of())) {
                if (kind == PromptFiles.Kind.PARQUET) {
                    throw new BadInputException(file, "Parquet prompts need the Spark job (jobs/llamaspark job)");
                }
                rows.addAll(PromptFiles.read(kind, file, hadoop));
            }
        }
        if (rows.isEmpty()) {
            throw new BadInputException(String.join(",", prompts), "holds no prompts (every file is empty or blank)");
        }
        // An OpenAI request (all its choices) is one unit: a later line with its custom_id is a duplicate.
        Map<String, String> firstOfRequest = new HashMap<>();
        Map<String, String> firstOfId = new HashMap<>();
        List<PromptRow> out = new ArrayList<>(rows.size());
        for (PromptRow r : rows) {
            String key = r.request() != null && r.request().customId() != null ? r.request().customId() : r.id();
            String first = firstOfRequest.putIfAbsent(key, r.source());
            if (first != null && first.equals(r.source())) {
                first = null; // another choice of the same request
            }
            String firstId = firstOfId.putIfAbsent(r.id(), r.source());
            if (first == null && firstId != null && !firstId.equals(r.source())) {
                first = firstId;
            }
            if (first == null) {
                out.add(r);
            } else {
                duplicates.add(out.size());
                out.add(PromptRow.error(r.id(), r.source(), PromptFiles.duplicateMessage(r, first), r.request()));
            }
        }
        return out;
    }

    /**
     * One OpenAI batch output line per request, in input order: a request's rows (its choices) are
     * consecutive and share their source line.
     */
    private void writeOpenAiBatch(ObjectMapper json, OutputStream os, List<PromptRow> rows, GenerationResult[] results,
                                  String[] rowErrors, LoadedModel loaded, long created) {
        String modelName = new org.apache.hadoop.fs.Path(options.model).getName();
        int i = 0;
        while (i < rows.size()) {
            PromptRow first = rows.get(i);
            List<OpenAiBatchOutput.Choice> choices = new ArrayList<>();
            int j = i;
            for (; j < rows.size() && rows.get(j).source().equals(first.source()); j++) {
                GenerationResult r = results[j];
                choices.add(r == null ? new OpenAiBatchOutput.Choice(null, null, null, null, rowErrors[j])
                        : new OpenAiBatchOutput.Choice(r.completion(), r.finishReason() == null ? null : r.finishReason().label(),
                                r.promptTokens().length == 0 ? null : r.promptTokens().length, r.completionTokens().length, r.error()));
            }
            boolean fromBatchFile = first.request() != null;
            String url = fromBatchFile ? first.request().url()
                    : first.messages() != null ? "/v1/chat/completions" : "/v1/completions";
            boolean duplicate = duplicates.contains(i);
            write(json, os, OpenAiBatchOutput.line(new OpenAiBatchOutput.Request(
                    fromBatchFile ? first.request().customId() : first.id(), url,
                    fromBatchFile ? first.request().model() : null, first.source(),
                    duplicate || first.inputError() != null ? rowErrors[i] : null, duplicate, choices), modelName, created));
            i = j;
        }
    }

    private static Map<String, Object> record(GenerationResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        GenerationRequest q = r.request();
        m.put("id", q.id());
        m.put("prompt", q.prompt());
        m.put("completion", r.completion());
        m.put("prompt_tokens", r.promptTokens().length);
        m.put("completion_tokens", r.completionTokens().length);
        m.put("token_ids", r.completionTokens());
        m.put("finish_reason", r.finishReason() == null ? null : r.finishReason().label());
        m.put("max_new_tokens", q.maxNewTokens());
        m.put("temperature", q.sampling().temperature());
        m.put("top_p", q.sampling().topP());
        m.put("top_k", q.sampling().topK());
        m.put("min_p", q.sampling().minP());
        m.put("seed", q.sampling().seed());
        m.put("stop", q.stop());
        m.put("elapsed_ms", r.elapsedNanos() / 1e6);
        m.put("error", r.error());
        return m;
    }

    private static void write(ObjectMapper json, OutputStream os, Map<String, Object> record) {
        try {
            json.writeValue(os, record);
            os.write('\n');
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
