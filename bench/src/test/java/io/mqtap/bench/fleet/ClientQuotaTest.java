package io.mqtap.bench.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.health.HealthCheck;
import io.mqtap.producer.config.KafkaFactory;
import io.mqtap.producer.config.SchemaRegistryFactory;
import io.mqtap.testkit.kafka.KafkaBroker;
import io.mqtap.testkit.registry.SchemaRegistryServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's quotas, on a real broker and registry: Kafka's default client-id quota gives each host (each its own
 * {@code client.id}) its own budget of produce bytes/s. Two hosts publish through mqtap's own path (FleetHost: spool,
 * publisher, KafkaWiring's producer); one runs away far above its budget, the other stays modest. What Kafka holds is
 * read back by (machine id, run id, sequence): every record of both arrived once; the runaway was throttled (its
 * producer's produce-throttle-time-max, which mqtap exports as mqtap_kafka_throttle_ms), the other never, and the
 * runaway's Kafka health check stayed healthy while its records waited in its spool.
 */
@Tag("broker")
@Tag("registry")
class ClientQuotaTest {
    private static final String TOPIC = "mq-open-events";
    /**
     * Each host's budget, bytes/s: the modest host's 2 records/s (a request each, ~350 bytes) use a tenth of it, the
     * runaway's thousands (lz4 makes ~20 bytes of each, measured) several times it.
     */
    private static final long QUOTA = 8 * 1024;
    private static final double RUNAWAY_RATE = 4_000, MODEST_RATE = 2;
    private static final double TICK_SECONDS = 0.05;
    /** The runaway stops once throttled and past its least records (~60 KB, 8 s of its budget); if never throttled by the most, the quota did nothing. */
    private static final long RUNAWAY_LEAST_RECORDS = 3_000, RUNAWAY_MAX_RECORDS = 20_000;

    /** What the test saw of both hosts, tick by tick while they ran. */
    private static final class Watch {
        long runawayThrottleMax, modestThrottleMax, runawaySpoolPeak, runawayHealthChecks;
        final List<String> unhealthy = new ArrayList<>();

        void sample(FleetHost runaway, FleetHost modest) {
            runawayThrottleMax = Math.max(runawayThrottleMax, runaway.throttleMillis());
            modestThrottleMax = Math.max(modestThrottleMax, modest.throttleMillis());
            runawaySpoolPeak = Math.max(runawaySpoolPeak, runaway.spooled());
            // the producer's own check with its default thresholds.ackTimeout (30 s)
            HealthCheck.Result r = runaway.health(Duration.ofSeconds(30));
            runawayHealthChecks++;
            if (!r.isHealthy()) unhealthy.add(r.getMessage());
        }
    }

    @Test
    void aRunawayHostIsThrottledByItsOwnQuotaTheOtherIsNotAndEveryRecordArrivesOnce(@TempDir Path dir) throws Exception {
        // the quota's window: 2 samples of 1 s instead of Kafka's 11, so throttling starts and the backlog drains in seconds
        try (KafkaBroker broker = KafkaBroker.start(Map.of("quota.window.num", "2", "quota.window.size.seconds", "1"))) {
            SchemaRegistryServer registry = SchemaRegistryServer.shared();
            try (Admin admin = broker.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
                // the default client-id entity: what an operator sets once for a whole fleet
                ClientQuotaEntity everyClient = new ClientQuotaEntity(Collections.singletonMap(ClientQuotaEntity.CLIENT_ID, null));
                admin.alterClientQuotas(List.of(new ClientQuotaAlteration(everyClient,
                        List.of(new ClientQuotaAlteration.Op("producer_byte_rate", (double) QUOTA))))).all().get(30, TimeUnit.SECONDS);
            }
            KafkaFactory kafka = new KafkaFactory();
            kafka.setBootstrapServers(broker.bootstrapServers());
            kafka.setTopic(TOPIC);
            SchemaRegistryFactory schemas = new SchemaRegistryFactory();
            schemas.setUrl(registry.url());
            schemas.setAutoRegister(true); // the hosts register their own schemas: this registry is the test's alone
            FleetHost runaway = new FleetHost(0, 0, dir.resolve("spool-0"), kafka, schemas);
            FleetHost modest = new FleetHost(1, 0, dir.resolve("spool-1"), kafka, schemas);
            FleetReadBack readBack = new FleetReadBack(broker.bootstrapServers(), registry.url(), TOPIC, 1, machineId -> 0);
            Thread reader = new Thread(readBack, "quota-read-back");
            runaway.start();
            modest.start();
            reader.start();
            Watch watch = new Watch();
            try {
                // a first record each: connected, schema ids resolved (records made before would all leave in one go)
                runaway.feed(1, 1);
                modest.feed(1, 1);
                await(() -> runaway.drained() && modest.drained(), Duration.ofSeconds(60), "both hosts' first record acknowledged");
                assertThat(runaway.health(Duration.ofSeconds(30)).isHealthy()).isTrue();
                // the runaway far above its budget until its producer reports a throttle; the other host modestly throughout
                while ((runaway.throttleMillis() == 0 || made(runaway) < RUNAWAY_LEAST_RECORDS) && made(runaway) < RUNAWAY_MAX_RECORDS) {
                    runaway.feed(RUNAWAY_RATE, TICK_SECONDS);
                    tick(watch, runaway, modest);
                }
                assertThat(made(runaway)).as("records the runaway made before Kafka throttled it").isLessThan(RUNAWAY_MAX_RECORDS);
                // the runaway's backlog drains at its quota (requests throttled again and again) while the other goes on
                await(() -> {
                    tick(watch, runaway, modest);
                    return runaway.drained() && modest.drained();
                }, Duration.ofSeconds(120), "both hosts' spools drained");
                // the metrics of producers still running (a closed producer has none): the other host was answered, never throttled
                assertThat(modest.total("request-total")).as("the modest host's produce requests").isPositive();
                assertThat(watch.modestThrottleMax).as("the modest host's longest throttle, ms").isZero();
                assertThat(watch.runawayThrottleMax).as("the runaway's longest throttle, ms").isPositive();
                assertThat(runaway.spoolDropped() + modest.spoolDropped()).as("records the spools dropped").isZero();
            } finally {
                runaway.stop(Duration.ofSeconds(60));
                modest.stop(Duration.ofSeconds(60));
            }
            try {
                await(() -> readBack.distinct(runaway.machineId(), onlyRun(runaway)) == made(runaway)
                        && readBack.distinct(modest.machineId(), onlyRun(modest)) == made(modest), Duration.ofSeconds(60),
                        "every record read back");
            } finally {
                readBack.close();
                reader.join(10_000);
                readBack.closeConsumer();
            }
            // a stopped host keeps its closed producers' totals
            assertThat(runaway.total("outgoing-byte-total")).as("bytes the runaway sent, against its budget of %d bytes/s", QUOTA)
                    .isGreaterThan(4.0 * QUOTA);
            assertThat(made(modest)).as("records the modest host made").isPositive();
            assertThat(readBack.records()).as("records read back: each once").isEqualTo(made(runaway) + made(modest));
            assertThat(readBack.duplicates()).isZero();
            assertThat(readBack.unreadable()).isZero();
            // throttled is not failing: acknowledgements keep coming, only later
            assertThat(watch.unhealthy).as("the runaway's Kafka health check while throttled (%d checks, spool peak %d records)",
                    watch.runawayHealthChecks, watch.runawaySpoolPeak).isEmpty();
        }
    }

    private static void tick(Watch watch, FleetHost runaway, FleetHost modest) {
        try {
            modest.feed(MODEST_RATE, TICK_SECONDS);
            watch.sample(runaway, modest);
            Thread.sleep((long) (TICK_SECONDS * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long made(FleetHost h) {
        return h.madePerRun().values().stream().mapToLong(Long::longValue).sum();
    }

    private static String onlyRun(FleetHost h) {
        assertThat(h.madePerRun()).hasSize(1);
        return h.madePerRun().keySet().iterator().next();
    }

    private static void await(BooleanSupplier done, Duration atMost, String what) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within " + atMost + ": " + what);
            Thread.sleep(50);
        }
    }
}
