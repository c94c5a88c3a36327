package llamaspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import llamaspark.NodeReference;
import llamaspark.chat.ChatMessage;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.EndTokens;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.job.JobDefaults;
import llamaspark.job.PromptFiles;
import llamaspark.job.PromptRow;
import llamaspark.model.LoadedModel;
import llamaspark.model.ModelFiles;
import llamaspark.model.hf.Llama3Twin;
import llamaspark.model.kernel.Backend;
import llamaspark.model.quant.GgmlType;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.SamplingParams;
import llamaspark.tokenizer.TokenizerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat rows on a Llama 3 shaped model with the real Llama 3 vocabulary and chat template (the
 * {@link Llama3Twin}: GGUF with {@code tokenizer.chat_template}, Hugging Face directory with
 * tokenizer_config.json and generation_config.json), through {@code batch}: the prompt is the text
 * {@code @huggingface/jinja} renders, its ids those llama3-tokenizer-js gives for that text (special
 * tokens recognised, one {@code <|begin_of_text|>}); GGUF and HF forms complete alike; an OpenAI
 * batch file of chat requests round-trips; {@code <|eot_id|>} ends a choice with "stop".
 */
class Llama3ChatBatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NEW_TOKENS = 24;

    @TempDir
    static Path dir;
    /** Untied, F32 (so the classifier's rows can be swapped in a copy). */
    private static Llama3Twin twin;
    private static List<List<ChatMessage>> chats;

    private record Run(int exit, String err) {
    }

    /** A stage's line of the --profile table: its indent, calls and total ms. */
    private record StageLine(int indent, long calls, double totalMs) {
        static StageLine of(String table, String label) {
            for (String line : table.split("\\R")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[0].equals(label)) {
                    return new StageLine(line.indexOf(label), Long.parseLong(f[1]), Double.parseDouble(f[2]));
                }
            }
            throw new AssertionError("no " + label + " line in\n" + table);
        }
    }

    private static synchronized Run batch(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            // The backend the reference generation below uses, so sampled rows compare token for token.
            String[] all = new String[args.length + 3];
            all[0] = "batch";
            all[1] = "--backend";
            all[2] = "vector";
            System.arraycopy(args, 0, all, 3, args.length);
            int exit = Main.run(all);
            return new Run(exit, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @BeforeAll
    static void write() {
        twin = Llama3Twin.write(dir.resolve("twin"), GgmlType.F32, Llama3Twin.shape(false), 2, 41);
        chats = List.of(
                List.of(new ChatMessage("system", "You are a terse assistant."), new ChatMessage("user", "Name three rivers.")),
                List.of(new ChatMessage("system", "Answer in French."), new ChatMessage("user", "What is 12 + 30?"),
                        new ChatMessage("assistant", "42, c'est quarante-deux."), new ChatMessage("user", "  And 7 × 6? 🙂\n")),
                List.of(new ChatMessage("user", "Write <|eot_id|> literally? def f(x):\n\treturn x")));
    }

    private static ArrayNode messagesJson(List<ChatMessage> chat) {
        ArrayNode a = JSON.createArrayNode();
        for (ChatMessage m : chat) {
            a.addObject().put("role", m.role()).put("content", m.content());
        }
        return a;
    }

    /** @huggingface/jinja's rendering of each chat with the template of tokenizer_config.json. */
    private static List<String> jinja(List<List<ChatMessage>> chats) throws Exception {
        TokenizerConfig config = TokenizerConfig.load(Llama3Twin.TOKENIZER_CONFIG);
        List<Map<String, Object>> in = new ArrayList<>();
        for (List<ChatMessage> chat : chats) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("template", config.chatTemplate());
            c.put("messages", chat.stream().map(m -> Map.of("role", m.role(), "content", m.content())).toList());
            c.put("add_generation_prompt", true);
            c.put("bos_token", config.bosToken());
            c.put("eos_token", config.eosToken());
            in.add(c);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : NodeReference.run("chat-render.mjs", in)) {
            assertFalse(n.has("error"), n::toString);
            out.add(n.get("text").asText());
        }
        return out;
    }

    /** llama3-tokenizer-js's ids of each text (it recognises special-token text; adds no BOS of its own). */
    private static List<int[]> llama3TokenizerJs(List<String> texts) throws Exception {
        List<int[]> out = new ArrayList<>();
        for (JsonNode n : NodeReference.run("llama3-tokens.mjs", texts, "js")) {
            int[] ids = new int[n.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = n.get(i).asInt();
            }
            out.add(ids);
        }
        return out;
    }

    private static Path chatRows(String name, String extra) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < chats.size(); i++) {
            ObjectNode row = JSON.createObjectNode().put("id", "c" + i);
            row.set("messages", messagesJson(chats.get(i)));
            sb.append(row.toString(), 0, row.toString().length() - 1).append(extra).append("}\n");
        }
        Path p = dir.resolve(name);
        Files.writeString(p, sb.toString());
        return p;
    }

    private static Map<String, JsonNode> byId(Path out, String field) throws Exception {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        for (String line : Files.readAllLines(out)) {
            JsonNode n = JSON.readTree(line);
            assertTrue(m.put(n.get(field).asText(), n) == null, "once: " + line);
        }
        return m;
    }

    private static int[] ints(JsonNode array) {
        int[] a = new int[array.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = array.get(i).asInt();
        }
        return a;
    }

    /** The model's completion of ready-made prompt ids, as the generator gives it (no text involved). */
    private static Map<String, GenerationResult> generate(Path model, List<GenerationRequest> requests) {
        LoadedModel m = ModelFiles.open(model, null, Backend.VECTOR, 0, 0);
        Map<String, GenerationResult> out = new HashMap<>();
        try (BatchGenerator g = BatchGenerator.create(m.weights(), m.tokenizer(),
                GeneratorOptions.of(Backend.VECTOR, 4).withEnds(EndTokens.BOS_AND_EOS), StageProfile.disabled())) {
            g.run(requests.iterator(), r -> out.put(r.id(), r));
        }
        return out;
    }

    /**
     * (a) and (b): each chat row's prompt is @huggingface/jinja's text; its ids are llama3-tokenizer-js's
     * ids of that text with exactly one {@code <|begin_of_text|>}; the completion batch writes is the
     * one the generator gives for those reference ids; GGUF and HF directory give the same rows.
     */
    @Test
    void chatRowsAreTheReferenceRenderingEncodedByAnIndependentEncoderInBothForms() throws Exception {
        List<String> texts = jinja(chats);
        List<int[]> ids = llama3TokenizerJs(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertTrue(texts.get(i).startsWith("<|begin_of_text|><|start_header_id|>"), texts.get(i));
            assertTrue(texts.get(i).endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n"), texts.get(i));
            assertEquals(Llama3Twin.BOS, ids.get(i)[0]);
            assertEquals(1, IntStream.of(ids.get(i)).filter(t -> t == Llama3Twin.BOS).count(), "one <|begin_of_text|>");
            assertEquals(chats.get(i).size() + 1, IntStream.of(ids.get(i)).filter(t -> t == 128006).count(),
                    "<|start_header_id|> is one id per header, not spelt out");
        }
        // The third chat's user text holds "<|eot_id|>": the template writes it and both encoders read it as the token.
        Path rows = chatRows("chat.jsonl", ", \"max_new_tokens\": " + NEW_TOKENS + ", \"temperature\": 0");
        Path sampledRows = chatRows("chat-sampled.jsonl", ", \"max_new_tokens\": " + NEW_TOKENS
                + ", \"temperature\": 1, \"top_p\": 0.9, \"seed\": 5");
        Map<String, Map<String, JsonNode>> outputs = new HashMap<>();
        for (Path model : new Path[] {twin.gguf(), twin.hfDir()}) {
            LoadedModel loaded = ModelFiles.open(model, null, Backend.VECTOR, 0, 0);
            assertNotNull(loaded.chatTemplate(), model + " carries Llama 3's chat template");
            assertEquals("<|begin_of_text|>", loaded.chatTemplate().bosToken(), model.toString());
            // The ids the job's request gets (JobDefaults.requestFor is what batch and the Spark job call).
            List<PromptRow> parsed = PromptFiles.parse(PromptFiles.Kind.JSONL, rows.toString(), Files.readString(rows));
            JobDefaults defaults = new JobDefaults(NEW_TOKENS, 0f, 1f, 0, 0f, 1, List.of());
            for (int i = 0; i < chats.size(); i++) {
                GenerationRequest q = defaults.requestFor(parsed.get(i), loaded.chatTemplate(), loaded.tokenizer());
                assertEquals(texts.get(i), q.prompt(), model + " c" + i);
                assertArrayEquals(ids.get(i), q.promptTokens(), model + " c" + i);
            }
            for (Path in : new Path[] {rows, sampledRows}) {
                Path out = dir.resolve(model.getFileName() + "-" + in.getFileName());
                Run r = batch("--model", model.toString(), "--prompts", in.toString(), "--out", out.toString());
                assertEquals(0, r.exit(), r.err());
                Map<String, JsonNode> got = byId(out, "id");
                outputs.put(model.getFileName() + "/" + in.getFileName(), got);
                List<GenerationRequest> reference = new ArrayList<>();
                for (int i = 0; i < chats.size(); i++) {
                    JsonNode row = got.get("c" + i);
                    assertTrue(row.get("error").isNull(), row.toString());
                    assertEquals(texts.get(i), row.get("prompt").asText());
                    assertEquals(ids.get(i).length, row.get("prompt_tokens").asInt());
                    SamplingParams s = in == rows ? SamplingParams.greedy()
                            : new SamplingParams(1f, 0.9f, row.get("top_k").asInt(), row.get("min_p").floatValue(), 5);
                    reference.add(new GenerationRequest("c" + i, "chat " + i, ids.get(i), s, NEW_TOKENS, List.of()));
                }
                Map<String, GenerationResult> want = generate(model, reference);
                for (int i = 0; i < chats.size(); i++) {
                    JsonNode row = got.get("c" + i);
                    GenerationResult w = want.get("c" + i);
                    assertArrayEquals(w.completionTokens(), ints(row.get("token_ids")), model + " " + in + " c" + i);
                    assertEquals(w.completion(), row.get("completion").asText());
                }
            }
        }
        for (String in : new String[] {"chat.jsonl", "chat-sampled.jsonl"}) {
            Map<String, JsonNode> a = outputs.get("twin.gguf/" + in), b = outputs.get("twin-hf/" + in);
            for (int i = 0; i < chats.size(); i++) {
                JsonNode x = a.get("c" + i), y = b.get("c" + i);
                assertEquals(x.get("prompt_tokens"), y.get("prompt_tokens"));
                assertEquals(x.get("token_ids"), y.get("token_ids"), in + " c" + i);
                assertEquals(x.get("completion"), y.get("completion"));
                assertEquals(NEW_TOKENS, x.get("token_ids").size(), "random weights rarely pick an end token: " + x);
            }
        }
    }

    /**
     * Rendering chat rows is timed as generate.chat_template and encoding the rendered text as
     * generate.tokenize, both children of generate.iteration: one render per chat row, every share
     * within the iteration's total.
     */
    @Test
    void chatRenderingIsInTheProfileTableBesideTokenize() throws Exception {
        Path rows = chatRows("chat-profile.jsonl", ", \"max_new_tokens\": 4");
        Run r = batch("--model", twin.gguf().toString(), "--prompts", rows.toString(), "--out",
                dir.resolve("profile-out.jsonl").toString(), "--profile", "--batch-size", "2");
        assertEquals(0, r.exit(), r.err());
        StageLine iteration = StageLine.of(r.err(), "generate.iteration");
        StageLine tokenize = StageLine.of(r.err(), "generate.tokenize");
        StageLine chat = StageLine.of(r.err(), "generate.chat_template");
        assertEquals(chats.size(), chat.calls(), r.err());
        assertTrue(chat.indent() == tokenize.indent() && tokenize.indent() > iteration.indent(), r.err());
        assertTrue(chat.totalMs() > 0 && tokenize.totalMs() > 0
                && chat.totalMs() + tokenize.totalMs() <= iteration.totalMs(), r.err());
    }

    /**
     * (c) An OpenAI batch file of /v1/chat/completions requests with n = 2: every custom_id once, two
     * choices each equal to a chat row with seeds seed and seed + 1, usage counting the reference
     * prompt ids once and every choice's tokens.
     */
    @Test
    void openAiChatRequestsRoundTripWithUsageCounts() throws Exception {
        List<int[]> ids = llama3TokenizerJs(jinja(chats));
        StringBuilder requests = new StringBuilder();
        StringBuilder plain = new StringBuilder();
        for (int i = 0; i < chats.size(); i++) {
            ObjectNode req = JSON.createObjectNode().put("custom_id", "req-" + i).put("method", "POST")
                    .put("url", "/v1/chat/completions");
            ObjectNode body = req.putObject("body").put("model", "llama-3-twin");
            body.set("messages", messagesJson(chats.get(i)));
            body.put("max_tokens", 10 + i).put("n", 2).put("temperature", 0.8).put("seed", 100 * i);
            requests.append(req).append('\n');
            for (int c = 0; c < 2; c++) {
                ObjectNode row = JSON.createObjectNode().put("id", "p" + i + "-" + c);
                row.set("messages", messagesJson(chats.get(i)));
                row.put("max_new_tokens", 10 + i).put("temperature", 0.8).put("seed", 100 * i + c);
                plain.append(row).append('\n');
            }
        }
        Path in = dir.resolve("requests.jsonl"), plainIn = dir.resolve("plain.jsonl");
        Files.writeString(in, requests.toString());
        Files.writeString(plainIn, plain.toString());
        Path out = dir.resolve("openai-out.jsonl"), plainOut = dir.resolve("plain-out.jsonl");
        Run r = batch("--model", twin.gguf().toString(), "--prompts", in.toString(), "--out", out.toString(),
                "--input-format", "openai-batch", "--output-format", "openai-batch");
        assertEquals(0, r.exit(), r.err());
        assertEquals(0, batch("--model", twin.gguf().toString(), "--prompts", plainIn.toString(), "--out",
                plainOut.toString()).exit());
        Map<String, JsonNode> got = byId(out, "custom_id");
        Map<String, JsonNode> rows = byId(plainOut, "id");
        assertEquals(List.of("req-0", "req-1", "req-2"), new ArrayList<>(got.keySet()));
        for (int i = 0; i < chats.size(); i++) {
            JsonNode line = got.get("req-" + i);
            assertTrue(line.get("error").isNull(), line.toString());
            assertEquals(200, line.at("/response/status_code").asInt());
            JsonNode body = line.at("/response/body");
            assertEquals("chat.completion", body.get("object").asText());
            JsonNode choices = body.get("choices");
            assertEquals(2, choices.size());
            int completionTokens = 0;
            for (int c = 0; c < 2; c++) {
                JsonNode row = rows.get("p" + i + "-" + c);
                assertEquals(c, choices.get(c).get("index").asInt());
                assertEquals("assistant", choices.get(c).at("/message/role").asText());
                assertEquals(row.get("completion").asText(), choices.get(c).at("/message/content").asText());
                assertEquals("length", choices.get(c).get("finish_reason").asText());
                assertEquals(10 + i, row.get("completion_tokens").asInt());
                completionTokens += row.get("completion_tokens").asInt();
            }
            assertFalse(choices.get(0).at("/message/content").asText().equals(choices.get(1).at("/message/content").asText()),
                    "two seeds, two choices");
            assertEquals(ids.get(i).length, body.at("/usage/prompt_tokens").asInt(), "the prompt counts once");
            assertEquals(completionTokens, body.at("/usage/completion_tokens").asInt());
            assertEquals(ids.get(i).length + completionTokens, body.at("/usage/total_tokens").asInt());
        }
    }

    /**
     * (d) A copy of the HF directory whose classifier rows of {@code <|eot_id|>} and of a greedy
     * token are swapped: the chat's greedy choice then ends on {@code <|eot_id|>} (an end id from
     * generation_config.json, not the EOS), and the OpenAI output says "stop" with the text before it.
     */
    @Test
    void aChoiceEndingOnEotIdFinishesWithStop() throws Exception {
        List<ChatMessage> chat = chats.get(0);
        ObjectNode req = JSON.createObjectNode().put("custom_id", "eot").put("method", "POST").put("url", "/v1/chat/completions");
        ObjectNode body = req.putObject("body");
        body.set("messages", messagesJson(chat));
        body.put("max_tokens", NEW_TOKENS).put("temperature", 0);
        Path in = dir.resolve("eot.jsonl");
        Files.writeString(in, req + "\n");
        Path before = dir.resolve("eot-before.jsonl");
        assertEquals(0, batch("--model", twin.hfDir().toString(), "--prompts", in.toString(), "--out", before.toString(),
                "--input-format", "openai-batch", "--output-format", "openai-batch").exit());
        JsonNode original = JSON.readTree(Files.readAllLines(before).get(0)).at("/response/body/choices/0");
        assertEquals("length", original.get("finish_reason").asText());

        LoadedModel hf = ModelFiles.open(twin.hfDir(), null, Backend.VECTOR, 0, 0);
        int[] greedy = generate(twin.hfDir(), List.of(new JobDefaults(NEW_TOKENS, 0f, 1f, 0, 0f, 1, List.of()).requestFor(
                new PromptRow("g", null, chat, null, null, null, null, null, null, null, null, "eot.jsonl:1", null, null),
                hf.chatTemplate(), hf.tokenizer()))).get("g").completionTokens();
        // The first position whose token did not occur before it (greedy on random weights repeats).
        int at = 1;
        while (at < greedy.length && contains(java.util.Arrays.copyOf(greedy, at), greedy[at])) {
            at++;
        }
        assertTrue(at < greedy.length - 1, "a fresh token to swap: " + java.util.Arrays.toString(greedy));
        int swapped = greedy[at];

        Path copy = Llama3Twin.withClassifierRowsSwapped(twin.hfDir(), dir.resolve("twin-hf-eot"), swapped, Llama3Twin.EOT);
        Path after = dir.resolve("eot-after.jsonl");
        Run r = batch("--model", copy.toString(), "--prompts", in.toString(), "--out", after.toString(),
                "--input-format", "openai-batch", "--output-format", "openai-batch");
        assertEquals(0, r.exit(), r.err());
        JsonNode line = JSON.readTree(Files.readAllLines(after).get(0));
        JsonNode choice = line.at("/response/body/choices/0");
        assertEquals("stop", choice.get("finish_reason").asText(), line.toString());
        String text = hf.tokenizer().decodeText(greedy, 0, at, -1);
        assertEquals(text, choice.at("/message/content").asText(), "the text before <|eot_id|>, without it");
        assertTrue(original.at("/message/content").asText().startsWith(text));
        assertEquals(at + 1, line.at("/response/body/usage/completion_tokens").asInt(), "<|eot_id|> itself is a sampled token");
    }

    private static boolean contains(int[] a, int v) {
        return IntStream.of(a).anyMatch(t -> t == v);
    }
}
