package llamaspark.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import llamaspark.BadInputException;

/** SHA-256 of a file or a stream, streamed through a 1 MiB buffer (the file is never held whole). */
final class Sha256 {
    private Sha256() {
    }

    /** What a stream held: its length and digest. */
    record Digest(long size, String sha256) {
    }

    static String of(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return copy(in, null).sha256();
        } catch (NoSuchFileException e) {
            throw new BadInputException(file.toString(), "no such file");
        } catch (IOException e) {
            throw new BadInputException(file.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * A model directory (Hugging Face): its regular files in name order, digested as the lines
     * {@code "<sha256 of file>  <name>\n"}, so {@code (cd DIR && LC_ALL=C sha256sum * | sha256sum)}
     * gives the same digest; size = their total bytes. Subdirectories are not part of a model.
     */
    static Digest ofDirectory(Path dir) {
        StringBuilder lines = new StringBuilder();
        long size = 0;
        for (Path f : DirectoryFiles.list(dir)) {
            lines.append(of(f)).append("  ").append(f.getFileName()).append('\n');
            try {
                size += Files.size(f);
            } catch (IOException e) {
                throw new BadInputException(f.toString(), "cannot read: " + e.getMessage(), e);
            }
        }
        try {
            Digest d = copy(new java.io.ByteArrayInputStream(lines.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)), null);
            return new Digest(size, d.sha256());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads {@code in} to its end, writing it to {@code out} when not null, and digests it. */
    static Digest copy(InputStream in, OutputStream out) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        long size = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            md.update(buf, 0, n);
            if (out != null) {
                out.write(buf, 0, n);
            }
            size += n;
        }
        return new Digest(size, HexFormat.of().formatHex(md.digest()));
    }
}
