package llamaspark.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import llamaspark.BadInputException;

/**
 * Byte-level BPE (GPT-2 / tiktoken style, as Llama 3 uses): the text is split by the
 * pre-tokenizer's regex, each piece's UTF-8 bytes start as one token per byte, then the adjacent
 * pair with the lowest merge rank is merged (leftmost first) until no pair merges. With
 * {@code ignoreMerges} (Llama 3, like tiktoken) a piece that is itself in the vocabulary is that
 * one token. Special tokens (control and user-defined) are recognised in the text only when the
 * caller asks for it; otherwise their text is encoded like any other.
 *
 * <p>Immutable and thread-safe; the word cache is a concurrent map rebuilt after deserialization.
 */
public final class BpeTokenizer implements TextTokenizer {
    private static final long serialVersionUID = 1L;

    /** GGUF / llama.cpp token types. */
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_USER_DEFINED = 4;
    public static final int TYPE_UNUSED = 5;
    public static final int TYPE_BYTE = 6;

    /** Llama 3's pre-tokenizer split (tokenizer.json, llama.cpp's "llama-bpe"). */
    public static final String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** GPT-2's (the ByteLevel pre-tokenizer with use_regex, llama.cpp's "gpt2"). */
    public static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Words longer than this (chars) are not cached, so one huge input cannot fill the cache. */
    private static final int CACHE_MAX_WORD = 64;
    private static final int CACHE_MAX_ENTRIES = 1 << 17;

    private final String source;
    /** Bytes each token stands for (special tokens: their text as UTF-8). [VS][] */
    private final byte[][] pieces;
    private final boolean[] special; // [VS]
    /** Ordinary tokens by their bytes as ISO-8859-1 strings (one char per byte). */
    private final HashMap<String, Integer> idsByBytes;
    private final int[] byteIds; // [256]
    private final PairMergeMap merges;
    private final String splitRegex;
    private final Pattern split;
    /** The pattern is Llama 3's: use the hand-written {@link Llama3Splitter} instead of the regex. */
    private final boolean llama3Split;
    private final boolean ignoreMerges;
    private final HashMap<String, Integer> specialIds;
    /**
     * Special-token texts by their first character, longest first: the longest special text at
     * the leftmost position wins, as in Hugging Face's added-token split. A map lookup per
     * character instead of a 256-way regex alternation (20x faster on a rendered chat).
     */
    private final HashMap<Character, String[]> specialsByFirstChar;
    private final int bosId;
    private final int eosId;
    private final int[] endIds;
    private final int maxTokenLength; // longest piece in bytes
    private transient volatile ConcurrentHashMap<String, int[]> cache;

    /**
     * From GGUF-style metadata ({@code tokenizer.ggml.tokens}, {@code merges}, {@code token_type},
     * {@code pre}); BOS and EOS found by their usual names, end ids = EOS and {@code <|eot_id|>}.
     */
    public BpeTokenizer(String[] tokens, String[] merges, int[] tokenTypes, String pre) {
        this("tokenizer", tokens, merges, tokenTypes, patternForPre("tokenizer", pre), ignoreMergesForPre(pre),
                -2, -2, new int[0]);
    }

    /**
     * The general form.
     *
     * @param tokens byte-level text of each ordinary token, plain text of special ones [VS]
     * @param merges "left right" in rank order (byte-level text)
     * @param tokenTypes {@link #TYPE_NORMAL} etc. [VS]
     * @param bosId BOS id, -1 if none, -2 to find it by name
     * @param eosId EOS id, -1 if none, -2 to find it by name
     * @param extraEndIds further ids that end generation (generation_config.json)
     */
    public BpeTokenizer(String source, String[] tokens, String[] merges, int[] tokenTypes, String splitRegex,
            boolean ignoreMerges, int bosId, int eosId, int[] extraEndIds) {
        this.source = Objects.requireNonNull(source, "source");
        int n = tokens.length;
        if (tokenTypes.length != n) {
            throw new BadInputException(source, n + " tokens but " + tokenTypes.length + " token types");
        }
        pieces = new byte[n][];
        special = new boolean[n];
        idsByBytes = new HashMap<>(n * 2);
        specialIds = new HashMap<>();
        for (int id = 0; id < n; id++) {
            String text = Objects.requireNonNull(tokens[id], "token");
            int type = tokenTypes[id];
            if (type == TYPE_CONTROL || type == TYPE_USER_DEFINED) {
                special[id] = true;
                pieces[id] = text.getBytes(StandardCharsets.UTF_8);
                specialIds.putIfAbsent(text, id);
            } else {
                byte[] bytes = ByteLevel.toBytes(text);
                if (bytes == null) {
                    throw new BadInputException(source, "token " + id + " " + quote(text)
                            + " is not byte-level text (a char outside GPT-2's byte-to-unicode table)");
                }
                pieces[id] = bytes;
                if (type != TYPE_UNUSED) {
                    idsByBytes.putIfAbsent(new String(bytes, StandardCharsets.ISO_8859_1), id);
                }
            }
        }
        byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = idsByBytes.get(String.valueOf((char) b));
            if (id == null) {
                throw new BadInputException(source, "the vocabulary has no token for byte 0x"
                        + String.format("%02X", b) + " (" + quote(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]))
                        + "), which byte-level BPE needs");
            }
            byteIds[b] = id;
        }
        this.merges = new PairMergeMap(merges.length);
        for (int rank = 0; rank < merges.length; rank++) {
            String m = merges[rank];
            int space = m.indexOf(' ');
            if (space <= 0 || space == m.length() - 1 || m.indexOf(' ', space + 1) >= 0) {
                throw new BadInputException(source, "merge " + rank + " " + quote(m) + " is not \"left right\"");
            }
            int left = ordinaryId(m.substring(0, space), rank, m);
            int right = ordinaryId(m.substring(space + 1), rank, m);
            int result = ordinaryId(m.substring(0, space) + m.substring(space + 1), rank, m);
            this.merges.putIfAbsent(left, right, rank, result);
        }
        this.splitRegex = splitRegex;
        this.split = Pattern.compile(splitRegex, Pattern.UNICODE_CHARACTER_CLASS);
        this.llama3Split = splitRegex.equals(LLAMA3_PATTERN);
        this.ignoreMerges = ignoreMerges;
        specialsByFirstChar = new HashMap<>();
        List<String> texts = new ArrayList<>(specialIds.keySet());
        texts.sort(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()));
        for (String t : texts) {
            if (!t.isEmpty()) {
                specialsByFirstChar.merge(t.charAt(0), new String[] {t}, (a, b) -> {
                    String[] both = Arrays.copyOf(a, a.length + 1);
                    both[a.length] = b[0];
                    return both;
                });
            }
        }
        this.bosId = bosId == -2 ? firstSpecial("<|begin_of_text|>", "<s>", "<|startoftext|>") : checkedId(bosId, "BOS");
        this.eosId = eosId == -2 ? firstSpecial("<|end_of_text|>", "</s>", "<|endoftext|>") : checkedId(eosId, "EOS");
        Set<Integer> ends = new LinkedHashSet<>();
        if (this.eosId >= 0) {
            ends.add(this.eosId);
        }
        Integer eot = specialIds.get("<|eot_id|>");
        if (eot != null) {
            ends.add(eot);
        }
        for (int id : extraEndIds) {
            ends.add(checkedId(id, "end-of-generation"));
        }
        endIds = ends.stream().mapToInt(Integer::intValue).toArray();
        int longest = 1;
        for (byte[] p : pieces) {
            longest = Math.max(longest, p.length);
        }
        maxTokenLength = longest;
    }

    /** The split regex for a GGUF {@code tokenizer.ggml.pre} value. */
    public static String patternForPre(String source, String pre) {
        switch (pre == null ? "default" : pre.toLowerCase(Locale.ROOT)) {
            case "llama3", "llama-v3", "llama-bpe":
                return LLAMA3_PATTERN;
            case "default", "gpt2", "gpt-2":
                return GPT2_PATTERN;
            default:
                throw new BadInputException(source, "tokenizer.ggml.pre = " + quote(pre)
                        + " is not supported; expected llama-bpe (Llama 3) or gpt2");
        }
    }

    /** llama.cpp sets ignore_merges for Llama 3's vocabulary only. */
    public static boolean ignoreMergesForPre(String pre) {
        return pre != null && (pre.equalsIgnoreCase("llama-bpe") || pre.equalsIgnoreCase("llama3")
                || pre.equalsIgnoreCase("llama-v3"));
    }

    private int ordinaryId(String byteLevelText, int rank, String merge) {
        byte[] bytes = ByteLevel.toBytes(byteLevelText);
        Integer id = bytes == null ? null : idsByBytes.get(new String(bytes, StandardCharsets.ISO_8859_1));
        if (id == null) {
            throw new BadInputException(source, "merge " + rank + " " + quote(merge) + " uses "
                    + quote(byteLevelText) + ", which is not in the vocabulary");
        }
        return id;
    }

    private int firstSpecial(String... names) {
        for (String name : names) {
            Integer id = specialIds.get(name);
            if (id != null) {
                return id;
            }
        }
        return -1;
    }

    private int checkedId(int id, String what) {
        if (id < -1 || id >= pieces.length) {
            throw new BadInputException(source, what + " id " + id + " is outside the vocabulary [0, "
                    + pieces.length + ")");
        }
        return id;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    /** The longest piece in bytes (special tokens: their UTF-8 text). */
    @Override
    public int maxTokenLength() {
        return maxTokenLength;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int[] endOfGenerationIds() {
        return endIds.clone();
    }

    public boolean isSpecial(int id) {
        return special[id];
    }

    /** Id of a special token by its text, or -1. */
    public int specialId(String text) {
        Integer id = specialIds.get(text);
        return id == null ? -1 : id;
    }

    public String splitRegex() {
        return splitRegex;
    }

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        return encode(text, bos, eos, false);
    }

    /**
     * @param allowSpecial recognise special tokens' text (e.g. {@code <|eot_id|>}) as those tokens;
     *     when false such text is split and merged like any other text
     */
    @Override
    public int[] encode(String text, boolean bos, boolean eos, boolean allowSpecial) {
        Objects.requireNonNull(text, "text");
        Work w = new Work(text.length() + 2);
        if (bos) {
            w.add(requireId(bosId, "BOS"));
        }
        if (allowSpecial && !specialsByFirstChar.isEmpty()) {
            int at = 0;
            for (int i = 0; i < text.length(); i++) {
                String[] candidates = specialsByFirstChar.get(text.charAt(i));
                if (candidates == null) {
                    continue;
                }
                for (String special : candidates) {
                    if (text.startsWith(special, i)) {
                        encodeOrdinary(text, at, i, w);
                        w.add(specialIds.get(special));
                        at = i + special.length();
                        i = at - 1;
                        break;
                    }
                }
            }
            encodeOrdinary(text, at, text.length(), w);
        } else {
            encodeOrdinary(text, 0, text.length(), w);
        }
        if (eos) {
            w.add(requireId(eosId, "EOS"));
        }
        return Arrays.copyOf(w.out, w.size);
    }

    private int requireId(int id, String what) {
        if (id < 0) {
            throw new IllegalStateException(source + ": the vocabulary has no " + what + " token");
        }
        return id;
    }

    /** Text between special tokens: the regex pieces (and any text between matches) one by one. */
    private void encodeOrdinary(String text, int from, int to, Work w) {
        if (from >= to) {
            return;
        }
        if (llama3Split) {
            for (int i = from; i < to;) {
                int j = Llama3Splitter.next(text, i, to);
                encodeWord(text, i, j, w);
                i = j;
            }
            return;
        }
        Matcher m = split.matcher(text);
        m.region(from, to);
        int last = from;
        while (m.find()) {
            if (m.start() > last) {
                encodeWord(text, last, m.start(), w);
            }
            encodeWord(text, m.start(), m.end(), w);
            last = m.end();
        }
        if (last < to) {
            encodeWord(text, last, to, w);
        }
    }

    private void encodeWord(String text, int start, int end, Work w) {
        String word = text.substring(start, end);
        ConcurrentHashMap<String, int[]> c = cache();
        int[] ids = c.get(word);
        if (ids == null) {
            byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
            Integer whole = ignoreMerges ? idsByBytes.get(new String(bytes, StandardCharsets.ISO_8859_1)) : null;
            ids = whole != null ? new int[] {whole} : bpe(bytes, w);
            if (word.length() <= CACHE_MAX_WORD && c.size() < CACHE_MAX_ENTRIES) {
                c.put(word, ids);
            }
        }
        for (int id : ids) {
            w.add(id);
        }
    }

    /**
     * Merges the lowest-rank adjacent pair (leftmost on ties) until none merges. A merge changes
     * only the pairs beside it, so their ranks are recomputed and the rest kept.
     */
    private int[] bpe(byte[] bytes, Work w) {
        int n = bytes.length;
        int[] tokens = w.tokens(n);
        int[] slots = w.slots(n);
        for (int i = 0; i < n; i++) {
            tokens[i] = byteIds[bytes[i] & 0xFF];
        }
        for (int i = 0; i + 1 < n; i++) {
            slots[i] = merges.find(tokens[i], tokens[i + 1]);
        }
        while (n > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                int s = slots[i];
                if (s >= 0) {
                    int r = merges.rankAt(s);
                    if (r < bestRank) {
                        bestRank = r;
                        best = i;
                    }
                }
            }
            if (best < 0) {
                break;
            }
            tokens[best] = merges.mergedAt(slots[best]);
            System.arraycopy(tokens, best + 2, tokens, best + 1, n - best - 2);
            if (n - best - 3 > 0) {
                System.arraycopy(slots, best + 2, slots, best + 1, n - best - 3);
            }
            n--;
            if (best > 0) {
                slots[best - 1] = merges.find(tokens[best - 1], tokens[best]);
            }
            if (best + 1 < n) {
                slots[best] = merges.find(tokens[best], tokens[best + 1]);
            }
        }
        return Arrays.copyOf(tokens, n);
    }

    private ConcurrentHashMap<String, int[]> cache() {
        ConcurrentHashMap<String, int[]> c = cache;
        if (c == null) {
            c = new ConcurrentHashMap<>();
            cache = c;
        }
        return c;
    }

    @Override
    public byte[] piece(int prevToken, int token) {
        if (token < 0 || token >= pieces.length) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, "
                    + pieces.length + ")");
        }
        return pieces[token];
    }

    @Override
    public String decodeText(int[] tokens, int from, int to, int prevToken) {
        Objects.checkFromToIndex(from, to, tokens.length);
        int length = 0;
        for (int i = from; i < to; i++) {
            length += piece(-1, tokens[i]).length;
        }
        byte[] bytes = new byte[length];
        int at = 0;
        for (int i = from; i < to; i++) {
            byte[] p = pieces[tokens[i]];
            System.arraycopy(p, 0, bytes, at, p.length);
            at += p.length;
        }
        return utf8(bytes, 0, bytes.length);
    }

    /** The whole sequence as text. */
    public String decode(int[] tokens) {
        return decodeText(tokens, 0, tokens.length, -1);
    }

    static String utf8(byte[] bytes, int from, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes, from, length))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("UTF-8 decoding with REPLACE cannot fail", e);
        }
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }

    @Override
    public String toString() {
        return "BpeTokenizer[" + source + ", vocabSize=" + pieces.length + ", merges=" + merges.size()
                + ", special=" + specialIds.size() + "]";
    }

    /** Per-call scratch: the output ids and the BPE arrays, grown as needed. */
    private static final class Work {
        int[] out;
        int size;
        private int[] tokens = new int[64];
        private int[] slots = new int[64];

        Work(int capacity) {
            out = new int[Math.max(16, capacity)];
        }

        void add(int id) {
            if (size == out.length) {
                out = Arrays.copyOf(out, size * 2);
            }
            out[size++] = id;
        }

        int[] tokens(int n) {
            if (tokens.length < n) {
                tokens = new int[n];
            }
            return tokens;
        }

        int[] slots(int n) {
            if (slots.length < n) {
                slots = new int[n];
            }
            return slots;
        }
    }
}
