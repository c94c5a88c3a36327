package llamaspark.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import llamaspark.BadInputException;

/**
 * Reads the two tokenizer file formats. Every defect is reported as a {@link BadInputException}
 * naming the file and saying what was expected, because a wrong tokenizer otherwise shows up only
 * as garbage text far downstream.
 */
final class TokenizerFiles {
    /** Strict: a duplicated key or trailing garbage means the file is not what we think it is. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private TokenizerFiles() {}

    static Tokenizer read(Path path, int expectedVocabSize) {
        if (expectedVocabSize <= Tokenizer.EOS) {
            throw new IllegalArgumentException("the model's vocab_size must be at least 3, got " + expectedVocabSize);
        }
        String source = path.toString();
        byte[] data;
        try {
            long size = Files.size(path);
            if (size > Integer.MAX_VALUE - 16) {
                throw new BadInputException(source, "tokenizer file is " + size + " bytes, too large to be a tokenizer");
            }
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new BadInputException(source, "tokenizer file not found", e);
        } catch (IOException e) {
            throw new BadInputException(source, "cannot read tokenizer file (" + e + ")", e);
        }
        return looksLikeJson(data)
                ? readJson(source, data, expectedVocabSize)
                : readBin(source, data, expectedVocabSize);
    }

    private static boolean looksLikeJson(byte[] data) {
        int i = 0;
        if (data.length >= 3 && (data[0] & 0xFF) == 0xEF && (data[1] & 0xFF) == 0xBB && (data[2] & 0xFF) == 0xBF) {
            i = 3; // UTF-8 byte order mark
        }
        while (i < data.length && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')) {
            i++;
        }
        return i < data.length && data[i] == '{';
    }

    /**
     * llama2.c layout, little-endian: int32 max_token_length, then per token float32 score,
     * int32 length and the piece bytes. Nothing marks the end, so a file with more tokens than the
     * model only shows as bytes left over.
     */
    private static Tokenizer readBin(String source, byte[] data, int vocabSize) {
        ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length < 4) {
            throw new BadInputException(source, "truncated: the max_token_length header needs 4 bytes but the file has "
                    + data.length);
        }
        int maxTokenLength = buf.getInt(0);
        if (maxTokenLength < 0) {
            throw new BadInputException(source, "max_token_length in the header is " + maxTokenLength
                    + ", expected a non-negative length");
        }
        byte[][] pieces = new byte[vocabSize][];
        float[] scores = new float[vocabSize];
        int off = 4;
        for (int i = 0; i < vocabSize; i++) {
            int left = data.length - off;
            if (left == 0) {
                throw new BadInputException(source, "tokenizer has " + i + " tokens but the model's vocab_size is "
                        + vocabSize + " (the file ends cleanly after token " + (i - 1) + ", at byte " + off + ")");
            }
            if (left < 8) {
                throw new BadInputException(source, "truncated at token " + i + " of " + vocabSize
                        + ": its score and length need 8 bytes but only " + left + " are left at byte offset " + off);
            }
            float score = buf.getFloat(off);
            int length = buf.getInt(off + 4);
            if (length < 0) {
                throw new BadInputException(source, "token " + i + " has length " + length
                        + " (at byte offset " + (off + 4) + "), expected a non-negative length");
            }
            off += 8;
            left -= 8;
            if (length > left) {
                throw new BadInputException(source, "truncated at token " + i + " of " + vocabSize
                        + ": its piece needs " + length + " bytes but only " + left + " are left at byte offset " + off);
            }
            if (length > maxTokenLength) {
                throw new BadInputException(source, "token " + i + " is " + length
                        + " bytes long but the header's max_token_length is " + maxTokenLength);
            }
            pieces[i] = Arrays.copyOfRange(data, off, off + length);
            scores[i] = score;
            off += length;
        }
        if (off < data.length) {
            throw new BadInputException(source, describeExtraEntries(buf, off, vocabSize));
        }
        return new Tokenizer(pieces, scores, maxTokenLength);
    }

    /** Counts the entries in the leftover bytes, to tell "more tokens" apart from plain garbage. */
    private static String describeExtraEntries(ByteBuffer buf, int end, int vocabSize) {
        int size = buf.limit();
        int extra = 0;
        int p = end;
        while (size - p >= 8) {
            int length = buf.getInt(p + 4);
            if (length < 0 || length > size - p - 8) {
                break;
            }
            p += 8 + length;
            extra++;
        }
        String bytes = "the " + vocabSize + " entries end at byte " + end + " but the file has " + size
                + " bytes (" + (size - end) + " left over)";
        if (p == size) {
            return "tokenizer has " + (vocabSize + extra) + " tokens but the model's vocab_size is " + vocabSize
                    + ": " + bytes;
        }
        return "tokenizer has more than " + vocabSize + " tokens (or trailing garbage) but the model's vocab_size is "
                + vocabSize + ": " + bytes;
    }

    /** The NumPy study's {@code {"tokens": [...], "scores": [...]}}; same pieces as the .bin file. */
    private static Tokenizer readJson(String source, byte[] data, int vocabSize) {
        JsonNode root;
        try {
            root = JSON.readTree(data);
        } catch (JacksonException e) {
            throw new BadInputException(source, "not valid JSON: " + describe(e), e);
        } catch (IOException e) {
            throw new BadInputException(source, "not valid JSON (" + e + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new BadInputException(source, "expected a JSON object {\"tokens\": [...], \"scores\": [...]}");
        }
        JsonNode tokens = requireArray(source, root, "tokens", "strings");
        JsonNode scores = requireArray(source, root, "scores", "numbers");
        if (tokens.size() != scores.size()) {
            throw new BadInputException(source, "\"tokens\" has " + tokens.size() + " entries but \"scores\" has "
                    + scores.size() + ", expected one score per token");
        }
        if (tokens.size() != vocabSize) {
            throw new BadInputException(source, "tokenizer has " + tokens.size()
                    + " tokens but the model's vocab_size is " + vocabSize);
        }
        byte[][] pieces = new byte[vocabSize][];
        float[] scoreValues = new float[vocabSize];
        int longest = 0;
        for (int i = 0; i < vocabSize; i++) {
            JsonNode token = tokens.get(i);
            if (!token.isTextual()) {
                throw new BadInputException(source, "tokens[" + i + "] is " + kind(token) + ", expected a string");
            }
            JsonNode score = scores.get(i);
            if (!score.isNumber()) {
                throw new BadInputException(source, "scores[" + i + "] is " + kind(score) + ", expected a number");
            }
            pieces[i] = token.textValue().getBytes(StandardCharsets.UTF_8);
            scoreValues[i] = score.floatValue();
            longest = Math.max(longest, pieces[i].length);
        }
        return new Tokenizer(pieces, scoreValues, longest);
    }

    private static JsonNode requireArray(String source, JsonNode root, String field, String elements) {
        JsonNode node = root.get(field);
        if (node == null) {
            throw new BadInputException(source, "missing \"" + field + "\", expected an array of " + elements);
        }
        if (!node.isArray()) {
            throw new BadInputException(source, "\"" + field + "\" is " + kind(node) + ", expected an array of "
                    + elements);
        }
        return node;
    }

    private static String kind(JsonNode node) {
        return "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    private static String describe(JacksonException e) {
        String message = e.getOriginalMessage();
        int newline = message == null ? -1 : message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        JsonLocation at = e.getLocation();
        return at == null ? String.valueOf(message)
                : message + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
