package io.mqtap.streams;

import static io.mqtap.streams.Events.HOST_A;
import static io.mqtap.streams.Events.T0;
import static io.mqtap.streams.Events.open;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenAlertSeverity;
import io.mqtap.streams.avro.MqOpenAlertType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("registry")
class RateSpikeRuleTest {
    @TempDir Path stateDir;

    private static final Map<String, String> RULE = Map.of(
            "mqtap.alert.rate.alpha", "0.5",
            "mqtap.alert.rate.multiplier", "5",
            "mqtap.alert.rate.floor", "40",
            "mqtap.alert.rate.warmup-minutes", "3",
            "mqtap.grace", "PT0S");

    @Test
    void aMinuteFarAboveTheUsualRateAlertsOnceAfterWarmUp() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, RULE)) {
            // "steady": 10 a minute for minutes 0-3, then 100 in minute 4 (> max(40, 5 x 10))
            // "small": 1 a minute, then 30 in minute 4: 30x its usual rate but under the floor
            // "early": 100 in minute 0 with no history: no usual rate yet, no alert
            for (int minute = 0; minute < 4; minute++) {
                calls(f, "steady", minute, 10);
                calls(f, "small", minute, 1);
            }
            calls(f, "early", 0, 100);
            calls(f, "steady", 4, 100);
            calls(f, "small", 4, 30);
            calls(f, "tick", 6, 1); // closes minute 4 (grace 0)

            List<MqOpenAlert> alerts = f.alerts.readValuesToList();
            assertThat(alerts).singleElement().satisfies(a -> {
                assertThat(a.getType()).isEqualTo(MqOpenAlertType.RATE_SPIKE);
                assertThat(a.getSeverity()).isEqualTo(MqOpenAlertSeverity.WARNING);
                assertThat(a.getComm()).isEqualTo("steady");
                assertThat(a.getMachineId()).isEqualTo(HOST_A);
                assertThat(a.getHostname()).isEqualTo("host-a");
                assertThat(a.getObserved()).isEqualTo(100);
                assertThat(a.getBaseline()).isCloseTo(10.0, within(1e-9));
                assertThat(a.getThreshold()).isCloseTo(50.0, within(1e-9));
                assertThat(a.getWindowStart()).isEqualTo(T0.plus(Duration.ofMinutes(4)));
                assertThat(a.getWindowEnd()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
                assertThat(a.getTimestamp()).isEqualTo(T0.plus(Duration.ofMinutes(5)));
                assertThat(a.getMessage()).contains("steady", "100", "usually 10.0");
            });
        }
    }

    @Test
    void quietMinutesLowerTheUsualRate() throws Exception {
        try (TopologyFixture f = new TopologyFixture(stateDir, RULE)) {
            // 40 a minute for minutes 0-3 (usual 40, threshold 200), then silence for minutes 4-7:
            // usual decays to 40 x 0.5^4 = 2.5, so 60 in minute 8 is a spike (threshold max(40, 12.5) = 40)
            for (int minute = 0; minute < 4; minute++) {
                calls(f, "sleepy", minute, 40);
            }
            calls(f, "sleepy", 8, 60);
            calls(f, "tick", 10, 1);
            assertThat(f.alerts.readValuesToList()).singleElement().satisfies(a -> {
                assertThat(a.getComm()).isEqualTo("sleepy");
                assertThat(a.getBaseline()).isCloseTo(2.5, within(1e-9));
                assertThat(a.getThreshold()).isCloseTo(40.0, within(1e-9));
            });
        }
    }

    private static void calls(TopologyFixture f, String comm, int minute, int n) {
        for (int i = 0; i < n; i++) {
            f.pipe(open(HOST_A, comm, T0.plus(Duration.ofMinutes(minute)).plusMillis(i * 10L)).build());
        }
    }
}
