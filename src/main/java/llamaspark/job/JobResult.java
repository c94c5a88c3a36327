package llamaspark.job;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import llamaspark.model.LlamaConfig;
import llamaspark.profile.ProfileTable;
import llamaspark.profile.StageProfile;

/** What a job run did: the totals printed at the end and written to run.json. */
public final class JobResult {
    private final String outDir;
    private final Instant started;
    private final Instant finished;
    private final double wallSeconds;
    private final double modelLoadSeconds;
    private final int partitions;
    private final String master;
    private final String appId;
    private final String sparkVersion;
    private final int defaultParallelism;
    private final JobOptions options;
    private final ModelRef ref;
    private final List<TaskProfile> tasks;
    private final StageProfile cluster;
    private final RowCounts counts;
    private final List<String> firstErrors;
    private final int batchSize;
    private final Map<String, Double> driverPhases;

    /**
     * The rows of DIR/generations: total, failed (with an error), reused (finished by an earlier
     * attempt at this DIR), generated (by this run), duplicates (later occurrences of an id).
     */
    public record RowCounts(long total, long failed, long reused, long generated, long duplicates) {
    }

    JobResult(String outDir, Instant started, Instant finished, double wallSeconds, double modelLoadSeconds,
              int partitions, String master, String appId, String sparkVersion, int defaultParallelism,
              JobOptions options, ModelRef ref, List<TaskProfile> tasks, StageProfile cluster,
              RowCounts counts, List<String> firstErrors, int batchSize, Map<String, Double> driverPhases) {
        this.driverPhases = driverPhases;
        this.counts = counts;
        this.firstErrors = List.copyOf(firstErrors);
        this.batchSize = batchSize;
        this.outDir = outDir;
        this.started = started;
        this.finished = finished;
        this.wallSeconds = wallSeconds;
        this.modelLoadSeconds = modelLoadSeconds;
        this.partitions = partitions;
        this.master = master;
        this.appId = appId;
        this.sparkVersion = sparkVersion;
        this.defaultParallelism = defaultParallelism;
        this.options = options;
        this.ref = ref;
        this.tasks = tasks;
        this.cluster = cluster;
    }

    public String outDir() {
        return outDir;
    }

    public long rows() {
        return counts.total();
    }

    public long failedRows() {
        return counts.failed();
    }

    public RowCounts counts() {
        return counts;
    }

    /** The first few error messages of DIR/generations. */
    public List<String> firstErrors() {
        return firstErrors;
    }

    public long completionTokens() {
        return tasks.stream().mapToLong(TaskProfile::completionTokens).sum();
    }

    public long promptTokens() {
        return tasks.stream().mapToLong(TaskProfile::promptTokens).sum();
    }

    public double wallSeconds() {
        return wallSeconds;
    }

    public StageProfile clusterProfile() {
        return cluster;
    }

    public List<TaskProfile> tasks() {
        return tasks;
    }

    /** What one executor did: its tasks summed. */
    @JsonPropertyOrder({"executor_id", "host", "partitions", "rows", "completion_tokens", "task_seconds",
        "model_materialisations", "model_load", "huge_pages_mb", "tokens_per_second"})
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ExecutorSummary(String executorId, String host, long partitions, long rows, long completionTokens,
                                  double taskSeconds, int modelMaterialisations, ModelLoad modelLoad,
                                  @JsonIgnore long hugePageBytes) {
        ExecutorSummary plus(TaskProfile t) {
            ExecutorModels.Stats m = t.modelLoad();
            // The JVM's counters only grow: its last task's figures are the executor's.
            ModelLoad load = m == null ? modelLoad : new ModelLoad(m.fetched(), m.fetchSeconds(), m.openSeconds(),
                    Math.max(m.hostCopies(), modelLoad == null ? 0 : modelLoad.hostCopies()),
                    Math.max(m.hostCopiesReused(), modelLoad == null ? 0 : modelLoad.hostCopiesReused()),
                    Math.max(m.hostCopiesReplaced(), modelLoad == null ? 0 : modelLoad.hostCopiesReplaced()));
            return new ExecutorSummary(executorId, host, partitions + 1, rows + t.rows(),
                    completionTokens + t.completionTokens(), taskSeconds + t.taskNanos() / 1e9,
                    Math.max(modelMaterialisations, t.modelMaterialisations()), load,
                    Math.max(hugePageBytes, t.hugePageBytes()));
        }

        /**
         * MB of the executor JVM's memory on transparent huge pages as its last task ended (the
         * largest its tasks saw); null where the system does not say. 0 means 4 KB pages, which
         * slow the decode loop (README: Engine semantics, memory pages).
         */
        @JsonProperty("huge_pages_mb")
        public Long hugePagesMb() {
            return hugePageBytes < 0 ? null : Math.round(hugePageBytes / 1048576.0);
        }

        /** Completion tokens per task-second. */
        @JsonProperty("tokens_per_second")
        public double tokensPerSecond() {
            return taskSeconds > 0 ? completionTokens / taskSeconds : 0.0;
        }
    }

    /**
     * How an executor JVM got and opened the model: how the file reached it, the seconds spent
     * fetching (locating or copying) and opening it, and the host-cache copies the JVM made, found
     * verified and reused, or found damaged and replaced.
     */
    @JsonPropertyOrder({"fetched", "fetch_seconds", "open_seconds", "host_copies", "host_copies_reused",
        "host_copies_replaced"})
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelLoad(String fetched, double fetchSeconds, double openSeconds, int hostCopies,
                            int hostCopiesReused, int hostCopiesReplaced) {
    }

