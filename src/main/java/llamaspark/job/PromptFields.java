package llamaspark.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import llamaspark.BadInputException;
import llamaspark.chat.ChatMessage;

/**
 * Turns the named fields of one input record (a JSON object, a CSV record or a Parquet row) into
 * a {@link PromptRow}: {@code prompt}, or {@code messages} (a chat) with optional
 * {@code add_generation_prompt}, never both. Numbers may arrive as numbers or as text (CSV); {@code stop} may be one
 * string or a list (in CSV, a JSON array). Any field of the wrong type is an error naming it. A field
 * whose name is within {@link #TYPO_DISTANCE} edits of a known one ({@code temprature}) is taken for
 * a misspelling and makes the row an error; other extra fields (metadata columns) are ignored.
 */
final class PromptFields {
    static final List<String> NAMES = List.of("id", "prompt", "messages", "add_generation_prompt", "max_new_tokens",
            "temperature", "top_p", "top_k", "min_p", "seed", "stop");
    /** An unknown field this close (edits, case ignored) to a known one is a misspelling of it. */
    static final int TYPO_DISTANCE = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptFields() {
    }

    /** The known field an unknown name misspells, or null when it is no misspelling (an extra column). */
    static String misspelled(String name) {
        if (NAMES.contains(name)) {
            return null;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : NAMES) {
            int d = levenshtein(lower, known);
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        // Two-letter names are too short to call a one-letter difference a typo ("ix" is no "id").
        return bestDistance <= Math.min(TYPO_DISTANCE, Math.max(0, best.length() - 2)) ? best : null;
    }

    static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * @param field     value of a named field: null, String, Number, Boolean or List
     * @param names     the names of the fields the record has (to catch misspelt ones)
     * @param defaultId the id to use when the record has none (derived from file and line)
     * @param source    "file:line", for messages
     */
    static PromptRow parse(Function<String, Object> field, Collection<String> names, String defaultId, String source) {
        Object idValue = field.apply("id");
        String id = idValue == null || idValue.toString().isEmpty() ? defaultId : idValue.toString();
        try {
            if (idValue != null && !(idValue instanceof String || idValue instanceof Integer || idValue instanceof Long
                    || idValue instanceof Short || idValue instanceof java.math.BigInteger)) {
                throw new BadInputException(source, "field 'id' must be a string or an integer, got " + describe(idValue));
            }
            for (String name : names) {
                String known = misspelled(name);
                if (known != null) {
                    throw new BadInputException(source, "unknown field '" + name + "'; did you mean '" + known + "'?");
                }
            }
            Object prompt = field.apply("prompt");
            Object messages = field.apply("messages");
            if ("".equals(messages)) {
                messages = null; // an empty CSV cell
            }
            if (prompt != null && messages != null) {
                throw new BadInputException(source, "has both 'prompt' and 'messages'; give one of them");
            }
            if (prompt == null && messages == null) {
                throw new BadInputException(source, "missing field 'prompt'");
            }
            if (prompt != null && !(prompt instanceof String)) {
                throw new BadInputException(source, "field 'prompt' must be a string, got " + describe(prompt));
            }
            Boolean addGenerationPrompt = bool(field, "add_generation_prompt", source);
            if (prompt != null && addGenerationPrompt != null) {
                throw new BadInputException(source, "field 'add_generation_prompt' applies to 'messages' rows only");
            }
            return new PromptRow(id, (String) prompt, messages == null ? null : messages(messages, "messages", source),
                    addGenerationPrompt,
                    integer(field, "max_new_tokens", source),
                    decimal(field, "temperature", source),
                    decimal(field, "top_p", source),
                    integer(field, "top_k", source),
                    decimal(field, "min_p", source),
                    longInteger(field, "seed", source),
                    stop(field.apply("stop"), source),
                    source, null, null);
        } catch (BadInputException e) {
            return PromptRow.error(id, source, e.getMessage());
        }
    }

    /** Plain Java values (String, Number, Boolean, List, Map) of a JSON object's fields. */
    static Map<String, Object> fromJson(JsonNode object) {
        return JSON.convertValue(object, JSON.getTypeFactory().constructMapType(Map.class, String.class, Object.class));
    }

    static Integer integer(Function<String, Object> f, String name, String source) {
        Long v = longInteger(f, name, source);
        if (v == null) {
            return null;
        }
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new BadInputException(source, "field '" + name + "' is out of range: " + v);
        }
        return v.intValue();
    }

