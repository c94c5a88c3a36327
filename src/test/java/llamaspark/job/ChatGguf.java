package llamaspark.job;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import llamaspark.model.gguf.GgufFile;
import llamaspark.model.gguf.GgufMetadata;
import llamaspark.model.gguf.GgufTensorInfo;
import llamaspark.model.gguf.GgufWriter;

/**
 * A copy of a GGUF file with {@code tokenizer.chat_template} set: every other metadata value and
 * every tensor's bytes as they are (the llama.cpp-made aidreams260K file gets a chat template).
 */
public final class ChatGguf {
    private ChatGguf() {
    }

    public static Path withTemplate(Path source, String template, Path out) throws IOException {
        GgufFile f = GgufFile.read(source);
        GgufWriter w = new GgufWriter(f.alignment());
        for (Map.Entry<String, GgufMetadata.Value> e : f.metadata().entries().entrySet()) {
            if (!e.getKey().equals(GgufFile.ALIGNMENT_KEY)) {
                w.put(e.getKey(), e.getValue().type(), e.getValue().value());
            }
        }
        w.putString("tokenizer.chat_template", template);
        List<GgufTensorInfo> tensors = new ArrayList<>(f.tensors());
        tensors.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (GgufTensorInfo t : tensors) {
            w.tensor(t.name(), t.dims(), t.type());
        }
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             OutputStream os = new BufferedOutputStream(Files.newOutputStream(out))) {
            w.write(os, sink -> {
                for (GgufTensorInfo t : tensors) {
                    java.nio.channels.WritableByteChannel dst = Channels.newChannel(sink.begin(t.name()));
                    for (long done = 0; done < t.bytes(); ) {
                        done += in.transferTo(t.fileOffset() + done, t.bytes() - done, dst);
                    }
                }
            });
        }
        return out;
    }
}