    /** Per executor, by id: partitions, rows, tokens, summed task time, tokens per task-second. */
    public Map<String, ExecutorSummary> executors() {
        Map<String, ExecutorSummary> out = new TreeMap<>();
        for (TaskProfile t : tasks) {
            out.computeIfAbsent(t.executorId(), id -> new ExecutorSummary(id, t.host(), 0, 0, 0, 0.0, 0, null, -1));
            out.computeIfPresent(t.executorId(), (id, e) -> e.plus(t));
        }
        return out;
    }

    /** The study's table over the whole cluster, then the totals. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(ProfileTable.format(cluster));
        sb.append(String.format(Locale.ROOT, "%nrows %d (ok %d, failed %d; reused %d, generated %d), prompt tokens %d, completion tokens %d%n",
                rows(), rows() - failedRows(), failedRows(), counts.reused(), counts.generated(), promptTokens(),
                completionTokens()));
        sb.append(String.format(Locale.ROOT, "wall %.2f s, %.1f completion tokens/s overall, %d partitions on %d executor(s), master %s%n",
                wallSeconds, completionTokens() / wallSeconds, partitions, executors().size(), master));
        sb.append("driver: ").append(phasesLine()).append(System.lineSeparator());
        for (ExecutorSummary e : executors().values()) {
            Long huge = e.hugePagesMb();
            sb.append(String.format(Locale.ROOT, "  executor %-8s %5d rows %8d tokens %8.2f task-s %8.1f tok/s%s%n",
                    e.executorId(), e.rows(), e.completionTokens(), e.taskSeconds(), e.tokensPerSecond(),
                    huge == null ? "" : huge > 0 ? String.format(Locale.ROOT, "  %d MB on huge pages", huge)
                            : "  4 KB pages only: start executors with -XX:+UseTransparentHugePages (README: Engine semantics)"));
        }
        sb.append("output: ").append(outDir).append(System.lineSeparator());
        return sb.toString();
    }

    /** "model 0.14 s, prompts 1.10 s, ..." over the driver's phases. */
    private String phasesLine() {
        java.util.StringJoiner j = new java.util.StringJoiner(", ");
        driverPhases.forEach((k, v) -> j.add(String.format(Locale.ROOT, "%s %.2f s", k, v)));
        return j.toString();
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("started_at", started.toString());
        root.put("finished_at", finished.toString());
        root.put("wall_seconds", wallSeconds);
        // The driver's phases within wall_seconds: model, prompts, generation, writing ... .
        root.put("driver_phase_seconds", driverPhases);
        Map<String, Object> where = new LinkedHashMap<>();
        where.put("master", master);
        where.put("app_id", appId);
        where.put("spark_version", sparkVersion);
        where.put("default_parallelism", defaultParallelism);
        where.put("executors", new ArrayList<>(executors().keySet()));
        where.put("executor_count", executors().size());
        root.put("cluster", where);
        LlamaConfig c = ref.config();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("path", ref.model().location());
        model.put("file", ref.model().name());
        model.put("format", ref.format());
        model.put("tensor_types", ref.tensorTypes());
        model.put("size_bytes", ref.model().size());
        model.put("sha256", ref.model().sha256());
        model.put("delivery", ref.delivery());
        model.put("driver_copy", ref.driverCopy());
        model.put("tokenizer", ref.tokenizer() == null ? null : ref.tokenizer().location());
        model.put("tokenizer_sha256", ref.tokenizer() == null ? null : ref.tokenizer().sha256());
        model.put("config", ordered("dim", c.dim(), "hidden_dim", c.hiddenDim(), "n_layers", c.layers(),
                "n_heads", c.heads(), "n_kv_heads", c.kvHeads(), "vocab_size", c.vocabSize(), "seq_len", c.seqLen(),
                "shared_classifier", c.sharedClassifier(), "head_dim", c.headDim()));
        // The context the engine allocated: --seq-len, else the model's own capped at ModelFiles.DEFAULT_MAX_CONTEXT.
        model.put("context", c.seqLen());
        model.put("load_seconds", modelLoadSeconds);
        root.put("model", model);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("prompts", options.prompts);
        params.put("input_format", options.inputFormat);
        params.put("output_format", options.outputFormat);
        params.put("partitions", partitions);
        params.put("batch_size", batchSize);
        params.put("threads_per_task", options.engine.threads);
        params.put("backend", ref.backend().cliName());
        params.put("kv_cache", ref.kvCache().cliName());
        params.put("seed", options.rows.seed);
        params.put("max_new_tokens", options.rows.maxNewTokens);
        params.put("temperature", options.rows.temperature);
        params.put("top_p", options.rows.topP);
        params.put("top_k", options.rows.topK);
        params.put("min_p", options.rows.minP);
        params.put("stop", options.rows.stop);
        root.put("parameters", params);
        root.put("rows", ordered("total", rows(), "ok", rows() - failedRows(), "failed", failedRows(),
                "reused", counts.reused(), "generated", counts.generated(), "duplicates", counts.duplicates()));
        root.put("first_errors", firstErrors);
        root.put("tokens", ordered("prompt", promptTokens(), "completion", completionTokens()));
        root.put("tokens_per_second", completionTokens() / wallSeconds);
        root.put("executors", new ArrayList<>(executors().values()));
        List<Map<String, Object>> perTask = new ArrayList<>();
        for (TaskProfile t : tasks) {
            perTask.add(ordered("partition_id", t.partitionId(), "executor_id", t.executorId(), "host", t.host(),
                    "rows", t.rows(), "failed_rows", t.failedRows(), "prompt_tokens", t.promptTokens(),
                    "completion_tokens", t.completionTokens(), "task_seconds", t.taskNanos() / 1e9));
        }
        root.put("tasks", perTask);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
