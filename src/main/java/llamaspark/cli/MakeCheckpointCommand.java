package llamaspark.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import llamaspark.model.LlamaConfig;
import llamaspark.model.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a seeded random llama2.c checkpoint; the defaults are stories15M's shape. */
@Command(name = "make-checkpoint", mixinStandardHelpOptions = true,
        description = "Write a llama2.c checkpoint of any shape with seeded random weights (default: stories15M's shape).")
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

    @Override
    public Integer call() {
        LlamaConfig c = new LlamaConfig(dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen, !unshared);
        new RandomCheckpoint(c, seed, std).write(out);
        System.out.println("wrote " + out + ": " + c + ", seed " + seed);
        return 0;
    }
}
