package llamaspark.profile;

/**
 * The timed stages of one generation step, named as in the NumPy study (function.operation)
 * and nested as its table prints them.
 */
public enum Stage {
    GENERATE_ITERATION("generate.iteration", null),
    LLAMA_TOTAL("llama.total", GENERATE_ITERATION),
    LLAMA_EMBEDDING("llama.embedding", LLAMA_TOTAL),
    LLAMA_LAYERS("llama.layers", LLAMA_TOTAL),
    BLOCK_TOTAL("transformer_block.total", LLAMA_LAYERS),
    BLOCK_ATTENTION("transformer_block.attention", BLOCK_TOTAL),
    ATTENTION_NORM("attention.norm", BLOCK_ATTENTION),
    ATTENTION_QKV("attention.qkv_proj", BLOCK_ATTENTION),
    ATTENTION_ROPE("attention.rope", BLOCK_ATTENTION),
    ATTENTION_CACHE("attention.cache", BLOCK_ATTENTION),
    ATTENTION_SCORES("attention.scores", BLOCK_ATTENTION),
    ATTENTION_OUTPUT("attention.output", BLOCK_ATTENTION),
    BLOCK_FEEDFORWARD("transformer_block.feedforward", BLOCK_TOTAL),
    FEEDFORWARD_NORM("feedforward.norm", BLOCK_FEEDFORWARD),
    FEEDFORWARD_W1W3("feedforward.w1w3", BLOCK_FEEDFORWARD),
    FEEDFORWARD_SWIGLU("feedforward.swiglu", BLOCK_FEEDFORWARD),
    FEEDFORWARD_W2("feedforward.w2", BLOCK_FEEDFORWARD),
    LLAMA_NORM("llama.norm", LLAMA_TOTAL),
    LLAMA_HEAD("llama.head", LLAMA_TOTAL),
    DO_SAMPLING("do_sampling.compute", GENERATE_ITERATION),
    ARGMAX("argmax.compute", DO_SAMPLING),
    TOP_P_LOGITS("top_p_logits.compute", DO_SAMPLING),
    SAMPLING("sampling.compute", DO_SAMPLING),
    /**
     * Text to tokens and back: encoding admitted prompts (chat rows: the rendered text), each sampled
     * token's piece, stop strings, finished rows' text.
     */
    GENERATE_TOKENIZE("generate.tokenize", GENERATE_ITERATION),
    /** A chat row's messages rendered into text with the model's chat template (Jinja), as the row is admitted. */
    GENERATE_CHAT_TEMPLATE("generate.chat_template", GENERATE_ITERATION);

    public static final Stage ROOT = GENERATE_ITERATION;
    private static final Stage[] ALL = values();

    private final String label;
    private final Stage parent;
    private final int level;

    Stage(String label, Stage parent) {
        this.label = label;
        this.parent = parent;
        this.level = parent == null ? 0 : parent.level + 1;
    }

    public String label() {
        return label;
    }

    public Stage parent() {
        return parent;
    }

    public int level() {
        return level;
    }

    public static Stage byLabel(String label) {
        for (Stage s : ALL) {
            if (s.label.equals(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown stage " + label);
    }
}
