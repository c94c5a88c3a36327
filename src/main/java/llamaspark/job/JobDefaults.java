package llamaspark.job;

import java.io.Serializable;
import java.util.List;
import llamaspark.BadInputException;
import llamaspark.chat.ChatPrompt;
import llamaspark.chat.ChatTemplate;
import llamaspark.generate.GenerationRequest;
import llamaspark.profile.Stage;
import llamaspark.profile.StageProfile;
import llamaspark.tokenizer.TextTokenizer;
import llamaspark.sampling.SamplingParams;

/** The generation parameters of rows that do not set their own. */
public record JobDefaults(int maxNewTokens, float temperature, float topP, int topK, float minP, long seed,
                          List<String> stop) implements Serializable {

    /**
     * The request for a prompt row: its own parameters where it has them, these defaults
     * elsewhere, and a seed derived from the job seed and its id when it has none.
     */
    public GenerationRequest requestFor(PromptRow p) {
        SamplingParams s = new SamplingParams(
                p.temperature() != null ? p.temperature() : temperature,
                p.topP() != null ? p.topP() : topP,
                p.topK() != null ? p.topK() : topK,
                p.minP() != null ? p.minP() : minP,
                p.seed() != null ? p.seed() : RowSeeds.derive(seed, p.id()));
        return new GenerationRequest(p.id(), p.prompt(), s,
                p.maxNewTokens() != null ? p.maxNewTokens() : maxNewTokens, p.stop() != null ? p.stop() : stop);
    }

    /**
     * {@link #requestFor(PromptRow)}, with a chat row's messages rendered by the model's chat
     * template and encoded ({@link ChatPrompt}): the request carries the rendered text and its ids.
     *
     * @throws BadInputException naming the row, when the model has no chat template, the template
     *     refuses the messages or the text cannot be encoded
     */
    public GenerationRequest requestFor(PromptRow p, ChatTemplate template, TextTokenizer tokenizer) {
        return requestFor(p, template, tokenizer, StageProfile.disabled());
    }

    /**
     * {@link #requestFor(PromptRow, ChatTemplate, TextTokenizer)}, timing a chat row's rendering as
     * {@code generate.chat_template} and the encoding of the rendered text as
     * {@code generate.tokenize}. Callers call it while the generator admits the row (from the
     * request iterator it pulls), so the time falls inside that {@code generate.iteration}.
     */
    public GenerationRequest requestFor(PromptRow p, ChatTemplate template, TextTokenizer tokenizer, StageProfile profile) {
        GenerationRequest r = requestFor(p);
        if (p.messages() == null) {
            return r;
        }
        if (template == null) {
            throw new BadInputException(p.source(), "field 'messages' needs a chat template, and the model has none "
                    + "(GGUF tokenizer.chat_template, or chat_template in tokenizer_config.json); give 'prompt' instead");
        }
        boolean addGenerationPrompt = p.addGenerationPrompt() == null || p.addGenerationPrompt();
        long t = profile.start();
        String text;
        try {
            text = ChatPrompt.render(template, p.messages(), addGenerationPrompt, p.source());
        } finally {
            t = profile.lap(Stage.GENERATE_CHAT_TEMPLATE, t);
        }
        ChatPrompt chat;
        try {
            chat = ChatPrompt.encode(template, tokenizer, text, p.source());
        } finally {
            profile.lap(Stage.GENERATE_TOKENIZE, t);
        }
        return new GenerationRequest(r.id(), chat.text(), chat.ids(), r.sampling(), r.maxNewTokens(), r.stop());
    }
}
