package llamaspark.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import llamaspark.BadInputException;
import llamaspark.model.LlamaWeights;
import llamaspark.model.ModelFiles;
import llamaspark.model.kernel.Backend;
import llamaspark.tokenizer.Tokenizer;

/**
 * What the driver broadcasts: the weights (already in the chosen kernel's layout), the
 * tokenizer, and the model's identity. Spark keeps one deserialised copy per executor JVM;
 * {@link #materialisations()} counts them, so the job can show it is one per executor.
 */
public final class ModelBundle implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final AtomicInteger MATERIALISED = new AtomicInteger();

    public final LlamaWeights weights;
    public final Tokenizer tokenizer;
    public final Backend backend;
    public final String modelName;
    public final String modelSha256;

    public ModelBundle(LlamaWeights weights, Tokenizer tokenizer, Backend backend, String modelName, String modelSha256) {
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.backend = backend;
        this.modelName = modelName;
        this.modelSha256 = modelSha256;
    }

    public static ModelBundle load(Path model, Path tokenizerPath, Backend backend, int heads, int seqLen) {
        LlamaWeights w = ModelFiles.load(model, backend.layout(), heads, seqLen);
        Tokenizer t = Tokenizer.load(tokenizerPath, w.config.vocabSize());
        return new ModelBundle(w, t, backend, model.getFileName().toString(), sha256(model));
    }

    /** How many times this JVM has deserialised a bundle. */
    public static int materialisations() {
        return MATERIALISED.get();
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        MATERIALISED.incrementAndGet();
    }

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) >= 0) {
                // digesting
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new BadInputException(file.toString(), "cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
