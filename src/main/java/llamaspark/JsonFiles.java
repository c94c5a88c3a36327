package llamaspark;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads the small JSON files models come with (config.json, tokenizer.json, ...); any defect is one line naming the file. */
public final class JsonFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {
    }

    /**
     * The JSON object in {@code file}.
     *
     * @param whenMissing what the message says when the file does not exist
     */
    public static JsonNode readObject(Path file, String whenMissing) {
        String source = file.toString();
        JsonNode node;
        try {
            node = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new BadInputException(source, whenMissing, e);
        } catch (JacksonException e) {
            throw new BadInputException(source, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new BadInputException(source, "cannot read (" + e + ")", e);
        }
        if (node == null || !node.isObject()) {
            throw new BadInputException(source, "expected a JSON object");
        }
        return node;
    }
}
