package llamaspark.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.Locale;
import llamaspark.BadInputException;
import llamaspark.model.Llama2cExport;
import llamaspark.model.LlamaConfig;
import java.nio.file.Files;
import llamaspark.model.LlamaMath;
import llamaspark.model.RopeScaling;
import llamaspark.model.gguf.GgufBpeVocabulary;
import llamaspark.model.gguf.RandomBpeGguf;
import llamaspark.model.gguf.RandomGguf;
import llamaspark.model.hf.RandomHf;
import llamaspark.tokenizer.BpeTokenizer;
import llamaspark.tokenizer.HfTokenizerFiles;
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
            description = "legacy (llama2.c run.c), v1 (llama2.c float export), v2 (llama2.c int8 export), gguf, "
                    + "or hf (a Hugging Face directory at --out: config.json, safetensors, tokenizer.json)")
    String format;
    @Option(names = "--type", defaultValue = "f32",
            description = "GGUF tensor type: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k (norms stay f32)")
    String type;
    @Option(names = "--tokenizer", description = "GGUF: store this llama2.c tokenizer's vocabulary (default: a synthetic one), "
            + "or a tokenizer.json's byte-level BPE vocabulary (with the chat template of a tokenizer_config.json beside it);"
            + " hf: copy this tokenizer.json (and that tokenizer_config.json)")
    Path tokenizer;
    @Option(names = "--rope-theta", defaultValue = "10000", description = "gguf with a tokenizer.json, hf: RoPE theta")
    float ropeTheta;
    @Option(names = "--rope-scaling", defaultValue = "none",
            description = "gguf with a tokenizer.json, hf: none, llama3:FACTOR,LOW,HIGH,ORIGINAL_CONTEXT (e.g. llama3:8,1,4,8192) or linear:FACTOR")
    String ropeScaling;
    @Option(names = "--rms-eps", defaultValue = "1e-5", description = "gguf with a tokenizer.json, hf: RMSNorm epsilon")
    float rmsEps;
    @Option(names = "--shards", defaultValue = "1", description = "hf: number of safetensors files (with an index when > 1)")
    int shards;

    /** The chat template of the tokenizer_config.json beside a tokenizer.json (as hf copies it), or null. */
    private static String chatTemplateBeside(Path tokenizerJsonOrDir) {
        Path config = HfTokenizerFiles.tokenizerJson(tokenizerJsonOrDir).toAbsolutePath().resolveSibling("tokenizer_config.json");
        return java.nio.file.Files.isRegularFile(config) ? llamaspark.tokenizer.TokenizerConfig.load(config).chatTemplate() : null;
    }

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
                if (tokenizer != null && isTokenizerJson(tokenizer)) {
                    BpeTokenizer bpe = HfTokenizerFiles.load(tokenizer);
                    RandomBpeGguf.write(model, new RandomBpeGguf.Settings(t, ropeTheta, parseScaling(ropeScaling),
                            rmsEps, GgufBpeVocabulary.fromTokenizerJson(HfTokenizerFiles.tokenizerJson(tokenizer)),
                            bpe.splitRegex().equals(BpeTokenizer.LLAMA3_PATTERN) ? "llama-bpe" : "gpt2",
                            bpe.bosId(), bpe.eosId(), bpe.specialId("<|eot_id|>"), chatTemplateBeside(tokenizer)), out);
                    System.out.println("wrote " + out + ": GGUF " + t + " (byte-level BPE vocabulary), " + c + ", seed " + seed);
                    return 0;
                }
                if (ropeTheta != 10000f || parseScaling(ropeScaling) != null || rmsEps != LlamaMath.RMS_EPS) {
                    throw new BadInputException("--rope-theta/--rope-scaling/--rms-eps",
                            "apply to GGUF only with a tokenizer.json vocabulary (--tokenizer)");
                }
                Tokenizer vocab = tokenizer == null ? null : Tokenizer.load(tokenizer, vocabSize);
                RandomGguf.write(model, t, vocab, out);
                System.out.println("wrote " + out + ": GGUF " + t + ", " + c + ", seed " + seed);
                return 0;
            }
            case "hf" -> {
                GgmlType t = parseType(type);
                if (t != GgmlType.F32 && t != GgmlType.F16 && t != GgmlType.BF16) {
                    throw new BadInputException("--type", "'" + type + "': a Hugging Face directory holds f32, f16 or bf16");
                }
                int bos = -1;
                int[] eos = new int[0];
                Path json = null;
                if (tokenizer != null) {
                    json = HfTokenizerFiles.tokenizerJson(tokenizer);
                    BpeTokenizer bpe = HfTokenizerFiles.load(tokenizer);
                    bos = bpe.bosId();
                    eos = bpe.endOfGenerationIds();
                }
                RandomHf.write(model, new RandomHf.Settings(t, ropeTheta, parseScaling(ropeScaling), rmsEps, bos, eos,
                        shards), json, out);
                System.out.println("wrote " + out + ": Hugging Face " + t + " in " + Math.max(1, shards)
                        + " safetensors file(s), " + c + ", seed " + seed);
                return 0;
            }
            default -> throw new BadInputException("--format", "'" + format + "' is not one of legacy, v1, v2, gguf, hf");
        }
        System.out.println("wrote " + out + ": " + format + ", " + c + ", seed " + seed);
        return 0;
    }

    private static boolean isTokenizerJson(Path p) {
        return Files.isDirectory(p) || p.getFileName().toString().endsWith(".json");
    }

    /** none, llama3:FACTOR,LOW,HIGH,ORIGINAL or linear:FACTOR. */
    static RopeScaling parseScaling(String text) {
        if (text.equals("none")) {
            return null;
        }
        int colon = text.indexOf(':');
        String kind = colon < 0 ? text : text.substring(0, colon);
        String[] v = colon < 0 ? new String[0] : text.substring(colon + 1).split(",");
        try {
            if (kind.equals(RopeScaling.LLAMA3) && v.length == 4) {
                return RopeScaling.llama3(Float.parseFloat(v[0]), Float.parseFloat(v[1]), Float.parseFloat(v[2]),
                        Integer.parseInt(v[3])).validate("--rope-scaling");
            }
            if (kind.equals(RopeScaling.LINEAR) && v.length == 1) {
                return RopeScaling.linear(Float.parseFloat(v[0])).validate("--rope-scaling");
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadInputException("--rope-scaling", "'" + text
                + "' is not none, llama3:FACTOR,LOW,HIGH,ORIGINAL_CONTEXT or linear:FACTOR");
    }

    private static GgmlType parseType(String name) {
        try {
            return GgmlType.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadInputException("--type", "'" + name + "' is not one of f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k");
        }
    }
}
