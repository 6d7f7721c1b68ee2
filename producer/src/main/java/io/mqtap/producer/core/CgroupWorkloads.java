package io.mqtap.producer.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Workload} of the cgroup the kernel reported for an event. On cgroup v2 the event's cgroup id is
 * the inode number of the cgroup's directory, so the path is found by scanning the cgroup filesystem for that
 * inode, never through {@code /proc/<pid>} (a pid can be reused; a cgroup id is not). A cgroup the last scan
 * did not see triggers a rescan, at most one per {@code rescanInterval}; a cgroup removed before that scan
 * (a container that lived for less than that) stays unresolved: its events carry {@code cgroupId} only.
 * Every map is bounded: resolved ids in a Caffeine cache, the scan by {@code maxCgroups} directories.
 */
public final class CgroupWorkloads {
    private static final Logger LOG = LoggerFactory.getLogger(CgroupWorkloads.class);

    // a cgroup directory holds hundreds of interface files; skip them by name instead of a stat each
    private static final Pattern INTERFACE_FILE = Pattern.compile(
            "(cgroup|cpu|cpuacct|cpuset|io|memory|pids|rdma|hugetlb|misc|irq|dmem|blkio|devices|freezer|net_cls|net_prio|perf_event)\\..*"
                    + "|tasks|notify_on_release|release_agent");

    private final Path root;
    private final long rescanNanos;
    private final int maxCgroups;
    private final Cache<Long, Workload> resolved;
    private volatile Map<Long, String> paths = Map.of();
    private long lastScanNanos;
    private boolean warnedFull;

    public CgroupWorkloads(Path root, Duration rescanInterval, int maxCached, int maxCgroups) {
        this.root = root;
        this.rescanNanos = rescanInterval.toNanos();
        this.maxCgroups = maxCgroups;
        this.resolved = Caffeine.newBuilder().maximumSize(maxCached).expireAfterAccess(Duration.ofHours(1)).build();
        this.lastScanNanos = System.nanoTime() - rescanNanos;
    }

    /** The cgroup v2 hierarchy: /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones. */
    public static Path defaultRoot() {
        Path unified = Path.of("/sys/fs/cgroup");
        if (Files.exists(unified.resolve("cgroup.controllers"))) return unified;
        Path hybrid = unified.resolve("unified");
        return Files.exists(hybrid.resolve("cgroup.controllers")) ? hybrid : unified;
    }

    /** The default bounds: 16,384 resolved cgroups, 100,000 scanned, a rescan at most every 200 ms. */
    public static CgroupWorkloads onThisHost() {
        return new CgroupWorkloads(defaultRoot(), Duration.ofMillis(200), 16_384, 100_000);
    }

    public static CgroupWorkloads under(java.nio.file.Path root) {
        return new CgroupWorkloads(root, Duration.ofMillis(200), 16_384, 100_000);
    }

    /** The cgroup's workload; {@link Workload#NONE} for a host process, null when the cgroup can't be found. */
    public Workload resolve(long cgroupId) {
        Workload w = resolved.getIfPresent(cgroupId);
        if (w != null) return w;
        String path = paths.get(cgroupId);
        if (path == null && rescanDue()) {
            paths = scan();
            path = paths.get(cgroupId);
        }
        if (path == null) return null; // gone before we looked, or not under root (cgroup v1): not cached, a later scan may find it
        w = Workload.fromCgroupPath(path);
        resolved.put(cgroupId, w);
        return w;
    }

    private synchronized boolean rescanDue() {
        long now = System.nanoTime();
        if (now - lastScanNanos < rescanNanos) return false;
        lastScanNanos = now;
        return true;
    }

    /** inode -> path (relative to root, with a leading '/') of every cgroup directory. */
    Map<Long, String> scan() {
        Map<Long, String> found = new HashMap<>();
        ArrayDeque<Path> dirs = new ArrayDeque<>();
        dirs.push(root);
        while (!dirs.isEmpty()) {
            Path dir = dirs.pop();
            if (found.size() >= maxCgroups) {
                if (!warnedFull) LOG.warn("More than {} cgroups under {}: the rest are not resolved to containers", maxCgroups, root);
                warnedFull = true;
                break;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, e -> !INTERFACE_FILE.matcher(e.getFileName().toString()).matches())) {
                found.put((Long) Files.getAttribute(dir, "unix:ino", LinkOption.NOFOLLOW_LINKS), "/" + root.relativize(dir));
                for (Path e : entries) if (Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) dirs.push(e);
            } catch (IOException | RuntimeException e) {
                // removed while we walked, or unreadable: its events stay unresolved
            }
        }
        return found;
    }

    long cached() {
        resolved.cleanUp();
        return resolved.estimatedSize();
    }
}
