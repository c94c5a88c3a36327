package llamaspark.model;

/**
 * The tokens one forward step processes: row i is token {@code token(i)} at position {@code pos(i)}
 * of the sequence in slot {@code slot(i)}. A slot contributes one row when decoding, or a run of
 * consecutive prompt positions when prefilling; rows of different slots mix freely. Logits are
 * produced only for the rows asked for with {@link #wantLogits}. Reused from step to step.
 */
public final class StepBatch {
    private final int[] token;      // token id of each row [N]
    private final int[] slot;       // batch slot (sequence) of each row [N]
    private final int[] pos;        // position of each row in its sequence [N]
    private final int[] logitRows;  // rows whose logits are wanted, in output order [M]
    private int size;               // N, at most maxTokens
    private int outputs;            // M, at most maxOutputs

    public StepBatch(int maxTokens, int maxOutputs) {
        token = new int[maxTokens];
        slot = new int[maxTokens];
        pos = new int[maxTokens];
        logitRows = new int[maxOutputs];
    }

    public void clear() {
        size = 0;
        outputs = 0;
    }

    /** Adds a row; returns its index. */
    public int add(int tokenId, int slotIndex, int position) {
        if (size == token.length) {
            throw new IllegalStateException("step holds at most " + token.length + " tokens");
        }
        token[size] = tokenId;
        slot[size] = slotIndex;
        pos[size] = position;
        return size++;
    }

    /** Asks for the logits of {@code row}; they land in output row {@code outputs() - 1}. */
    public void wantLogits(int row) {
        logitRows[outputs++] = row;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return token.length;
    }

    public int outputs() {
        return outputs;
    }

    public int token(int row) {
        return token[row];
    }

    public int slot(int row) {
        return slot[row];
    }

    public int pos(int row) {
        return pos[row];
    }

    public int logitRow(int output) {
        return logitRows[output];
    }
}
