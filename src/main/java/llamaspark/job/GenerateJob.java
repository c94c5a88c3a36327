package llamaspark.job;

import static org.apache.spark.sql.functions.col;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.model.ModelHeader;
import llamaspark.profile.Stage;
import llamaspark.report.Report;
import llamaspark.profile.StageProfile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.CollectionAccumulator;
import picocli.CommandLine;

/**
 * The Spark batch generation job. The driver reads the model's header and digest only and broadcasts a
 * reference to the file; each executor JVM opens the model once ({@link ExecutorModels}). Prompts are
 * read, hash-partitioned by id and run through the batched engine partition by partition on the
 * executors; generations, per-task stage timings, the cluster-wide stage summary and a run report
 * are written under the output directory, which appears only when complete.
 *
 * <pre>spark-submit --class llamaspark.job.GenerateJob target/llamaspark.jar --prompts P --model M --tokenizer T --out DIR</pre>
 */
public final class GenerateJob {
    private GenerateJob() {
    }

    public static void main(String[] args) {
        int code = run(System.out, System.err, args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Parses, runs on a session of its own (local[*] unless spark-submit set a master), prints. */
    static int run(PrintStream out, PrintStream err, String... args) {
        JobOptions options = new JobOptions();
        CommandLine cli = new CommandLine(options);
        try {
            File defaults = defaultsFile(args);
            if (defaults != null) {
                if (!defaults.isFile()) {
                    throw new BadInputException(defaults.toString(), "no such job defaults file");
                }
                cli.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(defaults));
            }
            cli.parseArgs(args);
            if (cli.isUsageHelpRequested()) {
                cli.usage(out);
                return 0;
            }
            options.validate();
            checkLocalModel(options.model);
        } catch (CommandLine.ParameterException e) {
            err.println("llamaspark job: " + e.getMessage());
            return 2;
        } catch (BadInputException e) {
            err.println("llamaspark job: " + e.getMessage());
            return 2;
        }
        SparkSession.Builder builder = SparkSession.builder().appName("llamaspark");
        if (!new org.apache.spark.SparkConf().contains("spark.master")) {
            builder.master("local[*]");
        }
        SparkSession spark = builder.getOrCreate();
        try {
            JobResult result = execute(spark, options);
            out.print(result.report());
            out.flush();
            return 0;
        } catch (BadInputException e) {
            err.println("llamaspark job: " + e.getMessage());
            return 2;
        } finally {
            spark.stop();
        }
    }

    /**
     * A model the driver reads in place (a local path) is checked before Spark starts: a bad file
     * is one line and exit 2 without a session. A URI is checked once copied, still before any task.
     */
    private static void checkLocalModel(ModelOptions m) {
        ModelSource source = m.source.resolve(m.model);
        if (source != ModelSource.COPY) {
            Path model = FileRef.localPath(m.model, source);
            ModelHeader h = ModelHeader.of(model, m.heads, m.seqLen);
            if (!h.ownVocabulary() && (m.tokenizer == null || m.source.resolve(m.tokenizer) != ModelSource.COPY)) {
                h.checkTokenizer(m.tokenizer == null ? null : FileRef.localPath(m.tokenizer, m.source.resolve(m.tokenizer)));
            }
        }
    }

    private static File defaultsFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--defaults") && i + 1 < args.length) {
                return new File(args[i + 1]);
            }
            if (args[i].startsWith("--defaults=")) {
                return new File(args[i].substring("--defaults=".length()));
            }
        }
        return null;
    }

    /**
     * Runs the job on {@code spark} (which it leaves running) and returns what it did: check the
     * model's header and make the model reference (never the weights), broadcast it, read the prompts, generate on the executors, write the stage
     * timings, write the run report, then move the output into place.
     */
    public static JobResult execute(SparkSession spark, JobOptions o) {
        o.validate();
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        String outDir = o.out != null ? o.out
                : "out/job-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        JobOutput output = new JobOutput(spark.sparkContext().hadoopConfiguration(), outDir, o.overwrite);
        try {
            long tLoad = System.nanoTime();
            ModelRef ref = ModelRef.create(spark.sparkContext(), o.model);
            double loadSeconds = (System.nanoTime() - tLoad) / 1e9;

            Dataset<Row> prompts = PromptSource.read(spark, o.prompts);

            int partitions = o.partitions > 0 ? o.partitions : spark.sparkContext().defaultParallelism();
            List<TaskProfile> tasks = generate(spark, o, ref, prompts, partitions, output.staged("generations"));

            StageProfile cluster = writeTimings(spark, tasks, output);

            JobResult result = new JobResult(output.path(), started, Instant.now(), (System.nanoTime() - t0) / 1e9,
                    loadSeconds, partitions, spark.sparkContext().master(), spark.sparkContext().applicationId(),
                    spark.version(), spark.sparkContext().defaultParallelism(), o, ref, tasks, cluster);
            output.writeText("run.json", result.toJson());
            output.writeText(Report.FILE, Report.html(spark, outDir, output::staged));
            output.commit();
            return result;
        } catch (java.io.IOException e) {
            output.abort();
            throw new BadInputException(outDir, "cannot write output: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            output.abort();
            throw e;
        }
    }

    /**
     * Broadcasts the model reference, runs the prompts, hash-partitioned by id, through the engine partition
     * by partition and writes the generations to {@code dir}; returns the tasks' profiles in
     * partition order.
     */
    private static List<TaskProfile> generate(SparkSession spark, JobOptions o, ModelRef ref, Dataset<Row> prompts,
                                              int partitions, String dir) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelRef> model = jsc.broadcast(ref);
        CollectionAccumulator<TaskProfile> profiles = spark.sparkContext().collectionAccumulator("llamaspark.task-profiles");
        prompts.repartition(partitions, col("id"))
                .mapPartitions(new PartitionGenerator(model, o.jobDefaults(), o.engine.batchSize, o.engine.threads, profiles),
                        Encoders.row(JobSchemas.GENERATIONS))
                .write().parquet(dir);
        List<TaskProfile> tasks = new ArrayList<>(profiles.value());
        tasks.sort((a, b) -> Integer.compare(a.partitionId(), b.partitionId()));
        return tasks;
    }

    /** Writes stage_timings (per task) and stage_summary (the cluster); returns the cluster's profile. */
    private static StageProfile writeTimings(SparkSession spark, List<TaskProfile> tasks, JobOutput output) {
        StageProfile cluster = new StageProfile();
        List<Row> timings = new ArrayList<>();
        for (TaskProfile t : tasks) {
            cluster.merge(t.profile());
            for (Stage s : Stage.values()) {
                if (t.profile().calls(s) > 0) {
                    timings.add(RowFactory.create(t.executorId(), t.host(), t.partitionId(), s.label(),
                            s.parent() == null ? null : s.parent().label(), s.level(), t.profile().calls(s),
                            t.profile().totalNanos(s) / 1e6, t.profile().minNanos(s) / 1e6, t.profile().maxNanos(s) / 1e6));
                }
            }
        }
        spark.createDataFrame(timings, JobSchemas.STAGE_TIMINGS).coalesce(1).write().parquet(output.staged("stage_timings"));
        spark.createDataFrame(summaryRows(cluster), JobSchemas.STAGE_SUMMARY).coalesce(1)
                .write().parquet(output.staged("stage_summary"));
        return cluster;
    }

    static List<Row> summaryRows(StageProfile p) {
        List<Row> rows = new ArrayList<>();
        double root = p.totalMillis(Stage.ROOT);
        for (Stage s : Stage.values()) {
            long calls = p.calls(s);
            if (calls > 0) {
                double total = p.totalMillis(s);
                rows.add(RowFactory.create(s.label(), s.parent() == null ? null : s.parent().label(), s.level(), calls,
                        total, total / calls, root > 0 ? 100.0 * total / root : 0.0));
            }
        }
        return rows;
    }
}
