package llamaspark.model.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Reading the kernel's huge-page mode and this process's huge-page memory, and that the tests' JVM has them. */
public class HugePagesTest {
    /** Whether this machine's kernel gives huge pages to a JVM that asks (mode madvise or always). */
    public static boolean kernelAllowsThem() throws java.io.IOException {
        Path mode = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        if (!Files.isReadable(mode)) {
            return false;
        }
        String m = HugePages.mode(Files.readString(mode));
        return "madvise".equals(m) || "always".equals(m);
    }

    @Test
    void theSelectedModeIsTheBracketedWord() {
        assertEquals("madvise", HugePages.mode("always [madvise] never\n"));
        assertEquals("always", HugePages.mode("[always] madvise never\n"));
        assertEquals("never", HugePages.mode("always madvise [never]\n"));
        assertNull(HugePages.mode("always madvise never\n"));
    }

    @Test
    void anonymousHugePagesAreReadInBytes() {
        String rollup = """
                00400000-7ffd1c9e5000 ---p 00000000 00:00 0                              [rollup]
                Rss:              273900 kB
                Anonymous:        250000 kB
                AnonHugePages:    196608 kB
                ShmemPmdMapped:        0 kB
                """;
        assertEquals(196608L * 1024, HugePages.anonHugeBytes(rollup));
        assertEquals(-1, HugePages.anonHugeBytes("Rss: 1 kB\n"));
    }

    /** The pom starts the tests' JVMs as jobs/llamaspark starts its own: with huge pages for the heap. */
    @Test
    void thisJvmHasItsHeapOnHugePagesWhereTheKernelAllowsThem() throws Exception {
        assumeTrue(kernelAllowsThem(), "a Linux kernel that gives huge pages when asked");
        assertTrue(HugePages.jvmFlag(), "-XX:+UseTransparentHugePages");
        float[] big = new float[64 << 20 >> 2]; // 64 MB of heap, touched
        for (int i = 0; i < big.length; i += 1024) {
            big[i] = i;
        }
        String line = HugePages.describe();
        assertTrue(HugePages.processBytes() > 0, line);
        assertTrue(big[1024] == 1024f && line.matches("pages: [1-9][0-9]* MB of this JVM's memory on transparent huge pages .*"), line);
    }
}
