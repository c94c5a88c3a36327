package llamaspark.job;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import llamaspark.BadInputException;
import llamaspark.generate.BatchGenerator;
import llamaspark.generate.GenerationRequest;
import llamaspark.generate.GenerationResult;
import llamaspark.generate.GeneratorOptions;
import llamaspark.model.kernel.HugePages;
import llamaspark.profile.StageProfile;
import llamaspark.progress.RowCounters;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Runs one partition of prompts through the engine on an executor: the model named by the broadcast
 * reference (opened once per executor JVM, {@link ExecutorModels}), a batched generator with continuous batching, and one stage profile for the
 * task, reported to the driver through an accumulator when the partition is done. Output rows are
 * produced as rows finish, not all at the end, and journalled to the work directory as they finish
 * ({@link RowJournal}), so a crash loses only the rows in flight; each finished row is counted in
 * the job's {@link RowCounters} at once, for the driver's live progress.
 */
final class PartitionGenerator implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<ModelRef> model;
    private final JobDefaults defaults;
    private final int batchSize;
    private final int threads;
    private final CollectionAccumulator<TaskProfile> profiles;
    private final RowCounters counters;
    private final RowJournal.Spec journal;

    /**
     * @param threads per task; 0 = the cores Spark gives the task
     * @param journal where finished rows are made durable as they finish
     */
    PartitionGenerator(Broadcast<ModelRef> model, JobDefaults defaults, int batchSize, int threads,
                       CollectionAccumulator<TaskProfile> profiles, RowCounters counters, RowJournal.Spec journal) {
        this.model = model;
        this.defaults = defaults;
        this.batchSize = batchSize;
        this.threads = threads;
        this.profiles = profiles;
        this.counters = counters;
        this.journal = journal;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        return new Rows(input);
    }

    private final class Rows implements Iterator<Row> {
        private final long start = System.nanoTime();
        private final ModelRef ref = model.value();
        private final int partitionId = TaskContext.getPartitionId();
        private final String executorId = SparkEnv.get().executorId();
        private final String host = SparkEnv.get().blockManager().blockManagerId().host();
        private final ExecutorModels.Opened opened = ExecutorModels.open(ref,
                SparkHadoopUtil.get().newConfiguration(SparkEnv.get().conf()),
                ModelRef.cacheRoot(ref.cacheDir(), SparkEnv.get().conf()), executorId + " on " + host);
        private final StageProfile profile = new StageProfile();
        private final BatchGenerator generator = BatchGenerator.create(opened.model().weights(), opened.model().tokenizer(),
                GeneratorOptions.of(ref.backend(), batchSize).withKvCache(ref.kvCache())
                        .withThreads(threads > 0 ? threads : TaskContext.get().cpus()),
                profile);
        private final RowJournal finished = new RowJournal(journal, partitionId, TaskContext.get().taskAttemptId());
        private final ArrayDeque<Row> ready = new ArrayDeque<>();
        private final Map<GenerationRequest, PromptRow> pending = new IdentityHashMap<>();
        private final Iterator<GenerationRequest> requests;
        private long rows;
        private long failed;
        private long tokensCounted;
        private boolean done;

        Rows(Iterator<Row> input) {
            // The engine's helper threads end with the task, whether it succeeds or not; rows that
            // finished are journalled either way.
            TaskContext.get().addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> {
                generator.close();
                finished.close();
            });
            requests = new Iterator<>() {
                private GenerationRequest next;

                @Override
                public boolean hasNext() {
                    while (next == null && input.hasNext()) {
                        PromptRow p = JobSchemas.promptRow(input.next());
                        if (p.inputError() != null) {
                            emit(p, null, null, p.inputError());
                        } else {
                            try {
                                // Pulled by the generator's admit: inside generate.iteration.
                                next = defaults.requestFor(p, opened.model().chatTemplate(), opened.model().tokenizer(), profile);
                                pending.put(next, p);
                            } catch (BadInputException e) {
                                emit(p, null, null, e.getMessage());
                            }
                        }
                    }
                    return next != null;
                }

                @Override
                public GenerationRequest next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    GenerationRequest r = next;
                    next = null;
                    return r;
                }
            };
        }

        @Override
        public boolean hasNext() {
            while (ready.isEmpty() && !done) {
                if (!generator.advance(requests, r -> {
                    PromptRow p = pending.remove(r.request());
                    emit(p, r.request(), r, r.error());
                })) {
                    done = true;
                }
                counters.tokens(generator.generatedTokens() - tokensCounted);
                tokensCounted = generator.generatedTokens();
                if (done) {
                    finished.flush();
                    profiles.add(new TaskProfile(executorId, host, partitionId, profile, rows, failed,
                            generator.promptTokens(), generator.generatedTokens(), System.nanoTime() - start,
                            ExecutorModels.opens(ref), ExecutorModels.stats(ref, opened), HugePages.processBytes()));
                }
            }
            return !ready.isEmpty();
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.poll();
        }

        private void emit(PromptRow p, GenerationRequest req, GenerationResult r, String error) {
            rows++;
            if (error != null) {
                failed++;
            }
            counters.row(error != null);
            Row row = JobSchemas.generationRow(p, req, r, error, ref.model(), partitionId, executorId);
            finished.add(row, p.fingerprint());
            ready.add(row);
        }
    }
}
