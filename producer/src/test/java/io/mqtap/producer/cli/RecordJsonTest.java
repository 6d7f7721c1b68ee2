package io.mqtap.producer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mqtap.avro.MqOpen;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** tail's JSON lines carry control and bidi characters only as JSON unicode escapes: safe on a terminal, the same string to a JSON reader. */
class RecordJsonTest {
    @Test
    void controlAndBidiCharactersAreEscapedAndReadBackUnchanged() throws Exception {
        String name = "q\u001b[2J\r\n\u007f\u009b\u202egpj.exe\u2066";
        String comm = "c\u200b\u0007";
        MqOpen r = MqOpen.newBuilder().setHostname("h").setMachineId("m").setBootId("b").setRunId("r").setSequence(0)
                .setTimestamp(Instant.parse("2026-11-30T10:00:00Z")).setBootTimeNs(1L).setProbe("tracepoint").setCpu(0)
                .setPid(7L).setTid(7L).setPpid(1L).setNsPid(7L).setUid(1000L).setGid(1000L).setComm(comm)
                .setCgroupId(1L).setMntNs(1L).setPidNs(1L).setName(name).setNameRaw(ByteBuffer.wrap(new byte[] {'q'}))
                .setNameTruncated(false).setNameChanged(false).setOflag(0).setFlags(List.of("O_RDONLY")).setMode(0)
                .setReturnValue(3L).build();
        String line = RecordJson.toJson(r);
        assertThat(line).contains("\"name\":\"q\\u001B[2J\\r\\n\\u007f\\u009b\\u202egpj.exe\\u2066\"")
                .contains("\"comm\":\"c\\u200b\\u0007\"");
        assertThat(line.chars()).allMatch(c -> c >= 0x20 && c < 0x7f); // nothing a terminal would act on
        var back = new ObjectMapper().readTree(line);
        assertThat(back.get("name").asText()).isEqualTo(name);
        assertThat(back.get("comm").asText()).isEqualTo(comm);
    }
}
