package llamaspark.tokenizer;

import java.io.Serializable;

/**
 * What the engine needs from a tokenizer, whatever its kind: llama2.c's SentencePiece-style
 * {@link Tokenizer} or the byte-level {@link BpeTokenizer} of Llama 3. Implementations are
 * immutable and thread-safe, and serializable so Spark can broadcast them.
 */
public interface TextTokenizer extends Serializable {

    int vocabSize();

    /** Ids of {@code text} (special-token text is encoded as plain text), with optional BOS and EOS. */
    int[] encode(String text, boolean bos, boolean eos);

    /**
     * Ids of {@code text}; with {@code allowSpecial} the special-token texts in it (a rendered chat
     * template's {@code <|start_header_id|>} ...) become their own ids. Vocabularies without
     * special tokens encode as {@link #encode(String, boolean, boolean)}.
     */
    default int[] encode(String text, boolean bos, boolean eos, boolean allowSpecial) {
        return encode(text, bos, eos);
    }

    /** Most bytes one token's piece can stand for (sizes the generator's text buffers). */
    int maxTokenLength();

    int bosId();

    int eosId();

    /** Ids that end a generated row: EOS and the model's other end-of-turn ids. */
    int[] endOfGenerationIds();

    /**
     * The bytes {@code token} stands for when it follows {@code prevToken}. Shared array: callers
     * must not modify it. A piece may hold part of a multi-byte character; see {@link StreamingDecoder}.
     */
    byte[] piece(int prevToken, int token);

    /** The text of {@code tokens[from, to)}: pieces joined as bytes, malformed UTF-8 as U+FFFD. */
    String decodeText(int[] tokens, int from, int to, int prevToken);
}
