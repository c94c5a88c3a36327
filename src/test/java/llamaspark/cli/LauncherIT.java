package llamaspark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import llamaspark.Oracles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jobs/llamaspark's class-data sharing: the first run of a command saves the classes it loaded,
 * the next keeps the archive once it maps, later runs map it (the JVM itself says where each class
 * came from), and a half-written archive is thrown away without harm. Runs the packaged launcher,
 * hence an integration test.
 */
class LauncherIT {
    private static final Path CDS = Path.of("target", "cds");

    private record Run(int exit, String out) {
    }

    private static Run tokenize(Path in, Map<String, String> env) throws IOException, InterruptedException {
        File log = File.createTempFile("llamaspark-launcher", ".log");
        ProcessBuilder pb = new ProcessBuilder("jobs/llamaspark", "tokenize", "--tokenizer",
                Oracles.MODELS.resolve("llama2-tokenizer.bin").toString(), "--file", in.toString())
                .redirectErrorStream(true).redirectOutput(log);
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher finished");
        return new Run(p.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }

    private static List<Path> archives(String suffix) throws IOException {
        if (!Files.isDirectory(CDS)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(CDS)) {
            return s.filter(p -> p.getFileName().toString().startsWith("tokenize-") && p.getFileName().toString().endsWith(suffix))
                    .toList();
        }
    }

    /** JVM crash logs in the launcher's working directory (the project). */
    private static List<Path> crashLogs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("."))) {
            return s.filter(p -> p.getFileName().toString().startsWith("hs_err_pid")).sorted().toList();
        }
    }

    @Test
    void firstRunSavesTheClassesLaterRunsMapThem(@TempDir Path dir) throws Exception {
        for (Path p : archives("")) {
            Files.delete(p);
        }
        Path in = Files.writeString(dir.resolve("in.txt"), "hello world\n");
        Run first = tokenize(in, Map.of());
        assertEquals(0, first.exit(), first.out());
        String ids = first.out().lines().filter(l -> l.matches("[0-9]+( [0-9]+)*")).findFirst().orElseThrow();
        assertEquals(1, archives(".tmp").size(), "the first run saved its classes: " + archives(""));
        assertTrue(first.out().contains("llamaspark: this first run of 'tokenize' since the build also saves"), first.out());

        Run second = tokenize(in, Map.of());
        assertEquals(0, second.exit(), second.out());
        assertTrue(second.out().contains(ids), second.out());
        assertEquals(0, archives(".tmp").size());
        assertEquals(1, archives(".jsa").size(), "the saved archive was kept");
        assertFalse(second.out().contains("this first run"), second.out());

        // -Xshare:on makes a JVM that cannot map the archive refuse to start.
        Run mapped = tokenize(in, Map.of("LLAMASPARK_JAVA_OPTS", "-Xshare:on -Xlog:class+load=info"));
        assertEquals(0, mapped.exit(), mapped.out());
        assertTrue(mapped.out().contains("llamaspark.cli.Main source: shared objects file (top)"), mapped.out());

        // A run killed while saving (here: a truncated copy under a process id no one has) is dropped.
        Path archive = archives(".jsa").get(0);
        byte[] bytes = Files.readAllBytes(archive);
        Files.delete(archive);
        Path half = archive.resolveSibling(archive.getFileName() + ".4194303.tmp");
        Files.write(half, java.util.Arrays.copyOf(bytes, bytes.length / 3));
        Files.writeString(half.resolveSibling(half.getFileName() + ".ok"), ""); // its run succeeded: the map check decides
        List<Path> crashLogsBefore = crashLogs();
        Run afterHalf = tokenize(in, Map.of());
        // Checking the truncated file may crash a JDK 17 JVM (SIGBUS); that check leaves no crash log behind.
        assertEquals(crashLogsBefore, crashLogs(), "no hs_err file from checking the archive");
        assertEquals(0, afterHalf.exit(), afterHalf.out());
        assertTrue(afterHalf.out().contains(ids), afterHalf.out());
        assertFalse(Files.exists(half), "the half-written archive is gone");
        assertFalse(Files.exists(half.resolveSibling(half.getFileName() + ".ok")), "and its mark");
        assertFalse(afterHalf.out().contains("Aborted"), afterHalf.out());

        Run off = tokenize(in, Map.of("LLAMASPARK_CDS", "off", "LLAMASPARK_JAVA_OPTS", "-Xlog:class+load=info"));
        assertEquals(0, off.exit(), off.out());
        assertFalse(off.out().contains("llamaspark.cli.Main source: shared objects file"), "LLAMASPARK_CDS=off maps nothing");
    }

    /**
     * A first run that fails (here: no such tokenizer, exit 2) loaded few classes: what it saved is
     * dropped, and the next run that succeeds saves them again. A --help run saves nothing.
     */
    @Test
    void onlyARunThatSucceededKeepsItsClasses(@TempDir Path dir) throws Exception {
        for (Path p : archives("")) {
            Files.delete(p);
        }
        Path in = Files.writeString(dir.resolve("in.txt"), "hello world\n");
        Run help = launch(List.of("jobs/llamaspark", "tokenize", "--help"), Map.of());
        assertEquals(0, help.exit(), help.out());
        assertEquals(List.of(), archives(""), "--help saved nothing");

        Run failed = launch(List.of("jobs/llamaspark", "tokenize", "--tokenizer", dir.resolve("none.bin").toString(),
                "--file", in.toString()), Map.of());
        assertEquals(2, failed.exit(), failed.out());
        assertEquals(1, archives(".tmp").size(), "the failed run saved its classes, unmarked: " + archives(""));
        assertEquals(0, archives(".tmp.ok").size());

        Run ok = tokenize(in, Map.of());
        assertEquals(0, ok.exit(), ok.out());
        assertEquals(0, archives(".jsa").size(), "the failed run's classes were not kept: " + archives(""));
        assertTrue(ok.out().contains("llamaspark: this first run of 'tokenize' since the build also saves"), ok.out());
        assertEquals(1, archives(".tmp").size(), "this run saved them again: " + archives(""));
        assertEquals(1, archives(".tmp.ok").size(), "and marked them");

        Run next = tokenize(in, Map.of());
        assertEquals(0, next.exit(), next.out());
        assertEquals(1, archives(".jsa").size(), "kept: " + archives(""));
        assertEquals(0, archives(".ok").size(), "the mark is gone");
    }

    /**
     * spark-floor goes through the job's launch (SparkSubmit, conf/spark-defaults.conf): it counts
     * the prompt file's lines, writes them as Parquet and times the three phases; an existing
     * --out is refused in one line, and left as it was; so is a prompt file that is not there.
     */
    @Test
    void sparkFloorTimesASessionAReadAndAWrite(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("floor");
        List<String> command = List.of("jobs/llamaspark", "spark-floor", "--master", "local[1]", "--prompts", "data/prompts.txt",
                "--out", out.toString());
        Run run = launch(command);
        assertEquals(0, run.exit(), run.out());
        long lines = Files.readAllLines(Path.of("data", "prompts.txt")).size();
        String line = run.out().lines().filter(l -> l.startsWith("spark floor: ")).findFirst().orElseThrow();
        assertTrue(line.matches("spark floor: " + lines
                + " lines; session [0-9.]+ s, read and count [0-9.]+ s, write [0-9.]+ s; JVM start to end [0-9.]+ s"), line);
        assertTrue(Files.exists(out.resolve("_SUCCESS")), "the lines were written");
        try (Stream<Path> s = Files.list(out)) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().endsWith(".parquet")), "as Parquet");
        }

        Files.writeString(out.resolve("keep.txt"), "mine");
        Run again = launch(command);
        assertEquals(2, again.exit(), again.out());
        assertTrue(again.out().contains("llamaspark spark-floor: " + out + " exists; give a directory that does not"), again.out());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));

        Run missing = launch(List.of("jobs/llamaspark", "spark-floor", "--master", "local[1]", "--prompts",
                dir.resolve("none.txt").toString(), "--out", dir.resolve("floor2").toString()));
        assertEquals(2, missing.exit(), missing.out());
        assertTrue(missing.out().lines().anyMatch(l -> l.startsWith("llamaspark spark-floor: " + dir.resolve("none.txt"))), missing.out());
        assertFalse(missing.out().contains("\tat org.apache"), "no stack trace: " + missing.out());
    }

    private static Run launch(List<String> command) throws IOException, InterruptedException {
        return launch(command, Map.of("LLAMASPARK_CDS", "off"));
    }

    private static Run launch(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        File log = File.createTempFile("llamaspark-launcher", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log);
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "the launcher finished");
        return new Run(p.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
    }
}
