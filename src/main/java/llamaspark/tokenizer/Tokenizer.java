package llamaspark.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Objects;

/**
 * The llama2.c SentencePiece-BPE tokenizer, reproducing Karpathy's {@code run.c} (commit 350e04f)
 * token for token, so that prompts fed to the model and the text printed for its output match the
 * reference implementation exactly.
 *
 * <p>Instances are immutable once built and hold no transient state, so Java serialization and
 * field-wise serializers (Kryo) both give a working copy when Spark broadcasts one; encode and
 * decode are safe to call from many threads at once.
 */
public final class Tokenizer implements TextTokenizer {
    private static final long serialVersionUID = 1L;

    /** llama2.c's beginning of sequence; run.c also uses it as "stop" when the model samples it. */
    public static final int BOS = 1;
    /** llama2.c's end of sequence; run.c does not stop on it, it just prints its piece. */
    public static final int EOS = 2;

    /** Pieces {@code <0x00>..<0xFF>} sit at ids 3..258, so an unknown byte b becomes b + 3. */
    private static final int BYTE_FALLBACK_OFFSET = 3;
    /** run.c's starting best_score: a pair whose merge scores at or below it never merges. */
    private static final float NO_MERGE_SCORE = -1e10f;

    private final byte[][] pieces;
    private final float[] scores;
    private final int maxTokenLength;
    /**
     * Pieces as ISO-8859-1 strings: one char per byte, so concatenating and hashing them works on
     * the raw bytes, even for pieces that are not valid UTF-8.
     */
    private final String[] keys;
    /**
     * Piece to id. run.c sorts the vocabulary and bsearches it, which may land on any copy of a
     * duplicated piece; we keep the lowest id so the choice is at least deterministic.
     */
    private final HashMap<String, Integer> idsByPiece;
    /** Output bytes of each token (byte pieces already turned into their byte). */
    private final byte[][] decoded;
    /** The same right after BOS, where run.c drops the leading space the dummy prefix put there. */
    private final byte[][] decodedAfterBos;
    /** Id of the piece " " that run.c puts in front of every non-empty text; -1 if absent. */
    private final int dummyPrefixId;
    /** This vocabulary's BOS and EOS ids ({@link #BOS}, {@link #EOS} for llama2.c tokenizers; GGUF files say). */
    private final int bosId;
    private final int eosId;

    /** Takes ownership of the arrays; they are validated by the callers. */
    Tokenizer(byte[][] pieces, float[] scores, int maxTokenLength) {
        this(pieces, scores, maxTokenLength, BOS, EOS);
    }

    Tokenizer(byte[][] pieces, float[] scores, int maxTokenLength, int bosId, int eosId) {
        if (pieces.length != scores.length) {
            throw new IllegalArgumentException(
                    pieces.length + " pieces but " + scores.length + " scores");
        }
        if (pieces.length <= EOS) {
            throw new IllegalArgumentException("a vocabulary needs at least <unk>, <s> and </s>, got "
                    + pieces.length + " tokens");
        }
        if (bosId < 0 || bosId >= pieces.length || eosId < 0 || eosId >= pieces.length) {
            throw new IllegalArgumentException("bos id " + bosId + " or eos id " + eosId
                    + " is outside the vocabulary [0, " + pieces.length + ")");
        }
        this.bosId = bosId;
        this.eosId = eosId;
        this.pieces = pieces;
        this.scores = scores;
        this.maxTokenLength = maxTokenLength;
        int n = pieces.length;
        keys = new String[n];
        idsByPiece = new HashMap<>(n * 2);
        decoded = new byte[n][];
        decodedAfterBos = new byte[n][];
        byte[][] singleBytes = new byte[256][];
        for (int b = 0; b < 256; b++) {
            singleBytes[b] = new byte[] {(byte) b};
        }
        for (int id = 0; id < n; id++) {
            byte[] piece = Objects.requireNonNull(pieces[id], "piece");
            keys[id] = new String(piece, StandardCharsets.ISO_8859_1);
            idsByPiece.putIfAbsent(keys[id], id);
            decoded[id] = decodePiece(piece, singleBytes);
            if (piece.length > 0 && piece[0] == ' ') {
                decodedAfterBos[id] = decodePiece(Arrays.copyOfRange(piece, 1, piece.length), singleBytes);
            } else {
                decodedAfterBos[id] = decoded[id];
            }
        }
        Integer space = idsByPiece.get(" ");
        dummyPrefixId = space == null ? -1 : space;
    }

