package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    @Test
    void readsTheEffectiveSetTheKernelReports() throws Exception {
        String line = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow();
        long eff = Long.parseUnsignedLong(line.substring(7).trim(), 16);
        assertThat(Capabilities.effective()).hasValue(eff);
        assertThat(Capabilities.holds(Capabilities.CAP_BPF)).isEqualTo((eff >>> 39 & 1) != 0);
        assertThat(Capabilities.describe()).contains("CapEff " + String.format("%016x", eff));
    }

    @Test
    void nothingIsMissingWhenBothOrSysAdminAreHeld() {
        boolean sysAdmin = Capabilities.holds(Capabilities.CAP_SYS_ADMIN);
        boolean both = Capabilities.holds(Capabilities.CAP_BPF) && Capabilities.holds(Capabilities.CAP_PERFMON);
        assertThat(Capabilities.missingForProbe().isEmpty()).isEqualTo(sysAdmin || both);
        if (!sysAdmin) {
            assertThat(Capabilities.missingForProbe().contains("CAP_BPF")).isEqualTo(!Capabilities.holds(Capabilities.CAP_BPF));
            assertThat(Capabilities.missingForProbe().contains("CAP_PERFMON"))
                    .isEqualTo(!Capabilities.holds(Capabilities.CAP_PERFMON));
        }
    }
}
