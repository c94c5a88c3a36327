package llamaspark.generate;

import java.io.ByteArrayOutputStream;
import llamaspark.tokenizer.TextTokenizer;
import llamaspark.tokenizer.Tokenizer;

/**
 * The bytes llama2.c's {@code run} prints for a sequence: each token after the first decoded
 * against its predecessor, single unprintable bytes dropped (its safe_printf), the output ended
 * at a sampled BOS, then a newline.
 */
public final class RunCText {
    private RunCText() {
    }

    /** @param promptEcho how many prompt tokens run.c walked through (all of them unless -n is shorter) */
    public static byte[] of(TextTokenizer tokenizer, int[] prompt, int promptEcho, int[] completion) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = prompt[0];
        for (int k = 1; k < promptEcho; k++) {
            prev = print(out, tokenizer, prev, prompt[k]);
        }
        for (int token : completion) {
            if (token == tokenizer.bosId()) {
                break;
            }
            prev = print(out, tokenizer, prev, token);
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * safe_printf's filter applies to llama2.c's vocabulary, whose single-byte pieces are whole
     * characters; a byte-level BPE piece may be one byte of a multi-byte character, so all are kept.
     */
    private static int print(ByteArrayOutputStream out, TextTokenizer tokenizer, int prev, int token) {
        byte[] piece = tokenizer.piece(prev, token);
        if (!(tokenizer instanceof Tokenizer) || Tokenizer.isPrintable(piece)) {
            out.writeBytes(piece);
        }
        return token;
    }
}
