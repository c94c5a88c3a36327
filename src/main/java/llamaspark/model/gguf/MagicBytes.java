package llamaspark.model.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The first four bytes of a file, to tell model formats apart by content. */
public final class MagicBytes {
    private MagicBytes() {
    }

    /** The first 4 bytes as a little-endian int, or 0 if the file is shorter or unreadable. */
    public static int read(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // until four bytes or the end
            }
            return b.hasRemaining() ? 0 : b.getInt(0);
        } catch (IOException e) {
            return 0;
        }
    }

    /** The magic as printable text when it is, else hex: "GGUF", or "0x00000000". */
    static String describe(int magic) {
        StringBuilder s = new StringBuilder("\"");
        for (int i = 0; i < 4; i++) {
            int c = (magic >>> (8 * i)) & 0xFF;
            if (c < 0x20 || c > 0x7E) {
                return String.format("0x%02X%02X%02X%02X", magic & 0xFF, (magic >>> 8) & 0xFF,
                        (magic >>> 16) & 0xFF, (magic >>> 24) & 0xFF);
            }
            s.append((char) c);
        }
        return s.append('"').toString();
    }
}
