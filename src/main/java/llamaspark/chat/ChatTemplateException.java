package llamaspark.chat;

/** A chat template refused the conversation (its raise_exception) or could not be rendered. */
public final class ChatTemplateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChatTemplateException(String message) {
        super(message);
    }
}
