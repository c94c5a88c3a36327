package llamaspark.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import llamaspark.BadInputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.util.LineReader;

/**
 * The prompt files of a job: which files the {@code --prompts} paths name (files, directories,
 * globs), and how each kind is read. {@code .txt}: one prompt per non-blank line. {@code .jsonl}:
 * one JSON object per line with {@code prompt} and optional {@code id}, {@code max_new_tokens},
 * {@code temperature}, {@code top_p}, {@code top_k}, {@code min_p}, {@code seed}, {@code stop}.
 * {@code .csv}: a header naming the same columns. {@code .parquet}: the same columns. A row
 * without an id gets {@code <file name>:<line>}; a malformed line becomes an error row that says
 * where it was.
 */
public final class PromptFiles {
    /** File kinds; OPENAI_BATCH is how .jsonl files are read under {@code --input-format openai-batch}. */
    public enum Kind { TXT, JSONL, CSV, PARQUET, OPENAI_BATCH }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CsvMapper CSV = new CsvMapper();

    private PromptFiles() {
    }

    public static Kind kindOf(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".txt")) return Kind.TXT;
        if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return Kind.JSONL;
        if (lower.endsWith(".csv")) return Kind.CSV;
        if (lower.endsWith(".parquet")) return Kind.PARQUET;
        return null;
    }

    /**
     * Expands paths, directories (their supported files, recursively, hidden and _-prefixed
     * entries skipped) and globs into files grouped by kind, sorted for a stable order.
     */
    public static Map<Kind, List<String>> expand(List<String> inputs, Configuration hadoop) {
        Map<Kind, List<String>> out = new HashMap<>();
        for (String input : inputs) {
            try {
                Path p = new Path(input);
                FileSystem fs = p.getFileSystem(hadoop);
                FileStatus[] matches = fs.globStatus(p);
                if (matches == null || matches.length == 0) {
                    throw new BadInputException(input, "no such prompt file or directory");
                }
                int before = count(out);
                for (FileStatus m : matches) {
                    collect(fs, m, true, out);
                }
                if (count(out) == before) {
                    throw new BadInputException(input, "holds no prompt files (.txt, .jsonl, .csv or .parquet)");
                }
            } catch (IOException e) {
                throw new BadInputException(input, "cannot list: " + e.getMessage(), e);
            }
        }
        out.values().forEach(l -> l.sort(null));
        return out;
    }

    /**
     * {@link #expand(List, Configuration)}; with {@code openAiBatch} every file must be .jsonl and
     * is read as OpenAI batch requests ({@link Kind#OPENAI_BATCH}).
     */
    public static Map<Kind, List<String>> expand(List<String> inputs, Configuration hadoop, boolean openAiBatch) {
        Map<Kind, List<String>> files = expand(inputs, hadoop);
        if (!openAiBatch) {
            return files;
        }
        for (Map.Entry<Kind, List<String>> e : files.entrySet()) {
            if (e.getKey() != Kind.JSONL) {
                throw new BadInputException(e.getValue().get(0), "--input-format openai-batch reads .jsonl files only");
            }
        }
        return Map.of(Kind.OPENAI_BATCH, files.get(Kind.JSONL));
    }

    private static int count(Map<Kind, List<String>> m) {
        return m.values().stream().mapToInt(List::size).sum();
    }

    private static void collect(FileSystem fs, FileStatus s, boolean named, Map<Kind, List<String>> out) throws IOException {
        String name = s.getPath().getName();
        if (!named && (name.startsWith(".") || name.startsWith("_"))) {
            return;
        }
        if (s.isDirectory()) {
            FileStatus[] children = fs.listStatus(s.getPath());
            Arrays.sort(children);
            for (FileStatus c : children) {
                collect(fs, c, false, out);
            }
            return;
        }
        Kind kind = kindOf(name);
        if (kind == null) {
            if (named) {
                throw new BadInputException(s.getPath().toString(),
                        "unsupported prompt file type: expected .txt, .jsonl, .csv or .parquet");
            }
            return;
        }
        out.computeIfAbsent(kind, k -> new ArrayList<>()).add(s.getPath().toString());
    }

    /** The id of a row that has none: stable across runs for the same file and line. */
    static String defaultId(String path, long line) {
        return new Path(path).getName() + ":" + line;
    }

    /**
     * The rows of one txt, jsonl or csv file, read through Hadoop's file systems (txt and jsonl
     * line by line), for the one-JVM commands.
     */
    public static List<PromptRow> read(Kind kind, String path, Configuration hadoop) {
        Path p = new Path(path);
        try (java.io.InputStream in = p.getFileSystem(hadoop).open(p)) {
            if (kind == Kind.CSV) {
                return parse(kind, path, in.readAllBytes());
            }
            List<PromptRow> rows = new ArrayList<>();
            LineReader lines = new LineReader(in);
            Text text = new Text();
            long number = 0;
            while (lines.readLine(text) > 0) {
                rows.addAll(lines(kind, path, ++number, text.getBytes(), text.getLength()));
            }
            return rows;
        } catch (IOException e) {
            throw new BadInputException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * The rows of line {@code number} of a txt, jsonl or OpenAI batch file: none for a blank line,
     * one per choice of an OpenAI request, else one.
     */
    public static List<PromptRow> lines(Kind kind, String path, long number, byte[] bytes, int length) {
        if (kind == Kind.OPENAI_BATCH) {
            return OpenAiRequests.line(path, number, bytes, length);
        }
        PromptRow row = line(kind, path, number, bytes, length);
        return row == null ? List.of() : List.of(row);
    }

    /** The error of a later occurrence of a row's id (of an OpenAI request's custom_id): the first one runs. */
    public static String duplicateMessage(PromptRow row, String firstSource) {
        if (row.request() != null && row.request().customId() != null) {
            return row.source() + ": duplicate custom_id '" + row.request().customId() + "'; its first occurrence, at "
                    + firstSource + ", runs";
        }
        return duplicateMessage(row.source(), row.id(), firstSource);
    }

    /** The error of a later occurrence of an id: the first one runs. */
    public static String duplicateMessage(String source, String id, String firstSource) {
        return source + ": duplicate id '" + id + "'; its first occurrence, at " + firstSource + ", runs";
    }

    /** Rows of one text-based file (txt, jsonl or csv) given its whole content. */
    public static List<PromptRow> parse(Kind kind, String path, String content) {
        return parse(kind, path, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Rows of one text-based file (txt, jsonl or csv) given its whole content as bytes. */
    public static List<PromptRow> parse(Kind kind, String path, byte[] content) {
        if (kind == Kind.CSV) {
            return parseCsv(path, content);
        }
        if (kind == Kind.PARQUET) {
            throw new IllegalArgumentException(kind + " is not a text format");
        }
        List<PromptRow> rows = new ArrayList<>();
        try (LineReader lines = new LineReader(new java.io.ByteArrayInputStream(content))) {
            Text text = new Text();
            long number = 0;
            while (lines.readLine(text) > 0) {
                PromptRow row = line(kind, path, ++number, text.getBytes(), text.getLength());
                if (row != null) {
                    rows.add(row);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return rows;
    }

    /**
     * The row of line {@code number} (from 1) of a txt or jsonl file, given its bytes without the
     * line end (Hadoop's LineReader: LF, CR LF or CR end a line); null for a blank line. Bytes that
     * are not UTF-8 make an error row naming the line and the byte.
     */
    public static PromptRow line(Kind kind, String path, long number, byte[] bytes, int length) {
        String source = new Path(path).getName() + ":" + number;
        String id = defaultId(path, number);
        String text;
        try {
            text = Utf8.decode(bytes, length, number == 1);
        } catch (Utf8.Malformed e) {
            return PromptRow.error(id, source, source + ": " + e.getMessage());
        }
        if (text.isBlank()) {
            return null;
        }
        if (kind == Kind.TXT) {
            return PromptRow.text(id, text, source);
        }
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return PromptRow.error(id, source, source + ": malformed JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return PromptRow.error(id, source, source + ": expected a JSON object with a \"prompt\" field");
        }
        Map<String, Object> fields = PromptFields.fromJson(node);
        return PromptFields.parse(fields::get, fields.keySet(), id, source);
    }

    /**
     * A CSV file's rows. Each physical line is decoded strictly first: a line that is not UTF-8
     * becomes an error row naming it and is left out of what the CSV parser sees.
     */
    private static List<PromptRow> parseCsv(String path, byte[] bytes) {
        List<PromptRow> rows = new ArrayList<>();
        String name = new Path(path).getName();
        StringBuilder content = new StringBuilder(bytes.length);
        List<PromptRow> encodingErrors = new ArrayList<>();
        int lineStart = 0;
        long number = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                number++;
                byte[] line = java.util.Arrays.copyOfRange(bytes, lineStart, i);
                try {
                    content.append(Utf8.decode(line, line.length, number == 1));
                } catch (Utf8.Malformed e) {
                    String source = name + ":" + number;
                    encodingErrors.add(PromptRow.error(defaultId(path, number), source, source + ": " + e.getMessage()));
                }
                if (i < bytes.length) {
                    content.append('\n');
                }
                lineStart = i + 1;
            }
        }
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        try (MappingIterator<Map<String, String>> it = CSV.readerFor(Map.class).with(schema)
                .with(CsvParser.Feature.FAIL_ON_MISSING_COLUMNS).with(CsvParser.Feature.SKIP_EMPTY_LINES)
                .readValues(content.toString())) {
            while (true) {
                // Before the record is read, the parser stands at the line where it starts.
                long line = it.getParser().currentLocation().getLineNr();
                Map<String, String> record;
                try {
                    if (!it.hasNextValue()) {
                        break;
                    }
                    record = it.nextValue();
                } catch (IOException | RuntimeException e) {
                    String source = name + ":" + line;
                    rows.add(PromptRow.error(defaultId(path, line), source, source + ": malformed CSV record: "
                            + rootMessage(e)));
                    break;
                }
                if (rows.isEmpty() && !record.containsKey("prompt") && !record.containsKey("messages")) {
                    rows.add(PromptRow.error(defaultId(path, 1), name + ":1", name + ":1: the CSV header has no 'prompt' column"));
                    break;
                }
                String source = name + ":" + line;
                rows.add(PromptFields.parse(record::get, record.keySet(), defaultId(path, line), source));
            }
        } catch (IOException e) {
            throw new BadInputException(path, "cannot read CSV: " + rootMessage(e), e);
        }
        rows.addAll(encodingErrors);
        return rows;
    }

    private static String rootMessage(Throwable e) {
        if (e instanceof com.fasterxml.jackson.core.JacksonException j) {
            return j.getOriginalMessage();
        }
        return e.getMessage();
    }
}
