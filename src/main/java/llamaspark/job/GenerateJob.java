package llamaspark.job;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.ClassArchive;
import llamaspark.model.ModelHeader;
import llamaspark.profile.Stage;
import llamaspark.progress.ProgressPrinter;
import llamaspark.progress.RowCounters;
import llamaspark.progress.SparkProgress;
import llamaspark.report.GenerationFigures;
import llamaspark.report.Report;
import llamaspark.report.RunData;
import llamaspark.profile.StageProfile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import picocli.CommandLine;
import scala.jdk.javaapi.CollectionConverters;

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
        ClassArchive.runEnded(code);
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
        SparkWarmUp.start();
        SparkSession spark = session("llamaspark");
        try {
            JobResult result = execute(spark, options, err);
            out.print(result.report());
            out.flush();
            return errorRateExceeded(result, options.maxErrorRate, err) ? 3 : 0;
        } catch (RuntimeException e) {
            BadInputException bad = badInput(e);
            if (bad == null) {
                throw e;
            }
            err.println("llamaspark job: " + bad.getMessage());
            return 2;
        } finally {
            spark.stop();
        }
    }

    /**
     * The session a job's driver runs on: local[*] unless spark-submit set a master. The classic
     * (in-process) builder directly: SparkSession.builder() finds it through Scala reflection,
     * whose first use costs the driver about a second of start-up.
     */
    static SparkSession session(String appName) {
        org.apache.spark.sql.classic.SparkSession.Builder builder =
                org.apache.spark.sql.classic.SparkSession.builder().appName(appName);
        if (!new org.apache.spark.SparkConf().contains("spark.master")) {
            builder.master("local[*]");
        }
        return builder.getOrCreate();
    }

    /** A user's mistake, even when a Spark task threw it and Spark wrapped it. */
    static BadInputException badInput(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BadInputException b) {
                return b;
            }
        }
        return null;
    }

    /**
     * Whether more than {@code maxRate} of the rows failed; if so, says how many and the first
     * errors (the output is written all the same).
     */
    static boolean errorRateExceeded(JobResult result, double maxRate, PrintStream err) {
        long failed = result.failedRows(), total = result.rows();
        if (total == 0 || failed <= maxRate * total) {
            return false;
        }
        err.printf(java.util.Locale.ROOT, "llamaspark job: %d of %d rows failed (%.1f%%, more than --max-error-rate %s); "
                + "everything is written to %s; the first errors:%n", failed, total, 100.0 * failed / total, maxRate,
                result.outDir());
        for (String e : result.firstErrors()) {
            err.println("  " + e);
        }
        err.flush();
        return true;
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
     * output location, read the model's header and make the model reference (never the weights),
     * fit the batch to the task's memory, read the prompts, set duplicate ids aside and count them,
     * open (or resume) the work directory, generate the rows no earlier attempt finished on the
     * executors (each opens the model once; the tasks write them), add the rows earlier attempts
     * finished and the duplicates' error rows, write the stage timings and the run report, then
     * move the output into place and drop the work directory.
     */
    public static JobResult execute(SparkSession spark, JobOptions o) {
        return execute(spark, o, System.err);
    }

    /** {@link #execute(SparkSession, JobOptions)}, printing progress lines on {@code progress}. */
    public static JobResult execute(SparkSession spark, JobOptions o, PrintStream progress) {
        o.validate();
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        String outDir = o.out != null ? o.out
                : "out/job-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        JobOutput output = new JobOutput(spark.sparkContext().hadoopConfiguration(), outDir, o.overwrite, o.out == null);
        Dataset<Row> marked = null;
        // The job's own shuffles (duplicates, resume joins) go to as many partitions as generation.
        String shufflePartitions = spark.conf().get("spark.sql.shuffle.partitions");
        int partitions = o.partitions > 0 ? o.partitions : spark.sparkContext().defaultParallelism();
        spark.conf().set("spark.sql.shuffle.partitions", partitions);
        try {
            DriverPhases phases = new DriverPhases();
            ModelRef ref = ModelRef.create(spark.sparkContext(), o.model);
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            int batchSize = fitBatch(spark, o, ref);
            phases.lap("model");

            // Duplicates are marked once, kept on disk, and counted in the same pass (no prompt at
            // all is a mistake, not an empty success); the generation stage reads them from there.
            PromptSource.Prompts prompts = PromptSource.prompts(spark, o.prompts, o.openAiInput());
            boolean inOrder = prompts.inOrder() && !o.openAiInput();
            marked = (inOrder ? markDuplicatesInOrder(prompts.rows()) : markDuplicates(prompts.rows(), o.openAiInput()))
                    .persist(StorageLevel.DISK_ONLY());
            InputCounts inputs = countInputs(marked, o);
            Dataset<Row> firsts = marked.filter(col("duplicate_of").isNull()).drop("duplicate_of");
            phases.lap("prompts");

            WorkDir work = WorkDir.open(spark.sparkContext().hadoopConfiguration(), outDir,
                    WorkDir.manifest(ref, o.jobDefaults()), o.fresh);
            Dataset<Row> earlier = work.finished(spark); // the rows earlier attempts at DIR finished, if any
            Dataset<Row> todo = earlier == null ? firsts
                    : firsts.join(earlier.select("id", "input_hash"), ID_AND_HASH, "left_anti");
            // One partition in, one task out: nothing for a shuffle by id to spread.
            boolean spread = !(inOrder && earlier == null && partitions == 1);
            // The tasks write generations/ as they go (and journal every row for a resume).
            List<TaskProfile> tasks = generate(spark, o, ref, todo, earlier == null ? inputs.firsts() : -1, spread ? partitions : 0, batchSize,
                    new RowJournal.Spec(work.chunks().toString(), o.checkpointRows, Math.round(o.checkpointSeconds * 1000)),
                    output.staged("generations"), progress);
            phases.lap("generation");

            completeGenerations(spark, ref, inputs, marked, earlier, output.staged("generations"));
            // The report's figures of generations, read once here: its row and error counts are the job's too.
            GenerationFigures figures = GenerationFigures.of(
                    spark.read().schema(JobSchemas.GENERATIONS).parquet(output.staged("generations")));
            JobResult.RowCounts counts = rowCounts(inputs, figures, work, tasks);
            List<String> firstErrors = counts.failed() == 0 ? List.of() : firstErrors(spark, output.staged("generations"));
            if (o.openAiOutput()) {
                writeOpenAiBatch(spark, marked, output, ref, started.getEpochSecond());
            }
            phases.lap("writing generations");

            Timings timings = writeTimings(spark, tasks, output);
            phases.lap("writing timings");

            JobResult result = new JobResult(output.path(), started, Instant.now(), (System.nanoTime() - t0) / 1e9,
                    loadSeconds, partitions, spark.sparkContext().master(), spark.sparkContext().applicationId(),
                    spark.version(), spark.sparkContext().defaultParallelism(), o, ref, tasks, timings.cluster(), counts,
                    firstErrors, batchSize, phases.seconds());
            String runJson = result.toJson();
            output.writeText("run.json", runJson);
            // The report from what was just written, as the driver holds it (Report.html of DIR reads the same back).
            output.writeText(Report.FILE, Report.html(RunData.of(new org.apache.hadoop.fs.Path(outDir).getName(),
                    new com.fasterxml.jackson.databind.ObjectMapper().readTree(runJson), timings.summary(), timings.rows(),
                    figures)));
            output.commit();
            work.delete();
            return result;
        } catch (java.io.IOException e) {
            output.abort();
            throw new BadInputException(outDir, "cannot write output: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            output.abort();
            throw e;
        } finally {
            if (marked != null) {
                marked.unpersist();
            }
            spark.conf().set("spark.sql.shuffle.partitions", shufflePartitions);
        }
    }

    /**
     * The batch size a task can hold: the KV caches and activations of its slots must fit the
     * memory one task has (local: this JVM's free heap over its concurrent tasks; a cluster: an
     * executor's heap, less Spark's reserve and the model, over its concurrent tasks).
     */
    private static int fitBatch(SparkSession spark, JobOptions o, ModelRef ref) {
        org.apache.spark.SparkConf conf = spark.sparkContext().getConf();
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        long available;
        String where;
        if (spark.sparkContext().isLocal()) {
            int concurrent = Math.max(1, spark.sparkContext().defaultParallelism() / taskCpus);
            available = BatchFit.freeHeap() / concurrent;
            where = "a task's share of the driver's";
        } else {
            long heap = spark.sparkContext().executorMemory() * 1048576L;
            long model = ref.model().size(); // the executor's one opened copy (less when it is mapped)
            int concurrent = Math.max(1, conf.getInt("spark.executor.cores", 1) / taskCpus);
            available = (heap - 300L * 1048576 - model) * 3 / 4 / concurrent;
            where = "a task's share of an executor's";
        }
        return BatchFit.fit(ref.config(), ref.kvCache(), o.engine.batchSize, available, where,
                m -> System.err.println("llamaspark job: " + m));
    }

    /** The input's rows, and how many of them are later occurrences of an id. */
    record InputCounts(long rows, long duplicates) {
        long firsts() {
            return rows - duplicates;
        }
    }

    /**
     * Counts the marked input in one pass (the pass that fills its cache); an input without a single
     * prompt line is a mistake. The rows and their duplicate_of are counted as Spark's internal rows,
     * partition by partition: the same counts as count(*) and count(duplicate_of), without an
     * aggregate for the driver to plan and compile and a second stage to run.
     */
    private static InputCounts countInputs(Dataset<Row> marked, JobOptions o) {
        long[] c = {0, 0};
        for (long[] p : marked.select(col("duplicate_of")).queryExecution().toRdd().toJavaRDD().mapPartitions(it -> {
            long rows = 0, duplicates = 0;
            while (it.hasNext()) {
                rows++;
                duplicates += it.next().isNullAt(0) ? 0 : 1;
            }
            return List.of(new long[] {rows, duplicates}).iterator();
        }).collect()) {
            c[0] += p[0];
            c[1] += p[1];
        }
        if (c[0] == 0) {
            throw new BadInputException(String.join(",", o.prompts), "holds no prompts (every file is empty or blank)");
        }
        return new InputCounts(c[0], c[1]);
    }

    /**
     * {@link #markDuplicates} of one partition whose rows come in input order (a small text or
     * JSONL file, {@link PromptSource.Prompts#inOrder}) and hold no OpenAI request: the first
     * occurrence of an id is the first row with it, so one pass with the ids seen so far marks
     * them, without the window's shuffle and sort.
     */
    static Dataset<Row> markDuplicatesInOrder(Dataset<Row> prompts) {
        org.apache.spark.sql.types.StructType schema = prompts.schema().add("duplicate_of", org.apache.spark.sql.types.DataTypes.StringType);
        return prompts.mapPartitions((MapPartitionsFunction<Row, Row>) it -> {
            java.util.Map<String, String> firstSource = new java.util.HashMap<>();
            return java.util.stream.StreamSupport.stream(java.util.Spliterators.spliteratorUnknownSize(it, java.util.Spliterator.ORDERED), false)
                    .map(r -> {
                        Object[] values = new Object[r.length() + 1];
                        for (int i = 0; i < r.length(); i++) {
                            values[i] = r.get(i);
                        }
                        values[r.length()] = firstSource.putIfAbsent(r.getAs("id"), r.getAs("source"));
                        return (Row) new GenericRowWithSchema(values, schema);
                    }).iterator();
        }, Encoders.row(schema));
    }

    /**
     * Adds duplicate_of: null for the first occurrence of an id (in file order, then line order),
     * else the source of that first occurrence. An OpenAI request is one unit: every row (choice)
     * of a later line with a custom_id already seen is a duplicate. Other inputs have no custom_id,
     * so the id alone decides, in one shuffle instead of two.
     */
    static Dataset<Row> markDuplicates(Dataset<Row> prompts, boolean requests) {
        if (!requests) {
            WindowSpec byId = Window.partitionBy("id").orderBy("input_order");
            return prompts.withColumn("duplicate_of", when(row_number().over(byId).gt(1), first("source").over(byId)));
        }
        Column request = coalesce(col("custom_id"), col("id"));
        WindowSpec byRequest = Window.partitionBy(request).orderBy("input_order");
        WindowSpec byId = Window.partitionBy("id").orderBy("input_order");
        Column laterRequest = when(col("input_order").gt(min("input_order").over(Window.partitionBy(request))),
                first("source").over(byRequest));
        Column laterId = when(row_number().over(byId).gt(1), first("source").over(byId));
        return prompts.withColumn("duplicate_of", coalesce(laterRequest, laterId));
    }

    /** The file {@code --output-format openai-batch} adds to DIR. */
    public static final String OPENAI_BATCH_FILE = "openai-batch.jsonl";

    /**
     * Writes DIR/openai-batch.jsonl from the written generations: one line per request (its
     * choices' rows grouped), in input order, errors included, streamed to the driver in order.
     */
    private static void writeOpenAiBatch(SparkSession spark, Dataset<Row> marked, JobOutput output, ModelRef ref,
                                         long created) throws java.io.IOException {
        Dataset<Row> gens = spark.read().parquet(output.staged("generations")).select("id", "source", "completion",
                "finish_reason", "prompt_tokens", "completion_tokens", "error");
        Dataset<Row> requests = marked.select(col("id"), col("source"), col("input_order"), col("custom_id"), col("choice"),
                col("url"), col("request_model"), col("input_error"), col("duplicate_of"), col("messages").isNotNull().as("chat"));
        java.util.Iterator<Row> rows = requests.join(gens, CollectionConverters.asScala(List.of("id", "source")).toSeq(), "left")
                .orderBy("input_order", "choice").toLocalIterator();
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper()
                .disable(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        output.writeAtomically(OPENAI_BATCH_FILE, out -> {
            java.io.BufferedOutputStream os = new java.io.BufferedOutputStream(out, 1 << 16);
            Row first = null;
            List<OpenAiBatchOutput.Choice> choices = new ArrayList<>();
            while (true) {
                Row r = rows.hasNext() ? rows.next() : null;
                if (first != null && (r == null || r.<Long>getAs("input_order").longValue() != first.<Long>getAs("input_order"))) {
                    json.writeValue(os, OpenAiBatchOutput.line(openAiRequest(first, choices), ref.model().name(), created));
                    os.write('\n');
                    choices = new ArrayList<>();
                    first = null;
                }
                if (r == null) {
                    break;
                }
                if (first == null) {
                    first = r;
                }
                choices.add(new OpenAiBatchOutput.Choice(r.getAs("completion"), r.getAs("finish_reason"), r.getAs("prompt_tokens"),
                        r.getAs("completion_tokens"), r.getAs("error")));
            }
            os.flush();
        });
    }

    /** The request of a group of rows: an OpenAI batch line's, or a plain row taken for one. */
    private static OpenAiBatchOutput.Request openAiRequest(Row first, List<OpenAiBatchOutput.Choice> choices) {
        boolean fromBatchFile = !first.isNullAt(first.fieldIndex("choice"));
        boolean duplicate = !first.isNullAt(first.fieldIndex("duplicate_of"));
        String url = fromBatchFile ? first.getAs("url")
                : first.<Boolean>getAs("chat") ? OpenAiRequests.CHAT : OpenAiRequests.COMPLETIONS;
        String inputError = duplicate ? choices.get(0).error() : first.getAs("input_error");
        return new OpenAiBatchOutput.Request(fromBatchFile ? first.getAs("custom_id") : first.getAs("id"), url,
                first.getAs("request_model"), first.getAs("source"), inputError, duplicate, choices);
    }

    /**
     * Broadcasts the model, runs the prompts ({@code total} rows if known, else -1), hash-partitioned
     * by id into {@code partitions} (0: as they are), through the engine partition by partition and writes the rows to Parquet at
     * {@code dir} (Spark's commit protocol keeps one attempt's file per partition); every finished
     * row is also journalled to the work directory as it finishes. Returns the tasks' profiles in
     * partition order.
     */
    private static List<TaskProfile> generate(SparkSession spark, JobOptions o, ModelRef ref, Dataset<Row> prompts,
                                              long total, int partitions, int batchSize, RowJournal.Spec journal, String dir,
                                              PrintStream progressOut) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelRef> model = jsc.broadcast(ref);
        CollectionAccumulator<TaskProfile> profiles = spark.sparkContext().collectionAccumulator("llamaspark.task-profiles");
        RowCounters counters = new RowCounters(spark.sparkContext());
        // Counting the prompts on their way into the shuffle gives the total without another pass.
        Dataset<Row> counted = prompts.mapPartitions((MapPartitionsFunction<Row, Row>) counters::read, Encoders.row(prompts.schema()));
        try (SparkProgress live = new SparkProgress(spark.sparkContext(), counters).total(total);
             ProgressPrinter printer = ProgressPrinter.start(o.progress, live::now, progressOut, false)) {
            (partitions > 0 ? counted.repartition(partitions, col("id")) : counted)
                    .mapPartitions(new PartitionGenerator(model, o.jobDefaults(), batchSize, o.engine.threads, profiles, counters, journal),
                            Encoders.row(JobSchemas.GENERATIONS))
                    .write().parquet(dir);
            live.complete();
        }
        List<TaskProfile> tasks = new ArrayList<>(profiles.value());
        tasks.sort((a, b) -> Integer.compare(a.partitionId(), b.partitionId()));
        return tasks;
    }

    /**
     * Completes DIR/generations, which holds this run's rows: adds the row an earlier attempt
     * finished for every other first occurrence of an id (a retried task may have journalled it
     * twice, identically), and an error row for every later occurrence.
     */
    private static void completeGenerations(SparkSession spark, ModelRef ref, InputCounts inputs, Dataset<Row> marked,
                                            Dataset<Row> earlier, String dir) {
        if (earlier != null) {
            Column[] columns = Arrays.stream(JobSchemas.GENERATIONS.fieldNames()).map(org.apache.spark.sql.functions::col)
                    .toArray(Column[]::new);
            earlier.join(marked.filter(col("duplicate_of").isNull()).select("id", "input_hash"), ID_AND_HASH, "left_semi")
                    .dropDuplicates("id").select(columns)
                    .write().mode(SaveMode.Append).parquet(dir);
        }
        if (inputs.duplicates() > 0) {
            marked.filter(col("duplicate_of").isNotNull()).map((MapFunction<Row, Row>) r -> {
                PromptRow p = JobSchemas.promptRow(r);
                String error = PromptFiles.duplicateMessage(p, r.getAs("duplicate_of"));
                return JobSchemas.generationRow(p, null, null, error, ref.model(), null, null);
            }, Encoders.row(JobSchemas.GENERATIONS)).write().mode(SaveMode.Append).parquet(dir);
        }
    }

    /**
     * The counts of the completed DIR/generations (its rows and error rows as {@code written} counted
     * them); a work directory that held other than one finished row per first occurrence is an error.
     */
    private static JobResult.RowCounts rowCounts(InputCounts inputs, GenerationFigures written, WorkDir work,
                                                 List<TaskProfile> tasks) {
        long total = written.rows(), failed = written.errorRows();
        long duplicateRows = inputs.duplicates();
        long expected = inputs.firsts();
        if (total - duplicateRows != expected) {
            throw new IllegalStateException("the work directory " + work.path() + " holds " + (total - duplicateRows)
                    + " finished rows for " + expected + " prompts");
        }
        long generated = tasks.stream().mapToLong(TaskProfile::rows).sum();
        return new JobResult.RowCounts(total, failed, expected - generated, generated, duplicateRows);
    }

    /** The first few errors, in input order as far as the files go, for the closing message. */
    private static List<String> firstErrors(SparkSession spark, String dir) {
        return spark.read().schema(JobSchemas.GENERATIONS).parquet(dir).filter(col("error").isNotNull()).select("error").limit(FIRST_ERRORS)
                .as(Encoders.STRING()).collectAsList();
    }

    static final int FIRST_ERRORS = 5;
    private static final scala.collection.immutable.Seq<String> ID_AND_HASH =
            CollectionConverters.asScala(List.of("id", "input_hash")).toSeq();

    /** The cluster's profile and the rows written to stage_timings and stage_summary. */
    private record Timings(StageProfile cluster, List<Row> rows, List<Row> summary) {
    }

    /** Writes stage_timings (per task) and stage_summary (the cluster); returns what it wrote. */
    private static Timings writeTimings(SparkSession spark, List<TaskProfile> tasks, JobOutput output) {
        StageProfile cluster = new StageProfile();
        List<Row> timings = new ArrayList<>();
        for (TaskProfile t : tasks) {
            cluster.merge(t.profile());
            for (Stage s : Stage.values()) {
                if (t.profile().calls(s) > 0) {
                    timings.add(new GenericRowWithSchema(new Object[] {t.executorId(), t.host(), t.partitionId(), s.label(),
                            s.parent() == null ? null : s.parent().label(), s.level(), t.profile().calls(s),
                            t.profile().totalNanos(s) / 1e6, t.profile().minNanos(s) / 1e6, t.profile().maxNanos(s) / 1e6},
                            JobSchemas.STAGE_TIMINGS));
                }
            }
        }
        spark.createDataFrame(timings, JobSchemas.STAGE_TIMINGS).coalesce(1).write().parquet(output.staged("stage_timings"));
        List<Row> summary = summaryRows(cluster);
        spark.createDataFrame(summary, JobSchemas.STAGE_SUMMARY).coalesce(1).write().parquet(output.staged("stage_summary"));
        return new Timings(cluster, timings, summary);
    }

    static List<Row> summaryRows(StageProfile p) {
        List<Row> rows = new ArrayList<>();
        double root = p.totalMillis(Stage.ROOT);
        for (Stage s : Stage.values()) {
            long calls = p.calls(s);
            if (calls > 0) {
                double total = p.totalMillis(s);
                rows.add(new GenericRowWithSchema(new Object[] {s.label(), s.parent() == null ? null : s.parent().label(),
                        s.level(), calls, total, total / calls, root > 0 ? 100.0 * total / root : 0.0}, JobSchemas.STAGE_SUMMARY));
            }
        }
        return rows;
    }
}
