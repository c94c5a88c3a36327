package llamaspark.tokenizer;

/**
 * Llama 3's pre-tokenizer regex ({@link BpeTokenizer#LLAMA3_PATTERN}, compiled with
 * UNICODE_CHARACTER_CLASS) as a hand-written scanner: the same pieces as java.util.regex gives
 * (the test checks it on random text), several times faster, with no allocation.
 *
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N}{1,3} | ' '?[^\s\p{L}\p{N}]+[\r\n]*
 *   | \s*[\r\n]+ | \s+(?!\S) | \s+
 * </pre>
 */
final class Llama3Splitter {
    private Llama3Splitter() {}

    /** End of the piece that starts at {@code i} (< {@code end}); the alternatives in the regex's order. */
    static int next(CharSequence s, int i, int end) {
        int c = cp(s, i, end);
        int n = i + Character.charCount(c);
        // (?i:'s|'t|'re|'ve|'m|'ll|'d); Unicode case folding also maps U+017F (long s) to s.
        if (c == '\'' && n < end) {
            char a = s.charAt(n);
            char la = Character.toLowerCase(a);
            if (la == 's' || la == 't' || la == 'm' || la == 'd' || a == '\u017F') {
                return n + 1;
            }
            if (n + 1 < end) {
                char lb = Character.toLowerCase(s.charAt(n + 1));
                if ((la == 'r' && lb == 'e') || (la == 'v' && lb == 'e') || (la == 'l' && lb == 'l')) {
                    return n + 2;
                }
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (isLetter(c)) {
            return letters(s, n, end);
        }
        if (c != '\r' && c != '\n' && !isNumber(c) && n < end && isLetter(cp(s, n, end))) {
            return letters(s, n, end);
        }
        // \p{N}{1,3}
        if (isNumber(c)) {
            int j = n;
            for (int k = 1; k < 3 && j < end; k++) {
                int d = cp(s, j, end);
                if (!isNumber(d)) {
                    break;
                }
                j += Character.charCount(d);
            }
            return j;
        }
        // ' '?[^\s\p{L}\p{N}]+[\r\n]*
        int j = -1;
        if (isOther(c)) {
            j = n;
        } else if (c == ' ' && n < end && isOther(cp(s, n, end))) {
            j = n + Character.charCount(cp(s, n, end));
        }
        if (j >= 0) {
            while (j < end) {
                int d = cp(s, j, end);
                if (!isOther(d)) {
                    break;
                }
                j += Character.charCount(d);
            }
            while (j < end && (s.charAt(j) == '\r' || s.charAt(j) == '\n')) {
                j++;
            }
            return j;
        }
        // c is whitespace here. Its run is [i, e).
        int e = n;
        int lastNewline = (c == '\r' || c == '\n') ? i : -1;
        while (e < end) {
            int d = cp(s, e, end);
            if (!isWhiteSpace(d)) {
                break;
            }
            if (d == '\r' || d == '\n') {
                lastNewline = e;
            }
            e += Character.charCount(d);
        }
        // \s*[\r\n]+: up to and including the run's last \r or \n.
        if (lastNewline >= 0) {
            return lastNewline + 1;
        }
        // \s+(?!\S): all of it at the end of the text, else all but its last char (if that leaves one).
        if (e == end) {
            return e;
        }
        int last = e - 1; // whitespace is all in the BMP
        return last > i ? last : e; // otherwise \s+
    }

    /** The code point at {@code i}, a surrogate pair only if both halves lie before {@code end} (as the regex's region). */
    private static int cp(CharSequence s, int i, int end) {
        char h = s.charAt(i);
        if (Character.isHighSurrogate(h) && i + 1 < end) {
            char l = s.charAt(i + 1);
            if (Character.isLowSurrogate(l)) {
                return Character.toCodePoint(h, l);
            }
        }
        return h;
    }

    private static int letters(CharSequence s, int j, int end) {
        while (j < end) {
            int d = cp(s, j, end);
            if (!isLetter(d)) {
                break;
            }
            j += Character.charCount(d);
        }
        return j;
    }

    /** \p{L}. */
    static boolean isLetter(int c) {
        return Character.isLetter(c);
    }

    /** \p{N}: Nd, Nl, No. */
    static boolean isNumber(int c) {
        if (c < 0x80) {
            return c >= '0' && c <= '9';
        }
        int t = Character.getType(c);
        return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
    }

    /** \s under UNICODE_CHARACTER_CLASS: the White_Space property. */
    static boolean isWhiteSpace(int c) {
        if (c < 0x80) {
            return c == ' ' || (c >= 0x9 && c <= 0xD);
        }
        if (c == 0x85) {
            return true;
        }
        int t = Character.getType(c);
        return t == Character.SPACE_SEPARATOR || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR;
    }

    /** [^\s\p{L}\p{N}]. */
    static boolean isOther(int c) {
        return !isWhiteSpace(c) && !isLetter(c) && !isNumber(c);
    }
}
