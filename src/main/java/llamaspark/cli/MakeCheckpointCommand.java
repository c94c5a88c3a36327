package llamaspark.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.Locale;
import llamaspark.BadInputException;
import llamaspark.model.Llama2cExport;
import llamaspark.model.LlamaConfig;
import llamaspark.model.gguf.RandomGguf;
import llamaspark.model.quant.GgmlType;
import llamaspark.tokenizer.Tokenizer;
import llamaspark.model.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a seeded random llama2.c checkpoint; the defaults are stories15M's shape. */
@Command(name = "make-checkpoint", mixinStandardHelpOptions = true,
        description = "Write a llama2.c checkpoint or a GGUF file of any shape with seeded random weights (default: stories15M's shape).")
final class MakeCheckpointCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "output .bin file")
    Path out;
    @Option(names = "--dim", defaultValue = "288") int dim;
    @Option(names = "--hidden-dim", defaultValue = "768") int hiddenDim;
    @Option(names = "--layers", defaultValue = "6") int layers;
    @Option(names = "--heads", defaultValue = "6") int heads;
    @Option(names = "--kv-heads", defaultValue = "6") int kvHeads;
    @Option(names = "--vocab-size", defaultValue = "32000") int vocabSize;
    @Option(names = "--seq-len", defaultValue = "256") int seqLen;
    @Option(names = "--seed", defaultValue = "0") long seed;
    @Option(names = "--std", defaultValue = "0.02", description = "standard deviation of the weights") float std;
    @Option(names = "--unshared", description = "write a separate classifier instead of sharing the embedding")
    boolean unshared;
    @Option(names = "--format", defaultValue = "legacy",
            description = "legacy (llama2.c run.c), v1 (llama2.c float export), v2 (llama2.c int8 export) or gguf")
    String format;
    @Option(names = "--type", defaultValue = "f32",
            description = "GGUF tensor type: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k (norms stay f32)")
    String type;
    @Option(names = "--tokenizer", description = "GGUF: store this llama2.c tokenizer's vocabulary (default: a synthetic one)")
    Path tokenizer;

    @Override
    public Integer call() {
        LlamaConfig c = new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, !unshared);
        RandomCheckpoint model = new RandomCheckpoint(c, seed, std);
        switch (format.toLowerCase(Locale.ROOT)) {
            case "legacy" -> model.write(out);
            case "v1" -> Llama2cExport.writeVersion1(model, out);
            case "v2" -> Llama2cExport.writeVersion2(model, Llama2cExport.DEFAULT_GROUP_SIZE, out);
            case "gguf" -> {
                GgmlType t = parseType(type);
                Tokenizer vocab = tokenizer == null ? null : Tokenizer.load(tokenizer, vocabSize);
                RandomGguf.write(model, t, vocab, out);
                System.out.println("wrote " + out + ": GGUF " + t + ", " + c + ", seed " + seed);
                return 0;
            }
            default -> throw new BadInputException("--format", "'" + format + "' is not one of legacy, v1, v2, gguf");
        }
        System.out.println("wrote " + out + ": " + format + ", " + c + ", seed " + seed);
        return 0;
    }

    private static GgmlType parseType(String name) {
        try {
            return GgmlType.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--type", "'" + name + "' is not one of f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k");
        }
    }
}
