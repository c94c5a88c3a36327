package llamaspark.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that run one job at a time, each on its share of the work: the caller
 * runs share 0 and helpers the rest. Handing out a job allocates nothing (a volatile round
 * counter and park/unpark), so a forward step stays allocation-free with several threads.
 * Helpers spin briefly between jobs, because a step hands out jobs back to back.
 */
public final class Workers implements AutoCloseable {
    /** A piece of work split in {@code workers} shares; {@code worker} is this thread's share. */
    public interface Job {
        void run(int worker, int workers);
    }

    private static final int SPINS = 20_000;

    private final int size;
    private final Thread[] helpers;
    private final AtomicInteger remaining = new AtomicInteger();
    private volatile Job job;
    private volatile long round;
    private volatile boolean closed;
    private volatile Throwable failure;

    public Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        size = threads;
        helpers = new Thread[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            int share = i + 1;
            helpers[i] = new Thread(() -> serve(share), "llamaspark-worker-" + share);
            helpers[i].setDaemon(true);
            helpers[i].start();
        }
    }

    public int size() {
        return size;
    }

    /** Runs {@code j} on every share and returns when all are done. */
    public void run(Job j) {
        if (size == 1) {
            j.run(0, 1);
            return;
        }
        job = j;
        remaining.set(size - 1);
        round++;
        for (Thread t : helpers) {
            LockSupport.unpark(t);
        }
        try {
            j.run(0, size);
        } finally {
            while (remaining.get() > 0) {
                Thread.onSpinWait();
            }
        }
        Throwable f = failure;
        if (f != null) {
            failure = null;
            throw new IllegalStateException("a worker thread failed", f);
        }
    }

    private void serve(int share) {
        long seen = 0;
        int idle = 0;
        while (!closed) {
            long r = round;
            if (r == seen) {
                if (++idle < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
                continue;
            }
            idle = 0;
            seen = r;
            try {
                job.run(share, size);
            } catch (Throwable e) {
                failure = e;
            } finally {
                remaining.decrementAndGet();
            }
        }
    }

    /** The half-open range [from, to) of {@code n} items that share {@code worker} of {@code workers} takes. */
    public static int from(int n, int worker, int workers) {
        return (int) ((long) n * worker / workers);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : helpers) {
            LockSupport.unpark(t);
        }
    }
}
