package llamaspark.job;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import picocli.CommandLine;

/**
 * How the executors get the model (and tokenizer) file.
 * <ul>
 * <li>{@code path}: every node sees the same path (a shared file system, or one host); used in place.
 * <li>{@code copy}: a Hadoop file system URI (hdfs://, s3a://, file://...); copied once per host into
 *     the local model cache, checked by size and SHA-256 ({@link HostCopy}).
 * <li>{@code add-file}: the driver's local file shipped by Spark ({@code SparkContext.addFile}, as
 *     {@code spark-submit --files} does), found on the executor with {@code SparkFiles.get}.
 * <li>{@code auto}: {@code copy} for a location with a URI scheme, else {@code path}.
 * </ul>
 */
public enum ModelSource {
    AUTO("auto"), PATH("path"), COPY("copy"), ADD_FILE("add-file");

    private final String cliName;

    ModelSource(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** This choice for {@code location}: {@link #AUTO} becomes copy (a URI with a scheme) or path. */
    ModelSource resolve(String location) {
        if (this != AUTO) {
            return this;
        }
        return scheme(location) != null ? COPY : PATH;
    }

    /** The URI scheme of {@code location}, or null for a plain path (one letter is a Windows drive, not a scheme). */
    static String scheme(String location) {
        try {
            String s = new URI(location).getScheme();
            return s != null && s.length() > 1 ? s.toLowerCase(Locale.ROOT) : null;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    static final class Converter implements CommandLine.ITypeConverter<ModelSource> {
        @Override
        public ModelSource convert(String value) {
            for (ModelSource s : values()) {
                if (s.cliName.equals(value)) {
                    return s;
                }
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not one of auto, path, copy, add-file");
        }
    }
}
