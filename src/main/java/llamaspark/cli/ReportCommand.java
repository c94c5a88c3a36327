package llamaspark.cli;

import java.util.List;
import java.util.concurrent.Callable;
import llamaspark.report.Report;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Rebuilds report.html from job outputs (Parquet + run.json), or compares several outputs stage by stage. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Build the HTML report of a job output from its Parquet tables and run.json alone.",
            "One DIR: DIR/report.html (rewritten). Several: one page comparing them stage by stage, "
                + "written to --out or ./" + Report.COMPARE_FILE + "."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "DIR", description = "job output directories (any Hadoop path)")
    List<String> dirs;
    @Option(names = "--out", paramLabel = "FILE", description = "where to write the page (default: DIR/report.html for one DIR, ./"
            + Report.COMPARE_FILE + " for several)")
    String out;

    @Override
    public Integer call() {
        // A session already running in this JVM (an embedding program) is used and left running.
        boolean own = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = SparkSession.builder().appName("llamaspark-report").master("local[*]")
                .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false").getOrCreate();
        try {
            System.out.println("report: " + Report.write(spark, dirs, out));
            return 0;
        } finally {
            if (own) {
                spark.stop();
            }
        }
    }
}
