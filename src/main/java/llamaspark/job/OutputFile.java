package llamaspark.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import llamaspark.BadInputException;

/** The checks of a local output file before anything is generated, in the job's words ({@link JobOutput}). */
public final class OutputFile {
    private OutputFile() {
    }

    /** {@code out} may be written: it does not exist (unless overwrite), its parent is a directory we can write in. */
    public static void check(Path out, boolean overwrite) {
        if (Files.exists(out) && !overwrite) {
            throw new BadInputException(out.toString(), "output file exists; choose another --out or pass --overwrite");
        }
        if (Files.isDirectory(out)) {
            throw new BadInputException(out.toString(), "is a directory; --out names a file");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (!Files.exists(parent)) {
            throw new BadInputException(out.toString(), "the parent directory " + parent + " does not exist");
        }
        if (!Files.isDirectory(parent)) {
            throw new BadInputException(out.toString(), "the parent " + parent + " is not a directory");
        }
        try {
            Path probe = Files.createTempFile(parent, ".llamaspark-probe-", "");
            Files.delete(probe);
        } catch (IOException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : e.getMessage();
            throw new BadInputException(out.toString(), "cannot write in " + parent + ": " + why);
        }
    }
}
