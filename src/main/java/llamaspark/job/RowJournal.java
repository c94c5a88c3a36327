package llamaspark.job;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

/**
 * A task's finished rows, made durable as it goes: every {@code rows} rows or {@code millis}
 * milliseconds (checked when a row finishes) the rows since the last chunk are written to a
 * hidden temporary file in the work directory and renamed to {@code part-<partition>-<attempt>-<n>.jsonl}.
 * A rename is atomic, so a chunk is either whole or absent, and a killed task or driver loses only
 * the rows since its last chunk. Spark's readers skip the hidden temporary files.
 */
final class RowJournal implements AutoCloseable {
    /** Where and how often; serialised to the executors. */
    record Spec(String chunksDir, int rows, long millis) implements Serializable {
    }

    private static final ObjectMapper JSON = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private final Spec spec;
    private final String name;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private FileSystem fs;
    private int buffered;
    private int chunks;
    private long lastFlush = System.nanoTime();

    RowJournal(Spec spec, int partitionId, long attemptId) {
        this.spec = spec;
        this.name = "part-" + String.format("%05d", partitionId) + "-" + attemptId;
    }

    /** Adds a finished generations row with its input's fingerprint; writes a chunk when one is due. */
    void add(Row row, String inputHash) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (StructField f : row.schema().fields()) {
            Object v = row.get(row.fieldIndex(f.name()));
            // Rows read back from Parquet hold Scala sequences; the engine's hold Java arrays.
            m.put(f.name(), v instanceof scala.collection.Seq<?> seq ? scala.jdk.javaapi.CollectionConverters.asJava(seq) : v);
        }
        m.put("input_hash", inputHash);
        try {
            JSON.writeValue(buffer, m);
            buffer.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        buffered++;
        if (buffered >= spec.rows() || System.nanoTime() - lastFlush >= spec.millis() * 1_000_000L) {
            flush();
        }
    }

    /** Writes the rows since the last chunk, if any, as one more chunk. */
    void flush() {
        lastFlush = System.nanoTime();
        if (buffered == 0) {
            return;
        }
        try {
            Path dir = new Path(spec.chunksDir());
            if (fs == null) {
                fs = dir.getFileSystem(new Configuration());
            }
            String chunk = name + "-" + String.format("%06d", chunks++) + ".jsonl";
            Path tmp = new Path(dir, "." + chunk + ".tmp");
            try (OutputStream out = fs.create(tmp, true)) {
                buffer.writeTo(out);
            }
            if (!fs.rename(tmp, new Path(dir, chunk))) {
                throw new IOException("cannot rename " + tmp + " to " + chunk);
            }
            buffer.reset();
            buffered = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write finished rows to " + spec.chunksDir() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        flush();
    }
}
