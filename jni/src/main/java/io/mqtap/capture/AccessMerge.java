package io.mqtap.capture;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Merges a window's per-thread, per-result entries into one record per process, queue and call. */
final class AccessMerge {
    private AccessMerge() {}

    private record Key(boolean send, long pid, long processStartNs, long queueInode) {}

    private static final class Sum {
        long calls, bytes, unlinked, timeouts;
        long min = Long.MAX_VALUE, max = -1, first = Long.MAX_VALUE, last;
        final Map<Integer, Long> errors = new TreeMap<>();
        final Set<Long> tids = new HashSet<>();
    }

    static List<AccessRecord> merge(List<AccessEntry> entries, Map<MqOpenProbe.AccessKey, MqTransferEvent> contexts) {
        Map<Key, Sum> sums = new LinkedHashMap<>();
        for (AccessEntry e : entries) {
            Sum s = sums.computeIfAbsent(new Key(e.send(), e.pid(), e.processStartNs(), e.queueInode()), k -> new Sum());
            s.calls += e.calls();
            s.unlinked += e.unlinked();
            s.timeouts += e.timeouts();
            s.first = Math.min(s.first, e.firstNs());
            s.last = Math.max(s.last, e.lastNs());
            s.tids.add(e.tid());
            if (e.errno() != 0) {
                s.errors.merge(e.errno(), e.calls(), Long::sum);
            } else {
                s.bytes += e.bytes();
                // the kernel starts min at ~0 (unsigned): a successful entry always lowered it
                s.min = Math.min(s.min, e.minSize());
                s.max = Math.max(s.max, e.maxSize());
            }
        }
        List<AccessRecord> out = new ArrayList<>(sums.size());
        for (Map.Entry<Key, Sum> m : sums.entrySet()) {
            Key k = m.getKey();
            Sum s = m.getValue();
            boolean anySuccess = s.max >= 0;
            out.add(new AccessRecord(k.send(), k.pid(), k.processStartNs(), k.queueInode(), s.calls, Collections.unmodifiableMap(s.errors), s.bytes,
                    anySuccess ? s.min : null, anySuccess ? s.max : null, s.first, s.last, s.unlinked, s.timeouts, s.tids.size(),
                    contexts.get(new MqOpenProbe.AccessKey(k.pid(), k.processStartNs(), k.queueInode()))));
        }
        return out;
    }
}
