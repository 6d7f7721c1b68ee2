package io.mqtap.testkit.process;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Every child process a test or benchmark starts, so each is stopped by its own pid when it is done with, on
 * failure, and when this JVM exits (Ctrl-C included): the newest first; SIGTERM to the child, then to its
 * descendants; after a grace period, SIGKILL to the descendants, then to the child.
 */
public final class ChildProcesses {
    private static final List<Process> RUNNING = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ChildProcesses::stopAll, "mqtap-child-processes"));
    }

    private ChildProcesses() {}

    /** Remembers the process, so it is stopped at the latest when this JVM exits. */
    public static synchronized Process track(Process p) {
        RUNNING.add(p);
        return p;
    }

    /** Stops one child (and what it started), waiting at most graceSeconds before SIGKILL. */
    public static void stop(Process p, long graceSeconds) {
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
        forget(p);
    }

    static synchronized void forget(Process p) {
        RUNNING.remove(p);
    }

    /** Stops every tracked child, newest first. */
    public static void stopAll() {
        List<Process> all;
        synchronized (ChildProcesses.class) {
            all = new ArrayList<>(RUNNING);
        }
        for (int i = all.size() - 1; i >= 0; i--) stop(all.get(i), 15);
    }
}