    /**
     * Reads a llama2.c {@code tokenizer.bin} or the NumPy study's JSON {@code tokenizer.model.np},
     * told apart by content (JSON starts with '{'). The vocabulary size is not stored in the .bin
     * format, so it must come from the model, and the file must hold exactly that many tokens.
     *
     * @throws llamaspark.BadInputException naming the file and what is wrong with it
     */
    public static Tokenizer load(Path path, int expectedVocabSize) {
        return TokenizerFiles.read(path, expectedVocabSize);
    }

    /**
     * Builds a tokenizer from pieces given as text, for synthetic vocabularies (tests, tiny
     * models). Pieces are stored as UTF-8; max_token_length is the longest of them.
     */
    public static Tokenizer fromPieces(String[] pieces, float[] scores) {
        return fromPieces(pieces, scores, BOS, EOS);
    }

    /** As {@link #fromPieces(String[], float[])}, with the vocabulary's own BOS and EOS ids (GGUF files). */
    public static Tokenizer fromPieces(String[] pieces, float[] scores, int bosId, int eosId) {
        Objects.requireNonNull(pieces, "pieces");
        Objects.requireNonNull(scores, "scores");
        if (pieces.length != scores.length) {
            throw new IllegalArgumentException(
                    pieces.length + " pieces but " + scores.length + " scores");
        }
        byte[][] bytes = new byte[pieces.length][];
        int longest = 0;
        for (int i = 0; i < pieces.length; i++) {
            bytes[i] = Objects.requireNonNull(pieces[i], "piece " + i).getBytes(StandardCharsets.UTF_8);
            longest = Math.max(longest, bytes[i].length);
        }
        return new Tokenizer(bytes, scores.clone(), longest, bosId, eosId);
    }

