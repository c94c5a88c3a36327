package llamaspark.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A seeded corpus of varied lines for the BPE reference test: English with contractions in every
 * case, mixed scripts (CJK, Hangul, kana, Arabic, Hebrew, Cyrillic, Greek, Devanagari, Thai),
 * emoji (with ZWJ sequences, skin tones, flags), numbers short and long, code, runs of spaces,
 * tabs and newlines, Unicode spaces, punctuation runs.
 *
 * <p>Left out on purpose, where the JavaScript reference (its regex engine) and Hugging Face's
 * (Oniguruma, = ours) disagree: U+0085 and U+FEFF (whitespace in one, not the other), 'ſ (U+017F
 * folds to 's' only under Unicode case-insensitivity), characters new after Unicode 13 (Java 17),
 * and the text of special tokens (the JavaScript encoder always treats it as special).
 */
public final class Llama3Corpus {
    private static final String[] WORDS = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "Hello",
        "world", "tokenizer", "Llama", "Spark", "generation", "batch", "OpenAI", "naïve", "café", "résumé", "Zürich",
        "straße", "façade", "coöperate", "über", "ÅNGSTRÖM", "x", "a", "I", "internationalization", "GPT",
        "supercalifragilisticexpialidocious", "HTTP", "JSON", "url", "e.g.", "i.e.", "etc", "Dr.", "Mr"};
    private static final String[] CONTRACTIONS = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE",
        "'Re", "'rE", "'VE", "'vE", "'M", "'LL", "'Ll", "'D", "'x", "'", "''", "’s", "’t"};
    private static final String[] CODE = {"for (int i = 0; i < n; i++) {", "def f(x):\n\treturn x ** 2",
        "if (a && b || !c) return;", "const x = {a: 1, b: [2, 3]};", "SELECT * FROM t WHERE id = 42;",
        "#include <stdio.h>", "printf(\"%d\\n\", x);", "x += 1e-9", "std::vector<int> v{1,2,3};",
        "<div class=\"a\">text</div>", "// comment", "/* block */", "$ ls -la | grep foo", "a->b", "==>", "!==",
        "lambda x: x[::-1]", "@Override", "0x1F", "0b1010", "fn main() -> i32 {}", "\tindented();"};
    private static final String[] PUNCT = {"!", "?", "...", "!!!", "?!", ",", ";", ":", "—", "–", "-", "--", "«", "»",
        "“", "”", "\"", "(", ")", "[", "]", "{", "}", "/", "\\", "@", "#", "$", "%", "^", "&", "*", "~", "`", "|", "¿",
        "¡", "。", "、", "！", "？", "·", "•", "…", "©", "®", "€", "£", "¥", "§", "¶", "°", "±", "×", "÷"};
    private static final String[] SPACES = {" ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n",
        "\n ", " \t ", "\u00A0", "\u3000", "\u2009", "\u2003", "\n\n\n", "        ", "\t \n\t", "\r", " \r\n "};
    private static final int[][] SCRIPTS = {
        {0x4E00, 0x9FA5}, {0xAC00, 0xD7A3}, {0x3041, 0x3096}, {0x30A1, 0x30FA}, {0x0621, 0x064A}, {0x05D0, 0x05EA},
        {0x0410, 0x044F}, {0x0391, 0x03C9}, {0x0905, 0x0939}, {0x0E01, 0x0E30}, {0x00C0, 0x00FF}, {0x0100, 0x017E}};
    private static final int[][] MARKS = {{0x093E, 0x094C}, {0x064B, 0x0652}, {0x0300, 0x036F}, {0x0E31, 0x0E3A}};
    private static final int[][] EMOJI = {{0x1F600, 0x1F64F}, {0x1F300, 0x1F5FF}, {0x1F680, 0x1F6C5}, {0x2600, 0x26FF}};

    /** Edge cases: long runs (whitespace, digits, one letter), 4-byte characters, Unicode spaces, marks, ligatures. */
    public static final List<String> EDGE_CASES = List.of(" ".repeat(200), "a" + " ".repeat(100) + "b", "\t".repeat(50),
            "x" + "\n".repeat(30) + "y", "1".repeat(50), "z".repeat(3000), "ab".repeat(1000), "🦙".repeat(100),
            " ".repeat(7) + "\n", "'s'S'sS".repeat(20), "a\u00a0\u00a0\u00a0b", "\u3000\u3000x", "!".repeat(37),
            "ﬁ ﬀ ℌ Ⅻ ①②③", "x\u200b\u200by", "\u0301\u0301a", "", " ", "\n", "a", "'", "''s", " 's");

    private Llama3Corpus() {}

    public static List<String> lines(long seed, int count) {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + r.nextInt(12);
            for (int p = 0; p < parts; p++) {
                fragment(r, sb);
                if (r.nextInt(3) > 0) {
                    sb.append(r.nextInt(4) == 0 ? pick(r, SPACES) : " ");
                }
            }
            lines.add(sb.toString());
        }
        return lines;
    }

    private static void fragment(Random r, StringBuilder sb) {
        switch (r.nextInt(11)) {
            case 0, 1 -> {
                String w = pick(r, WORDS);
                sb.append(r.nextInt(5) == 0 ? w.toUpperCase() : w);
            }
            case 2 -> sb.append(pick(r, WORDS)).append(pick(r, CONTRACTIONS));
            case 3 -> {
                int[] range = SCRIPTS[r.nextInt(SCRIPTS.length)];
                int n = 1 + r.nextInt(8);
                for (int k = 0; k < n; k++) {
                    sb.appendCodePoint(range[0] + r.nextInt(range[1] - range[0] + 1));
                    if (r.nextInt(6) == 0) {
                        int[] m = MARKS[r.nextInt(MARKS.length)];
                        sb.appendCodePoint(m[0] + r.nextInt(m[1] - m[0] + 1));
                    }
                }
            }
            case 4 -> {
                int[] range = EMOJI[r.nextInt(EMOJI.length)];
                sb.appendCodePoint(range[0] + r.nextInt(range[1] - range[0] + 1));
                switch (r.nextInt(5)) {
                    case 0 -> sb.appendCodePoint(0x1F3FB + r.nextInt(5)); // skin tone
                    case 1 -> sb.append("\u200D").appendCodePoint(0x1F466 + r.nextInt(4)); // ZWJ
                    case 2 -> sb.appendCodePoint(0x1F1E6 + r.nextInt(26)).appendCodePoint(0x1F1E6 + r.nextInt(26));
                    case 3 -> sb.append("\uFE0F");
                    default -> { }
                }
            }
            case 5 -> {
                int digits = 1 + (r.nextInt(4) == 0 ? r.nextInt(40) : r.nextInt(7));
                for (int k = 0; k < digits; k++) {
                    sb.append((char) ('0' + r.nextInt(10)));
                }
                if (r.nextInt(4) == 0) {
                    sb.append(r.nextBoolean() ? "." : ",").append(r.nextInt(1000));
                }
                if (r.nextInt(8) == 0) {
                    sb.append(r.nextBoolean() ? "٣٤٥" : "½²³");
                }
            }
            case 6 -> sb.append(pick(r, CODE));
            case 7 -> {
                int n = 1 + r.nextInt(6);
                for (int k = 0; k < n; k++) {
                    sb.append(pick(r, PUNCT));
                }
            }
            case 8 -> {
                int n = 1 + r.nextInt(4);
                for (int k = 0; k < n; k++) {
                    sb.append(pick(r, SPACES));
                }
                if (r.nextInt(5) == 0) {
                    sb.append(" ".repeat(r.nextInt(40)));
                }
            }
            case 9 -> sb.append(r.nextBoolean() ? "I" : "i").append(pick(r, CONTRACTIONS)).append(' ')
                    .append(pick(r, WORDS));
            default -> {
                // ASCII noise, incl. control characters other than the whitespace ones.
                int n = 1 + r.nextInt(10);
                for (int k = 0; k < n; k++) {
                    int c = r.nextInt(10) == 0 ? 1 + r.nextInt(31) : 32 + r.nextInt(95);
                    sb.append((char) c);
                }
            }
        }
    }

    private static String pick(Random r, String[] options) {
        return options[r.nextInt(options.length)];
    }
}
