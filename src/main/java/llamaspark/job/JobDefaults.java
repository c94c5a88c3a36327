package llamaspark.job;

import java.io.Serializable;
import java.util.List;

/** The generation parameters of rows that do not set their own. */
record JobDefaults(int maxNewTokens, float temperature, float topP, int topK, float minP, long seed,
                   List<String> stop) implements Serializable {
}
