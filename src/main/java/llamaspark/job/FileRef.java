package llamaspark.job;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import llamaspark.BadInputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkFiles;

/**
 * A file the executors need (the model, the llama2.c tokenizer), as the driver found it: where it
 * is, its size and SHA-256, and how the executors get it ({@link ModelSource}). A Hugging Face
 * model directory is one such "file": its size is its files' total and its SHA-256 is
 * {@link Sha256#ofDirectory}; it is read in place (--model-from path).
 *
 * @param location the path or URI the user gave
 * @param resolved where executors look: for a path, the driver's absolute path (an executor's
 *                 working directory is not the driver's); for a URI, the URI
 * @param name     its file name (the name under SparkFiles and in the host cache)
 */
public record FileRef(String location, String resolved, String name, long size, String sha256, ModelSource source)
        implements Serializable {

    /** The local file an executor uses and how it got there: path, add-file, copied, reused copy, replaced copy. */
    record Fetched(Path path, String how) {
    }

    /** A file the driver reads in place (path, add-file). */
    static FileRef ofLocal(String location, Path local, ModelSource source) {
        if (Files.isDirectory(local)) {
            if (source != ModelSource.PATH) {
                throw new BadInputException(location, "is a model directory: --model-from " + source.cliName()
                        + " ships single files; give a directory every node sees (--model-from path)");
            }
            Sha256.Digest d = Sha256.ofDirectory(local);
            return new FileRef(location, local.toAbsolutePath().normalize().toString(), local.getFileName().toString(),
                    d.size(), d.sha256(), source);
        }
        try {
            return new FileRef(location, local.toAbsolutePath().normalize().toString(), local.getFileName().toString(),
                    Files.size(local), Sha256.of(local), source);
        } catch (IOException e) {
            throw new BadInputException(location, "cannot read: " + e.getMessage(), e);
        }
    }

    /** {@code location} as a local path: a plain path or a file: URI. */
    static Path localPath(String location, ModelSource source) {
        String scheme = ModelSource.scheme(location);
        if (scheme == null) {
            return Path.of(location);
        }
        if (scheme.equals("file")) {
            return Path.of(URI.create(location));
        }
        throw new BadInputException(location, "--model-from " + source.cliName() + " needs a local path; a "
                + scheme + ": URI is copied to each host (--model-from copy or auto)");
    }

    /** On an executor: the local file, fetched as {@link #source} says, checked against what the driver read. */
    Fetched fetch(Configuration conf, Path cacheRoot, String executor) {
        switch (source) {
            case COPY -> {
                HostCopy.Result r = HostCopy.ensure(conf, resolved, name, size, sha256, cacheRoot);
                return new Fetched(r.path(), switch (r.outcome()) {
                    case COPIED -> "copied";
                    case REUSED -> "reused copy";
                    case REPLACED -> "replaced copy";
                });
            }
            case ADD_FILE -> {
                return new Fetched(checkSize(Path.of(SparkFiles.get(name)), executor), "add-file");
            }
            default -> {
                return new Fetched(checkSize(Path.of(resolved), executor), "path");
            }
        }
    }

    /** A path in place is only trusted when it is there with the driver's size (hashing it on every executor would cost a read). */
    private Path checkSize(Path p, String executor) {
        long got;
        try {
            got = Files.isRegularFile(p) ? Files.size(p) : Files.isDirectory(p) ? DirectoryFiles.size(p) : -1;
        } catch (IOException e) {
            got = -1;
        }
        if (got != size) {
            throw new BadInputException(location, (got < 0 ? "not found" : "is " + got + " bytes, not the driver's " + size)
                    + " on executor " + executor + " (" + p + "): give a path every node sees, a URI to copy"
                    + " (hdfs://, s3a://, file://; --model-from copy) or --model-from add-file");
        }
        return p;
    }
}
