package llamaspark.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import llamaspark.NodeReference;
import llamaspark.Oracles;
import llamaspark.chat.ChatMessage;
import llamaspark.generate.GenerationRequest;
import llamaspark.model.LoadedModel;
import llamaspark.model.ModelFiles;
import llamaspark.model.kernel.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat rows and OpenAI batch requests, without Spark: parsing and its errors, the rendered chat's
 * ids against {@code @huggingface/jinja}'s rendering, the OpenAI output lines' shape.
 */
class ChatAndBatchRowsTest {
    static final Path F32_GGUF = Oracles.DIR.resolve("gguf/aidreams260K-f32.gguf");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static String template(String name) throws Exception {
        return Files.readString(Path.of("src/test/resources/chat-templates", name + ".jinja"), StandardCharsets.UTF_8);
    }

    /** @huggingface/jinja's rendering of {@code messages} with {@code template}. */
    static String jinja(String template, List<ChatMessage> messages, boolean addGenerationPrompt, String bos, String eos)
            throws Exception {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("template", template);
        in.put("messages", messages.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
        in.put("add_generation_prompt", addGenerationPrompt);
        in.put("bos_token", bos);
        in.put("eos_token", eos);
        JsonNode out = NodeReference.run("chat-render.mjs", List.of(in)).get(0);
        assertFalse(out.has("error"), out::toString);
        return out.get("text").asText();
    }

    private static List<PromptRow> jsonl(String... lines) {
        return PromptFiles.parse(PromptFiles.Kind.JSONL, "dir/c.jsonl", String.join("\n", lines));
    }

    @Test
    void messagesRowsAndTheirErrorsNameRowAndField() {
        List<PromptRow> rows = jsonl(
                "{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"add_generation_prompt\": false}",
                "{\"id\": \"b\"}",
                "{\"id\": \"c\", \"prompt\": \"x\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "{\"id\": \"d\", \"messages\": \"hello\"}",
                "{\"id\": \"e\", \"messages\": [{\"role\": \"user\"}]}",
                "{\"id\": \"f\", \"messages\": [{\"role\": \"user\", \"content\": 5}]}",
                "{\"id\": \"g\", \"messages\": [\"hi\"]}",
                "{\"id\": \"h\", \"messages\": []}",
                "{\"id\": \"i\", \"message\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "{\"id\": \"j\", \"prompt\": \"x\", \"add_generation_prompt\": true}");
        PromptRow a = rows.get(0);
        assertNull(a.inputError());
        assertNull(a.prompt());
        assertEquals(List.of(new ChatMessage("user", "hi")), a.messages());
        assertEquals(false, a.addGenerationPrompt());
        String[] expected = {
            null,
            "c.jsonl:2: missing field 'prompt'",
            "c.jsonl:3: has both 'prompt' and 'messages'; give one of them",
            "c.jsonl:4: field 'messages' must be a list of {role, content} objects, got \"hello\"",
            "c.jsonl:5: field 'messages[0]' has no 'content'",
            "c.jsonl:6: field 'messages[0].content' must be a string, got 5",
            "c.jsonl:7: field 'messages[0]' must be an object with 'role' and 'content', got \"hi\"",
            "c.jsonl:8: field 'messages' is an empty list",
            "c.jsonl:9: unknown field 'message'; did you mean 'messages'?",
            "c.jsonl:10: field 'add_generation_prompt' applies to 'messages' rows only",
        };
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], rows.get(i).inputError(), "line " + (i + 1));
        }
        // The fingerprint (resume) covers the messages.
        PromptRow other = jsonl("{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"ho\"}], "
                + "\"add_generation_prompt\": false}").get(0);
        assertNotEquals(a.fingerprint(), other.fingerprint());
        assertEquals(a.fingerprint(), jsonl("{\"id\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"add_generation_prompt\": false}").get(0).fingerprint());
    }

    @Test
    void csvMessagesAreAJsonString() {
        List<PromptRow> rows = PromptFiles.parse(PromptFiles.Kind.CSV, "p.csv",
                "id,messages,add_generation_prompt\nm,\"[{\"\"role\"\": \"\"user\"\", \"\"content\"\": \"\"hi, you\"\"}]\",true\n"
                        + "n,\"[{\"\"role\"\": 1}]\",\n");
        assertEquals(List.of(new ChatMessage("user", "hi, you")), rows.get(0).messages());
        assertEquals(true, rows.get(0).addGenerationPrompt());
        assertEquals("p.csv:3: field 'messages[0].role' must be a string, got 1", rows.get(1).inputError());
    }

