package llamaspark.tokenizer;

import java.util.Arrays;

/**
 * Token-by-token text for streaming and stop strings: a token may end inside a multi-byte UTF-8
 * character (byte-level BPE and byte fallback both do this), so the incomplete tail is held back
 * until the bytes that complete it arrive. Not thread-safe: one per generated row.
 */
public final class StreamingDecoder {
    private final TextTokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;
    private int prevToken;

    public StreamingDecoder(TextTokenizer tokenizer, int prevToken) {
        this.tokenizer = tokenizer;
        this.prevToken = prevToken;
    }

    /** The text that {@code token} completes: "" while a character is still incomplete. */
    public String push(int token) {
        byte[] piece = tokenizer.piece(prevToken, token);
        prevToken = token;
        if (pendingLength + piece.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + piece.length));
        }
        System.arraycopy(piece, 0, pending, pendingLength, piece.length);
        pendingLength += piece.length;
        int complete = completePrefix(pending, pendingLength);
        if (complete == 0) {
            return "";
        }
        String text = BpeTokenizer.utf8(pending, 0, complete);
        System.arraycopy(pending, complete, pending, 0, pendingLength - complete);
        pendingLength -= complete;
        return text;
    }

    /** What is left at the end of the sequence (an incomplete character becomes U+FFFD). */
    public String flush() {
        String text = BpeTokenizer.utf8(pending, 0, pendingLength);
        pendingLength = 0;
        return text;
    }

    /**
     * Length of the prefix that does not end inside a character: only a lead byte in the last
     * three bytes whose sequence is not complete yet is held back (anything malformed goes out
     * and becomes U+FFFD, as the whole-sequence decode would make it).
     */
    static int completePrefix(byte[] b, int n) {
        for (int back = 1; back <= 3 && back <= n; back++) {
            int c = b[n - back] & 0xFF;
            if (c < 0x80) {
                return n;
            }
            if (c >= 0xC0) {
                int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
                return need > back && c < 0xF8 ? n - back : n;
            }
        }
        return n;
    }
}
