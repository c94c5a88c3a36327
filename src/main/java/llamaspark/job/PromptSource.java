package llamaspark.job;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * Reads every prompt file of a job into one Dataset with the {@link JobSchemas#PROMPTS} columns.
 * Text and JSONL files are split by Spark (Hadoop line splits: a task holds one split's lines,
 * whatever the file's size); when a file spans several splits, a cheap first pass counts each
 * split's lines so every line keeps its number. CSV files (records may span lines) are read whole, one task per file. Each Parquet file
 * is read on its own schema, so files that disagree (an int id here, a string there, a column
 * missing) do not sink each other.
 */
final class PromptSource {
    /**
     * The largest input read as {@link Prompts#inOrder}: one task can hold its ids in memory, and
     * past this size the shuffle a window takes is a small part of the job anyway.
     */
    static final long IN_ORDER_BYTES = 16L << 20;

    private PromptSource() {
    }

    /**
     * The prompts, and whether they are one text or JSONL split of at most {@link #IN_ORDER_BYTES}
     * (one partition whose rows come in input order), which a single task can check for duplicates.
     */
    record Prompts(Dataset<Row> rows, boolean inOrder) {
    }

    static Dataset<Row> read(SparkSession spark, List<String> inputs) {
        return read(spark, inputs, false);
    }

    /** With {@code openAiBatch}, the files are .jsonl OpenAI batch requests ({@link OpenAiRequests}). */
    static Dataset<Row> read(SparkSession spark, List<String> inputs, boolean openAiBatch) {
        return prompts(spark, inputs, openAiBatch).rows();
    }

    /** {@link #read}, saying whether the rows are one small partition in input order. */
    static Prompts prompts(SparkSession spark, List<String> inputs, boolean openAiBatch) {
        Map<PromptFiles.Kind, List<String>> files = PromptFiles.expand(inputs, spark.sparkContext().hadoopConfiguration(),
                openAiBatch);
        // One index per file in a stable order, for "first occurrence" of an id.
        List<String> all = new ArrayList<>();
        for (PromptFiles.Kind kind : PromptFiles.Kind.values()) {
            all.addAll(files.getOrDefault(kind, List.of()));
        }
        Map<String, Integer> fileIndex = new HashMap<>();
        for (int i = 0; i < all.size(); i++) {
            fileIndex.put(all.get(i), i);
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Dataset<Row>> parts = new ArrayList<>();
        List<String> lines = new ArrayList<>(files.getOrDefault(PromptFiles.Kind.TXT, List.of()));
        lines.addAll(files.getOrDefault(PromptFiles.Kind.JSONL, List.of()));
        lines.addAll(files.getOrDefault(PromptFiles.Kind.OPENAI_BATCH, List.of()));
        boolean inOrder = false;
        if (!lines.isEmpty()) {
            JavaRDD<Row> rows = lineFiles(jsc, lines, fileIndex, openAiBatch);
            inOrder = lines.size() == all.size() && oneSmallSplit(rows);
            parts.add(spark.createDataFrame(rows, JobSchemas.PROMPTS));
        }
        List<String> csv = files.getOrDefault(PromptFiles.Kind.CSV, List.of());
        if (!csv.isEmpty()) {
            Broadcast<Map<String, Integer>> index = jsc.broadcast(fileIndex);
            JavaRDD<Row> rows = jsc.binaryFiles(String.join(",", csv), csv.size()).flatMap(f -> {
                String path = f._1();
                int file = index.value().getOrDefault(path, -1);
                return PromptFiles.parse(PromptFiles.Kind.CSV, path, f._2().toArray()).stream()
                        .map(p -> JobSchemas.promptRow(p, JobSchemas.inputOrder(file, lineOf(p)))).iterator();
            });
            parts.add(spark.createDataFrame(rows, JobSchemas.PROMPTS));
        }
        for (String parquet : files.getOrDefault(PromptFiles.Kind.PARQUET, List.of())) {
            parts.add(parquet(spark, parquet, fileIndex.get(parquet)));
        }
        Dataset<Row> union = parts.get(0);
        for (Dataset<Row> p : parts.subList(1, parts.size())) {
            union = union.union(p);
        }
        return new Prompts(union, inOrder);
    }

    /** Whether the line files' rows are one split, of at most {@link #IN_ORDER_BYTES}. */
    private static boolean oneSmallSplit(JavaRDD<Row> rows) {
        org.apache.spark.Partition[] splits = rows.rdd().partitions();
        return splits.length == 1 && ((FileSplit) ((org.apache.spark.rdd.NewHadoopPartition) splits[0])
                .serializableHadoopSplit().value()).getLength() <= IN_ORDER_BYTES;
    }

    /** The line number at the end of a "file:line" source. */
    private static long lineOf(PromptRow p) {
        return Long.parseLong(p.source().substring(p.source().lastIndexOf(':') + 1));
    }

    /**
     * Text and JSONL files in Hadoop line splits. Pass one (only when some split starts past a
     * file's first byte) counts the lines of every split (a line belongs to the split where it
     * starts); their prefix sums per file give each split's first line number for pass two, which
     * parses.
     */
    @SuppressWarnings("unchecked")
    private static JavaRDD<Row> lineFiles(JavaSparkContext jsc, List<String> paths, Map<String, Integer> fileIndex,
                                          boolean openAiBatch) {
        JavaNewHadoopRDD<LongWritable, Text> splits = (JavaNewHadoopRDD<LongWritable, Text>) jsc.newAPIHadoopFile(
                String.join(",", paths), TextInputFormat.class, LongWritable.class, Text.class, jsc.hadoopConfiguration());
        // Most files are one split (smaller than a block): their first line is line 1, no count needed.
        boolean wholeFiles = java.util.Arrays.stream(splits.rdd().partitions())
                .allMatch(p -> ((FileSplit) ((org.apache.spark.rdd.NewHadoopPartition) p).serializableHadoopSplit().value()).getStart() == 0);
        List<Tuple2<String, long[]>> counts = wholeFiles ? List.of() : splits.mapPartitionsWithInputSplit((split, it) -> {
            FileSplit s = (FileSplit) split;
            long n = 0;
            while (it.hasNext()) {
                it.next();
                n++;
            }
            return List.of(new Tuple2<>(s.getPath().toString(), new long[] {s.getStart(), n})).iterator();
        }, true).collect();
        Map<String, List<long[]>> byFile = new HashMap<>();
        for (Tuple2<String, long[]> c : counts) {
            byFile.computeIfAbsent(c._1(), k -> new ArrayList<>()).add(c._2());
        }
        Map<String, Long> firstLine = new HashMap<>(); // "path@start" -> number of the split's first line
        for (Map.Entry<String, List<long[]>> e : byFile.entrySet()) {
            e.getValue().sort((a, b) -> Long.compare(a[0], b[0]));
            long before = 0;
            for (long[] c : e.getValue()) {
                firstLine.put(e.getKey() + "@" + c[0], before + 1);
                before += c[1];
            }
        }
        Broadcast<Map<String, Long>> first = jsc.broadcast(firstLine);
        Broadcast<Map<String, Integer>> index = jsc.broadcast(fileIndex);
        return splits.mapPartitionsWithInputSplit((split, it) -> {
            FileSplit s = (FileSplit) split;
            String path = s.getPath().toString();
            PromptFiles.Kind kind = openAiBatch ? PromptFiles.Kind.OPENAI_BATCH : PromptFiles.kindOf(s.getPath().getName());
            int file = index.value().getOrDefault(path, -1);
            long start = s.getStart() == 0 ? 1 : first.value().get(path + "@" + s.getStart());
            return new Iterator<Row>() {
                private long line = start - 1;
                private final java.util.ArrayDeque<Row> next = new java.util.ArrayDeque<>(); // a line's rows

                @Override
                public boolean hasNext() {
                    while (next.isEmpty() && it.hasNext()) {
                        Text t = it.next()._2();
                        line++;
                        for (PromptRow p : PromptFiles.lines(kind, path, line, t.getBytes(), t.getLength())) {
                            next.add(JobSchemas.promptRow(p, JobSchemas.inputOrder(file, line)));
                        }
                    }
                    return !next.isEmpty();
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return next.poll();
                }
            };
        }, true);
    }

    /** One Parquet file on its own schema; a file Spark cannot open is one error row. */
    private static Dataset<Row> parquet(SparkSession spark, String path, int file) {
        String name = new Path(path).getName();
        Dataset<Row> df;
        try {
            df = spark.read().parquet(path);
            df.schema();
        } catch (RuntimeException e) {
            String message = name + ": cannot read Parquet: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            return spark.createDataFrame(List.of(JobSchemas.promptRow(PromptRow.error(name, name, message),
                    JobSchemas.inputOrder(file, 0))), JobSchemas.PROMPTS);
        }
        List<String> columns = Arrays.asList(df.columns());
        Dataset<Row> withPlace = df.select(col("*"), col("_metadata.row_index").as("__row"));
        return withPlace.mapPartitions((MapPartitionsFunction<Row, Row>) it -> new Iterator<Row>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Row next() {
                Row r = it.next();
                long line = r.getLong(r.fieldIndex("__row")) + 1;
                String source = name + ":" + line;
                PromptRow p = PromptFields.parse(n -> {
                    if (!columns.contains(n) || r.isNullAt(r.fieldIndex(n))) {
                        return null;
                    }
                    Object v = r.get(r.fieldIndex(n));
                    return v instanceof scala.collection.Seq<?> ? r.getList(r.fieldIndex(n)) : v;
                }, columns, PromptFiles.defaultId(path, line), source);
                return JobSchemas.promptRow(p, JobSchemas.inputOrder(file, line));
            }
        }, Encoders.row(JobSchemas.PROMPTS));
    }
}
