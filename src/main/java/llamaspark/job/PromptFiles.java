package llamaspark.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
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
    public enum Kind { TXT, JSONL, CSV, PARQUET }

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

    /** Rows of one text-based file (txt, jsonl or csv) given its whole content. */
    public static List<PromptRow> parse(Kind kind, String path, String content) {
        switch (kind) {
            case TXT:
                return parseTxt(path, content);
            case JSONL:
                return parseJsonl(path, content);
            case CSV:
                return parseCsv(path, content);
            default:
                throw new IllegalArgumentException(kind + " is not a text format");
        }
    }

    private static String[] lines(String content) {
        return content.split("\r?\n", -1);
    }

    private static List<PromptRow> parseTxt(String path, String content) {
        List<PromptRow> rows = new ArrayList<>();
        String[] lines = lines(content);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                String source = new Path(path).getName() + ":" + (i + 1);
                rows.add(new PromptRow(defaultId(path, i + 1), lines[i], null, null, null, null, null, null, null,
                        source, null));
            }
        }
        return rows;
    }

    private static List<PromptRow> parseJsonl(String path, String content) {
        List<PromptRow> rows = new ArrayList<>();
        String[] lines = lines(content);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            String id = defaultId(path, i + 1);
            String source = new Path(path).getName() + ":" + (i + 1);
            JsonNode node;
            try {
                node = JSON.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                rows.add(PromptRow.error(id, source, source + ": malformed JSON: " + e.getOriginalMessage()));
                continue;
            }
            if (node == null || !node.isObject()) {
                rows.add(PromptRow.error(id, source, source + ": expected a JSON object with a \"prompt\" field"));
                continue;
            }
            Map<String, Object> fields = PromptFields.fromJson(node);
            rows.add(PromptFields.parse(fields::get, id, source));
        }
        return rows;
    }

    private static List<PromptRow> parseCsv(String path, String content) {
        List<PromptRow> rows = new ArrayList<>();
        String name = new Path(path).getName();
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        try (MappingIterator<Map<String, String>> it = CSV.readerFor(Map.class).with(schema)
                .with(CsvParser.Feature.FAIL_ON_MISSING_COLUMNS).readValues(content)) {
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
                if (rows.isEmpty() && !record.containsKey("prompt")) {
                    rows.add(PromptRow.error(defaultId(path, 1), name + ":1", name + ":1: the CSV header has no 'prompt' column"));
                    break;
                }
                String source = name + ":" + line;
                rows.add(PromptFields.parse(record::get, defaultId(path, line), source));
            }
        } catch (IOException e) {
            throw new BadInputException(path, "cannot read CSV: " + rootMessage(e), e);
        }
        return rows;
    }

    private static String rootMessage(Throwable e) {
        if (e instanceof com.fasterxml.jackson.core.JacksonException j) {
            return j.getOriginalMessage();
        }
        return e.getMessage();
    }
}
