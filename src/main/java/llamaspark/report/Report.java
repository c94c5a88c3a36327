package llamaspark.report;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import llamaspark.BadInputException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/** Builds report.html from job outputs: one output's report, or several side by side. */
public final class Report {
    private Report() {
    }

    /** The file name of a job's own report, inside its output directory. */
    public static final String FILE = "report.html";
    /** Where a comparison goes when no --out is given: the current directory. */
    public static final String COMPARE_FILE = "report-compare.html";

    /** The report of one output, from its parts as the job holds them ({@link RunData#of}). */
    public static String html(RunData run) {
        return ReportPage.html(ReportPage.single(run));
    }

    /** The report of one output directory, or the comparison of several. */
    public static String html(SparkSession spark, List<String> dirs) {
        List<RunData> runs = new ArrayList<>();
        for (String d : dirs) {
            runs.add(RunData.read(spark, d));
        }
        return ReportPage.html(runs.size() == 1 ? ReportPage.single(runs.get(0)) : ReportPage.compare(runs));
    }

    /** Where {@link #write} puts the page when {@code out} is null. */
    public static String defaultOut(List<String> dirs) {
        return dirs.size() == 1 ? new Path(dirs.get(0), FILE).toString() : COMPARE_FILE;
    }

    /** Writes the report of {@code dirs} to {@code out} (null: {@link #defaultOut}); returns where. */
    public static String write(SparkSession spark, List<String> dirs, String out) {
        String html = html(spark, dirs);
        Path target = new Path(out != null ? out : defaultOut(dirs));
        try {
            FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
            try (OutputStream o = fs.create(target, true)) {
                o.write(html.getBytes(StandardCharsets.UTF_8));
            }
            return fs.makeQualified(target).toString();
        } catch (IOException e) {
            throw new BadInputException(target.toString(), "cannot write the report: " + e.getMessage(), e);
        }
    }
}
