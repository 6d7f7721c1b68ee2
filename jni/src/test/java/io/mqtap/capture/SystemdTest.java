package io.mqtap.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify through libmqtap, received by a real AF_UNIX datagram socket (Python's, as systemd's would be). */
class SystemdTest {
    @TempDir Path dir;

    private static String receiveOne(String address, String state) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
                "a = sys.argv[1]",
                "s.bind('\\0' + a[1:] if a.startswith('@') else a)",
                "print('bound', flush=True)",
                "s.settimeout(10)",
                "print(s.recv(4096).decode().replace('\\n', '|'), flush=True)"), address).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("bound");
            assertThat(Systemd.notify(address, state)).isTrue();
            String got = out.readLine();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            return got;
        }
    }

    @Test
    void sendsTheStateToAPathSocket() throws Exception {
        assertThat(receiveOne(dir.resolve("notify").toString(), "READY=1\nSTATUS=capturing")).isEqualTo("READY=1|STATUS=capturing");
    }

    @Test
    void sendsToAnAbstractSocket() throws Exception {
        assertThat(receiveOne("@mqtap-test-" + UUID.randomUUID(), "WATCHDOG=1")).isEqualTo("WATCHDOG=1");
    }

    @Test
    void aMissingSocketIsNamed() {
        assertThatThrownBy(() -> Systemd.notify(dir.resolve("nobody-listens").toString(), "READY=1"))
                .hasMessageContaining("sd_notify(").hasMessageContaining("ENOENT");
        assertThatThrownBy(() -> Systemd.notify("relative", "READY=1")).hasMessageContaining("Address family not supported");
    }

    @Test
    void outsideSystemdNothingIsSent() {
        // the test JVM is not a notify service
        assertThat(Systemd.notifying()).isFalse();
        assertThat(Systemd.notify("READY=1")).isFalse();
    }
}
