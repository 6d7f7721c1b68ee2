package io.mqtap.producer.kafka;

import io.mqtap.producer.core.BootClock;
import io.mqtap.producer.metrics.PipelineMetrics;
import io.mqtap.producer.spool.DiskSpool;
import io.mqtap.producer.spool.SpoolEntry;
import io.mqtap.registry.serde.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publisher thread: sends the spool's records to Kafka in spool order, keyed by the host's machine id so one
 * host's records stay in order in one partition, and acknowledges each in the spool when Kafka does. A record Kafka
 * did not take (no metadata within max.block.ms, the producer closed, registry down for a writer schema) is not failed:
 * the publisher waits until nothing is in flight and reads the spool again from the first unacknowledged record, so
 * it may be sent twice (the dedup key makes that visible) but is never lost. Only a record Kafka refuses for good
 * (too large, invalid) is acknowledged as failed and counted. Before the first send it waits until the topics are
 * checked (created, durable enough) and the schemas registered; until then records wait in the spool.
 */
public final class Publisher implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
    /** Records handed to the producer and not acknowledged: bounds what a resend repeats, and the producer's buffer. */
    static final int MAX_IN_FLIGHT = 20_000;
    private static final long CHECKPOINT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** The registry's id for a writer schema on a topic (registered when allowed); SerializationException while it is away. */
    @FunctionalInterface
    public interface SchemaIds {
        int id(String topic, Schema schema);
    }

    /** The topic each record type goes to, by its schema's full name (io.mqtap.avro.MqOpen -> mq-open-events). */
    @FunctionalInterface
    public interface Topics {
        String of(String recordFullName);
    }

    /** One check that Kafka is ready for us (topics exist and are durable enough); throws what is wrong. */
    @FunctionalInterface
    public interface Readiness {
        void check() throws Exception;
    }

    private final Producer<byte[], byte[]> producer;
    private final Topics topics;
    private final String runId;
    private final DiskSpool spool;
    private final PipelineMetrics metrics;
    private final DeliveryErrors errors;
    private final BootClock clock;
    private final SchemaGate schema;
    private final SchemaIds ids;
    private final Readiness readiness;
    /**
     * Where each branch of each writer schema goes: its topic and the registry's id there, by the segment's own schema
     * String (identity: a key made of the schema's text copied and hashed the whole union, tens of KiB, for every
     * record sent, ~100 CPU s per million records). This run's segments share one String; each segment recovered at
     * start has its own, so the map holds at most one entry per segment found then, plus one.
     */
    private final Map<String, Destination[]> destinations = new IdentityHashMap<>();
    private final Map<String, Schema> writerSchemas = new HashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile long lastAckNanos = System.nanoTime();
    private volatile long waitingSinceNanos;
    private volatile boolean abort;
    private volatile boolean resend;
    private volatile String notReady = "not started";

    public Publisher(Producer<byte[], byte[]> producer, Topics topics, String runId, DiskSpool spool, PipelineMetrics metrics,
                     DeliveryErrors errors, BootClock clock, SchemaGate schema, SchemaIds ids, Readiness readiness) {
        this.producer = producer;
        this.topics = topics;
        this.runId = runId;
        this.spool = spool;
        this.metrics = metrics;
        this.errors = errors;
        this.clock = clock;
        this.schema = schema;
        this.ids = ids;
        this.readiness = readiness;
    }

    @Override
    public void run() {
        try {
            if (!awaitReady()) return;
            notReady = null;
            // records wait in the spool until the schema is registered (the schema check says why not)
            if (!schema.await(() -> abort)) return;
            long backoff = 100;
            long lastCheckpoint = System.nanoTime();
            while (!abort) {
                if (System.nanoTime() - lastCheckpoint > CHECKPOINT_NANOS) {
                    spool.checkpoint();
                    lastCheckpoint = System.nanoTime();
                }
                if (resend) {
                    if (inFlight.get() > 0) {
                        Thread.sleep(5);
                        continue;
                    }
                    Thread.sleep(backoff);
                    backoff = Math.min(5_000, backoff * 2);
                    resend = false;
                    spool.rewind();
                    continue;
                }
                int room = MAX_IN_FLIGHT - inFlight.get();
                if (room <= 0) {
                    Thread.sleep(1);
                    continue;
                }
                List<SpoolEntry> entries = spool.read(Math.min(room, 2048), 50);
                if (entries.isEmpty()) continue;
                for (SpoolEntry e : entries) {
                    if (abort || resend) break;
                    if (spool.isAcknowledged(e.index())) continue; // sent before a resend, and acknowledged since
                    send(e);
                }
                if (!resend) backoff = 100;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException("the spool could not be read", e);
        } finally {
            try {
                spool.checkpoint();
            } catch (IOException e) {
                LOG.warn("Could not save the spool's acknowledgement checkpoint: {}", e.toString());
            }
        }
    }

    /** Topics checked and durable enough; retried while Kafka is not reachable. False when told to abort. */
    private boolean awaitReady() throws InterruptedException {
        long backoff = 500;
        while (!abort) {
            try {
                readiness.check();
                return true;
            } catch (IllegalStateException e) {
                notReady = e.getMessage();
                throw e; // only an operator can fix it: fatal (the service exits, records stay in the spool)
            } catch (Exception e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                String why = c.toString();
                if (c instanceof org.apache.kafka.common.errors.AuthenticationException
                        || c instanceof org.apache.kafka.common.errors.AuthorizationException) {
                    notReady = "Kafka refused mqtap's credentials: " + c;
                    throw new IllegalStateException(notReady, c);
                }
                if (!("waiting for Kafka: " + why).equals(notReady)) LOG.warn("Kafka is not reachable yet, records wait in the spool: {}", why);
                notReady = "waiting for Kafka: " + why;
                Thread.sleep(backoff);
                backoff = Math.min(30_000, backoff * 2);
            }
        }
        return false;
    }

    private void send(SpoolEntry e) {
        byte[] value;
        Destination to;
        try {
            to = destination(e);
            value = frame(e, to);
        } catch (SerializationException ex) {
            // the registry could not give this writer schema an id (it is away): read it again later
            errors.resending(ex);
            resend = true;
            return;
        }
        inFlight.incrementAndGet();
        if (waitingSinceNanos == 0) waitingSinceNanos = System.nanoTime();
        try {
            producer.send(new ProducerRecord<>(to.topic(), null, e.timestampMicros() / 1000, e.key(), value), new Delivery(e));
        } catch (RecordTooLargeException | InvalidRecordException ex) {
            done();
            givenUp(e, ex);
        } catch (KafkaException | IllegalStateException ex) {
            done();
            if (!abort) {
                errors.resending(ex);
                resend = true;
            }
        }
    }

    private record Destination(String topic, int schemaId) {}

    /**
     * The record's topic and schema id: its type is its branch of the segment's writer schema (a union of the record
     * types; a segment of an older build holds one record schema, branch 0).
     */
    private Destination destination(SpoolEntry e) {
        Destination[] byBranch = destinations.get(e.writerSchema());
        if (byBranch == null || e.branch() >= byBranch.length) {
            byBranch = byBranch == null ? new Destination[e.branch() + 1] : Arrays.copyOf(byBranch, e.branch() + 1);
            destinations.put(e.writerSchema(), byBranch);
        }
        Destination d = byBranch[e.branch()];
        if (d == null) {
            Schema writer = writerSchemas.computeIfAbsent(e.writerSchema(), w -> new Schema.Parser().parse(w));
            Schema schema = writer.getType() == Schema.Type.UNION ? writer.getTypes().get(e.branch()) : writer;
            if (writer.getType() != Schema.Type.UNION && e.branch() != 0)
                throw new IllegalStateException("spool record " + e.index() + " has type " + e.branch() + " but its segment holds one record schema");
            String topic = topics.of(schema.getFullName());
            d = new Destination(topic, ids.id(topic, schema));
            byBranch[e.branch()] = d;
        }
        return d;
    }

    private static byte[] frame(SpoolEntry e, Destination to) {
        byte[] v = new byte[WireFormat.HEADER_SIZE + e.value().length];
        WireFormat.writeHeader(v, 0, to.schemaId());
        System.arraycopy(e.value(), 0, v, WireFormat.HEADER_SIZE, e.value().length);
        return v;
    }

    /** Kafka refuses this record for good: acknowledged in the spool (it would block everything behind it), counted. */
    private void givenUp(SpoolEntry e, Exception ex) {
        metrics.failed.inc();
        errors.report(ex);
        spool.ack(e.index());
    }

    private void done() {
        if (inFlight.decrementAndGet() == 0) waitingSinceNanos = 0;
    }

    /** Stop (the pipeline's stop calls it once everything is acknowledged, or its time is up): what is not stays in the spool. */
    public void abort() {
        abort = true;
    }

    public long inFlight() {
        return inFlight.get();
    }

    /** Why nothing is being sent yet (Kafka unreachable, topic not durable enough), or null once sending. */
    public String notReady() {
        return notReady;
    }

    /** Nanoseconds the oldest unacknowledged send has waited since the last acknowledgement, 0 when none wait. */
    public long unackedForNanos() {
        long since = waitingSinceNanos;
        return inFlight.get() > 0 && since != 0 ? System.nanoTime() - Math.max(since, lastAckNanos) : 0;
    }

    private final class Delivery implements Callback {
        private final SpoolEntry entry;

        Delivery(SpoolEntry entry) {
            this.entry = entry;
        }

        @Override
        public void onCompletion(RecordMetadata md, Exception e) {
            if (e == null) {
                spool.ack(entry.index());
                if (runId.equals(entry.runId())) metrics.published.mark();
                else metrics.replayed.inc();
                metrics.delivered(clock.toEpochMicros(clock.nowBootNs()) - entry.timestampMicros());
                lastAckNanos = System.nanoTime();
            } else if (e instanceof RecordTooLargeException || e instanceof InvalidRecordException) {
                givenUp(entry, e);
            } else if (!abort) {
                // stays in the spool: sent again from the first record not acknowledged
                errors.resending(e);
                resend = true;
            }
            done();
        }
    }
}