    /**
     * The ids of a messages row: the text @huggingface/jinja renders, encoded with one BOS. Zephyr
     * writes no BOS (BOS is added in front); Mistral writes {@code bos_token} itself (its text is
     * replaced by the BOS id, not doubled and not spelt out as "<s>" pieces).
     */
    @Test
    void aChatRowIsTheTemplateRenderedByHuggingFaceJinjaEncodedWithOneBos() throws Exception {
        List<ChatMessage> chat = List.of(new ChatMessage("user", "Once upon a time"),
                new ChatMessage("assistant", "there was a cat."), new ChatMessage("user", "And then?"));
        JobDefaults defaults = new JobDefaults(10, 0f, 1f, 0, 0f, 42, List.of());
        for (String name : new String[] {"zephyr", "mistral"}) {
            Path gguf = ChatGguf.withTemplate(F32_GGUF, template(name), dir.resolve(name + ".gguf"));
            LoadedModel model = ModelFiles.open(gguf, null, Backend.VECTOR, 0, 0);
            assertNotNull(model.chatTemplate(), name);
            String bos = model.chatTemplate().bosToken();
            assertEquals("<s>", bos, "the GGUF's BOS token text");
            String text = jinja(template(name), chat, true, bos, "</s>");
            PromptRow row = new PromptRow("r", null, chat, null, null, null, null, null, null, null, null, "c.jsonl:1", null, null);
            GenerationRequest req = defaults.requestFor(row, model.chatTemplate(), model.tokenizer());
            assertEquals(text, req.prompt(), name + ": the rendered text is the row's prompt");
            int bosId = model.tokenizer().bosId();
            int[] rest = model.tokenizer().encode(text.startsWith(bos) ? text.substring(bos.length()) : text, false, false);
            int[] expected = new int[rest.length + 1];
            expected[0] = bosId;
            System.arraycopy(rest, 0, expected, 1, rest.length);
            assertArrayEquals(expected, req.promptTokens(), name);
            assertEquals(1, java.util.Arrays.stream(req.promptTokens()).filter(t -> t == bosId).count(), name + ": one BOS");
            if (name.equals("zephyr")) {
                // No BOS text in the template: the ids are exactly those of a prompt row holding the text.
                assertArrayEquals(model.tokenizer().encode(text, true, false), req.promptTokens());
            } else {
                assertTrue(text.startsWith("<s>[INST] "), text);
            }
        }
    }

    @Test
    void aChatRowWithoutATemplateOrThatTheTemplateRefusesIsOneLine() throws Exception {
        JobDefaults defaults = new JobDefaults(10, 0f, 1f, 0, 0f, 42, List.of());
        PromptRow row = new PromptRow("r", null, List.of(new ChatMessage("user", "hi")), null, null, null, null, null, null,
                null, null, "c.jsonl:4", null, null);
        LoadedModel plain = ModelFiles.open(F32_GGUF, null, Backend.VECTOR, 0, 0);
        assertNull(plain.chatTemplate());
        var e = org.junit.jupiter.api.Assertions.assertThrows(llamaspark.BadInputException.class,
                () -> defaults.requestFor(row, plain.chatTemplate(), plain.tokenizer()));
        assertEquals("c.jsonl:4: field 'messages' needs a chat template, and the model has none (GGUF tokenizer.chat_template, "
                + "or chat_template in tokenizer_config.json); give 'prompt' instead", e.getMessage());
        LoadedModel mistral = ModelFiles.open(ChatGguf.withTemplate(F32_GGUF, template("mistral"), dir.resolve("m2.gguf")),
                null, Backend.VECTOR, 0, 0);
        PromptRow twoUsers = new PromptRow("r", null, List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b")),
                null, null, null, null, null, null, null, null, "c.jsonl:5", null, null);
        e = org.junit.jupiter.api.Assertions.assertThrows(llamaspark.BadInputException.class,
                () -> defaults.requestFor(twoUsers, mistral.chatTemplate(), mistral.tokenizer()));
        assertEquals("c.jsonl:5: the chat template refused the messages: Conversation roles must alternate "
                + "user/assistant/user/assistant/...", e.getMessage());
    }

