package llamaspark.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpretException;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.tree.Node;
import java.io.Serializable;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import llamaspark.tokenizer.TokenizerConfig;

/**
 * A model's Jinja chat template (tokenizer_config.json's {@code chat_template}, or GGUF's
 * {@code tokenizer.chat_template}) rendered with Jinjava the way Hugging Face renders it:
 * {@code trim_blocks} and {@code lstrip_blocks} on, variables {@code messages},
 * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, and the functions
 * {@code raise_exception(msg)} and {@code strftime_now(format)}.
 *
 * <p>Serializable (the template text; the engine is built and the template parsed once per JVM, on
 * {@link #parse} or the first render). Render is
 * thread-safe.
 */
public final class ChatTemplate implements Serializable {
    private static final long serialVersionUID = 1L;
    /**
     * The message of the template's {@code raise_exception} in this thread's current render:
     * Jinjava turns exceptions from functions into a generic error, so the text is kept aside.
     */
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private transient volatile Jinjava jinjava;
    /** The template parsed once per JVM (parsing is most of a render's cost); rendered per chat. */
    private transient volatile Parsed parsed;

    private record Parsed(Jinjava jinjava, Node tree, String fatalError) {
    }

    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = Objects.requireNonNull(template, "template");
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /** From tokenizer_config.json; null if it has no chat template. */
    public static ChatTemplate of(TokenizerConfig config) {
        return config.chatTemplate() == null ? null
                : new ChatTemplate(config.chatTemplate(), config.bosToken(), config.eosToken());
    }

    public String template() {
        return template;
    }

    /** The text of the model's BOS token, as templates see it in {@code bos_token} ("" if none). */
    public String bosToken() {
        return bosToken;
    }

    /**
     * The prompt text for {@code messages}.
     *
     * @throws ChatTemplateException when the template raises (e.g. roles that do not alternate)
     *     or cannot be rendered
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", list);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken);
        vars.put("eos_token", eosToken);
        // Templates test "strftime_now is defined" before calling it (Llama 3.1+); in Jinjava a
        // function is not a variable, so a marker makes the test true while calls reach the function.
        vars.put("strftime_now", "strftime_now");
        vars.put("raise_exception", "raise_exception");
        Parsed p = parsed();
        if (p.fatalError() != null) {
            throw new ChatTemplateException(p.fatalError());
        }
        JinjavaConfig config = p.jinjava().getGlobalConfig();
        JinjavaInterpreter interpreter = config.getInterpreterFactory().newInstance(p.jinjava(),
                new Context(p.jinjava().getGlobalContextCopy(), vars, config.getDisabled()), config);
        RAISED.remove();
        String output;
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            output = interpreter.render(p.tree());
        } catch (InterpretException e) {
            if (RAISED.get() == null) {
                throw new ChatTemplateException("chat template: " + e.getMessage());
            }
            output = null;
        } finally {
            JinjavaInterpreter.popCurrent();
            String raised = RAISED.get();
            RAISED.remove();
            if (raised != null) {
                throw new ChatTemplateException(raised);
            }
        }
        fatal(interpreter.getErrors());
        return output;
    }

    private static void fatal(List<TemplateError> errors) {
        for (TemplateError e : errors) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template: " + e.getMessage());
            }
        }
    }

    /**
     * Builds the engine and parses the template now rather than on the first render (a model's
     * loading does this once). A template that does not parse fails each render, naming the error.
     */
    public ChatTemplate parse() {
        parsed();
        return this;
    }

    private Parsed parsed() {
        Parsed p = parsed;
        if (p == null) {
            Jinjava j = engine();
            JinjavaInterpreter interpreter = j.newInterpreter();
            Node tree = null;
            String fatalError = null;
            JinjavaInterpreter.pushCurrent(interpreter);
            try {
                tree = interpreter.parse(template);
                fatal(interpreter.getErrors());
            } catch (ChatTemplateException e) {
                fatalError = e.getMessage();
            } catch (InterpretException e) {
                fatalError = "chat template: " + e.getMessage();
            } finally {
                JinjavaInterpreter.popCurrent();
            }
            p = new Parsed(j, tree, fatalError);
            parsed = p;
        }
        return p;
    }

    private Jinjava engine() {
        Jinjava j = jinjava;
        if (j == null) {
            JinjavaConfig config = JinjavaConfig.newBuilder()
                    .withTrimBlocks(true)
                    .withLstripBlocks(true)
                    // Message text is data: never render template tags that a user wrote in it.
                    .withNestedInterpretationEnabled(false)
                    // Jinja's own semantics where Jinjava kept older behaviour by default: {{- -}} and
                    // {#- -#} trim, "-" only right after the brace, operator precedence, dict iteration.
                    .withLegacyOverrides(LegacyOverrides.newBuilder()
                            .withUseTrimmingForNotesAndExpressions(true)
                            .withParseWhitespaceControlStrictly(true)
                            .withUseNaturalOperatorPrecedence(true)
                            .withIterateOverMapKeys(true)
                            .withEvaluateMapKeys(true)
                            .withKeepNullableLoopValues(true)
                            .withUsePyishObjectMapper(true)
                            .build())
                    .build();
            j = new Jinjava(config);
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class, "raiseException", String.class));
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    ChatTemplate.class, "strftimeNow", String.class));
            jinjava = j;
        }
        return j;
    }

    /** Jinja's {@code raise_exception}: the template's own message becomes the error. */
    public static String raiseException(String message) {
        if (RAISED.get() == null) {
            RAISED.set(message);
        }
        throw new ChatTemplateException(message);
    }

    /** Python's {@code strftime} for the directives chat templates use (%d %b %B %Y %m %H %M %S %y %a %A %%). */
    public static String strftimeNow(String format) {
        ZonedDateTime now = ZonedDateTime.now();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            String pattern = switch (d) {
                case 'd' -> "dd";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'm' -> "MM";
                case 'H' -> "HH";
                case 'M' -> "mm";
                case 'S' -> "ss";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                default -> null;
            };
            if (pattern != null) {
                sb.append(now.format(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH)));
            } else {
                sb.append(d == '%' ? "%" : "%" + d);
            }
        }
        return sb.toString();
    }
}
