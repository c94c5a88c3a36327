package llamaspark.model.kernel;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether this JVM's memory sits on Linux transparent huge pages. The decode step streams every
 * weight and the KV cache; on 4 KB pages each 4 KB costs a TLB miss, and on this project's
 * machines a B=32 step took 1.2-3.8x as long for it (README, issue 12's seventh pass). The kernel gives
 * the heap huge pages when its mode is {@code always}, or {@code madvise} with the JVM started
 * with {@code -XX:+UseTransparentHugePages} (jobs/llamaspark does).
 */
public final class HugePages {
    private static final Path MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
    private static final Path SMAPS = Path.of("/proc/self/smaps_rollup");
    private static final Pattern SELECTED = Pattern.compile("\\[(\\w+)]");
    private static final Pattern ANON_HUGE = Pattern.compile("(?m)^AnonHugePages:\\s+(\\d+) kB$");

    private HugePages() {
    }

    /** The kernel's mode, the bracketed word of {@code always [madvise] never}; null where there is none. */
    static String mode(String enabledFile) {
        Matcher m = SELECTED.matcher(enabledFile);
        return m.find() ? m.group(1) : null;
    }

    /** Bytes of anonymous memory on huge pages in a {@code smaps_rollup} text; -1 if it has no such line. */
    static long anonHugeBytes(String smapsRollup) {
        Matcher m = ANON_HUGE.matcher(smapsRollup);
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    /** Whether the JVM was started with -XX:+UseTransparentHugePages (false where HotSpot has no such flag). */
    static boolean jvmFlag() {
        try {
            return Boolean.parseBoolean(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("UseTransparentHugePages").getValue());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Bytes of this process's anonymous memory on huge pages now; -1 where the system does not say. */
    public static long processBytes() {
        String smaps = read(SMAPS);
        return smaps == null ? -1 : anonHugeBytes(smaps);
    }

    /**
     * One line for {@code bench}: how much of this process is on huge pages now, the kernel's mode
     * and the JVM flag; call it once the large arrays are in use.
     */
    public static String describe() {
        String enabled = read(MODE);
        String mode = enabled == null ? null : mode(enabled);
        long huge = processBytes();
        String flag = "-XX:" + (jvmFlag() ? "+" : "-") + "UseTransparentHugePages";
        if (mode == null || huge < 0) {
            return "pages: no transparent huge pages on this system (" + flag + ")";
        }
        String amount = String.format(java.util.Locale.ROOT, "%.0f MB of this JVM's memory on transparent huge pages", huge / 1048576.0);
        String hint = huge > 0 ? "" : "; 4 KB pages slow the weight and KV reads (README: Engine semantics)";
        return "pages: " + amount + " (kernel mode " + mode + ", " + flag + hint + ")";
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
