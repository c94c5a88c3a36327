package llamaspark.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
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
import llamaspark.job.PromptFiles;
import llamaspark.job.PromptRow;
import llamaspark.job.RowDefaults;
import llamaspark.model.LlamaWeights;
import llamaspark.model.LoadedModel;
import llamaspark.profile.ProfileTable;
import llamaspark.profile.StageProfile;
import llamaspark.tokenizer.Tokenizer;
import org.apache.hadoop.conf.Configuration;
import llamaspark.job.EngineOptions;
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
    @Mixin
    EngineOptions engine = new EngineOptions();
    @Mixin
    RowDefaults rowDefaults = new RowDefaults();
    @Option(names = "--profile", description = "print the stage table on stderr") boolean profile;

    @Override
    public Integer call() throws IOException {
        engine.validate();
        rowDefaults.validate();
        if (Files.exists(out) && !overwrite) {
            throw new BadInputException(out.toString(), "output file exists; choose another --out or pass --overwrite");
        }
        long start = System.nanoTime();
        LoadedModel loaded = options.open();
        LlamaWeights weights = loaded.weights();
        Tokenizer tokenizer = loaded.tokenizer();
        List<PromptRow> rows = readPrompts();
        JobDefaults defaults = rowDefaults.toJobDefaults();

        Path tmp = out.resolveSibling(out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        StageProfile prof = profile ? new StageProfile() : StageProfile.disabled();
        ObjectMapper json = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        long ok = 0, failed = 0, tokens = 0;
        try (OutputStream os = Files.newOutputStream(tmp);
             BatchGenerator generator = BatchGenerator.create(weights, tokenizer,
                     GeneratorOptions.of(options.backend, engine.batchSize).withThreads(engine.threads(Runtime.getRuntime().availableProcessors())), prof)) {
            long[] counts = new long[3];
            List<PromptRow> bad = new ArrayList<>();
            Iterator<GenerationRequest> requests = rows.stream().filter(r -> {
                if (r.inputError() != null) {
                    bad.add(r);
                    return false;
                }
                return true;
            }).map(defaults::requestFor).iterator();
            generator.run(requests, r -> {
                write(json, os, record(r));
                counts[r.ok() ? 0 : 1]++;
                counts[2] += r.completionTokens().length;
            });
            for (PromptRow r : bad) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", r.id());
                m.put("source", r.source());
                m.put("error", r.inputError());
                write(json, os, m);
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
        return 0;
    }

    private List<PromptRow> readPrompts() throws IOException {
        List<PromptRow> rows = new ArrayList<>();
        for (Map.Entry<PromptFiles.Kind, List<String>> e : PromptFiles.expand(prompts, new Configuration()).entrySet()) {
            if (e.getKey() == PromptFiles.Kind.PARQUET) {
                throw new BadInputException(e.getValue().get(0), "Parquet prompts need the Spark job (jobs/llamaspark job)");
            }
            for (String file : e.getValue()) {
                Path p = Path.of(java.net.URI.create(file));
                rows.addAll(PromptFiles.parse(e.getKey(), file, Files.readString(p, StandardCharsets.UTF_8)));
            }
        }
        return rows;
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
