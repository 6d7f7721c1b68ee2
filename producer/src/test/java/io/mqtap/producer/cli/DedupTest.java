package io.mqtap.producer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** tail --dedupe: a record sent twice (same machineId, runId, sequence) is printed once. */
class DedupTest {
    private static final String RUN_A = "7d1c1a4e-5e1f-4b53-9a8c-0f6c2b3d4e5f";
    private static final String RUN_B = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    private static MqOpen record(String machine, String run, long seq) {
        return MqOpen.newBuilder().setHostname("h").setMachineId(machine).setBootId("b").setRunId(run).setSequence(seq)
                .setTimestamp(Instant.EPOCH).setBootTimeNs(1).setProbe("tracepoint").setCpu(0).setPid(1).setTid(1).setPpid(0)
                .setNsPid(1).setUid(0).setGid(0).setComm("c").setCgroupId(1).setMntNs(1).setPidNs(1).setName("q")
                .setNameRaw(ByteBuffer.wrap(new byte[] {'q'})).setNameTruncated(false).setNameChanged(false).setOflag(0)
                .setFlags(List.of("O_RDONLY")).setMode(0).setReturnValue(3).build();
    }

    @Test
    void theSameKeyTwiceIsPrintedOnceAndCounted() {
        Dedup d = new Dedup(1000);
        assertThat(d.first(record("m1", RUN_A, 0))).isTrue();
        assertThat(d.first(record("m1", RUN_A, 1))).isTrue();
        assertThat(d.first(record("m1", RUN_A, 0))).as("resent").isFalse();
        assertThat(d.first(record("m1", RUN_B, 0))).as("another run").isTrue();
        assertThat(d.first(record("m2", RUN_A, 0))).as("another host").isTrue();
        assertThat(d.duplicates()).isEqualTo(1);
    }

    @Test
    void recordsWithoutADedupKeyAlwaysPass() {
        Dedup d = new Dedup(10);
        MqOpenStats s = new MqOpenStats();
        s.setHostname("h");
        s.setMachineId("m1");
        s.setRunId(RUN_A);
        s.setSequence(5);
        assertThat(d.first(s)).isTrue();
        assertThat(d.first(s)).as("stats records repeat their last sequence: not events").isTrue();
    }

    @Test
    void onlyTheLastWindowOfKeysIsRemembered() {
        Dedup d = new Dedup(3);
        for (long i = 0; i < 4; i++) assertThat(d.first(record("m1", RUN_A, i))).isTrue();
        assertThat(d.first(record("m1", RUN_A, 3))).isFalse();
        assertThat(d.first(record("m1", RUN_A, 0))).as("forgotten: older than the window").isTrue();
    }
}
