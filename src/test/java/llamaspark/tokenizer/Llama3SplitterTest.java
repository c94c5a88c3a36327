package llamaspark.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written splitter gives the same pieces as java.util.regex on Llama 3's pattern. */
class Llama3SplitterTest {
    private static final Pattern REGEX = Pattern.compile(BpeTokenizer.LLAMA3_PATTERN, Pattern.UNICODE_CHARACTER_CLASS);
    /** Characters where the alternatives meet: quotes and contraction letters, every kind of space, marks, numbers. */
    private static final int[] ALPHABET = {'\'', 's', 'S', 't', 'r', 'e', 'E', 'v', 'm', 'l', 'L', 'd', 'x', 'A', 0x17F,
        0x212A, 0x130, ' ', ' ', '\t', '\n', '\r', 0x0B, 0x0C, 0x85, 0xA0, 0x2028, 0x3000, 0xFEFF, 0x200B, '1', '2', '9',
        0x663, 0xBD, 0x2160, '!', '.', '-', '_', '@', 0x301, 0x94D, 0x4E00, 0xAC00, 0x1F999, 0x1F3FB, 0xD800, 0xDC00,
        0x1C, 0x1F, 0x00};

    static List<String> regexPieces(String s, int from, int to) {
        List<String> out = new ArrayList<>();
        Matcher m = REGEX.matcher(s);
        m.region(from, to);
        int last = from;
        while (m.find()) {
            if (m.start() > last) {
                out.add("GAP:" + s.substring(last, m.start()));
            }
            out.add(m.group());
            last = m.end();
        }
        if (last < to) {
            out.add("GAP:" + s.substring(last, to));
        }
        return out;
    }

    static List<String> splitterPieces(String s, int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to;) {
            int j = Llama3Splitter.next(s, i, to);
            out.add(s.substring(i, j));
            i = j;
        }
        return out;
    }

    @Test
    void sameAsRegexOnRandomText() {
        Random r = new Random(42);
        for (int t = 0; t < 200_000; t++) {
            StringBuilder sb = new StringBuilder();
            int n = 1 + r.nextInt(12);
            for (int k = 0; k < n; k++) {
                sb.appendCodePoint(ALPHABET[r.nextInt(ALPHABET.length)]);
            }
            String s = sb.toString();
            // Regions (text between special tokens) never cut a surrogate pair: java.util.regex reads
            // across the region end there.
            int from = r.nextInt(3) == 0 ? r.nextInt(s.length()) : 0;
            if (from > 0 && Character.isLowSurrogate(s.charAt(from)) && Character.isHighSurrogate(s.charAt(from - 1))) {
                from--;
            }
            int to = r.nextInt(3) == 0 ? from + r.nextInt(s.length() - from + 1) : s.length();
            if (to < s.length() && to > 0 && Character.isLowSurrogate(s.charAt(to)) && Character.isHighSurrogate(s.charAt(to - 1))) {
                to++;
            }
            List<String> want = regexPieces(s, from, to);
            List<String> got = splitterPieces(s, from, to);
            if (!want.equals(got)) {
                assertEquals(escaped(want), escaped(got), escaped(List.of(s)) + " [" + from + ", " + to + ")");
            }
        }
    }

    private static String escaped(List<String> pieces) {
        StringBuilder sb = new StringBuilder();
        for (String p : pieces) {
            sb.append('|');
            p.chars().forEach(c -> sb.append(c >= 0x21 && c < 0x7F ? String.valueOf((char) c) : String.format("\\u%04X", c)));
        }
        return sb.toString();
    }

    @Test
    void sameAsRegexOnTheCorpus() {
        for (String line : Llama3Corpus.lines(3L, 3000)) {
            assertEquals(regexPieces(line, 0, line.length()), splitterPieces(line, 0, line.length()), line);
        }
    }
}
