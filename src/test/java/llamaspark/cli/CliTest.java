package llamaspark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import llamaspark.Oracles;
import llamaspark.model.CheckpointReader;
import llamaspark.model.LlamaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands, run in-process with stdout and stderr captured. */
class CliTest {

    private record Run(int exit, byte[] out, String err) {
    }

    private static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int exit = Main.run(args);
            return new Run(exit, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void generatePrintsWhatRunCPrints() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-t", "1.0", "-p", "0.9", "-s", "42", "-n", "100", "-i", "Once upon a time", "--batch-size", "3",
                "--backend", "vector");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(Oracles.text("aidreams260K_topp_t1_p0.9_s42_once_upon_a_time"), r.out());
    }

    @Test
    void aHalfPrecisionKvCacheIsAnOptionOfGenerateAndBench() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-t", "0", "-n", "100", "-i", "I dream of", "--kv-cache", "f16");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(Oracles.text("aidreams260K_greedy_i_dream_of"), r.out(), "this oracle's tokens survive the half cache");

        double[] boundMb = new double[2];
        String[] kinds = {"f32", "f16"};
        for (int i = 0; i < 2; i++) {
            Run b = run("bench", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                    "-B", "16", "--new-tokens", "60", "--warmup", "0", "--repeat", "1", "--kv-cache", kinds[i]);
            assertEquals(0, b.exit(), b.err());
            String out = new String(b.out(), StandardCharsets.UTF_8);
            assertTrue(out.contains("KV cache " + kinds[i] + ","), out);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("attention bound: (\\d+\\.\\d+) MB").matcher(out);
            assertTrue(m.find(), out);
            boundMb[i] = Double.parseDouble(m.group(1));
        }
        assertEquals(0.5, boundMb[1] / boundMb[0], 0.01, "a half cache streams half the bytes: " + boundMb[0] + " against " + boundMb[1]);

        Run bad = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--kv-cache", "q8");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--kv-cache: unknown KV cache type 'q8', expected f32 or f16"), bad.err());
    }

    @Test
    void profilePrintsTheStageTableOnStderr() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-t", "0", "-n", "100", "-i", "I dream of", "--backend", "ejml", "--profile");
        assertEquals(0, r.exit(), r.err());
        assertArrayEquals(Oracles.text("aidreams260K_greedy_i_dream_of"), r.out());
        assertTrue(r.err().contains("Operation"), r.err());
        assertTrue(r.err().matches("(?s).*\\n\\s+llama\\.head\\s+\\d+.*"), r.err());
        assertTrue(r.err().matches("(?s).*\\d+\\.\\d tok/s.*"), r.err());
    }

    @Test
    void maxNewTokensStopsAtEos() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-t", "1.0", "-p", "0.9", "-s", "42", "--max-new-tokens", "500", "-i", "Once upon a time",
                "--backend", "vector");
        assertEquals(0, r.exit(), r.err());
        String oracle = new String(Oracles.text("aidreams260K_topp_t1_p0.9_s42_once_upon_a_time"), StandardCharsets.UTF_8);
        assertEquals(oracle.substring(0, oracle.indexOf("\n</s>")) + "\n", new String(r.out(), StandardCharsets.UTF_8));
    }

    @Test
    void badModelFileIsOneClearLine() throws Exception {
        Path bogus = Files.createTempFile("bogus", ".bin");
        Files.write(bogus, new byte[] {1, 2, 3});
        Run r = run("generate", "--model", bogus.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString());
        assertEquals(2, r.exit());
        assertEquals("llamaspark: " + bogus + ": file is 3 bytes, too short for the 28-byte llama2.c checkpoint header",
                r.err().strip());
    }

    @Test
    void tokenizerOfAnotherModelIsRejected() {
        Run r = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.LLAMA2_TOKENIZER.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().startsWith("llamaspark: " + Oracles.LLAMA2_TOKENIZER), r.err());
        assertTrue(r.err().contains("512"), r.err());
    }

    @Test
    void makeCheckpointWritesTheShapeAsked(@TempDir Path dir) {
        Path out = dir.resolve("tiny.bin");
        Run r = run("make-checkpoint", "--out", out.toString(), "--dim", "32", "--hidden-dim", "48", "--layers", "2",
                "--heads", "4", "--kv-heads", "2", "--vocab-size", "64", "--seq-len", "16", "--seed", "3");
        assertEquals(0, r.exit(), r.err());
        assertEquals(new LlamaConfig(32, 48, 2, 4, 2, 64, 16, true), CheckpointReader.readConfig(out));
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        String text = new String(r.out(), StandardCharsets.UTF_8);
        assertEquals(0, r.exit());
        assertTrue(text.contains("generate") && text.contains("make-checkpoint"), text);
    }

    @Test
    void benchPrintsTheTableAndTheSummaryLineLast() {
        Run r = run("bench", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "-B", "3", "--new-tokens", "6", "--warmup", "0", "--repeat", "1", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        String[] lines = new String(r.out(), StandardCharsets.UTF_8).strip().split("\\R");
        assertTrue(lines[lines.length - 1].matches("decode_ms_per_step=\\d+\\.\\d+ prefill_ms_per_token=\\d+\\.\\d+ tokens_per_s=\\d+\\.\\d"),
                lines[lines.length - 1]);
        String all = String.join("\n", lines);
        assertTrue(all.contains("transformer_block.attention") && all.contains("llama.head"), all);
        assertTrue(all.contains("over 5 steps"), "prefill yields the first token, then 5 decode steps: " + all);
    }

    @Test
    void batchRunsTheJobsInputsInProcess(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("gen.jsonl");
        Run r = run("batch", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--prompts", "data/prompts.jsonl,data/prompts.txt", "--out", out.toString(), "--batch-size", "5");
        assertEquals(0, r.exit(), r.err());
        java.util.List<String> lines = Files.readAllLines(out);
        assertEquals(16, lines.size());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String greedy = lines.stream().filter(l -> l.contains("\"greedy-once\"")).findFirst().orElseThrow();
        String printed = new String(Oracles.text("aidreams260K_greedy_once_upon_a_time"), StandardCharsets.UTF_8);
        assertEquals(printed.strip(), "Once upon a time" + json.readTree(greedy).get("completion").asText());
        Run again = run("batch", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--prompts", "data/prompts.txt", "--out", out.toString());
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("output file exists"), again.err());
    }

    @Test
    void batchPrintsProgressLinesIntoANonTerminal(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("gen.jsonl");
        Run r = run("batch", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--prompts", "data/prompts.jsonl,data/prompts.txt", "--out", out.toString(), "--batch-size", "2",
                "--threads", "1", "--progress-interval", "0.01");
        assertEquals(0, r.exit(), r.err());
        // Not a terminal (tests run on pipes): whole lines, no bar redrawn with \r.
        assertTrue(r.err().indexOf('\r') < 0, r.err());
        java.util.regex.Pattern line = java.util.regex.Pattern.compile(
                "progress: rows (\\d+)/16 \\([0-9.]+%\\), failed (\\d+), tokens (\\d+), [0-9.]+ tok/s now, [0-9.]+ overall, "
                        + "elapsed \\d+:\\d\\d:\\d\\d, ETA (\\d+:\\d\\d:\\d\\d|\\?)");
        java.util.List<long[]> seen = new java.util.ArrayList<>();
        for (String l : r.err().split("\n")) {
            if (l.startsWith("progress:")) {
                java.util.regex.Matcher m = line.matcher(l);
                assertTrue(m.matches(), l);
                seen.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))});
            }
        }
        assertTrue(seen.size() >= 2, r.err());
        assertTrue(seen.get(0)[0] < 16, "the first line comes while rows are running: " + r.err());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i)[0] >= seen.get(i - 1)[0] && seen.get(i)[2] >= seen.get(i - 1)[2], r.err());
        }
        long[] last = seen.get(seen.size() - 1);
        assertEquals(16, last[0]);
        assertEquals(0, last[1]);
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        long tokens = 0;
        for (String l : Files.readAllLines(out)) {
            tokens += json.readTree(l).get("completion_tokens").asLong();
        }
        assertEquals(tokens, last[2]);

        Run quiet = run("batch", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--prompts", "data/prompts.txt", "--out", out.toString(), "--overwrite", "--quiet", "--progress-interval", "0.01");
        assertEquals(0, quiet.exit(), quiet.err());
        assertTrue(!quiet.err().contains("progress:") && quiet.err().startsWith("rows 8 (ok 8, failed 0)"), quiet.err());
    }

    private static final String BAD = "src/test/resources/prompts-bad/";

    @Test
    void batchSharesTheJobsInputChecksAndErrorRows(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("gen.jsonl");
        String[] common = {"batch", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
            "--prompts", BAD + "non-utf8.txt," + BAD + "duplicate-ids.jsonl," + BAD + "unknown-fields.jsonl", "--max-new-tokens", "3",
            "--threads", "0"};
        Run r = run(concat(common, "--out", out.toString(), "--max-error-rate", "0.5"));
        assertEquals(0, r.exit(), r.err());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.Map<String, String> errors = new java.util.HashMap<>();
        for (String line : Files.readAllLines(out)) {
            com.fasterxml.jackson.databind.JsonNode n = json.readTree(line);
            if (!n.get("error").isNull()) {
                errors.put(n.get("source").asText(), n.get("error").asText());
            }
        }
        assertEquals(java.util.Map.of(
                "non-utf8.txt:2", "non-utf8.txt:2: not valid UTF-8: byte 0xFF at byte 9 of the line",
                "duplicate-ids.jsonl:3", "duplicate-ids.jsonl:3: duplicate id 'a'; its first occurrence, at duplicate-ids.jsonl:1, runs",
                "unknown-fields.jsonl:1", "unknown-fields.jsonl:1: unknown field 'temprature'; did you mean 'temperature'?",
                "unknown-fields.jsonl:3", "unknown-fields.jsonl:3: unknown field 'Top_P'; did you mean 'top_p'?"), errors);

        // 4 of 9 rows failed: more than the default 10%.
        Run strict = run(concat(common, "--out", dir.resolve("strict.jsonl").toString()));
        assertEquals(3, strict.exit(), strict.err());
        assertTrue(strict.err().contains("llamaspark: 4 of 9 rows failed (44.4%, more than --max-error-rate 0.1); everything is written to "),
                strict.err());
        assertTrue(Files.exists(dir.resolve("strict.jsonl")));

        Path noParent = dir.resolve("missing").resolve("gen.jsonl");
        Run missing = run(concat(common, "--out", noParent.toString()));
        assertEquals(2, missing.exit());
        assertEquals("llamaspark: " + noParent + ": the parent directory " + noParent.getParent() + " does not exist", missing.err().strip());

        Run readOnly = run(concat(common, "--out", "/proc/gen.jsonl"));
        assertEquals(2, readOnly.exit());
        assertTrue(readOnly.err().strip().startsWith("llamaspark: /proc/gen.jsonl: cannot write in /proc: "), readOnly.err());
        assertEquals(1, readOnly.err().strip().lines().count(), readOnly.err());

        Run empty = run("batch", "--model", Oracles.AIDREAMS260K.toString(), "--tokenizer", Oracles.AIDREAMS_TOKENIZER.toString(),
                "--prompts", BAD + "blank.txt", "--out", dir.resolve("empty.jsonl").toString());
        assertEquals(2, empty.exit());
        assertEquals("llamaspark: " + BAD + "blank.txt: holds no prompts (every file is empty or blank)", empty.err().strip());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static final String F32_GGUF = Oracles.DIR.resolve("gguf/aidreams260K-f32.gguf").toString();

    @Test
    void ggufFilesRunInGenerateBatchAndBenchWithoutATokenizer(@TempDir Path dir) throws Exception {
        // The F32 file holds aidreams260K.bin's weights and its tokenizer's vocabulary: run.c's own output, except
        // that llama.cpp's converter stored EOS's piece as "</s>" where tok512-aidreams.bin has "\n</s>\n".
        Run g = run("generate", "--model", F32_GGUF, "-t", "1.0", "-p", "0.9", "-s", "42", "-n", "100", "-i", "Once upon a time");
        assertEquals(0, g.exit(), g.err());
        String runc = new String(Oracles.text("aidreams260K_topp_t1_p0.9_s42_once_upon_a_time"), StandardCharsets.UTF_8);
        assertTrue(runc.endsWith("\n</s>\n\n"), runc);
        assertEquals(runc.substring(0, runc.length() - "\n</s>\n\n".length()) + "</s>\n", new String(g.out(), StandardCharsets.UTF_8));

        Path out = dir.resolve("gen.jsonl");
        Run b = run("batch", "--model", F32_GGUF, "--prompts", "data/prompts.jsonl", "--out", out.toString());
        assertEquals(0, b.exit(), b.err());
        String greedy = Files.readAllLines(out).stream().filter(l -> l.contains("\"greedy-once\"")).findFirst().orElseThrow();
        String printed = new String(Oracles.text("aidreams260K_greedy_once_upon_a_time"), StandardCharsets.UTF_8);
        assertEquals(printed.strip(), "Once upon a time"
                + new com.fasterxml.jackson.databind.ObjectMapper().readTree(greedy).get("completion").asText());

        Run q = run("bench", "--model", Oracles.DIR.resolve("gguf/aidreams260K-q8_0.gguf").toString(),
                "-B", "2", "--new-tokens", "4", "--warmup", "0", "--repeat", "1");
        assertEquals(0, q.exit(), q.err());
        assertTrue(new String(q.out(), StandardCharsets.UTF_8).contains("model aidreams260K-q8_0.gguf (gguf, "), q.err());

        Run noTokenizer = run("generate", "--model", Oracles.AIDREAMS260K.toString(), "-i", "x");
        assertEquals(2, noTokenizer.exit());
        assertTrue(noTokenizer.err().contains("--tokenizer: no tokenizer given (only GGUF files carry their own)"), noTokenizer.err());
    }

    @Test
    void batchReadsAndWritesOpenAiBatchFiles(@TempDir Path dir) throws Exception {
        Path model = llamaspark.job.ChatGguf.withTemplate(Oracles.DIR.resolve("gguf/aidreams260K-f32.gguf"),
                Files.readString(Path.of("src/test/resources/chat-templates/zephyr.jinja")), dir.resolve("zephyr.gguf"));
        String post = "\"method\": \"POST\", \"url\": ";
        String chat = "[{\"role\": \"user\", \"content\": \"Once upon a time\"}]";
        Path in = dir.resolve("requests.jsonl");
        Files.writeString(in, String.join("\n",
                "{\"custom_id\": \"c-text\", " + post + "\"/v1/completions\", \"body\": {\"prompt\": \"Once upon a time\", "
                        + "\"max_tokens\": 20, \"temperature\": 0}}",
                "{\"custom_id\": \"c-n3\", " + post + "\"/v1/chat/completions\", \"body\": {\"messages\": " + chat
                        + ", \"max_tokens\": 6, \"n\": 3, \"seed\": 1}}",
                "{\"custom_id\": \"c-text\", " + post + "\"/v1/completions\", \"body\": {\"prompt\": \"again\"}}",
                "{\"custom_id\": \"c-tools\", " + post + "\"/v1/chat/completions\", \"body\": {\"messages\": " + chat
                        + ", \"tools\": [{\"type\": \"function\"}]}}",
                "not json"));
        Path out = dir.resolve("out.jsonl");
        Run r = run("batch", "--model", model.toString(), "--prompts", in.toString(), "--out", out.toString(),
                "--input-format", "openai-batch", "--output-format", "openai-batch", "--max-error-rate", "1");
        assertEquals(0, r.exit(), r.err());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.List<com.fasterxml.jackson.databind.JsonNode> o = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            o.add(json.readTree(line));
        }
        assertEquals(java.util.Arrays.asList("c-text", "c-n3", "c-text", "c-tools", null),
                o.stream().map(n -> n.get("custom_id").isNull() ? null : n.get("custom_id").asText()).toList());
        assertEquals(3, o.get(1).at("/response/body/choices").size());
        assertEquals("chat.completion", o.get(1).at("/response/body/object").asText());
        assertEquals("duplicate_custom_id", o.get(2).at("/error/code").asText());
        assertEquals("requests.jsonl:4: field 'body.tools' is not supported: only its default ([]) is accepted, got [{type=function}]",
                o.get(3).at("/error/message").asText());
        assertTrue(o.get(4).at("/error/message").asText().startsWith("requests.jsonl:5: malformed JSON: "));

        // The completion request gives what a prompt row with the same text and parameters gives.
        Path plainIn = dir.resolve("plain.jsonl");
        Files.writeString(plainIn, "{\"id\": \"p\", \"prompt\": \"Once upon a time\", \"max_new_tokens\": 20, \"temperature\": 0}\n");
        Path plainOut = dir.resolve("plain-out.jsonl");
        assertEquals(0, run("batch", "--model", model.toString(), "--prompts", plainIn.toString(), "--out", plainOut.toString()).exit());
        com.fasterxml.jackson.databind.JsonNode p = json.readTree(Files.readAllLines(plainOut).get(0));
        com.fasterxml.jackson.databind.JsonNode body = o.get(0).at("/response/body");
        assertEquals(p.get("completion").asText(), body.at("/choices/0/text").asText());
        assertEquals(p.get("prompt_tokens").asInt(), body.at("/usage/prompt_tokens").asInt());
        assertEquals(p.get("completion_tokens").asInt(), body.at("/usage/completion_tokens").asInt());
        assertEquals(p.get("finish_reason").asText().equals("length") ? "length" : "stop", body.at("/choices/0/finish_reason").asText());

        Run txt = run("batch", "--model", model.toString(), "--prompts", "data/prompts.txt", "--out", dir.resolve("x.jsonl").toString(),
                "--input-format", "openai-batch");
        assertEquals(2, txt.exit());
        assertEquals(1, txt.err().strip().lines().count(), txt.err());
        assertTrue(txt.err().strip().endsWith("data/prompts.txt: --input-format openai-batch reads .jsonl files only"), txt.err());
        Run format = run("batch", "--model", model.toString(), "--prompts", in.toString(), "--out", dir.resolve("y.jsonl").toString(),
                "--output-format", "parquet");
        assertEquals(2, format.exit());
        assertEquals("llamaspark: --output-format: 'parquet' is not a format; expected jsonl or openai-batch", format.err().strip());
    }
}
