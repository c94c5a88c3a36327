package llamaspark.model.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import llamaspark.BadInputException;
import llamaspark.tokenizer.BpeTokenizer;

/**
 * The byte-level BPE vocabulary a GGUF file stores ({@code tokenizer.ggml.model = gpt2}, as
 * llama.cpp's converter writes Llama 3's): {@code tokens} (byte-level text; special tokens as
 * their text), {@code merges} ("left right" in rank order), {@code token_type}, {@code pre} (the
 * pre-tokenizer's name) and the BOS/EOS/EOT/EOM ids; EOS, EOT and EOM end a generated row.
 */
public final class GgufBpeVocabulary {
    public static final String MODEL_GPT2 = "gpt2";
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String PRE = "tokenizer.ggml.pre";
    public static final String EOT = "tokenizer.ggml.eot_token_id";
    public static final String EOM = "tokenizer.ggml.eom_token_id";

    /** The arrays of a vocabulary, as GGUF stores them. */
    public record Arrays(String[] tokens, String[] merges, int[] types) {
    }

    private GgufBpeVocabulary() {
    }

    public static BpeTokenizer read(GgufMetadata m) {
        String source = m.source();
        String model = m.string(GgufVocabulary.MODEL);
        if (!MODEL_GPT2.equals(model)) {
            throw new BadInputException(source, "metadata key '" + GgufVocabulary.MODEL + "' is '" + model
                    + "', expected 'gpt2' (byte-level BPE)");
        }
        String[] tokens = m.stringArray(GgufVocabulary.TOKENS);
        String[] merges = m.has(MERGES) ? m.stringArray(MERGES) : new String[0];
        int[] types;
        if (m.has(GgufVocabulary.TOKEN_TYPE)) {
            types = m.intArray(GgufVocabulary.TOKEN_TYPE);
            if (types.length != tokens.length) {
                throw new BadInputException(source, "metadata key '" + GgufVocabulary.TOKEN_TYPE + "' has "
                        + types.length + " types for " + tokens.length + " tokens");
            }
        } else {
            types = new int[tokens.length];
            java.util.Arrays.fill(types, BpeTokenizer.TYPE_NORMAL);
        }
        String pre = m.string(PRE, "default");
        Set<Integer> extra = new LinkedHashSet<>();
        for (String key : new String[] {EOT, EOM}) {
            if (m.has(key)) {
                extra.add(id(m, key, tokens.length));
            }
        }
        int bos = m.has(GgufVocabulary.BOS) ? id(m, GgufVocabulary.BOS, tokens.length) : -2;
        int eos = m.has(GgufVocabulary.EOS) ? id(m, GgufVocabulary.EOS, tokens.length) : -2;
        return new BpeTokenizer(source, tokens, merges, types, BpeTokenizer.patternForPre(source, pre),
                BpeTokenizer.ignoreMergesForPre(pre), bos, eos, extra.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int id(GgufMetadata m, String key, int vocab) {
        int id = m.int32(key);
        if (id < 0 || id >= vocab) {
            throw new BadInputException(m.source(), "metadata key '" + key + "' is " + id
                    + ", outside the vocabulary of " + vocab + " tokens");
        }
        return id;
    }

    /**
     * The GGUF arrays of a Hugging Face {@code tokenizer.json}, typed as llama.cpp's converter
     * types them: vocabulary entries NORMAL, special added tokens CONTROL, other added tokens
     * USER_DEFINED.
     */
    public static Arrays fromTokenizerJson(Path tokenizerJson) {
        String source = tokenizerJson.toString();
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(tokenizerJson));
        } catch (IOException e) {
            throw new BadInputException(source, "cannot read as JSON (" + e.getMessage() + ")", e);
        }
        JsonNode vocab = root.path("model").path("vocab");
        if (!vocab.isObject()) {
            throw new BadInputException(source, "model.vocab is missing or not an object");
        }
        int size = 0;
        for (Iterator<JsonNode> it = vocab.elements(); it.hasNext();) {
            size = Math.max(size, it.next().asInt() + 1);
        }
        for (JsonNode a : root.path("added_tokens")) {
            size = Math.max(size, a.path("id").asInt() + 1);
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = BpeTokenizer.TYPE_NORMAL;
        }
        for (JsonNode a : root.path("added_tokens")) {
            int id = a.path("id").asInt();
            tokens[id] = a.path("content").asText();
            types[id] = a.path("special").asBoolean(false) ? BpeTokenizer.TYPE_CONTROL : BpeTokenizer.TYPE_USER_DEFINED;
        }
        for (int id = 0; id < size; id++) {
            if (tokens[id] == null) {
                throw new BadInputException(source, "no token has id " + id);
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode mg : root.path("model").path("merges")) {
            merges.add(mg.isArray() ? mg.get(0).asText() + " " + mg.get(1).asText() : mg.asText());
        }
        return new Arrays(tokens, merges.toArray(new String[0]), types);
    }

    /** Writes {@code v} as a gpt2 vocabulary with pre-tokenizer {@code pre} and the given special ids (-1: none). */
    public static void put(GgufWriter w, Arrays v, String pre, int bos, int eos, int eot) {
        w.putString(GgufVocabulary.MODEL, MODEL_GPT2);
        w.putString(PRE, pre);
        w.putArray(GgufVocabulary.TOKENS, GgufValueType.STRING, v.tokens());
        w.putArray(GgufVocabulary.TOKEN_TYPE, GgufValueType.INT32, v.types());
        w.putArray(MERGES, GgufValueType.STRING, v.merges());
        if (bos >= 0) {
            w.putUint32(GgufVocabulary.BOS, bos);
        }
        if (eos >= 0) {
            w.putUint32(GgufVocabulary.EOS, eos);
        }
        if (eot >= 0) {
            w.putUint32(EOT, eot);
        }
    }
}
