package io.mqtap.streams;

import io.mqtap.streams.avro.MqQueue;
import io.mqtap.streams.avro.internal.LifeFact;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/** The part of the topology about the rest of a queue's life: its five topics as facts, and the queue table. */
final class QueueLife {
    private QueueLife() {}

    /** MqUnlink, MqNotify, MqSetAttr, MqAccess and MqTransfer from their topics, each as a {@link LifeFact}. */
    static KStream<String, LifeFact> facts(StreamsBuilder b, StreamsSettings s, MqTapSerdes serdes) {
        Serde<String> keys = Serdes.String();
        return b.stream(s.unlinksTopic(), Consumed.with(keys, serdes.unlink()).withTimestampExtractor(new EventTime())
                        .withName("mq-unlink-events"))
                .mapValues(LifeFacts::of, Named.as("unlink-facts"))
                .merge(b.stream(s.notifiesTopic(), Consumed.with(keys, serdes.mqNotify()).withTimestampExtractor(new EventTime())
                                .withName("mq-notify-events"))
                        .mapValues(LifeFacts::of, Named.as("notify-facts")), Named.as("facts-1"))
                .merge(b.stream(s.setattrsTopic(), Consumed.with(keys, serdes.setAttr()).withTimestampExtractor(new EventTime())
                                .withName("mq-setattr-events"))
                        .mapValues(LifeFacts::of, Named.as("setattr-facts")), Named.as("facts-2"))
                .merge(b.stream(s.accessTopic(), Consumed.with(keys, serdes.access()).withTimestampExtractor(new EventTime())
                                .withName("mq-access-events"))
                        .mapValues(LifeFacts::of, Named.as("access-facts")), Named.as("facts-3"))
                .merge(b.stream(s.transfersTopic(), Consumed.with(keys, serdes.transfer()).withTimestampExtractor(new EventTime())
                                .withName("mq-transfer-events"))
                        .mapValues(LifeFacts::of, Named.as("transfer-facts")), Named.as("facts-4"));
    }

    /**
     * The queue table from every fact of one host (opens included), keyed by host: each fact gets its queue's key,
     * then the facts of one queue meet in one task and are merged into its row, a KTable materialized as
     * {@link QueueTable#STORE} (queried over HTTP) whose every update goes to the compacted mq-queues topic. Rows of
     * queues unlinked or idle past their retention are deleted ({@link QueueRetirement}), with a tombstone there.
     */
    static KTable<String, MqQueue> table(StreamsBuilder b, StreamsSettings s, MqTapSerdes serdes, KStream<String, LifeFact> byHost) {
        Serde<String> keys = Serdes.String();
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueueKeyResolver.NAMES), keys, keys));
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueueKeyResolver.PENDING), keys, serdes.lifeFact()));
        b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QueueRetirement.STORE), keys, keys));
        int maxOpeners = s.maxOpeners();
        java.time.Duration unlinked = s.unlinkedRetention(), idle = s.idleRetention();
        KTable<String, MqQueue> table = byHost
                .process(QueueKeyResolver::new, Named.as("queue-keys"), QueueKeyResolver.NAMES, QueueKeyResolver.PENDING)
                .process(() -> new QueueRetirement(unlinked, idle), Named.as("queue-retirement"), QueueRetirement.STORE)
                .groupByKey(Grouped.with("facts-by-queue", keys, serdes.lifeFact()))
                .aggregate(QueueTable::none, (key, f, row) -> QueueTable.apply(key, f, row, maxOpeners),
                        Named.as("queue-rows"),
                        Materialized.<String, MqQueue, KeyValueStore<Bytes, byte[]>>as(QueueTable.STORE)
                                .withKeySerde(keys).withValueSerde(serdes.queue()));
        table.toStream(Named.as("queue-updates")).to(s.queuesTopic(), Produced.with(keys, serdes.queue()));
        return table;
    }
}
