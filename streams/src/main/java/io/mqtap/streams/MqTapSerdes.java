package io.mqtap.streams;

import io.mqtap.avro.MqAccess;
import io.mqtap.avro.MqNotify;
import io.mqtap.avro.MqOpen;
import io.mqtap.avro.MqOpenStats;
import io.mqtap.avro.MqSetAttr;
import io.mqtap.avro.MqTransfer;
import io.mqtap.avro.MqUnlink;
import io.mqtap.registry.RegistryConfig;
import io.mqtap.registry.SchemaRegistryClient;
import io.mqtap.registry.serde.AvroSerde;
import io.mqtap.streams.avro.MqOpenAlert;
import io.mqtap.streams.avro.MqOpenCompleteness;
import io.mqtap.streams.avro.MqOpenCounts;
import io.mqtap.streams.avro.MqQueue;
import io.mqtap.streams.avro.internal.LifeFact;
import io.mqtap.streams.avro.internal.RateBaseline;
import io.mqtap.streams.avro.internal.RunProgress;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** The one place that binds each record type the application reads, writes or stores to its registry-aware serde. */
public final class MqTapSerdes {
    private final SchemaRegistryClient client;

    public MqTapSerdes(SchemaRegistryClient client) {
        this.client = client;
    }

    /** A client for the registry the settings name ({@code schema.registry.url} and friends). */
    public static MqTapSerdes fromSettings(Map<String, String> registryProps) {
        if (!registryProps.containsKey(RegistryConfig.URL)) {
            throw new IllegalArgumentException("the config needs " + RegistryConfig.URL);
        }
        return new MqTapSerdes(new SchemaRegistryClient(RegistryConfig.fromMap(registryProps)));
    }

    public Serde<MqOpen> mqOpen() { return of(MqOpen.class); }
    public Serde<MqOpenStats> stats() { return of(MqOpenStats.class); }
    public Serde<MqOpenCounts> counts() { return of(MqOpenCounts.class); }
    public Serde<MqOpenAlert> alert() { return of(MqOpenAlert.class); }
    public Serde<MqOpenCompleteness> completeness() { return of(MqOpenCompleteness.class); }
    public Serde<RateBaseline> rateBaseline() { return of(RateBaseline.class); }
    public Serde<RunProgress> runProgress() { return of(RunProgress.class); }
    public Serde<MqUnlink> unlink() { return of(MqUnlink.class); }
    public Serde<MqNotify> mqNotify() { return of(MqNotify.class); }
    public Serde<MqSetAttr> setAttr() { return of(MqSetAttr.class); }
    public Serde<MqAccess> access() { return of(MqAccess.class); }
    public Serde<MqTransfer> transfer() { return of(MqTransfer.class); }
    public Serde<LifeFact> lifeFact() { return of(LifeFact.class); }
    public Serde<MqQueue> queue() { return of(MqQueue.class); }

    public SchemaRegistryClient client() {
        return client;
    }

    private <T extends SpecificRecord> Serde<T> of(Class<T> type) {
        return new AvroSerde<>(client, type);
    }
}
