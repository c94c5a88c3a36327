package llamaspark.job;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import llamaspark.model.KvPrecision;
import llamaspark.model.LlamaConfig;
import llamaspark.model.ModelHeader;
import llamaspark.model.kernel.Backend;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * What the driver broadcasts instead of the model: where the file is, its size and SHA-256, what its
 * header says, and how to open it. A few hundred bytes whatever the model's size; each executor JVM
 * opens the file once from it ({@link ExecutorModels}).
 *
 * @param tokenizer   the llama2.c tokenizer file, or null for GGUF and Hugging Face directories (their own vocabulary)
 * @param cacheDir    the host cache of copied files when given (--model-cache-dir), else null:
 *                    {@code <spark.local.dir or java.io.tmpdir>/llamaspark-models}
 * @param driverCopy  for a copied model, what the driver's host cache did (copied, reused copy, replaced copy)
 */
public record ModelRef(FileRef model, FileRef tokenizer, String format, Map<String, Integer> tensorTypes,
                       LlamaConfig config, Backend backend, KvPrecision kvCache, int heads, int seqLen, String cacheDir,
                       String driverCopy) implements Serializable {

    /**
     * On the driver, before any task: locates the files (copying a URI into this host's cache, so
     * the header can be read), reads and checks the model's header and the tokenizer, digests the
     * files and, for add-file, hands them to Spark. Never reads the weights.
     */
    public static ModelRef create(SparkContext sc, ModelOptions o) {
        Configuration conf = sc.hadoopConfiguration();
        Path root = cacheRoot(o.cacheDir, sc.getConf());
        Located model = locate(o.model, o.source, conf, root, "model");
        ModelHeader h = ModelHeader.of(model.local, o.heads, o.seqLen);
        Located tok = null;
        if (!h.ownVocabulary()) {
            if (o.tokenizer != null) {
                tok = locate(o.tokenizer, o.source, conf, root, "tokenizer");
            }
            h.checkTokenizer(tok == null ? null : tok.local);
        }
        FileRef modelRef = model.ref();
        FileRef tokRef = tok == null ? null : tok.ref();
        for (FileRef f : new FileRef[] {modelRef, tokRef}) {
            if (f != null && f.source() == ModelSource.ADD_FILE) {
                sc.addFile((f == modelRef ? model : tok).local.toAbsolutePath().toUri().toString());
            }
        }
        return new ModelRef(modelRef, tokRef, h.format(), new TreeMap<>(h.tensorTypes()), h.config(), o.backend,
                o.kvCache, o.heads, o.seqLen, o.cacheDir, model.copy == null ? null : model.copy.how());
    }

    /** A file as the driver sees it; {@code ref()} digests a file read in place. */
    private record Located(String location, ModelSource source, Path local, FileRef copied, FileRef.Fetched copy) {
        FileRef ref() {
            return copied != null ? copied : FileRef.ofLocal(location, local, source);
        }
    }

    private static Located locate(String location, ModelSource requested, Configuration conf, Path root, String what) {
        ModelSource source = requested.resolve(location);
        if (source != ModelSource.COPY) {
            return new Located(location, source, FileRef.localPath(location, source), null, null);
        }
        Sha256.Digest d = HostCopy.digest(conf, location, what);
        FileRef ref = new FileRef(location, location, new org.apache.hadoop.fs.Path(location).getName(), d.size(), d.sha256(), source);
        FileRef.Fetched copy = ref.fetch(conf, root, "driver");
        return new Located(location, source, copy.path(), ref, copy);
    }

    /** The host cache of copied model files. */
    static Path cacheRoot(String override, SparkConf conf) {
        if (override != null) {
            return Path.of(override);
        }
        String dirs = conf.get("spark.local.dir", System.getProperty("java.io.tmpdir"));
        return Path.of(dirs.split(",")[0].trim(), "llamaspark-models");
    }

    /** Identifies what an executor opens: the same bytes for the same backend (and .npz shape) are one model. */
    String key() {
        return model.sha256() + "/" + (tokenizer == null ? "-" : tokenizer.sha256()) + "/" + backend.cliName()
                + "/" + heads + "/" + seqLen;
    }

    /** How the executors get the model file, for run.json: path, copy or add-file. */
    String delivery() {
        return model.source().cliName();
    }
}
