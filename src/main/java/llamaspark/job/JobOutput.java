package llamaspark.job;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import llamaspark.BadInputException;
import org.apache.hadoop.conf.Configuration;
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

    JobOutput(Configuration hadoop, String dir, boolean overwrite) {
        try {
            this.dir = new Path(dir);
            this.fs = this.dir.getFileSystem(hadoop);
            this.overwrite = overwrite;
            if (fs.exists(this.dir) && !overwrite) {
                throw new BadInputException(dir, "output directory exists; choose another --out or pass --overwrite");
            }
            Path parent = fs.makeQualified(this.dir).getParent();
            fs.mkdirs(parent);
            this.staging = new Path(parent, "." + this.dir.getName() + ".staging-" + UUID.randomUUID());
        } catch (IOException e) {
            throw new BadInputException(dir, "cannot prepare output: " + e.getMessage(), e);
        }
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
