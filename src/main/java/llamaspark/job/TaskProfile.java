package llamaspark.job;

import java.io.Serializable;
import llamaspark.profile.StageProfile;

/**
 * What one partition's task reports to the driver besides its rows: where it ran, its counts and
 * stage times, and what opening the model cost its JVM ({@code modelMaterialisations}: times the
 * JVM opened the model, 1 when all its tasks share it), and how much of its JVM's memory was on
 * huge pages as it ended ({@code hugePageBytes}, -1 where the system does not say: see
 * {@link llamaspark.model.kernel.HugePages}).
 */
public record TaskProfile(String executorId, String host, int partitionId, StageProfile profile, long rows,
                          long failedRows, long promptTokens, long completionTokens, long taskNanos,
                          int modelMaterialisations, ExecutorModels.Stats modelLoad, long hugePageBytes) implements Serializable {
}
