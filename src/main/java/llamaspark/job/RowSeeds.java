package llamaspark.job;

import java.nio.charset.StandardCharsets;

/**
 * The seed of a row that has none of its own: a function of the job's seed and the row's id
 * only, so it does not change with partitioning, batch size, executors or retries.
 */
final class RowSeeds {
    private RowSeeds() {
    }

    static long derive(long jobSeed, String id) {
        long h = 0xcbf29ce484222325L; // FNV-1a over the id's bytes
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        long z = h ^ (jobSeed * 0x9E3779B97F4A7C15L); // splitmix64 finaliser
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        // xorshift state must not be 0; keep it positive like a run.c command-line seed.
        z &= Long.MAX_VALUE;
        return z == 0 ? 1 : z;
    }
}
