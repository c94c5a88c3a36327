package llamaspark.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import llamaspark.BadInputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The job's output directory, written so that it never looks complete unless it is: everything
 * goes to a hidden staging directory beside it (Spark's commit protocol within it), which is
 * renamed into place as the last step. With overwrite, the old directory is moved aside only
 * once the new one is complete, then deleted.
 */
final class JobOutput {
    private final FileSystem fs;
    private final Path dir;
    private final Path staging;
    private final boolean overwrite;

    /**
     * Checks, before anything is generated, that {@code dir} can be written: it does not exist
     * (unless overwrite), its parent exists (or is created, with {@code createParent}) and a file
     * can be created there (a read-only mount fails here, not after hours). Staging directories
     * that killed runs left beside it are removed.
     */
    JobOutput(Configuration hadoop, String dir, boolean overwrite, boolean createParent) {
        try {
            this.dir = new Path(dir);
            this.fs = this.dir.getFileSystem(hadoop);
            this.overwrite = overwrite;
            if (fs.exists(this.dir) && !overwrite) {
                throw new BadInputException(dir, "output directory exists; choose another --out or pass --overwrite");
            }
            Path parent = fs.makeQualified(this.dir).getParent();
            if (!fs.exists(parent)) {
                if (!createParent) {
                    throw new BadInputException(dir, "the parent directory " + parent + " does not exist");
                }
                fs.mkdirs(parent);
            }
            if (!fs.getFileStatus(parent).isDirectory()) {
                throw new BadInputException(dir, "the parent " + parent + " is not a directory");
            }
            probe(fs, parent, dir);
            String stale = "." + this.dir.getName() + ".staging-";
            for (FileStatus s : fs.listStatus(parent, p -> p.getName().startsWith(stale))) {
                fs.delete(s.getPath(), true);
            }
            this.staging = new Path(parent, stale + UUID.randomUUID());
        } catch (IOException e) {
            throw new BadInputException(dir, "cannot prepare output: " + e.getMessage(), e);
        }
    }

    /** Creates and deletes a hidden file in {@code parent}, or says in one line why it cannot. */
    static void probe(FileSystem fs, Path parent, String dir) {
        Path p = new Path(parent, ".llamaspark-probe-" + UUID.randomUUID());
        try {
            fs.create(p, false).close();
            fs.delete(p, false);
        } catch (IOException e) {
            throw new BadInputException(dir, "cannot write in " + parent + ": " + firstLine(e.getMessage()));
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    /** Where a part of the output is written before the commit. */
    String staged(String child) {
        return new Path(staging, child).toString();
    }

    void writeText(String child, String text) throws IOException {
        try (OutputStream out = fs.create(new Path(staging, child), false)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Writes a part of the output through {@code out}. */
    @FunctionalInterface
    interface StreamWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Writes {@code child} under a hidden temporary name, then renames it: whole or absent. */
    void writeAtomically(String child, StreamWriter writer) throws IOException {
        Path tmp = new Path(staging, "." + child + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            writer.write(out);
        }
        if (!fs.rename(tmp, new Path(staging, child))) {
            throw new IOException("cannot rename " + tmp + " to " + child);
        }
    }

    /** Moves the staged output into place. */
    void commit() throws IOException {
        Path old = null;
        if (fs.exists(dir)) {
            if (!overwrite) {
                throw new IOException(dir + " appeared while the job ran; the result is left in " + staging);
            }
            old = new Path(staging.getParent(), "." + dir.getName() + ".replaced-" + UUID.randomUUID());
            if (!fs.rename(dir, old)) {
                throw new IOException("cannot move " + dir + " aside; the result is left in " + staging);
            }
        }
        if (!fs.rename(staging, dir)) {
            throw new IOException("cannot rename " + staging + " to " + dir);
        }
        if (old != null) {
            fs.delete(old, true);
        }
    }

    /** Removes the staging directory after a failure; the target directory is untouched. */
    void abort() {
        try {
            fs.delete(staging, true);
        } catch (IOException ignored) {
            // best effort: a leftover hidden staging directory never looks like a result
        }
    }

    String path() {
        return fs.makeQualified(dir).toString();
    }
}
