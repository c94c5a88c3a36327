package llamaspark.model.hf;

/**
 * The row order of q/k projections. Meta's checkpoints (and llama2.c, and GGUF) rotate adjacent
 * pairs (x[2i], x[2i+1]) of each head; Hugging Face's {@code rotate_half} pairs x[i] with
 * x[i + HD/2], so {@code convert_llama_weights_to_hf.py} permutes each head's rows
 * ({@code w.view(n, HD/2, 2, in).transpose(1, 2)}) and llama.cpp's {@code convert_hf_to_gguf.py}
 * permutes them back ({@code reshape(n, 2, HD/2, in).swapaxes(1, 2)}). Per head h:
 * interleaved row h*HD + 2i + p is Hugging Face row h*HD + p*HD/2 + i (p in {0, 1}, i < HD/2).
 */
public final class QkPermutation {
    private QkPermutation() {
    }

    /** The Hugging Face row holding interleaved (engine) row {@code row}. */
    public static int hfRow(int row, int headDim) {
        int head = row / headDim, w = row % headDim;
        return head * headDim + (w % 2) * (headDim / 2) + w / 2;
    }

    /** The interleaved (engine) row of Hugging Face row {@code row}. */
    public static int engineRow(int row, int headDim) {
        int head = row / headDim, w = row % headDim, half = headDim / 2;
        return head * headDim + 2 * (w % half) + w / half;
    }
}