    private static List<PromptRow> requests(String... lines) {
        List<PromptRow> rows = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            byte[] b = lines[i].getBytes(StandardCharsets.UTF_8);
            rows.addAll(PromptFiles.lines(PromptFiles.Kind.OPENAI_BATCH, "d/b.jsonl", i + 1, b, b.length));
        }
        return rows;
    }

    @Test
    void openAiRequestsBecomeRowsAndEveryUnservableOneAnErrorRow() {
        List<PromptRow> ok = requests(
                "{\"custom_id\": \"c1\", \"method\": \"POST\", \"url\": \"/v1/completions\", \"body\": {\"model\": \"m\", "
                        + "\"prompt\": \"Once\", \"max_tokens\": 7, \"temperature\": 0.5, \"top_p\": 0.8, \"seed\": 9, "
                        + "\"stop\": \"x\", \"logprobs\": null, \"echo\": false, \"user\": \"u\"}}",
                "",
                "{\"custom_id\": \"c2\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {"
                        + "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_completion_tokens\": 5, \"n\": 3, "
                        + "\"seed\": 100, \"stop\": [\"a\", \"b\"]}}",
                "{\"custom_id\": \"c3\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {"
                        + "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 2}}");
        assertEquals(List.of("c1", "c2#0", "c2#1", "c2#2", "c3#0", "c3#1"), ok.stream().map(PromptRow::id).toList());
        ok.forEach(r -> assertNull(r.inputError(), r.id()));
        PromptRow c1 = ok.get(0);
        assertEquals("Once", c1.prompt());
        assertEquals(7, c1.maxNewTokens());
        assertEquals(0.5f, c1.temperature());
        assertEquals(0.8f, c1.topP());
        assertEquals(9L, c1.seed());
        assertEquals(List.of("x"), c1.stop());
        assertEquals(new PromptRow.BatchRequest("c1", 0, "/v1/completions", "m"), c1.request());
        assertEquals("b.jsonl:1", c1.source());
        for (int i = 0; i < 3; i++) {
            PromptRow c = ok.get(1 + i);
            assertEquals(List.of(new ChatMessage("user", "hi")), c.messages());
            assertEquals(5, c.maxNewTokens());
            assertEquals(100L + i, c.seed(), "choice i: seed + i");
            assertEquals(List.of("a", "b"), c.stop());
            assertEquals(new PromptRow.BatchRequest("c2", i, "/v1/chat/completions", null), c.request());
            assertEquals("b.jsonl:3", c.source());
        }
        assertNull(ok.get(4).seed(), "no seed: each choice's is derived from the job seed and its own id");

        String base = "\"method\": \"POST\", \"url\": \"/v1/completions\"";
        List<PromptRow> bad = requests(
                "{\"custom_id\": \"e1\", \"method\": \"POST\", \"url\": \"/v1/embeddings\", \"body\": {\"input\": \"x\"}}",
                "{\"custom_id\": \"e2\", " + base + "}",
                "{\"custom_id\": \"e3\", " + base + ", \"body\": {\"model\": \"m\"}}",
                "{\"custom_id\": \"e4\", " + base + ", \"body\": {\"prompt\": \"x\", \"logprobs\": 2}}",
                "{\"custom_id\": \"e5\", " + base + ", \"body\": {\"prompt\": \"x\", \"tools\": [{\"type\": \"function\"}]}}",
                "{\"custom_id\": \"e6\", \"method\": \"GET\", \"url\": \"/v1/completions\", \"body\": {\"prompt\": \"x\"}}",
                "{\"custom_id\": \"e7\", " + base + ", \"body\": {\"prompt\": [\"x\", \"y\"]}}",
                "{\"custom_id\": \"e8\", " + base + ", \"body\": {\"prompt\": \"x\", \"n\": 0}}",
                "{" + base + ", \"body\": {\"prompt\": \"x\"}}",
                "{\"custom_id\": \"e10\", " + base + ", \"body\": {\"prompt\": \"x\"",
                "{\"custom_id\": \"e11\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {\"prompt\": \"x\"}}",
                "{\"custom_id\": \"e12\", " + base + ", \"body\": {\"prompt\": \"x\", \"frobnicate\": 1}}");
        String[][] expected = {
            {"e1", "b.jsonl:1: field 'url' is \"/v1/embeddings\"; supported: /v1/completions, /v1/chat/completions"},
            {"e2", "b.jsonl:2: missing field 'body'"},
            {"e3", "b.jsonl:3: missing field 'body.prompt'"},
            {"e4", "b.jsonl:4: field 'body.logprobs' is not supported: only its default (false) is accepted, got 2"},
            {"e5", "b.jsonl:5: field 'body.tools' is not supported: only its default ([]) is accepted, got [{type=function}]"},
            {"e6", "b.jsonl:6: field 'method' is \"GET\"; only POST is supported"},
            {"e7", "b.jsonl:7: field 'body.prompt' must be a string (lists of prompts or of token ids are not supported), got [x, y]"},
            {"e8", "b.jsonl:8: field 'body.n' is 0; expected 1 to 128"},
            {"b.jsonl:9", "b.jsonl:9: missing field 'custom_id'"},
            {"b.jsonl:10", null},
            {"e11", "b.jsonl:11: field 'body.prompt' is not supported for /v1/chat/completions"},
            {"e12", "b.jsonl:12: field 'body.frobnicate' is not supported for /v1/completions"},
        };
        assertEquals(expected.length, bad.size(), "one error row per request");
        for (int i = 0; i < expected.length; i++) {
            PromptRow r = bad.get(i);
            assertEquals(expected[i][0], r.id());
            assertNotNull(r.request(), r.id());
            if (expected[i][1] != null) {
                assertEquals(expected[i][1], r.inputError());
            } else {
                assertTrue(r.inputError().startsWith("b.jsonl:10: malformed JSON: "), r.inputError());
                assertNull(r.request().customId());
            }
        }
    }

    @Test
    void outputLinesFollowTheBatchApiOutputObject() throws Exception {
        var choices = List.of(new OpenAiBatchOutput.Choice("one", "eos", 4, 3, null),
                new OpenAiBatchOutput.Choice("two", "length", 4, 5, null),
                new OpenAiBatchOutput.Choice("three", "stop", 4, 1, null));
        JsonNode chat = JSON.valueToTree(OpenAiBatchOutput.line(new OpenAiBatchOutput.Request("c", "/v1/chat/completions",
                null, "b.jsonl:1", null, false, choices), "model.gguf", 1700000000L));
        assertEquals(List.of("id", "custom_id", "response", "error"), fields(chat));
        assertTrue(chat.get("id").asText().startsWith("batch_req_"));
        assertTrue(chat.get("error").isNull());
        JsonNode response = chat.get("response");
        assertEquals(200, response.get("status_code").asInt());
        assertTrue(response.get("request_id").asText().startsWith("req_"));
        JsonNode body = response.get("body");
        assertEquals(List.of("id", "object", "created", "model", "choices", "usage"), fields(body));
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals("model.gguf", body.get("model").asText());
        assertEquals(1700000000L, body.get("created").asLong());
        assertEquals(List.of("stop", "length", "stop"), body.get("choices").findValuesAsText("finish_reason"));
        assertEquals("assistant", body.at("/choices/1/message/role").asText());
        assertEquals("two", body.at("/choices/1/message/content").asText());
        assertEquals(1, body.at("/choices/1/index").asInt());
        assertEquals(4, body.at("/usage/prompt_tokens").asInt());
        assertEquals(9, body.at("/usage/completion_tokens").asInt());
        assertEquals(13, body.at("/usage/total_tokens").asInt());

        JsonNode text = JSON.valueToTree(OpenAiBatchOutput.line(new OpenAiBatchOutput.Request("t", "/v1/completions",
                "gpt-x", "b.jsonl:2", null, false, choices.subList(0, 1)), "model.gguf", 1L));
        assertEquals("text_completion", text.at("/response/body/object").asText());
        assertEquals("one", text.at("/response/body/choices/0/text").asText());
        assertEquals("gpt-x", text.at("/response/body/model").asText(), "the request's model is recorded");

        JsonNode failed = JSON.valueToTree(OpenAiBatchOutput.line(new OpenAiBatchOutput.Request("f", null, null, "b.jsonl:3",
                "b.jsonl:3: missing field 'body'", false, List.of(new OpenAiBatchOutput.Choice(null, null, null, null, "x"))),
                "model.gguf", 1L));
        assertTrue(failed.get("response").isNull());
        assertEquals("invalid_request", failed.at("/error/code").asText());
        assertEquals("b.jsonl:3: missing field 'body'", failed.at("/error/message").asText());
    }

    private static List<String> fields(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
