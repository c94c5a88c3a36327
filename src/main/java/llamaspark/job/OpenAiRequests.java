package llamaspark.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import llamaspark.BadInputException;
import llamaspark.chat.ChatMessage;
import org.apache.hadoop.fs.Path;

/**
 * Reads a line of an OpenAI batch input file ({@code --input-format openai-batch}): {@code custom_id},
 * {@code method} (POST), {@code url} ({@code /v1/completions} with {@code body.prompt}, a string, or
 * {@code /v1/chat/completions} with {@code body.messages}) and {@code body}: {@code model}
 * (recorded, the job's model runs), {@code max_tokens} / {@code max_completion_tokens},
 * {@code temperature}, {@code top_p}, {@code seed}, {@code stop} (string or list), {@code n}, and
 * vLLM's extras {@code top_k}, {@code min_p}. A request becomes {@code n} rows (one per choice; ids
 * {@code custom_id} when n = 1, else {@code custom_id#0} ... {@code custom_id#<n-1>}, seeds
 * {@code seed + i} when the body has one, else derived from the job seed and each choice's id). A
 * request the engine cannot serve (bad JSON, no custom_id, another method or url, no body, a field
 * it does not support set to other than its default) is one error row naming the line and field.
 */
final class OpenAiRequests {
    static final String COMPLETIONS = "/v1/completions";
    static final String CHAT = "/v1/chat/completions";
    /** More choices than this per request is taken for a mistake. */
    static final int MAX_N = 128;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> TOP = Set.of("custom_id", "method", "url", "body");
    private static final Set<String> USED = Set.of("model", "max_tokens", "temperature", "top_p", "seed", "stop", "n",
            "top_k", "min_p");
    /** Accepted whatever their value: they do not change what is generated. */
    private static final Set<String> IGNORED = Set.of("user", "metadata", "store", "parallel_tool_calls", "service_tier");
    /** Fields the engine does not implement: accepted only at their default (or null). */
    private static final Map<String, List<Object>> DEFAULT_ONLY = Map.ofEntries(
            Map.entry("logprobs", List.of(false, 0)),
            Map.entry("top_logprobs", List.of(0)),
            Map.entry("echo", List.of(false)),
            Map.entry("best_of", List.of(1)),
            Map.entry("presence_penalty", List.of(0)),
            Map.entry("frequency_penalty", List.of(0)),
            Map.entry("logit_bias", List.of(Map.of())),
            Map.entry("stream", List.of(false)),
            Map.entry("stream_options", List.of()),
            Map.entry("suffix", List.of("")),
            Map.entry("tools", List.of(List.of())),
            Map.entry("functions", List.of(List.of())),
            Map.entry("tool_choice", List.of("none", "auto")),
            Map.entry("function_call", List.of("none", "auto")),
            Map.entry("response_format", List.of(Map.of("type", "text"))));

    private OpenAiRequests() {
    }

    /** The rows of line {@code number} (from 1) of an OpenAI batch file; empty for a blank line. */
    static List<PromptRow> line(String path, long number, byte[] bytes, int length) {
        String source = new Path(path).getName() + ":" + number;
        String defaultId = PromptFiles.defaultId(path, number);
        String text;
        try {
            text = Utf8.decode(bytes, length, number == 1);
        } catch (Utf8.Malformed e) {
            return List.of(PromptRow.error(defaultId, source, source + ": " + e.getMessage(), unknown()));
        }
        if (text.isBlank()) {
            return List.of();
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return List.of(PromptRow.error(defaultId, source, source + ": malformed JSON: " + e.getOriginalMessage(), unknown()));
        }
        if (node == null || !node.isObject()) {
            return List.of(PromptRow.error(defaultId, source, source + ": expected a JSON object (an OpenAI batch request)",
                    unknown()));
        }
        Map<String, Object> top = PromptFields.fromJson(node);
        String customId = top.get("custom_id") instanceof String s && !s.isEmpty() ? s : null;
        String url = top.get("url") instanceof String s ? s : null;
        Object body = top.get("body");
        String model = body instanceof Map<?, ?> b && b.get("model") instanceof String s ? s : null;
        PromptRow.BatchRequest failed = new PromptRow.BatchRequest(customId, 0, url, model);
        String id = customId != null ? customId : defaultId;
        try {
            return rows(top, customId, url, model, id, source);
        } catch (BadInputException e) {
            return List.of(PromptRow.error(id, source, e.getMessage(), failed));
        }
    }

    private static PromptRow.BatchRequest unknown() {
        return new PromptRow.BatchRequest(null, 0, null, null);
    }

