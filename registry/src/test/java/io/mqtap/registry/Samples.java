package io.mqtap.registry;

import io.mqtap.avro.MqAttr;
import io.mqtap.avro.MqOpen;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.apache.avro.Schema;

/** Realistic records and small evolving schemas for the tests. */
public final class Samples {
    private Samples() {}

    public static MqOpen mqOpen(long sequence) {
        return MqOpen.newBuilder()
            .setHostname("build-7.example.net")
            .setMachineId("4c4c4544004e3510804cb4c04f343132")
            .setBootId("0b3f3a3e-8a0e-4f5e-9a55-1c2d3e4f5a6b")
            .setRunId("a6f1c7e2-5b7d-4d4e-9d1e-2f3a4b5c6d7e")
            .setSequence(sequence)
            .setTimestamp(Instant.parse("2026-11-29T02:10:00.123456Z").truncatedTo(ChronoUnit.MICROS))
            .setBootTimeNs(1_234_567_890_123L)
            .setProbe("tracepoint")
            .setCpu(1)
            .setPid(4242L).setTid(4243L).setPpid(1L).setNsPid(7L)
            .setUid(1000L).setGid(1000L)
            .setComm("orders-worker")
            .setCgroupId(8812L).setMntNs(4026531841L).setPidNs(4026531836L)
            .setContainerId(null)
            .setName("orders.in")
            .setNameRaw(ByteBuffer.wrap("orders.in".getBytes(StandardCharsets.UTF_8)))
            .setNameTruncated(false).setNameChanged(false).setNameError(null)
            .setOflag(0100 | 02 | 04000)
            .setFlags(List.of("O_RDWR", "O_CREAT", "O_NONBLOCK"))
            .setMode(0644)
            .setAttr(MqAttr.newBuilder().setFlags(0L).setMaxmsg(10L).setMsgsize(8192L).setCurmsgs(0L).build())
            .setReturnValue(3L)
            .setErrno(null)
            .build();
    }

    /** A record schema with a unique name, so tests sharing one registry never collide. */
    public static Schema evo(String name, String... extraFields) {
        StringBuilder fields = new StringBuilder("{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"label\",\"type\":\"string\"}");
        for (String f : extraFields) {
            fields.append(',').append(f);
        }
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"" + name + "\",\"namespace\":\"io.mqtap.test\",\"fields\":[" + fields + "]}");
    }

    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
