package llamaspark.job;

/**
 * Starts, on a daemon thread while the driver's session starts, two things Spark does lazily on
 * the driver's critical path otherwise: Scala's runtime reflection (Spark's {@code ScalaReflection}
 * object, which the first encoder of a Row reaches: 0.4 s here) and loading Janino, whose jar is
 * signed, so class-data sharing cannot map it and its signature is checked when it is opened.
 * Both are done once per JVM and are thread-safe; a thread that needs one while it is being done
 * waits for it. Measured in README (issue 12, eighth pass).
 */
final class SparkWarmUp {
    private SparkWarmUp() {
    }

    static void start() {
        Thread t = new Thread(SparkWarmUp::run, "llamaspark-spark-warm-up");
        t.setDaemon(true);
        t.start();
    }

    private static void run() {
        org.apache.spark.sql.catalyst.ScalaReflection$.MODULE$.hashCode();
        try {
            Class.forName("org.codehaus.janino.ClassBodyEvaluator");
        } catch (ClassNotFoundException | LinkageError e) {
            // Spark without Janino on the class path: nothing to load ahead.
        }
    }
}
