package llamaspark.model.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import llamaspark.Oracles;
import llamaspark.model.CheckpointReader;
import llamaspark.model.LlamaConfig;
import llamaspark.model.quant.GgmlType;
import llamaspark.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The GGUF files llama.cpp wrote (../shared/oracles/gguf): each loads, with the shape its README states. */
class GgufOracleFilesTest {
    static final Path DIR = Oracles.DIR.resolve("gguf");

    static Stream<Path> files() throws IOException {
        return Files.list(DIR).filter(p -> p.toString().endsWith(".gguf")).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void loads(Path file) {
        GgufFile f = GgufFile.read(file);
        assertEquals(3, f.version());
        assertEquals("llama", f.metadata().string("general.architecture"));
        GgufLlamaSpec spec = GgufLlamaSpec.of(f);
        LlamaConfig c = spec.config();
        boolean aidreams = file.getFileName().toString().startsWith("aidreams");
        // the shapes the README states, and the separate classifier llama.cpp's converter writes
        LlamaConfig expected = aidreams ? withSeqLen(CheckpointReader.readConfig(Oracles.AIDREAMS260K), 128)
                : CheckpointReader.readConfig(DIR.resolve("kq256.bin"));
        assertEquals(new LlamaConfig(expected.dim(), expected.hiddenDim(), expected.layers(), expected.heads(),
                expected.kvHeads(), expected.vocabSize(), aidreams ? 128 : c.seqLen(), false), c);
        assertNotNull(spec.output());
        assertEquals(10000f, spec.ropeTheta());
        assertEquals(c.headDim(), spec.ropeDim());
        assertTrue(spec.rmsEps() > 0 && spec.rmsEps() < 1e-4, "rms eps " + spec.rmsEps());
        // tensor table: every tensor in order, data inside the file, aligned, none overlapping
        assertEquals(2 + 9 * c.layers() + 1, f.tensors().size());
        List<GgufTensorInfo> sorted = f.tensors().stream()
                .sorted((a, b) -> Long.compare(a.offset(), b.offset())).toList();
        long end = 0;
        for (GgufTensorInfo t : sorted) {
            assertTrue(t.offset() >= end, t + " overlaps the previous tensor");
            assertEquals(0, t.offset() % f.alignment());
            end = t.offset() + t.bytes();
        }
        assertTrue(f.dataStart() + end <= f.fileSize());
        assertTrue(f.fileSize() - (f.dataStart() + end) < f.alignment(), "data section ends with the last tensor");
        for (GgufTensorInfo t : spec.allTensors()) {
            if (t.dims().length == 1) {
                assertEquals(GgmlType.F32, t.type(), t.name());
            }
        }
    }

    private static LlamaConfig withSeqLen(LlamaConfig c, int seqLen) {
        return new LlamaConfig(c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), seqLen,
                c.sharedClassifier());
    }

    @Test
    void tensorTypesAreWhatLlamaCppWrote() {
        assertEquals(GgmlType.Q8_0, GgufFile.read(DIR.resolve("aidreams260K-q8_0.gguf")).tensor("blk.0.attn_q.weight").type());
        assertEquals(GgmlType.F32, GgufFile.read(DIR.resolve("aidreams260K-q8_0.gguf")).tensor("blk.0.ffn_down.weight").type());
        assertEquals(GgmlType.Q6_K, GgufFile.read(DIR.resolve("kq256-q4_0.gguf")).tensor("output.weight").type());
        assertEquals(GgmlType.Q4_0, GgufFile.read(DIR.resolve("kq256-q4_0.gguf")).tensor("blk.0.attn_q.weight").type());
        GgufFile km = GgufFile.read(DIR.resolve("kq256-q4_k_m.gguf"));
        assertTrue(km.tensors().stream().anyMatch(t -> t.type() == GgmlType.Q4_K));
        assertTrue(km.tensors().stream().anyMatch(t -> t.type() == GgmlType.Q6_K));
        assertEquals(GgmlType.BF16, GgufFile.read(DIR.resolve("kq256-bf16.gguf")).tensor("blk.1.ffn_up.weight").type());
        assertEquals(GgmlType.F16, GgufFile.read(DIR.resolve("kq256-f16.gguf")).tensor("token_embd.weight").type());
    }

    /** The vocabulary in the GGUF file encodes like llama2.c's tokenizer.bin it was converted from. */
    @Test
    void vocabularyEncodesLikeTheLlama2cTokenizer() {
        for (String name : new String[] {"aidreams260K-f32.gguf", "kq256-q8_0.gguf"}) {
            GgufFile f = GgufFile.read(DIR.resolve(name));
            Tokenizer fromGguf = GgufVocabulary.read(f.metadata());
            Tokenizer bin = Tokenizer.load(Oracles.AIDREAMS_TOKENIZER, 512);
            assertEquals(512, fromGguf.vocabSize());
            assertEquals(1, fromGguf.bosId());
            assertEquals(2, fromGguf.eosId());
            for (String text : new String[] {"Once upon a time", "", " ", "Hello, world!\n\tTabs and  spaces",
                    "Classification whispers secrets", "émigré naïve 日本語 🤖", "<0x0A> <s> </s>", "a\u0000b",
                    "1234567890 +-*/ []{}()"}) {
                assertArrayEquals(bin.encode(text, true, true), fromGguf.encode(text, true, true), name + ": " + text);
                int[] ids = bin.encode(text, true, false);
                assertEquals(bin.decodeText(ids, 1, ids.length, 1), fromGguf.decodeText(ids, 1, ids.length, 1));
            }
            // llama2.c's .bin spells the control tokens "\n<s>\n", "\n</s>\n"; the GGUF file as SentencePiece does
            assertEquals("<unk>", fromGguf.pieceString(0));
            assertEquals("<s>", fromGguf.pieceString(1));
            assertEquals("</s>", fromGguf.pieceString(2));
            for (int id = 3; id < 512; id++) {
                assertArrayEquals(bin.piece(5, id), fromGguf.piece(5, id), "piece " + id);
                assertArrayEquals(bin.piece(1, id), fromGguf.piece(1, id), "piece " + id + " after BOS");
            }
        }
        // the llama.cpp oracle's own prompt ids
        Tokenizer t = GgufVocabulary.read(GgufFile.read(DIR.resolve("aidreams260K-f32.gguf")).metadata());
        assertArrayEquals(new int[] {1, 429, 491, 433, 295, 429, 444, 445, 265, 262, 263, 342, 430},
                t.encode("Once upon a time", true, false));
    }
}
