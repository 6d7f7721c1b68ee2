package io.mqtap.bench.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Every child process the benchmark starts, so each is stopped by its own pid at the end of the run, on failure,
 * and on Ctrl-C: the newest first; SIGTERM to the child, then to its descendants; after a grace period, SIGKILL to
 * the descendants, then to the child.
 */
final class Children {
    private static final List<Process> RUNNING = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Children::stopAll, "pipeline-bench-children"));
    }

    private Children() {}

    static synchronized Process track(Process p) {
        RUNNING.add(p);
        return p;
    }

    /** Stops one child (and what it started), waiting at most graceSeconds before SIGKILL. */
    static void stop(Process p, long graceSeconds) {
        if (p == null) return;
        List<ProcessHandle> kids = p.descendants().toList();
        p.destroy();
        kids.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                kids.forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        synchronized (Children.class) {
            RUNNING.remove(p);
        }
    }

    static void stopAll() {
        List<Process> all;
        synchronized (Children.class) {
            all = new ArrayList<>(RUNNING);
        }
        for (int i = all.size() - 1; i >= 0; i--) stop(all.get(i), 15);
    }
}
