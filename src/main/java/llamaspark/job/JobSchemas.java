package llamaspark.job;

import static org.apache.spark.sql.types.DataTypes.*;

import java.util.List;
import org.apache.spark.sql.Row;
import llamaspark.chat.ChatMessage;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.sampling.SamplingParams;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;

/** The columns of the job's inputs and outputs. */
final class JobSchemas {
    private JobSchemas() {
    }

    /** The per-row generation parameters, in input and output alike. */
    private static StructType withRowParameters(StructType t) {
        return t.add("max_new_tokens", IntegerType)
                .add("temperature", FloatType)
                .add("top_p", FloatType)
                .add("top_k", IntegerType)
                .add("min_p", FloatType)
                .add("seed", LongType)
                .add("stop", createArrayType(StringType));
    }

    static final StructType MESSAGE = new StructType().add("role", StringType).add("content", StringType);

    /**
     * Prompts after reading, before defaults. input_hash: {@link PromptRow#fingerprint()};
     * input_order: file index (in the sorted file list) times 2^40 plus the line or row number,
     * so "first occurrence" means the same thing whatever the partitioning. custom_id, choice,
     * url, request_model: the OpenAI batch request of the row (null otherwise).
     */
    static final StructType PROMPTS = withRowParameters(new StructType()
            .add("id", StringType, false)
            .add("prompt", StringType)
            .add("messages", createArrayType(MESSAGE))
            .add("add_generation_prompt", BooleanType))
            .add("source", StringType)
            .add("input_error", StringType)
            .add("input_hash", StringType)
            .add("input_order", LongType)
            .add("custom_id", StringType)
            .add("choice", IntegerType)
            .add("url", StringType)
            .add("request_model", StringType);

    /** DIR/generations: one row per prompt. */
    static final StructType GENERATIONS = withRowParameters(new StructType()
            .add("id", StringType, false)
            .add("prompt", StringType)
            .add("completion", StringType)
            .add("prompt_tokens", IntegerType)
            .add("completion_tokens", IntegerType)
            .add("token_ids", createArrayType(IntegerType, false))
            .add("finish_reason", StringType))
            .add("source", StringType)
            .add("model", StringType)
            .add("model_sha256", StringType)
            .add("partition_id", IntegerType)
            .add("executor_id", StringType)
            .add("elapsed_ms", DoubleType)
            .add("error", StringType);

    /** DIR/stage_timings: one row per (executor, partition, stage). */
    static final StructType STAGE_TIMINGS = new StructType()
            .add("executor_id", StringType, false)
            .add("host", StringType)
            .add("partition_id", IntegerType, false)
            .add("stage", StringType, false)
            .add("parent", StringType)
            .add("level", IntegerType, false)
            .add("calls", LongType, false)
            .add("total_ms", DoubleType, false)
            .add("min_ms", DoubleType, false)
            .add("max_ms", DoubleType, false);

    /** DIR/stage_summary: the study's table over the whole cluster. */
    static final StructType STAGE_SUMMARY = new StructType()
            .add("stage", StringType, false)
            .add("parent", StringType)
            .add("level", IntegerType, false)
            .add("calls", LongType, false)
            .add("total_ms", DoubleType, false)
            .add("avg_ms", DoubleType, false)
            .add("pct", DoubleType, false);

    /** A row of a schema filled by field name, so a new column is one edit where it is filled. */
    static final class RowBuilder {
        private final StructType schema;
        private final Object[] values;

        RowBuilder(StructType schema) {
            this.schema = schema;
            this.values = new Object[schema.size()];
        }

        RowBuilder set(String field, Object value) {
            values[schema.fieldIndex(field)] = value;
            return this;
        }

        Row build() {
            return new GenericRowWithSchema(values, schema);
        }
    }

    /** A prompt row's per-row parameters, by name, in input and output alike. */
    private static RowBuilder withRowParameters(RowBuilder b, Integer maxNewTokens, Float temperature, Float topP,
                                                Integer topK, Float minP, Long seed, List<String> stop) {
        return b.set("max_new_tokens", maxNewTokens).set("temperature", temperature).set("top_p", topP)
                .set("top_k", topK).set("min_p", minP).set("seed", seed).set("stop", strings(stop));
    }

