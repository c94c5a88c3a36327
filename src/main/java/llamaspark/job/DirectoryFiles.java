package llamaspark.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import llamaspark.BadInputException;

/** The regular files of a model directory, in name order (what is digested and size-checked). */
final class DirectoryFiles {
    private DirectoryFiles() {
    }

    static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted((a, b) -> a.getFileName().toString()
                    .compareTo(b.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new BadInputException(dir.toString(), "cannot list the model directory: " + e.getMessage(), e);
        }
    }

    /** Total bytes of {@link #list}, or -1 when {@code dir} is not a readable directory. */
    static long size(Path dir) {
        if (!Files.isDirectory(dir)) {
            return -1;
        }
        long total = 0;
        try {
            for (Path f : list(dir)) {
                total += Files.size(f);
            }
        } catch (IOException | BadInputException e) {
            return -1;
        }
        return total;
    }
}
