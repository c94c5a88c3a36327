package llamaspark.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import llamaspark.BadInputException;
import llamaspark.model.LlamaConfig;
import llamaspark.model.MatrixLayout;
import llamaspark.model.ModelFiles;
import llamaspark.model.RandomCheckpoint;
import llamaspark.model.quant.GgmlType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken GGUF files each fail with one line naming the file and the defect; huge sparse files read. */
class GgufBadFilesTest {
    @TempDir
    Path tmp;
    Path good;
    byte[] bytes;

    @BeforeEach
    void writeGood() throws IOException {
        good = tmp.resolve("good.gguf");
        RandomGguf.write(new RandomCheckpoint(new LlamaConfig(64, 96, 1, 4, 4, 300, 16, true), 1, 0.02f),
                GgmlType.Q8_0, null, good);
        bytes = Files.readAllBytes(good);
        GgufLlamaSpec.of(GgufFile.read(good)); // the unbroken file is fine
    }

    private Path broken(String name, byte[] content) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, content);
        return p;
    }

    private static String message(Path p) {
        BadInputException e = assertThrows(BadInputException.class, () -> GgufLlamaSpec.of(GgufFile.read(p)));
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        BadInputException viaLoad = assertThrows(BadInputException.class,
                () -> ModelFiles.load(p, MatrixLayout.ROW_MAJOR, 0, 0));
        assertEquals(e.getMessage(), viaLoad.getMessage());
        return e.getMessage();
    }

    private int indexOf(String s) {
        byte[] needle = s.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(s + " not in the file");
    }

    @Test
    void truncatedHeader() throws IOException {
        Path p = broken("cut.gguf", Arrays.copyOf(bytes, 30));
        assertEquals(p + ": truncated or corrupt: tensor count at byte offset 8 is 11 but only 14 bytes follow", message(p));
        Path q = broken("cut2.gguf", Arrays.copyOf(bytes, 600));
        assertEquals(q + ": truncated or corrupt: length of array 'tokenizer.ggml.tokens' at byte offset 572 is 300 "
                + "but only 20 bytes follow", message(q));
        Path s = broken("cut3.gguf", Arrays.copyOf(bytes, 3000));
        assertEquals(s + ": truncated: length of value of metadata 'tokenizer.ggml.tokens[173]' at byte offset 2996 "
                + "needs 8 bytes but the file ends at 3000", message(s));
        Path r = broken("cut4.gguf", Arrays.copyOf(bytes, 2));
        assertEquals(r + ": file is 2 bytes, too short for a GGUF header",
                assertThrows(BadInputException.class, () -> GgufFile.read(r)).getMessage());
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] b = bytes.clone();
        b[3] = 'X';
        Path p = broken("magic.gguf", b);
        assertEquals(p + ": not a GGUF file: magic bytes are \"GGUX\", expected \"GGUF\"",
                assertThrows(BadInputException.class, () -> GgufFile.read(p)).getMessage());
    }

    @Test
    void unknownVersion() throws IOException {
        byte[] b = bytes.clone();
        b[4] = 4;
        Path p = broken("version.gguf", b);
        assertEquals(p + ": unsupported GGUF version 4, expected 2 or 3", message(p));
    }

    @Test
    void tensorPastTheEnd() throws IOException {
        Path p = broken("short.gguf", Arrays.copyOf(bytes, bytes.length - 300));
        String m = message(p);
        assertTrue(m.startsWith(p + ": tensor 'blk.0.ffn_norm.weight' (F32, 256 bytes at data offset "), m);
        assertTrue(m.endsWith(", past the end of the file (" + (bytes.length - 300) + " bytes): truncated file?"), m);
    }

    @Test
    void unsupportedType() throws IOException {
        byte[] b = bytes.clone();
        // name, then uint32 n_dims, ne[0..1] (uint64), then the uint32 type
        int type = indexOf("blk.0.attn_q.weight") + "blk.0.attn_q.weight".length() + 4 + 16;
        assertEquals(GgmlType.Q8_0.id(), b[type]);
        b[type] = 7;
        Path p = broken("type.gguf", b);
        assertEquals(p + ": tensor 'blk.0.attn_q.weight' has type Q5_1 (id 7), which is not supported "
                + "(supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)", message(p));
    }

    @Test
    void missingRequiredKey() throws IOException {
        byte[] b = bytes.clone();
        b[indexOf("llama.block_count") + "llama.block_".length()] = 'k';
        Path p = broken("key.gguf", b);
        assertEquals(p + ": metadata key 'llama.block_count' is missing (expected an integer)", message(p));
    }

    @Test
    void wrongValueType() throws IOException {
        byte[] b = bytes.clone();
        int type = indexOf("llama.context_length") + "llama.context_length".length();
        assertEquals(GgufValueType.UINT32.id(), b[type]);
        b[type] = (byte) GgufValueType.FLOAT32.id(); // same width, so the file still parses
        Path p = broken("keytype.gguf", b);
        assertEquals(p + ": metadata key 'llama.context_length' is a float32, expected an integer", message(p));
    }

    @Test
    void architectureMustBeLlama() throws IOException {
        byte[] b = bytes.clone();
        int value = indexOf("general.architecture") + "general.architecture".length() + 4 + 8;
        assertEquals('a', b[value + 4]);
        b[value + 4] = 'b';
        Path p = broken("arch.gguf", b);
        assertEquals(p + ": metadata key 'general.architecture' is 'llamb', only 'llama' is supported", message(p));
    }

    /**
     * A sparse file of 4.6 GiB whose first tensor is 2.25 GiB: the header parses, offsets are past
     * 2^31 and 2^32, and the big tensor's last row reads through the windowed mapping.
     */
    @Test
    void sparseFileOverFourGiB() throws IOException {
        GgufWriter w = new GgufWriter(GgufFile.DEFAULT_ALIGNMENT);
        w.putString("general.architecture", "test");
        long cols = 65536, bigRows = 9216, smallRows = 32768, lastRows = 1024; // 2.25 GiB F32, 2.1 GiB Q8_0
        w.tensor("big", new long[] {cols, bigRows}, GgmlType.F32);
        w.tensor("after", new long[] {cols, smallRows}, GgmlType.Q8_0);
        w.tensor("last", new long[] {cols, lastRows}, GgmlType.F32);
        Path p = tmp.resolve("sparse.gguf");
        long dataStart;
        try (OutputStream os = Files.newOutputStream(p)) {
            dataStart = w.writeHeader(os);
        }
        long bigBytes = cols * bigRows * 4;
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(dataStart + w.dataBytes());
            ByteBuffer pattern = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2.25f);
            raf.getChannel().write(pattern.flip(), dataStart + bigBytes - 8);
            // the Q8_0 tensor after it (past 2^32): last block's scale 0x3C00 (f16 1.0), last quant 7
            long afterEnd = dataStart + bigBytes + smallRows * (cols / 32 * 34);
            raf.getChannel().write(ByteBuffer.wrap(new byte[] {0x00, 0x3C}), afterEnd - 34);
            raf.getChannel().write(ByteBuffer.wrap(new byte[] {7}), afterEnd - 1);
        }
        GgufFile f = GgufFile.read(p);
        assertTrue(f.fileSize() > (1L << 32));
        GgufTensorInfo big = f.tensor("big");
        assertEquals(bigBytes, big.bytes());
        assertTrue(big.bytes() > Integer.MAX_VALUE);
        assertEquals(dataStart, big.fileOffset());
        assertEquals(bigBytes, f.tensor("after").offset());
        long afterBytes = smallRows * (cols / 32 * 34);
        assertEquals(GgufFile.align(bigBytes + afterBytes, 32), f.tensor("last").offset());
        assertEquals(f.fileSize(), f.tensor("last").fileOffset() + f.tensor("last").bytes());
        float[][] lastRow = new float[1][];
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            TensorRows.read(ch, big, bigRows - 1, 1, (row, values) -> lastRow[0] = values.clone());
        }
        assertEquals(0f, lastRow[0][0]);
        assertArrayEquals(new float[] {1.5f, -2.25f}, Arrays.copyOfRange(lastRow[0], (int) cols - 2, (int) cols));
        // and through the engine's mapping API (the quant package's chunked QuantMatrix)
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            float[] row = new float[(int) cols];
            GgufMapping.map(ch, big).dequantizeRow((int) bigRows - 1, row, 0);
            assertArrayEquals(new float[] {0f, 1.5f, -2.25f}, Arrays.copyOfRange(row, (int) cols - 3, (int) cols));
            GgufTensorInfo after = f.tensor("after");
            assertTrue(after.fileOffset() + after.bytes() > (1L << 32));
            GgufMapping.map(ch, after).dequantizeRow((int) smallRows - 1, row, 0);
            assertArrayEquals(new float[] {0f, 0f, 7f}, Arrays.copyOfRange(row, (int) cols - 3, (int) cols));
            assertEquals(0f, row[(int) cols - 33]);
        }
    }
}
