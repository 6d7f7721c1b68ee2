package io.mqtap.bench.pipeline;

import io.mqtap.testkit.kafka.KafkaBroker;
import java.io.IOException;

/**
 * The benchmark's Kafka broker as its own JVM (testkit's in-process KRaft broker, 127.0.0.1, temporary log dir),
 * so its CPU is never counted as mqtap's or ProducerPerformance's. Prints {@code bootstrap=<host:port>} once ready
 * and stops (removing its log dir) on SIGTERM or when its parent closes stdin.
 */
public final class BrokerMain {
    private BrokerMain() {}

    public static void main(String[] args) throws IOException {
        KafkaBroker broker = KafkaBroker.start();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "broker-stop"));
        System.out.println("bootstrap=" + broker.bootstrapServers());
        System.out.flush();
        // the parent holds our stdin open: EOF means it went away, even when it was killed with SIGKILL
        while (System.in.read() >= 0) {
            // nothing to read; only waiting for the end
        }
        System.exit(0);
    }
}
