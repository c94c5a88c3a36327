package llamaspark.sampling;

/** llama2.c's random number generator: xorshift64* with state = seed, one float coin per call. */
public final class RunCRandom {
    private long state;

    public RunCRandom(long seed) {
        this.state = seed;
    }

    /** run.c's random_u32: the high 32 bits of the scrambled state, as a non-negative long. */
    public long nextU32() {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        return (state * 0x2545F4914F6CDD1DL) >>> 32;
    }

    /** run.c's random_f32: a float in [0, 1) from the top 24 bits. */
    public float nextFloat() {
        return (nextU32() >>> 8) / 16777216.0f;
    }
}
