package llamaspark;

/**
 * A file, field or parameter that cannot be used as given. The message always starts with the
 * offending source (a file path, or a field name) and says what was expected, so the command line
 * can print it as is, without a stack trace.
 */
public class BadInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadInputException(String source, String problem) {
        super(source + ": " + problem);
    }

    public BadInputException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
