package llamaspark.job;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What Spark itself costs a job here, with no model in it: start a session as the job does, read
 * the prompt files as lines and count them (the first Spark job), write those lines as Parquet
 * (the first write), stop. The job's own time over {@code batch} is set beside it by
 * {@code jobs/job-vs-batch}: the part of a job's overhead no change to llamaspark can remove.
 *
 * <pre>jobs/llamaspark spark-floor [--master URL] --prompts P --out DIR</pre>
 */
@Command(name = "spark-floor", mixinStandardHelpOptions = true,
        description = "Times Spark's own fixed costs: session start, a first job reading the prompts, a first Parquet write.")
public final class SparkFloor implements Callable<Integer> {
    @Option(names = "--prompts", required = true, split = ",", description = "prompt files or directories, read as lines")
    String[] prompts;

    @Option(names = "--out", required = true, description = "a new directory the lines are written to as Parquet")
    String out;

    private final PrintStream report;

    SparkFloor(PrintStream report) {
        this.report = report;
    }

    public static void main(String[] args) {
        int status = new CommandLine(new SparkFloor(System.out)).execute(args);
        llamaspark.ClassArchive.runEnded(status);
        System.exit(status);
    }

    /** Session, read and count, write, each timed; prints one line and returns 0 (2: a prompt path is missing, or --out exists). */
    @Override
    public Integer call() throws java.io.IOException {
        DriverPhases phases = new DriverPhases();
        SparkSession spark = GenerateJob.session("llamaspark-spark-floor"); // the job's own session start
        try {
            phases.lap("session");
            org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
            for (String p : prompts) {
                org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(p);
                if (!path.getFileSystem(conf).exists(path)) {
                    System.err.println("llamaspark spark-floor: " + p + ": no such file or directory");
                    return 2;
                }
            }
            org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(out);
            if (dir.getFileSystem(conf).exists(dir)) {
                System.err.println("llamaspark spark-floor: " + out + " exists; give a directory that does not");
                return 2;
            }
            org.apache.spark.sql.Dataset<String> lines = spark.read().textFile(prompts);
            long count = lines.count();
            phases.lap("read and count");
            lines.write().mode(SaveMode.ErrorIfExists).parquet(out);
            phases.lap("write");
            report.println(line(count, phases));
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** "spark floor: N lines; session S s, read and count R s, write W s; JVM start to end T s". */
    static String line(long count, DriverPhases phases) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "spark floor: %d lines;", count));
        String sep = " ";
        for (var e : phases.seconds().entrySet()) {
            b.append(String.format(Locale.ROOT, "%s%s %.2f s", sep, e.getKey(), e.getValue()));
            sep = ", ";
        }
        double uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
        return b.append(String.format(Locale.ROOT, "; JVM start to end %.2f s", uptime)).toString();
    }
}
