package llamaspark.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import llamaspark.BadInputException;
import llamaspark.JsonFiles;

/**
 * Hugging Face tokenizer files: {@code tokenizer.json} (a byte-level BPE model), and beside it the
 * optional {@code tokenizer_config.json} (BOS/EOS names, chat template) and
 * {@code generation_config.json} (the ids that end generation).
 */
public final class HfTokenizerFiles {

    private HfTokenizerFiles() {}

    /** {@code tokenizer.json} itself, or the directory holding it. */
    public static Path tokenizerJson(Path fileOrDir) {
        return Files.isDirectory(fileOrDir) ? fileOrDir.resolve("tokenizer.json") : fileOrDir;
    }

    /**
     * Loads {@code tokenizer.json} (or a directory holding it); BOS/EOS come from a
     * {@code tokenizer_config.json} beside it when present (else their usual names), and the end
     * ids also include {@code generation_config.json}'s {@code eos_token_id} (int or list).
     */
    public static BpeTokenizer load(Path fileOrDir) {
        Path file = tokenizerJson(fileOrDir);
        String source = file.toString();
        JsonNode root = read(file);
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new BadInputException(source, "model.type is " + model.path("type")
                    + ", expected \"BPE\" (a byte-level BPE tokenizer.json)");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new BadInputException(source, "model.byte_fallback is true: a SentencePiece-style BPE, not byte-level");
        }
        if (!root.path("normalizer").isNull() && !root.path("normalizer").isMissingNode()) {
            throw new BadInputException(source, "normalizer " + root.path("normalizer").path("type")
                    + " is not supported; expected null (byte-level BPE)");
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) {
            throw new BadInputException(source, "model.vocab is missing or not an object");
        }
        JsonNode added = root.path("added_tokens");
        int size = 0;
        for (Iterator<JsonNode> it = vocab.elements(); it.hasNext();) {
            size = Math.max(size, it.next().asInt() + 1);
        }
        for (JsonNode a : added) {
            size = Math.max(size, a.path("id").asInt() + 1);
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0) {
                throw new BadInputException(source, "model.vocab[" + e.getKey() + "] is " + e.getValue()
                        + ", expected a non-negative id");
            }
            tokens[id] = e.getKey();
            types[id] = BpeTokenizer.TYPE_NORMAL;
        }
        for (JsonNode a : added) {
            int id = a.path("id").asInt(-1);
            String content = a.path("content").asText(null);
            if (id < 0 || content == null) {
                throw new BadInputException(source, "added_tokens entry " + a + " needs an id and a content");
            }
            tokens[id] = content;
            types[id] = a.path("special").asBoolean(false) ? BpeTokenizer.TYPE_CONTROL : BpeTokenizer.TYPE_USER_DEFINED;
        }
        for (int id = 0; id < size; id++) {
            if (tokens[id] == null) {
                throw new BadInputException(source, "no token has id " + id + " (ids must run from 0 to " + (size - 1) + ")");
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isTextual()) {
                merges.add(m.textValue());
            } else if (m.isArray() && m.size() == 2) {
                merges.add(m.get(0).asText() + " " + m.get(1).asText());
            } else {
                throw new BadInputException(source, "model.merges entry " + m + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }
        String regex = splitRegex(source, root.path("pre_tokenizer"));
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);

        Path dir = file.toAbsolutePath().getParent();
        TokenizerConfig config = TokenizerConfig.loadIfPresent(dir.resolve("tokenizer_config.json"));
        int bos = -2;
        int eos = -2;
        if (config != null) {
            bos = idOf(source, tokens, config.bosToken(), "bos_token");
            eos = idOf(source, tokens, config.eosToken(), "eos_token");
        }
        int[] extra = new int[0];
        Path gen = dir.resolve("generation_config.json");
        if (Files.exists(gen)) {
            extra = generationEndIds(gen);
        }
        return new BpeTokenizer(source, tokens, merges.toArray(new String[0]), types, regex, ignoreMerges,
                bos, eos, extra);
    }

    private static int idOf(String source, String[] tokens, String text, String field) {
        if (text == null) {
            return -2;
        }
        for (int id = 0; id < tokens.length; id++) {
            if (tokens[id].equals(text)) {
                return id;
            }
        }
        throw new BadInputException(source, "tokenizer_config.json's " + field + " \"" + text + "\" is not a token");
    }

    /** Supported pre-tokenizers: a regex Split (Isolated) then ByteLevel without its regex, or ByteLevel with it. */
    private static String splitRegex(String source, JsonNode pre) {
        List<JsonNode> steps = new ArrayList<>();
        if ("Sequence".equals(pre.path("type").asText())) {
            pre.path("pretokenizers").forEach(steps::add);
        } else {
            steps.add(pre);
        }
        String regex = null;
        for (JsonNode step : steps) {
            String type = step.path("type").asText();
            if (type.equals("Split") && step.path("pattern").has("Regex")
                    && step.path("behavior").asText().equals("Isolated") && !step.path("invert").asBoolean(false)
                    && regex == null) {
                regex = step.path("pattern").path("Regex").asText();
            } else if (type.equals("ByteLevel") && !step.path("add_prefix_space").asBoolean(false)) {
                if (step.path("use_regex").asBoolean(true)) {
                    if (regex != null) {
                        throw new BadInputException(source, "pre_tokenizer: two regex splits in a row are not supported");
                    }
                    regex = BpeTokenizer.GPT2_PATTERN;
                }
            } else {
                throw new BadInputException(source, "pre_tokenizer step " + step
                        + " is not supported; expected Split (Regex, Isolated) and ByteLevel (add_prefix_space false)");
            }
        }
        if (regex == null) {
            throw new BadInputException(source, "pre_tokenizer has no regex split; expected Split or ByteLevel with use_regex");
        }
        return regex;
    }

    /**
     * {@code eos_token_id} of a {@code generation_config.json}: an int, a list of ints, or absent
     * (no ids).
     */
    public static int[] generationEndIds(Path generationConfigJson) {
        String source = generationConfigJson.toString();
        JsonNode eos = read(generationConfigJson).path("eos_token_id");
        if (eos.isMissingNode() || eos.isNull()) {
            return new int[0];
        }
        if (eos.isInt()) {
            return new int[] {eos.intValue()};
        }
        if (eos.isArray()) {
            int[] ids = new int[eos.size()];
            for (int i = 0; i < ids.length; i++) {
                if (!eos.get(i).isInt()) {
                    throw new BadInputException(source, "eos_token_id[" + i + "] is " + eos.get(i) + ", expected an int");
                }
                ids[i] = eos.get(i).intValue();
            }
            return ids;
        }
        throw new BadInputException(source, "eos_token_id is " + eos + ", expected an int or a list of ints");
    }

    static JsonNode read(Path file) {
        return JsonFiles.readObject(file, "file not found");
    }
}
