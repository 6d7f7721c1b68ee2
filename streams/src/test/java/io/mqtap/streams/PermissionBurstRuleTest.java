package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.HOST_B;
import static io.mqtap.streams.Events.T0;
import static io.mqtap.streams.Events.failed;
import static io.mqtap.streams.Events.open;
import static org.assertj.core.api.Assertions.assertThat;

import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("registry")
class PermissionBurstRuleTest {
    @TempDir Path stateDir;

    @Test
    void thresholdEaccesOrEpermFailuresOfOneProcessInAWindowAlertOnce() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, Map.of(
                "mqtap.alert.permission.threshold", "5", "mqtap.alert.permission.window", "PT1M"))) {
            for (int i = 0; i < 4; i++) {
                f.pipe(failed(open(HOST_A, "snoop", T0.plusSeconds(i)), "EACCES", 13).build());
            }
            // other failures, other processes, other hosts do not add up
            f.pipe(failed(open(HOST_A, "snoop", T0.plusSeconds(5)), "ENOENT", 2).build());
            f.pipe(failed(open(HOST_A, "other", T0.plusSeconds(6)), "EACCES", 13).build());
            f.pipe(failed(open(HOST_B, "snoop", T0.plusSeconds(7)), "EACCES", 13).build());
            assertThat(f.alerts.isEmpty()).isTrue();

            f.pipe(failed(open(HOST_A, "snoop", T0.plusSeconds(8)), "EPERM", 1).build()); // the 5th
            f.pipe(failed(open(HOST_A, "snoop", T0.plusSeconds(9)), "EACCES", 13).build()); // the 6th: no repeat
            List<MqOpenAlert> alerts = f.alerts.readValuesToList();
            assertThat(alerts).singleElement().satisfies(a -> {
                assertThat(a.getType()).isEqualTo(MqOpenAlertType.PERMISSION_FAILURE_BURST);
                assertThat(a.getComm()).isEqualTo("snoop");
                assertThat(a.getMachineId()).isEqualTo(HOST_A);
                assertThat(a.getObserved()).isEqualTo(5);
                assertThat(a.getThreshold()).isEqualTo(5.0);
                assertThat(a.getWindowStart()).isEqualTo(T0);
                assertThat(a.getWindowEnd()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
                assertThat(a.getMessage()).contains("snoop", "5 EACCES/EPERM");
            });

            // a new window counts from zero again
            for (int i = 0; i < 5; i++) {
                f.pipe(failed(open(HOST_A, "snoop", T0.plusSeconds(60 + i)), "EACCES", 13).build());
            }
            assertThat(f.alerts.readValuesToList()).singleElement()
                    .satisfies(a -> assertThat(a.getWindowStart()).isEqualTo(T0.plusSeconds(60)));
        }
    }
}
