package io.mqtap.bench.serde;

import io.mqtap.avro.MqAttr;
import io.mqtap.avro.MqOpen;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.serde.AvroSerializer;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One realistic {@link MqOpen} to bytes, two ways in the same run: {@code framed} is what the producer does
 * (mqtap's {@link AvroSerializer}: Confluent header plus Avro binary, schema id from a real registry, resolved
 * once before measuring); {@code plain} is Avro's own {@link SpecificDatumWriter} into a reused stream and
 * encoder, the cheapest way to get the same record's bytes without a registry.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SerdeBenchmark {
    static final String TOPIC = "mq-open-events";

    private SchemaRegistryServer registry;
    private AvroSerializer<MqOpen> serializer;
    private long registryCallsAfterWarmup;
    private MqOpen record;
    private SpecificDatumWriter<MqOpen> writer;
    private ByteArrayOutputStream out;
    private BinaryEncoder encoder;

    @Setup
    public void setUp() {
        record = realisticRecord();
        registry = SchemaRegistryServer.start();
        serializer = new AvroSerializer<>(new SchemaRegistryClient(RegistryConfig.builder().url(registry.url()).build()));
        serializer.serialize(TOPIC, record); // the one registry call: registers and caches the schema id
        registryCallsAfterWarmup = serializer.client().requestCount();
        writer = new SpecificDatumWriter<>(MqOpen.getClassSchema(), record.getSpecificData());
        out = new ByteArrayOutputStream(512);
    }

    @TearDown
    public void tearDown() {
        long extra = serializer.client().requestCount() - registryCallsAfterWarmup;
        if (extra != 0) {
            throw new IllegalStateException("the registry was called " + extra + " times while measuring: it must be out of the hot path");
        }
        registry.stop();
    }

    @Benchmark
    public byte[] framed() {
        return serializer.serialize(TOPIC, record);
    }

    @Benchmark
    public byte[] plain() throws IOException {
        out.reset();
        encoder = EncoderFactory.get().binaryEncoder(out, encoder);
        writer.write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    /** What a typical event looks like: a worker opening a queue read-write with O_CREAT and attributes. */
    public static MqOpen realisticRecord() {
        return MqOpen.newBuilder()
            .setHostname("ip-10-0-3-17.eu-west-1.compute.internal")
            .setMachineId("4c4c4544004e3510804cb4c04f343132")
            .setBootId("0b3f3a3e-8a0e-4f5e-9a55-1c2d3e4f5a6b")
            .setRunId("a6f1c7e2-5b7d-4d4e-9d1e-2f3a4b5c6d7e")
            .setSequence(1_234_567L)
            .setTimestamp(Instant.parse("2026-11-29T02:10:00.123456Z"))
            .setBootTimeNs(91_234_567_890_123L)
            .setProbe("tracepoint")
            .setCpu(1)
            .setPid(48213L).setTid(48217L).setPpid(1L).setNsPid(48213L)
            .setUid(1000L).setGid(1000L)
            .setComm("orders-worker")
            .setCgroupId(8812L).setMntNs(4026531841L).setPidNs(4026531836L)
            .setContainerId("3f9c2a7be51d4c0e8a6b9d2f1e0c7b5a4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a")
            .setName("orders.incoming.eu-west-1")
            .setNameRaw(ByteBuffer.wrap("orders.incoming.eu-west-1".getBytes(StandardCharsets.UTF_8)))
            .setNameTruncated(false).setNameChanged(false).setNameError(null)
            .setOflag(0100 | 02 | 04000 | 02000000)
            .setFlags(List.of("O_RDWR", "O_CREAT", "O_NONBLOCK", "O_CLOEXEC"))
            .setMode(0640)
            .setAttr(MqAttr.newBuilder().setFlags(0L).setMaxmsg(10L).setMsgsize(8192L).setCurmsgs(0L).build())
            .setReturnValue(3L)
            .setErrno(null)
            .setDurationNs(2_150L)
            .build();
    }
}
