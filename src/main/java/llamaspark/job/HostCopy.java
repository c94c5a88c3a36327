package llamaspark.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import llamaspark.BadInputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * One local copy per host of a file on a Hadoop file system, in a cache directory shared by every
 * JVM of the host: {@code <root>/<sha256>/<name>}. Concurrent JVMs (executors of one host) take a
 * file lock on {@code <root>/<sha256>.lock}, threads of one JVM a monitor, so the file is copied
 * once: to a temporary file, checked (size and SHA-256 against what the driver read), then renamed
 * into place atomically. A copy already there is used after the same check; one that fails it
 * (truncated, corrupted) is replaced. Counters say what this JVM did, for run.json.
 */
final class HostCopy {
    /** What {@link #ensure} did. */
    enum Outcome { COPIED, REUSED, REPLACED }

    record Result(Path path, Outcome outcome) {
    }

    private static final ConcurrentHashMap<String, Object> MONITORS = new ConcurrentHashMap<>();
    static final AtomicInteger COPIED = new AtomicInteger();
    static final AtomicInteger REUSED = new AtomicInteger();
    static final AtomicInteger REPLACED = new AtomicInteger();

    private HostCopy() {
    }

    /** The local copy of {@code uri}, which must be {@code size} bytes with SHA-256 {@code sha256}. */
    static Result ensure(Configuration conf, String uri, String name, long size, String sha256, Path root) {
        synchronized (MONITORS.computeIfAbsent(sha256, k -> new Object())) {
            try {
                Files.createDirectories(root);
                try (FileChannel lockFile = FileChannel.open(root.resolve(sha256 + ".lock"),
                        StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock lock = lockFile.lock()) {
                    return ensureLocked(conf, uri, name, size, sha256, root);
                }
            } catch (IOException e) {
                throw new BadInputException(uri, "cannot copy into the model cache " + root + ": " + e.getMessage(), e);
            }
        }
    }

    private static Result ensureLocked(Configuration conf, String uri, String name, long size, String sha256, Path root)
            throws IOException {
        Path dir = root.resolve(sha256);
        Path target = dir.resolve(name);
        boolean replacing = false;
        if (Files.exists(target)) {
            if (Files.size(target) == size && Sha256.of(target).equals(sha256)) {
                REUSED.incrementAndGet();
                return new Result(target, Outcome.REUSED);
            }
            replacing = true; // a copy that is not the file: an interrupted writer or a damaged disk
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + name + ".", ".tmp");
        try {
            org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(uri);
            Sha256.Digest got;
            try (InputStream in = source.getFileSystem(conf).open(source);
                 OutputStream out = Files.newOutputStream(tmp)) {
                got = Sha256.copy(in, out);
            }
            if (got.size() != size || !got.sha256().equals(sha256)) {
                throw new BadInputException(uri, "the copy read on this host is " + got.size() + " bytes with SHA-256 "
                        + got.sha256() + ", but the driver read " + size + " bytes with SHA-256 " + sha256
                        + ": the file changed during the job");
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        (replacing ? REPLACED : COPIED).incrementAndGet();
        return new Result(target, replacing ? Outcome.REPLACED : Outcome.COPIED);
    }

    /** Length and SHA-256 of {@code uri}, streamed from its file system; "no such model file" when absent. */
    static Sha256.Digest digest(Configuration conf, String uri, String what) {
        org.apache.hadoop.fs.Path source = new org.apache.hadoop.fs.Path(uri);
        try {
            FileSystem fs = source.getFileSystem(conf);
            if (fs.exists(source) && fs.getFileStatus(source).isDirectory()) {
                throw new BadInputException(uri, "is a directory: --model-from copy copies single files; give a Hugging"
                        + " Face model directory as a path every node sees (--model-from path)");
            }
            if (!fs.exists(source) || !fs.getFileStatus(source).isFile()) {
                throw new BadInputException(uri, "no such " + what + " file");
            }
            try (InputStream in = fs.open(source)) {
                return Sha256.copy(in, null);
            }
        } catch (IOException e) {
            throw new BadInputException(uri, "cannot read: " + e.getMessage(), e);
        }
    }
}
