package llamaspark.job;

import static org.apache.spark.sql.types.DataTypes.*;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
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

    /** Prompts after reading, before defaults. */
    static final StructType PROMPTS = withRowParameters(new StructType()
            .add("id", StringType, false)
            .add("prompt", StringType))
            .add("source", StringType)
            .add("input_error", StringType);

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

    static Row promptRow(PromptRow p) {
        return RowFactory.create(p.id(), p.prompt(), p.maxNewTokens(), p.temperature(), p.topP(), p.topK(), p.minP(),
                p.seed(), strings(p.stop()), p.source(), p.inputError());
    }

    /** Spark rows hold arrays, not Java lists. */
    static String[] strings(List<String> list) {
        return list == null ? null : list.toArray(String[]::new);
    }

    static PromptRow promptRow(Row r) {
        List<String> stop = r.isNullAt(8) ? null : r.getList(8);
        return new PromptRow(r.getString(0), r.getString(1), (Integer) r.get(2), (Float) r.get(3), (Float) r.get(4),
                (Integer) r.get(5), (Float) r.get(6), (Long) r.get(7), stop, r.getString(9), r.getString(10));
    }
}