    static Long longInteger(Function<String, Object> f, String name, String source) {
        Object v = f.apply(name);
        if (v == null || "".equals(v)) {
            return null;
        }
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof java.math.BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new BadInputException(source, "field '" + name + "' must be an integer, got " + describe(v));
    }

    static Float decimal(Function<String, Object> f, String name, String source) {
        Object v = f.apply(name);
        if (v == null || "".equals(v)) {
            return null;
        }
        if (v instanceof Number n) {
            return n.floatValue();
        }
        if (v instanceof String s) {
            try {
                return Float.parseFloat(s.trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new BadInputException(source, "field '" + name + "' must be a number, got " + describe(v));
    }

    static List<String> stop(Object v, String source) {
        if (v == null || "".equals(v)) {
            return null;
        }
        if (v instanceof String s && s.trim().startsWith("[")) {
            try {
                v = JSON.readValue(s, List.class);
            } catch (JsonProcessingException e) {
                throw new BadInputException(source, "field 'stop' is not a JSON array of strings: " + s);
            }
        }
        if (v instanceof String s) {
            return List.of(s);
        }
        if (v instanceof List<?> list) {
            List<String> out = new ArrayList<>();
            for (Object o : list) {
                if (!(o instanceof String s)) {
                    throw new BadInputException(source, "field 'stop' must hold strings, got " + describe(o));
                }
                out.add(s);
            }
            return out;
        }
        throw new BadInputException(source, "field 'stop' must be a string or a list of strings, got " + describe(v));
    }

    static Boolean bool(Function<String, Object> f, String name, String source) {
        Object v = f.apply(name);
        if (v == null || "".equals(v)) {
            return null;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.trim().equalsIgnoreCase("true") || s.trim().equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s.trim());
        }
        throw new BadInputException(source, "field '" + name + "' must be true or false, got " + describe(v));
    }

    /**
     * A chat: a list of {role, content} objects with string values (in CSV, a JSON array). Maps
     * (JSON) and Spark rows (Parquet structs) alike; extra keys of a message (name, ...) are ignored.
     */
    static List<ChatMessage> messages(Object v, String name, String source) {
        if (v instanceof String s && s.trim().startsWith("[")) {
            try {
                v = JSON.readValue(s, List.class);
            } catch (JsonProcessingException e) {
                throw new BadInputException(source, "field '" + name + "' is not a JSON array of {role, content} objects: "
                        + describe(s));
            }
        }
        if (!(v instanceof List<?> list)) {
            throw new BadInputException(source, "field '" + name + "' must be a list of {role, content} objects, got "
                    + describe(v));
        }
        if (list.isEmpty()) {
            throw new BadInputException(source, "field '" + name + "' is an empty list");
        }
        List<ChatMessage> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            Object m = list.get(i);
            Function<String, Object> get;
            if (m instanceof Map<?, ?> map) {
                get = map::get;
            } else if (m instanceof org.apache.spark.sql.Row row) {
                get = k -> java.util.Arrays.asList(row.schema().fieldNames()).contains(k) ? row.get(row.fieldIndex(k)) : null;
            } else {
                throw new BadInputException(source, "field '" + name + "[" + i + "]' must be an object with 'role' and 'content', got "
                        + describe(m));
            }
            String[] values = new String[2];
            String[] keys = {"role", "content"};
            for (int k = 0; k < 2; k++) {
                Object x = get.apply(keys[k]);
                if (x == null) {
                    throw new BadInputException(source, "field '" + name + "[" + i + "]' has no '" + keys[k] + "'");
                }
                if (!(x instanceof String str)) {
                    throw new BadInputException(source, "field '" + name + "[" + i + "]." + keys[k] + "' must be a string, got "
                            + describe(x));
                }
                values[k] = str;
            }
            out.add(new ChatMessage(values[0], values[1]));
        }
        return out;
    }

    static String describe(Object v) {
        if (v instanceof String s) {
            return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
        }
        return String.valueOf(v);
    }
}
