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
        Suppression s = new Suppression(() -> many, uid -> { });
        List<Suppression.Entry> first = s.changed();
        assertThat(first).hasSize(Suppression.MAX_ENTRIES);
        assertThat(first.get(0).uid()).isEqualTo(Suppression.MAX_ENTRIES + 49L); // the largest first
        // the 50 left out are listed by the next record, though their counts did not move since
        assertThat(s.changed()).extracting(Suppression.Entry::uid).containsExactlyInAnyOrderElementsOf(
                java.util.stream.LongStream.range(0, 50).boxed().toList());
        assertThat(s.changed()).isEmpty();
    }

    @Test
    void theLargestGrowthSinceTheLastRecordComesFirstNotTheLargestTotal() {
        AtomicReference<List<FairAccount>> now = new AtomicReference<>(List.of(
                new FairAccount(1, 1_000_000, 0, 1, 1), new FairAccount(2, 10, 0, 1, 1)));
        Suppression s = new Suppression(now::get, uid -> { });
        s.changed();
        now.set(List.of(new FairAccount(1, 1_000_001, 0, 1, 2), new FairAccount(2, 500, 0, 1, 2)));
        assertThat(s.changed()).extracting(Suppression.Entry::uid).containsExactly(2L, 1L);
    }
}
