package llamaspark.chat;

import java.io.Serializable;

/** One message of an OpenAI-style chat: role ("system", "user", "assistant", ...) and text content. */
public record ChatMessage(String role, String content) implements Serializable {
}
