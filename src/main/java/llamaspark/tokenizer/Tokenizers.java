package llamaspark.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import llamaspark.BadInputException;

/** Opens any tokenizer file the project reads, telling the kinds apart by content. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * A Hugging Face {@code tokenizer.json} (or a directory holding one): {@link BpeTokenizer};
     * a llama2.c {@code tokenizer.bin} or the study's JSON: {@link Tokenizer}, with the vocabulary
     * size taken from the file itself (the .bin format does not record it, so its entries are counted).
     */
    public static TextTokenizer open(Path path) {
        if (Files.isDirectory(path)) {
            return HfTokenizerFiles.load(path);
        }
        byte[] head;
        try (var in = Files.newInputStream(path)) {
            head = in.readNBytes(64);
        } catch (NoSuchFileException e) {
            throw new BadInputException(path.toString(), "tokenizer file not found", e);
        } catch (IOException e) {
            throw new BadInputException(path.toString(), "cannot read tokenizer file (" + e + ")", e);
        }
        String start = new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).strip();
        if (start.startsWith("{") || start.startsWith("\uFEFF{") || start.startsWith("\u00EF\u00BB\u00BF{")) {
            JsonNode root = HfTokenizerFiles.read(path);
            if (root.has("model")) {
                return HfTokenizerFiles.load(path);
            }
            return Tokenizer.load(path, Math.max(3, root.path("tokens").size()));
        }
        return Tokenizer.load(path, countBinEntries(path));
    }

    /** Entries of a llama2.c tokenizer.bin: int32 max length, then (float32 score, int32 length, bytes)*. */
    private static int countBinEntries(Path path) {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new BadInputException(path.toString(), "cannot read tokenizer file (" + e + ")", e);
        }
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int n = 0;
        int at = 4;
        while (data.length - at >= 8) {
            int length = buf.getInt(at + 4);
            if (length < 0 || length > data.length - at - 8) {
                break;
            }
            at += 8 + length;
            n++;
        }
        // A defect (truncation, garbage) is then reported by the loader, which knows the layout.
        return Math.max(3, n);
    }
}