    static Row promptRow(PromptRow p, long order) {
        return withRowParameters(new RowBuilder(PROMPTS), p.maxNewTokens(), p.temperature(), p.topP(), p.topK(),
                p.minP(), p.seed(), p.stop())
                .set("id", p.id()).set("prompt", p.prompt()).set("source", p.source()).set("input_error", p.inputError())
                .set("messages", p.messages() == null ? null : p.messages().stream()
                        .map(m -> (Row) new GenericRowWithSchema(new Object[] {m.role(), m.content()}, MESSAGE)).toArray(Row[]::new))
                .set("add_generation_prompt", p.addGenerationPrompt())
                .set("input_hash", p.fingerprint()).set("input_order", order)
                .set("custom_id", p.request() == null ? null : p.request().customId())
                .set("choice", p.request() == null ? null : p.request().choice())
                .set("url", p.request() == null ? null : p.request().url())
                .set("request_model", p.request() == null ? null : p.request().model())
                .build();
    }

    /** The input_order of line (or row) {@code line} of the file at {@code fileIndex}. */
    static long inputOrder(int fileIndex, long line) {
        return ((long) fileIndex << 40) | line;
    }

    /**
     * The generations row of prompt {@code p}: its request's parameters (or, when it never became
     * one, the row's own), and the result when there is one.
     */
    static Row generationRow(PromptRow p, GenerationRequest req, GenerationResult r, String error, FileRef model,
                             Integer partitionId, String executorId) {
        SamplingParams s = req == null ? null : req.sampling();
        boolean ok = r != null && r.ok();
        RowBuilder b = req == null
                ? withRowParameters(new RowBuilder(GENERATIONS), p.maxNewTokens(), p.temperature(), p.topP(), p.topK(),
                        p.minP(), p.seed(), p.stop())
                : withRowParameters(new RowBuilder(GENERATIONS), req.maxNewTokens(), s.temperature(), s.topP(), s.topK(),
                        s.minP(), s.seed(), req.stop());
        // A chat row's prompt is the text its messages rendered to.
        return b.set("id", p.id()).set("prompt", req != null && req.prompt() != null ? req.prompt() : p.prompt())
                .set("completion", ok ? r.completion() : null)
                .set("prompt_tokens", r == null || r.promptTokens().length == 0 ? null : r.promptTokens().length)
                .set("completion_tokens", ok ? r.completionTokens().length : null)
                .set("token_ids", ok ? r.completionTokens() : null)
                .set("finish_reason", ok ? r.finishReason().label() : null)
                .set("source", p.source()).set("model", model.name()).set("model_sha256", model.sha256())
                .set("partition_id", partitionId).set("executor_id", executorId)
                .set("elapsed_ms", r == null ? 0.0 : r.elapsedNanos() / 1e6)
                .set("error", error)
                .build();
    }

    /** Spark rows hold arrays, not Java lists. */
    static String[] strings(List<String> list) {
        return list == null ? null : list.toArray(String[]::new);
    }

    /** A prompts row, read by field name. */
    static PromptRow promptRow(Row r) {
        List<String> stop = r.isNullAt(r.fieldIndex("stop")) ? null : r.getList(r.fieldIndex("stop"));
        List<ChatMessage> messages = null;
        if (!r.isNullAt(r.fieldIndex("messages"))) {
            List<Row> ms = r.getList(r.fieldIndex("messages"));
            messages = ms.stream().map(m -> new ChatMessage(m.getString(0), m.getString(1))).toList();
        }
        PromptRow.BatchRequest request = r.isNullAt(r.fieldIndex("choice")) ? null
                : new PromptRow.BatchRequest(r.getAs("custom_id"), r.<Integer>getAs("choice"), r.getAs("url"), r.getAs("request_model"));
        return new PromptRow(r.getAs("id"), r.getAs("prompt"), messages, r.getAs("add_generation_prompt"),
                r.getAs("max_new_tokens"), r.getAs("temperature"),
                r.getAs("top_p"), r.getAs("top_k"), r.getAs("min_p"), r.getAs("seed"), stop, r.getAs("source"),
                r.getAs("input_error"), request);
    }
}
