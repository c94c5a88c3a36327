package llamaspark.model.gguf;

import llamaspark.tokenizer.Tokenizer;

/** A SentencePiece vocabulary as GGUF metadata arrays: tokens (spaces as U+2581), scores, token types. */
final class Vocabulary {
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = GgufVocabulary.TYPE_BYTE;

    final String[] tokens;
    final float[] scores;
    final int[] types;

    private Vocabulary(String[] tokens, float[] scores, int[] types) {
        this.tokens = tokens;
        this.scores = scores;
        this.types = types;
    }

    /** A tokenizer's pieces, typed as llama.cpp's llama2.c converter types them. */
    static Vocabulary of(Tokenizer t) {
        int n = t.vocabSize();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int id = 0; id < n; id++) {
            String piece = t.pieceString(id);
            scores[id] = t.score(id);
            types[id] = id == 0 ? UNKNOWN : id == t.bosId() || id == t.eosId() ? CONTROL
                    : isByte(piece, id) ? BYTE : NORMAL;
            tokens[id] = piece.replace(' ', '\u2581');
        }
        return new Vocabulary(tokens, scores, types);
    }

    /** unk, bos, eos, the 256 byte pieces when they fit, " ", then t0, t1, ...; scores make later pieces rarer. */
    static Vocabulary synthetic(int n) {
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        String[] fixed = {"<unk>", "<s>", "</s>"};
        int next = 0;
        for (String f : fixed) {
            if (next < n) {
                types[next] = next == 0 ? UNKNOWN : CONTROL;
                tokens[next++] = f;
            }
        }
        if (n >= 3 + 256 + 1) {
            for (int b = 0; b < 256; b++) {
                types[next] = BYTE;
                tokens[next++] = String.format("<0x%02X>", b);
            }
        }
        if (next < n) {
            types[next] = NORMAL;
            tokens[next++] = "\u2581";
        }
        for (int i = 0; next < n; i++) {
            types[next] = NORMAL;
            scores[next] = -i;
            tokens[next++] = "t" + i;
        }
        return new Vocabulary(tokens, scores, types);
    }

    private static boolean isByte(String piece, int id) {
        return id >= 3 && id < 3 + 256 && piece.equals(String.format("<0x%02X>", id - 3));
    }
}
