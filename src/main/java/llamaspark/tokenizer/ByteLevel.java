package llamaspark.tokenizer;

/**
 * GPT-2's byte-to-unicode table: each byte gets a printable character (printable Latin-1 bytes
 * keep theirs, the rest take 256 + n in order), so byte-level vocabularies can be stored as text.
 */
final class ByteLevel {
    /** byte -> char. [256] */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** char -> byte, -1 where a char stands for no byte. [324] */
    static final int[] CHAR_TO_BYTE = new int[324];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The bytes a byte-level string stands for, or null if a char is outside the table. */
    static byte[] toBytes(String text) {
        byte[] out = new byte[text.length()];
        for (int i = 0; i < out.length; i++) {
            char c = text.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }

    static String fromBytes(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }
}
