package llamaspark.model.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import llamaspark.Oracles;

/**
 * The kq256 GGUF oracles (../shared/oracles/gguf): the float32 llama2.c checkpoint, its tensors
 * under GGUF names, and the tensor tables of llama.cpp's files as read by the independent npm
 * package {@code @huggingface/gguf} (src/test/node/gguf-tensors.mjs).
 */
final class Kq256 {
    static final Path DIR = Oracles.SHARED.resolve("oracles").resolve("gguf");
    static final Path NODE_DIR = Path.of("src", "test", "node");

    private Kq256() {
    }

    /** One tensor of a GGUF file: dims in GGUF order (dims[0] = values per row). */
    record Tensor(String name, int type, long[] dims, long offset) {
        int cols() {
            return (int) dims[0];
        }

        int rows() {
            long r = 1;
            for (int i = 1; i < dims.length; i++) {
                r *= dims[i];
            }
            return (int) r;
        }
    }

    static List<Tensor> tensors(Path gguf) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("node", "gguf-tensors.mjs", gguf.toAbsolutePath().toString())
                .directory(NODE_DIR.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("node gguf-tensors.mjs failed on " + gguf
                    + " (run: cd src/test/node && npm ci)");
        }
        List<Tensor> list = new ArrayList<>();
        for (JsonNode t : new ObjectMapper().readTree(out)) {
            long[] dims = new long[t.get("dims").size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = t.get("dims").get(i).asLong();
            }
            list.add(new Tensor(t.get("name").asText(), t.get("type").asInt(), dims, t.get("offset").asLong()));
        }
        return list;
    }

    static ByteBuffer map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /**
     * A llama2.c legacy checkpoint's tensors under the names llama.cpp's llama2.c converter gives
     * them (run.c order: embedding, attention norms, wq, wk, wv, wo, ffn norms, w1 = gate,
     * w2 = down, w3 = up, final norm, freq_cis, classifier), one float[] per tensor.
     */
    static Map<String, float[]> legacy(Path bin) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        int D = b.getInt(), FD = b.getInt(), L = b.getInt(), H = b.getInt(), KV = b.getInt(), VS = b.getInt(), S = b.getInt();
        boolean shared = VS > 0;
        VS = Math.abs(VS);
        int KVD = D * KV / H, HD = D / H;
        Map<String, float[]> m = new LinkedHashMap<>();
        m.put("token_embd.weight", floats(b, VS * D));
        perLayer(m, b, L, "attn_norm", D);
        perLayer(m, b, L, "attn_q", D * D);
        perLayer(m, b, L, "attn_k", KVD * D);
        perLayer(m, b, L, "attn_v", KVD * D);
        perLayer(m, b, L, "attn_output", D * D);
        perLayer(m, b, L, "ffn_norm", D);
        perLayer(m, b, L, "ffn_gate", FD * D);
        perLayer(m, b, L, "ffn_down", D * FD);
        perLayer(m, b, L, "ffn_up", FD * D);
        m.put("output_norm.weight", floats(b, D));
        floats(b, S * HD); // freq_cis_real, freq_cis_imag: unused
        m.put("output.weight", shared ? m.get("token_embd.weight") : floats(b, VS * D));
        if (b.hasRemaining()) {
            throw new IllegalStateException(bin + ": " + b.remaining() + " bytes left after the classifier");
        }
        return m;
    }

    private static void perLayer(Map<String, float[]> m, ByteBuffer b, int L, String name, int size) {
        for (int l = 0; l < L; l++) {
            m.put("blk." + l + "." + name + ".weight", floats(b, size));
        }
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] a = new float[n];
        b.asFloatBuffer().get(a);
        b.position(b.position() + 4 * n);
        return a;
    }
}
