package llamaspark.model;

import java.util.Map;
import llamaspark.chat.ChatTemplate;
import llamaspark.tokenizer.TextTokenizer;

/**
 * A model ready for the engine: its weights in the form the chosen backend multiplies, the
 * tokenizer that goes with it (the file's own vocabulary for GGUF: SentencePiece or byte-level BPE;
 * a Hugging Face directory's tokenizer.json), and what the file was.
 *
 * @param format      "gguf", "llama2.c" (legacy), "llama2.c-v1", "llama2.c-v2" or "npz"
 * @param tensorTypes how many weight tensors of each stored type the file holds (e.g. F32 -> 9, Q8_0 -> 28)
 * @param chatTemplate the model's own chat template (GGUF {@code tokenizer.chat_template}, Hugging
 *                     Face {@code tokenizer_config.json}), or null when it has none; parsed here, with
 *                     the model (once per JVM), so rows pay only for rendering
 */
public record LoadedModel(LlamaWeights weights, TextTokenizer tokenizer, String format, Map<String, Integer> tensorTypes,
                          ChatTemplate chatTemplate) {
    public LoadedModel {
        if (chatTemplate != null) {
            chatTemplate.parse();
        }
    }
}