    private static List<PromptRow> rows(Map<String, Object> top, String customId, String url, String model, String id,
                                        String source) {
        for (String k : top.keySet()) {
            if (!TOP.contains(k)) {
                throw new BadInputException(source, "unknown field '" + k + "'; a request has custom_id, method, url and body");
            }
        }
        if (customId == null) {
            throw new BadInputException(source, top.get("custom_id") == null ? "missing field 'custom_id'"
                    : "field 'custom_id' must be a non-empty string, got " + PromptFields.describe(top.get("custom_id")));
        }
        Object method = top.get("method");
        if (!"POST".equals(method)) {
            throw new BadInputException(source, method == null ? "missing field 'method'"
                    : "field 'method' is " + PromptFields.describe(method) + "; only POST is supported");
        }
        if (!COMPLETIONS.equals(url) && !CHAT.equals(url)) {
            throw new BadInputException(source, url == null ? "missing field 'url'"
                    : "field 'url' is " + PromptFields.describe(top.get("url")) + "; supported: " + COMPLETIONS + ", " + CHAT);
        }
        if (!(top.get("body") instanceof Map<?, ?> rawBody)) {
            throw new BadInputException(source, top.get("body") == null ? "missing field 'body'"
                    : "field 'body' must be an object, got " + PromptFields.describe(top.get("body")));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) rawBody;
        boolean chat = CHAT.equals(url);
        for (Map.Entry<String, Object> e : body.entrySet()) {
            String k = e.getKey();
            if (e.getValue() == null || USED.contains(k) || IGNORED.contains(k)
                    || (chat ? k.equals("messages") || k.equals("max_completion_tokens") : k.equals("prompt"))) {
                continue;
            }
            List<Object> defaults = DEFAULT_ONLY.get(k);
            if (defaults == null) {
                throw new BadInputException(source, "field 'body." + k + "' is not supported for " + url);
            }
            if (!isDefault(e.getValue(), defaults)) {
                throw new BadInputException(source, "field 'body." + k + "' is not supported: only its default ("
                        + (defaults.isEmpty() ? "null" : defaults.get(0)) + ") is accepted, got " + PromptFields.describe(e.getValue()));
            }
        }
        Function<String, Object> f = name -> body.get(name.substring("body.".length()));
        String prompt = null;
        List<ChatMessage> messages = null;
        if (chat) {
            if (body.get("messages") == null) {
                throw new BadInputException(source, "missing field 'body.messages'");
            }
            messages = PromptFields.messages(body.get("messages"), "body.messages", source);
        } else {
            Object p = body.get("prompt");
            if (p == null) {
                throw new BadInputException(source, "missing field 'body.prompt'");
            }
            if (!(p instanceof String s)) {
                throw new BadInputException(source, "field 'body.prompt' must be a string (lists of prompts or of token ids "
                        + "are not supported), got " + PromptFields.describe(p));
            }
            prompt = s;
        }
        Integer maxTokens = PromptFields.integer(f, "body.max_tokens", source);
        Integer maxCompletion = chat ? PromptFields.integer(f, "body.max_completion_tokens", source) : null;
        if (maxTokens != null && maxCompletion != null && !maxTokens.equals(maxCompletion)) {
            throw new BadInputException(source, "fields 'body.max_tokens' (" + maxTokens + ") and 'body.max_completion_tokens' ("
                    + maxCompletion + ") disagree");
        }
        Integer n = PromptFields.integer(f, "body.n", source);
        if (n != null && (n < 1 || n > MAX_N)) {
            throw new BadInputException(source, "field 'body.n' is " + n + "; expected 1 to " + MAX_N);
        }
        int choices = n == null ? 1 : n;
        Float temperature = PromptFields.decimal(f, "body.temperature", source);
        Float topP = PromptFields.decimal(f, "body.top_p", source);
        Integer topK = PromptFields.integer(f, "body.top_k", source);
        Float minP = PromptFields.decimal(f, "body.min_p", source);
        Long seed = PromptFields.longInteger(f, "body.seed", source);
        List<String> stop = PromptFields.stop(body.get("stop"), source);
        if (body.get("model") != null && !(body.get("model") instanceof String)) {
            throw new BadInputException(source, "field 'body.model' must be a string, got " + PromptFields.describe(body.get("model")));
        }
        Integer max = maxCompletion != null ? maxCompletion : maxTokens;
        List<PromptRow> rows = new ArrayList<>(choices);
        for (int i = 0; i < choices; i++) {
            rows.add(new PromptRow(choices == 1 ? id : id + "#" + i, prompt, messages, null, max, temperature, topP, topK, minP,
                    seed == null ? null : seed + i, stop, source, null, new PromptRow.BatchRequest(customId, i, url, model)));
        }
        return rows;
    }

    /** A value equal to one of {@code defaults} (numbers compared by value: 0 and 0.0 alike). */
    private static boolean isDefault(Object v, List<Object> defaults) {
        for (Object d : defaults) {
            if (v instanceof Number a && d instanceof Number b ? a.doubleValue() == b.doubleValue() : Objects.equals(v, d)) {
                return true;
            }
        }
        return false;
    }
}
