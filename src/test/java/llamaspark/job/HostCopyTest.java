package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import llamaspark.BadInputException;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-host copy of a Hadoop URI (a file: URI here), without Spark. */
class HostCopyTest {
    @TempDir
    Path dir;

    private static String sha256sum(Path file) throws Exception {
        Process p = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out.split("\\s+")[0];
    }

    private Path source(int size) throws Exception {
        byte[] data = new byte[size];
        new Random(7).nextBytes(data);
        Path src = Files.createDirectories(dir.resolve("remote")).resolve("model.gguf");
        Files.write(src, data);
        return src;
    }

    @Test
    void concurrentRequestsCopyOnceAndTheCopyIsTheFile() throws Exception {
        Path src = source(3_000_000);
        String sha = sha256sum(src);
        Path cache = dir.resolve("cache");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<HostCopy.Result>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            results.add(pool.submit(() -> HostCopy.ensure(new Configuration(), src.toUri().toString(), "model.gguf",
                    Files.size(src), sha, cache)));
        }
        List<HostCopy.Outcome> outcomes = new ArrayList<>();
        for (Future<HostCopy.Result> f : results) {
            outcomes.add(f.get().outcome());
            assertEquals(cache.resolve(sha).resolve("model.gguf"), f.get().path());
        }
        pool.shutdown();
        assertEquals(1, outcomes.stream().filter(o -> o == HostCopy.Outcome.COPIED).count(), outcomes.toString());
        assertEquals(3, outcomes.stream().filter(o -> o == HostCopy.Outcome.REUSED).count(), outcomes.toString());
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(cache.resolve(sha).resolve("model.gguf")));
        try (Stream<Path> s = Files.list(cache.resolve(sha))) {
            assertEquals(List.of("model.gguf"), s.map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        }
    }

    @Test
    void aTruncatedCopyIsReplacedAndAChangedSourceIsRefused() throws Exception {
        Path src = source(100_000);
        String sha = sha256sum(src);
        Path cache = dir.resolve("cache");
        String uri = src.toUri().toString();
        assertEquals(HostCopy.Outcome.COPIED, HostCopy.ensure(new Configuration(), uri, "model.gguf", 100_000, sha, cache).outcome());
        Path copy = cache.resolve(sha).resolve("model.gguf");
        Files.write(copy, java.util.Arrays.copyOf(Files.readAllBytes(src), 50_000));
        assertEquals(HostCopy.Outcome.REPLACED, HostCopy.ensure(new Configuration(), uri, "model.gguf", 100_000, sha, cache).outcome());
        assertEquals(sha, sha256sum(copy));

        // The source changed after the driver digested it: refused, and the cache keeps no part of it.
        Files.delete(copy);
        Files.write(src, new byte[100_000]);
        BadInputException e = assertThrows(BadInputException.class,
                () -> HostCopy.ensure(new Configuration(), uri, "model.gguf", 100_000, sha, cache));
        assertTrue(e.getMessage().startsWith(uri + ": the copy read on this host is 100000 bytes with SHA-256 "
                + sha256sum(src) + ", but the driver read 100000 bytes with SHA-256 " + sha), e.getMessage());
        try (Stream<Path> s = Files.list(cache.resolve(sha))) {
            assertEquals(List.of(), s.toList());
        }
    }
}
