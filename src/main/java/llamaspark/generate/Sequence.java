package llamaspark.generate;

import java.nio.charset.StandardCharsets;
import java.util.List;
import llamaspark.sampling.RunCRandom;

/**
 * The state of one row in a batch slot: its tokens (prompt then completion), how many have been
 * fed through the model, its random generator and the bytes of its completion so far (for stop
 * strings). Buffers are sized once for the model's seq_len and reused by every request that
 * takes the slot.
 */
final class Sequence {
    final int[] tokens;
    private final byte[] text;
    GenerationRequest request;
    RunCRandom rng;
    int promptLength;
    int length;
    /** Positions already run through the model (and in the KV cache). */
    int fed;
    int textLength;
    int stopAt = -1;
    long startNanos;
    private byte[][] stops = new byte[0][];

    Sequence(int seqLen, int maxPieceBytes) {
        tokens = new int[seqLen + 1];
        text = new byte[(seqLen + 1) * Math.max(1, maxPieceBytes)];
    }

    boolean busy() {
        return request != null;
    }

    void start(GenerationRequest r, int[] prompt, long now) {
        request = r;
        System.arraycopy(prompt, 0, tokens, 0, prompt.length);
        promptLength = prompt.length;
        length = prompt.length;
        fed = 0;
        textLength = 0;
        stopAt = -1;
        startNanos = now;
        rng = new RunCRandom(r.sampling().seed());
        List<String> s = r.stop();
        stops = new byte[s.size()][];
        for (int i = 0; i < stops.length; i++) {
            stops[i] = s.get(i).getBytes(StandardCharsets.UTF_8);
        }
    }

    void free() {
        request = null;
        rng = null;
    }

    int generated() {
        return length - promptLength;
    }

    int lastToken() {
        return tokens[length - 1];
    }

    void append(int token) {
        tokens[length++] = token;
    }

    /** Appends a piece of completion text; returns true when a stop string is now complete. */
    boolean appendText(byte[] piece) {
        System.arraycopy(piece, 0, text, textLength, piece.length);
        int before = textLength;
        textLength += piece.length;
        for (byte[] stop : stops) {
            if (stop.length == 0) {
                continue;
            }
            // Only a match that ends inside the new piece is new.
            int from = Math.max(0, before - stop.length + 1);
            for (int i = from; i + stop.length <= textLength; i++) {
                if (matches(stop, i) && (stopAt < 0 || i < stopAt)) {
                    stopAt = i;
                    break;
                }
            }
        }
        return stopAt >= 0;
    }

    private boolean matches(byte[] stop, int at) {
        for (int j = 0; j < stop.length; j++) {
            if (text[at + j] != stop[j]) {
                return false;
            }
        }
        return true;
    }

    /** The completion text, cut before a stop string if one matched. */
    String completionText() {
        int end = stopAt >= 0 ? stopAt : textLength;
        return new String(text, 0, end, StandardCharsets.UTF_8);
    }
}
