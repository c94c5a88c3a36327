package llamaspark.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import llamaspark.BadInputException;

/**
 * What a Hugging Face {@code tokenizer_config.json} says about chat: the Jinja chat template and
 * the BOS/EOS texts templates use. Any of them may be null.
 */
public record TokenizerConfig(String chatTemplate, String bosToken, String eosToken) {

    /** {@code tokenizer_config.json}, or the directory holding it. */
    public static TokenizerConfig load(Path fileOrDir) {
        Path file = Files.isDirectory(fileOrDir) ? fileOrDir.resolve("tokenizer_config.json") : fileOrDir;
        String source = file.toString();
        JsonNode root = HfTokenizerFiles.read(file);
        JsonNode template = root.path("chat_template");
        String chat = null;
        if (template.isTextual()) {
            chat = template.textValue();
        } else if (template.isArray()) {
            // Newer files list named templates; "default" is the one for plain chat.
            for (JsonNode t : template) {
                if ("default".equals(t.path("name").asText())) {
                    chat = t.path("template").asText();
                }
            }
            if (chat == null) {
                throw new BadInputException(source, "chat_template lists no template named \"default\"");
            }
        } else if (!template.isMissingNode() && !template.isNull()) {
            throw new BadInputException(source, "chat_template is " + template.getNodeType() + ", expected a string");
        }
        return new TokenizerConfig(chat, tokenText(source, root, "bos_token"), tokenText(source, root, "eos_token"));
    }

    static TokenizerConfig loadIfPresent(Path file) {
        return Files.exists(file) ? load(file) : null;
    }

    /** A token is written as its text or as an AddedToken object {"content": ...}. */
    private static String tokenText(String source, JsonNode root, String field) {
        JsonNode t = root.path(field);
        if (t.isMissingNode() || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.textValue();
        }
        if (t.isObject() && t.path("content").isTextual()) {
            return t.path("content").textValue();
        }
        throw new BadInputException(source, field + " is " + t + ", expected a string or {\"content\": ...}");
    }
}
