package llamaspark.chat;

import java.util.List;
import llamaspark.BadInputException;
import llamaspark.tokenizer.TextTokenizer;

/**
 * A chat rendered with the model's template and encoded for the engine.
 *
 * <p>Encoding rule: special-token text in the rendered prompt ({@code <|start_header_id|>},
 * {@code <|eot_id|>}) becomes its own id (allowSpecial; llama2.c's SentencePiece vocabulary has
 * no special-token texts and encodes them as plain text). The BOS id is added once: when the
 * rendered text starts with the BOS token's text (Llama 2 and 3 templates write
 * {@code bos_token} / {@code <|begin_of_text|>} themselves), that text is taken off and the BOS
 * id put in its place; otherwise BOS is added in front, as for a plain prompt.
 *
 * @param text the rendered prompt, as the template wrote it
 * @param ids  the prompt's token ids, BOS first
 */
public record ChatPrompt(String text, int[] ids) {

    /**
     * @param source names the row in errors ("p.jsonl:3")
     * @throws BadInputException when the template refuses the chat or the text cannot be encoded
     */
    public static ChatPrompt of(ChatTemplate template, TextTokenizer tokenizer, List<ChatMessage> messages,
                                boolean addGenerationPrompt, String source) {
        return encode(template, tokenizer, render(template, messages, addGenerationPrompt, source), source);
    }

    /** The prompt text the template writes for {@code messages}. */
    public static String render(ChatTemplate template, List<ChatMessage> messages, boolean addGenerationPrompt,
                                String source) {
        try {
            return template.render(messages, addGenerationPrompt);
        } catch (ChatTemplateException e) {
            throw new BadInputException(source, "the chat template refused the messages: " + e.getMessage());
        }
    }

    /** {@code text} (as {@link #render} wrote it) encoded with special tokens and one BOS. */
    public static ChatPrompt encode(ChatTemplate template, TextTokenizer tokenizer, String text, String source) {
        String bos = template.bosToken();
        boolean ownBos = !bos.isEmpty() && text.startsWith(bos);
        try {
            return new ChatPrompt(text, tokenizer.encode(ownBos ? text.substring(bos.length()) : text, true, false, true));
        } catch (BadInputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadInputException(source, "cannot tokenize the rendered chat: " + e.getMessage(), e);
        }
    }
}
