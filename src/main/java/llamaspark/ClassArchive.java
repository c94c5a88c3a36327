package llamaspark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * jobs/llamaspark's class-data archive: the first run of a command after a build saves the classes
 * it loaded (-XX:ArchiveClassesAtExit=FILE, written as the JVM exits), and the next run keeps FILE
 * only if FILE.ok is there. A run that succeeded leaves it; one that stopped early (a bad option,
 * a missing file, a crash) loaded only a fraction of the classes, and every later run would map
 * only those and load the rest from the jars.
 */
public final class ClassArchive {
    private static final String SAVE = "-XX:ArchiveClassesAtExit=";

    private ClassArchive() {
    }

    /** Called with the exit status just before the JVM exits: marks this run's archive as one to keep when it is 0. */
    public static void runEnded(int status) {
        if (status != 0) {
            return;
        }
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith(SAVE)) {
                try {
                    Files.writeString(Path.of(arg.substring(SAVE.length()) + ".ok"), "");
                } catch (IOException | RuntimeException e) {
                    // Not kept, then: the next run saves the classes again.
                }
            }
        }
    }
}
