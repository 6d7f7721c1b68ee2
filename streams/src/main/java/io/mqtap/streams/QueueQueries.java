package io.mqtap.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mqtap.streams.avro.MqQueue;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue table over HTTP (interactive queries), as JSON:
 * <ul>
 * <li>{@code GET /queues}: every row, newest first;
 * <li>{@code GET /queues/{host}/{name}}: the rows of one host (its hostname or machine id) whose kernel name is
 * {@code name} (with or without the leading '/'; URL-encoded), newest first: one per queue ever known by that name
 * there; 404 when there is none.
 * </ul>
 * With several instances of the application, each holds part of the table: the instance asked collects the others'
 * parts ({@code ?scope=local} on their own endpoints, found through {@code application.server}). The server binds
 * where {@code mqtap.queries.listen} says (127.0.0.1 by default).
 */
final class QueueQueries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueQueries.class);

    private final KafkaStreams streams;
    private final HttpServer server;
    private final HostInfo self;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private QueueQueries(KafkaStreams streams, HttpServer server, HostInfo self) {
        this.streams = streams;
        this.server = server;
        this.self = self;
    }

    /** Starts serving at {@code listen} ("host:port", port 0 picks one); {@code self} is this instance's application.server, or null. */
    static QueueQueries start(KafkaStreams streams, String listen, HostInfo self) throws IOException {
        int colon = listen.lastIndexOf(':');
        HttpServer server = HttpServer.create(new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1))), 16);
        QueueQueries q = new QueueQueries(streams, server, self);
        server.createContext("/queues", q::handle);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "mqtap-queries");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        LOG.info("queue table queries on http://{}:{}/queues", server.getAddress().getHostString(), server.getAddress().getPort());
        return q;
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange x) throws IOException {
        try {
            if (!"GET".equals(x.getRequestMethod())) {
                reply(x, 405, "{\"error\":\"GET only\"}");
                return;
            }
            String[] parts = x.getRequestURI().getRawPath().split("/");
            boolean local = "scope=local".equals(x.getRequestURI().getRawQuery());
            Predicate<JsonNode> match;
            if (parts.length == 2) {
                match = r -> true;
            } else if (parts.length == 4) {
                String host = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
                String name = URLDecoder.decode(parts[3], StandardCharsets.UTF_8);
                String bare = name.startsWith("/") ? name.substring(1) : name;
                match = r -> (host.equals(r.path("hostname").asText()) || host.equals(r.path("machineId").asText()))
                        && ("/" + bare).equals(r.path("kernelName").asText());
            } else {
                reply(x, 404, "{\"error\":\"use /queues or /queues/{host}/{name}\"}");
                return;
            }
            ArrayNode rows = local ? localRows() : allRows();
            ArrayNode out = AvroJson.MAPPER.createArrayNode();
            rows.forEach(r -> {
                if (match.test(r)) out.add(r);
            });
            List<JsonNode> sorted = new java.util.ArrayList<>();
            out.forEach(sorted::add);
            sorted.sort(Comparator.comparing((JsonNode r) -> r.path("lastSeen").asText()).reversed());
            ArrayNode body = AvroJson.MAPPER.createArrayNode().addAll(sorted);
            reply(x, body.isEmpty() && parts.length == 4 ? 404 : 200, AvroJson.MAPPER.writeValueAsString(body));
        } catch (RuntimeException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            // the table is not queryable yet (rebalancing, starting) or an instance did not answer
            reply(x, 503, AvroJson.MAPPER.createObjectNode().put("error", String.valueOf(e.getMessage())).toString());
        }
    }

    /** Every row, this instance's and the others'. */
    private ArrayNode allRows() throws InterruptedException {
        if (self == null) return localRows(); // one instance: no application.server to find others by
        ArrayNode all = AvroJson.MAPPER.createArrayNode();
        for (StreamsMetadata m : streams.streamsMetadataForStore(QueueTable.STORE))
            all.addAll(m.hostInfo().equals(self) ? localRows() : remoteRows(m.hostInfo()));
        return all;
    }

    private ArrayNode localRows() {
        ReadOnlyKeyValueStore<String, MqQueue> store = streams.store(
                StoreQueryParameters.fromNameAndType(QueueTable.STORE, QueryableStoreTypes.<String, MqQueue>keyValueStore()));
        ArrayNode rows = AvroJson.MAPPER.createArrayNode();
        try (KeyValueIterator<String, MqQueue> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, MqQueue> kv = it.next();
                rows.add(AvroJson.of(kv.value));
            }
        }
        return rows;
    }

    private ArrayNode remoteRows(HostInfo other) throws InterruptedException {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://" + other.host() + ":" + other.port()
                    + "/queues?scope=local")).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IllegalStateException(other + " answered " + r.statusCode() + ": " + r.body());
            return (ArrayNode) AvroJson.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("the instance at " + other + " did not answer: " + e.getMessage(), e);
        }
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
