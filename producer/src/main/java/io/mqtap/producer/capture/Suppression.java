package io.mqtap.producer.capture;

import io.mqtap.capture.FairAccount;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What the kernel's per-user fairness suppressed (and the buffer lost), per uid, for the stats record and the metric.
 * Reads the probe's cumulative accounts; {@link #changed()} gives the uids whose counts moved since a record last listed
 * them (the stats record's entries, at most {@link #MAX_ENTRIES} of them, the largest moves first), and every uid seen gets
 * a gauge {@code mqtap.suppressed.<uid>} (mqtap_suppressed_total{uid}) until {@link #MAX_LABELS} uids have one; the
 * suppression of any later uid adds to {@code mqtap.suppressed.other}, so the label set stays bounded.
 */
public final class Suppression {
    /** Uids the stats record lists per interval. */
    public static final int MAX_ENTRIES = 256;
    /** Uids with a label of their own on /prometheus. */
    public static final int MAX_LABELS = 64;

    /** One uid's cumulative counts: calls over budget, calls the buffer lost, and the boot-clock ns of the first and latest. */
    public record Entry(long uid, long suppressed, long lost, long firstBootNanos, long lastBootNanos) {}

    private final Supplier<List<FairAccount>> accounts;
    private final Map<Long, FairAccount> last = new HashMap<>();
    private final Map<Long, FairAccount> latest = new ConcurrentHashMap<>();
    private final Map<Long, Boolean> labelled = new ConcurrentHashMap<>();
    private final Consumer<Long> newLabel;

    /** {@code newLabel} registers the gauge of a uid that gets a label of its own (it reads {@link #suppressed(long)}). */
    public Suppression(Supplier<List<FairAccount>> accounts, Consumer<Long> newLabel) {
        this.accounts = accounts;
        this.newLabel = newLabel;
    }

    /**
     * Reads the accounts now: the uids whose counts changed since the record that last listed them, those that grew
     * most first. A uid left out because of {@link #MAX_ENTRIES} stays changed, so a later record lists it.
     */
    public synchronized List<Entry> changed() {
        List<FairAccount> now = accounts.get();
        List<FairAccount> moved = new ArrayList<>();
        for (FairAccount a : now) {
            latest.put(a.uid(), a);
            FairAccount before = last.get(a.uid());
            if (before == null || before.suppressed() != a.suppressed() || before.lost() != a.lost()) moved.add(a);
            if (labelled.size() < MAX_LABELS && labelled.putIfAbsent(a.uid(), Boolean.TRUE) == null) newLabel.accept(a.uid());
        }
        moved.sort(Comparator.comparingLong(this::growth).reversed());
        List<Entry> out = new ArrayList<>(Math.min(moved.size(), MAX_ENTRIES));
        for (FairAccount a : moved.subList(0, Math.min(moved.size(), MAX_ENTRIES))) {
            last.put(a.uid(), a);
            out.add(new Entry(a.uid(), a.suppressed(), a.lost(), a.firstBootNanos(), a.lastBootNanos()));
        }
        return out;
    }

    /** How much a uid's counts grew since a record last listed it. */
    private long growth(FairAccount a) {
        FairAccount before = last.get(a.uid());
        return a.suppressed() + a.lost() - (before == null ? 0 : before.suppressed() + before.lost());
    }

    /** A labelled uid's suppressed calls, as last read. */
    public long suppressed(long uid) {
        FairAccount a = latest.get(uid);
        return a == null ? 0 : a.suppressed();
    }

    /** The suppressed calls of every uid without a label of its own, as last read. */
    public long suppressedOther() {
        long n = 0;
        for (FairAccount a : latest.values()) if (!labelled.containsKey(a.uid())) n += a.suppressed();
        return n;
    }
}
