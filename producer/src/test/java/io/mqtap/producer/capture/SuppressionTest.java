package io.mqtap.producer.capture;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.capture.FairAccount;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Per-uid suppression for the stats record (what moved since the last one) and the metric (a bounded label set). */
class SuppressionTest {
    @Test
    void eachRecordListsTheUidsThatMovedTheLargestFirst() {
        AtomicReference<List<FairAccount>> now = new AtomicReference<>(List.of(
                new FairAccount(65534, 1_000, 0, 10, 20), new FairAccount(1000, 5, 1, 11, 12)));
        List<Long> labels = new ArrayList<>();
        Suppression s = new Suppression(now::get, labels::add);

        assertThat(s.changed()).extracting(Suppression.Entry::uid).containsExactly(65534L, 1000L);
        assertThat(labels).containsExactly(65534L, 1000L);
        assertThat(s.suppressed(65534)).isEqualTo(1_000);

        now.set(List.of(new FairAccount(65534, 1_000, 0, 10, 20), new FairAccount(1000, 9, 1, 11, 30)));
        assertThat(s.changed()).containsExactly(new Suppression.Entry(1000, 9, 1, 11, 30)); // 65534 did not move
        now.set(now.get());
        assertThat(s.changed()).isEmpty();
    }

    @Test
    void uidsPastTheLabelLimitAddUpInOther() {
        List<FairAccount> many = new ArrayList<>();
        for (int uid = 0; uid < Suppression.MAX_LABELS + 10; uid++) many.add(new FairAccount(uid, 2, 0, 1, 1));
        List<Long> labels = new ArrayList<>();
        Suppression s = new Suppression(() -> many, labels::add);
        s.changed();
        assertThat(labels).hasSize(Suppression.MAX_LABELS);
        assertThat(s.suppressedOther()).isEqualTo(10 * 2);
        long labelled = labels.stream().mapToLong(s::suppressed).sum();
        assertThat(labelled + s.suppressedOther()).as("nothing counted twice or left out").isEqualTo(many.size() * 2L);
    }

    @Test
    void aRecordListsAtMostMaxEntries() {
        List<FairAccount> many = new ArrayList<>();
        for (int uid = 0; uid < Suppression.MAX_ENTRIES + 50; uid++) many.add(new FairAccount(uid, uid + 1, 0, 1, 1));
        List<Suppression.Entry> first = new Suppression(() -> many, uid -> { }).changed();
        assertThat(first).hasSize(Suppression.MAX_ENTRIES);
        assertThat(first.get(0).uid()).isEqualTo(Suppression.MAX_ENTRIES + 49L); // the largest first
    }
}
