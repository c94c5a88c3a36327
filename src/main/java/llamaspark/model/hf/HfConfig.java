package llamaspark.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import llamaspark.BadInputException;
import llamaspark.JsonFiles;
import llamaspark.model.RopeScaling;

/**
 * A Llama-architecture Hugging Face {@code config.json}, with transformers' LlamaConfig defaults
 * for absent keys (num_key_value_heads = heads, head_dim = hidden / heads, rms_norm_eps 1e-6,
 * rope_theta 10000, no scaling, untied embeddings).
 *
 * @param headDim HD, which may differ from hidden_size / num_attention_heads
 * @param bosId   bos_token_id, -1 when absent
 * @param eosIds  eos_token_id (an int or a list), empty when absent
 */
public record HfConfig(int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads, int headDim,
                       float rmsEps, float ropeTheta, RopeScaling ropeScaling, int maxPositions, int vocabSize,
                       boolean tieWordEmbeddings, int bosId, int[] eosIds) {

    public static HfConfig read(Path configJson) {
        JsonNode root = JsonFiles.readObject(configJson, "file not found (a Hugging Face model directory needs config.json)");
        return of(configJson.toString(), root);
    }

    static HfConfig of(String source, JsonNode c) {
        String type = c.path("model_type").asText("");
        if (!type.equals("llama")) {
            throw new BadInputException(source, "model_type is '" + type + "', only 'llama' is supported");
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new BadInputException(source, "hidden_act is '" + act + "', only 'silu' is supported");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (c.path(bias).asBoolean(false)) {
                throw new BadInputException(source, bias + " is true; biases are not supported");
            }
        }
        int hidden = positive(source, c, "hidden_size", -1);
        int heads = positive(source, c, "num_attention_heads", -1);
        int kvHeads = positive(source, c, "num_key_value_heads", heads);
        int headDim = c.path("head_dim").isNull() ? hidden / heads : positive(source, c, "head_dim", hidden / heads);
        if (headDim % 2 != 0) {
            throw new BadInputException(source, "head_dim=" + headDim + " must be even for rotary embeddings");
        }
        if (heads % kvHeads != 0) {
            throw new BadInputException(source, "num_attention_heads=" + heads
                    + " is not a multiple of num_key_value_heads=" + kvHeads);
        }
        RopeScaling scaling = ropeScaling(source, c.path("rope_scaling"));
        int[] eos;
        JsonNode e = c.path("eos_token_id");
        if (e.isArray()) {
            eos = new int[e.size()];
            for (int i = 0; i < eos.length; i++) {
                eos[i] = e.get(i).asInt(-1);
            }
        } else {
            eos = e.isInt() ? new int[] {e.intValue()} : new int[0];
        }
        return new HfConfig(hidden, positive(source, c, "intermediate_size", -1),
                positive(source, c, "num_hidden_layers", -1), heads, kvHeads, headDim,
                number(source, c, "rms_norm_eps", 1e-6f), number(source, c, "rope_theta", 10000f), scaling,
                positive(source, c, "max_position_embeddings", 2048), positive(source, c, "vocab_size", -1),
                c.path("tie_word_embeddings").asBoolean(false), c.path("bos_token_id").asInt(-1), eos);
    }

    private static RopeScaling ropeScaling(String source, JsonNode s) {
        if (s.isMissingNode() || s.isNull()) {
            return null;
        }
        String type = s.has("rope_type") ? s.path("rope_type").asText() : s.path("type").asText("");
        RopeScaling r = switch (type) {
            case "default" -> null;
            case RopeScaling.LLAMA3 -> RopeScaling.llama3(number(source, s, "factor", -1),
                    number(source, s, "low_freq_factor", -1), number(source, s, "high_freq_factor", -1),
                    positive(source, s, "original_max_position_embeddings", -1));
            case RopeScaling.LINEAR -> RopeScaling.linear(number(source, s, "factor", -1));
            default -> throw new BadInputException(source, "rope_scaling type '" + type
                    + "' is not supported; expected llama3, linear or default");
        };
        return r == null ? null : r.validate(source);
    }

    private static int positive(String source, JsonNode c, String key, int fallback) {
        JsonNode v = c.path(key);
        if (v.isMissingNode() || v.isNull()) {
            if (fallback > 0) {
                return fallback;
            }
            throw new BadInputException(source, "key '" + key + "' is missing (expected a positive integer)");
        }
        if (!v.isInt() || v.intValue() <= 0) {
            throw new BadInputException(source, "key '" + key + "' is " + v + ", expected a positive integer");
        }
        return v.intValue();
    }

    private static float number(String source, JsonNode c, String key, float fallback) {
        JsonNode v = c.path(key);
        if (v.isMissingNode() || v.isNull()) {
            if (fallback >= 0) {
                return fallback;
            }
            throw new BadInputException(source, "key '" + key + "' is missing (expected a number)");
        }
        if (!v.isNumber()) {
            throw new BadInputException(source, "key '" + key + "' is " + v + ", expected a number");
        }
        return v.floatValue();
    }
}
