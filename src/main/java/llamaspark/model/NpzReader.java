package llamaspark.model;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import llamaspark.BadInputException;

/**
 * Reads the NumPy study's checkpoint: an {@code .npz} of float32 tensors with Hugging Face names
 * ({@code model.embed_tokens.weight}, {@code model.layers.{i}.self_attn.q_proj.weight}, ...,
 * {@code lm_head.weight}), all matrices [out, in], RoPE on adjacent pairs as in llama2.c. The
 * archive does not record the head count or the context length, so the caller supplies them;
 * everything else is read off the tensor shapes, which must all agree. Tensors are streamed
 * straight into the kernel's layout.
 */
public final class NpzReader {
    private static final int CHUNK_FLOATS = 1 << 20;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private final Path path;
    private final ZipFile zip;

    private NpzReader(Path path, ZipFile zip) {
        this.path = path;
        this.zip = zip;
    }

    /** Whether the file is a zip archive (an .npz) rather than a llama2.c checkpoint. */
    public static boolean isNpz(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
        } catch (IOException e) {
            return false;
        }
    }

    public static LlamaWeights read(Path path, int heads, int seqLen, MatrixLayout layout) {
        if (!Files.isRegularFile(path)) {
            throw new BadInputException(path.toString(), "no such model file");
        }
        try (ZipFile zip = new ZipFile(path.toFile())) {
            return new NpzReader(path, zip).readWeights(heads, seqLen, layout);
        } catch (ZipException e) {
            throw new BadInputException(path.toString(), "not a readable .npz archive: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new BadInputException(path.toString(), "cannot read: " + e.getMessage(), e);
        }
    }

    private LlamaWeights readWeights(int heads, int seqLen, MatrixLayout layout) throws IOException {
        Tensor embed = openOfRank("model.embed_tokens.weight", 2);
        int VS = embed.shape[0], D = embed.shape[1];
        embed.in.close();
        int layers = 0;
        while (zip.getEntry(entry("model.layers." + layers + ".input_layernorm.weight")) != null) {
            layers++;
        }
        if (layers == 0) {
            throw bad("no tensor model.layers.0.input_layernorm.weight: not a Llama checkpoint");
        }
        if (heads <= 0 || D % heads != 0) {
            throw new BadInputException(path.toString(), "head count " + heads
                    + " does not divide the model dimension " + D + " (read from model.embed_tokens.weight)");
        }
        Tensor gate = openOfRank("model.layers.0.mlp.gate_proj.weight", 2);
        Tensor k = openOfRank("model.layers.0.self_attn.k_proj.weight", 2);
        int FD = gate.shape[0], KVD = k.shape[0], HD = D / heads;
        gate.in.close();
        k.in.close();
        if (KVD % HD != 0) {
            throw bad("self_attn.k_proj.weight has " + KVD + " rows, not a multiple of the head size " + HD);
        }
        boolean hasHead = zip.getEntry(entry("lm_head.weight")) != null;
        LlamaConfig c = new LlamaConfig(D, FD, layers, heads, KVD / HD, VS, seqLen, true).validate(path.toString());
        LlamaWeights w = LlamaWeights.allocate(c, layout);
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            vector(p + "input_layernorm.weight", w.rmsAttention[l]);
            vector(p + "post_attention_layernorm.weight", w.rmsFeedForward[l]);
            rows(p + "self_attn.q_proj.weight", w.wqkv[l], 0, D);
            rows(p + "self_attn.k_proj.weight", w.wqkv[l], D, KVD);
            rows(p + "self_attn.v_proj.weight", w.wqkv[l], D + KVD, KVD);
            rows(p + "self_attn.o_proj.weight", w.wo[l], 0, D);
            rows(p + "mlp.gate_proj.weight", w.w13[l], 0, FD);
            rows(p + "mlp.up_proj.weight", w.w13[l], FD, FD);
            rows(p + "mlp.down_proj.weight", w.w2[l], 0, D);
        }
        vector("model.norm.weight", w.rmsFinal);
        if (!hasHead) {
            rows("model.embed_tokens.weight", w.classifier, 0, VS);
            return w;
        }
        rows("lm_head.weight", w.classifier, 0, VS);
        WeightMatrix embedding = embeddingUnlessTied(w.classifier);
        if (embedding == w.classifier) {
            return w;
        }
        LlamaConfig separate = new LlamaConfig(D, FD, layers, heads, c.kvHeads(), VS, seqLen, false);
        return new LlamaWeights(separate, embedding, w.rmsAttention, w.rmsFeedForward, w.wqkv, w.wo, w.w13,
                w.w2, w.rmsFinal, w.classifier);
    }

    /**
     * Reads the embedding; when it equals the classifier (a tied model exported with both names)
     * returns the classifier itself, so the model is held once.
     */
    private WeightMatrix embeddingUnlessTied(WeightMatrix classifier) throws IOException {
        int VS = classifier.rows(), D = classifier.cols();
        Tensor t = open("model.embed_tokens.weight", VS, D);
        float[] row = new float[D];
        float[] tied = new float[D];
        WeightMatrix separate = null;
        try (t) {
            for (int r = 0; r < VS; r++) {
                t.readFloats(row, D);
                if (separate == null) {
                    classifier.copyRow(r, tied, 0);
                    if (Arrays.equals(row, tied)) {
                        continue;
                    }
                    separate = WeightMatrix.allocate(VS, D, MatrixLayout.ROW_MAJOR);
                    for (int q = 0; q < r; q++) {
                        classifier.copyRow(q, separate.data(), q * D);
                    }
                }
                System.arraycopy(row, 0, separate.data(), r * D, D);
            }
        }
        return separate == null ? classifier : separate;
    }

    private void vector(String name, float[] dst) throws IOException {
        try (Tensor t = open(name, dst.length)) {
            t.readFloats(dst, dst.length);
        }
    }

    private void rows(String name, WeightMatrix m, int row0, int rows) throws IOException {
        int cols = m.cols();
        try (Tensor t = open(name, rows, cols)) {
            int chunkRows = Math.max(1, CHUNK_FLOATS / cols);
            float[] buf = new float[Math.min(rows, chunkRows) * cols];
            for (int r = 0; r < rows; r += chunkRows) {
                int n = Math.min(chunkRows, rows - r);
                t.readFloats(buf, n * cols);
                m.layout().fill(java.nio.FloatBuffer.wrap(buf, 0, n * cols), m.data(), row0 + r, n, cols);
            }
        }
    }

    private static String entry(String tensor) {
        return tensor + ".npy";
    }

    private BadInputException bad(String problem) {
        return new BadInputException(path.toString(), problem);
    }

    /** Opens a tensor and checks its shape is exactly {@code expected}. */
    private Tensor open(String name, int... expected) throws IOException {
        Tensor t = openOfRank(name, expected.length);
        if (!Arrays.equals(t.shape, expected)) {
            t.in.close();
            throw bad("tensor " + name + " has shape " + shapeString(t.shape) + ", expected " + shapeString(expected));
        }
        return t;
    }

    private Tensor openOfRank(String name, int rank) throws IOException {
        ZipEntry e = zip.getEntry(entry(name));
        if (e == null) {
            throw bad("missing tensor " + name);
        }
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(zip.getInputStream(e), 1 << 16));
        try {
            int[] shape = readNpyHeader(name, in);
            if (shape.length != rank) {
                throw bad("tensor " + name + " has shape " + shapeString(shape) + ", expected " + rank + " dimensions");
            }
            return new Tensor(name, shape, in);
        } catch (EOFException ex) {
            in.close();
            throw bad("tensor " + name + " is truncated inside its .npy header");
        } catch (RuntimeException | IOException ex) {
            in.close();
            throw ex;
        }
    }

    private int[] readNpyHeader(String name, DataInputStream in) throws IOException {
        byte[] magic = new byte[6];
        in.readFully(magic);
        if (magic[0] != (byte) 0x93 || !"NUMPY".equals(new String(magic, 1, 5, StandardCharsets.US_ASCII))) {
            throw bad("tensor " + name + " is not a .npy array (bad magic)");
        }
        int major = in.readUnsignedByte();
        in.readUnsignedByte();
        int headerLength;
        if (major == 1) {
            headerLength = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
        } else {
            headerLength = Integer.reverseBytes(in.readInt());
        }
        byte[] header = new byte[headerLength];
        in.readFully(header);
        String dict = new String(header, StandardCharsets.UTF_8);
        Matcher descr = DESCR.matcher(dict);
        if (!descr.find() || !(descr.group(1).equals("<f4") || descr.group(1).equals("=f4"))) {
            throw bad("tensor " + name + " has dtype " + (descr.find(0) ? "'" + descr.group(1) + "'" : "(none)")
                    + ", expected little-endian float32 '<f4'");
        }
        Matcher fortran = FORTRAN.matcher(dict);
        if (fortran.find() && fortran.group(1).equals("True")) {
            throw bad("tensor " + name + " is stored in Fortran order, expected C order");
        }
        Matcher shape = SHAPE.matcher(dict);
        if (!shape.find()) {
            throw bad("tensor " + name + " has no shape in its .npy header");
        }
        return Arrays.stream(shape.group(1).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
    }

    private static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    /** An open tensor's data stream, positioned after its header. */
    private final class Tensor implements AutoCloseable {
        final String name;
        final int[] shape;
        final DataInputStream in;
        private byte[] bytes = new byte[0];

        Tensor(String name, int[] shape, DataInputStream in) {
            this.name = name;
            this.shape = shape;
            this.in = in;
        }

        void readFloats(float[] dst, int n) throws IOException {
            if (bytes.length < n * 4) {
                bytes = new byte[n * 4];
            }
            try {
                in.readFully(bytes, 0, n * 4);
            } catch (EOFException e) {
                throw bad("tensor " + name + " " + shapeString(shape) + " is truncated: its data ends early");
            }
            ByteBuffer.wrap(bytes, 0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, 0, n);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
