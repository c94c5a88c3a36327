package llamaspark.job;

import static org.apache.spark.sql.types.DataTypes.StringType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import llamaspark.BadInputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * What the attempts of a job at one output DIR have finished, kept until DIR is complete: a hidden
 * sibling {@code .<name>.llamaspark-work/} with {@code manifest.json} (the model's and tokenizer's
 * sha256, the backend and the default generation parameters: everything a row's tokens depend on
 * besides the row itself) and {@code chunks/}, where tasks journal finished rows
 * ({@link RowJournal}). A rerun with the same manifest reuses them; a different one is refused.
 */
final class WorkDir {
    /** The chunks' columns: a generations row and its input's fingerprint. */
    static final StructType CHUNK = JobSchemas.GENERATIONS.add("input_hash", StringType);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final FileSystem fs;
    private final Path dir;

    private WorkDir(FileSystem fs, Path dir) {
        this.fs = fs;
        this.dir = dir;
    }

    /** The work directory of output directory {@code out}. */
    static Path of(FileSystem fs, Path out) {
        Path q = fs.makeQualified(out);
        return new Path(q.getParent(), "." + q.getName() + ".llamaspark-work");
    }

    /**
     * Opens (resumes) or creates the work directory of {@code out} for a run with {@code manifest};
     * with {@code fresh}, what an earlier attempt left is discarded first.
     */
    static WorkDir open(Configuration hadoop, String out, Map<String, Object> manifest, boolean fresh) {
        try {
            Path o = new Path(out);
            FileSystem fs = o.getFileSystem(hadoop);
            WorkDir w = new WorkDir(fs, of(fs, o));
            Path file = new Path(w.dir, "manifest.json");
            if (fresh) {
                fs.delete(w.dir, true);
            }
            if (fs.exists(file)) {
                Map<String, Object> earlier;
                try (InputStream in = fs.open(file)) {
                    earlier = JSON.readValue(in, JSON.getTypeFactory().constructMapType(Map.class, String.class, Object.class));
                }
                List<String> differ = differences(earlier, manifest);
                if (!differ.isEmpty()) {
                    throw new BadInputException(out, "an unfinished earlier run at this --out (" + w.dir + ") used "
                            + String.join(", ", differ) + "; rerun with its model and parameters to resume it, or pass --fresh to discard its "
                            + w.chunkFiles() + " chunk(s) of finished rows");
                }
            } else {
                fs.delete(w.dir, true); // a work directory without a manifest was never used
                fs.mkdirs(w.chunks());
                Path tmp = new Path(w.dir, ".manifest.json.tmp");
                try (OutputStream os = fs.create(tmp, true)) {
                    os.write(JSON.writeValueAsString(manifest).getBytes(StandardCharsets.UTF_8));
                }
                if (!fs.rename(tmp, file)) {
                    throw new IOException("cannot rename " + tmp + " to " + file);
                }
            }
            fs.mkdirs(w.chunks());
            // Half-written chunks of killed tasks: never renamed into place, never read.
            for (FileStatus s : fs.listStatus(w.chunks())) {
                if (s.getPath().getName().startsWith(".") && s.getPath().getName().contains(".tmp")) {
                    fs.delete(s.getPath(), false);
                }
            }
            return w;
        } catch (IOException e) {
            throw new BadInputException(out, "cannot prepare the work directory: " + e.getMessage(), e);
        }
    }

    /** Manifest entries added after the first release, with the value every run before them had. */
    private static final Map<String, Object> ADDED_LATER = Map.of("kv_cache", "f32");

    /** "what (was earlier, is now)" for each manifest entry that differs. */
    static List<String> differences(Map<String, Object> earlier, Map<String, Object> now) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Object> e : now.entrySet()) {
            Object before = earlier.containsKey(e.getKey()) ? earlier.get(e.getKey()) : ADDED_LATER.get(e.getKey());
            // Compare as JSON text: a float read back from JSON is a Double.
            if (!Objects.equals(String.valueOf(before), String.valueOf(JSON.convertValue(e.getValue(), Object.class)))) {
                out.add("a different " + e.getKey() + " (" + before + ", now " + e.getValue() + ")");
            }
        }
        return out;
    }

    /** The manifest of a run: what its rows' tokens depend on besides the rows themselves. */
    static Map<String, Object> manifest(ModelRef ref, JobDefaults d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_sha256", ref.model().sha256());
        m.put("tokenizer_sha256", ref.tokenizer() == null ? null : ref.tokenizer().sha256());
        m.put("backend", ref.backend().cliName());
        m.put("kv_cache", ref.kvCache().cliName());
        m.put("seed", d.seed());
        m.put("max_new_tokens", d.maxNewTokens());
        m.put("temperature", (double) d.temperature());
        m.put("top_p", (double) d.topP());
        m.put("top_k", d.topK());
        m.put("min_p", (double) d.minP());
        m.put("stop", d.stop());
        return m;
    }

    Path chunks() {
        return new Path(dir, "chunks");
    }

    String path() {
        return dir.toString();
    }

    private int chunkFiles() throws IOException {
        return fs.exists(chunks()) ? fs.listStatus(chunks(), p -> !p.getName().startsWith(".")).length : 0;
    }

    /**
     * Every row that earlier attempts finished, as journalled when this is called (an id may appear
     * more than once: a retried task journals its rows again); null when there are none.
     */
    Dataset<Row> finished(SparkSession spark) {
        try {
            if (!fs.exists(chunks())) {
                return null;
            }
            String[] files = java.util.Arrays.stream(fs.listStatus(chunks(), p -> !p.getName().startsWith(".")))
                    .map(st -> st.getPath().toString()).toArray(String[]::new);
            return files.length == 0 ? null : spark.read().schema(CHUNK).option("mode", "FAILFAST").json(files);
        } catch (IOException e) {
            throw new BadInputException(dir.toString(), "cannot list the finished rows: " + e.getMessage(), e);
        }
    }

    /** Once DIR is complete, the work directory has served its purpose. */
    void delete() {
        try {
            fs.delete(dir, true);
        } catch (IOException ignored) {
            // best effort: a leftover is hidden, and a later run with --overwrite resumes from it or is told
        }
    }
}
