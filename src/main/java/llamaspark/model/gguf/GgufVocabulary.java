package llamaspark.model.gguf;

import llamaspark.BadInputException;
import llamaspark.chat.ChatTemplate;
import llamaspark.tokenizer.TextTokenizer;
import llamaspark.tokenizer.Tokenizer;

/**
 * The SentencePiece vocabulary a GGUF file stores in its metadata ({@code tokenizer.ggml.model =
 * llama}), as the engine's {@link Tokenizer}: pieces, scores and the file's own BOS/EOS ids. When
 * the file gives no BOS/EOS id, llama.cpp's SentencePiece defaults (1 and 2) apply, as in llama.cpp.
 * Pieces get the same treatment as in llama2.c's {@code tokenizer.py} export (U+2581 becomes a space),
 * so a vocabulary converted from Hugging Face and one converted from a llama2.c .bin read alike.
 */
public final class GgufVocabulary {
    public static final String MODEL = "tokenizer.ggml.model";
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    public static final String BOS = "tokenizer.ggml.bos_token_id";
    public static final String EOS = "tokenizer.ggml.eos_token_id";
    public static final String CHAT_TEMPLATE = "tokenizer.chat_template";
    /** llama.cpp's {@code LLAMA_TOKEN_TYPE_BYTE}: a piece {@code <0xXX>} standing for one byte. */
    public static final int TYPE_BYTE = 6;
    /** Where run.c's byte fallback expects {@code <0x00>}: ids 3..258 (after unk, bos, eos). */
    private static final int BYTE_FALLBACK_OFFSET = 3;
    /** SentencePiece's U+2581 for a space; llama2.c's tokenizer export turns it back into ' '. */
    private static final char SPACE_MARK = '\u2581';

    private GgufVocabulary() {
    }

    /**
     * The file's vocabulary of either kind: SentencePiece ({@code llama}) as {@link Tokenizer},
     * byte-level BPE ({@code gpt2}) as {@link GgufBpeVocabulary#read}.
     */
    public static TextTokenizer readText(GgufMetadata m) {
        return GgufBpeVocabulary.MODEL_GPT2.equals(m.string(MODEL, null)) ? GgufBpeVocabulary.read(m) : read(m);
    }

    public static Tokenizer read(GgufMetadata m) {
        String source = m.source();
        String model = m.string(MODEL);
        if (!"llama".equals(model)) {
            throw new BadInputException(source, "metadata key '" + MODEL + "' is '" + model
                    + "', only the SentencePiece vocabulary 'llama' is supported");
        }
        String[] tokens = m.stringArray(TOKENS);
        float[] scores = m.has(SCORES) ? m.floatArray(SCORES) : new float[tokens.length];
        if (scores.length != tokens.length) {
            throw new BadInputException(source, "metadata key '" + SCORES + "' has " + scores.length
                    + " scores for " + tokens.length + " tokens");
        }
        if (m.has(TOKEN_TYPE)) {
            int[] types = m.intArray(TOKEN_TYPE);
            if (types.length != tokens.length) {
                throw new BadInputException(source, "metadata key '" + TOKEN_TYPE + "' has " + types.length
                        + " types for " + tokens.length + " tokens");
            }
            for (int id = 0; id < types.length; id++) {
                if (types[id] == TYPE_BYTE && !tokens[id].equals(String.format("<0x%02X>", id - BYTE_FALLBACK_OFFSET))) {
                    throw new BadInputException(source, "byte token " + id + " is '" + tokens[id]
                            + "', but the tokenizer expects <0x00>..<0xFF> at ids 3..258");
                }
            }
        }
        int bos = m.int32(BOS, Tokenizer.BOS);
        int eos = m.int32(EOS, Tokenizer.EOS);
        for (String key : new String[] {BOS, EOS}) {
            int id = key.equals(BOS) ? bos : eos;
            if (id < 0 || id >= tokens.length) {
                throw new BadInputException(source, "metadata key '" + key + "' is " + id
                        + ", outside the vocabulary of " + tokens.length + " tokens");
            }
        }
        String[] pieces = new String[tokens.length];
        for (int id = 0; id < tokens.length; id++) {
            pieces[id] = tokens[id].replace(SPACE_MARK, ' ');
        }
        return Tokenizer.fromPieces(pieces, scores, bos, eos);
    }

    /**
     * The file's {@code tokenizer.chat_template}, with the texts of its BOS and EOS tokens (templates
     * write {@code bos_token}); null when the file has none.
     */
    public static ChatTemplate chatTemplate(GgufMetadata m, TextTokenizer vocabulary) {
        if (!m.has(CHAT_TEMPLATE)) {
            return null;
        }
        String[] tokens = m.stringArray(TOKENS);
        int bos = vocabulary.bosId(), eos = vocabulary.eosId(); // a BPE vocabulary may have neither (-1)
        return new ChatTemplate(m.string(CHAT_TEMPLATE), bos >= 0 ? tokens[bos] : null, eos >= 0 ? tokens[eos] : null);
    }
}
