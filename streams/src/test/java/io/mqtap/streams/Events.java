package io.mqtap.streams;

import io.mqtap.avro.MqAttr;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Test events: a plausible successful mq_open, changed with the builder where a test needs it. */
final class Events {
    static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    static final String HOST_A = "a".repeat(32);
    static final String HOST_B = "b".repeat(32);
    static final String RUN = "11111111-1111-4111-8111-111111111111";

    private static final java.util.concurrent.atomic.AtomicLong NEXT_SEQUENCE = new java.util.concurrent.atomic.AtomicLong();

    private Events() {}

    static MqOpen.Builder open(String machineId, String comm, Instant at) {
        byte[] raw = "queue".getBytes(StandardCharsets.UTF_8);
        return MqOpen.newBuilder()
                .setHostname("host-" + machineId.charAt(0))
                .setMachineId(machineId)
                .setBootId("22222222-2222-4222-8222-222222222222")
                .setRunId(RUN)
                .setSequence(NEXT_SEQUENCE.getAndIncrement()) // each call its own dedup key, as in a real run
                .setTimestamp(at)
                .setBootTimeNs(1_000L)
                .setProbe("tracepoint")
                .setCpu(0)
                .setPid(1234)
                .setTid(1234)
                .setPpid(1)
                .setNsPid(1234)
                .setUid(1000)
                .setGid(1000)
                .setComm(comm)
                .setCgroupId(1)
                .setMntNs(4026531841L)
                .setPidNs(4026531836L)
                .setContainerId(null)
                .setName("queue")
                .setNameRaw(ByteBuffer.wrap(raw))
                .setNameTruncated(false)
                .setNameChanged(false)
                .setNameError(null)
                .setOflag(0)
                .setFlags(new ArrayList<>(List.of("O_RDONLY")))
                .setMode(0)
                .setAttr(null)
                .setReturnValue(3)
                .setErrno(null);
    }

    static MqOpen.Builder failed(MqOpen.Builder b, String errno, int code) {
        return b.setReturnValue(-code).setErrno(errno);
    }

    static MqOpen.Builder created(MqOpen.Builder b, int mode) {
        List<String> flags = new ArrayList<>(List.of("O_RDWR", "O_CREAT"));
        return b.setOflag(02 | 0100).setFlags(flags).setMode(mode).setAttr(new MqAttr(0L, 10L, 8192L, 0L));
    }

    static MqOpen.Builder named(MqOpen.Builder b, byte[] raw, String name) {
        return b.setNameRaw(ByteBuffer.wrap(raw)).setName(name);
    }

    static MqOpenStats stats(String machineId, String runId, Instant at, long sequence, long published) {
        return MqOpenStats.newBuilder()
                .setHostname("host-" + machineId.charAt(0))
                .setMachineId(machineId)
                .setBootId("22222222-2222-4222-8222-222222222222")
                .setRunId(runId)
                .setTimestamp(at)
                .setIntervalMs(10_000)
                .setProbe("tracepoint")
                .setCaptured(sequence + 1)
                .setLostKernel(0)
                .setDropped(0)
                .setPublished(published)
                .setFailed(0)
                .setInFlight(0)
                .setSequence(sequence)
                .build();
    }
}
