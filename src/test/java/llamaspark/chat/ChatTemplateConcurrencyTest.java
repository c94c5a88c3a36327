package llamaspark.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * One ChatTemplate (its template parsed once) renders from several threads at once, as the Spark
 * job's tasks share an executor's model: each text equals what a fresh template renders alone.
 * (That text itself is checked against @huggingface/jinja in ChatTemplateReferenceTest.)
 */
class ChatTemplateConcurrencyTest {

    @Test
    void oneParsedTemplateRendersFromManyThreadsAsAFreshOneDoes() throws Exception {
        String source = Files.readString(Path.of("src/test/resources/chat-templates/llama3.2.jinja"),
                StandardCharsets.UTF_8);
        List<List<ChatMessage>> chats = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            List<ChatMessage> chat = new ArrayList<>();
            if (i % 2 == 0) {
                chat.add(new ChatMessage("system", "System prompt " + i + "."));
            }
            for (int t = 0; t <= i % 4; t++) {
                chat.add(new ChatMessage("user", "Question " + i + "." + t + " ünï 🙂"));
                if (t < i % 4) {
                    chat.add(new ChatMessage("assistant", "Answer " + i + "." + t));
                }
            }
            chats.add(chat);
        }
        List<String> alone = new ArrayList<>();
        for (List<ChatMessage> chat : chats) {
            alone.add(new ChatTemplate(source, "<|begin_of_text|>", "<|eot_id|>").render(chat, true));
        }
        ChatTemplate shared = new ChatTemplate(source, "<|begin_of_text|>", "<|eot_id|>").parse();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<String>> texts = new ArrayList<>();
                for (List<ChatMessage> chat : chats) {
                    texts.add(pool.submit(() -> shared.render(chat, true)));
                }
                for (int i = 0; i < chats.size(); i++) {
                    assertEquals(alone.get(i), texts.get(i).get(), "chat " + i);
                }
            }
        } finally {
            pool.shutdown();
        }
    }
}
