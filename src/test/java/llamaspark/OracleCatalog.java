package llamaspark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Every oracle in ../shared/oracles, with the run.c command that made it, read from the table in
 * its README: so a new oracle file is tested as soon as it is listed there. Checkpoints that the
 * README makes with make_checkpoint.py are generated once into target/oracle-models.
 */
public final class OracleCatalog {
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`([^`]+)`\\s*\\|(.*)\\|\\s*$");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");
    private static final Path GENERATED = Path.of("target", "oracle-models");

    private OracleCatalog() {
    }

    /** One oracle and the run.c arguments that produced it. */
    public record Case(String name, Path model, Path tokenizer, String prompt, int[] promptIds,
                       float temperature, float topP, long seed, int steps, boolean hasText) {
        public boolean greedy() {
            return temperature == 0f;
        }

        public Oracles.Ids ids() {
            return Oracles.ids(name);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    public static List<Case> all() {
        List<Case> cases = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Oracles.DIR.resolve("README.md"))) {
                Matcher row = ROW.matcher(line.trim());
                if (row.matches() && row.group(1).contains(".ids") || row.matches() && row.group(1).contains("{")) {
                    cases.add(parse(row.group(1), row.group(2)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (Stream<Path> files = Files.list(Oracles.DIR)) {
            long idsFiles = files.filter(p -> p.toString().endsWith(".ids")).count();
            if (idsFiles != cases.size()) {
                throw new IllegalStateException(idsFiles + " .ids files but " + cases.size() + " README rows");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cases;
    }

    private static Case parse(String files, String commandCell) {
        String name = files.replaceAll("\\.\\{.*$", "").replaceAll("\\.ids$", "");
        boolean hasText = files.contains("txt");
        List<String> code = new ArrayList<>();
        Matcher m = CODE.matcher(commandCell);
        while (m.find()) {
            code.add(m.group(1));
        }
        Path generatedModel = null;
        List<String> run = null;
        int[] promptIds = null;
        for (String c : code) {
            List<String> words = words(c);
            if (c.contains("make_checkpoint.py")) {
                generatedModel = makeCheckpoint(words);
            } else if (words.contains("run")) {
                int at = words.indexOf("run");
                for (String w : words.subList(0, at)) {
                    if (w.startsWith("PROMPT_IDS=")) {
                        promptIds = Arrays.stream(w.substring(11).split(",")).mapToInt(Integer::parseInt).toArray();
                    }
                }
                run = words.subList(at + 1, words.size());
            }
        }
        if (run == null) {
            throw new IllegalStateException("no run command for " + name);
        }
        Path model = Path.of(run.get(0));
        if (generatedModel != null && generatedModel.getFileName().equals(model.getFileName())) {
            model = generatedModel;
        }
        Path tokenizer = null;
        String prompt = "";
        float temperature = 1.0f, topP = 0.9f;
        long seed = 0;
        int steps = 256;
        for (int i = 1; i + 1 < run.size(); i += 2) {
            String v = run.get(i + 1);
            switch (run.get(i)) {
                case "-z" -> tokenizer = Path.of(v);
                case "-t" -> temperature = Float.parseFloat(v);
                case "-p" -> topP = Float.parseFloat(v);
                case "-s" -> seed = Long.parseLong(v);
                case "-n" -> steps = Integer.parseInt(v);
                case "-i" -> prompt = v;
                default -> throw new IllegalStateException("unknown run.c flag " + run.get(i) + " in " + name);
            }
        }
        return new Case(name, model, tokenizer, prompt, promptIds, temperature, topP, seed, steps, hasText);
    }

    /** Splits a shell command on spaces, keeping double-quoted words (possibly empty) whole. */
    private static List<String> words(String command) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(command);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return out;
    }

    /** Runs the README's make_checkpoint.py command with --out redirected under target/. */
    private static synchronized Path makeCheckpoint(List<String> words) {
        List<String> cmd = new ArrayList<>(words);
        int out = cmd.indexOf("--out");
        Path target = GENERATED.resolve(cmd.get(out + 1));
        if (Files.exists(target)) {
            return target;
        }
        try {
            Files.createDirectories(GENERATED);
            Path tmp = GENERATED.resolve(target.getFileName() + ".tmp");
            cmd.set(out + 1, tmp.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("failed: " + cmd + "\n" + log);
            }
            Files.move(tmp, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
