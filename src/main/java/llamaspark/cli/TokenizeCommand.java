package llamaspark.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import llamaspark.BadInputException;
import llamaspark.tokenizer.BpeTokenizer;
import llamaspark.tokenizer.TextTokenizer;
import llamaspark.tokenizer.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Text to ids and back, line by line: the tool to reach for when a prompt misbehaves. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of each input line (space-separated), or with --decode the text of each line of ids.")
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--tokenizer", required = true,
            description = "tokenizer.json, a directory holding one, or a llama2.c tokenizer.bin")
    Path tokenizerPath;
    @Option(names = "--file", description = "input file (default: standard input)")
    Path file;
    @Option(names = "--decode", description = "input lines are ids; print their text")
    boolean decode;
    @Option(names = "--special", description = "recognise special-token text such as <|eot_id|> (default: plain text)")
    boolean special;
    @Option(names = "--bos", description = "put BOS in front of each line's ids")
    boolean bos;
    @Option(names = "--bench", paramLabel = "R",
            description = "instead of printing ids, encode the whole input R times and print MB/s (one thread)")
    int benchRepeats;

    @Override
    public Integer call() throws IOException {
        TextTokenizer tokenizer = Tokenizers.open(tokenizerPath);
        String source = file == null ? "<stdin>" : file.toString();
        List<String> lines = readLines(source);
        if (benchRepeats > 0) {
            bench(tokenizer, lines);
            return 0;
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder();
        for (int n = 0; n < lines.size(); n++) {
            sb.setLength(0);
            if (decode) {
                int[] ids = parseIds(tokenizer, source, n + 1, lines.get(n));
                sb.append(tokenizer.decodeText(ids, 0, ids.length, -1));
            } else {
                for (int id : encode(tokenizer, lines.get(n))) {
                    sb.append(sb.length() == 0 ? "" : " ").append(id);
                }
            }
            out.println(sb);
        }
        out.flush();
        return 0;
    }

    private int[] encode(TextTokenizer tokenizer, String line) {
        if (tokenizer instanceof BpeTokenizer bpe) {
            return bpe.encode(line, bos, false, special);
        }
        return tokenizer.encode(line, bos, false);
    }

    private List<String> readLines(String source) throws IOException {
        try (Reader r = file == null ? new InputStreamReader(System.in, StandardCharsets.UTF_8)
                : Files.newBufferedReader(file, StandardCharsets.UTF_8);
                BufferedReader in = new BufferedReader(r)) {
            List<String> lines = new ArrayList<>();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lines.add(line);
            }
            return lines;
        } catch (NoSuchFileException e) {
            throw new BadInputException(source, "file not found", e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new BadInputException(source, "not valid UTF-8", e);
        }
    }

    private static int[] parseIds(TextTokenizer tokenizer, String source, int lineNo, String line) {
        String trimmed = line.strip();
        if (trimmed.isEmpty()) {
            return new int[0];
        }
        String[] parts = trimmed.split("[\\s,]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new BadInputException(source + ":" + lineNo, "\"" + parts[i] + "\" is not a token id");
            }
            if (ids[i] < 0 || ids[i] >= tokenizer.vocabSize()) {
                throw new BadInputException(source + ":" + lineNo, "token id " + ids[i]
                        + " is outside the vocabulary [0, " + tokenizer.vocabSize() + ")");
            }
        }
        return ids;
    }

    /** One warm-up pass (its speed printed too: cold word cache, JIT warming up), then R timed passes over all lines; prints MB/s of UTF-8 input (median and best wall, median CPU). */
    private void bench(TextTokenizer tokenizer, List<String> lines) {
        long bytes = 0;
        for (String l : lines) {
            bytes += l.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        long tokens = 0;
        long cold = System.nanoTime();
        for (String l : lines) {
            tokens += encode(tokenizer, l + "\n").length;
        }
        double coldMbps = bytes / 1e6 / ((System.nanoTime() - cold) / 1e9);
        List<String> input = new ArrayList<>(lines.size());
        for (String l : lines) {
            input.add(l + "\n");
        }
        // Wall time and this thread's CPU time: on a shared machine the second is the tokenizer's own speed.
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        double[] mbps = new double[benchRepeats];
        double[] cpuMbps = new double[benchRepeats];
        for (int r = 0; r < benchRepeats; r++) {
            long t0 = System.nanoTime();
            long c0 = threads.getCurrentThreadCpuTime();
            long sink = 0;
            for (String l : input) {
                sink += encode(tokenizer, l).length;
            }
            mbps[r] = bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
            cpuMbps[r] = bytes / 1e6 / ((threads.getCurrentThreadCpuTime() - c0) / 1e9);
            if (sink != tokens) {
                throw new IllegalStateException("token count changed between runs");
            }
        }
        Arrays.sort(mbps);
        Arrays.sort(cpuMbps);
        System.out.printf(Locale.ROOT, "bytes=%d lines=%d tokens=%d repeats=%d MB_per_s_median=%.2f MB_per_s_best=%.2f"
                + " MB_per_cpu_s_median=%.2f first_pass_MB_per_s=%.2f%n", bytes, lines.size(), tokens, benchRepeats,
                mbps[benchRepeats / 2], mbps[benchRepeats - 1], cpuMbps[benchRepeats / 2], coldMbps);
    }
}
