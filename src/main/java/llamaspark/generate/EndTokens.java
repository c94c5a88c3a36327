package llamaspark.generate;

/** Which sampled tokens end a row. */
public enum EndTokens {
    /** run.c: BOS ends the row; EOS is ordinary text (printed as its piece). */
    BOS,
    /** BOS or EOS ends the row: what a dataset wants. */
    BOS_AND_EOS,
    /** Nothing does: every row generates exactly max_new_tokens (benchmarks, like np_llama.py --new-tokens). */
    NONE
}
