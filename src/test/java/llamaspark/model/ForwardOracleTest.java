package llamaspark.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import llamaspark.Oracles;
import llamaspark.model.kernel.Backend;
import llamaspark.profile.StageProfile;
import llamaspark.sampling.Sampler;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The bare forward pass, fed one token per step like run.c, against run.c's greedy ids. */
class ForwardOracleTest {

    @ParameterizedTest
    @EnumSource(Backend.class)
    void stories260kGreedyIdsMatchRunC(Backend backend) {
        Oracles.Ids oracle = Oracles.ids("stories260K_greedy_ids");
        LlamaWeights w = CheckpointReader.read(Oracles.STORIES260K, backend.layout());
        Llama llama = new Llama(w, backend, 1, 8);
        int VS = w.config.vocabSize();
        float[] logits = new float[VS];
        StepBatch batch = new StepBatch(8, 1);
        int[] generated = new int[oracle.generated().length];
        int token = oracle.prompt()[0];
        int n = 0;
        for (int pos = 0; n < generated.length; pos++) {
            batch.clear();
            batch.wantLogits(batch.add(token, 0, pos));
            llama.forward(batch, logits, StageProfile.disabled());
            if (pos < oracle.prompt().length - 1) {
                token = oracle.prompt()[pos + 1];
            } else {
                token = Sampler.argmax(logits, 0, VS);
                generated[n++] = token;
            }
        }
        assertArrayEquals(oracle.generated(), generated, () -> "got " + Arrays.toString(generated));
    }
}
