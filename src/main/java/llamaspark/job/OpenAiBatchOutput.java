package llamaspark.job;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of an OpenAI batch output file ({@code --output-format openai-batch}) per request, as
 * the Batch API's output objects are: {@code id}, {@code custom_id}, {@code response}
 * ({@code status_code} 200, {@code request_id}, {@code body}: a {@code text_completion} or
 * {@code chat.completion} object with {@code choices} and {@code usage}) and {@code error} (null).
 * A request that failed has {@code response: null} and {@code error: {code, message}}; codes:
 * {@code invalid_request} (the line could not be read as a request we serve),
 * {@code duplicate_custom_id} (a later line with a custom_id already seen; the first one runs),
 * {@code generation_failed} (the engine could not run it, e.g. a prompt longer than the context).
 * Finish reasons: ours {@code length} is OpenAI's {@code length}; {@code eos} and {@code stop}
 * are {@code stop}. Ids are derived from the request's line and custom_id, so a rerun writes the
 * same ones.
 */
public final class OpenAiBatchOutput {
    /** One choice of a request: a generations row. */
    public record Choice(String completion, String finishReason, Integer promptTokens, Integer completionTokens,
                         String error) {
    }

    /**
     * A request and its choices in order.
     *
     * @param customId   null when the line had none (it could not be read)
     * @param url        {@code /v1/completions} or {@code /v1/chat/completions}; null when unknown
     * @param model      the request's {@code body.model}, else null (the job's model file name is used)
     * @param source     "file:line" of the request
     * @param inputError why the line is not a request we serve, else null
     * @param duplicate  a later occurrence of a custom_id
     */
    public record Request(String customId, String url, String model, String source, String inputError, boolean duplicate,
                          List<Choice> choices) {
    }

    private OpenAiBatchOutput() {
    }

    /**
     * The output object of {@code r}.
     *
     * @param modelName the job's model (file name), for requests that did not name one
     * @param created   Unix seconds for {@code body.created}
     */
    public static Map<String, Object> line(Request r, String modelName, long created) {
        String key = digest(r.source() + "\u001f" + r.customId());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", "batch_req_" + key);
        m.put("custom_id", r.customId());
        String code = null, message = null;
        if (r.duplicate()) {
            code = "duplicate_custom_id";
            message = r.inputError();
        } else if (r.inputError() != null) {
            code = "invalid_request";
            message = r.inputError();
        } else {
            for (Choice c : r.choices()) {
                if (c.error() != null) {
                    code = "generation_failed";
                    message = c.error();
                    break;
                }
            }
        }
        if (code != null) {
            m.put("response", null);
            m.put("error", Map.of("code", code, "message", message));
            return m;
        }
        boolean chat = OpenAiRequests.CHAT.equals(r.url());
        List<Map<String, Object>> choices = new ArrayList<>();
        long completionTokens = 0;
        for (int i = 0; i < r.choices().size(); i++) {
            Choice c = r.choices().get(i);
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", i);
            if (chat) {
                Map<String, Object> msg = new LinkedHashMap<>();
                msg.put("role", "assistant");
                msg.put("content", c.completion());
                choice.put("message", msg);
            } else {
                choice.put("text", c.completion());
            }
            choice.put("logprobs", null);
            choice.put("finish_reason", finishReason(c.finishReason()));
            choices.add(choice);
            completionTokens += c.completionTokens() == null ? 0 : c.completionTokens();
        }
        Integer promptTokens = r.choices().isEmpty() ? null : r.choices().get(0).promptTokens();
        long prompt = promptTokens == null ? 0 : promptTokens;
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", prompt + completionTokens);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", (chat ? "chatcmpl-" : "cmpl-") + key);
        body.put("object", chat ? "chat.completion" : "text_completion");
        body.put("created", created);
        body.put("model", r.model() != null ? r.model() : modelName);
        body.put("choices", choices);
        body.put("usage", usage);
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("status_code", 200);
        response.put("request_id", "req_" + key);
        response.put("body", body);
        m.put("response", response);
        m.put("error", null);
        return m;
    }

    /** Ours to OpenAI's: length is length; eos (the model ended) and stop (a stop string) are stop. */
    static String finishReason(String ours) {
        return ours == null ? null : ours.equals("length") ? "length" : "stop";
    }

    private static String digest(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
