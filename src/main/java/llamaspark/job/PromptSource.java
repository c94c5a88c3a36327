package llamaspark.job;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Reads every prompt file of a job into one Dataset with the {@link JobSchemas#PROMPTS} columns. */
final class PromptSource {
    private PromptSource() {
    }

    static Dataset<Row> read(SparkSession spark, List<String> inputs) {
        Map<PromptFiles.Kind, List<String>> files = PromptFiles.expand(inputs, spark.sparkContext().hadoopConfiguration());
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Dataset<Row>> parts = new ArrayList<>();
        for (PromptFiles.Kind kind : PromptFiles.Kind.values()) {
            List<String> paths = files.get(kind);
            if (paths == null) {
                continue;
            }
            if (kind == PromptFiles.Kind.PARQUET) {
                parts.add(parquet(spark, paths));
            } else {
                // Whole files, so each line keeps its number for ids and messages.
                JavaRDD<Row> rows = jsc.wholeTextFiles(String.join(",", paths), Math.max(1, paths.size()))
                        .flatMap(f -> PromptFiles.parse(kind, f._1(), f._2()).stream().map(JobSchemas::promptRow).iterator());
                parts.add(spark.createDataFrame(rows, JobSchemas.PROMPTS));
            }
        }
        Dataset<Row> all = parts.get(0);
        for (Dataset<Row> p : parts.subList(1, parts.size())) {
            all = all.union(p);
        }
        return all;
    }

    private static Dataset<Row> parquet(SparkSession spark, List<String> paths) {
        Dataset<Row> df = spark.read().parquet(paths.toArray(String[]::new));
        List<String> columns = Arrays.asList(df.columns());
        Dataset<Row> withPlace = df.select(col("*"), col("_metadata.file_path").as("__file"),
                col("_metadata.row_index").as("__row"));
        return withPlace.mapPartitions((org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row>) it -> {
            List<Row> out = new ArrayList<>();
            while (it.hasNext()) {
                Row r = it.next();
                String file = r.getString(r.fieldIndex("__file"));
                long line = r.getLong(r.fieldIndex("__row")) + 1;
                String source = new org.apache.hadoop.fs.Path(file).getName() + ":" + line;
                PromptRow p = PromptFields.parse(name -> {
                    if (!columns.contains(name) || r.isNullAt(r.fieldIndex(name))) {
                        return null;
                    }
                    Object v = r.get(r.fieldIndex(name));
                    return v instanceof scala.collection.Seq<?> ? r.getList(r.fieldIndex(name)) : v;
                }, PromptFiles.defaultId(file, line), source);
                out.add(JobSchemas.promptRow(p));
            }
            return out.iterator();
        }, Encoders.row(JobSchemas.PROMPTS));
    }
}