    /** The merge score of token {@code id}. */
    public float score(int id) {
        checkId(id);
        return scores[id];
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    /** Beginning-of-sequence id of this vocabulary. */
    @Override
    public int bosId() {
        return bosId;
    }

    /** End-of-sequence id of this vocabulary. */
    @Override
    public int eosId() {
        return eosId;
    }

    /** EOS only: run.c's stop on a sampled BOS is the generator's rule ({@code EndTokens}). */
    @Override
    public int[] endOfGenerationIds() {
        return new int[] {eosId};
    }

    /** As declared by the file (.bin) or the longest piece in bytes (JSON, {@link #fromPieces}). */
    @Override
    public int maxTokenLength() {
        return maxTokenLength;
    }

    /** The raw piece, undecoded (byte pieces stay {@code <0xXX>}), for debugging and tests. */
    public String pieceString(int id) {
        checkId(id);
        return new String(pieces[id], StandardCharsets.UTF_8);
    }

    /**
     * run.c {@code encode()}: optional BOS, the dummy-prefix space for non-empty text, one token
     * per UTF-8 code point (or one byte-fallback token per byte when the code point is not a
     * piece), then greedy merging of the adjacent pair whose merged piece scores highest (the
     * leftmost on ties) until no pair merges, then optional EOS.
     *
     * <p>run.c gets its text as a C string, so it never sees a NUL; here a NUL is just another
     * byte (byte fallback {@code <0x00>}). Unpaired surrogates encode as '?', as
     * {@link String#getBytes} does.
     *
     * @throws IllegalArgumentException if a byte falls back to an id the vocabulary lacks
     * @throws IllegalStateException if the text is non-empty and the vocabulary has no " " piece
     */
    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        Objects.requireNonNull(text, "text");
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 3];
        int n = 0;
        if (bos) {
            tokens[n++] = bosId;
        }
        if (utf8.length > 0) {
            if (dummyPrefixId < 0) {
                throw new IllegalStateException(
                        "the vocabulary has no \" \" piece, which run.c puts in front of every text");
            }
            tokens[n++] = dummyPrefixId;
        }
        int start = 0;
        while (start < utf8.length) {
            int end = start + 1;
            while (end < utf8.length && end - start < 4 && (utf8[end] & 0xC0) == 0x80) {
                end++;
            }
            Integer id = idsByPiece.get(new String(utf8, start, end - start, StandardCharsets.ISO_8859_1));
            if (id != null) {
                tokens[n++] = id;
            } else {
                for (int i = start; i < end; i++) {
                    tokens[n++] = byteFallbackId(utf8[i]);
                }
            }
            start = end;
        }
        n = mergePairs(tokens, n);
        if (eos) {
            tokens[n++] = eosId;
        }
        return Arrays.copyOf(tokens, n);
    }

    /**
     * The same merges as run.c, which recomputes every pair on each pass; a pair's merge depends
     * only on its two tokens, so caching them and redoing the two neighbours of each merge picks
     * exactly the same pairs in the same order while doing O(n) lookups instead of O(n^2).
     */
    private int mergePairs(int[] tokens, int n) {
        if (n < 2) {
            return n;
        }
        int[] pairIds = new int[n - 1];
        for (int i = 0; i < n - 1; i++) {
            pairIds[i] = mergedId(tokens[i], tokens[i + 1]);
        }
        while (true) {
            float bestScore = NO_MERGE_SCORE;
            int bestIdx = -1;
            for (int i = 0; i < n - 1; i++) {
                int id = pairIds[i];
                if (id >= 0 && scores[id] > bestScore) {
                    bestScore = scores[id];
                    bestIdx = i;
                }
            }
            if (bestIdx < 0) {
                return n;
            }
            tokens[bestIdx] = pairIds[bestIdx];
            System.arraycopy(tokens, bestIdx + 2, tokens, bestIdx + 1, n - bestIdx - 2);
            int pairsAfter = n - bestIdx - 3;
            if (pairsAfter > 0) {
                System.arraycopy(pairIds, bestIdx + 2, pairIds, bestIdx + 1, pairsAfter);
            }
            n--;
            if (bestIdx > 0) {
                pairIds[bestIdx - 1] = mergedId(tokens[bestIdx - 1], tokens[bestIdx]);
            }
            if (bestIdx < n - 1) {
                pairIds[bestIdx] = mergedId(tokens[bestIdx], tokens[bestIdx + 1]);
            }
        }
    }

    private int mergedId(int left, int right) {
        Integer id = idsByPiece.get(keys[left].concat(keys[right]));
        return id == null ? -1 : id;
    }

    private int byteFallbackId(byte b) {
        int id = (b & 0xFF) + BYTE_FALLBACK_OFFSET;
        if (id >= pieces.length) {
            throw new IllegalArgumentException(String.format(
                    "byte 0x%02X needs byte-fallback token %d but the vocabulary has only %d tokens",
                    b & 0xFF, id, pieces.length));
        }
        return id;
    }

    /**
     * run.c {@code decode()}: the bytes to print for {@code token} following {@code prevToken}.
     * Returns a shared precomputed array so per-token printing allocates nothing; callers must
     * not modify it.
     */
    @Override
    public byte[] piece(int prevToken, int token) {
        checkId(token);
        return prevToken == bosId ? decodedAfterBos[token] : decoded[token];
    }

    /**
     * run.c {@code safe_printf}'s filter: a lone byte that is neither printable ASCII nor
     * whitespace (a stray control byte from byte fallback) is not printed.
     */
    public static boolean isPrintable(byte[] piece) {
        if (piece.length != 1) {
            return true;
        }
        int b = piece[0] & 0xFF;
        return (b >= 0x20 && b <= 0x7E) || b == '\t' || b == '\n' || b == 0x0B || b == '\f' || b == '\r';
    }

    /**
     * The text of {@code tokens[from, to)} as a string, for completions: pieces are concatenated
     * as bytes first, because byte-fallback tokens only form valid UTF-8 together. Unlike run.c's
     * printing there is no {@link #isPrintable} filter; malformed UTF-8 becomes U+FFFD.
     *
     * @param prevToken the token before {@code tokens[from]} (BOS drops the dummy-prefix space)
     */
    @Override
    public String decodeText(int[] tokens, int from, int to, int prevToken) {
        Objects.checkFromToIndex(from, to, tokens.length);
        int length = 0;
        int prev = prevToken;
        for (int i = from; i < to; i++) {
            length += piece(prev, tokens[i]).length;
            prev = tokens[i];
        }
        byte[] bytes = new byte[length];
        int at = 0;
        prev = prevToken;
        for (int i = from; i < to; i++) {
            byte[] p = piece(prev, tokens[i]);
            System.arraycopy(p, 0, bytes, at, p.length);
            at += p.length;
            prev = tokens[i];
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("UTF-8 decoding with REPLACE cannot fail", e);
        }
    }

    @Override
    public String toString() {
        return "Tokenizer[vocabSize=" + pieces.length + ", maxTokenLength=" + maxTokenLength + "]";
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException(
                    "token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
        }
    }

    /**
     * A piece spelled {@code <0xXX>} stands for the byte XX (what run.c's
     * {@code sscanf(piece, "<0x%02hhX>")} accepts for every piece in the llama2.c vocabularies).
     */
    private static byte[] decodePiece(byte[] piece, byte[][] singleBytes) {
        if (piece.length == 6 && piece[0] == '<' && piece[1] == '0' && piece[2] == 'x' && piece[5] == '>') {
            int hi = hexDigit(piece[3]);
            int lo = hexDigit(piece[4]);
            if (hi >= 0 && lo >= 0) {
                return singleBytes[hi * 16 + lo];
            }
        }
        return piece;
    }

    private static int hexDigit(byte c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }
}
